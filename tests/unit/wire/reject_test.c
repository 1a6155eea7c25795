/*
 * reject_test.c - each rule of the decoders' contract about keys, types and
 * values, one test each: the return code and the message that names the
 * key and the problem (structural limits: limits_test.c).
 * Most use activate_resp {1: 1, 19: status} or activate_req, the smallest
 * messages; the rules are the same table-driven code for all ten.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "wt.h"


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

TestSuite(wire_reject, .init = setup, .fini = teardown);

static int resp(void)
{
	struct wire_activate_resp m;
	int rc;

	memset(&m, 0x5a, sizeof(m));
	rc = wire_activate_resp_decode(&m, b.p, b.n, &err);
	if (rc == 0)
		wire_activate_resp_free(&m);
	return rc;
}

static int req(void)
{
	struct wire_activate_req m;
	int rc;

	rc = wire_activate_req_decode(&m, b.p, b.n, &err);
	if (rc == 0)
		wire_activate_req_free(&m);
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

Test(wire_reject, accepts_the_baseline)
{
	resp_plus_one();
	wb_uint(&b, 99);
	wb_uint(&b, 7);
	cr_assert_eq(resp(), 0, "%s", err.msg);
}

Test(wire_reject, duplicate_known_key)
{
	resp_plus_one();
	wb_uint(&b, 19);
	wb_tstr(&b, "ok");
	wt_refused(resp(), EPH_EFORMAT, &err, "key 19 (status): duplicate");
	cr_assert(strncmp(err.msg, "activate_resp: ", 15) == 0, "%s", err.msg);
}

Test(wire_reject, duplicate_unknown_key)
{
	wb_head(&b, 5, 4);
	wb_uint(&b, 99);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 19);
	wb_tstr(&b, "ok");
	wb_uint(&b, 99);
	wb_uint(&b, 2);
	wt_refused(resp(), EPH_EFORMAT, &err, "key 99: duplicate");
}

Test(wire_reject, duplicate_version)
{
	resp_plus_one();
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "key 1 (version): duplicate");
}

Test(wire_reject, missing_required_key)
{
	wb_head(&b, 5, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "required key 19 (status) missing");
}

Test(wire_reject, required_key_empty)
{
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 2);
	wb_tstr(&b, "a-1");
	wb_uint(&b, 17);
	wb_bstr(&b, "", 0);
	wt_refused(req(), EPH_EFORMAT, &err, "key 17 (secret): required but empty");
}

Test(wire_reject, missing_version_in_request_and_response)
{
	wb_head(&b, 5, 2);
	wb_uint(&b, 2);
	wb_tstr(&b, "a-1");
	wb_uint(&b, 17);
	wb_bstr(&b, "s", 1);
	wt_refused(req(), EPH_EFORMAT, &err, "required key 1 (version) missing");
	wb_free(&b);
	wb_head(&b, 5, 1);
	wb_uint(&b, 19);
	wb_tstr(&b, "ok");
	wt_refused(resp(), EPH_EFORMAT, &err, "required key 1 (version) missing");
}

Test(wire_reject, other_version)
{
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 2);
	wb_uint(&b, 2);
	wb_tstr(&b, "a-1");
	wb_uint(&b, 17);
	wb_bstr(&b, "s", 1);
	wt_refused(req(), EPH_EUNSUPPORTED, &err, "key 1 (version): version 2, this build speaks 1");
}

Test(wire_reject, version_of_wrong_type)
{
	wb_head(&b, 5, 2);
	wb_uint(&b, 1);
	wb_tstr(&b, "1");
	wb_uint(&b, 19);
	wb_tstr(&b, "ok");
	wt_refused(resp(), EPH_EFORMAT, &err,
		   "key 1 (version): expected unsigned integer, got text string");
}

Test(wire_reject, error_is_read_whatever_its_version)
{
	struct wire_error m;

	/* {1: 7, 4: "unsupported version", 5: "version"}, then without key 1 */
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 7);
	wb_uint(&b, 4);
	wb_tstr(&b, "unsupported version");
	wb_uint(&b, 5);
	wb_tstr(&b, "version");
	cr_assert_eq(wire_error_decode(&m, b.p, b.n, &err), 0, "%s", err.msg);
	cr_assert_str_eq(m.message, "unsupported version");
	wire_error_free(&m);
	cr_assert_eq(wire_error_decode(&m, b.p + 3, b.n - 3, &err), -2, "not a map any more");
	b.p[2] = 0xa2; /* map(2) right before key 4 */
	cr_assert_eq(wire_error_decode(&m, b.p + 2, b.n - 2, &err), 0, "%s", err.msg);
	cr_assert_str_eq(m.code, "version");
	wire_error_free(&m);
}

