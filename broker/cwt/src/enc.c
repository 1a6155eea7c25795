/*
 * enc.c - the small CBOR writer (RFC 8949 section 3, definite lengths,
 * shortest heads) that sign.c and claims.c build tokens with, over
 * libcbor's cbor_encode_* head encoders.
 *
 * Example: cwt__w_map(w, 1); cwt__w_int(w, 1); cwt__w_int(w, -7) writes
 * a1 01 26 = {1: -7}; cwt__w_int(w, -65537) writes 3a 00 01 00 00.
 *
 * The first failure sticks in w->rc (EPH_ENOMEM, or EPH_EFORMAT when the
 * output would pass CWT_MAX_TOKEN) and later calls do nothing, so callers
 * write a whole structure and check once. Not here: decoding (cbor.c).
 */
#include "cwt-priv.h"

#include <cbor.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes. */
static int w_room(struct cwt__w *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->rc < 0)
		return -1;
	if (n > CWT_MAX_TOKEN || w->len > CWT_MAX_TOKEN - n) {
		w->rc = EPH_EFORMAT;
		return -1;
	}
	if (w->len + n <= w->cap)
		return 0;
	cap = w->cap ? w->cap : 256;
	while (cap < w->len + n)
		cap *= 2;
	p = realloc(w->p, cap);
	if (p == NULL) {
		w->rc = EPH_ENOMEM;
		return -1;
	}
	w->p = p;
	w->cap = cap;
	return 0;
}

void cwt__w_raw(struct cwt__w *w, const uint8_t *p, size_t n)
{
	if (w_room(w, n) < 0 || n == 0)
		return;
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

/* A head through one of libcbor's encoders (at most 9 bytes). */
static void w_head(struct cwt__w *w, size_t (*enc)(uint64_t, unsigned char *, size_t),
		   uint64_t v)
{
	size_t n;

	if (w_room(w, 9) < 0)
		return;
	n = enc(v, w->p + w->len, w->cap - w->len);
	if (n == 0) {
		w->rc = EPH_EFAIL;
		return;
	}
	w->len += n;
}

static size_t enc_bstr(uint64_t v, unsigned char *b, size_t n)
{
	return cbor_encode_bytestring_start((size_t)v, b, n);
}

static size_t enc_tstr(uint64_t v, unsigned char *b, size_t n)
{
	return cbor_encode_string_start((size_t)v, b, n);
}

static size_t enc_map(uint64_t v, unsigned char *b, size_t n)
{
	return cbor_encode_map_start((size_t)v, b, n);
}

static size_t enc_array(uint64_t v, unsigned char *b, size_t n)
{
	return cbor_encode_array_start((size_t)v, b, n);
}

void cwt__w_uint(struct cwt__w *w, uint64_t v)
{
	w_head(w, cbor_encode_uint, v);
}

void cwt__w_int(struct cwt__w *w, int64_t v)
{
	if (v >= 0)
		w_head(w, cbor_encode_uint, (uint64_t)v);
	else
		w_head(w, cbor_encode_negint, (uint64_t)(-1 - v));
}

void cwt__w_bstr(struct cwt__w *w, const uint8_t *p, size_t n)
{
	w_head(w, enc_bstr, n);
	cwt__w_raw(w, p, n);
}

void cwt__w_tstr(struct cwt__w *w, const char *s)
{
	size_t n = strlen(s);

	w_head(w, enc_tstr, n);
	cwt__w_raw(w, (const uint8_t *)s, n);
}

void cwt__w_map(struct cwt__w *w, size_t pairs)
{
	w_head(w, enc_map, pairs);
}

void cwt__w_array(struct cwt__w *w, size_t n)
{
	w_head(w, enc_array, n);
}

void cwt__w_tag(struct cwt__w *w, uint64_t tag)
{
	w_head(w, cbor_encode_tag, tag);
}
