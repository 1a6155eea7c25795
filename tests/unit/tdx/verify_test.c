/*
 * verify_test.c - tdx_quote_verify: go-tdx-guest's production SPR E4
 * quote verifies at 2023-07-01 against Intel's root (pinned), with and
 * without CRLs, as does the v5 sample at 2026-02-03; synthesised quotes
 * verify against the test root. Every way to break one is refused with a
 * message naming the step: a flipped byte anywhere in the signed region,
 * in the QE report, the attestation key or the QE auth data; a chain to
 * another root; a time after the PCK's notAfter; a root that is not the
 * pinned one.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_build.h"
#include "tdxt.h"
#include "testutil.h"

static int verify_copy(const uint8_t *buf, size_t len, const tdx_trust *t, time_t at,
                       struct eph_err *err)
{
	struct tdx_verify_result res;
	struct tdx_quote q;
	int rc;

	rc = tdx_quote_parse(&q, buf, len, err);
	if (rc < 0)
		return rc;
	return tdx_quote_verify(&res, &q, t, at, err);
}

Test(tdx_verify, spr_e4_verifies_2023_07_01_against_intel_root)
{
	struct eph_err err = {{0}};
	struct tdx_verify_result res;
	struct tdx_quote q;
	tdx_trust *t;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	t = tt_intel_trust();
	buf = tt_vec(TV_SPR, &len);
	tt_parse(&q, buf, len);
	cr_assert_eq(tdx_quote_verify(&res, &q, t, tt_date(2023, 7, 1), &err), 0, "%s", err.msg);
	cr_assert_eq(res.pck_ca, TDX_PCK_CA_PLATFORM);
	cr_assert_str_eq(tt_hex(res.pck.fmspc, 6), "50806f000000");
	cr_assert_eq(res.crl_checked, 0);
	cr_assert_eq(res.chain_not_after, tt_date(2029, 9, 20) + 13 * 3600 + 20 * 60 + 31,
	             "earliest notAfter is the PCK leaf's 2029-09-20 13:20:31");
	tdx_trust_free(t);
	free(buf);
}

Test(tdx_verify, spr_e4_verifies_with_intel_crls)
{
	struct eph_err err = {{0}};
	struct tdx_verify_result res;
	struct tdx_quote q;
	tdx_trust *t;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	t = tt_intel_trust();
	cr_assert_eq(tdx_trust_add_crl_file(t, tu_vector_path(TV "collateral/rootcrl.der"), &err),
	             0, "%s", err.msg);
	buf = tt_vec(TV_SPR, &len);
	tt_parse(&q, buf, len);
	/* Only the root's CRL: the PCK leaf has none, which is refused. */
	cr_assert_eq(tdx_quote_verify(&res, &q, t, tt_date(2023, 7, 1), &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "CRL"), "%s", err.msg);
	cr_assert_eq(tdx_trust_add_crl_file(t, tu_vector_path(TV "collateral/pckcrl"), &err), 0,
	             "%s", err.msg);
	cr_assert_eq(tdx_quote_verify(&res, &q, t, tt_date(2023, 7, 1), &err), 0, "%s", err.msg);
	cr_assert_eq(res.crl_checked, 1);
	/* The PCK CRL's nextUpdate is 2023-07-08. */
	cr_assert_eq(tdx_quote_verify(&res, &q, t, tt_date(2023, 7, 10), &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "CRL has expired"), "%s", err.msg);
	tdx_trust_free(t);
	free(buf);
}

Test(tdx_verify, v5_sample_verifies_2026_02_03)
{
	struct eph_err err = {{0}};
	struct tdx_verify_result res;
	struct tdx_quote q;
	tdx_trust *t;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	t = tt_intel_trust();
	buf = tt_vec(TV_V5, &len);
	tt_parse(&q, buf, len);
	cr_assert_eq(tdx_quote_verify(&res, &q, t, tt_date(2026, 2, 3), &err), 0, "%s", err.msg);
	/* Its PCK leaf was issued 2026-01-27. */
	cr_assert_eq(tdx_quote_verify(&res, &q, t, tt_date(2026, 1, 1), &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "not yet valid"), "%s", err.msg);
	tdx_trust_free(t);
	free(buf);
}

Test(tdx_verify, spr_e4_refused_after_pck_not_after)
{
	struct eph_err err = {{0}};
	tdx_trust *t;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	t = tt_intel_trust();
	buf = tt_vec(TV_SPR, &len);
	cr_assert_eq(verify_copy(buf, len, t, tt_date(2029, 9, 21), &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "PCK chain: certificate has expired at depth 0"), "%s", err.msg);
	tdx_trust_free(t);
	free(buf);
}

