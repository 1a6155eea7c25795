/*
 * api_cvm.c - the confidential-VM side of one attestation: an SEV-SNP
 * report (with the host's certificate table: VCEK or VLEK) verified through
 * the broker's AMD roots, or a TDX quote verified through the Intel root;
 * then appraised against the policy folder's "snp" / "tdx" sections, and
 * bound to this attestation: report_data must be SHA-512(nonce || AK name)
 * (eph_bind_report_data), so the hardware vouches for the vTPM's AK.
 *
 * Policy sections read here (broker.json in the policy folder, api_policy.c):
 *   "snp": {"measurements": ["<96 hex>", ...], "any_measurement": false,
 *           "allow_debug": false}
 *   "tdx": {"mrtd": ["<96 hex>", ...], "allow_debug": false}
 * An agent registered as "sev-snp" or "tdx" must send its report.
 *
 * Not here: fetching VCEKs or collateral, TDX TCB status (tdx_tcb_*),
 * replaying the TDX CCEL against RTMRs.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api-attest.h"
#include "eph_hex.h"

#ifdef API_HAVE_SNP
#include "snp.h"
#endif
#ifdef API_HAVE_TDX
#include "tdx.h"
#endif

static __attribute__((unused)) int hex48(uint8_t out[48], json_t *j)
{
	const char *s = json_string_value(j);

	return s != NULL && strlen(s) == 96 && eph_hex_decode(out, 48, s, 96) == 48 ? 0 : -1;
}

#ifdef API_HAVE_SNP
static int check_snp(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		     const uint8_t bind[64])
{
	struct snp_certtable tab;
	struct snp_report rep;
	struct snp_policy pol;
	struct eph_err err = {{0}};
	snp_cert *leaf = NULL;
	json_t *sec = json_object_get(a->pol.doc, "snp"), *m;
	size_t i;
	int rc;

	if (a->snp == NULL)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "snp-untrusted",
					   "SEV-SNP report sent but the broker has no AMD roots");
	rc = snp_certtable_parse(&tab, req->snp_certs.p, req->snp_certs.len, &err);
	if (rc == 0 && tab.vcek == NULL && tab.vlek == NULL)
		rc = eph_err_set(&err, EPH_EFORMAT, "no VCEK or VLEK in the certificate table");
	if (rc == 0)
		rc = tab.vcek ? snp_cert_parse(&leaf, tab.vcek, tab.vcek_len, &err)
			      : snp_cert_parse(&leaf, tab.vlek, tab.vlek_len, &err);
	if (rc < 0)
		return api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "snp-malformed",
					   "SEV-SNP certificates: %s", err.msg);
	rc = snp_verify(&rep, NULL, req->snp_report.p, req->snp_report.len, leaf, a->snp,
			(time_t)api__now(), &err);
	if (rc < 0) {
		snp_cert_free(leaf);
		return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "snp-refused", "SEV-SNP: %s",
					   err.msg);
	}
	memset(&pol, 0, sizeof(pol));
	pol.any_measurement = json_is_true(json_object_get(sec, "any_measurement"));
	pol.allow_debug = json_is_true(json_object_get(sec, "allow_debug"));
	json_array_foreach(json_object_get(sec, "measurements"), i, m) {
		if (pol.n_measurements < SNP_POLICY_MAX_MEASUREMENTS &&
		    hex48(pol.measurements[pol.n_measurements], m) == 0)
			pol.n_measurements++;
	}
	rc = snp_appraise(NULL, &rep, &pol, bind, &err);
	snp_cert_free(leaf);
	if (rc < 0)
		return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "snp-refused", "SEV-SNP: %s",
					   err.msg);
	v->cvm_kind = "sev-snp";
	/* what appraise compares with reference.json "tcb" (minimum and
	 * recommended): the TCB the VCEK was derived from */
	v->snp_tcb[0] = rep.reported_tcb.fmc;
	v->snp_tcb[1] = rep.reported_tcb.bootloader;
	v->snp_tcb[2] = rep.reported_tcb.tee;
	v->snp_tcb[3] = rep.reported_tcb.snp;
	v->snp_tcb[4] = rep.reported_tcb.microcode;
	memcpy(v->cvm_measurement, rep.measurement, sizeof(rep.measurement));
	v->cvm_measurement_len = sizeof(rep.measurement);
	return 0;
}
#endif

