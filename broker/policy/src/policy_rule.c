/*
 * policy_rule.c - one rule of policy.json: its match conditions and its
 * constraints, validated completely (unknown keys, wrong types, ranges,
 * size names known to the policy's "sizes", min_confidence in [0,1]).
 * Every failure reports the dotted path of the bad value relative to the
 * rule in `where` so that policy_parse.c can name the line.
 *
 * Not here: the file's top level, sizes, line numbers (policy_parse.c),
 * evaluating rules (policy_eval.c).
 */
#include "policy-priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(char *where, size_t wn, const char *path, struct eph_err *err, const char *fmt,
	       ...) __attribute__((format(printf, 5, 6)));

/* Record where (path) and what (fmt) was wrong; EPH_EFORMAT. */
static int bad(char *where, size_t wn, const char *path, struct eph_err *err, const char *fmt,
	       ...)
{
	va_list ap;

	snprintf(where, wn, "%s", path);
	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return EPH_EFORMAT;
}

static int value_parse(struct policy__value *v, const json_t *j)
{
	memset(v, 0, sizeof(*v));
	if (json_is_string(j)) {
		if (json_string_length(j) >= ATTRS_VALUE_MAX ||
		    strlen(json_string_value(j)) != json_string_length(j))
			return -1;
		v->type = ATTRS_STR;
		v->str = strdup(json_string_value(j));
		return v->str == NULL ? -1 : 0;
	}
	if (json_is_integer(j)) {
		v->type = ATTRS_INT;
		v->num = json_integer_value(j);
		return 0;
	}
	if (json_is_boolean(j)) {
		v->type = ATTRS_BOOL;
		v->flag = json_is_true(j);
		return 0;
	}
	return -1;
}

static int unit(double *out, const json_t *j)
{
	double d;

	if (!json_is_number(j))
		return -1;
	d = json_number_value(j);
	if (!(d >= 0.0 && d <= 1.0))
		return -1;
	*out = d;
	return 0;
}

static int cond_parse(struct policy__cond *c, const char *attr, const json_t *j, char *where,
		      size_t wn, struct eph_err *err)
{
	char path[POLICY__PATH_MAX];
	const char *key;
	json_t *v;

	memset(c, 0, sizeof(*c));
	snprintf(c->attr, sizeof(c->attr), "%s", attr);
	c->present = -1;
	c->min_conf = -1.0;
	c->max_conf = 2.0;
	snprintf(path, sizeof(path), "match.%s", attr);
	if (!attrs_name_ok(attr))
		return bad(where, wn, path, err,
			   "match: \"%.64s\" is not an attribute name (a-z 0-9 _ . -)", attr);
	if (!json_is_object(j)) {
		if (value_parse(&c->eq, j) < 0)
			return bad(where, wn, path, err,
				   "match.%s: expected a string, integer, boolean or condition object",
				   attr);
		c->has_eq = true;
		return 0;
	}
	json_object_foreach((json_t *)j, key, v) {
		snprintf(path, sizeof(path), "match.%s.%s", attr, key);
		if (strcmp(key, "equals") == 0) {
			if (value_parse(&c->eq, v) < 0)
				return bad(where, wn, path, err,
					   "%s: expected a string, an integer or a boolean", path);
			c->has_eq = true;
		} else if (strcmp(key, "in") == 0) {
			size_t i;
			json_t *e;

			if (!json_is_array(v) || json_array_size(v) == 0)
				return bad(where, wn, path, err, "%s: expected a non-empty list",
					   path);
			c->in = calloc(json_array_size(v), sizeof(*c->in));
			if (c->in == NULL)
				return eph_err_set(err, EPH_ENOMEM, "policy: out of memory");
			json_array_foreach(v, i, e) {
				if (value_parse(&c->in[i], e) < 0) {
					snprintf(path, sizeof(path), "match.%s.in[%zu]", attr, i);
					return bad(where, wn, path, err,
						   "%s: expected a string, an integer or a boolean",
						   path);
				}
				c->nin++;
			}
		} else if (strcmp(key, ">=") == 0 || strcmp(key, "<=") == 0) {
			bool ge = key[0] == '>';

			if (!json_is_integer(v))
				return bad(where, wn, path, err, "%s: expected an integer", path);
			if (ge) {
				c->has_ge = true;
				c->ge = json_integer_value(v);
			} else {
				c->has_le = true;
				c->le = json_integer_value(v);
			}
		} else if (strcmp(key, "min_confidence") == 0) {
			if (unit(&c->min_conf, v) < 0)
				return bad(where, wn, path, err, "%s: expected a number in [0,1]",
					   path);
		} else if (strcmp(key, "max_confidence") == 0) {
			if (unit(&c->max_conf, v) < 0)
				return bad(where, wn, path, err, "%s: expected a number in [0,1]",
					   path);
		} else if (strcmp(key, "present") == 0) {
			if (!json_is_boolean(v))
				return bad(where, wn, path, err, "%s: expected true or false", path);
			c->present = json_is_true(v) ? 1 : 0;
		} else {
			return bad(where, wn, path, err,
				   "%s: unknown condition (equals, in, >=, <=, min_confidence, max_confidence, present)",
				   path);
		}
	}
	return 0;
}

