/*
 * cbor_w.c - a small growable CBOR writer over libcbor's encoders
 * (cbor_encode_*), enough for the model file: definite-length maps and
 * arrays, unsigned and negative integers, float32, text, and byte strings
 * holding little-endian float32 / int32 arrays. Failures are sticky (w->failed)
 * so the encoder checks once at the end.
 *
 * Not here: indefinite lengths, tags, anything the model file does not use;
 * decoding (cbor_r.c).
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "qnet-priv.h"

static uint8_t *room(struct qnet__w *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->failed)
		return NULL;
	if (n > SIZE_MAX / 2 - w->n) {
		w->failed = 1;
		return NULL;
	}
	if (w->n + n > w->cap) {
		cap = w->cap ? w->cap : 4096;
		while (cap < w->n + n)
			cap *= 2;
		p = realloc(w->p, cap);
		if (p == NULL) {
			w->failed = 1;
			return NULL;
		}
		w->p = p;
		w->cap = cap;
	}
	return w->p + w->n;
}

/* Every header fits in 9 bytes; encode into room for that. */
#define HDR_MAX 9

static void put_hdr(struct qnet__w *w, size_t (*enc)(uint64_t, unsigned char *, size_t),
		    uint64_t v)
{
	uint8_t *p = room(w, HDR_MAX);
	size_t k;

	if (p == NULL)
		return;
	k = enc(v, p, HDR_MAX);
	if (k == 0)
		w->failed = 1;
	w->n += k;
}

static size_t enc_bytes_start(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_bytestring_start((size_t)v, p, n);
}

static size_t enc_text_start(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_string_start((size_t)v, p, n);
}

static size_t enc_array(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_array_start((size_t)v, p, n);
}

static size_t enc_map(uint64_t v, unsigned char *p, size_t n)
{
	return cbor_encode_map_start((size_t)v, p, n);
}

void qnet__w_uint(struct qnet__w *w, uint64_t v)
{
	put_hdr(w, cbor_encode_uint, v);
}

void qnet__w_int(struct qnet__w *w, int64_t v)
{
	if (v >= 0)
		put_hdr(w, cbor_encode_uint, (uint64_t)v);
	else
		put_hdr(w, cbor_encode_negint, (uint64_t)(-1 - v));
}

void qnet__w_f32(struct qnet__w *w, float v)
{
	uint8_t *p = room(w, 5);
	size_t k;

	if (p == NULL)
		return;
	k = cbor_encode_single(v, p, 5);
	if (k != 5)
		w->failed = 1;
	w->n += k;
}

static void put_raw(struct qnet__w *w, const void *src, size_t n)
{
	uint8_t *p = room(w, n);

	if (p == NULL)
		return;
	if (n > 0)
		memcpy(p, src, n);
	w->n += n;
}

void qnet__w_text(struct qnet__w *w, const char *s)
{
	size_t n = strlen(s);

	put_hdr(w, enc_text_start, n);
	put_raw(w, s, n);
}

void qnet__w_bytes(struct qnet__w *w, const void *p, size_t n)
{
	put_hdr(w, enc_bytes_start, n);
	put_raw(w, p, n);
}

void qnet__w_array(struct qnet__w *w, size_t n)
{
	put_hdr(w, enc_array, n);
}

void qnet__w_map(struct qnet__w *w, size_t n)
{
	put_hdr(w, enc_map, n);
}

/* n 32-bit values (float or int32) as a byte string, little-endian. */
static void put_le32s(struct qnet__w *w, const void *v, size_t n)
{
	const uint8_t *b = v;
	uint8_t *p;
	uint32_t u;
	size_t i;

	if (n > SIZE_MAX / 4) {
		w->failed = 1;
		return;
	}
	put_hdr(w, enc_bytes_start, n * 4);
	p = room(w, n * 4);
	if (p == NULL)
		return;
	for (i = 0; i < n; i++) {
		memcpy(&u, b + 4 * i, 4);
		p[4 * i] = (uint8_t)u;
		p[4 * i + 1] = (uint8_t)(u >> 8);
		p[4 * i + 2] = (uint8_t)(u >> 16);
		p[4 * i + 3] = (uint8_t)(u >> 24);
	}
	w->n += n * 4;
}

void qnet__w_f32s(struct qnet__w *w, const float *v, size_t n)
{
	_Static_assert(sizeof(float) == 4, "float is not 32-bit");
	put_le32s(w, v, n);
}

void qnet__w_i32s(struct qnet__w *w, const int32_t *v, size_t n)
{
	put_le32s(w, v, n);
}
