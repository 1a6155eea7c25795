/*
 * nested_test.c - the nested values: PCR banks (digest size per algorithm,
 * PCR index, bank count), the AR4SI result (claims 1..8, tiers 0..127) and
 * the attribute list (count, shape, confidence in [0,1]); and what the
 * encoders refuse to write.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hash.h"
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
	wt_release();
}

TestSuite(wire_nested, .init = setup, .fini = teardown);

/* An attest_req up to key 22, whose value the caller writes next. */
static void attest_prefix(void)
{
	b.n = 0;
	wb_head(&b, 5, 6);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 2);
	wb_tstr(&b, "a-1");
	wb_uint(&b, 3);
	wb_bfill(&b, 32, 0x11);
	wb_uint(&b, 20);
	wb_bfill(&b, 40, 0x22);
	wb_uint(&b, 21);
	wb_bfill(&b, 16, 0x33);
	wb_uint(&b, 22);
}

static int attest(struct wire_attest_req *m)
{
	int rc = wire_attest_req_decode(m, b.p, b.n, &err);

	return rc;
}

Test(wire_nested, pcr_banks_decode)
{
	struct wire_attest_req m;

	attest_prefix();
	wb_head(&b, 5, 2);
	wb_uint(&b, EPH_ALG_SHA256); /* written first, comes back second */
	wb_head(&b, 5, 2);
	wb_uint(&b, 7);
	wb_bfill(&b, 32, 0x77);
	wb_uint(&b, 0);
	wb_bfill(&b, 32, 0x00);
	wb_uint(&b, EPH_ALG_SHA1);
	wb_head(&b, 5, 1);
	wb_uint(&b, 23);
	wb_bfill(&b, 20, 0x23);
	cr_assert_eq(attest(&m), 0, "%s", err.msg);
	cr_assert_eq(m.num_banks, 2);
	cr_assert_eq(m.banks[0].alg, EPH_ALG_SHA1);
	cr_assert_eq(m.banks[0].size, 20);
	cr_assert_eq(m.banks[0].mask, 1u << 23);
	cr_assert_eq(m.banks[0].pcr[23][19], 0x23);
	cr_assert_eq(m.banks[1].alg, EPH_ALG_SHA256);
	cr_assert_eq(m.banks[1].mask, 0x81);
	cr_assert_eq(m.banks[1].pcr[7][31], 0x77);
	wire_attest_req_free(&m);
}

static void one_bank(uint64_t alg, uint64_t pcr, size_t size)
{
	attest_prefix();
	wb_head(&b, 5, 1);
	wb_uint(&b, alg);
	wb_head(&b, 5, 1);
	wb_uint(&b, pcr);
	wb_bfill(&b, size, 0xab);
}

Test(wire_nested, digest_size_must_match_the_algorithm)
{
	static const struct {
		uint16_t alg;
		size_t size;
	} ok[] = {{EPH_ALG_SHA1, 20}, {EPH_ALG_SHA256, 32}, {EPH_ALG_SHA384, 48},
		  {EPH_ALG_SHA512, 64}};
	struct wire_attest_req m;
	size_t i;

	for (i = 0; i < 4; i++) {
		one_bank(ok[i].alg, 10, ok[i].size);
		cr_assert_eq(attest(&m), 0, "%s", err.msg);
		wire_attest_req_free(&m);
		one_bank(ok[i].alg, 10, ok[i].size == 32 ? 20 : 32);
		cr_assert_eq(attest(&m), EPH_EFORMAT);
		cr_assert(strstr(err.msg, "key 22 (pcrs): bank ") != NULL, "%s", err.msg);
		cr_assert(strstr(err.msg, "pcr 10: digest of ") != NULL, "%s", err.msg);
	}
	one_bank(EPH_ALG_SHA256, 7, 20);
	wt_refused(attest(&m), EPH_EFORMAT, &err,
		   "attest_req: key 22 (pcrs): bank sha256: pcr 7: digest of 20 bytes, sha256 needs 32");
}