static int match_parse(struct policy__rule *r, const json_t *m, char *where, size_t wn,
		       struct eph_err *err)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(m))
		return bad(where, wn, "match", err, "match: expected an object");
	r->cond = calloc(json_object_size(m) + 1, sizeof(*r->cond));
	if (r->cond == NULL)
		return eph_err_set(err, EPH_ENOMEM, "policy: out of memory");
	json_object_foreach((json_t *)m, key, v) {
		if (strcmp(key, "min_confidence") == 0) {
			if (unit(&r->min_conf, v) < 0)
				return bad(where, wn, "match.min_confidence", err,
					   "match.min_confidence: expected a number in [0,1]");
			continue;
		}
		rc = cond_parse(&r->cond[r->ncond], key, v, where, wn, err);
		r->ncond++; /* counted even on failure so that rule_free frees it */
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int u32_field(uint32_t *out, const json_t *v, const char *key, char *where, size_t wn,
		     struct eph_err *err)
{
	json_int_t i;

	if (!json_is_integer(v))
		return bad(where, wn, key, err, "%s: expected an integer", key);
	i = json_integer_value(v);
	if (i < 1 || i > (json_int_t)UINT32_MAX - 1)
		return bad(where, wn, key, err, "%s: must be between 1 and 4294967294", key);
	*out = (uint32_t)i;
	return 0;
}

static bool host_ok(const char *s, size_t len)
{
	if (len == 0 || len >= POLICY_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':' ||
		      ch == '/' || ch == '*' || ch == '_' || ch == '[' || ch == ']'))
			return false;
	}
	return true;
}

static int sizes_field(struct policy_constraints *c, const json_t *v,
		       const struct policy__pol *p, char *where, size_t wn, struct eph_err *err)
{
	char path[POLICY__PATH_MAX];
	size_t i, k;
	json_t *e;

	if (!json_is_array(v))
		return bad(where, wn, "sizes", err, "sizes: expected a list of size names");
	c->sizes = 0;
	json_array_foreach(v, i, e) {
		snprintf(path, sizeof(path), "sizes[%zu]", i);
		if (!json_is_string(e))
			return bad(where, wn, path, err, "%s: expected a size name", path);
		for (k = 0; k < p->nsizes; k++) {
			if (strcmp(p->sizes[k].name, json_string_value(e)) == 0)
				break;
		}
		if (k == p->nsizes) {
			snprintf(where, wn, "%s", path);
			return eph_err_set(err, EPH_EFORMAT,
					   "%s: unknown size \"%.64s\" (not in the policy's \"sizes\")",
					   path, json_string_value(e));
		}
		c->sizes |= 1u << k;
	}
	return 0;
}

static int allow_field(struct policy_constraints *c, const json_t *v, char *where, size_t wn,
		       struct eph_err *err)
{
	char path[POLICY__PATH_MAX];
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return bad(where, wn, "allowlist", err, "allowlist: expected a list");
	if (json_array_size(v) > POLICY_MAX_ALLOW)
		return bad(where, wn, "allowlist", err, "allowlist: more than %d entries", POLICY_MAX_ALLOW);
	json_array_foreach(v, i, e) {
		snprintf(path, sizeof(path), "allowlist[%zu]", i);
		if (!json_is_string(e) || !host_ok(json_string_value(e), json_string_length(e)))
			return bad(where, wn, path, err,
				   "%s: expected host[:port] or an address/prefix (1..127 bytes)",
				   path);
		memcpy(c->allow[c->nallow++], json_string_value(e), json_string_length(e) + 1);
	}
	return 0;
}

