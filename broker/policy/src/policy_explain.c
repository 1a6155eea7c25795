/*
 * policy_explain.c - the text of `ephemeractl policy explain --attrs FILE`:
 * the attributes with source, warnings and confidence under the current
 * policy's rules; every rule, matched or not, with why; the composed
 * resource policy; and the action mask when an action table is given.
 *
 *   policy generation 3 (/etc/ephemera/policy/policy.json)
 *   attributes:
 *     role = "analyst"  issuer  confidence 0.80
 *   rules:
 *     [match] baseline (line 12): empty match: every request
 *     [ no  ] confidential (line 30): platform: absent
 *   result: allowed: 2 of 5 rules matched; ...
 *     max_vcpu_milli 4000, max_mem_mib 8192, sizes small medium, ...
 *   mask: 0x000000000000003f (6 of 60 actions)
 *
 * Not here: reading the attribute file (attrs_load_file) or the action
 * table (the CLI's job). The format is for humans and may change; scripts
 * should use the JSON API.
 */
#include "policy-priv.h"

#include <string.h>

static void print_attrs(FILE *out, const struct policy__pol *p, const attrs_set *attrs)
{
	char val[ATTRS_VALUE_MAX];

	fprintf(out, "attributes (%zu):\n", attrs_count(attrs));
	for (size_t i = 0; i < attrs_count(attrs); i++) {
		const struct attrs_attr *a = attrs_at(attrs, i);

		attrs_value_text(val, sizeof(val), a);
		fprintf(out, "  %s = %s%s%s  source %s  confidence %.2f", a->name,
			a->type == ATTRS_STR ? "\"" : "", val, a->type == ATTRS_STR ? "\"" : "",
			attrs_source_name(a->source), attrs_confidence(&p->conf, a));
		if (a->nwarn > 0)
			fprintf(out, "  (%u warning%s)", a->nwarn, a->nwarn > 1 ? "s" : "");
		fputc('\n', out);
		for (unsigned w = 0; w < a->nwarn && w < ATTRS_MAX_WARN; w++)
			fprintf(out, "      warning: %s\n", a->warn[w]);
	}
}

static void print_limit(FILE *out, const char *name, uint32_t v)
{
	if (v == POLICY_UNLIMITED)
		fprintf(out, "  %s: unlimited\n", name);
	else
		fprintf(out, "  %s: %u\n", name, v);
}

static void print_result(FILE *out, const struct policy_result *r)
{
	const struct policy_constraints *c = &r->c;

	fprintf(out, "result: %s: %s\n", r->allowed ? "allowed" : "DENIED", r->reason);
	print_limit(out, "max_vcpu_milli", c->max_vcpu_milli);
	print_limit(out, "max_mem_mib", c->max_mem_mib);
	fprintf(out, "  sizes:");
	for (size_t i = 0; i < r->nsizes; i++) {
		if ((c->sizes >> i) & 1u)
			fprintf(out, " %s", r->sizes[i].name);
	}
	fprintf(out, "%s\n", c->sizes == 0 ? " (none)" : "");
	fprintf(out, "  network: %s", policy_network_name(c->network));
	for (size_t i = 0; i < c->nallow; i++)
		fprintf(out, "%s%s", i ? ", " : " [", c->allow[i]);
	fprintf(out, "%s\n", c->nallow ? "]" : "");
	fprintf(out, "  encryption: %s\n", policy_encryption_name(c->encryption));
	fprintf(out, "  max_ttl_s: %u\n  reattest_s: %u\n  dedicated: %s\n", c->max_ttl_s,
		c->reattest_s, c->dedicated ? "yes" : "no");
}

static void print_mask(FILE *out, const struct policy_result *r,
		       const struct policy_action *actions, unsigned n,
		       const struct policy_size *sizes, unsigned nsizes)
{
	uint64_t mask = policy_mask(r, actions, n, sizes, nsizes);
	unsigned allowed = 0;

	if (sizes == NULL) {
		sizes = r->sizes;
		nsizes = (unsigned)r->nsizes;
	}
	for (unsigned i = 0; i < n && i < POLICY_MAX_ACTIONS; i++)
		allowed += (mask >> i) & 1u;
	fprintf(out, "mask: 0x%016llx (%u of %u actions allowed)\n", (unsigned long long)mask,
		allowed, n);
	for (unsigned i = 0; i < n && i < POLICY_MAX_ACTIONS; i++) {
		const struct policy_action *a = &actions[i];

		if (!((mask >> i) & 1u))
			continue;
		fprintf(out, "  action %u: %s x%u prewarm %u\n", i,
			a->size < nsizes ? sizes[a->size].name : "?", a->count, a->prewarm);
	}
}

int policy_explain(FILE *out, policy_engine *e, const attrs_set *attrs,
		   const struct policy_action *actions, unsigned nactions,
		   const struct policy_size *sizes, unsigned nsizes, struct eph_err *err)
{
	struct policy__pol *p = policy__acquire(e);
	struct policy_result *r = NULL;
	int rc = policy__evaluate(&r, p, attrs, err);

	if (rc < 0)
		goto out;
	fprintf(out, "policy generation %lu (%s)\n", p->generation, p->file);
	print_attrs(out, p, attrs);
	fprintf(out, "rules (%zu, all matching rules compose):\n", r->nrules);
	for (size_t i = 0; i < r->nrules; i++) {
		const struct policy_rule_verdict *v = &r->rules[i];

		fprintf(out, "  [%s] %s (line %u): %s\n", v->matched ? "match" : " no  ", v->name,
			v->line, v->why);
	}
	print_result(out, r);
	if (actions != NULL)
		print_mask(out, r, actions, nactions, sizes, nsizes);
	if (ferror(out))
		rc = eph_err_set(err, EPH_EIO, "policy explain: write failed");
out:
	policy_result_free(r);
	policy__release(e, p);
	return rc;
}
