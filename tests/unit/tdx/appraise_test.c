/*
 * appraise_test.c - tdx_appraise and the vTPM binding: debug TDs refused,
 * MRTD / RTMR / MRCONFIGID / REPORTDATA mismatches named with both values,
 * SHA-512(nonce || AK name) as REPORTDATA; and the GCE quote's RTMR0-2
 * equal the SHA-384 replay of its CCEL (libevlog), RTMR3 zero, REPORTDATA
 * the nonce.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "tdx_build.h"
#include "tdxt.h"
#include "testutil.h"

static void build_parsed(struct tb_quote *b, struct tdx_quote *q, uint64_t attrs)
{
	struct tb_opts o = {.td_attributes = attrs};

	tb_build(b, &o);
	tt_parse(q, b->buf, b->len);
}

Test(tdx_appraise, matching_policy_passes_and_says_what_it_checked)
{
	struct eph_err err = {{0}};
	struct tdx_verdict v;
	struct tdx_policy p;
	struct tb_quote b;
	struct tdx_quote q;
	uint8_t mrtds[2][48];

	build_parsed(&b, &q, 0);
	memset(&p, 0, sizeof(p));
	memset(mrtds[0], 0xee, 48);
	memcpy(mrtds[1], b.mrtd, 48);
	p.mrtd = (const uint8_t(*)[48])mrtds;
	p.n_mrtd = 2;
	p.rtmr[0] = b.rtmr[0];
	p.rtmr[2] = b.rtmr[2];
	p.mrconfigid = q.body.mrconfigid;
	p.mrowner = q.body.mrowner;
	p.mrownerconfig = q.body.mrownerconfig;
	p.report_data = b.report_data;
	p.require_sept_ve_disable = 1;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), 0, "%s", err.msg);
	cr_assert_eq(v.checked, TDX_CHECKED_MRTD | TDX_CHECKED_RTMR0 | (TDX_CHECKED_RTMR0 << 2) |
	                            TDX_CHECKED_MRCONFIGID | TDX_CHECKED_MROWNER |
	                            TDX_CHECKED_MROWNERCONFIG | TDX_CHECKED_REPORT_DATA |
	                            TDX_CHECKED_DEBUG | TDX_CHECKED_SEPT_VE);
	memset(&p, 0, sizeof(p));
	p.allow_debug = 1;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), 0, "%s", err.msg);
	cr_assert_eq(v.checked, 0);
	tb_free(&b);
}

Test(tdx_appraise, debug_td_is_refused)
{
	struct eph_err err = {{0}};
	struct tdx_verdict v;
	struct tdx_policy p = {0};
	struct tb_quote b;
	struct tdx_quote q;

	build_parsed(&b, &q, TDX_ATTR_DEBUG | TDX_ATTR_SEPT_VE_DISABLE);
	cr_assert(q.debug);
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert(tt_has(err.msg, "TD attributes 0x0000000010000001 have DEBUG (bit 0) set"), "%s",
	          err.msg);
	p.allow_debug = 1;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), 0, "%s", err.msg);
	tb_free(&b);

	build_parsed(&b, &q, TDX_ATTR_PERFMON);
	cr_assert(q.perfmon && !q.sept_ve_disable && !q.debug);
	p.require_sept_ve_disable = 1;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert(tt_has(err.msg, "lack SEPT_VE_DISABLE"), "%s", err.msg);
	tb_free(&b);
}

Test(tdx_appraise, trustee_debug_quote_is_refused)
{
	struct eph_err err = {{0}};
	struct tdx_verdict v;
	struct tdx_policy p = {0};
	struct tdx_quote q;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tt_vec(TV_TRUSTEE, &len);
	tt_parse(&q, buf, len);
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert(tt_has(err.msg, "DEBUG"), "%s", err.msg);
	free(buf);
}

Test(tdx_appraise, measurement_mismatches_name_field_and_values)
{
	struct eph_err err = {{0}};
	struct tdx_verdict v;
	struct tdx_policy p;
	struct tb_quote b;
	struct tdx_quote q;
	uint8_t other[2][48];

	build_parsed(&b, &q, 0);
	memset(other, 0xab, sizeof(other));
	memset(&p, 0, sizeof(p));
	p.mrtd = (const uint8_t(*)[48])other;
	p.n_mrtd = 1;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert_str_eq(
	    err.msg,
	    "TDX appraisal: MRTD is 7d7d7d7d7d7d..7d7d7d7d, expected abababababab..abababab");
	p.n_mrtd = 2;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert(tt_has(err.msg, "expected one of 2 values"), "%s", err.msg);

	memset(&p, 0, sizeof(p));
	p.rtmr[1] = b.rtmr[1];
	p.rtmr[3] = other[0];
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert_str_eq(
	    err.msg,
	    "TDX appraisal: RTMR3 is 131313131313..13131313, expected abababababab..abababab");
	memset(&p, 0, sizeof(p));
	p.mrconfigid = other[0];
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert(tt_has(err.msg, "MRCONFIGID is c0c0"), "%s", err.msg);
	memset(&p, 0, sizeof(p));
	p.mrowner = other[0];
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert(tt_has(err.msg, "MROWNER is 0303"), "%s", err.msg);
	tb_free(&b);
}

Test(tdx_appraise, report_data_must_bind_nonce_and_ak)
{
	static const uint8_t abc_sha512[8] = {0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba};
	struct eph_err err = {{0}};
	struct tdx_verdict v;
	struct tdx_policy p = {0};
	struct tb_quote b;
	struct tdx_quote q;
	uint8_t rd[64];

	/* SHA-512("abc"), split between nonce and name. */
	cr_assert_eq(
	    tdx_expected_report_data(rd, (const uint8_t *)"ab", 2, (const uint8_t *)"c", 1, &err),
	    0);
	cr_assert_arr_eq(rd, abc_sha512, 8);

	build_parsed(&b, &q, 0);
	p.report_data = rd;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert(tt_has(err.msg, "nonce/AK not bound: TDX appraisal: REPORTDATA is "
	                          "000102030405..3c3d3e3f, expected ddaf35a19361"),
	          "%s", err.msg);
	cr_assert_eq(v.checked & TDX_CHECKED_REPORT_DATA, 0);
	tb_free(&b);
}

