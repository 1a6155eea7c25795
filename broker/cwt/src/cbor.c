/*
 * cbor.c - the strict CBOR reader (RFC 8949) under every COSE and CWT
 * parser of this module: one item head at a time through libcbor's
 * streaming decoder (cbor_stream_decode: no allocation, no recursion,
 * strings handed over whole, pointing into the input; tag heads are decoded
 * here, see tag_head()), and a structural check of a whole item before
 * anything interprets it.
 *
 * Refused, with the byte offset: truncation; malformed heads (reserved
 * additional info 28..30); indefinite-length strings, arrays and maps
 * (0x5f 0x7f 0x9f 0xbf) and a stray break (0xff); nesting deeper than
 * CWT_MAX_DEPTH (arrays, maps and tags count); containers declaring more
 * entries than bytes remain; maps with more than CWT_MAX_PAIRS pairs, with
 * keys other than integers and text strings, or with a key twice (compared
 * by value, so 0x01 and 0x18 0x01 are the same key); invalid UTF-8 in text;
 * simple values other than false, true, null and undefined; bytes after the
 * item.
 *
 * Example: a2 01 61 61 02 40 = {1: "a", 2: h''} passes; a2 01 00 18 01 00 =
 * {1: 0, 1: 0} is refused at byte 3 (duplicate key 1); 9f 01 ff is refused
 * at byte 0 (indefinite array); 81 01 00 at byte 2 (trailing byte).
 *
 * Not here: what the items mean (cose.c, claims.c); deterministic-encoding
 * rules (the signature covers the bytes as sent, so they need not be
 * canonical).
 */
#include "cwt-priv.h"

#include <cbor.h>
#include <string.h>

struct head_ctx {
	struct cwt__item *it;
	bool indef;  /* an indefinite-length start */
	bool brk;    /* a break */
	bool simple_bad;
};

static void set_int(void *ctx, enum cwt__type t, uint64_t v)
{
	struct head_ctx *h = ctx;

	h->it->type = t;
	h->it->v = v;
}

static void on_u8(void *c, uint8_t v) { set_int(c, CWT_T_UINT, v); }
static void on_u16(void *c, uint16_t v) { set_int(c, CWT_T_UINT, v); }
static void on_u32(void *c, uint32_t v) { set_int(c, CWT_T_UINT, v); }
static void on_u64(void *c, uint64_t v) { set_int(c, CWT_T_UINT, v); }
static void on_n8(void *c, uint8_t v) { set_int(c, CWT_T_NEGINT, v); }
static void on_n16(void *c, uint16_t v) { set_int(c, CWT_T_NEGINT, v); }
static void on_n32(void *c, uint32_t v) { set_int(c, CWT_T_NEGINT, v); }
static void on_n64(void *c, uint64_t v) { set_int(c, CWT_T_NEGINT, v); }
static void on_array(void *c, size_t n) { set_int(c, CWT_T_ARRAY, n); }
static void on_map(void *c, size_t n) { set_int(c, CWT_T_MAP, n); }
static void on_tag(void *c, uint64_t v) { set_int(c, CWT_T_TAG, v); }

static void on_str(void *ctx, enum cwt__type t, cbor_data p, size_t n)
{
	struct head_ctx *h = ctx;

	h->it->type = t;
	h->it->p = p;
	h->it->n = n;
}

static void on_bstr(void *c, cbor_data p, size_t n) { on_str(c, CWT_T_BSTR, p, n); }
static void on_tstr(void *c, cbor_data p, size_t n) { on_str(c, CWT_T_TSTR, p, n); }

static void on_indef(void *ctx) { ((struct head_ctx *)ctx)->indef = true; }
static void on_break(void *ctx) { ((struct head_ctx *)ctx)->brk = true; }
static void on_simple(void *ctx) { set_int(ctx, CWT_T_SIMPLE, 0); }
static void on_bool(void *ctx, bool v) { set_int(ctx, CWT_T_SIMPLE, v); }
static void on_float(void *ctx, float v) { (void)v; set_int(ctx, CWT_T_FLOAT, 0); }
static void on_double(void *ctx, double v) { (void)v; set_int(ctx, CWT_T_FLOAT, 0); }

/* Named by field: libcbor 0.8's comments on the (in)definite members are swapped. */
static const struct cbor_callbacks head_callbacks = {
	.uint8 = on_u8,
	.uint16 = on_u16,
	.uint32 = on_u32,
	.uint64 = on_u64,
	.negint8 = on_n8,
	.negint16 = on_n16,
	.negint32 = on_n32,
	.negint64 = on_n64,
	.byte_string = on_bstr,
	.byte_string_start = on_indef,
	.string = on_tstr,
	.string_start = on_indef,
	.array_start = on_array,
	.indef_array_start = on_indef,
	.map_start = on_map,
	.indef_map_start = on_indef,
	.tag = on_tag,
	.float2 = on_float,
	.float4 = on_float,
	.float8 = on_double,
	.undefined = on_simple,
	.null = on_simple,
	.boolean = on_bool,
	.indef_break = on_break,
};

