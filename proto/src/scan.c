/*
 * scan.c - the structural pre-scan of a wire body (RFC 8949 encoding):
 * before cbor_load() builds a tree, walk the bytes item by item with
 * libcbor's streaming decoder (cbor_stream_decode, one header per call, no
 * allocation, no recursion) and refuse
 *   - a body that is not exactly one item, or whose item is not a map;
 *   - indefinite-length strings, arrays and maps (0x5f 0x7f 0x9f 0xbf) and
 *     a stray break (0xff): this protocol has definite lengths only, so
 *     chunk lists and open-ended containers never reach the tree builder;
 *   - nesting deeper than WIRE_MAX_DEPTH (arrays, maps and tags count;
 *     the top-level map is depth 1), so that libcbor's recursive
 *     cbor_decref() and our walk stay shallow whatever the input;
 *   - more than WIRE_MAX_ITEMS items, and any container that declares more
 *     entries than bytes remain: cbor_load() preallocates a container's
 *     declared size, so an unchecked 0x9b ffffffffffffffff would be an
 *     allocation bomb;
 *   - truncation and malformed headers (reserved additional info 28..30),
 *     naming the byte offset;
 *   - text strings that are not valid UTF-8 (RFC 8949 3.1 major type 3),
 *     wherever they are: cbor_load() would refuse them without saying
 *     where, so the scan names the top-level key and the byte.
 *
 * Example: a1 01 01 = {1: 1} passes; a1 01 9f ff (an indefinite array) is
 * refused at byte 2; a1 18 63 81 81 81 ... (17 nested arrays under key 99)
 * is refused at the array that opens depth 17.
 *
 * Not here: keys, types and values of the message (decode.c does that on
 * the tree); UTF-8 checks (decode.c, only for the strings it reads).
 */
#include "wire-priv.h"

#include <cbor.h>
#include <string.h>

enum scan_kind {
	SCAN_LEAF,  /* a complete item: integer, string, float, simple value */
	SCAN_ARRAY, /* count = entries */
	SCAN_MAP,   /* count = pairs */
	SCAN_TAG,   /* one item follows */
	SCAN_INDEF, /* an indefinite-length string, array or map */
	SCAN_BREAK, /* 0xff */
};

struct scan_ctx {
	enum scan_kind kind;
	uint64_t count;        /* ARRAY, MAP, TAG */
	bool is_uint;          /* the item is an unsigned integer ... */
	uint64_t uval;         /* ... of this value */
	const uint8_t *text;   /* the item is a text string of text_len bytes */
	size_t text_len;
};

static void on_uint(struct scan_ctx *c, uint64_t v)
{
	c->kind = SCAN_LEAF;
	c->is_uint = true;
	c->uval = v;
}

static void on_u8(void *ctx, uint8_t v)
{
	on_uint(ctx, v);
}

