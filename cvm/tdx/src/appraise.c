/*
 * appraise.c - hold a TD quote's body against what the operator expects:
 * MRTD (any of several), RTMR0..3, MRCONFIGID, MROWNER, MROWNERCONFIG,
 * REPORTDATA, and the TD attributes DEBUG and SEPT_VE_DISABLE; and the
 * REPORTDATA that binds a vTPM's AK to the TD (DESIGN.md: SHA-512(nonce ||
 * AK name)).
 *
 * Field offsets and TDATTRIBUTES bits: Intel TDX DCAP Quoting Library API
 * A.3.2 "TD Quote Body"; Intel TDX Module ABI spec, "TDATTRIBUTES".
 *
 * Not here: checking that the quote is genuine (verify.c) - appraising an
 * unverified quote proves nothing; replaying the CCEL (libevlog).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "eph_hash.h"
#include "tdx-priv.h"

static int field(const char *name, const uint8_t *got, const uint8_t *want, size_t n,
                 struct eph_err *err)
{
	char g[TDX__HEX_SHORT], w[TDX__HEX_SHORT];

	if (CRYPTO_memcmp(got, want, n) == 0)
		return 0;
	tdx__hex_short(g, got, n);
	tdx__hex_short(w, want, n);
	return eph_err_set(err, EPH_EPOLICY, "TDX appraisal: %s is %s, expected %s", name, g, w);
}

static int check_mrtd(const struct tdx_quote *q, const struct tdx_policy *p, struct eph_err *err)
{
	char g[TDX__HEX_SHORT], w[TDX__HEX_SHORT];
	size_t i;

	for (i = 0; i < p->n_mrtd; i++)
		if (CRYPTO_memcmp(q->body.mrtd, p->mrtd[i], TDX_MR_SIZE) == 0)
			return 0;
	tdx__hex_short(g, q->body.mrtd, TDX_MR_SIZE);
	tdx__hex_short(w, p->mrtd[0], TDX_MR_SIZE);
	if (p->n_mrtd == 1)
		return eph_err_set(err, EPH_EPOLICY, "TDX appraisal: MRTD is %s, expected %s", g,
		                   w);
	return eph_err_set(err, EPH_EPOLICY,
	                   "TDX appraisal: MRTD is %s, expected one of %zu values (first %s)", g,
	                   p->n_mrtd, w);
}

int tdx_appraise(struct tdx_verdict *verdict, const struct tdx_quote *q, const struct tdx_policy *p,
                 struct eph_err *err)
{
	static const char *const rtmr_name[4] = {"RTMR0", "RTMR1", "RTMR2", "RTMR3"};
	int i, rc;

	memset(verdict, 0, sizeof(*verdict));
	if (!p->allow_debug) {
		if (q->debug)
			return eph_err_set(err, EPH_EPOLICY,
			                   "TDX appraisal: TD attributes 0x%016llx have DEBUG (bit "
			                   "0) set, the policy forbids debug TDs",
			                   (unsigned long long)q->body.td_attributes);
		verdict->checked |= TDX_CHECKED_DEBUG;
	}
	if (p->require_sept_ve_disable) {
		if (!q->sept_ve_disable)
			return eph_err_set(err, EPH_EPOLICY,
			                   "TDX appraisal: TD attributes 0x%016llx lack "
			                   "SEPT_VE_DISABLE (bit 28), the policy requires it",
			                   (unsigned long long)q->body.td_attributes);
		verdict->checked |= TDX_CHECKED_SEPT_VE;
	}
	if (p->n_mrtd > 0) {
		rc = check_mrtd(q, p, err);
		if (rc < 0)
			return rc;
		verdict->checked |= TDX_CHECKED_MRTD;
	}
	for (i = 0; i < 4; i++) {
		if (p->rtmr[i] == NULL)
			continue;
		rc = field(rtmr_name[i], q->body.rtmr[i], p->rtmr[i], TDX_MR_SIZE, err);
		if (rc < 0)
			return rc;
		verdict->checked |= TDX_CHECKED_RTMR0 << i;
	}
	if (p->mrconfigid != NULL) {
		rc = field("MRCONFIGID", q->body.mrconfigid, p->mrconfigid, TDX_MR_SIZE, err);
		if (rc < 0)
			return rc;
		verdict->checked |= TDX_CHECKED_MRCONFIGID;
	}
	if (p->mrowner != NULL) {
		rc = field("MROWNER", q->body.mrowner, p->mrowner, TDX_MR_SIZE, err);
		if (rc < 0)
			return rc;
		verdict->checked |= TDX_CHECKED_MROWNER;
	}
	if (p->mrownerconfig != NULL) {
		rc = field("MROWNERCONFIG", q->body.mrownerconfig, p->mrownerconfig, TDX_MR_SIZE,
		           err);
		if (rc < 0)
			return rc;
		verdict->checked |= TDX_CHECKED_MROWNERCONFIG;
	}
	if (p->report_data != NULL) {
		rc = field("REPORTDATA", q->body.report_data, p->report_data, TDX_REPORT_DATA_SIZE,
		           err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "nonce/AK not bound");
		verdict->checked |= TDX_CHECKED_REPORT_DATA;
	}
	return 0;
}

int tdx_expected_report_data(uint8_t out[TDX_REPORT_DATA_SIZE], const uint8_t *nonce, size_t nlen,
                             const uint8_t *ak_name, size_t alen, struct eph_err *err)
{
	/* One definition of the binding for agent and broker: common/. */
	if (eph_bind_report_data(out, nonce, nlen, ak_name, alen) < 0)
		return eph_err_set(err, EPH_EFAIL, "TDX report data: SHA-512 failed");
	return 0;
}
