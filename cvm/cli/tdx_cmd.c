/*
 * tdx_cmd.c - parse and verify --tdx: read the quote and every file the
 * operator named (root, CRLs, TCB info, QE identity) before checking
 * anything, so that unreadable or malformed inputs fail alone; then
 * tdx_quote_verify against the pinned Intel SGX Root CA, the TCB status
 * from the collateral (refused unless UpToDate or --accept-tcb-status),
 * and tdx_appraise; print claims and verdict.
 *
 * tdx_appraise stops at the first mismatch; to show every field, each
 * policy field is also appraised alone (the overall verdict is the full
 * run's). Not here: fetching collateral, verifying the collateral's own
 * signatures (libtdx does not yet: see cvm/tdx/README.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cvmcli-priv.h"
#include "eph_file.h"

struct tdx_run {
	uint8_t *buf;
	size_t len;
	struct tdx_quote q;
	tdx_trust *trust;
	char *tcb_json, *qe_json;
	tdx_tcbinfo *ti;
	tdx_qeid *qi;
	struct tdx_verify_result res;
	struct cvm_verdict v;
};

/* Read path; on failure report and return the exit code. */
static int read_file(uint8_t **out, size_t *len, const char *path)
{
	struct eph_err err = {{0}};
	int rc = eph_file_read(out, len, path, CVM_MAX_INPUT, &err);

	if (rc < 0)
		cvm_report(NULL, err.msg);
	return rc < 0 ? cvm_exit_for_input(rc) : CVM_EXIT_OK;
}

static int fail_input(const char *what, int rc, const struct eph_err *err)
{
	cvm_report(what, err->msg);
	return cvm_exit_for_input(rc);
}

static int load(struct tdx_run *r, const struct cvm_opts *o)
{
	struct eph_err err = {{0}};
	uint8_t *json = NULL;
	size_t len = 0, i;
	int rc;

	rc = read_file(&r->buf, &r->len, o->input);
	if (rc != CVM_EXIT_OK)
		return rc;
	rc = tdx_quote_parse(&r->q, r->buf, r->len, &err);
	if (rc < 0)
		return fail_input(o->input, rc, &err);
	if (o->cmd != CVM_CMD_VERIFY)
		return CVM_EXIT_OK;
	rc = tdx_trust_load(&r->trust, o->root, 0, &err);
	if (rc < 0)
		return fail_input(NULL, rc, &err);
	for (i = 0; i < o->n_crls; i++) {
		rc = tdx_trust_add_crl_file(r->trust, o->crls[i], &err);
		if (rc < 0)
			return fail_input(NULL, rc, &err);
	}
	if (o->tcb_info != NULL) {
		rc = read_file(&json, &len, o->tcb_info);
		if (rc != CVM_EXIT_OK)
			return rc;
		r->tcb_json = (char *)json;
		rc = tdx_tcbinfo_parse(&r->ti, r->tcb_json, len, &err);
		if (rc < 0)
			return fail_input(o->tcb_info, rc, &err);
	}
	if (o->qe_identity != NULL) {
		rc = read_file(&json, &len, o->qe_identity);
		if (rc != CVM_EXIT_OK)
			return rc;
		r->qe_json = (char *)json;
		rc = tdx_qeid_parse(&r->qi, r->qe_json, len, &err);
		if (rc < 0)
			return fail_input(o->qe_identity, rc, &err);
	}
	return CVM_EXIT_OK;
}

/* The more serious of two exit codes: a failed check outranks a refusal. */
static int worse(int a, int b)
{
	if (a == CVM_EXIT_OK)
		return b;
	if (b == CVM_EXIT_OK)
		return a;
	if (a == CVM_EXIT_VERIFY || b == CVM_EXIT_VERIFY)
		return CVM_EXIT_VERIFY;
	return a;
}

/* Is a TCB status one the operator accepts? */
static int status_check(struct tdx_run *r, const struct cvm_opts *o, const char *name,
                        enum tdx_tcb_status s)
{
	char reason[EPH_ERR_MSG_MAX];

	if (o->accept_tcb & (1u << s)) {
		cvm_check(&r->v, name, CVM_OK, tdx_tcb_status_name(s));
		return CVM_EXIT_OK;
	}
	snprintf(reason, sizeof(reason), "status %s is not accepted (--accept-tcb-status)",
	         tdx_tcb_status_name(s));
	cvm_check(&r->v, name, CVM_FAILED, reason);
	return CVM_EXIT_POLICY;
}

