/*
 * appraise.c - the checks of the TPM-rooted AR4SI claims (instance
 * identity, configuration, executables, file system: the mapping table of
 * appraise.h), combining all claims into a result with its reasons, and
 * the names of claims and tiers.
 *
 * Not here: the hardware and runtime-opaque claims (appraise_cvm.c),
 * turning the claims into attributes (appraise_attrs.c), reading
 * reference values (appraise_refs.c, appraise_ima.c). Nothing here
 * verifies a signature or replays a log: the verdicts arrive as bools.
 */
#include "appraise-priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hash.h"
#include "eph_hex.h"

#define EV_NO_ACTION_TYPE 0x3

static const char *const claim_names[WIRE_AR_NUM + 1] = {
	"?", "instance-identity", "configuration", "executables", "file-system",
	"hardware", "runtime-opaque", "storage-opaque", "sourced-data",
};

const char *appraise_claim_name(unsigned claim)
{
	return claim >= 1 && claim <= WIRE_AR_NUM ? claim_names[claim] : "?";
}

const char *appraise_tier_name(unsigned tier)
{
	if (tier < WIRE_TIER_AFFIRMING)
		return "none";
	if (tier < WIRE_TIER_WARNING)
		return "affirming";
	if (tier < WIRE_TIER_CONTRAINDICATED)
		return "warning";
	return "contraindicated";
}

/* How bad a tier is, for "the worst finding wins". */
static int severity(uint8_t tier)
{
	switch (tier) {
	case WIRE_TIER_AFFIRMING:
		return 1;
	case WIRE_TIER_WARNING:
		return 2;
	case WIRE_TIER_CONTRAINDICATED:
		return 3;
	default:
		return 0;
	}
}

void appraise__finding(struct appraise__claim *c, uint8_t tier, const char *fmt, ...)
{
	va_list ap;

	if (severity(tier) < severity(c->tier))
		return;
	if (severity(tier) == severity(c->tier) && c->why[0] != '\0') {
		c->more++;
		return;
	}
	c->tier = tier;
	c->more = 0;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

void appraise__affirm(struct appraise__claim *c)
{
	if (c->tier == WIRE_TIER_NONE)
		c->tier = WIRE_TIER_AFFIRMING;
}

void appraise__short_hex(char out[20], const uint8_t *d, size_t n)
{
	eph_hex_encode(out, 20, d, n < 8 ? n : 8);
	if (n > 8)
		memcpy(out + 16, "..", 3);
}

static const struct appraise_bank *quoted_bank(const struct appraise_tpm *t, uint16_t alg)
{
	for (uint32_t i = 0; i < t->num_banks && i < APPRAISE_MAX_BANKS; i++) {
		if (t->banks[i].alg == alg)
			return &t->banks[i];
	}
	return NULL;
}

static bool tpm_anchored(const struct appraise_evidence *ev)
{
	return ev->tpm.present && ev->tpm.quote_ok;
}

static void instance_identity(struct appraise__claim *c, const struct appraise_evidence *ev)
{
	const struct appraise_tpm *t = &ev->tpm;

	if (t->present) {
		if (!t->quote_ok) {
			appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
				"TPM quote did not verify (signature, nonce or PCR digest)");
			return;
		}
		if (!t->ak_ok) {
			appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
				"AK is not a restricted fixedTPM key activated against the EK");
			return;
		}
		appraise__affirm(c);
		if (!t->ek_cert)
			appraise__finding(c, WIRE_TIER_WARNING,
				"no EK certificate: the TPM's identity rests on its first registration");
		else if (!t->ek_chain_ok)
			appraise__finding(c, WIRE_TIER_WARNING,
				"EK certificate does not chain to a trusted manufacturer CA");
		if (!t->nonce_fresh)
			appraise__finding(c, WIRE_TIER_WARNING, "quote is not over a fresh challenge nonce");
	} else if (ev->cvm.kind != APPRAISE_CVM_NONE) {
		if (!ev->cvm.verified)
			appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
				"confidential-VM report did not verify");
		else
			appraise__affirm(c);
	} else {
		appraise__finding(c, WIRE_TIER_NONE, "no TPM quote and no confidential-VM report");
		return;
	}
	if (ev->cvm.kind != APPRAISE_CVM_NONE && ev->cvm.verified && !ev->cvm.binding_ok)
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
			"confidential-VM report is not bound to this challenge and AK (REPORT_DATA)");
}

static void golden_pcrs(struct appraise__claim *c, const struct appraise_evidence *ev,
			const appraise_refs *refs)
{
	for (size_t i = 0; i < refs->ngolden; i++) {
		const struct appraise__golden *g = &refs->golden[i];
		const struct appraise_bank *b = quoted_bank(&ev->tpm, g->alg);
		const char *alg = eph_hash_name(g->alg);
		char hex[20];
		size_t k;

		if (b == NULL || !(b->mask & (1u << g->pcr))) {
			appraise__finding(c, WIRE_TIER_WARNING, "%s PCR %u has golden values but is not quoted",
				alg, g->pcr);
			continue;
		}
		for (k = 0; k < g->n; k++) {
			if (memcmp(b->pcr[g->pcr], g->val[k], g->size) == 0)
				break;
		}
		if (k == g->n) {
			appraise__short_hex(hex, b->pcr[g->pcr], g->size);
			appraise__finding(c, WIRE_TIER_CONTRAINDICATED, "%s PCR %u = %s is not a golden value",
				alg, g->pcr, hex);
		}
	}
}