Test(wire_nested, pcr_index_below_24)
{
	struct wire_attest_req m;

	one_bank(EPH_ALG_SHA256, 24, 32);
	wt_refused(attest(&m), EPH_EFORMAT, &err, "bank sha256: pcr: 24 exceeds 23");
	one_bank(EPH_ALG_SHA256, 1ull << 40, 32);
	wt_refused(attest(&m), EPH_EFORMAT, &err, "exceeds 23");
	attest_prefix();
	wb_head(&b, 5, 1);
	wb_uint(&b, EPH_ALG_SHA256);
	wb_head(&b, 5, 1);
	wb_neg(&b, 0);
	wb_bfill(&b, 32, 0);
	wt_refused(attest(&m), EPH_EFORMAT, &err, "bank sha256: pcr: negative integer -1");
}

Test(wire_nested, pcr_bank_shape)
{
	struct wire_attest_req m;

	one_bank(0x0099, 0, 32);
	wt_refused(attest(&m), EPH_EUNSUPPORTED, &err, "bank 0x0099: unknown hash algorithm");
	one_bank(0x10000, 0, 32);
	wt_refused(attest(&m), EPH_EFORMAT, &err, "bank algorithm: 65536 exceeds 65535");
	attest_prefix();
	wb_head(&b, 4, 0);
	wt_refused(attest(&m), EPH_EFORMAT, &err, "key 22 (pcrs): expected map, got array");
	attest_prefix();
	wb_head(&b, 5, 0);
	wt_refused(attest(&m), EPH_EFORMAT, &err, "key 22 (pcrs): required but empty");
	attest_prefix();
	wb_head(&b, 5, 1);
	wb_uint(&b, EPH_ALG_SHA256);
	wb_head(&b, 5, 0);
	wt_refused(attest(&m), EPH_EFORMAT, &err, "bank sha256: no PCRs");
	attest_prefix();
	wb_head(&b, 5, 1);
	wb_uint(&b, EPH_ALG_SHA256);
	wb_head(&b, 5, 2);
	wb_uint(&b, 3);
	wb_bfill(&b, 32, 0);
	wb_uint(&b, 3);
	wb_bfill(&b, 32, 0);
	wt_refused(attest(&m), EPH_EFORMAT, &err, "bank sha256: pcr 3 twice");
	attest_prefix();
	wb_head(&b, 5, 1);
	wb_uint(&b, EPH_ALG_SHA256);
	wb_head(&b, 5, 1);
	wb_uint(&b, 3);
	wb_tstr(&b, "00");
	wt_refused(attest(&m), EPH_EFORMAT, &err,
		   "bank sha256: pcr 3: expected byte string, got text string");
}

Test(wire_nested, bank_count_and_duplicates)
{
	static const uint16_t algs[] = {EPH_ALG_SHA1, EPH_ALG_SHA256, EPH_ALG_SHA384,
					EPH_ALG_SHA512, EPH_ALG_SM3_256};
	struct wire_attest_req m;
	size_t i;

	attest_prefix();
	wb_head(&b, 5, 5);
	for (i = 0; i < 5; i++) {
		wb_uint(&b, algs[i]);
		wb_head(&b, 5, 1);
		wb_uint(&b, 0);
		wb_bfill(&b, eph_hash_size(algs[i]), 0);
	}
	wt_refused(attest(&m), EPH_EFORMAT, &err, "key 22 (pcrs): 5 banks exceed 4");
	attest_prefix();
	wb_head(&b, 5, 2);
	for (i = 0; i < 2; i++) {
		wb_uint(&b, EPH_ALG_SHA384);
		wb_head(&b, 5, 1);
		wb_uint(&b, i);
		wb_bfill(&b, 48, 0);
	}
	wt_refused(attest(&m), EPH_EFORMAT, &err, "bank sha384: twice");
}