Test(tdx_verify, flipped_byte_anywhere_in_signed_region_is_refused)
{
	struct eph_err err = {{0}};
	struct tdx_quote q;
	tdx_trust *t;
	uint8_t *buf;
	size_t len, i;
	int rc;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	t = tt_intel_trust();
	buf = tt_vec(TV_SPR, &len);
	tt_parse(&q, buf, len);
	for (i = 0; i < q.signed_len; i++) {
		buf[i] ^= 0x01;
		err.msg[0] = '\0';
		rc = verify_copy(buf, len, t, tt_date(2023, 7, 1), &err);
		buf[i] ^= 0x01;
		if (i < 8) { /* version, key type, TEE type: the parser refuses first */
			cr_assert_eq(rc, EPH_EFORMAT, "byte %zu: rc %d %s", i, rc, err.msg);
			continue;
		}
		cr_assert_eq(rc, EPH_EVERIFY, "byte %zu: rc %d %s", i, rc, err.msg);
		cr_assert(
		    tt_has(err.msg, "quote signature (by the attestation key) does not verify"),
		    "byte %zu: %s", i, err.msg);
	}
	cr_assert_eq(verify_copy(buf, len, t, tt_date(2023, 7, 1), &err), 0, "%s", err.msg);
	tdx_trust_free(t);
	free(buf);
}

static void flip_expect(uint8_t *buf, size_t len, size_t off, const tdx_trust *t, time_t at,
                        const char *what)
{
	struct eph_err err = {{0}};
	int rc;

	buf[off] ^= 0x80;
	rc = verify_copy(buf, len, t, at, &err);
	buf[off] ^= 0x80;
	cr_assert_eq(rc, EPH_EVERIFY, "offset %zu: rc %d %s", off, rc, err.msg);
	cr_assert(tt_has(err.msg, what), "offset %zu: \"%s\" lacks \"%s\"", off, err.msg, what);
}

Test(tdx_verify, flipped_qe_report_key_auth_data_are_refused)
{
	struct tdx_quote q;
	tdx_trust *t;
	uint8_t *buf;
	size_t len, qe, ak, auth, sig, i;
	time_t at;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	t = tt_intel_trust();
	at = tt_date(2023, 7, 1);
	buf = tt_vec(TV_SPR, &len);
	tt_parse(&q, buf, len);
	qe = (size_t)(q.qe_report_raw - buf);
	ak = (size_t)(q.att_key - buf);
	auth = (size_t)(q.qe_auth - buf);
	sig = (size_t)(q.signature - buf);
	for (i = 0; i < TDX_QE_REPORT_SIZE; i += 7)
		flip_expect(buf, len, qe + i, t, at, "QE report signature (by the PCK key)");
	flip_expect(buf, len, qe + 383, t, at, "QE report signature");
	flip_expect(buf, len, (size_t)(q.qe_report_sig - buf) + 10, t, at, "QE report signature");
	for (i = 0; i < TDX_AK_SIZE; i += 5)
		flip_expect(buf, len, ak + i, t, at,
		            "QE report data"); /* the QE's binding of the key breaks */
	flip_expect(buf, len, auth, t, at, "is not SHA-256(attestation key || QE auth data)");
	flip_expect(buf, len, sig + 3, t, at, "quote signature");
	flip_expect(buf, len, sig + 40, t, at, "quote signature");
	tdx_trust_free(t);
	free(buf);
}

Test(tdx_verify, corrupted_intel_root_does_not_load)
{
	struct eph_err err = {{0}};
	tdx_trust *t = NULL;
	uint8_t *pem;
	size_t len;
	char *p;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	pem = tt_vec(TV_ROOT, &len);
	cr_assert_eq(tdx_trust_new(&t, pem, len, 0, &err), 0, "%s", err.msg);
	tdx_trust_free(t);
	/* Change one base64 character inside the signature. */
	p = strstr((char *)pem, "-----END");
	cr_assert_not_null(p);
	p[-10] = p[-10] == 'A' ? 'B' : 'A';
	cr_assert_lt(tdx_trust_new(&t, pem, len, 0, &err), 0);
	cr_assert_null(t);
	cr_assert(tt_has(err.msg, "TDX trust root"), "%s", err.msg);
	free(pem);
}