void cwt__rd_init(struct cwt__rd *r, const uint8_t *buf, size_t len, const char *what)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->what = what;
}

/*
 * Tags (major type 6) are decoded here: libcbor 0.8's streaming decoder
 * calls tags 6..20 (0xc6..0xd4) "unassigned" and fails on them, and
 * COSE_Sign1 is tag 18 (0xd2).
 */
static int tag_head(struct cwt__rd *r, struct cwt__item *it, struct eph_err *err)
{
	uint8_t ai = r->buf[r->pos] & 0x1f;
	size_t w, i;
	uint64_t v = 0;

	if (ai < 24) {
		v = ai;
		w = 0;
	} else if (ai <= 27) {
		w = (size_t)1 << (ai - 24);
	} else {
		return eph_err_set(err, EPH_EFORMAT, "%s: malformed tag head at byte %zu", r->what,
				   r->pos);
	}
	if (w > r->len - r->pos - 1)
		return eph_err_set(err, EPH_EFORMAT, "%s: truncated item at byte %zu", r->what,
				   r->pos);
	for (i = 0; i < w; i++)
		v = v << 8 | r->buf[r->pos + 1 + i];
	it->type = CWT_T_TAG;
	it->v = v;
	r->pos += 1 + w;
	return 0;
}

int cwt__rd_head(struct cwt__rd *r, struct cwt__item *it, struct eph_err *err)
{
	struct head_ctx h = { .it = it };
	struct cbor_decoder_result res;
	uint8_t b;

	memset(it, 0, sizeof(*it));
	it->type = CWT_T_SIMPLE;
	it->off = r->pos;
	if (r->pos >= r->len)
		return eph_err_set(err, EPH_EFORMAT, "%s: truncated at byte %zu", r->what, r->pos);
	b = r->buf[r->pos];
	/* Simple values 0..19, 24..31 (f8 xx): unassigned or reserved. */
	if ((b >= 0xe0 && b <= 0xf3) || b == 0xf8 || (b >= 0xfc && b <= 0xfe))
		return eph_err_set(err, EPH_EFORMAT, "%s: unassigned simple value 0x%02x at byte %zu",
				   r->what, b, r->pos);
	if (b >> 5 == 6)
		return tag_head(r, it, err);
	res = cbor_stream_decode(r->buf + r->pos, r->len - r->pos, &head_callbacks, &h);
	if (res.status == CBOR_DECODER_NEDATA)
		return eph_err_set(err, EPH_EFORMAT, "%s: truncated item at byte %zu", r->what,
				   r->pos);
	if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || res.read > r->len - r->pos)
		return eph_err_set(err, EPH_EFORMAT, "%s: malformed CBOR at byte %zu", r->what,
				   r->pos);
	if (h.indef)
		return eph_err_set(err, EPH_EFORMAT,
				   "%s: indefinite-length item at byte %zu (definite lengths only)",
				   r->what, r->pos);
	if (h.brk)
		return eph_err_set(err, EPH_EFORMAT, "%s: unexpected break (0xff) at byte %zu",
				   r->what, r->pos);
	r->pos += res.read;
	return 0;
}

static int skip_depth(struct cwt__rd *r, const struct cwt__item *it, unsigned depth,
		      struct eph_err *err)
{
	struct cwt__item sub;
	uint64_t n, i;
	int rc;

