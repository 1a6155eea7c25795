/*
 * snp_cmd.c - parse and verify --snp: read the report (the 1184 raw bytes
 * of configfs-tsm's outblob, or an SNP_GET_REPORT response with its 32-byte
 * header), the certificate table, the roots and the key; verify with
 * snp_verify; appraise with snp_appraise; print claims and verdict.
 *
 * The library decides; this file only explains: when snp_verify fails its
 * steps (chain, report vs certificate, signature) are rerun one by one to
 * say which failed, and each failed appraisal check is re-evaluated alone
 * under an otherwise permissive policy to give its own reason.
 * Not here: YAML of the claims (snp_yaml.c), key and roots (snp_keys.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cvmcli-priv.h"
#include "eph_cur.h"
#include "eph_file.h"

#define RSP_HEADER 0x20 /* MSG_REPORT_RSP: status, report_size, 24 reserved */

struct snp_run {
	uint8_t *buf, *table_buf;
	size_t len, table_len;
	const uint8_t *raw; /* the report inside buf */
	struct snp_report rep;
	struct snp_certtable table;
	bool have_table;
	snp_roots *roots;
	snp_cert *key;
	char key_src[512];
	struct snp_vcek_info vi;
	bool have_vi;
	struct cvm_verdict v;
};

static int is_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* The raw report: the whole file, or after an SNP_GET_REPORT response header. */
static int locate_report(struct snp_run *r, struct eph_err *err)
{
	struct eph_cur c;
	uint32_t status = 0, size = 0;

	if (r->len == SNP_REPORT_SIZE) {
		r->raw = r->buf;
		return 0;
	}
	eph_cur_init(&c, r->buf, r->len);
	if (r->len >= RSP_HEADER + SNP_REPORT_SIZE && eph_cur_u32le(&c, &status) == 0 &&
	    eph_cur_u32le(&c, &size) == 0 && status == 0 && size == SNP_REPORT_SIZE &&
	    is_zero(r->buf + 8, RSP_HEADER - 8) &&
	    is_zero(r->buf + RSP_HEADER + SNP_REPORT_SIZE, r->len - RSP_HEADER - SNP_REPORT_SIZE)) {
		r->raw = r->buf + RSP_HEADER;
		return 0;
	}
	return eph_err_set(err, EPH_EFORMAT,
	                   "%zu bytes: not an SNP report (1184 bytes) nor an SNP_GET_REPORT "
	                   "response holding one",
	                   r->len);
}

static int load(struct snp_run *r, const struct cvm_opts *o)
{
	struct eph_err err = {{0}};
	int rc;

	if (o->input != NULL) {
		rc = eph_file_read(&r->buf, &r->len, o->input, CVM_MAX_INPUT, &err);
		if (rc < 0) {
			cvm_report(NULL, err.msg);
			return cvm_exit_for_input(rc);
		}
		rc = locate_report(r, &err);
		if (rc == 0)
			rc = snp_report_parse(&r->rep, r->raw, SNP_REPORT_SIZE, &err);
		if (rc < 0) {
			cvm_report(o->input, err.msg);
			return cvm_exit_for_input(rc);
		}
	}
	if (o->certtable != NULL) {
		rc = eph_file_read(&r->table_buf, &r->table_len, o->certtable, CVM_MAX_INPUT, &err);
		if (rc < 0) {
			cvm_report(NULL, err.msg);
			return cvm_exit_for_input(rc);
		}
		rc = snp_certtable_parse(&r->table, r->table_buf, r->table_len, &err);
		if (rc < 0) {
			cvm_report(o->certtable, err.msg);
			return cvm_exit_for_input(rc);
		}
		r->have_table = true;
	}
	return CVM_EXIT_OK;
}