static void on_n8(void *ctx, uint8_t v)
{
	(void)v;
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_u16(void *ctx, uint16_t v)
{
	on_uint(ctx, v);
}

static void on_n16(void *ctx, uint16_t v)
{
	(void)v;
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_u32(void *ctx, uint32_t v)
{
	on_uint(ctx, v);
}

static void on_n32(void *ctx, uint32_t v)
{
	(void)v;
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_u64(void *ctx, uint64_t v)
{
	on_uint(ctx, v);
}

static void on_n64(void *ctx, uint64_t v)
{
	(void)v;
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_string(void *ctx, cbor_data p, size_t n)
{
	(void)p;
	(void)n;
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_text(void *ctx, cbor_data p, size_t n)
{
	struct scan_ctx *c = ctx;

	c->kind = SCAN_LEAF;
	c->text = p;
	c->text_len = n;
}

static void on_simple(void *ctx)
{
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_float(void *ctx, float v)
{
	(void)v;
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_double(void *ctx, double v)
{
	(void)v;
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_bool(void *ctx, bool v)
{
	(void)v;
	((struct scan_ctx *)ctx)->kind = SCAN_LEAF;
}

static void on_indef(void *ctx)
{
	((struct scan_ctx *)ctx)->kind = SCAN_INDEF;
}

static void on_break(void *ctx)
{
	((struct scan_ctx *)ctx)->kind = SCAN_BREAK;
}

static void on_array(void *ctx, size_t n)
{
	struct scan_ctx *c = ctx;

	c->kind = SCAN_ARRAY;
	c->count = n;
}

static void on_map(void *ctx, size_t n)
{
	struct scan_ctx *c = ctx;

	c->kind = SCAN_MAP;
	c->count = n;
}

static void on_tag(void *ctx, uint64_t v)
{
	struct scan_ctx *c = ctx;

	(void)v;
	c->kind = SCAN_TAG;
	c->count = 1;
}

/* Named by field, not by position: libcbor 0.8's own comments on the
 * indefinite/definite members are swapped, the member names are right. */
static const struct cbor_callbacks scan_callbacks = {
	.uint8 = on_u8,
	.uint16 = on_u16,
	.uint32 = on_u32,
	.uint64 = on_u64,
	.negint8 = on_n8,
	.negint16 = on_n16,
	.negint32 = on_n32,
	.negint64 = on_n64,
	.byte_string = on_string,
	.byte_string_start = on_indef,
	.string = on_text,
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

int wire__scan(const uint8_t *buf, size_t len, struct eph_err *err)
{
	uint64_t left[WIRE_MAX_DEPTH]; /* entries still to come per open container */
	size_t depth = 0, items = 0, pos = 0, bad;
	bool have_key = false;  /* key: the top-level key whose value is being read */
	uint64_t key = 0;
	struct scan_ctx ctx;
	struct cbor_decoder_result r;

	if (len == 0)
		return eph_err_set(err, EPH_EFORMAT, "empty body");
	if (len > WIRE_MAX_BODY)
		return eph_err_set(err, EPH_EFORMAT, "body of %zu bytes exceeds %u", len,
				   WIRE_MAX_BODY);
	do {
		memset(&ctx, 0, sizeof(ctx));
		if (pos >= len)
			return eph_err_set(err, EPH_EFORMAT, "truncated at byte %zu", pos);
		r = cbor_stream_decode(buf + pos, len - pos, &scan_callbacks, &ctx);
		if (r.status == CBOR_DECODER_NEDATA)
			return eph_err_set(err, EPH_EFORMAT, "truncated at byte %zu", pos);
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || r.read > len - pos)
			return eph_err_set(err, EPH_EFORMAT, "malformed CBOR at byte %zu", pos);
		if (++items > WIRE_MAX_ITEMS)
			return eph_err_set(err, EPH_EFORMAT, "more than %u items at byte %zu",
					   WIRE_MAX_ITEMS, pos);
		if (ctx.kind == SCAN_INDEF)
			return eph_err_set(err, EPH_EFORMAT,
					   "indefinite-length item at byte %zu: only definite lengths are accepted",
					   pos);
		if (ctx.kind == SCAN_BREAK)
			return eph_err_set(err, EPH_EFORMAT, "unexpected break (0xff) at byte %zu",
					   pos);
		if (items == 1 && ctx.kind != SCAN_MAP)
			return eph_err_set(err, EPH_EFORMAT, "body is not a CBOR map");
		/* At depth 1 with an even number of items left, this is a key. */
		if (depth == 1 && left[0] % 2 == 0) {
			have_key = ctx.is_uint;
			key = ctx.uval;
		}
		/* cbor_load() refuses invalid UTF-8 too, but could not say where. */
		if (ctx.text != NULL && (bad = wire__utf8_check(ctx.text, ctx.text_len)) !=
						ctx.text_len) {
			if (have_key)
				return eph_err_set(err, EPH_EFORMAT,
						   "key %llu: invalid UTF-8 in text string at byte %zu",
						   (unsigned long long)key,
						   pos + r.read - ctx.text_len + bad);
			return eph_err_set(err, EPH_EFORMAT,
					   "invalid UTF-8 in text string at byte %zu",
					   pos + r.read - ctx.text_len + bad);
		}
		pos += r.read;
		if (ctx.kind == SCAN_MAP) {
			/* Each key and value takes at least one byte. */
			if (ctx.count > (len - pos) / 2)
				return eph_err_set(err, EPH_EFORMAT,
						   "map of %llu pairs at byte %zu exceeds the %zu bytes left",
						   (unsigned long long)ctx.count, pos - r.read,
						   len - pos);
			ctx.count *= 2;
		}
		if (ctx.kind != SCAN_LEAF && ctx.count > len - pos)
			return eph_err_set(err, EPH_EFORMAT,
					   "container of %llu items at byte %zu exceeds the %zu bytes left",
					   (unsigned long long)ctx.count, pos - r.read, len - pos);
		if (ctx.kind != SCAN_LEAF && ctx.count > WIRE_MAX_ITEMS - items)
			return eph_err_set(err, EPH_EFORMAT, "more than %u items at byte %zu",
					   WIRE_MAX_ITEMS, pos - r.read);
		if (ctx.kind != SCAN_LEAF && ctx.count > 0) {
			if (depth == WIRE_MAX_DEPTH)
				return eph_err_set(err, EPH_EFORMAT,
						   "nesting deeper than %u at byte %zu",
						   WIRE_MAX_DEPTH, pos - r.read);
			left[depth++] = ctx.count;
			continue;
		}
		/* One item is complete: close every container it completes. */
		while (depth > 0 && --left[depth - 1] == 0)
			depth--;
	} while (depth > 0);
	if (pos != len)
		return eph_err_set(err, EPH_EFORMAT, "%zu trailing bytes after the map at byte %zu",
				   len - pos, pos);
	return 0;
}
