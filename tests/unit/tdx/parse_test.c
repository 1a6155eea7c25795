/*
 * parse_test.c - tdx_quote_parse on real quotes (v4 from go-tdx-guest and
 * trustee, v5 from go-tdx-guest, a GCE quote with a zero-padded buffer) and
 * on synthesised ones broken in every way a size or type field can lie:
 * truncated at every length, nested sizes past their container, wrong
 * version / attestation key type / TEE type / certification data types.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_build.h"
#include "tdxt.h"
#include "testutil.h"

static void le(uint8_t *out, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

static void expect_hex(const json_t *obj, const char *key, const uint8_t *got, size_t n)
{
	const char *want = json_string_value(json_object_get(obj, key));

	cr_assert_not_null(want, "expected JSON lacks %s", key);
	cr_assert_str_eq(tt_hex(got, n), want, "%s differs", key);
}

static void expect_int(const json_t *obj, const char *key, uint64_t v, size_t n)
{
	uint8_t b[8];

	le(b, v, n);
	expect_hex(obj, key, b, n);
}

Test(tdx_parse, trustee_quote_claims_equal_expected)
{
	struct eph_err err = {{0}};
	struct tdx_pck_info pck;
	struct tdx_quote q;
	json_error_t je;
	json_t *exp, *h, *b, *a;
	uint8_t *buf;
	size_t len;
	uint8_t rev[16];
	char key[16];
	int i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tt_vec(TV_TRUSTEE, &len);
	tt_parse(&q, buf, len);
	cr_assert_eq(q.version, 4);
	cr_assert_eq(q.trailing, 0);
	exp = json_load_file(tu_vector_path("tdx/trustee/parse_tdx_claims_expected.json"), 0, &je);
	cr_assert_not_null(exp, "%s", je.text);
	h = json_object_get(json_object_get(exp, "quote"), "header");
	b = json_object_get(json_object_get(exp, "quote"), "body");
	a = json_object_get(exp, "td_attributes");
	expect_int(h, "version", q.version, 2);
	expect_int(h, "att_key_type", q.att_key_type, 2);
	expect_int(h, "tee_type", q.tee_type, 4);
	expect_int(h, "reserved", (uint32_t)q.reserved1 | (uint32_t)q.reserved2 << 16, 4);
	expect_hex(h, "vendor_id", q.qe_vendor_id, 16);
	expect_hex(h, "user_data", q.user_data, 20);
	expect_hex(b, "tcb_svn", q.body.tee_tcb_svn, 16);
	expect_hex(b, "mr_seam", q.body.mrseam, 48);
	expect_hex(b, "mrsigner_seam", q.body.mrsignerseam, 48);
	expect_int(b, "seam_attributes", q.body.seam_attributes, 8);
	expect_int(b, "td_attributes", q.body.td_attributes, 8);
	expect_int(b, "xfam", q.body.xfam, 8);
	expect_hex(b, "mr_td", q.body.mrtd, 48);
	expect_hex(b, "mr_config_id", q.body.mrconfigid, 48);
	expect_hex(b, "mr_owner", q.body.mrowner, 48);
	expect_hex(b, "mr_owner_config", q.body.mrownerconfig, 48);
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "rtmr_%d", i);
		expect_hex(b, key, q.body.rtmr[i], 48);
	}
	expect_hex(b, "report_data", q.body.report_data, 64);
	expect_hex(exp, "report_data", q.body.report_data, 64);
	/* init_data is trustee's name for MRCONFIGID */
	expect_hex(exp, "init_data", q.body.mrconfigid, 48);
	cr_assert_eq(q.debug, json_is_true(json_object_get(a, "debug")));
	cr_assert_eq(q.key_locker, json_is_true(json_object_get(a, "key_locker")));
	cr_assert_eq(q.perfmon, json_is_true(json_object_get(a, "perfmon")));
	cr_assert_eq(q.pks, json_is_true(json_object_get(a, "protection_keys")));
	cr_assert_eq(q.sept_ve_disable, json_is_true(json_object_get(a, "septve_disable")));
	/* platform_instance_id comes from the PCK certificate's SGX extension */
	cr_assert_eq(tdx_quote_pck_info(&pck, &q, &err), 0, "%s", err.msg);
	cr_assert(pck.has_platform_instance_id);
	/* trustee prints it byte-reversed (as a little-endian number); the
	 * certificate's OCTET STRING order is 021ac64d... */
	for (i = 0; i < 16; i++)
		rev[i] = pck.platform_instance_id[15 - i];
	expect_hex(exp, "platform_instance_id", rev, 16);
	cr_assert_str_eq(tt_hex(pck.fmspc, 6), "50806f000000");
	json_decref(exp);
	free(buf);
}