int policy__constraints_parse(struct policy_constraints *c, const json_t *obj,
			      const struct policy__pol *p, bool allow_deny, char *where,
			      size_t wn, struct eph_err *err)
{
	const char *key;
	json_t *v;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(obj))
		return bad(where, wn, "", err, "expected an object of constraints");
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "max_vcpu_milli") == 0) {
			rc = u32_field(&c->max_vcpu_milli, v, key, where, wn, err);
			c->set |= POLICY_C_VCPU;
		} else if (strcmp(key, "max_mem_mib") == 0) {
			rc = u32_field(&c->max_mem_mib, v, key, where, wn, err);
			c->set |= POLICY_C_MEM;
		} else if (strcmp(key, "max_ttl_s") == 0) {
			rc = u32_field(&c->max_ttl_s, v, key, where, wn, err);
			c->set |= POLICY_C_TTL;
		} else if (strcmp(key, "reattest_s") == 0) {
			rc = u32_field(&c->reattest_s, v, key, where, wn, err);
			c->set |= POLICY_C_REATTEST;
		} else if (strcmp(key, "sizes") == 0) {
			rc = sizes_field(c, v, p, where, wn, err);
			c->set |= POLICY_C_SIZES;
		} else if (strcmp(key, "allowlist") == 0) {
			rc = allow_field(c, v, where, wn, err);
			c->set |= POLICY_C_ALLOWLIST;
		} else if (strcmp(key, "network") == 0) {
			const char *s = json_is_string(v) ? json_string_value(v) : "";

			c->set |= POLICY_C_NETWORK;
			if (strcmp(s, "none") == 0)
				c->network = POLICY_NET_NONE;
			else if (strcmp(s, "allowlist") == 0)
				c->network = POLICY_NET_ALLOWLIST;
			else if (strcmp(s, "full") == 0)
				c->network = POLICY_NET_FULL;
			else
				rc = bad(where, wn, key, err,
					 "network: expected \"none\", \"allowlist\" or \"full\"");
		} else if (strcmp(key, "encryption") == 0) {
			const char *s = json_is_string(v) ? json_string_value(v) : "";

			c->set |= POLICY_C_ENCRYPTION;
			if (strcmp(s, "none") == 0)
				c->encryption = POLICY_ENC_NONE;
			else if (strcmp(s, "at-rest") == 0)
				c->encryption = POLICY_ENC_AT_REST;
			else if (strcmp(s, "confidential-only") == 0)
				c->encryption = POLICY_ENC_CONFIDENTIAL;
			else
				rc = bad(where, wn, key, err,
					 "encryption: expected \"none\", \"at-rest\" or \"confidential-only\"");
		} else if (strcmp(key, "dedicated") == 0 || (allow_deny && strcmp(key, "deny") == 0)) {
			bool deny = strcmp(key, "deny") == 0;

			if (!json_is_boolean(v)) {
				rc = bad(where, wn, key, err, "%s: expected true or false", key);
			} else if (deny) {
				c->deny = json_is_true(v);
				c->set |= POLICY_C_DENY;
			} else {
				c->dedicated = json_is_true(v);
				c->set |= POLICY_C_DEDICATED;
			}
		} else {
			rc = bad(where, wn, key, err,
				 "unknown constraint \"%.64s\" (max_vcpu_milli, max_mem_mib, sizes, network, allowlist, encryption, max_ttl_s, reattest_s, dedicated, deny)",
				 key);
		}
		if (rc < 0)
			return rc;
	}
	if ((c->set & POLICY_C_ALLOWLIST) &&
	    (!(c->set & POLICY_C_NETWORK) || c->network != POLICY_NET_ALLOWLIST))
		return bad(where, wn, "allowlist", err,
			   "allowlist: only with \"network\": \"allowlist\"");
	if ((c->set & POLICY_C_NETWORK) && c->network == POLICY_NET_ALLOWLIST)
		c->set |= POLICY_C_ALLOWLIST; /* no list: no destinations */
	return 0;
}

int policy__rule_parse(struct policy__rule *r, const json_t *obj, const struct policy__pol *p,
		       char *where, size_t wn, struct eph_err *err)
{
	const char *key;
	json_t *v, *match = NULL, *cons = NULL;
	char sub[POLICY__PATH_MAX];
	int rc;

	if (!json_is_object(obj))
		return bad(where, wn, "", err, "expected a rule object");
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "name") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) >= POLICY_NAME_MAX)
				return bad(where, wn, "name", err,
					   "name: expected a string of 1..63 bytes");
			memcpy(r->name, json_string_value(v), json_string_length(v) + 1);
		} else if (strcmp(key, "description") == 0) {
			if (!json_is_string(v))
				return bad(where, wn, "description", err,
					   "description: expected a string");
		} else if (strcmp(key, "match") == 0) {
			match = v;
		} else if (strcmp(key, "constraints") == 0) {
			cons = v;
		} else {
			return bad(where, wn, key, err,
				   "unknown key \"%.64s\" (name, description, match, constraints)", key);
		}
	}
	if (r->name[0] == '\0')
		return bad(where, wn, "", err, "rule has no \"name\"");
	if (match == NULL || cons == NULL)
		return bad(where, wn, "", err, "rule needs \"match\" and \"constraints\"");
	rc = match_parse(r, match, where, wn, err);
	if (rc < 0)
		return rc;
	rc = policy__constraints_parse(&r->c, cons, p, true, sub, sizeof(sub), err);
	if (rc < 0) {
		snprintf(where, wn, "constraints%s%s", sub[0] ? "." : "", sub);
		return eph_err_prefix(err, rc, "constraints");
	}
	return 0;
}

void policy__rule_free(struct policy__rule *r)
{
	for (size_t i = 0; i < r->ncond; i++) {
		struct policy__cond *c = &r->cond[i];

		free(c->eq.str);
		for (size_t k = 0; k < c->nin; k++)
			free(c->in[k].str);
		free(c->in);
	}
	free(r->cond);
	r->cond = NULL;
	r->ncond = 0;
}