Test(wire_reject, wrong_type_names_key_and_both_types)
{
	resp_plus_one();
	b.n = 0;
	wb_head(&b, 5, 2);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 19);
	wb_bstr(&b, "ok", 2);
	wt_refused(resp(), EPH_EFORMAT, &err,
		   "key 19 (status): expected text string, got byte string");
}

Test(wire_reject, wrong_types_everywhere)
{
	struct wire_challenge_resp m;

	/* {1: 1, 3: "nonce", 18: 1.5} */
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 3);
	wb_tstr(&b, "nonce");
	wb_uint(&b, 18);
	wb_put(&b, "\xf9\x3e\x00", 3);
	wt_refused(wire_challenge_resp_decode(&m, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "key 3 (nonce): expected byte string, got text string");
	b.n = 0;
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 3);
	wb_bfill(&b, 32, 7);
	wb_uint(&b, 18);
	wb_put(&b, "\xf9\x3e\x00", 3);
	wt_refused(wire_challenge_resp_decode(&m, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "key 18 (expires): expected unsigned integer, got float");
	b.n -= 3;
	wb_put(&b, "\xc1\x01", 2); /* tag 1 (epoch time), 1: still not a bare uint */
	wt_refused(wire_challenge_resp_decode(&m, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "key 18 (expires): expected unsigned integer, got tag");
	b.n -= 2;
	wb_neg(&b, 4);
	wt_refused(wire_challenge_resp_decode(&m, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "key 18 (expires): negative integer -5");
	b.n -= 1;
	wb_put(&b, "\xf5", 1);
	wt_refused(wire_challenge_resp_decode(&m, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "got boolean");
}

Test(wire_reject, nonce_of_wrong_length)
{
	struct wire_challenge_resp m;

	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 3);
	wb_bfill(&b, 31, 7);
	wb_uint(&b, 18);
	wb_uint(&b, 5);
	wt_refused(wire_challenge_resp_decode(&m, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "key 3 (nonce): byte string of 31 bytes, expected 32");
}

Test(wire_reject, uint32_overflow)
{
	struct wire_env m;

	wb_head(&b, 5, 4);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 42);
	wb_tstr(&b, "e");
	wb_uint(&b, 44);
	wb_uint(&b, 1ull << 32);
	wb_uint(&b, 46);
	wb_tstr(&b, "running");
	wt_refused(wire_env_decode(&m, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "key 44 (count): 4294967296 exceeds 4294967295");
}

Test(wire_reject, oversize_byte_string)
{
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 2);
	wb_tstr(&b, "a-1");
	wb_uint(&b, 17);
	wb_bfill(&b, WIRE_MAX_SMALL + 1, 1);
	wt_refused(req(), EPH_EFORMAT, &err, "key 17 (secret): byte string of 4097 bytes exceeds 4096");
	b.n = 0;
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 2);
	wb_tstr(&b, "a-1");
	wb_uint(&b, 17);
	wb_bfill(&b, WIRE_MAX_SMALL, 1);
	cr_assert_eq(req(), 0, "%s", err.msg);
}

Test(wire_reject, oversize_text_string)
{
	char s[WIRE_MAX_TEXT + 1];

	memset(s, 'x', sizeof(s));
	wb_head(&b, 5, 2);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 19);
	wb_tstrn(&b, s, WIRE_MAX_TEXT);
	wt_refused(resp(), EPH_EFORMAT, &err, "key 19 (status): text string of 256 bytes exceeds 255");
	b.n = 0;
	wb_head(&b, 5, 2);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 19);
	wb_tstrn(&b, s, WIRE_MAX_TEXT - 1); /* 255 bytes and the NUL fit */
	cr_assert_eq(resp(), 0, "%s", err.msg);
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

