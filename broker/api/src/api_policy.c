/*
 * api_policy.c - the broker's own knobs, read from broker.json in the
 * policy folder (all optional; built-in defaults without the file):
 *   {
 *     "reattest_s": 60,            re-attestation period handed to agents
 *     "nonce_ttl_s": 60,           challenge lifetime (1..3600)
 *     "require_eventlog": false,   refuse quotes without a firmware log
 *     "allow_uncertified_ek": false,
 *     "snp": {...}, "tdx": {...}   CVM reference values (api_cvm.c)
 *   }
 * Unknown keys are refused (a typo must not silently weaken the broker).
 * A reload builds a new struct and swaps it in only when it validated.
 *
 * The same folder's reference values (golden-pcrs.json, ima-allowlist.json,
 * reference.json) are loaded for broker/appraise (api_appraise.c).
 *
 * Not here: the resource policy for environments (attribute rules, action
 * mask: broker/policy when it lands; api_decide.c holds the baseline).
 */
#include <stdio.h>
#include <string.h>

#include "api-envs.h"

int api__appraise_refs_load(void **out, const char *dir, struct eph_err *err);
void api__appraise_refs_free(void *refs);

static const char *const known[] = {"reattest_s", "nonce_ttl_s", "require_eventlog",
				    "allow_uncertified_ek", "snp", "tdx", "environments",
				    "comment"};

static int get_uint(unsigned *out, json_t *doc, const char *key, unsigned lo, unsigned hi,
		    const char *path, struct eph_err *err)
{
	json_t *j = json_object_get(doc, key);
	json_int_t v;

	if (j == NULL)
		return 0;
	if (!json_is_integer(j))
		return eph_err_set(err, EPH_EFORMAT, "%s: \"%s\" must be an integer", path, key);
	v = json_integer_value(j);
	if (v < (json_int_t)lo || v > (json_int_t)hi)
		return eph_err_set(err, EPH_EFORMAT, "%s: \"%s\" = %lld outside %u..%u", path, key,
				   (long long)v, lo, hi);
	*out = (unsigned)v;
	return 0;
}

static int get_bool(int *out, json_t *doc, const char *key, const char *path,
		    struct eph_err *err)
{
	json_t *j = json_object_get(doc, key);

	if (j == NULL)
		return 0;
	if (!json_is_boolean(j))
		return eph_err_set(err, EPH_EFORMAT, "%s: \"%s\" must be true or false", path, key);
	*out = json_is_true(j);
	return 0;
}

int api__policy_load(struct api__policy *out, const char *dir, const struct api_config *cfg,
		     struct eph_err *err)
{
	char path[4096];
	json_error_t je;
	json_t *doc = NULL;
	const char *k;
	json_t *val;
	int rc;

	memset(out, 0, sizeof(*out));
	out->reattest_s = 60;
	out->nonce_ttl_s = cfg->nonce_ttl_s ? cfg->nonce_ttl_s : 60;
	out->allow_uncertified_ek = cfg->allow_uncertified_ek;
	/* reference values for broker/appraise (golden PCRs, IMA allowlist, ...) */
	rc = api__appraise_refs_load(&out->refs, dir, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "reference values in %s", dir ? dir : "(none)");
	if (dir == NULL)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/broker.json", dir) >= sizeof(path)) {
		rc = eph_err_set(err, EPH_EFAIL, "policy folder path too long");
		goto fail;
	}
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL) {
		FILE *f = fopen(path, "r");

		if (f == NULL) /* no broker.json: its defaults, and the rules if any */
			return api__rules_load(&out->rules, dir, err);
		fclose(f);
		rc = eph_err_set(err, EPH_EFORMAT, "%s:%d: %s", path, je.line, je.text);
		goto fail;
	}
	if (!json_is_object(doc)) {
		rc = eph_err_set(err, EPH_EFORMAT, "%s: not a JSON object", path);
		goto fail;
	}
	json_object_foreach(doc, k, val) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: unknown key \"%.64s\"", path, k);
			goto fail;
		}
	}
	rc = get_uint(&out->reattest_s, doc, "reattest_s", 5, 86400, path, err);
	if (rc == 0)
		rc = get_uint(&out->nonce_ttl_s, doc, "nonce_ttl_s", 1, 3600, path, err);
	if (rc == 0)
		rc = get_bool(&out->require_eventlog, doc, "require_eventlog", path, err);
	if (rc == 0)
		rc = get_bool(&out->allow_uncertified_ek, doc, "allow_uncertified_ek", path, err);
	if (rc < 0)
		goto fail;
	out->doc = doc;
	{
		struct api__envpol ep;

		rc = api__envpol_load(&ep, out, err);
		if (rc < 0) {
			eph_err_prefix(err, rc, "%s", path);
			out->doc = NULL;
			goto fail;
		}
	}
	rc = api__rules_load(&out->rules, dir, err);
	if (rc < 0) {
		out->doc = NULL;
		goto fail;
	}
	return 0;
fail:
	json_decref(doc);
	api__appraise_refs_free(out->refs);
	out->refs = NULL;
	return rc;
}

void api__policy_clear(struct api__policy *p)
{
	json_decref(p->doc);
	p->doc = NULL;
	api__appraise_refs_free(p->refs);
	p->refs = NULL;
	api__rules_free(p->rules);
	p->rules = NULL;
}