Test(tdx_parse, v5_sample_parses_with_body_1_5)
{
	struct tdx_quote q;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tt_vec(TV_V5, &len);
	tt_parse(&q, buf, len);
	cr_assert_eq(q.version, 5);
	cr_assert_eq(q.body_type, TDX_BODY_TYPE_TD15);
	cr_assert_eq(q.body_size, TDX_BODY15_SIZE);
	cr_assert(q.body.has_v15);
	cr_assert_eq(q.signed_len, 48 + 6 + 648);
	cr_assert_eq(q.trailing, 0);
	cr_assert_eq(q.qe_auth_len, 32);
	cr_assert(tt_has((const char *)q.pck_chain, "-----BEGIN CERTIFICATE-----"));
	free(buf);
}

Test(tdx_parse, padded_and_annotated_quotes_count_trailing_bytes)
{
	struct tdx_quote q;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tt_vec(TV_COS, &len);
	tt_parse(&q, buf, len);
	cr_assert_eq(len, 8000);
	cr_assert_eq(q.trailing, 8000 - 4935, "GCE hands out an 8000-byte zero-padded buffer");
	free(buf);
	buf = tt_vec(TV_SPR, &len);
	tt_parse(&q, buf, len);
	cr_assert_eq(q.trailing, 39,
	             "go-tdx-guest appends \"extra bytes(only for testing purpose)\"");
	cr_assert_eq(q.signed_len, 632);
	cr_assert_eq(q.sig_data_len, 4299);
	free(buf);
}

Test(tdx_parse, synthesised_quotes_parse)
{
	struct tb_opts o = {0};
	struct tb_quote b;
	struct tdx_quote q;

	tb_build(&b, &o);
	tt_parse(&q, b.buf, b.len);
	cr_assert_eq(q.version, 4);
	cr_assert_arr_eq(q.body.mrtd, b.mrtd, 48);
	cr_assert_arr_eq(q.body.rtmr[3], b.rtmr[3], 48);
	cr_assert_arr_eq(q.body.report_data, b.report_data, 64);
	cr_assert(q.sept_ve_disable && !q.debug);
	cr_assert_eq(q.qe_report.isvprodid, 2);
	cr_assert_eq(q.qe_report.isvsvn, 4);
	tb_free(&b);
	o.version = 5;
	tb_build(&b, &o);
	tt_parse(&q, b.buf, b.len);
	cr_assert_eq(q.body_type, TDX_BODY_TYPE_TD10);
	cr_assert(!q.body.has_v15);
	tb_free(&b);
	o.body15 = 1;
	tb_build(&b, &o);
	tt_parse(&q, b.buf, b.len);
	cr_assert(q.body.has_v15);
	tb_free(&b);
}

static void truncations(const uint8_t *buf, size_t end)
{
	struct eph_err err = {{0}};
	struct tdx_quote q;
	uint8_t *cut;
	size_t n;
	int rc;

	for (n = 0; n < end; n++) {
		err.msg[0] = '\0';
		cut = malloc(n ? n : 1); /* exact size: ASan sees a read past the end */
		cr_assert_not_null(cut);
		memcpy(cut, buf, n);
		rc = tdx_quote_parse(&q, cut, n, &err);
		cr_assert_eq(rc, EPH_EFORMAT, "truncated to %zu of %zu: rc %d", n, end, rc);
		cr_assert_neq(err.msg[0], '\0', "no message at length %zu", n);
		cr_assert_eq(q.raw, NULL);
		free(cut);
	}
}

Test(tdx_parse, rejects_truncation_at_every_length)
{
	struct tb_opts o = {0};
	struct tb_quote b;
	uint8_t *buf;
	size_t len;

	tb_build(&b, &o);
	truncations(b.buf, b.len);
	tb_free(&b);
	o.version = 5;
	o.body15 = 1;
	tb_build(&b, &o);
	truncations(b.buf, b.len);
	tb_free(&b);
	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing (synthesised quotes passed)");
	buf = tt_vec(TV_SPR, &len);
	truncations(buf, len - 39); /* the 39 trailing bytes are outside the quote */
	free(buf);
}

static void put32(uint8_t *p, uint32_t v) { le(p, v, 4); }

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Parse a patched copy; expect EFORMAT with a message containing what. */
static void expect_reject(const uint8_t *buf, size_t len, size_t off, const uint8_t *patch,
                          size_t n, const char *what)
{
	struct eph_err err = {{0}};
	struct tdx_quote q;
	uint8_t *c = malloc(len);
	int rc;

	cr_assert_not_null(c);
	memcpy(c, buf, len);
	memcpy(c + off, patch, n);
	rc = tdx_quote_parse(&q, c, len, &err);
	cr_assert_eq(rc, EPH_EFORMAT, "%s: rc %d (%s)", what, rc, err.msg);
	cr_assert(tt_has(err.msg, what), "message \"%s\" lacks \"%s\"", err.msg, what);
	free(c);
}