/* snp_verify failed: which step? Mirrors snp_verify's order. */
static void explain_failure(struct snp_run *r, const struct cvm_opts *o, int rc,
                            const struct eph_err *verr)
{
	struct eph_err err = {{0}};
	const char *steps[] = {"certificate_chain", "report_vs_certificate", "signature"};
	int i, step = -1;

	if (!r->have_vi) {
		cvm_check(&r->v, "certificate", CVM_FAILED, verr->msg);
		step = 0;
	} else if (snp_roots_verify(r->roots, r->key, r->vi.product, o->at, &err) < 0) {
		step = 0;
	} else if (snp_check_vcek(&r->rep, &r->vi, &err) < 0) {
		step = 1;
	} else if (snp_verify_signature(r->raw, SNP_REPORT_SIZE, r->key, &err) < 0) {
		step = 2;
	}
	for (i = 0; i < 3; i++) {
		if (!r->have_vi || i > step)
			cvm_check(&r->v, steps[i], CVM_SKIPPED, NULL);
		else if (i < step)
			cvm_check(&r->v, steps[i], CVM_OK, NULL);
		else
			cvm_check(&r->v, steps[i], CVM_FAILED, err.msg);
	}
	if (step < 0) /* every step passed alone: say what snp_verify said */
		cvm_check(&r->v, "verify", CVM_FAILED, verr->msg);
	(void)rc;
}

/* A policy that passes everything, the expected report data the report's own. */
static void lax_policy(struct snp_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->any_measurement = true;
	p->allow_debug = true;
	p->allow_migration_agent = true;
	p->max_vmpl = UINT32_MAX;
}

/* The reason a single check failed, from that check alone. */
static void reason_of(char *out, size_t size, unsigned bit, const struct snp_report *rep,
                      const struct snp_policy *pol, const uint8_t *want)
{
	struct eph_err err = {{0}};
	struct snp_policy p;
	const uint8_t *rd = rep->report_data;

	lax_policy(&p);
	switch (bit) {
	case SNP_CHECK_REPORT_DATA:
		rd = want;
		break;
	case SNP_CHECK_MEASUREMENT:
		p.any_measurement = pol->any_measurement;
		p.n_measurements = pol->n_measurements;
		memcpy(p.measurements, pol->measurements, sizeof(p.measurements));
		break;
	case SNP_CHECK_HOST_DATA:
		p.check_host_data = pol->check_host_data;
		memcpy(p.host_data, pol->host_data, sizeof(p.host_data));
		break;
	case SNP_CHECK_TCB:
		p.min_tcb = pol->min_tcb;
		break;
	case SNP_CHECK_GUEST_SVN:
		p.min_guest_svn = pol->min_guest_svn;
		break;
	case SNP_CHECK_DEBUG:
		p.allow_debug = pol->allow_debug;
		break;
	case SNP_CHECK_MIGRATION:
		p.allow_migration_agent = pol->allow_migration_agent;
		break;
	case SNP_CHECK_VMPL:
		p.max_vmpl = pol->max_vmpl;
		break;
	case SNP_CHECK_SMT:
		p.forbid_smt = pol->forbid_smt;
		break;
	case SNP_CHECK_SINGLE_SOCKET:
		p.require_single_socket = pol->require_single_socket;
		break;
	case SNP_CHECK_SIGNING_KEY:
		p.forbid_vlek = pol->forbid_vlek;
		break;
	}
	snp_appraise(NULL, rep, &p, rd, &err);
	snprintf(out, size, "%s", err.msg);
}

