/*
 * policy_parse.c - policy.json as a whole: read it (bounded), parse it with
 * jansson (syntax errors carry jansson's line and column), validate the top
 * level ("version", "sizes", "confidence", "defaults", "rules"), hand each
 * rule to policy_rule.c, and turn the dotted path of any semantic error
 * into a line with the line index (policy_lines.c). Messages read
 *   policy.json:14: rule 2 "gpu-batch": constraints.sizes[1]: unknown size "huge" ...
 *
 * Not here: evaluating (policy_eval.c), swapping policies (policy_engine.c).
 */
#include "policy-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"

void policy__builtin_defaults(struct policy_constraints *c, size_t nsizes)
{
	memset(c, 0, sizeof(*c));
	c->set = POLICY_C_VCPU | POLICY_C_MEM | POLICY_C_SIZES | POLICY_C_NETWORK |
		 POLICY_C_ALLOWLIST | POLICY_C_ENCRYPTION | POLICY_C_TTL | POLICY_C_REATTEST |
		 POLICY_C_DEDICATED | POLICY_C_DENY;
	c->max_vcpu_milli = POLICY_UNLIMITED;
	c->max_mem_mib = POLICY_UNLIMITED;
	c->sizes = nsizes >= 32 ? UINT32_MAX : (uint32_t)((1ull << nsizes) - 1);
	c->network = POLICY_NET_NONE;
	c->encryption = POLICY_ENC_NONE;
	c->max_ttl_s = 3600;
	c->reattest_s = 300;
}

void policy__pol_free(struct policy__pol *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nrules; i++)
		policy__rule_free(&p->rules[i]);
	free(p);
}

/* Error at path: "file:line: <ctx><message already in err>". */
static int at(struct eph_err *err, int rc, const struct policy__pol *p,
	      const struct policy__lines *li, const char *path, const char *ctx)
{
	char msg[EPH_ERR_MSG_MAX];

	if (err == NULL)
		return rc;
	memcpy(msg, err->msg, sizeof(msg));
	msg[sizeof(msg) - 1] = '\0';
	return eph_err_set(err, rc, "%.120s:%u: %s%s", p->file, policy__lines_find(li, path), ctx,
			   msg);
}

static int sizes_parse(struct policy__pol *p, const json_t *v, char *where, size_t wn,
		       struct eph_err *err)
{
	size_t i;
	json_t *e;

	snprintf(where, wn, "sizes");
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > POLICY_MAX_SIZES)
		return eph_err_set(err, EPH_EFORMAT, "sizes: expected a list of 1..%d sizes",
				   POLICY_MAX_SIZES);
	json_array_foreach(v, i, e) {
		struct policy_size *s = &p->sizes[i];
		json_t *name = json_object_get(e, "name");
		json_t *cpu = json_object_get(e, "vcpu_milli");
		json_t *mem = json_object_get(e, "mem_mib");

		snprintf(where, wn, "sizes[%zu]", i);
		if (!json_is_object(e) || json_object_size(e) != 3 || !json_is_string(name) ||
		    !json_is_integer(cpu) || !json_is_integer(mem))
			return eph_err_set(err, EPH_EFORMAT,
					   "sizes[%zu]: expected {\"name\": string, \"vcpu_milli\": integer, \"mem_mib\": integer}",
					   i);
		if (json_string_length(name) == 0 || json_string_length(name) >= POLICY_NAME_MAX)
			return eph_err_set(err, EPH_EFORMAT, "sizes[%zu]: name of 1..63 bytes", i);
		if (json_integer_value(cpu) < 1 || json_integer_value(cpu) > 1000000 ||
		    json_integer_value(mem) < 1 || json_integer_value(mem) > 100000000)
			return eph_err_set(err, EPH_EFORMAT,
					   "sizes[%zu]: vcpu_milli 1..1000000 and mem_mib 1..100000000",
					   i);
		memcpy(s->name, json_string_value(name), json_string_length(name) + 1);
		s->vcpu_milli = (uint32_t)json_integer_value(cpu);
		s->mem_mib = (uint32_t)json_integer_value(mem);
		for (size_t k = 0; k < i; k++) {
			if (strcmp(p->sizes[k].name, s->name) == 0)
				return eph_err_set(err, EPH_EFORMAT, "sizes[%zu]: duplicate size \"%s\"",
						   i, s->name);
		}
		p->nsizes++;
	}
	return 0;
}

static int defaults_parse(struct policy__pol *p, const json_t *v, char *where, size_t wn,
			  struct eph_err *err)
{
	struct policy_constraints d;
	char sub[POLICY__PATH_MAX] = "";
	int rc = policy__constraints_parse(&d, v, p, false, sub, sizeof(sub), err);

	if (rc < 0) {
		snprintf(where, wn, "defaults%s%s", sub[0] ? "." : "", sub);
		return eph_err_prefix(err, rc, "defaults");
	}
	/* Overlay what "defaults" sets on the built-ins. */
	if (d.set & POLICY_C_VCPU)
		p->defaults.max_vcpu_milli = d.max_vcpu_milli;
	if (d.set & POLICY_C_MEM)
		p->defaults.max_mem_mib = d.max_mem_mib;
	if (d.set & POLICY_C_SIZES)
		p->defaults.sizes = d.sizes;
	if (d.set & POLICY_C_NETWORK)
		p->defaults.network = d.network;
	if (d.set & POLICY_C_ALLOWLIST) {
		p->defaults.nallow = d.nallow;
		memcpy(p->defaults.allow, d.allow, sizeof(d.allow));
	}
	if (d.set & POLICY_C_ENCRYPTION)
		p->defaults.encryption = d.encryption;
	if (d.set & POLICY_C_TTL)
		p->defaults.max_ttl_s = d.max_ttl_s;
	if (d.set & POLICY_C_REATTEST)
		p->defaults.reattest_s = d.reattest_s;
	if (d.set & POLICY_C_DEDICATED)
		p->defaults.dedicated = d.dedicated;
	return 0;
}

