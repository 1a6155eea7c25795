/*
 * cbor_r.c - reads CBOR (RFC 8949) from untrusted bytes one data item
 * header at a time, with libcbor's streaming decoder (cbor_stream_decode),
 * so that nothing is allocated from a length the input claims: a byte or
 * text string is handed back as a pointer into the buffer after libcbor has
 * checked that all of it is there, an array or map as its count. The typed
 * helpers check the major type, the range and, for strings, the exact length
 * the caller expects, and name the field in the error.
 *
 *   82 01 44 00 00 80 3f  =  [1, h'0000803f']  (a one-float LE array)
 *
 * Heads must be the shortest for their value (RFC 8949, 4.2.1 preferred
 * serialization), so one model has one encoding and an accepted file
 * re-encodes to itself.
 *
 * Not here: tags, indefinite lengths, half and double floats, simple values
 * (all returned as QNET__CT_OTHER and refused by the typed helpers), and
 * skipping unknown items (the model file has none: its layout is fixed).
 */
#include <string.h>

#include <cbor.h>

#include "eph_cur.h"
#include "qnet-priv.h"

static void cb_u8(void *c, uint8_t v)
{
	struct qnet__item *it = c;

	it->type = QNET__CT_UINT;
	it->u = v;
}

static void cb_u16(void *c, uint16_t v)
{
	cb_u8(c, 0);
	((struct qnet__item *)c)->u = v;
}

static void cb_u32(void *c, uint32_t v)
{
	cb_u8(c, 0);
	((struct qnet__item *)c)->u = v;
}

static void cb_u64(void *c, uint64_t v)
{
	cb_u8(c, 0);
	((struct qnet__item *)c)->u = v;
}

static void cb_n8(void *c, uint8_t v)
{
	struct qnet__item *it = c;

	it->type = QNET__CT_NEGINT;
	it->u = v;
}

static void cb_n16(void *c, uint16_t v)
{
	cb_n8(c, 0);
	((struct qnet__item *)c)->u = v;
}

static void cb_n32(void *c, uint32_t v)
{
	cb_n8(c, 0);
	((struct qnet__item *)c)->u = v;
}

static void cb_n64(void *c, uint64_t v)
{
	cb_n8(c, 0);
	((struct qnet__item *)c)->u = v;
}

static void cb_bytes(void *c, cbor_data p, size_t n)
{
	struct qnet__item *it = c;

	it->type = QNET__CT_BYTES;
	it->data = p;
	it->n = n;
}

static void cb_text(void *c, cbor_data p, size_t n)
{
	cb_bytes(c, p, n);
	((struct qnet__item *)c)->type = QNET__CT_TEXT;
}

static void cb_array(void *c, size_t n)
{
	struct qnet__item *it = c;

	it->type = QNET__CT_ARRAY;
	it->u = n;
}

static void cb_map(void *c, size_t n)
{
	cb_array(c, n);
	((struct qnet__item *)c)->type = QNET__CT_MAP;
}

static void cb_f4(void *c, float v)
{
	struct qnet__item *it = c;

	it->type = QNET__CT_FLOAT;
	it->f = v;
}

/* Length of the shortest head for argument v (RFC 8949, 4.2.1). */
static size_t head_len(uint64_t v)
{
	return v < 24 ? 1 : v <= 0xFF ? 2 : v <= 0xFFFF ? 3 : v <= 0xFFFFFFFFull ? 5 : 9;
}

int qnet__r_next(struct qnet__r *r, struct qnet__item *it, struct eph_err *err)
{
	struct cbor_callbacks cb = cbor_empty_callbacks;
	struct cbor_decoder_result res;
	size_t at = r->pos;

	cb.uint8 = cb_u8;
	cb.uint16 = cb_u16;
	cb.uint32 = cb_u32;
	cb.uint64 = cb_u64;
	cb.negint8 = cb_n8;
	cb.negint16 = cb_n16;
	cb.negint32 = cb_n32;
	cb.negint64 = cb_n64;
	cb.byte_string = cb_bytes;
	cb.string = cb_text;
	cb.array_start = cb_array;
	cb.map_start = cb_map;
	cb.float4 = cb_f4;
	memset(it, 0, sizeof(*it));
	it->type = QNET__CT_OTHER;
	if (r->pos >= r->len)
		return eph_err_set(err, EPH_EFORMAT, "truncated at byte %zu", at);
	res = cbor_stream_decode(r->base + r->pos, r->len - r->pos, &cb, it);
	if (res.status == CBOR_DECODER_NEDATA)
		return eph_err_set(err, EPH_EFORMAT, "truncated at byte %zu", at);
	if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || res.read > r->len - r->pos)
		return eph_err_set(err, EPH_EFORMAT, "malformed CBOR at byte %zu", at);
	if (it->type != QNET__CT_OTHER && it->type != QNET__CT_FLOAT &&
	    res.read - it->n != head_len(it->type == QNET__CT_BYTES || it->type == QNET__CT_TEXT ?
					 it->n : it->u))
		return eph_err_set(err, EPH_EFORMAT, "non-canonical CBOR at byte %zu (a longer "
				   "head than the value needs)", at);
	r->pos += res.read;
	return 0;
}

static int want(struct qnet__r *r, struct qnet__item *it, enum qnet__ct type, const char *tname,
		const char *what, struct eph_err *err)
{
	size_t at = r->pos;
	int rc = qnet__r_next(r, it, err);

	if (rc < 0)
		return eph_err_prefix(err, rc, "%s", what);
	if (it->type != type)
		return eph_err_set(err, EPH_EFORMAT, "%s: not %s at byte %zu", what, tname, at);
	return 0;
}