static int appraise(struct snp_run *r, const struct cvm_opts *o)
{
	static const struct {
		unsigned bit;
		const char *name;
	} checks[] = {
	    {SNP_CHECK_REPORT_DATA, "report_data"}, {SNP_CHECK_MEASUREMENT, "measurement"},
	    {SNP_CHECK_HOST_DATA, "host_data"},     {SNP_CHECK_ID_KEY, "id_key_digest"},
	    {SNP_CHECK_TCB, "min_tcb"},             {SNP_CHECK_GUEST_SVN, "guest_svn"},
	    {SNP_CHECK_DEBUG, "debug"},             {SNP_CHECK_MIGRATION, "migration_agent"},
	    {SNP_CHECK_VMPL, "vmpl"},               {SNP_CHECK_SMT, "smt"},
	    {SNP_CHECK_SINGLE_SOCKET, "single_socket"}, {SNP_CHECK_SIGNING_KEY, "signing_key"},
	};
	struct eph_err err = {{0}};
	struct snp_verdict sv;
	char reason[EPH_ERR_MSG_MAX];
	const uint8_t *want = o->have_report_data ? o->report_data : r->rep.report_data;
	size_t i;
	int rc;

	rc = snp_appraise(&sv, &r->rep, &o->snp, want, &err);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (checks[i].bit == SNP_CHECK_REPORT_DATA && !o->have_report_data) {
			cvm_check(&r->v, checks[i].name, CVM_UNCHECKED,
			          "no --report-data or --nonce/--ak-name given");
		} else if (checks[i].bit == SNP_CHECK_MEASUREMENT && o->snp.any_measurement) {
			cvm_check(&r->v, checks[i].name, CVM_UNCHECKED, "--any-measurement");
		} else if (sv.failed & checks[i].bit) {
			reason_of(reason, sizeof(reason), checks[i].bit, &r->rep, &o->snp,
			          o->report_data);
			cvm_check(&r->v, checks[i].name, CVM_FAILED, reason);
		} else if (sv.checked & checks[i].bit) {
			cvm_check(&r->v, checks[i].name, CVM_OK, NULL);
		} else {
			cvm_check(&r->v, checks[i].name, CVM_UNCHECKED, NULL);
		}
	}
	if (rc < 0 && rc != EPH_EPOLICY)
		return cvm_exit_for_verify(rc);
	return rc == 0 ? CVM_EXIT_OK : CVM_EXIT_POLICY;
}

static int verify(struct snp_run *r, const struct cvm_opts *o)
{
	struct eph_err err = {{0}};
	struct snp_report out;
	int rc;

	rc = cvm_snp_load_roots(&r->roots, o, r->have_table ? &r->table : NULL, &err);
	if (rc < 0) {
		cvm_report(NULL, err.msg);
		return cvm_exit_for_input(rc);
	}
	rc = cvm_snp_load_key(&r->key, r->key_src, sizeof(r->key_src), o,
	                      r->have_table ? &r->table : NULL, &r->rep, &err);
	if (rc == EPH_ENOTFOUND && o->vcek == NULL) {
		cvm_report(o->input, err.msg);
		return CVM_EXIT_VERIFY; /* no key: nothing can vouch for the report */
	}
	if (rc < 0) {
		cvm_report(NULL, err.msg);
		return cvm_exit_for_input(rc);
	}
	r->have_vi = snp_vcek_tcb(&r->vi, r->key, &err) == 0;
	rc = snp_verify(&out, &r->vi, r->raw, SNP_REPORT_SIZE, r->key, r->roots, o->at, &err);
	fputs("---\n", stdout);
	cvm_snp_print_report(stdout, rc == 0 ? &out : &r->rep, rc == 0 || r->rep.version >= 3);
	if (r->have_vi)
		cvm_snp_print_signer(stdout, &r->vi, r->key_src);
	if (rc < 0) {
		explain_failure(r, o, rc, &err);
		rc = cvm_exit_for_verify(rc);
		cvm_print_verdict(stdout, &r->v, rc);
		cvm_report(o->input, err.msg);
		return rc;
	}
	r->rep = out;
	cvm_check(&r->v, "certificate_chain", CVM_OK, o->n_crls ? "CRLs consulted" : NULL);
	cvm_check(&r->v, "report_vs_certificate", CVM_OK, NULL);
	cvm_check(&r->v, "signature", CVM_OK, NULL);
	rc = appraise(r, o);
	cvm_print_verdict(stdout, &r->v, rc);
	if (rc != CVM_EXIT_OK)
		cvm_report(o->input, "refused by policy (see verdict)");
	return rc;
}

int cvm_snp_run(const struct cvm_opts *o)
{
	struct snp_run *r = calloc(1, sizeof(*r));
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
	if (o->input != NULL)
		cvm_snp_print_report(stdout, &r->rep, r->rep.version >= 3);
	if (r->have_table)
		cvm_snp_print_certtable(stdout, &r->table, r->table_buf);
out:
	snp_cert_free(r->key);
	snp_roots_free(r->roots);
	free(r->table_buf);
	free(r->buf);
	free(r);
	return rc;
}
