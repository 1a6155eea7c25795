/*
 * appraise_attrs.c - the attested attributes an appraisal hands on
 * (platform, instance_id, secure_boot, kernel_digest, image_digest,
 * tcb_level, tcb_status, ar4si.<claim>), each with the source kind its
 * evidence earned and the warnings of the claim it rests on (list and
 * rules in appraise.h).
 *
 * Not here: confidence numbers (attrs_conf_apply with the policy's rules,
 * called by appraise_run), judging claims (appraise.c).
 */
#include "appraise-priv.h"

#include <stdio.h>
#include <string.h>

#include "eph_hash.h"
#include "eph_hex.h"

#define EV_BOOT_APP 0x80000003u
#define KERNEL_PCR 4u

static enum attrs_source tpm_source(const struct appraise_tpm *t)
{
	if (!t->present || !t->quote_ok || !t->ak_ok)
		return ATTRS_SRC_SELF;
	return t->nonce_fresh ? ATTRS_SRC_HW_FRESH : ATTRS_SRC_HW_STALE;
}

static enum attrs_source cvm_source(const struct appraise_cvm *c)
{
	if (c->kind == APPRAISE_CVM_NONE || !c->verified || !c->binding_ok)
		return ATTRS_SRC_SELF;
	return ATTRS_SRC_HW_FRESH; /* the binding covers the fresh nonce */
}

/* Warn name with the claim's reason when the claim is at the warning tier. */
static int warn_claim(attrs_set *set, const char *name, const struct appraise_result *res,
		      unsigned claim, struct eph_err *err)
{
	if (res->tier[claim] != WIRE_TIER_WARNING)
		return 0;
	return attrs_warn(set, name, res->reason[claim], err);
}

/* "<alg>:<hex>" of the last boot application measured into PCR 4. */
static void kernel_from_log(char *out, size_t n, const struct appraise_evlog *log)
{
	static const uint16_t prefer[] = {EPH_ALG_SHA256, EPH_ALG_SHA384, EPH_ALG_SHA512,
					  EPH_ALG_SHA1};

	out[0] = '\0';
	for (size_t i = log->num_events; i-- > 0;) {
		const struct appraise_event *e = &log->events[i];

		if (e->pcr != KERNEL_PCR || e->type != EV_BOOT_APP)
			continue;
		for (size_t p = 0; p < sizeof(prefer) / sizeof(prefer[0]); p++) {
			for (uint32_t d = 0; d < e->num_digests && d < APPRAISE_MAX_EV_DIGESTS; d++) {
				char hex[2 * APPRAISE_MAX_DIGEST + 1];
				size_t sz = eph_hash_size(prefer[p]);

				if (e->digests[d].alg != prefer[p] || sz == 0 || sz > APPRAISE_MAX_DIGEST)
					continue;
				eph_hex_encode(hex, sizeof(hex), e->digests[d].bytes, sz);
				snprintf(out, n, "%s:%s", eph_hash_name(prefer[p]), hex);
				return;
			}
		}
		return;
	}
}

static int platform_attrs(attrs_set *set, const struct appraise_evidence *ev,
			  const struct appraise_result *res, struct eph_err *err)
{
	const struct appraise_tpm *t = &ev->tpm;
	enum attrs_source ts = tpm_source(t);
	char id[APPRAISE_ID_MAX + 8];
	int rc = 0;

	if (ev->cvm.kind != APPRAISE_CVM_NONE)
		rc = attrs_set_str(set, "platform",
				   ev->cvm.kind == APPRAISE_CVM_SNP ? "sev-snp" : "tdx",
				   cvm_source(&ev->cvm), err);
	else if (t->present)
		rc = attrs_set_str(set, "platform", "tpm", ts, err);
	if (rc < 0 || !t->present)
		return rc;
	id[0] = '\0';
	if (t->ek_id[0] != '\0')
		snprintf(id, sizeof(id), "ek:%.*s", APPRAISE_ID_MAX - 1, t->ek_id);
	else if (t->ak_name[0] != '\0')
		snprintf(id, sizeof(id), "ak:%.*s", APPRAISE_ID_MAX - 1, t->ak_name);
	if (id[0] == '\0')
		return 0;
	rc = attrs_set_str(set, "instance_id", id, ts, err);
	if (rc == 0)
		rc = warn_claim(set, "instance_id", res, WIRE_AR_INSTANCE_IDENTITY, err);
	return rc;
}

