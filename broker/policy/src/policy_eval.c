/*
 * policy_eval.c - evaluating a loaded policy against an attribute set:
 * each rule's conditions (with why it matched or the first condition that
 * failed), composition of every matching rule by the most restrictive
 * value, defaults for what no rule set, and the implicit deny.
 *
 * Not here: the mask (policy_mask.c), text for humans (policy_explain.c),
 * locking (policy_engine.c: the caller holds a reference to p).
 */
#include "policy-priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_EPS 1e-9

/* Append to a why buffer, truncating. */
static void add(char *why, size_t wn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add(char *why, size_t wn, const char *fmt, ...)
{
	size_t n = strnlen(why, wn);
	va_list ap;

	if (n + 1 >= wn)
		return;
	va_start(ap, fmt);
	vsnprintf(why + n, wn - n, fmt, ap);
	va_end(ap);
}

static void value_text(char *out, size_t n, const struct policy__value *v)
{
	if (v->type == ATTRS_STR)
		snprintf(out, n, "\"%s\"", v->str);
	else if (v->type == ATTRS_INT)
		snprintf(out, n, "%lld", v->num);
	else
		snprintf(out, n, "%s", v->flag ? "true" : "false");
}

static bool value_eq(const struct policy__value *v, const struct attrs_attr *a)
{
	if ((int)v->type != (int)a->type)
		return false;
	if (v->type == ATTRS_STR)
		return strcmp(v->str, a->str) == 0;
	if (v->type == ATTRS_INT)
		return v->num == a->num;
	return v->flag == a->flag;
}

/*
 * One condition. Returns true when it holds; on false, why gets the
 * reason; on true, a short note ("role = \"analyst\" (issuer, 0.80)").
 */
static bool cond_holds(const struct policy__pol *p, const struct policy__rule *r,
		       const struct policy__cond *c, const attrs_set *attrs, char *why, size_t wn)
{
	const struct attrs_attr *a = attrs_get(attrs, c->attr);
	double min = c->min_conf >= 0.0 ? c->min_conf : r->min_conf, conf;
	char val[ATTRS_VALUE_MAX + 2], exp[ATTRS_VALUE_MAX + 2];

	if (a == NULL) {
		if (c->present == 0) {
			add(why, wn, "%s absent", c->attr);
			return true;
		}
		add(why, wn, "%s: absent", c->attr);
		return false;
	}
	if (c->present == 0) {
		add(why, wn, "%s: present, must be absent", c->attr);
		return false;
	}
	conf = attrs_confidence(&p->conf, a);
	if (a->type == ATTRS_STR)
		snprintf(val, sizeof(val), "\"%s\"", a->str);
	else
		attrs_value_text(val, sizeof(val), a);
	if (conf + CONF_EPS < min) {
		add(why, wn, "%s: confidence %.2f (%s%s) < %.2f", c->attr, conf,
		    attrs_source_name(a->source), a->nwarn ? ", warned" : "", min);
		return false;
	}
	if (conf > c->max_conf + CONF_EPS) {
		add(why, wn, "%s: confidence %.2f (%s) > max %.2f", c->attr, conf,
		    attrs_source_name(a->source), c->max_conf);
		return false;
	}
	if (c->has_eq && !value_eq(&c->eq, a)) {
		value_text(exp, sizeof(exp), &c->eq);
		add(why, wn, "%s: %s != %s", c->attr, val, exp);
		return false;
	}
	if (c->nin > 0) {
		size_t i;

		for (i = 0; i < c->nin && !value_eq(&c->in[i], a); i++)
			;
		if (i == c->nin) {
			add(why, wn, "%s: %s not in [", c->attr, val);
			for (i = 0; i < c->nin; i++) {
				value_text(exp, sizeof(exp), &c->in[i]);
				add(why, wn, "%s%s", i ? ", " : "", exp);
			}
			add(why, wn, "]");
			return false;
		}
	}
	if ((c->has_ge || c->has_le) && a->type != ATTRS_INT) {
		add(why, wn, "%s: %s is not an integer", c->attr, val);
		return false;
	}
	if (c->has_ge && a->num < c->ge) {
		add(why, wn, "%s: %lld < %lld", c->attr, a->num, c->ge);
		return false;
	}
	if (c->has_le && a->num > c->le) {
		add(why, wn, "%s: %lld > %lld", c->attr, a->num, c->le);
		return false;
	}
	add(why, wn, "%s = %s (%s %.2f)", c->attr, val, attrs_source_name(a->source), conf);
	return true;
}

bool policy__rule_match(const struct policy__pol *p, const struct policy__rule *r,
			const attrs_set *attrs, char *why, size_t wn)
{
	char one[POLICY_WHY_MAX];

	why[0] = '\0';
	if (r->ncond == 0) {
		add(why, wn, "empty match: every request");
		return true;
	}
	for (size_t i = 0; i < r->ncond; i++) {
		one[0] = '\0';
		if (!cond_holds(p, r, &r->cond[i], attrs, one, sizeof(one))) {
			snprintf(why, wn, "%s", one);
			return false;
		}
		add(why, wn, "%s%s", i ? "; " : "", one);
	}
	return true;
}

static bool in_list(const struct policy_constraints *c, const char *host)
{
	for (size_t i = 0; i < c->nallow; i++) {
		if (strcmp(c->allow[i], host) == 0)
			return true;
	}
	return false;
}

/* Fold rule constraints r into the composition acc (most restrictive). */
static void compose(struct policy_constraints *acc, const struct policy_constraints *r)
{
	unsigned both = acc->set & r->set;

	if (r->set & POLICY_C_VCPU)
		acc->max_vcpu_milli = (both & POLICY_C_VCPU) && acc->max_vcpu_milli < r->max_vcpu_milli
					      ? acc->max_vcpu_milli
					      : r->max_vcpu_milli;
	if (r->set & POLICY_C_MEM)
		acc->max_mem_mib = (both & POLICY_C_MEM) && acc->max_mem_mib < r->max_mem_mib
					   ? acc->max_mem_mib
					   : r->max_mem_mib;
	if (r->set & POLICY_C_TTL)
		acc->max_ttl_s = (both & POLICY_C_TTL) && acc->max_ttl_s < r->max_ttl_s ? acc->max_ttl_s
										      : r->max_ttl_s;
	if (r->set & POLICY_C_REATTEST)
		acc->reattest_s = (both & POLICY_C_REATTEST) && acc->reattest_s < r->reattest_s
					  ? acc->reattest_s
					  : r->reattest_s;
	if (r->set & POLICY_C_SIZES)
		acc->sizes = (both & POLICY_C_SIZES) ? acc->sizes & r->sizes : r->sizes;
	if (r->set & POLICY_C_NETWORK)
		acc->network = (both & POLICY_C_NETWORK) && acc->network < r->network ? acc->network
											: r->network;
	if (r->set & POLICY_C_ENCRYPTION)
		acc->encryption = (both & POLICY_C_ENCRYPTION) && acc->encryption > r->encryption
					  ? acc->encryption
					  : r->encryption;
	if (r->set & POLICY_C_ALLOWLIST) {
		if (both & POLICY_C_ALLOWLIST) {
			size_t k = 0;

			for (size_t i = 0; i < acc->nallow; i++) {
				if (in_list(r, acc->allow[i]))
					memmove(acc->allow[k++], acc->allow[i], POLICY_HOST_MAX);
			}
			acc->nallow = k;
		} else {
			acc->nallow = r->nallow;
			memcpy(acc->allow, r->allow, sizeof(r->allow));
		}
	}
	if (r->set & POLICY_C_DEDICATED)
		acc->dedicated = acc->dedicated || r->dedicated;
	if (r->set & POLICY_C_DENY)
		acc->deny = acc->deny || r->deny;
	acc->set |= r->set;
}

/* Fill what no matching rule set from the policy's defaults. */
static void fill_defaults(struct policy_constraints *acc, const struct policy_constraints *d)
{
	unsigned unset = ~acc->set;

	if (unset & POLICY_C_VCPU)
		acc->max_vcpu_milli = d->max_vcpu_milli;
	if (unset & POLICY_C_MEM)
		acc->max_mem_mib = d->max_mem_mib;
	if (unset & POLICY_C_SIZES)
		acc->sizes = d->sizes;
	if (unset & POLICY_C_NETWORK)
		acc->network = d->network;
	if (unset & POLICY_C_ALLOWLIST) {
		acc->nallow = d->nallow;
		memcpy(acc->allow, d->allow, sizeof(d->allow));
	}
	if (unset & POLICY_C_ENCRYPTION)
		acc->encryption = d->encryption;
	if (unset & POLICY_C_TTL)
		acc->max_ttl_s = d->max_ttl_s;
	if (unset & POLICY_C_REATTEST)
		acc->reattest_s = d->reattest_s;
	if (unset & POLICY_C_DEDICATED)
		acc->dedicated = d->dedicated;
	if (unset & POLICY_C_DENY)
		acc->deny = false;
	acc->set = d->set;
	if (acc->network == POLICY_NET_ALLOWLIST && acc->nallow == 0)
		acc->network = POLICY_NET_NONE; /* nothing left to reach */
	if (acc->network != POLICY_NET_ALLOWLIST)
		acc->nallow = 0;
}

int policy__evaluate(struct policy_result **out, const struct policy__pol *p,
		     const attrs_set *attrs, struct eph_err *err)
{
	struct policy_result *res = calloc(1, sizeof(*res));
	struct policy_constraints acc;
	const char *deny_by = NULL;
	size_t matched = 0;

	*out = NULL;
	if (res == NULL)
		return eph_err_set(err, EPH_ENOMEM, "policy: out of memory for a result");
	memset(&acc, 0, sizeof(acc));
	res->generation = p->generation;
	res->nsizes = p->nsizes;
	memcpy(res->sizes, p->sizes, sizeof(p->sizes));
	res->nrules = p->nrules;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy__rule *r = &p->rules[i];
		struct policy_rule_verdict *v = &res->rules[i];

		snprintf(v->name, sizeof(v->name), "%s", r->name);
		v->line = r->line;
		v->matched = policy__rule_match(p, r, attrs, v->why, sizeof(v->why));
		if (!v->matched)
			continue;
		matched++;
		compose(&acc, &r->c);
		if (r->c.deny && deny_by == NULL)
			deny_by = r->name;
	}
	fill_defaults(&acc, &p->defaults);
	res->c = acc;
	if (matched == 0) {
		res->allowed = false;
		res->c.deny = true;
		snprintf(res->reason, sizeof(res->reason),
			 "no rule matched: implicit deny (%zu rules checked)", p->nrules);
	} else if (deny_by != NULL) {
		res->allowed = false;
		snprintf(res->reason, sizeof(res->reason), "denied by rule \"%s\"", deny_by);
	} else {
		res->allowed = true;
		snprintf(res->reason, sizeof(res->reason), "%zu of %zu rules matched; composed by the most restrictive value",
			 matched, p->nrules);
	}
	*out = res;
	return 0;
}

void policy_result_free(struct policy_result *r)
{
	free(r);
}

const char *policy_network_name(enum policy_network n)
{
	switch (n) {
	case POLICY_NET_NONE:
		return "none";
	case POLICY_NET_ALLOWLIST:
		return "allowlist";
	case POLICY_NET_FULL:
		return "full";
	}
	return "?";
}

const char *policy_encryption_name(enum policy_encryption e)
{
	switch (e) {
	case POLICY_ENC_NONE:
		return "none";
	case POLICY_ENC_AT_REST:
		return "at-rest";
	case POLICY_ENC_CONFIDENTIAL:
		return "confidential-only";
	}
	return "?";
}