/* TCB info and QE identity. Prints the tcb: block. Returns an exit code. */
static int collateral(struct tdx_run *r, const struct cvm_opts *o)
{
	struct eph_err err = {{0}};
	struct tdx_tcb_result tcb;
	enum tdx_tcb_status qe = TDX_TCB_UNKNOWN;
	int rc, worst = CVM_EXIT_OK;

	if (r->ti == NULL && r->qi == NULL) {
		cvm_check(&r->v, "tcb_status", CVM_UNCHECKED, "no --tcb-info given");
		cvm_check(&r->v, "qe_identity", CVM_UNCHECKED, "no --qe-identity given");
		return CVM_EXIT_OK;
	}
	fputs("tcb:\n", stdout);
	if (r->ti == NULL) {
		cvm_check(&r->v, "tcb_status", CVM_UNCHECKED, "no --tcb-info given");
	} else if ((rc = tdx_tcb_evaluate(&tcb, r->ti, &r->q, &r->res.pck, o->at, &err)) < 0) {
		cvm_check(&r->v, "tcb_status", CVM_FAILED, err.msg);
		worst = cvm_exit_for_verify(rc);
	} else {
		fprintf(stdout, "  status: %s\n  platform: %s\n  module: %s\n",
		        tdx_tcb_status_name(tcb.overall), tdx_tcb_status_name(tcb.platform),
		        tdx_tcb_status_name(tcb.module));
		if (tcb.platform != TDX_TCB_UNKNOWN) {
			fprintf(stdout, "  level: %zu\n  tcb_date: ", tcb.level);
			cvm_quoted(stdout, tcb.tcb_date);
			fputc('\n', stdout);
		}
		worst = status_check(r, o, "tcb_status", tcb.overall);
	}
	if (r->qi == NULL) {
		cvm_check(&r->v, "qe_identity", CVM_UNCHECKED, "no --qe-identity given");
	} else if ((rc = tdx_qeid_evaluate(&qe, r->qi, &r->q, o->at, &err)) < 0) {
		cvm_check(&r->v, "qe_identity", CVM_FAILED, err.msg);
		worst = worse(worst, cvm_exit_for_verify(rc));
	} else {
		fprintf(stdout, "  qe_identity_status: %s\n", tdx_tcb_status_name(qe));
		worst = worse(worst, status_check(r, o, "qe_identity", qe));
	}
	return worst;
}

/* One field alone: ok or failed with its own message. */
static void field(struct tdx_run *r, const char *name, const struct tdx_policy *p)
{
	struct eph_err err = {{0}};
	struct tdx_verdict tv;

	if (tdx_appraise(&tv, &r->q, p, &err) == 0)
		cvm_check(&r->v, name, CVM_OK, NULL);
	else
		cvm_check(&r->v, name, CVM_FAILED, err.msg);
}

