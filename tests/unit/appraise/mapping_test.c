/*
 * mapping_test.c - each evidence situation gives the AR4SI tiers, reasons
 * and attributes of the mapping table in appraise.h.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "appraise_tu.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static struct atu t;

static void setup(void)
{
	atu_init(&t);
}

static void teardown(void)
{
	atu_fini(&t);
}

TestSuite(appraise, .init = setup, .fini = teardown);

static const struct attrs_attr *attr(const char *name)
{
	const struct attrs_attr *a = attrs_get(t.res->attrs, name);

	cr_assert_not_null(a, "no attribute %s", name);
	return a;
}

Test(appraise, clean_tpm_evidence_affirms)
{
	char text[2048];

	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_AFFIRMING, NULL);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_AFFIRMING, NULL);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_AFFIRMING, NULL);
	atu_expect(&t, WIRE_AR_FILE_SYSTEM, WIRE_TIER_NONE, "no image digest");
	atu_expect(&t, WIRE_AR_HARDWARE, WIRE_TIER_NONE, "no confidential-VM evidence");
	atu_expect(&t, WIRE_AR_RUNTIME_OPAQUE, WIRE_TIER_NONE, "no verified confidential-VM");
	atu_expect(&t, WIRE_AR_STORAGE_OPAQUE, WIRE_TIER_NONE, "not appraised");
	atu_expect(&t, WIRE_AR_SOURCED_DATA, WIRE_TIER_NONE, "not appraised");
	/* One reason line per non-affirming claim. */
	cr_assert_eq(appraise_reasons_text(text, sizeof(text), t.res), 5);
	cr_assert(strstr(text, "hardware: none: no confidential-VM evidence") != NULL, "%s", text);

	cr_assert_str_eq(attr("platform")->str, "tpm");
	cr_assert_str_eq(attr("instance_id")->str, "ek:sha256:e1e1");
	cr_assert(attr("secure_boot")->flag);
	cr_assert_eq(attr("secure_boot")->source, ATTRS_SRC_HW_FRESH);
	cr_assert(NEAR(attr("secure_boot")->confidence, 1.0));
	cr_assert_str_eq(attr("kernel_digest")->str,
			 "sha256:a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2");
	cr_assert_str_eq(attr("ar4si.executables")->str, "affirming");
	cr_assert_str_eq(attr("ar4si.hardware")->str, "none");
	cr_assert_null(attrs_get(t.res->attrs, "tcb_level"));
}

Test(appraise, pcr_mismatch_is_contraindicated)
{
	memset(t.ev.tpm.banks[0].pcr[7], 0x79, 32);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_CONTRAINDICATED,
		   "configuration: contraindicated: sha256 PCR 7 = 7979797979797979.. is not a golden value");
	cr_assert_str_eq(attr("ar4si.configuration")->str, "contraindicated");
}

Test(appraise, golden_pcr_not_quoted_is_warning)
{
	t.ev.tpm.banks[0].mask &= ~(1u << 7);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_WARNING, "PCR 7 has golden values but is not quoted");
}

Test(appraise, unknown_event_is_warning_and_lowers_confidence)
{
	memset(t.events[3].digests[0].bytes, 0xbd, 32);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_WARNING,
		   "unknown event 3: PCR 4 type 0x80000003 sha256:bdbdbdbdbdbdbdbd.. not in the reference event digests");
	cr_assert_eq(attr("secure_boot")->nwarn, 1);
	cr_assert(NEAR(attr("secure_boot")->confidence, 0.85));
	cr_assert(NEAR(attr("kernel_digest")->confidence, 0.85));
	cr_assert(strstr(attr("secure_boot")->warn[0], "unknown event 3") != NULL);
}

Test(appraise, two_unknown_events_count_the_second)
{
	memset(t.events[1].digests[0].bytes, 0xbc, 32);
	memset(t.events[3].digests[0].bytes, 0xbd, 32);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_WARNING, "unknown event 1: ");
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_WARNING, "(+1 more)");
}

