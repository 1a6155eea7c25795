/*
 * appraise_cvm.c - the claims a confidential-VM report decides: hardware
 * (signature and chain, REPORT_DATA binding, launch measurement, other
 * failed checks, TCB against reference.json's minimum and recommended
 * for SEV-SNP or the TDX TCB status tiers) and runtime-opaque (debug).
 *
 * Not here: verifying the report (libsnp, libtdx), the TPM-rooted claims
 * (appraise.c).
 */
#include "appraise-priv.h"

static bool snp_below(const struct appraise_snp_tcb *t, const struct appraise_snp_tcb *min)
{
	return t->fmc < min->fmc || t->bootloader < min->bootloader || t->tee < min->tee ||
	       t->snp < min->snp || t->microcode < min->microcode;
}

const char *appraise__snp_status(const struct appraise_snp_tcb *t, const appraise_refs *refs)
{
	if (!refs->has_snp)
		return "unknown";
	if (snp_below(t, &refs->snp_min))
		return "below-minimum";
	if (refs->has_snp_rec && snp_below(t, &refs->snp_rec))
		return "below-recommended";
	return "up-to-date";
}

/* Tier of a TDX TCB status without a reference.json "tdx" entry. */
static uint8_t tdx_default_tier(enum appraise_tdx_tcb s)
{
	switch (s) {
	case APPRAISE_TDX_UP_TO_DATE:
		return WIRE_TIER_AFFIRMING;
	case APPRAISE_TDX_SW_HARDENING_NEEDED:
	case APPRAISE_TDX_CONFIGURATION_NEEDED:
	case APPRAISE_TDX_CONFIGURATION_AND_SW_HARDENING_NEEDED:
		return WIRE_TIER_WARNING;
	default:
		return WIRE_TIER_CONTRAINDICATED;
	}
}

static void tcb_check(struct appraise__claim *c, const struct appraise_cvm *cvm, const appraise_refs *refs)
{
	const struct appraise_snp_tcb *t = &cvm->snp_tcb;

	if (cvm->kind == APPRAISE_CVM_SNP) {
		if (!refs->has_snp)
			appraise__finding(c, WIRE_TIER_WARNING, "no minimum SEV-SNP TCB in reference.json");
		else if (snp_below(t, &refs->snp_min))
			appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
				"SEV-SNP TCB bl=%u tee=%u snp=%u ucode=%u is below the minimum bl=%u tee=%u snp=%u ucode=%u",
				t->bootloader, t->tee, t->snp, t->microcode, refs->snp_min.bootloader,
				refs->snp_min.tee, refs->snp_min.snp, refs->snp_min.microcode);
		else if (refs->has_snp_rec && snp_below(t, &refs->snp_rec))
			appraise__finding(c, WIRE_TIER_WARNING,
				"SEV-SNP TCB bl=%u tee=%u snp=%u ucode=%u is below the recommended bl=%u tee=%u snp=%u ucode=%u",
				t->bootloader, t->tee, t->snp, t->microcode, refs->snp_rec.bootloader,
				refs->snp_rec.tee, refs->snp_rec.snp, refs->snp_rec.microcode);
	} else {
		unsigned s = (unsigned)cvm->tdx_tcb < APPRAISE_TDX_N ? (unsigned)cvm->tdx_tcb : 0;
		uint8_t tier = refs->has_tdx ? refs->tdx_tier[s] : tdx_default_tier(s);

		if (tier != WIRE_TIER_AFFIRMING)
			appraise__finding(c, tier, "TDX TCB status %s", appraise__tdx_name(s));
	}
}

void appraise__hardware(struct appraise__claim *c, const struct appraise_evidence *ev,
		     const appraise_refs *refs)
{
	const struct appraise_cvm *cvm = &ev->cvm;
	const char *kind = cvm->kind == APPRAISE_CVM_SNP ? "SEV-SNP" : "TDX";
	char hex[20];

	if (cvm->kind == APPRAISE_CVM_NONE) {
		appraise__finding(c, WIRE_TIER_NONE, "no confidential-VM evidence (SEV-SNP or TDX)");
		return;
	}
	if (!cvm->verified) {
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
			"%s report signature or certificate chain did not verify", kind);
		return;
	}
	appraise__affirm(c);
	if (!cvm->binding_ok)
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
			"%s REPORT_DATA does not bind the challenge nonce and AK", kind);
	if (!cvm->measurement_ok) {
		appraise__short_hex(hex, cvm->measurement,
			  cvm->measurement_len <= sizeof(cvm->measurement) ? cvm->measurement_len
									   : 0);
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED, "%s launch measurement %s is not allowed",
			kind, hex);
	}
	if (cvm->failed[0] != '\0')
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED, "%s checks failed: %.100s", kind,
			cvm->failed);
	tcb_check(c, cvm, refs);
}

void appraise__runtime_opaque(struct appraise__claim *c, const struct appraise_evidence *ev)
{
	if (ev->cvm.kind == APPRAISE_CVM_NONE || !ev->cvm.verified) {
		appraise__finding(c, WIRE_TIER_NONE, "no verified confidential-VM evidence");
		return;
	}
	appraise__affirm(c);
	if (ev->cvm.debug)
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
			"guest policy allows debugging: the host can read its memory");
}