Test(wire_reject, nul_in_text_string)
{
	resp_with_status("o\0k", 3);
	wt_refused(resp(), EPH_EFORMAT, &err, "key 19 (status): NUL in text string at byte 1");
}

Test(wire_reject, invalid_text)
{
	resp_with_status("ok\n", 3);
	wt_refused(resp(), EPH_EFORMAT, &err, "control character 0x0a in text string at byte 2");
	/* {1: 1, 19: <text at byte 4, its bytes from 5 on>} */
	resp_with_status("\xc0\x80", 2); /* overlong NUL */
	wt_refused(resp(), EPH_EFORMAT, &err, "key 19: invalid UTF-8 in text string at byte 5");
	resp_with_status("a\xed\xa0\x80", 4); /* a UTF-16 surrogate */
	wt_refused(resp(), EPH_EFORMAT, &err, "key 19: invalid UTF-8 in text string at byte 6");
	resp_with_status("\xf4\x90\x80\x80", 4); /* beyond U+10FFFF */
	wt_refused(resp(), EPH_EFORMAT, &err, "invalid UTF-8 in text string at byte 5");
	resp_with_status("\xe2\x82", 2); /* cut short */
	wt_refused(resp(), EPH_EFORMAT, &err, "invalid UTF-8 in text string at byte 5");
	/* under an unknown key, deep inside: still named */
	resp_plus_one();
	wb_uint(&b, 99);
	wb_head(&b, 4, 1);
	wb_tstrn(&b, "\xff", 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "key 99: invalid UTF-8 in text string at byte 11");
	resp_with_status("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", 14);
	cr_assert_eq(resp(), 0, "valid UTF-8 refused: %s", err.msg);
}

Test(wire_reject, keys_must_be_unsigned)
{
	resp_plus_one();
	wb_neg(&b, 0);
	wb_uint(&b, 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "key -1: keys must be unsigned integers");
	resp_plus_one();
	wb_tstr(&b, "status");
	wb_uint(&b, 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "key of type text string: keys must be unsigned");
	resp_plus_one();
	wb_put(&b, "\xf9\x00\x00", 3);
	wb_uint(&b, 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "key of type float");
}

Test(wire_reject, cross_field_rules)
{
	struct wire_register_req r;
	struct wire_env_create_req e;

	wb_head(&b, 5, 2);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 12);
	wb_bfill(&b, 10, 1);
	wt_refused(wire_register_req_decode(&r, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "neither key 10 (ek_cert) nor key 11 (ek_pub) present");
	b.n = 0;
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 40);
	wb_bfill(&b, 10, 1);
	wb_uint(&b, 41);
	wb_tstr(&b, "env-1");
	wt_refused(wire_env_create_req_decode(&e, b.p, b.n, &err), EPH_EFORMAT, &err,
		   "both key 40 (claims) and key 41 (ref_env) present");
}

Test(wire_reject, failed_decode_leaves_nothing)
{
	struct wire_attest_req a, m;
	struct eph_err e2 = {{0}};
	uint8_t *buf = NULL;
	size_t len = 0;
	const uint8_t *z;
	size_t i;

	/* The last pair is 25 (ima_offset): 1234 = "18 19 19 04d2". Make the
	 * value a text string "ok": the walk fails after it has copied the
	 * quote, signature, event log and IMA chunk. */
	wt_attest_req(&a, 0);
	cr_assert_eq(wire_attest_req_encode(&buf, &len, &a, &e2), 0, "%s", e2.msg);
	cr_assert_eq(memcmp(buf + len - 5, "\x18\x19\x19\x04\xd2", 5), 0);
	memcpy(buf + len - 3, "\x62ok", 3);
	memset(&m, 0x33, sizeof(m));
	wt_refused(wire_attest_req_decode(&m, buf, len, &e2), EPH_EFORMAT, &e2,
		   "attest_req: key 25 (ima_offset): expected unsigned integer, got text string");
	for (z = (const uint8_t *)&m, i = 0; i < sizeof(m); i++)
		cr_assert_eq(z[i], 0, "byte %zu left behind", i);
	free(buf);
	wt_release();
}