Test(tdx_verify, spr_e4_refused_against_another_root)
{
	struct eph_err err = {{0}};
	tdx_trust *t;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	t = tb_trust();
	buf = tt_vec(TV_SPR, &len);
	cr_assert_eq(verify_copy(buf, len, t, tt_date(2023, 7, 1), &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "root \"Intel SGX Root CA\" in the quote is not the pinned root"),
	          "%s", err.msg);
	tdx_trust_free(t);
	free(buf);
}

Test(tdx_verify, test_root_fails_the_intel_pin)
{
	struct eph_err err = {{0}};
	tdx_trust *t = NULL;

	cr_assert_eq(tdx_trust_new(&t, (const uint8_t *)tb_root_pem, strlen(tb_root_pem), 0, &err),
	             EPH_EVERIFY);
	cr_assert_null(t);
	cr_assert(tt_has(err.msg, "is not the pinned Intel SGX Root CA 44a0196b2b99f889"), "%s",
	          err.msg);
	cr_assert_lt(tdx_trust_load(&t, "/nonexistent/root.pem", 0, &err), 0);
	cr_assert(tt_has(err.msg, "/nonexistent/root.pem"), "%s", err.msg);
}

Test(tdx_verify, synthesised_quotes_verify)
{
	struct eph_err err = {{0}};
	struct tdx_verify_result res;
	struct tb_opts o = {0};
	struct tb_quote b;
	struct tdx_quote q;
	tdx_trust *t = tb_trust();
	int v;

	for (v = 0; v < 3; v++) {
		o.version = v == 0 ? 4 : 5;
		o.body15 = v == 2;
		o.platform_instance = v == 1;
		tb_build(&b, &o);
		tt_parse(&q, b.buf, b.len);
		cr_assert_eq(tdx_quote_verify(&res, &q, t, 0, &err), 0, "v%d: %s", v, err.msg);
		cr_assert_eq(res.pck_ca, TDX_PCK_CA_PLATFORM);
		cr_assert_arr_eq(res.pck.comp_svn, tb_comp_svn, 16);
		cr_assert_eq(res.pck.pcesvn, TB_PCESVN);
		cr_assert_arr_eq(res.pck.fmspc, TB_FMSPC, 6);
		cr_assert_eq(res.pck.sgx_type, 1);
		cr_assert_eq(res.pck.has_platform_instance_id, v == 1);
		tb_free(&b);
	}
	tdx_trust_free(t);
}

Test(tdx_verify, synthesised_chain_to_self_made_root_is_refused)
{
	struct eph_err err = {{0}};
	struct tb_opts o = {.self_root = 1};
	struct tb_quote b;
	tdx_trust *t = tb_trust();

	tb_build(&b, &o);
	cr_assert_eq(verify_copy(b.buf, b.len, t, 0, &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "in the quote is not the pinned root"), "%s", err.msg);
	tb_free(&b);
	tdx_trust_free(t);
}

Test(tdx_verify, synthesised_expired_pck_is_refused)
{
	struct eph_err err = {{0}};
	struct tb_opts o = {.leaf_not_after = 1735689600}; /* 2025-01-01 */
	struct tb_quote b;
	tdx_trust *t = tb_trust();

	tb_build(&b, &o);
	cr_assert_eq(verify_copy(b.buf, b.len, t, tt_date(2024, 12, 31), &err), 0, "%s", err.msg);
	cr_assert_eq(verify_copy(b.buf, b.len, t, tt_date(2025, 1, 2), &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "certificate has expired at depth 0"), "%s", err.msg);
	cr_assert(tt_has(err.msg, "Intel SGX PCK Certificate"), "%s", err.msg);
	tb_free(&b);
	tdx_trust_free(t);
}

Test(tdx_verify, synthesised_flip_every_signed_byte)
{
	struct eph_err err = {{0}};
	struct tb_opts o = {.version = 5, .body15 = 1};
	struct tb_quote b;
	tdx_trust *t = tb_trust();
	size_t i, signed_len = 48 + 6 + 648;
	int rc;

	tb_build(&b, &o);
	for (i = 0; i < signed_len; i++) {
		b.buf[i] ^= 0x10;
		rc = verify_copy(b.buf, b.len, t, 0, &err);
		b.buf[i] ^= 0x10;
		cr_assert_lt(rc, 0, "byte %zu accepted", i);
		if (rc == EPH_EVERIFY)
			cr_assert(tt_has(err.msg, "quote signature"), "byte %zu: %s", i, err.msg);
		else
			cr_assert_eq(rc, EPH_EFORMAT, "byte %zu: %d", i, rc);
	}
	tb_free(&b);
	tdx_trust_free(t);
}