static int rules_parse(struct policy__pol *p, const json_t *v, const struct policy__lines *li,
		       struct eph_err *err)
{
	char where[POLICY__PATH_MAX], path[POLICY__PATH_MAX + 16], ctx[POLICY_NAME_MAX + 32];
	size_t i;
	json_t *e;
	int rc;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return at(err, eph_err_set(err, EPH_EFORMAT,
					   "rules: expected a non-empty list (an empty policy would deny everything)"),
			  p, li, "rules", "");
	if (json_array_size(v) > POLICY_MAX_RULES)
		return at(err, eph_err_set(err, EPH_EFORMAT, "rules: more than %d rules",
					   POLICY_MAX_RULES),
			  p, li, "rules", "");
	json_array_foreach(v, i, e) {
		struct policy__rule *r = &p->rules[i];
		json_t *name = json_object_get(e, "name");

		where[0] = '\0';
		snprintf(ctx, sizeof(ctx), "rule %zu \"%.63s\": ", i,
			 json_is_string(name) ? json_string_value(name) : "?");
		snprintf(path, sizeof(path), "rules[%zu]", i);
		r->line = policy__lines_find(li, path);
		rc = policy__rule_parse(r, e, p, where, sizeof(where), err);
		p->nrules++; /* so that it is freed */
		if (rc == 0) {
			for (size_t k = 0; k < i; k++) {
				if (strcmp(p->rules[k].name, r->name) == 0) {
					snprintf(where, sizeof(where), "name");
					rc = eph_err_set(err, EPH_EFORMAT,
							 "duplicate rule name (rule %zu has it)", k);
				}
			}
		}
		if (rc < 0) {
			/* A JSON path in a message: a cut one still locates. */
			if (snprintf(path, sizeof(path), "rules[%zu]%s%s", i,
				     where[0] != '\0' ? "." : "", where) < 0)
				path[0] = '\0';
			return at(err, rc, p, li, path, ctx);
		}
	}
	return 0;
}

int policy__parse(struct policy__pol **out, const char *file, const char *text, size_t len,
		  struct eph_err *err)
{
	struct policy__pol *p = NULL;
	struct policy__lines li = {0};
	json_error_t jerr;
	json_t *root = NULL, *v;
	char where[POLICY__PATH_MAX] = "", sub[POLICY__PATH_MAX] = "";
	const char *key;
	int rc = 0;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%.120s:%d: column %d: %s", file, jerr.line,
				   jerr.column, jerr.text);
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "%.120s: out of memory", file);
		goto out;
	}
	snprintf(p->file, sizeof(p->file), "%s", file);
	attrs_conf_default(&p->conf);
	policy__lines_build(&li, text, len); /* best effort: lookups fall back */
	if (!json_is_object(root)) {
		rc = at(err, eph_err_set(err, EPH_EFORMAT, "expected a JSON object"), p, &li, "", "");
		goto out;
	}
	/* Sizes first: rules and defaults refer to them by name. */
	rc = sizes_parse(p, json_object_get(root, "sizes"), where, sizeof(where), err);
	if (rc < 0) {
		rc = at(err, rc, p, &li, where, "");
		goto out;
	}
	policy__builtin_defaults(&p->defaults, p->nsizes);
	json_object_foreach(root, key, v) {
		if (strcmp(key, "version") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) != POLICY_VERSION)
				rc = at(err, eph_err_set(err, EPH_EFORMAT,
							 "version: this broker reads version %d",
							 POLICY_VERSION),
					p, &li, "version", "");
		} else if (strcmp(key, "confidence") == 0) {
			rc = attrs_conf_from_json(&p->conf, v, sub, sizeof(sub), err);
			if (rc < 0) {
				if (snprintf(where, sizeof(where), "confidence%s%s",
					     sub[0] ? "." : "", sub) < 0)
					where[0] = '\0';
				rc = at(err, rc, p, &li, where, "");
			}
		} else if (strcmp(key, "defaults") == 0) {
			rc = defaults_parse(p, v, where, sizeof(where), err);
			if (rc < 0)
				rc = at(err, rc, p, &li, where, "");
		} else if (strcmp(key, "rules") == 0) {
			rc = rules_parse(p, v, &li, err);
		} else if (strcmp(key, "sizes") != 0) {
			rc = at(err, eph_err_set(err, EPH_EFORMAT,
						 "unknown key \"%.64s\" (version, sizes, confidence, defaults, rules)",
						 key),
				p, &li, key, "");
		}
		if (rc < 0)
			goto out;
	}
	if (json_object_get(root, "version") == NULL || json_object_get(root, "rules") == NULL) {
		rc = at(err, eph_err_set(err, EPH_EFORMAT, "\"version\" and \"rules\" are required"),
			p, &li, "", "");
		goto out;
	}
	*out = p;
	p = NULL;
out:
	policy__pol_free(p);
	policy__lines_free(&li);
	json_decref(root);
	return rc;
}

int policy__load_dir(struct policy__pol **out, const char *dir, struct eph_err *err)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, POLICY_FILE) >= sizeof(path))
		return eph_err_set(err, EPH_EFAIL, "policy: folder path too long");
	rc = eph_file_read(&buf, &len, path, POLICY_FILE_MAX, err);
	if (rc < 0)
		return rc;
	rc = policy__parse(out, path, (const char *)buf, len, err);
	free(buf);
	return rc;
}