static const uint8_t *event_digest(const struct appraise_event *e, uint16_t alg)
{
	for (uint32_t i = 0; i < e->num_digests && i < APPRAISE_MAX_EV_DIGESTS; i++) {
		if (e->digests[i].alg == alg)
			return e->digests[i].bytes;
	}
	return NULL;
}

static void event_digests(struct appraise__claim *c, const struct appraise_evidence *ev,
			  const appraise_refs *refs)
{
	if (refs->nev == 0)
		return;
	if (!ev->evlog.present) {
		appraise__finding(c, WIRE_TIER_WARNING, "no event log to check the reference event digests");
		return;
	}
	for (size_t i = 0; i < ev->evlog.num_events; i++) {
		const struct appraise_event *e = &ev->evlog.events[i];

		if (e->type == EV_NO_ACTION_TYPE)
			continue;
		for (size_t r = 0; r < refs->nev; r++) {
			const struct appraise__evrule *rule = &refs->ev[r];
			const uint8_t *d;
			char hex[20] = "(none)";
			size_t k = 0;

			if (rule->pcr != e->pcr || (!rule->any_type && rule->type != e->type))
				continue;
			d = event_digest(e, rule->alg);
			for (k = 0; d != NULL && k < rule->n; k++) {
				if (memcmp(d, rule->dig[k], rule->size) == 0)
					break;
			}
			if (d != NULL && k < rule->n)
				break; /* known event */
			if (d != NULL)
				appraise__short_hex(hex, d, rule->size);
			appraise__finding(c, WIRE_TIER_WARNING,
				"unknown event %zu: PCR %u type 0x%x %s:%s not in the reference event digests",
				i, e->pcr, e->type, eph_hash_name(rule->alg), hex);
			break;
		}
	}
}

static void configuration(struct appraise__claim *c, const struct appraise_evidence *ev,
			  const appraise_refs *refs)
{
	if (!tpm_anchored(ev)) {
		appraise__finding(c, WIRE_TIER_NONE, "no verified TPM quote: PCR values are not trusted");
		return;
	}
	if (refs->ngolden == 0 && refs->nev == 0) {
		appraise__finding(c, WIRE_TIER_NONE, "no golden PCRs or event digests in the policy folder");
		return;
	}
	appraise__affirm(c);
	golden_pcrs(c, ev, refs);
	if (ev->evlog.present && !ev->evlog.replay_ok)
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED, "event log does not replay to the quoted PCRs");
	event_digests(c, ev, refs);
}

static void executables(struct appraise__claim *c, const struct appraise_evidence *ev,
			const appraise_refs *refs)
{
	const struct appraise_ima *ima = &ev->ima;

	if (!ima->present) {
		appraise__finding(c, WIRE_TIER_NONE, "no IMA measurement list");
		return;
	}
	if (!refs->has_ima) {
		appraise__finding(c, WIRE_TIER_NONE, "no IMA allowlist in the policy folder");
		return;
	}
	if (!tpm_anchored(ev)) {
		appraise__finding(c, WIRE_TIER_NONE, "IMA list is not anchored in a verified TPM quote");
		return;
	}
	appraise__affirm(c);
	if (!ima->template_ok)
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
			"IMA entries do not match their template hashes (list edited)");
	if (!ima->replay_ok)
		appraise__finding(c, WIRE_TIER_CONTRAINDICATED, "IMA list does not replay to the quoted PCR 10");
	for (size_t i = 0; i < ima->num_entries; i++) {
		const struct appraise_ima_entry *e = &ima->entries[i];
		const char *alg = eph_hash_name(e->alg) ? eph_hash_name(e->alg) : "unknown";
		char hex[2 * APPRAISE_MAX_DIGEST + 1] = "";
		const char *path = e->path != NULL ? e->path : "";
		int r;

		if (e->violation) {
			appraise__finding(c, WIRE_TIER_WARNING, "IMA measurement violation at entry %zu (%.120s)",
				i, path);
			continue;
		}
		if (strcmp(path, "boot_aggregate") == 0)
			continue;
		if (e->hash == NULL || e->hash_len == 0 || e->hash_len > APPRAISE_MAX_DIGEST ||
		    eph_hex_encode(hex, sizeof(hex), e->hash, e->hash_len) < 0) {
			appraise__finding(c, WIRE_TIER_CONTRAINDICATED, "%.120s: no usable file hash", path);
			continue;
		}
		r = appraise__ima_lookup(refs, path, hex);
		if (r == -1)
			appraise__finding(c, WIRE_TIER_CONTRAINDICATED, "%.120s %s:%s not in the IMA allowlist",
				path, alg, hex);
		else if (r == -2)
			appraise__finding(c, WIRE_TIER_CONTRAINDICATED,
				"%.120s %s:%s is not an allowed digest for it", path, alg, hex);
	}
}