#ifdef API_HAVE_TDX
static int check_tdx(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		     const uint8_t bind[64])
{
	struct tdx_quote q;
	struct tdx_verify_result res;
	struct tdx_policy pol;
	struct tdx_verdict tv; /* tdx_appraise writes it: it must not be NULL */
	struct eph_err err = {{0}};
	uint8_t mrtd[8][TDX_MR_SIZE];
	json_t *sec = json_object_get(a->pol.doc, "tdx"), *m;
	size_t i, n = 0;
	int rc;

	if (a->tdx == NULL)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "tdx-untrusted",
					   "TDX quote sent but the broker has no Intel root");
	rc = tdx_quote_parse(&q, req->tdx_quote.p, req->tdx_quote.len, &err);
	if (rc < 0)
		return api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "tdx-malformed", "TDX: %s",
					   err.msg);
	rc = tdx_quote_verify(&res, &q, a->tdx, 0, &err);
	if (rc < 0)
		return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "tdx-refused", "TDX: %s",
					   err.msg);
	memset(&pol, 0, sizeof(pol));
	json_array_foreach(json_object_get(sec, "mrtd"), i, m) {
		if (n < 8 && hex48(mrtd[n], m) == 0)
			n++;
	}
	if (n == 0)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "tdx-refused",
					   "TDX: the policy lists no MRTD");
	pol.mrtd = (const uint8_t(*)[TDX_MR_SIZE])mrtd;
	pol.n_mrtd = n;
	pol.report_data = bind;
	pol.allow_debug = json_is_true(json_object_get(sec, "allow_debug"));
	rc = tdx_appraise(&tv, &q, &pol, &err);
	if (rc < 0)
		return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "tdx-refused", "TDX: %s",
					   err.msg);
	v->cvm_kind = "tdx";
	return 0;
}
#endif

int api__check_cvm(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		   const struct store_agent *ag)
{
	uint8_t bind[64];
	int snp = req->snp_report.len != 0, tdx = req->tdx_quote.len != 0;
	int rc = -1;

	(void)a;
	if (!snp && !tdx) {
		if (ag->cvm != NULL && strcmp(ag->cvm, "none") != 0)
			return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "cvm-evidence-missing",
						   "agent registered as %s sent no report",
						   ag->cvm);
		return 0;
	}
	if (snp && tdx)
		return api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "malformed",
					   "both an SEV-SNP report and a TDX quote");
	v->has_cvm = 1;
	if (snp)
		EVP_Digest(req->snp_report.p, req->snp_report.len, v->cvm_digest, NULL,
			   EVP_sha256(), NULL);
	else
		EVP_Digest(req->tdx_quote.p, req->tdx_quote.len, v->cvm_digest, NULL, EVP_sha256(),
			   NULL);
	if (eph_bind_report_data(bind, req->nonce, sizeof(req->nonce), v->ak_name,
				 v->ak_name_len) < 0)
		return api__verdict_refuse(v, API_HTTP_INTERNAL, "internal",
					   "cannot compute the report_data binding");
#ifdef API_HAVE_SNP
	if (snp)
		rc = check_snp(v, a, req, bind);
#endif
#ifdef API_HAVE_TDX
	if (tdx)
		rc = check_tdx(v, a, req, bind);
#endif
	if (v->status == 0 && rc < 0)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "unsupported",
					   "this broker was built without %s support",
					   snp ? "SEV-SNP" : "TDX");
	if (rc < 0)
		return -1;
	v->ar4si[WIRE_AR_HARDWARE - 1] = WIRE_TIER_AFFIRMING;
	v->ar4si[WIRE_AR_RUNTIME_OPAQUE - 1] = WIRE_TIER_AFFIRMING;
	api__verdict_attr(v, "platform", v->cvm_kind, 1.0f);
	return 0;
}
