/*
 * tdx_yaml.c - the claims of an Intel TDX quote (header, TD quote body
 * with the TD attributes decoded, QE report identity) and the PCK
 * certificate's Intel SGX extension, as YAML.
 *
 * Not here: the verdict (yaml.c), deciding anything (tdx_cmd.c).
 */
#include "cvmcli-priv.h"

static const char *yes(int b)
{
	return b ? "true" : "false";
}

void cvm_tdx_print_quote(FILE *f, const struct tdx_quote *q)
{
	const struct tdx_body *b = &q->body;
	char key[8];
	int i;

	fprintf(f, "tdx:\n  header:\n    version: %u\n    att_key_type: %u\n"
	           "    tee_type: 0x%08x\n",
	        q->version, q->att_key_type, q->tee_type);
	cvm_hex_line(f, "    ", "qe_vendor_id", q->qe_vendor_id, sizeof(q->qe_vendor_id));
	cvm_hex_line(f, "    ", "user_data", q->user_data, sizeof(q->user_data));
	fprintf(f, "  body_type: %u\n  body_size: %u\n", q->body_type, q->body_size);
	cvm_hex_line(f, "  ", "tee_tcb_svn", b->tee_tcb_svn, sizeof(b->tee_tcb_svn));
	cvm_hex_line(f, "  ", "mrseam", b->mrseam, sizeof(b->mrseam));
	cvm_hex_line(f, "  ", "mrsignerseam", b->mrsignerseam, sizeof(b->mrsignerseam));
	fprintf(f, "  seam_attributes: 0x%016llx\n", (unsigned long long)b->seam_attributes);
	fprintf(f, "  td_attributes:\n    raw: 0x%016llx\n    debug: %s\n"
	           "    sept_ve_disable: %s\n    pks: %s\n    key_locker: %s\n"
	           "    perfmon: %s\n",
	        (unsigned long long)b->td_attributes, yes(q->debug), yes(q->sept_ve_disable),
	        yes(q->pks), yes(q->key_locker), yes(q->perfmon));
	fprintf(f, "  xfam: 0x%016llx\n", (unsigned long long)b->xfam);
	cvm_hex_line(f, "  ", "mrtd", b->mrtd, sizeof(b->mrtd));
	cvm_hex_line(f, "  ", "mrconfigid", b->mrconfigid, sizeof(b->mrconfigid));
	cvm_hex_line(f, "  ", "mrowner", b->mrowner, sizeof(b->mrowner));
	cvm_hex_line(f, "  ", "mrownerconfig", b->mrownerconfig, sizeof(b->mrownerconfig));
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "rtmr%d", i);
		cvm_hex_line(f, "  ", key, b->rtmr[i], sizeof(b->rtmr[i]));
	}
	cvm_hex_line(f, "  ", "report_data", b->report_data, sizeof(b->report_data));
	if (b->has_v15) {
		cvm_hex_line(f, "  ", "tee_tcb_svn2", b->tee_tcb_svn2, sizeof(b->tee_tcb_svn2));
		cvm_hex_line(f, "  ", "mrservicetd", b->mrservicetd, sizeof(b->mrservicetd));
	}
	fprintf(f, "  qe_report:\n    isvprodid: %u\n    isvsvn: %u\n", q->qe_report.isvprodid,
	        q->qe_report.isvsvn);
	cvm_hex_line(f, "    ", "mrsigner", q->qe_report.mrsigner, sizeof(q->qe_report.mrsigner));
	cvm_hex_line(f, "    ", "mrenclave", q->qe_report.mrenclave,
	             sizeof(q->qe_report.mrenclave));
	fprintf(f, "  trailing_bytes: %zu\n", q->trailing);
}

void cvm_tdx_print_pck(FILE *f, const struct tdx_pck_info *pck, const char *ca, bool verified)
{
	fprintf(f, "pck:\n  verified: %s%s\n", yes(verified),
	        verified ? "" : " # read from the quote before any check");
	if (ca != NULL)
		fprintf(f, "  ca: %s\n", ca);
	cvm_hex_line(f, "  ", "fmspc", pck->fmspc, sizeof(pck->fmspc));
	cvm_hex_line(f, "  ", "pce_id", pck->pce_id, sizeof(pck->pce_id));
	fprintf(f, "  pcesvn: %u\n", pck->pcesvn);
	cvm_hex_line(f, "  ", "cpusvn", pck->cpusvn, sizeof(pck->cpusvn));
	cvm_hex_line(f, "  ", "tcb_components", pck->comp_svn, sizeof(pck->comp_svn));
	fprintf(f, "  sgx_type: %d\n", pck->sgx_type);
}