/* An attest_resp {1: 1, 31: "continue", <caller's key and value>}. */
static void resp_prefix(uint64_t key)
{
	b.n = 0;
	wb_head(&b, 5, 3);
	wb_uint(&b, 1);
	wb_uint(&b, 1);
	wb_uint(&b, 31);
	wb_tstr(&b, "continue");
	wb_uint(&b, key);
}

static int resp(void)
{
	struct wire_attest_resp m;
	int rc = wire_attest_resp_decode(&m, b.p, b.n, &err);

	if (rc == 0)
		wire_attest_resp_free(&m);
	return rc;
}

Test(wire_nested, ar4si_result)
{
	struct wire_attest_resp m;

	resp_prefix(30);
	wb_head(&b, 5, 2);
	wb_uint(&b, 8);
	wb_uint(&b, 127);
	wb_uint(&b, 1);
	wb_uint(&b, 0);
	cr_assert_eq(wire_attest_resp_decode(&m, b.p, b.n, &err), 0, "%s", err.msg);
	cr_assert_eq(m.result[8], 127);
	wire_attest_resp_free(&m);
	resp_prefix(30);
	wb_head(&b, 5, 1);
	wb_uint(&b, 9);
	wb_uint(&b, 2);
	wt_refused(resp(), EPH_EFORMAT, &err, "key 30 (result): claim: 9 exceeds 8");
	resp_prefix(30);
	wb_head(&b, 5, 1);
	wb_uint(&b, 0);
	wb_uint(&b, 2);
	wt_refused(resp(), EPH_EFORMAT, &err, "claim 0: claims are 1..8");
	resp_prefix(30);
	wb_head(&b, 5, 1);
	wb_uint(&b, 3);
	wb_uint(&b, 128);
	wt_refused(resp(), EPH_EFORMAT, &err, "claim 3: tier: 128 exceeds 127");
	resp_prefix(30);
	wb_head(&b, 5, 1);
	wb_uint(&b, 3);
	wb_neg(&b, 0);
	wt_refused(resp(), EPH_EFORMAT, &err, "claim 3: tier: negative integer -1");
	resp_prefix(30);
	wb_head(&b, 5, 2);
	wb_uint(&b, 3);
	wb_uint(&b, 2);
	wb_uint(&b, 3);
	wb_uint(&b, 2);
	wt_refused(resp(), EPH_EFORMAT, &err, "claim 3 twice");
	resp_prefix(30);
	wb_head(&b, 5, 9);
	wt_refused(resp(), EPH_EFORMAT, &err, "map of 9 pairs at byte 16 exceeds the 0 bytes left");
}

static void attr(const char *name, const char *value, const char *conf, size_t conf_len)
{
	wb_head(&b, 4, 3);
	wb_tstr(&b, name);
	wb_tstr(&b, value);
	wb_put(&b, conf, conf_len);
}

Test(wire_nested, attrs_count_and_shape)
{
	size_t i;

	resp_prefix(33);
	wb_head(&b, 4, WIRE_MAX_ATTRS);
	for (i = 0; i < WIRE_MAX_ATTRS; i++)
		attr("n", "v", "\xf9\x3c\x00", 3); /* half 1.0 */
	cr_assert_eq(resp(), 0, "%s", err.msg);
	resp_prefix(33);
	wb_head(&b, 4, WIRE_MAX_ATTRS + 1);
	for (i = 0; i <= WIRE_MAX_ATTRS; i++)
		attr("n", "v", "\xf9\x3c\x00", 3);
	wt_refused(resp(), EPH_EFORMAT, &err, "key 33 (attrs): 33 attributes exceed 32");
	resp_prefix(33);
	wb_head(&b, 4, 1);
	wb_head(&b, 4, 2);
	wb_tstr(&b, "n");
	wb_tstr(&b, "v");
	wt_refused(resp(), EPH_EFORMAT, &err,
		   "attr 0: expected [name, value, confidence], got array of 2");
	resp_prefix(33);
	wb_head(&b, 4, 1);
	attr("", "v", "\xf9\x3c\x00", 3);
	wt_refused(resp(), EPH_EFORMAT, &err, "attr 0: empty name");
	resp_prefix(33);
	wb_head(&b, 4, 1);
	attr("n", "v", "\x01", 1);
	wt_refused(resp(), EPH_EFORMAT, &err,
		   "attr 0 (n): confidence: expected float, got unsigned integer");
	resp_prefix(33);
	wb_head(&b, 4, 1);
	attr("n", "v", "\xf6", 1);
	wt_refused(resp(), EPH_EFORMAT, &err, "confidence: expected float, got null");
	resp_prefix(33);
	wb_head(&b, 5, 0);
	wt_refused(resp(), EPH_EFORMAT, &err, "key 33 (attrs): expected array, got map");
}