static int boot_attrs(attrs_set *set, const struct appraise_evidence *ev,
		      const struct appraise_result *res, struct eph_err *err)
{
	const struct appraise_evlog *log = &ev->evlog;
	enum attrs_source src = log->replay_ok ? tpm_source(&ev->tpm) : ATTRS_SRC_SELF;
	char kernel[APPRAISE_ID_MAX];
	int rc = 0;

	if (!log->present)
		return 0;
	if (log->secure_boot >= 0) {
		rc = attrs_set_bool(set, "secure_boot", log->secure_boot > 0, src, err);
		if (rc == 0)
			rc = warn_claim(set, "secure_boot", res, WIRE_AR_CONFIGURATION, err);
		if (rc < 0)
			return rc;
	}
	if (log->kernel_digest != NULL)
		snprintf(kernel, sizeof(kernel), "%s", log->kernel_digest);
	else
		kernel_from_log(kernel, sizeof(kernel), log);
	if (kernel[0] != '\0') {
		rc = attrs_set_str(set, "kernel_digest", kernel, src, err);
		if (rc == 0)
			rc = warn_claim(set, "kernel_digest", res, WIRE_AR_CONFIGURATION, err);
		if (rc < 0)
			return rc;
	}
	if (log->image_digest != NULL && log->image_digest[0] != '\0')
		rc = attrs_set_str(set, "image_digest", log->image_digest, src, err);
	return rc;
}

static int tcb_attrs(attrs_set *set, const struct appraise_evidence *ev,
		     const appraise_refs *refs, const struct appraise_result *res,
		     struct eph_err *err)
{
	const struct appraise_cvm *c = &ev->cvm;
	enum attrs_source src = cvm_source(c);
	char level[96];
	const char *status;
	int rc;

	if (c->kind == APPRAISE_CVM_NONE)
		return 0;
	if (c->kind == APPRAISE_CVM_SNP) {
		snprintf(level, sizeof(level), "snp:bl=%u,tee=%u,snp=%u,ucode=%u",
			 c->snp_tcb.bootloader, c->snp_tcb.tee, c->snp_tcb.snp, c->snp_tcb.microcode);
		status = appraise__snp_status(&c->snp_tcb, refs);
	} else {
		status = appraise__tdx_name(c->tdx_tcb);
		snprintf(level, sizeof(level), "tdx:%s", status);
	}
	rc = attrs_set_str(set, "tcb_level", level, src, err);
	if (rc == 0)
		rc = attrs_set_str(set, "tcb_status", status, src, err);
	if (rc == 0)
		rc = warn_claim(set, "tcb_level", res, WIRE_AR_HARDWARE, err);
	if (rc == 0)
		rc = warn_claim(set, "tcb_status", res, WIRE_AR_HARDWARE, err);
	return rc;
}

static int ar4si_attrs(attrs_set *set, const struct appraise_evidence *ev,
		       const struct appraise_result *res, struct eph_err *err)
{
	enum attrs_source ts = tpm_source(&ev->tpm), cs = cvm_source(&ev->cvm);
	enum attrs_source src = ts < cs ? ts : cs;
	char name[ATTRS_NAME_MAX];
	int rc;

	for (unsigned i = 1; i <= WIRE_AR_NUM; i++) {
		snprintf(name, sizeof(name), "ar4si.%s", appraise_claim_name(i));
		rc = attrs_set_str(set, name, appraise_tier_name(res->tier[i]), src, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int appraise__attrs(attrs_set *set, const struct appraise_evidence *ev,
		    const appraise_refs *refs, const struct appraise_result *res,
		    struct eph_err *err)
{
	int rc = platform_attrs(set, ev, res, err);

	if (rc == 0)
		rc = boot_attrs(set, ev, res, err);
	if (rc == 0)
		rc = tcb_attrs(set, ev, refs, res, err);
	if (rc == 0)
		rc = ar4si_attrs(set, ev, res, err);
	return rc;
}