Test(tdx_appraise, gce_quote_rtmrs_equal_ccel_replay)
{
	struct eph_err err = {{0}};
	const struct evlog_bank *bank;
	struct evlog_replay *r;
	struct tdx_verdict v;
	struct tdx_policy p = {0};
	struct tdx_quote q;
	evlog_log *log = NULL;
	uint8_t *quote, *ccel, *nonce, zero[48] = {0};
	size_t qlen, clen, nlen;
	int i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	quote = tt_vec(TV_COS, &qlen);
	ccel = tt_vec(TV "ccel-case/ccel_data.dat", &clen);
	nonce = tt_vec(TV "ccel-case/nonce.dat", &nlen);
	tt_parse(&q, quote, qlen);
	cr_assert_eq(evlog_parse(&log, ccel, clen, EVLOG_F_CCEL | EVLOG_F_ALLOW_PADDING, &err), 0,
	             "%s", err.msg);
	r = calloc(1, sizeof(*r));
	cr_assert_not_null(r);
	cr_assert_eq(evlog_replay(r, log, &err), 0, "%s", err.msg);
	bank = evlog_replay_bank(r, EPH_ALG_SHA384);
	cr_assert_not_null(bank, "CCEL has no SHA-384 bank");
	for (i = 0; i < 3; i++) {
		cr_assert_eq(bank->incomplete & (1u << (i + 1)), 0);
		cr_assert_arr_eq(q.body.rtmr[i], bank->pcr[i + 1], 48, "RTMR%d != replay", i);
		p.rtmr[i] = bank->pcr[i + 1];
	}
	cr_assert_arr_eq(q.body.rtmr[3], zero, 48, "RTMR3 is not zero");
	p.rtmr[3] = zero;
	cr_assert_eq(nlen, 64);
	cr_assert_arr_eq(q.body.report_data, nonce, 64, "REPORTDATA is not the nonce");
	p.report_data = nonce;
	p.allow_debug = 1;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), 0, "%s", err.msg);
	/* One changed RTMR1 value in the policy is caught. */
	p.rtmr[1] = zero;
	cr_assert_eq(tdx_appraise(&v, &q, &p, &err), EPH_EPOLICY);
	cr_assert(tt_has(err.msg, "RTMR1 is"), "%s", err.msg);
	evlog_free(log);
	free(r);
	free(quote);
	free(ccel);
	free(nonce);
}