int qnet__r_uint(struct qnet__r *r, uint64_t max, uint64_t *v, const char *what,
		 struct eph_err *err)
{
	struct qnet__item it;
	int rc = want(r, &it, QNET__CT_UINT, "an unsigned integer", what, err);

	if (rc < 0)
		return rc;
	if (it.u > max)
		return eph_err_set(err, EPH_EVERIFY, "%s: %llu exceeds %llu", what,
				   (unsigned long long)it.u, (unsigned long long)max);
	*v = it.u;
	return 0;
}

int qnet__r_int(struct qnet__r *r, int64_t min, int64_t max, int64_t *v, const char *what,
		struct eph_err *err)
{
	struct qnet__item it;
	size_t at = r->pos;
	int64_t x;
	int rc = qnet__r_next(r, &it, err);

	if (rc < 0)
		return eph_err_prefix(err, rc, "%s", what);
	if (it.type == QNET__CT_UINT && it.u <= (uint64_t)INT64_MAX)
		x = (int64_t)it.u;
	else if (it.type == QNET__CT_NEGINT && it.u <= (uint64_t)INT64_MAX)
		x = -1 - (int64_t)it.u;
	else
		return eph_err_set(err, EPH_EFORMAT, "%s: not an integer at byte %zu", what, at);
	if (x < min || x > max)
		return eph_err_set(err, EPH_EVERIFY, "%s: %lld outside %lld..%lld", what,
				   (long long)x, (long long)min, (long long)max);
	*v = x;
	return 0;
}

int qnet__r_f32(struct qnet__r *r, float *v, const char *what, struct eph_err *err)
{
	struct qnet__item it;
	int rc = want(r, &it, QNET__CT_FLOAT, "a float32", what, err);

	if (rc < 0)
		return rc;
	*v = (float)it.f;
	return 0;
}

int qnet__r_array(struct qnet__r *r, uint64_t n, const char *what, struct eph_err *err)
{
	struct qnet__item it;
	int rc = want(r, &it, QNET__CT_ARRAY, "an array", what, err);

	if (rc < 0)
		return rc;
	if (it.u != n)
		return eph_err_set(err, EPH_EVERIFY, "%s: %llu entries, expected %llu", what,
				   (unsigned long long)it.u, (unsigned long long)n);
	return 0;
}

int qnet__r_map(struct qnet__r *r, uint64_t n, const char *what, struct eph_err *err)
{
	struct qnet__item it;
	int rc = want(r, &it, QNET__CT_MAP, "a map", what, err);

	if (rc < 0)
		return rc;
	if (it.u != n)
		return eph_err_set(err, EPH_EVERIFY, "%s: %llu entries, expected %llu", what,
				   (unsigned long long)it.u, (unsigned long long)n);
	return 0;
}

int qnet__r_key(struct qnet__r *r, const char *key, struct eph_err *err)
{
	struct qnet__item it;
	size_t at = r->pos;
	int rc = want(r, &it, QNET__CT_TEXT, "a text key", key, err);

	if (rc < 0)
		return rc;
	if (it.n != strlen(key) || memcmp(it.data, key, it.n) != 0)
		return eph_err_set(err, EPH_EFORMAT, "expected key \"%s\" at byte %zu", key, at);
	return 0;
}

int qnet__r_bytes(struct qnet__r *r, size_t want_n, size_t max, const uint8_t **p, size_t *n,
		  const char *what, struct eph_err *err)
{
	struct qnet__item it;
	int rc = want(r, &it, QNET__CT_BYTES, "a byte string", what, err);

	if (rc < 0)
		return rc;
	if (want_n > 0 ? it.n != want_n : it.n > max)
		return eph_err_set(err, EPH_EVERIFY, "%s: %zu bytes, expected %s%zu", what, it.n,
				   want_n > 0 ? "" : "at most ", want_n > 0 ? want_n : max);
	*p = it.data;
	*n = it.n;
	return 0;
}

int qnet__r_text(struct qnet__r *r, char *dst, size_t cap, const char *what,
		 struct eph_err *err)
{
	struct qnet__item it;
	int rc = want(r, &it, QNET__CT_TEXT, "a text string", what, err);

	if (rc < 0)
		return rc;
	if (it.n >= cap || memchr(it.data, '\0', it.n) != NULL)
		return eph_err_set(err, EPH_EVERIFY, "%s: %zu bytes or an embedded NUL (max %zu)",
				   what, it.n, cap - 1);
	memcpy(dst, it.data, it.n);
	dst[it.n] = '\0';
	return 0;
}

static int le32s(struct qnet__r *r, void *v, size_t n, const char *what, struct eph_err *err)
{
	struct eph_cur c;
	const uint8_t *p;
	size_t len, i;
	uint32_t u;
	int rc;

	if (n == 0 || n > SIZE_MAX / 4)
		return eph_err_set(err, EPH_EVERIFY, "%s: bad element count %zu", what, n);
	rc = qnet__r_bytes(r, n * 4, 0, &p, &len, what, err);
	if (rc < 0)
		return rc;
	eph_cur_init(&c, p, len);
	for (i = 0; i < n; i++) {
		if (eph_cur_u32le(&c, &u) < 0)
			return eph_err_set(err, EPH_EFORMAT, "%s: short array", what);
		memcpy((uint8_t *)v + 4 * i, &u, 4);
	}
	return 0;
}

int qnet__r_f32s(struct qnet__r *r, float *v, size_t n, const char *what, struct eph_err *err)
{
	return le32s(r, v, n, what, err);
}

int qnet__r_i32s(struct qnet__r *r, int32_t *v, size_t n, const char *what,
		 struct eph_err *err)
{
	return le32s(r, v, n, what, err);
}