static void file_system(struct appraise__claim *c, const struct appraise_evidence *ev,
			const appraise_refs *refs)
{
	const char *img = ev->evlog.image_digest;
	char low[APPRAISE_ID_MAX];
	size_t n;

	if (img == NULL || img[0] == '\0') {
		appraise__finding(c, WIRE_TIER_NONE, "no image digest in the evidence");
		return;
	}
	if (refs->nimages == 0) {
		appraise__finding(c, WIRE_TIER_NONE, "no image digests in the policy folder");
		return;
	}
	if (!tpm_anchored(ev) || !ev->evlog.present || !ev->evlog.replay_ok) {
		appraise__finding(c, WIRE_TIER_NONE, "image digest is not anchored in a verified quote");
		return;
	}
	n = strnlen(img, sizeof(low) - 1);
	for (size_t i = 0; i < n; i++)
		low[i] = (img[i] >= 'A' && img[i] <= 'F') ? (char)(img[i] - 'A' + 'a') : img[i];
	low[n] = '\0';
	for (size_t i = 0; i < refs->nimages; i++) {
		if (strcmp(refs->images[i], low) == 0) {
			appraise__affirm(c);
			return;
		}
	}
	appraise__finding(c, WIRE_TIER_CONTRAINDICATED, "image %.100s is not a reference image", low);
}

int appraise_run(struct appraise_result **out, const struct appraise_evidence *ev,
		 const appraise_refs *refs, const struct attrs_conf *conf, struct eph_err *err)
{
	struct appraise__claim c[WIRE_AR_NUM + 1];
	struct appraise_result *res = NULL;
	struct attrs_conf def;
	int rc;

	*out = NULL;
	memset(c, 0, sizeof(c));
	instance_identity(&c[WIRE_AR_INSTANCE_IDENTITY], ev);
	configuration(&c[WIRE_AR_CONFIGURATION], ev, refs);
	executables(&c[WIRE_AR_EXECUTABLES], ev, refs);
	file_system(&c[WIRE_AR_FILE_SYSTEM], ev, refs);
	appraise__hardware(&c[WIRE_AR_HARDWARE], ev, refs);
	appraise__runtime_opaque(&c[WIRE_AR_RUNTIME_OPAQUE], ev);
	appraise__finding(&c[WIRE_AR_STORAGE_OPAQUE], WIRE_TIER_NONE, "not appraised by Ephemera");
	appraise__finding(&c[WIRE_AR_SOURCED_DATA], WIRE_TIER_NONE, "not appraised by Ephemera");

	res = calloc(1, sizeof(*res));
	if (res == NULL)
		return eph_err_set(err, EPH_ENOMEM, "appraise: out of memory for a result");
	for (unsigned i = 1; i <= WIRE_AR_NUM; i++) {
		res->tier[i] = c[i].tier;
		if (c[i].tier == WIRE_TIER_AFFIRMING)
			continue;
		int n;

		/* A reason is one line for a human: cutting a long one is fine. */
		if (c[i].more > 0)
			n = snprintf(res->reason[i], APPRAISE_REASON_MAX, "%s: %s: %s (+%u more)",
				     claim_names[i], appraise_tier_name(c[i].tier), c[i].why,
				     c[i].more);
		else
			n = snprintf(res->reason[i], APPRAISE_REASON_MAX, "%s: %s: %s",
				     claim_names[i], appraise_tier_name(c[i].tier), c[i].why);
		(void)n;
	}
	rc = attrs_new(&res->attrs, err);
	if (rc == 0)
		rc = appraise__attrs(res->attrs, ev, refs, res, err);
	if (rc < 0) {
		appraise_result_free(res);
		return eph_err_prefix(err, rc, "appraise");
	}
	if (conf == NULL) {
		attrs_conf_default(&def);
		conf = &def;
	}
	attrs_conf_apply(conf, res->attrs);
	*out = res;
	return 0;
}

void appraise_result_free(struct appraise_result *res)
{
	if (res == NULL)
		return;
	attrs_free(res->attrs);
	free(res);
}

size_t appraise_reasons_text(char *out, size_t n, const struct appraise_result *res)
{
	size_t used = 0, lines = 0;

	if (n == 0)
		return 0;
	out[0] = '\0';
	for (unsigned i = 1; i <= WIRE_AR_NUM; i++) {
		int w;

		if (res->reason[i][0] == '\0')
			continue;
		lines++;
		if (used >= n)
			continue;
		w = snprintf(out + used, n - used, "%s\n", res->reason[i]);
		used += w > 0 ? (size_t)w : 0;
	}
	return lines;
}
