/*
 * cvm_test.c - hardware and runtime-opaque claims from SEV-SNP and TDX
 * verdicts: TCB against minimum and recommended, binding, measurement,
 * debug, other failed checks.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "appraise_tu.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static struct atu t;

static void snp(struct appraise_cvm *c, uint8_t snp_svn, uint8_t ucode)
{
	memset(c, 0, sizeof(*c));
	c->kind = APPRAISE_CVM_SNP;
	c->verified = c->binding_ok = c->measurement_ok = true;
	c->snp_tcb.bootloader = 3;
	c->snp_tcb.snp = snp_svn;
	c->snp_tcb.microcode = ucode;
	c->measurement_len = 48;
	memset(c->measurement, 0x4d, 48);
}

static void setup(void)
{
	atu_init(&t);
	snp(&t.ev.cvm, 22, 213);
}

static void teardown(void)
{
	atu_fini(&t);
}

TestSuite(cvm, .init = setup, .fini = teardown);

static const struct attrs_attr *attr(const char *name)
{
	const struct attrs_attr *a = attrs_get(t.res->attrs, name);

	cr_assert_not_null(a, "no attribute %s", name);
	return a;
}

Test(cvm, snp_up_to_date_affirms_hardware_and_runtime)
{
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_AFFIRMING, NULL);
	atu_expect(&t, WIRE_AR_RUNTIME_OPAQUE, WIRE_TIER_AFFIRMING, NULL);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_AFFIRMING, NULL);
	cr_assert_str_eq(attr("platform")->str, "sev-snp");
	cr_assert_str_eq(attr("tcb_level")->str, "snp:bl=3,tee=0,snp=22,ucode=213");
	cr_assert_str_eq(attr("tcb_status")->str, "up-to-date");
	cr_assert(NEAR(attr("tcb_level")->confidence, 1.0));
}

Test(cvm, snp_below_recommended_is_warning)
{
	snp(&t.ev.cvm, 10, 213);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_WARNING,
		   "hardware: warning: SEV-SNP TCB bl=3 tee=0 snp=10 ucode=213 is below the recommended");
	cr_assert_str_eq(attr("tcb_status")->str, "below-recommended");
	cr_assert(NEAR(attr("tcb_level")->confidence, 0.85));
	cr_assert_str_eq(attr("ar4si.hardware")->str, "warning");
}

Test(cvm, snp_below_minimum_is_contraindicated)
{
	snp(&t.ev.cvm, 22, 100);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_CONTRAINDICATED, "below the minimum");
	cr_assert_str_eq(attr("tcb_status")->str, "below-minimum");
}

Test(cvm, snp_without_tcb_reference_warns)
{
	atu_reference(&t, "{}");
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_WARNING, "no minimum SEV-SNP TCB");
	cr_assert_str_eq(attr("tcb_status")->str, "unknown");
}

Test(cvm, failed_signature_binding_measurement_checks)
{
	t.ev.cvm.verified = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_CONTRAINDICATED, "did not verify");
	atu_expect(&t, WIRE_AR_RUNTIME_OPAQUE, WIRE_TIER_NONE, "no verified");
	cr_assert_eq(attr("platform")->source, ATTRS_SRC_SELF);

	snp(&t.ev.cvm, 22, 213);
	t.ev.cvm.binding_ok = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_CONTRAINDICATED, "REPORT_DATA");
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_CONTRAINDICATED, "not bound");

	snp(&t.ev.cvm, 22, 213);
	t.ev.cvm.measurement_ok = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_CONTRAINDICATED,
		   "launch measurement 4d4d4d4d4d4d4d4d.. is not allowed");

	snp(&t.ev.cvm, 22, 213);
	memcpy(t.ev.cvm.failed, "vmpl, smt", 10);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_CONTRAINDICATED, "checks failed: vmpl, smt");
}

Test(cvm, debug_contraindicates_runtime_opaque)
{
	t.ev.cvm.debug = true;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_RUNTIME_OPAQUE, WIRE_TIER_CONTRAINDICATED, "allows debugging");
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_AFFIRMING, NULL);
}

Test(cvm, cvm_only_identity)
{
	memset(&t.ev.tpm, 0, sizeof(t.ev.tpm));
	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_AFFIRMING, NULL);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_NONE, "no verified TPM quote");
	cr_assert_null(attrs_get(t.res->attrs, "instance_id"));
	t.ev.cvm.verified = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_CONTRAINDICATED, "did not verify");
}

Test(cvm, tdx_status_default_tiers)
{
	memset(&t.ev.cvm, 0, sizeof(t.ev.cvm));
	t.ev.cvm.kind = APPRAISE_CVM_TDX;
	t.ev.cvm.verified = t.ev.cvm.binding_ok = t.ev.cvm.measurement_ok = true;
	t.ev.cvm.tdx_tcb = APPRAISE_TDX_UP_TO_DATE;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_AFFIRMING, NULL);
	cr_assert_str_eq(attr("platform")->str, "tdx");
	cr_assert_str_eq(attr("tcb_level")->str, "tdx:UpToDate");

	t.ev.cvm.tdx_tcb = APPRAISE_TDX_SW_HARDENING_NEEDED;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_WARNING, "TDX TCB status SWHardeningNeeded");

	t.ev.cvm.tdx_tcb = APPRAISE_TDX_OUT_OF_DATE;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_CONTRAINDICATED, "TDX TCB status OutOfDate");
}

Test(cvm, tdx_status_tiers_from_reference)
{
	memset(&t.ev.cvm, 0, sizeof(t.ev.cvm));
	t.ev.cvm.kind = APPRAISE_CVM_TDX;
	t.ev.cvm.verified = t.ev.cvm.binding_ok = t.ev.cvm.measurement_ok = true;
	atu_reference(&t, "{\"tcb\": {\"tdx\": {\"warning\": [\"OutOfDate\"]}}}");
	t.ev.cvm.tdx_tcb = APPRAISE_TDX_OUT_OF_DATE;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_WARNING, "OutOfDate");
	t.ev.cvm.tdx_tcb = APPRAISE_TDX_SW_HARDENING_NEEDED; /* not listed */
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_CONTRAINDICATED, "SWHardeningNeeded");
	t.ev.cvm.tdx_tcb = APPRAISE_TDX_UP_TO_DATE;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_AFFIRMING, NULL);
}