	if (it->type != CWT_T_ARRAY && it->type != CWT_T_MAP && it->type != CWT_T_TAG)
		return 0;
	if (depth >= CWT_MAX_DEPTH)
		return eph_err_set(err, EPH_EFORMAT, "%s: nesting deeper than %u at byte %zu",
				   r->what, CWT_MAX_DEPTH, it->off);
	n = it->type == CWT_T_TAG ? 1 : it->v;
	if (n > r->len - r->pos || (it->type == CWT_T_MAP && n > (r->len - r->pos) / 2))
		return eph_err_set(err, EPH_EFORMAT,
				   "%s: container of %llu entries at byte %zu exceeds the %zu bytes left",
				   r->what, (unsigned long long)n, it->off, r->len - r->pos);
	if (it->type == CWT_T_MAP)
		n *= 2;
	for (i = 0; i < n; i++) {
		rc = cwt__rd_head(r, &sub, err);
		if (rc < 0)
			return rc;
		rc = skip_depth(r, &sub, depth + 1, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cwt__rd_skip(struct cwt__rd *r, const struct cwt__item *it, struct eph_err *err)
{
	return skip_depth(r, it, 0, err);
}

size_t cwt__utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (need > n - i - 1)
			return i;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and code points past U+10FFFF. */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return i;
		i += need + 1;
	}
	return n;
}

int cwt__label_of(struct cwt__label *l, const struct cwt__item *it)
{
	memset(l, 0, sizeof(*l));
	if (it->type == CWT_T_TSTR) {
		l->is_text = true;
		l->p = it->p;
		l->n = it->n;
		return 0;
	}
	return cwt__item_int(it, &l->i);
}

bool cwt__label_eq(const struct cwt__label *a, const struct cwt__label *b)
{
	if (a->is_text != b->is_text)
		return false;
	if (!a->is_text)
		return a->i == b->i;
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

int cwt__item_int(const struct cwt__item *it, int64_t *v)
{
	if ((it->type != CWT_T_UINT && it->type != CWT_T_NEGINT) || it->v > INT64_MAX)
		return -1;
	*v = it->type == CWT_T_UINT ? (int64_t)it->v : -1 - (int64_t)it->v;
	return 0;
}

static int check_item(struct cwt__rd *r, unsigned depth, struct eph_err *err);

static int check_map(struct cwt__rd *r, const struct cwt__item *m, unsigned depth,
		     struct eph_err *err)
{
	struct cwt__label keys[CWT_MAX_PAIRS];
	struct cwt__item k;
	uint64_t i, j;
	int rc;

	if (m->v > CWT_MAX_PAIRS)
		return eph_err_set(err, EPH_EFORMAT, "%s: map of %llu pairs at byte %zu exceeds %u",
				   r->what, (unsigned long long)m->v, m->off, CWT_MAX_PAIRS);
	for (i = 0; i < m->v; i++) {
		rc = cwt__rd_head(r, &k, err);
		if (rc < 0)
			return rc;
		if (k.type == CWT_T_TSTR && cwt__utf8_valid(k.p, k.n) != k.n)
			return eph_err_set(err, EPH_EFORMAT,
					   "%s: invalid UTF-8 in map key at byte %zu", r->what,
					   k.off);
		if (cwt__label_of(&keys[i], &k) < 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "%s: map key at byte %zu is not an integer or text string",
					   r->what, k.off);
		for (j = 0; j < i; j++) {
			if (cwt__label_eq(&keys[i], &keys[j]))
				return eph_err_set(err, EPH_EFORMAT,
						   "%s: duplicate map key at byte %zu", r->what,
						   k.off);
		}
		rc = check_item(r, depth + 1, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_item(struct cwt__rd *r, unsigned depth, struct eph_err *err)
{
	struct cwt__item it;
	uint64_t i, n;
	int rc;

	rc = cwt__rd_head(r, &it, err);
	if (rc < 0)
		return rc;
	switch (it.type) {
	case CWT_T_TSTR:
		if (cwt__utf8_valid(it.p, it.n) != it.n)
			return eph_err_set(err, EPH_EFORMAT,
					   "%s: invalid UTF-8 in text string at byte %zu", r->what,
					   it.off);
		return 0;
	case CWT_T_ARRAY:
	case CWT_T_MAP:
	case CWT_T_TAG:
		break;
	default:
		return 0;
	}
	if (depth + 1 > CWT_MAX_DEPTH)
		return eph_err_set(err, EPH_EFORMAT, "%s: nesting deeper than %u at byte %zu",
				   r->what, CWT_MAX_DEPTH, it.off);
	n = it.type == CWT_T_TAG ? 1 : it.v;
	/* Each entry takes at least one byte (two per map pair). */
	if (n > r->len - r->pos || (it.type == CWT_T_MAP && n > (r->len - r->pos) / 2))
		return eph_err_set(err, EPH_EFORMAT,
				   "%s: container of %llu entries at byte %zu exceeds the %zu bytes left",
				   r->what, (unsigned long long)n, it.off, r->len - r->pos);
	if (it.type == CWT_T_MAP)
		return check_map(r, &it, depth, err);
	for (i = 0; i < n; i++) {
		rc = check_item(r, depth + 1, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cwt__cbor_check(const uint8_t *buf, size_t len, const char *what, struct eph_err *err)
{
	struct cwt__rd r;
	int rc;

	if (len == 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: empty", what);
	cwt__rd_init(&r, buf, len, what);
	rc = check_item(&r, 0, err);
	if (rc < 0)
		return rc;
	if (r.pos != len)
		return eph_err_set(err, EPH_EFORMAT, "%s: %zu trailing bytes at byte %zu", what,
				   len - r.pos, r.pos);
	return 0;
}
