/*
 * verify.c - a report against the key certificate that signed it, and the
 * whole verification in one call (parse, certificate extensions, chain,
 * consistency, signature).
 *
 * Consistency (KDS spec #57230: the VCEK is derived from CHIP_ID and the
 * reported TCB; ABI spec #56860: REPORTED_TCB is the TCB the signing key
 * was derived from):
 *   SIGNING_KEY 0 needs a VCEK, 1 a VLEK, 7 (unsigned) is refused;
 *   VCEK blSPL/teeSPL/snpSPL/ucodeSPL (+fmcSPL) == REPORTED_TCB fields,
 *   and the reserved SPLs too (raw equality);
 *   VCEK hwID == CHIP_ID (first 8 bytes on Turin), unless MASK_CHIP_KEY;
 *   a v3 report's CPUID product == the certificate's product.
 * The TCB is compared before the signature so that a report edited in its
 * TCB says so rather than just "bad signature".
 */
#include <string.h>

#include "snp-priv.h"

static int tcb_field(const char *name, unsigned report, unsigned cert, struct eph_err *err)
{
	if (report == cert)
		return 0;
	return eph_err_set(err, EPH_EVERIFY,
	                   "reported_tcb.%s is %u in the report but %u in the VCEK/VLEK", name,
	                   report, cert);
}

int snp_check_vcek(const struct snp_report *report, const struct snp_vcek_info *info,
                   struct eph_err *err)
{
	struct snp_tcb rep;
	char a[20], b[20];
	int rc;

	if (report->signing_key == SNP_SIGNING_KEY_NONE)
		return eph_err_set(err, EPH_EVERIFY, "SNP report is unsigned (SIGNING_KEY 7)");
	if (report->signing_key == SNP_SIGNING_KEY_VCEK && info->kind != SNP_CERT_VCEK)
		return eph_err_set(err, EPH_EVERIFY,
		                   "SNP report says SIGNING_KEY VCEK, the certificate is a VLEK");
	if (report->signing_key == SNP_SIGNING_KEY_VLEK && info->kind != SNP_CERT_VLEK)
		return eph_err_set(err, EPH_EVERIFY,
		                   "SNP report says SIGNING_KEY VLEK, the certificate is a VCEK");
	if (report->product != SNP_PRODUCT_UNKNOWN && report->product != info->product)
		return eph_err_set(err, EPH_EVERIFY,
		                   "SNP report CPUID (family 0x%02x model 0x%02x) is %s, the "
		                   "certificate is for %s",
		                   report->cpuid_fam_id, report->cpuid_mod_id,
		                   snp_product_name(report->product),
		                   snp_product_name(info->product));
	if (report->version < 3 && info->product == SNP_PRODUCT_TURIN)
		return eph_err_set(
		    err, EPH_EVERIFY,
		    "SNP report version %u cannot come from Turin (its TCB layout needs v3)",
		    report->version);
	/* Decode with the certificate's product: a v2 report does not say. */
	snp_tcb_decode(&rep, report->reported_tcb.raw, info->product);
	rc = tcb_field("bootloader", rep.bootloader, info->tcb.bootloader, err);
	if (rc == 0)
		rc = tcb_field("tee", rep.tee, info->tcb.tee, err);
	if (rc == 0)
		rc = tcb_field("snp", rep.snp, info->tcb.snp, err);
	if (rc == 0)
		rc = tcb_field("microcode", rep.microcode, info->tcb.microcode, err);
	if (rc == 0)
		rc = tcb_field("fmc", rep.fmc, info->tcb.fmc, err);
	if (rc == 0 && rep.raw != info->tcb.raw)
		rc = eph_err_set(err, EPH_EVERIFY,
		                 "reported_tcb 0x%016llx differs from the VCEK/VLEK TCB 0x%016llx "
		                 "in reserved SPLs",
		                 (unsigned long long)rep.raw, (unsigned long long)info->tcb.raw);
	if (rc < 0)
		return rc;
	if (info->kind != SNP_CERT_VCEK || report->mask_chip_key)
		return 0;
	if (info->hwid_len == 0 || info->hwid_len > SNP_CHIP_ID_SIZE ||
	    memcmp(info->hwid, report->chip_id, info->hwid_len) != 0) {
		snp__hex(a, sizeof(a), report->chip_id, 8);
		snp__hex(b, sizeof(b), info->hwid, info->hwid_len < 8 ? info->hwid_len : 8);
		return eph_err_set(
		    err, EPH_EVERIFY,
		    "SNP report chip_id %s... is not the VCEK hwID %s... (VCEK of another chip)", a,
		    b);
	}
	return 0;
}

int snp_verify(struct snp_report *out, struct snp_vcek_info *info, const uint8_t *raw, size_t len,
               const snp_cert *key, const snp_roots *roots, time_t at, struct eph_err *err)
{
	struct snp_vcek_info local;
	struct snp_vcek_info *vi = info != NULL ? info : &local;
	int rc;

	rc = snp_report_parse(out, raw, len, err);
	if (rc == 0)
		rc = snp_vcek_tcb(vi, key, err);
	if (rc == 0)
		rc = snp_roots_verify(roots, key, vi->product, at, err);
	if (rc == 0)
		rc = snp_check_vcek(out, vi, err);
	if (rc == 0)
		rc = snp_verify_signature(raw, len, key, err);
	if (rc == 0 && out->product == SNP_PRODUCT_UNKNOWN) {
		/* v2: the certificate tells the product; decode the TCBs with it. */
		out->product = vi->product;
		snp_tcb_decode(&out->current_tcb, out->current_tcb.raw, out->product);
		snp_tcb_decode(&out->reported_tcb, out->reported_tcb.raw, out->product);
		snp_tcb_decode(&out->committed_tcb, out->committed_tcb.raw, out->product);
		snp_tcb_decode(&out->launch_tcb, out->launch_tcb.raw, out->product);
	}
	return rc;
}
