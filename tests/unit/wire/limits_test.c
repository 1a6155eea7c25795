/*
 * limits_test.c - the structural rules of a body, checked before any tree
 * is built (proto/src/scan.c): definite lengths only, one map and nothing
 * after it, bounded size, depth and item count, no stray break or
 * reserved header. Each refusal names the byte offset.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "wt.h"

#define WIRE_MAX_DEPTH_TEST 16 /* WIRE_MAX_DEPTH of proto/src/wire-priv.h */

static struct wb b;
static struct eph_err err;

static void setup(void)
{
	memset(&b, 0, sizeof(b));
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	wb_free(&b);
}

TestSuite(wire_limits, .init = setup, .fini = teardown);

static int resp(void)
{
	struct wire_activate_resp m;
	int rc;

	rc = wire_activate_resp_decode(&m, b.p, b.n, &err);
	if (rc == 0)
		wire_activate_resp_free(&m);
	return rc;
}

/* {1: 1, 19: "ok", <one more pair written by the caller>} */
static void resp_plus_one(void)
{
	b.n = 0;
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 19);
	wb_tstr(&b, "ok");
}

static void resp_with_status(const void *s, size_t n)
{
	b.n = 0;
	wb_head(&b, 5, 2);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 19);
	wb_tstrn(&b, s, n);
}

Test(wire_limits, indefinite_lengths)
{
	/* an indefinite map at the top */
	wb_put(&b, "\xbf\x01\x01\x13\x62ok\xff", 8);
	wt_refused(resp(), EPH_EFORMAT, &err, "indefinite-length item at byte 0");
	/* an indefinite text string as a known value */
	b.n = 0;
	wb_put(&b, "\xa2\x01\x01\x13\x7f\x61o\x61k\xff", 10);
	wt_refused(resp(), EPH_EFORMAT, &err, "indefinite-length item at byte 4");
	/* an indefinite array under an unknown key */
	resp_plus_one();
	b.p[0] = 0xa3;
	wb_uint(&b, 99);
	wb_put(&b, "\x9f\x01\xff", 3);
	wt_refused(resp(), EPH_EFORMAT, &err, "indefinite-length item");
	/* an indefinite byte string */
	b.n = 0;
	wb_put(&b, "\xa3\x01\x01\x13\x62ok\x18\x63\x5f\x41\x00\xff", 13);
	wt_refused(resp(), EPH_EFORMAT, &err, "indefinite-length item at byte 9");
}

Test(wire_limits, stray_break_and_reserved_headers)
{
	wb_put(&b, "\xff", 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "unexpected break (0xff) at byte 0");
	b.n = 0;
	wb_put(&b, "\xa2\x01\x01\x13\xff", 5);
	wt_refused(resp(), EPH_EFORMAT, &err, "unexpected break (0xff) at byte 4");
	b.n = 0;
	wb_put(&b, "\xa2\x01\x01\x13\x1c", 5); /* additional info 28 is reserved */
	wt_refused(resp(), EPH_EFORMAT, &err, "malformed CBOR at byte 4");
}

Test(wire_limits, trailing_bytes)
{
	resp_with_status("ok", 2);
	wb_u8(&b, 0x00);
	wt_refused(resp(), EPH_EFORMAT, &err, "1 trailing bytes after the map at byte 7");
	resp_with_status("ok", 2);
	wb_put(&b, "\xa0\xa0", 2); /* a second, well-formed map */
	wt_refused(resp(), EPH_EFORMAT, &err, "2 trailing bytes");
}

Test(wire_limits, not_a_map)
{
	static const char *bodies[] = {"\x80", "\x01", "\x62ok", "\x41\x00", "\xf6",
				       "\xc1\xa0", "\x82\xa0\xa0"};
	static const size_t lens[] = {1, 1, 3, 2, 1, 2, 3};
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		b.n = 0;
		wb_put(&b, bodies[i], lens[i]);
		wt_refused(resp(), EPH_EFORMAT, &err, "body is not a CBOR map");
	}
}