static int appraise(struct tdx_run *r, const struct cvm_opts *o)
{
	static const char *const rtmr_name[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
	struct eph_err err = {{0}};
	struct tdx_policy full, one;
	struct tdx_verdict tv;
	int i, rc;

	memset(&full, 0, sizeof(full));
	full.mrtd = (const uint8_t(*)[TDX_MR_SIZE])o->mrtd;
	full.n_mrtd = o->n_mrtd;
	for (i = 0; i < 4; i++)
		full.rtmr[i] = o->have_rtmr[i] ? o->rtmr[i] : NULL;
	full.mrconfigid = o->have_mrconfigid ? o->mrconfigid : NULL;
	full.mrowner = o->have_mrowner ? o->mrowner : NULL;
	full.mrownerconfig = o->have_mrownerconfig ? o->mrownerconfig : NULL;
	full.report_data = o->have_report_data ? o->report_data : NULL;
	full.allow_debug = o->allow_debug;
	full.require_sept_ve_disable = o->require_sept_ve_disable;
	rc = tdx_appraise(&tv, &r->q, &full, &err);

	/* Every field alone, for the verdict block. */
	memset(&one, 0, sizeof(one));
	one.allow_debug = 1;
	one.report_data = full.report_data;
	if (one.report_data != NULL)
		field(r, "report_data", &one);
	else
		cvm_check(&r->v, "report_data", CVM_UNCHECKED,
		          "no --report-data or --nonce/--ak-name given");
	memset(&one, 0, sizeof(one));
	one.allow_debug = o->allow_debug;
	field(r, "debug", &one);
	one.allow_debug = 1;
	one.mrtd = full.mrtd;
	one.n_mrtd = full.n_mrtd;
	if (one.n_mrtd > 0)
		field(r, "mrtd", &one);
	else
		cvm_check(&r->v, "mrtd", CVM_UNCHECKED, "no --mrtd given");
	one.n_mrtd = 0;
	for (i = 0; i < 4; i++) {
		one.rtmr[i] = full.rtmr[i];
		if (one.rtmr[i] != NULL)
			field(r, rtmr_name[i], &one);
		else
			cvm_check(&r->v, rtmr_name[i], CVM_UNCHECKED, NULL);
		one.rtmr[i] = NULL;
	}
	if (full.mrconfigid != NULL || full.mrowner != NULL || full.mrownerconfig != NULL) {
		one.mrconfigid = full.mrconfigid;
		one.mrowner = full.mrowner;
		one.mrownerconfig = full.mrownerconfig;
		field(r, "mrconfigid_mrowner", &one);
		memset(&one, 0, sizeof(one));
		one.allow_debug = 1;
	}
	if (full.require_sept_ve_disable) {
		one.require_sept_ve_disable = 1;
		field(r, "sept_ve_disable", &one);
	}
	if (rc == EPH_EPOLICY)
		return CVM_EXIT_POLICY;
	return rc < 0 ? CVM_EXIT_INTERNAL : CVM_EXIT_OK;
}

static int verify(struct tdx_run *r, const struct cvm_opts *o)
{
	struct eph_err err = {{0}};
	struct tdx_pck_info pck;
	int rc;

	rc = tdx_quote_verify(&r->res, &r->q, r->trust, o->at, &err);
	fputs("---\n", stdout);
	cvm_tdx_print_quote(stdout, &r->q);
	if (rc < 0) {
		if (tdx_quote_pck_info(&pck, &r->q, &(struct eph_err){{0}}) == 0)
			cvm_tdx_print_pck(stdout, &pck, NULL, false);
		cvm_check(&r->v, "quote", CVM_FAILED, err.msg);
		rc = cvm_exit_for_verify(rc);
		cvm_print_verdict(stdout, &r->v, rc);
		cvm_report(o->input, err.msg);
		return rc;
	}
	cvm_tdx_print_pck(stdout, &r->res.pck,
	                  r->res.pck_ca == TDX_PCK_CA_PLATFORM    ? "platform"
	                  : r->res.pck_ca == TDX_PCK_CA_PROCESSOR ? "processor"
	                                                          : "unknown",
	                  true);
	cvm_check(&r->v, "pck_chain", CVM_OK,
	          r->res.crl_checked ? "CRLs consulted" : "no CRL given");
	cvm_check(&r->v, "qe_report", CVM_OK, NULL);
	cvm_check(&r->v, "quote_signature", CVM_OK, NULL);
	rc = collateral(r, o);
	rc = worse(rc, appraise(r, o));
	cvm_print_verdict(stdout, &r->v, rc);
	if (rc == CVM_EXIT_POLICY)
		cvm_report(o->input, "refused by policy (see verdict)");
	else if (rc != CVM_EXIT_OK)
		cvm_report(o->input, "collateral check failed (see verdict)");
	return rc;
}

int cvm_tdx_run(const struct cvm_opts *o)
{
	struct eph_err err = {{0}};
	struct tdx_pck_info pck;
	struct tdx_run *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL) {
		cvm_report(NULL, "out of memory");
		return CVM_EXIT_INTERNAL;
	}
	rc = load(r, o);
	if (rc != CVM_EXIT_OK)
		goto out;
	if (o->cmd == CVM_CMD_VERIFY) {
		rc = verify(r, o);
		goto out;
	}
	fputs("---\n", stdout);
	cvm_tdx_print_quote(stdout, &r->q);
	if (tdx_quote_pck_info(&pck, &r->q, &err) == 0)
		cvm_tdx_print_pck(stdout, &pck, NULL, false);
	else
		cvm_report(o->input, err.msg); /* the quote parsed; its PCK did not */
out:
	tdx_qeid_free(r->qi);
	tdx_tcbinfo_free(r->ti);
	free(r->qe_json);
	free(r->tcb_json);
	tdx_trust_free(r->trust);
	free(r->buf);
	free(r);
	return rc;
}
