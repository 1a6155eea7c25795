/*
 * encode.c - the table-driven encoder of wire bodies and the growable
 * buffer it writes into, with libcbor's header encoders (cbor_encode_*).
 *
 * Output is canonical-ish CBOR (RFC 8949, 4.2.1 core deterministic
 * encoding, except that floats are always single precision): definite
 * lengths, the shortest form of every integer and length, map keys in
 * ascending order. WIRE_K_VERSION comes first, always; a required field is
 * always written (and must not be empty), an optional one only when it is
 * non-empty (non-zero integer, non-empty string, at least one bank or
 * attribute). Example, a challenge_resp with expires 1700000000:
 *   a3 01 01 03 5820 <32 nonce bytes> 12 1a 6553f100
 *
 * The encoder checks what it writes as the decoder would (caps, UTF-8,
 * digest sizes, ranges), so an encoded message always decodes, and refuses
 * a body larger than WIRE_MAX_BODY.
 *
 * Not here: the nested values (pcrs.c, attrs.c), the tables (messages.c).
 */
#include "wire-priv.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void w_put(struct wire__w *w, const void *src, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->rc < 0 || n == 0)
		return;
	if (n > WIRE_MAX_BODY - w->len) {
		w->rc = EPH_EFORMAT;
		return;
	}
	if (n > w->cap - w->len) {
		cap = w->cap ? w->cap : 256;
		while (cap - w->len < n)
			cap *= 2; /* stays below 2 * WIRE_MAX_BODY: no overflow */
		/* Not realloc: the old buffer may hold a secret; wipe it first. */
		p = malloc(cap);
		if (p == NULL) {
			w->rc = EPH_ENOMEM;
			return;
		}
		if (w->p != NULL) {
			memcpy(p, w->p, w->len);
			explicit_bzero(w->p, w->len);
			free(w->p);
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

void wire__w_uint(struct wire__w *w, uint64_t v)
{
	unsigned char h[9];

	w_put(w, h, cbor_encode_uint(v, h, sizeof(h)));
}

void wire__w_bytes(struct wire__w *w, const uint8_t *p, size_t n)
{
	unsigned char h[9];

	w_put(w, h, cbor_encode_bytestring_start(n, h, sizeof(h)));
	w_put(w, p, n);
}

void wire__w_text(struct wire__w *w, const char *s, size_t n)
{
	unsigned char h[9];

	w_put(w, h, cbor_encode_string_start(n, h, sizeof(h)));
	w_put(w, s, n);
}

void wire__w_array(struct wire__w *w, size_t n)
{
	unsigned char h[9];

	w_put(w, h, cbor_encode_array_start(n, h, sizeof(h)));
}

void wire__w_map(struct wire__w *w, size_t n)
{
	unsigned char h[9];

	w_put(w, h, cbor_encode_map_start(n, h, sizeof(h)));
}

void wire__w_float(struct wire__w *w, float v)
{
	unsigned char h[5];

	w_put(w, h, cbor_encode_single(v, h, sizeof(h)));
}

int wire__text_len(size_t *n, const char *s, size_t cap, const char *what, struct eph_err *err)
{
	size_t len = strnlen(s, cap);

	if (len == cap)
		return eph_err_set(err, EPH_EFAIL, "%s: not NUL-terminated within %zu bytes", what,
				   cap);
	*n = len;
	/* The decoder's check; the caller's mistake, so EPH_EFAIL. */
	if (wire__check_text((const uint8_t *)s, len, what, err) < 0)
		return EPH_EFAIL;
	return 0;
}

static bool field_present(const void *msg, const struct wire__field *f)
{
	const uint8_t *at = (const uint8_t *)msg + f->off;

	switch (f->type) {
	case WIRE_T_UINT64:
		return *(const uint64_t *)at != 0;
	case WIRE_T_UINT32:
		return *(const uint32_t *)at != 0;
	case WIRE_T_TEXT:
		return at[0] != '\0';
	case WIRE_T_BYTES:
		return ((const struct wire_bytes *)at)->len != 0;
	case WIRE_T_FIXED:
		return true;
	case WIRE_T_CUSTOM:
		return f->ops->present(msg, f);
	}
	return false;
}

static int encode_field(struct wire__w *w, const void *msg, const struct wire__field *f,
			const char *what, struct eph_err *err)
{
	const uint8_t *at = (const uint8_t *)msg + f->off;
	const struct wire_bytes *b = (const struct wire_bytes *)at;
	size_t n;
	int rc;

	switch (f->type) {
	case WIRE_T_UINT64:
		wire__w_uint(w, *(const uint64_t *)at);
		return 0;
	case WIRE_T_UINT32:
		wire__w_uint(w, *(const uint32_t *)at);
		return 0;
	case WIRE_T_TEXT:
		rc = wire__text_len(&n, (const char *)at, f->cap, what, err);
		if (rc < 0)
			return rc;
		wire__w_text(w, (const char *)at, n);
		return 0;
	case WIRE_T_BYTES:
		if (b->len > f->cap)
			return eph_err_set(err, EPH_EFAIL, "%s: byte string of %zu bytes exceeds %zu",
					   what, b->len, f->cap);
		if (b->p == NULL)
			return eph_err_set(err, EPH_EFAIL, "%s: NULL pointer with length %zu", what,
					   b->len);
		wire__w_bytes(w, b->p, b->len);
		return 0;
	case WIRE_T_FIXED:
		wire__w_bytes(w, at, f->cap);
		return 0;
	case WIRE_T_CUSTOM:
		rc = f->ops->encode(w, msg, f, err);
		if (rc < 0)
			eph_err_prefix(err, rc, "%s", what);
		return rc;
	}
	return eph_err_set(err, EPH_EFAIL, "%s: field type %d", what, (int)f->type);
}

int wire__encode(uint8_t **out, size_t *out_len, const struct wire__msg *m, const void *msg,
		 struct eph_err *err)
{
	struct wire__w w = {NULL, 0, 0, 0};
	const struct wire__field *f;
	size_t i, count = 1; /* the version */
	char what[64];
	int rc = 0;

	assert(out != NULL && out_len != NULL && msg != NULL);
	*out = NULL;
	*out_len = 0;
	for (i = 0; i < m->nfields; i++) {
		f = &m->fields[i];
		assert(f->key > WIRE_K_VERSION && (i == 0 || f->key > m->fields[i - 1].key));
		if (field_present(msg, f)) {
			count++;
		} else if (f->required) {
			rc = eph_err_set(err, EPH_EFAIL, "key %llu (%s): required but empty",
					 (unsigned long long)f->key, f->name);
			goto out;
		}
	}
	if (m->check != NULL) {
		rc = m->check(msg, err);
		if (rc < 0)
			goto out;
	}
	wire__w_map(&w, count);
	wire__w_uint(&w, WIRE_K_VERSION);
	wire__w_uint(&w, WIRE_VERSION);
	for (i = 0; i < m->nfields; i++) {
		f = &m->fields[i];
		if (!field_present(msg, f))
			continue;
		snprintf(what, sizeof(what), "key %llu (%s)", (unsigned long long)f->key, f->name);
		wire__w_uint(&w, f->key);
		rc = encode_field(&w, msg, f, what, err);
		if (rc < 0)
			goto out;
	}
	if (w.rc == EPH_ENOMEM) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
		goto out;
	}
	if (w.rc < 0) {
		rc = eph_err_set(err, EPH_EFORMAT, "body exceeds %u bytes", WIRE_MAX_BODY);
		goto out;
	}
	*out = w.p;
	*out_len = w.len;
	w.p = NULL;
out:
	if (w.p != NULL) {
		explicit_bzero(w.p, w.len);
		free(w.p);
	}
	if (rc < 0)
		eph_err_prefix(err, rc, "%s", m->name);
	return rc;
}