Test(wire_limits, empty_and_oversize_body)
{
	uint8_t *big;
	struct wire_activate_resp m;

	cr_assert_eq(wire_activate_resp_decode(&m, NULL, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "empty body") != NULL, "%s", err.msg);
	big = calloc(1, WIRE_MAX_BODY + 1);
	cr_assert_not_null(big);
	big[0] = 0xa1;
	wt_refused(wire_activate_resp_decode(&m, big, WIRE_MAX_BODY + 1, &err), EPH_EFORMAT, &err,
		   "body of 4194305 bytes exceeds 4194304");
	free(big);
}

/* {1: 1, 19: "ok", 99: <levels times open> 0}, e.g. [[[...[0]...]]] */
static void nested(size_t levels, const char *open, size_t n)
{
	size_t i;

	resp_plus_one();
	wb_uint(&b, 99);
	for (i = 0; i < levels; i++)
		wb_put(&b, open, n);
	wb_u8(&b, 0x00);
}

Test(wire_limits, depth_bombs)
{
	nested(WIRE_MAX_DEPTH_TEST - 1, "\x81", 1); /* the map is depth 1: 16 in all */
	cr_assert_eq(resp(), 0, "%s", err.msg);
	nested(WIRE_MAX_DEPTH_TEST, "\x81", 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "nesting deeper than 16 at byte 24");
	nested(WIRE_MAX_DEPTH_TEST, "\xc1", 1); /* tags nest too */
	wt_refused(resp(), EPH_EFORMAT, &err, "nesting deeper than 16");
	nested(WIRE_MAX_DEPTH_TEST - 1, "\xa1\x00", 2); /* {0: {0: ... {0: 0}}} */
	cr_assert_eq(resp(), 0, "%s", err.msg);
	nested(WIRE_MAX_DEPTH_TEST, "\xa1\x00", 2);
	wt_refused(resp(), EPH_EFORMAT, &err, "nesting deeper than 16");
}

Test(wire_limits, deep_bomb_of_a_whole_body_is_refused_fast)
{
	size_t n = WIRE_MAX_BODY - 16;
	uint8_t *p = malloc(n);

	cr_assert_not_null(p);
	resp_plus_one();
	wb_uint(&b, 99);
	memset(p, 0x81, n);
	wb_put(&b, p, n);
	free(p);
	wt_refused(resp(), EPH_EFORMAT, &err, "nesting deeper than 16");
}

Test(wire_limits, item_bombs)
{
	size_t i;

	/* an array claiming 2^64-1 items in a tiny body */
	resp_plus_one();
	wb_uint(&b, 99);
	wb_put(&b, "\x9b\xff\xff\xff\xff\xff\xff\xff\xff\x00", 10);
	wt_refused(resp(), EPH_EFORMAT, &err,
		   "container of 18446744073709551615 items at byte 9 exceeds the 1 bytes left");
	/* a map claiming 2^32 pairs */
	resp_plus_one();
	wb_uint(&b, 99);
	wb_put(&b, "\xba\xff\xff\xff\xff\x00\x00", 7);
	wt_refused(resp(), EPH_EFORMAT, &err, "map of 4294967295 pairs at byte 9");
	/* a byte string longer than the body */
	resp_plus_one();
	wb_uint(&b, 99);
	wb_put(&b, "\x5a\x00\x10\x00\x00\x00", 6);
	wt_refused(resp(), EPH_EFORMAT, &err, "truncated at byte 9");
	/* 5000 small items, each fine, too many together */
	resp_plus_one();
	wb_uint(&b, 99);
	wb_head(&b, 4, 5000);
	for (i = 0; i < 5000; i++)
		wb_u8(&b, 0);
	wt_refused(resp(), EPH_EFORMAT, &err, "more than 4096 items");
	/* the same in 100 arrays of 50 */
	resp_plus_one();
	wb_uint(&b, 99);
	wb_head(&b, 4, 100);
	for (i = 0; i < 5000; i++) {
		if (i % 50 == 0)
			wb_head(&b, 4, 50);
		wb_u8(&b, 0);
	}
	wt_refused(resp(), EPH_EFORMAT, &err, "more than 4096 items");
}
