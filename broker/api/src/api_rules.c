/*
 * api_rules.c - the resource policy of an environment request from the
 * policy engine (broker/policy): the requester's attributes, with their
 * sources, go through the ordered rules of <policy folder>/policy.json; the
 * policy's size catalogue becomes the size table and the composed
 * constraints (sizes, vCPU, memory, TTL, re-attestation, network,
 * encryption) narrow broker.json's limits.
 * A deny (or no rule matching) refuses the request with the engine's reason.
 *
 * The engine is loaded with the rest of the policy folder (api_policy.c),
 * so a SIGHUP reload swaps it together with broker.json and the reference
 * values, or keeps all of them.
 *
 * Not here: the size table and the decision (api_decide.c); attribute
 * collection (api_envs.c). Without broker/policy, or without policy.json,
 * broker.json's "environments" section alone decides.
 */
#include <string.h>

#include "api-envs.h"

#ifdef API_HAVE_POLICY
#include "attrs.h"
#include "policy.h"

int api__rules_load(void **out, const char *dir, struct eph_err *err)
{
	policy_engine *e = NULL;
	char path[4096];
	FILE *f;
	int rc;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/policy.json", dir) >= (int)sizeof(path))
		return eph_err_set(err, EPH_EFAIL, "policy folder path too long");
	f = fopen(path, "r");
	if (f == NULL)
		return 0; /* no rules: broker.json alone */
	fclose(f);
	rc = policy_engine_new(&e, dir, err);
	if (rc < 0)
		return rc;
	*out = e;
	return 0;
}

void api__rules_free(void *rules)
{
	policy_engine_free(rules);
}

/* The api's [{"name","value","source"}] as an attrs set; numbers and
 * booleans written as text become typed so that ">=" rules work. */
static int to_attrs(attrs_set **out, json_t *arr, struct eph_err *err)
{
	attrs_set *set = NULL;
	json_t *it;
	size_t i;
	int rc;

	rc = attrs_new(&set, err);
	if (rc < 0)
		return rc;
	json_array_foreach(arr, i, it) {
		const char *name = json_string_value(json_object_get(it, "name"));
		const char *val = json_string_value(json_object_get(it, "value"));
		const char *src = json_string_value(json_object_get(it, "source"));
		enum attrs_source s;
		char *end = NULL;
		long long n;

		if (name == NULL || val == NULL || src == NULL)
			continue;
		if (attrs_source_from_name(&s, src) < 0)
			s = ATTRS_SRC_SELF;
		n = strtoll(val, &end, 10);
		if (val[0] != '\0' && end != NULL && *end == '\0')
			rc = attrs_set_int(set, name, n, s, err);
		else if (strcmp(val, "true") == 0 || strcmp(val, "false") == 0)
			rc = attrs_set_bool(set, name, val[0] == 't', s, err);
		else
			rc = attrs_set_str(set, name, val, s, err);
		if (rc < 0) {
			attrs_free(set);
			return rc;
		}
	}
	*out = set;
	return 0;
}

static void narrow_u32(uint32_t *have, uint32_t limit)
{
	if (limit != POLICY_UNLIMITED && (*have == 0 || limit < *have))
		*have = limit;
}

static void narrow_u64(uint64_t *have, uint32_t limit)
{
	if (limit != 0 && limit != POLICY_UNLIMITED && (*have == 0 || limit < *have))
		*have = limit;
}

int api__rules_narrow(struct api__envpol *pol, char *why, size_t why_len, void *rules,
		      json_t *attrs_json, struct eph_err *err)
{
	struct policy_result *res = NULL;
	attrs_set *set = NULL;
	size_t i;
	int rc;

	if (rules == NULL)
		return 0;
	rc = to_attrs(&set, attrs_json, err);
	if (rc < 0)
		return rc;
	rc = policy_evaluate(&res, rules, set, err);
	if (rc < 0)
		goto out;
	{
		/* which rules shaped the limits: what a requester asks first */
		size_t off = 0;
		const char *sep = " ";
		int n = snprintf(why, why_len, "rules");

		if (n > 0 && (size_t)n < why_len)
			off = (size_t)n;
		for (i = 0; off + 1 < why_len && i < res->nrules; i++) {
			if (!res->rules[i].matched)
				continue;
			n = snprintf(why + off, why_len - off, "%s%s", sep, res->rules[i].name);
			if (n < 0 || (size_t)n >= why_len - off)
				break; /* truncated: what fits stays */
			off += (size_t)n;
			sep = ", ";
		}
	}
	if (!res->allowed) {
		rc = eph_err_set(err, EPH_EPOLICY, "refused by policy: %s", res->reason);
		goto out;
	}
	/* With rules, the policy file's size catalogue is the size table. */
	pol->nsizes = res->nsizes < API_MAX_SIZES ? res->nsizes : API_MAX_SIZES;
	for (i = 0; i < pol->nsizes; i++) {
		/* Policy size names are validated short identifiers. */
		if (snprintf(pol->sizes[i].name, sizeof(pol->sizes[i].name), "%s",
			     res->sizes[i].name) < 0)
			pol->sizes[i].name[0] = '\0';
		pol->sizes[i].vcpu_milli = res->sizes[i].vcpu_milli;
		pol->sizes[i].mem_mib = res->sizes[i].mem_mib;
	}
	narrow_u32(&pol->max_vcpu_milli, res->c.max_vcpu_milli);
	narrow_u32(&pol->max_mem_mib, res->c.max_mem_mib);
	narrow_u64(&pol->max_ttl_s, res->c.max_ttl_s);
	narrow_u64(&pol->reattest_s, res->c.reattest_s);
	snprintf(pol->network, sizeof(pol->network), "%s", policy_network_name(res->c.network));
	snprintf(pol->encryption, sizeof(pol->encryption), "%s",
		 policy_encryption_name(res->c.encryption));
	pol->mask = 0;
	for (i = 0; i < pol->nsizes; i++)
		if ((res->c.sizes & (1u << i)) && pol->sizes[i].vcpu_milli <= pol->max_vcpu_milli &&
		    pol->sizes[i].mem_mib <= pol->max_mem_mib)
			pol->mask |= 1ull << i;
	if (pol->mask == 0)
		rc = eph_err_set(err, EPH_EPOLICY, "refused by policy: no size allowed (%s)",
				 res->reason);
out:
	policy_result_free(res);
	attrs_free(set);
	return rc;
}

#else

int api__rules_load(void **out, const char *dir, struct eph_err *err)
{
	(void)dir;
	(void)err;
	*out = NULL;
	return 0;
}

void api__rules_free(void *rules)
{
	(void)rules;
}

int api__rules_narrow(struct api__envpol *pol, char *why, size_t why_len, void *rules,
		      json_t *attrs_json, struct eph_err *err)
{
	(void)pol;
	(void)rules;
	(void)attrs_json;
	(void)err;
	if (why_len)
		why[0] = '\0';
	return 0;
}

#endif