Test(wire_nested, confidence_in_0_1)
{
	static const struct {
		const char *enc;
		size_t len;
		int ok;
	} c[] = {
		{"\xf9\x00\x00", 3, 1},                 /* 0.0 */
		{"\xf9\x80\x00", 3, 1},                 /* -0.0 */
		{"\xfa\x3f\x80\x00\x00", 5, 1},         /* 1.0f */
		{"\xfb\x3f\xe0\x00\x00\x00\x00\x00\x00", 9, 1}, /* 0.5 */
		{"\xf9\x3e\x00", 3, 0},                 /* 1.5 */
		{"\xfb\x3f\xf0\x00\x00\x00\x00\x00\x01", 9, 0}, /* 1 + 2^-52 */
		{"\xfa\xbd\xcc\xcc\xcd", 5, 0},         /* -0.1f */
		{"\xf9\x7e\x00", 3, 0},                 /* NaN */
		{"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9, 0}, /* NaN */
		{"\xf9\x7c\x00", 3, 0},                 /* +inf */
		{"\xf9\xfc\x00", 3, 0},                 /* -inf */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		resp_prefix(33);
		wb_head(&b, 4, 1);
		attr("clearance", "secret", c[i].enc, c[i].len);
		if (c[i].ok) {
			cr_assert_eq(resp(), 0, "case %zu: %s", i, err.msg);
		} else {
			wt_refused(resp(), EPH_EFORMAT, &err, "attr 0 (clearance): confidence ");
			cr_assert(strstr(err.msg, "outside [0,1]") != NULL, "%s", err.msg);
		}
	}
}

Test(wire_nested, encoders_refuse_what_decoders_would)
{
	struct wire_attest_req a;
	struct wire_attest_resp r;
	struct wire_activate_req q;
	uint8_t *buf = NULL;
	size_t len = 0;

	wt_attest_req(&a, 0);
	a.banks[1].size = 20;
	wt_refused(wire_attest_req_encode(&buf, &len, &a, &err), EPH_EFAIL, &err,
		   "key 22 (pcrs): bank sha256: digest size 20, sha256 needs 32");
	cr_assert_null(buf);
	a.banks[1].size = 32;
	a.banks[1].mask = 1u << 24;
	wt_refused(wire_attest_req_encode(&buf, &len, &a, &err), EPH_EFAIL, &err,
		   "PCR mask 0x1000000");
	a.banks[1].mask = 1;
	a.banks[2].alg = EPH_ALG_SHA256;
	a.banks[2].size = 32;
	wt_refused(wire_attest_req_encode(&buf, &len, &a, &err), EPH_EFAIL, &err,
		   "bank sha256: twice");
	a.num_banks = 5;
	wt_refused(wire_attest_req_encode(&buf, &len, &a, &err), EPH_EFAIL, &err,
		   "5 banks exceed 4");
	a.num_banks = 0;
	wt_refused(wire_attest_req_encode(&buf, &len, &a, &err), EPH_EFAIL, &err,
		   "key 22 (pcrs): required but empty");

	wt_attest_resp(&r);
	r.attrs[3].confidence = 1.01f;
	wt_refused(wire_attest_resp_encode(&buf, &len, &r, &err), EPH_EFAIL, &err,
		   "key 33 (attrs): attr 3 (platform): confidence 1.01 outside [0,1]");
	r.attrs[3].confidence = __builtin_nanf("");
	wt_refused(wire_attest_resp_encode(&buf, &len, &r, &err), EPH_EFAIL, &err,
		   "confidence nan outside [0,1]");
	r.attrs[3].confidence = 1.0f;
	memset(r.attrs[5].value, 'x', sizeof(r.attrs[5].value));
	wt_refused(wire_attest_resp_encode(&buf, &len, &r, &err), EPH_EFAIL, &err,
		   "attr 5: value: not NUL-terminated within 256 bytes");
	r.attrs[5].value[0] = '\0';
	r.attrs[6].name[0] = '\0';
	wt_refused(wire_attest_resp_encode(&buf, &len, &r, &err), EPH_EFAIL, &err,
		   "attr 6: empty name");
	r.attrs[6].name[0] = 'n';
	r.num_attrs = WIRE_MAX_ATTRS + 1;
	wt_refused(wire_attest_resp_encode(&buf, &len, &r, &err), EPH_EFAIL, &err,
		   "33 attributes exceed 32");
	r.num_attrs = 8;
	r.result[4] = 200;
	wt_refused(wire_attest_resp_encode(&buf, &len, &r, &err), EPH_EFAIL, &err,
		   "claim 4: tier 200 outside 0..127");
	r.result[4] = 0;
	r.result[0] = 1;
	wt_refused(wire_attest_resp_encode(&buf, &len, &r, &err), EPH_EFAIL, &err,
		   "result[0] is 1");
	r.result[0] = 0;
	memcpy(r.directive, "go\n", 4);
	wt_refused(wire_attest_resp_encode(&buf, &len, &r, &err), EPH_EFAIL, &err,
		   "key 31 (directive): control character 0x0a");

	wt_activate_req(&q);
	q.secret.len = WIRE_MAX_SMALL + 1;
	wt_refused(wire_activate_req_encode(&buf, &len, &q, &err), EPH_EFAIL, &err,
		   "key 17 (secret): byte string of 4097 bytes exceeds 4096");
	q.secret.p = NULL;
	q.secret.len = 3;
	wt_refused(wire_activate_req_encode(&buf, &len, &q, &err), EPH_EFAIL, &err,
		   "key 17 (secret): NULL pointer with length 3");
	q.secret.len = 0;
	wt_refused(wire_activate_req_encode(&buf, &len, &q, &err), EPH_EFAIL, &err,
		   "activate_req: key 17 (secret): required but empty");
	cr_assert_null(buf);
	cr_assert_eq(len, 0);
}

Test(wire_nested, encoder_refuses_a_body_over_the_limit)
{
	struct wire_attest_req a;
	uint8_t *big = malloc(WIRE_MAX_BLOB), *buf = NULL;
	size_t len = 0;

	cr_assert_not_null(big);
	memset(big, 0xee, WIRE_MAX_BLOB);
	wt_attest_req(&a, 0);
	a.eventlog.p = big;
	a.eventlog.len = WIRE_MAX_BLOB;
	a.ima.p = big;
	a.ima.len = WIRE_MAX_BLOB; /* 2 MiB + 2 MiB + the rest > 4 MiB */
	wt_refused(wire_attest_req_encode(&buf, &len, &a, &err), EPH_EFORMAT, &err,
		   "body exceeds 4194304 bytes");
	cr_assert_null(buf);
	a.ima.len = WIRE_MAX_BLOB - 64 * 1024;
	cr_assert_eq(wire_attest_req_encode(&buf, &len, &a, &err), 0, "%s", err.msg);
	cr_assert_leq(len, WIRE_MAX_BODY);
	free(buf);
	free(big);
}