Test(tdx_parse, rejects_wrong_version_key_type_tee_type)
{
	struct tb_opts o = {0};
	struct tb_quote b;

	tb_build(&b, &o);
	expect_reject(b.buf, b.len, 0, (const uint8_t *)"\x03\x00", 2, "version 3");
	expect_reject(b.buf, b.len, 0, (const uint8_t *)"\x06\x00", 2, "version 6");
	expect_reject(b.buf, b.len, 2, (const uint8_t *)"\x03\x00", 2, "attestation key type 3");
	expect_reject(b.buf, b.len, 4, (const uint8_t *)"\x00\x00\x00\x00", 4,
	              "TEE type 0x0 at offset 4");
	expect_reject(b.buf, b.len, 4, (const uint8_t *)"\x81\x00\x00\x01", 4, "TEE type");
	tb_free(&b);
	o.version = 5;
	tb_build(&b, &o);
	expect_reject(b.buf, b.len, 48, (const uint8_t *)"\x01\x00", 2, "body type 1");
	expect_reject(b.buf, b.len, 48, (const uint8_t *)"\x03\x00", 2, "body type 3 size 584");
	expect_reject(b.buf, b.len, 50, (const uint8_t *)"\x49\x02\x00\x00", 4, "size 585");
	tb_free(&b);
}

Test(tdx_parse, rejects_nested_sizes_that_lie)
{
	struct tb_opts o = {0};
	struct tb_quote b;
	struct tdx_quote q;
	size_t sl, cd, auth, pck;
	uint8_t v[4];

	tb_build(&b, &o);
	tt_parse(&q, b.buf, b.len);
	sl = q.signed_len;              /* signature data length field */
	cd = sl + 4 + 128;              /* certification data type, size */
	auth = cd + 6 + 384 + 64;       /* QE auth data size */
	pck = auth + 2 + q.qe_auth_len; /* PCK chain type, size */

	put32(v, get32(b.buf + sl) + 1);
	expect_reject(b.buf, b.len, sl, v, 4, "signature data length");
	put32(v, 0xffffffffu);
	expect_reject(b.buf, b.len, sl, v, 4, "exceeds");
	put32(v, get32(b.buf + sl) - 1);
	expect_reject(b.buf, b.len, sl, v, 4, "certification data size");
	put32(v, 100);
	expect_reject(b.buf, b.len, sl, v, 4, "attestation key");

	put32(v, get32(b.buf + cd + 2) + 1);
	expect_reject(b.buf, b.len, cd + 2, v, 4, "certification data size");
	put32(v, 0x7fffffff);
	expect_reject(b.buf, b.len, cd + 2, v, 4, "certification data size");
	put32(v, get32(b.buf + cd + 2) - 1);
	expect_reject(b.buf, b.len, cd + 2, v, 4, "certification data size");
	expect_reject(b.buf, b.len, cd, (const uint8_t *)"\x05\x00", 2,
	              "certification data type 5");

	expect_reject(b.buf, b.len, auth, (const uint8_t *)"\xff\xff", 2,
	              "QE auth data size 65535");
	expect_reject(b.buf, b.len, auth, (const uint8_t *)"\x21\x00", 2,
	              "nested certification data type");

	expect_reject(b.buf, b.len, pck, (const uint8_t *)"\x06\x00", 2,
	              "nested certification data type 6");
	put32(v, get32(b.buf + pck + 2) + 1);
	expect_reject(b.buf, b.len, pck + 2, v, 4, "PCK chain size");
	put32(v, get32(b.buf + pck + 2) - 1);
	expect_reject(b.buf, b.len, pck + 2, v, 4, "PCK chain size");
	put32(v, 0);
	expect_reject(b.buf, b.len, pck + 2, v, 4, "PCK chain size");
	tb_free(&b);
}

Test(tdx_parse, tolerates_trailing_bytes_outside_the_signature_data)
{
	struct tb_opts o = {.trailing = 100};
	struct tb_quote b;
	struct tdx_quote q;

	tb_build(&b, &o);
	tt_parse(&q, b.buf, b.len);
	cr_assert_eq(q.trailing, 100);
	tb_free(&b);
}

Test(tdx_parse, rejects_empty_and_oversized)
{
	struct eph_err err = {{0}};
	struct tdx_quote q;
	uint8_t one = 4;

	cr_assert_eq(tdx_quote_parse(&q, NULL, 0, &err), EPH_EFORMAT);
	cr_assert(tt_has(err.msg, "empty"));
	cr_assert_eq(tdx_quote_parse(&q, &one, TDX_QUOTE_MAX + 1u, &err), EPH_EFORMAT);
	cr_assert(tt_has(err.msg, "more than"), "%s", err.msg);
}

Test(tdx_parse, tdreport_vector_is_not_a_quote)
{
	struct eph_err err = {{0}};
	struct tdx_quote q;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tt_vec(TV "report.dat", &len);
	cr_assert_eq(len, 1024);
	cr_assert_eq(tdx_quote_parse(&q, buf, len, &err), EPH_EFORMAT);
	cr_assert(tt_has(err.msg, "version"), "%s", err.msg);
	free(buf);
}