Test(appraise, worst_finding_wins)
{
	memset(t.events[3].digests[0].bytes, 0xbd, 32); /* warning */
	t.ev.evlog.replay_ok = false;                   /* contraindicated */
	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_CONTRAINDICATED,
		   "event log does not replay to the quoted PCRs");
	/* Attributes from a log that does not replay are only self-asserted. */
	cr_assert_eq(attr("secure_boot")->source, ATTRS_SRC_SELF);
	cr_assert(NEAR(attr("secure_boot")->confidence, 0.3));
}

Test(appraise, event_digests_without_log_is_warning)
{
	t.ev.evlog.present = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_WARNING, "no event log");
	cr_assert_null(attrs_get(t.res->attrs, "secure_boot"));
}

Test(appraise, failed_quote_contraindicates_identity_and_empties_the_rest)
{
	t.ev.tpm.quote_ok = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_CONTRAINDICATED, "TPM quote did not verify");
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_NONE, "PCR values are not trusted");
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_NONE, "not anchored");
	cr_assert_eq(attr("platform")->source, ATTRS_SRC_SELF);
	cr_assert_eq(attr("instance_id")->source, ATTRS_SRC_SELF);
}

Test(appraise, bad_ak_contraindicates_identity)
{
	t.ev.tpm.ak_ok = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_CONTRAINDICATED, "AK is not");
}

Test(appraise, no_ek_certificate_or_chain_is_warning)
{
	t.ev.tpm.ek_cert = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_WARNING, "no EK certificate");
	cr_assert_eq(attr("instance_id")->nwarn, 1);
	t.ev.tpm.ek_cert = true;
	t.ev.tpm.ek_chain_ok = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_WARNING, "does not chain");
}

Test(appraise, stale_nonce_gives_stale_sources)
{
	t.ev.tpm.nonce_fresh = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_WARNING, "not over a fresh challenge");
	cr_assert_eq(attr("secure_boot")->source, ATTRS_SRC_HW_STALE);
	cr_assert(NEAR(attr("secure_boot")->confidence, 0.7));
	cr_assert(NEAR(attr("instance_id")->confidence, 0.55)); /* 0.7 - one warning */
}

Test(appraise, no_references_means_none)
{
	appraise_refs_free(t.refs);
	cr_assert_eq(appraise_refs_new(&t.refs, NULL), 0);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_NONE, "no golden PCRs");
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_NONE, "no IMA allowlist");
}

Test(appraise, no_evidence_at_all)
{
	memset(&t.ev, 0, sizeof(t.ev));
	atu_run(&t);
	atu_expect(&t, WIRE_AR_INSTANCE_IDENTITY, WIRE_TIER_NONE, "no TPM quote");
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_NONE, "no IMA measurement list");
	cr_assert_null(attrs_get(t.res->attrs, "platform"));
	cr_assert_eq(attr("ar4si.instance-identity")->source, ATTRS_SRC_SELF);
}

Test(appraise, image_digest_against_references)
{
	t.ev.evlog.image_digest =
		"sha256:5151515151515151515151515151515151515151515151515151515151515151";
	atu_run(&t);
	atu_expect(&t, WIRE_AR_FILE_SYSTEM, WIRE_TIER_AFFIRMING, NULL);
	cr_assert_eq(attr("image_digest")->source, ATTRS_SRC_HW_FRESH);
	t.ev.evlog.image_digest =
		"SHA256:5252525252525252525252525252525252525252525252525252525252525252";
	atu_run(&t);
	atu_expect(&t, WIRE_AR_FILE_SYSTEM, WIRE_TIER_CONTRAINDICATED, "is not a reference image");
}

Test(appraise, reasons_text_one_line_each)
{
	char small[16];

	atu_run(&t);
	cr_assert_eq(appraise_reasons_text(small, sizeof(small), t.res), 5);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert_str_eq(appraise_tier_name(WIRE_TIER_WARNING), "warning");
	cr_assert_str_eq(appraise_tier_name(40), "warning");
	cr_assert_str_eq(appraise_claim_name(WIRE_AR_FILE_SYSTEM), "file-system");
	cr_assert_str_eq(appraise_claim_name(9), "?");
}
