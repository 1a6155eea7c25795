/*
 * policy_cmd.c - `ephemeractl policy explain --attrs FILE --policy DIR`:
 * local, no broker. Loads DIR/policy.json with the broker's own policy
 * engine (broker/policy) and the attributes file (broker/attrs JSON, as
 * attrs_to_json writes it), and prints policy_explain's text: each
 * attribute with its confidence, each rule with why it matched or not, the
 * composed policy. With --json: the evaluation result as JSON.
 *
 * Built only when the `policy` target exists (see CMakeLists.txt).
 *
 * Not here: evaluating anything itself; the engine is the broker's.
 */
#include <string.h>

#include "attrs.h"
#include "ctl.h"
#include "policy.h"

static json_t *result_json(const struct policy_result *r)
{
	json_t *rules = json_array(), *sizes = json_array(), *allow = json_array(), *o;
	size_t i;

	for (i = 0; rules != NULL && i < r->nrules && i < POLICY_MAX_RULES; i++)
		json_array_append_new(rules,
		                      json_pack("{s:s, s:I, s:b, s:s}", "name", r->rules[i].name,
		                                "line", (json_int_t)r->rules[i].line, "matched",
		                                r->rules[i].matched, "why", r->rules[i].why));
	for (i = 0; sizes != NULL && i < r->nsizes && i < POLICY_MAX_SIZES; i++)
		if (r->c.sizes & (1u << i))
			json_array_append_new(sizes, json_string(r->sizes[i].name));
	for (i = 0; allow != NULL && i < r->c.nallow && i < POLICY_MAX_ALLOW; i++)
		json_array_append_new(allow, json_string(r->c.allow[i]));
	o = json_pack(
	    "{s:b, s:s, s:o, s:{s:I, s:I, s:o, s:s, s:o, s:s, s:I, s:I, s:b, s:b}}", "allowed",
	    r->allowed, "reason", r->reason, "rules", rules != NULL ? rules : json_array(),
	    "policy", "max_vcpu_milli", (json_int_t)r->c.max_vcpu_milli, "max_mem_mib",
	    (json_int_t)r->c.max_mem_mib, "sizes", sizes != NULL ? sizes : json_array(), "network",
	    policy_network_name(r->c.network), "allowlist", allow != NULL ? allow : json_array(),
	    "encryption", policy_encryption_name(r->c.encryption), "max_ttl_s",
	    (json_int_t)r->c.max_ttl_s, "reattest_s", (json_int_t)r->c.reattest_s, "dedicated",
	    r->c.dedicated, "deny", r->c.deny);
	return o;
}

int ephctl_policy(struct ephctl *c, int argc, char **argv)
{
	struct eph_err err = {{0}};
	policy_engine *e = NULL;
	attrs_set *attrs = NULL;
	struct policy_result *res = NULL;
	json_t *doc;
	int rc;

	if (argc != 1 || strcmp(argv[0], "explain") != 0)
		return ephctl_fail(EPHCTL_USAGE, "usage: policy explain --attrs FILE --policy DIR");
	if (c->attrs == NULL || c->policy == NULL)
		return ephctl_fail(EPHCTL_USAGE,
		                   "policy explain needs --attrs FILE and --policy DIR");
	if (policy_engine_new(&e, c->policy, &err) < 0)
		return ephctl_fail(EPHCTL_INPUT, "--policy %s: %s", c->policy, err.msg);
	if (attrs_load_file(&attrs, c->attrs, &err) < 0) {
		rc = ephctl_fail(EPHCTL_INPUT, "--attrs %s: %s", c->attrs, err.msg);
		goto out;
	}
	policy_confidence_apply(e, attrs);
	if (!c->json) {
		rc = policy_explain(stdout, e, attrs, NULL, 0, NULL, 0, &err) < 0
		         ? ephctl_fail(EPHCTL_FAILURE, "policy explain: %s", err.msg)
		         : EPHCTL_OK;
		goto out;
	}
	if (policy_evaluate(&res, e, attrs, &err) < 0) {
		rc = ephctl_fail(EPHCTL_FAILURE, "policy evaluate: %s", err.msg);
		goto out;
	}
	doc = result_json(res);
	if (doc == NULL) {
		rc = ephctl_fail(EPHCTL_FAILURE, "out of memory");
		goto out;
	}
	ephctl_print_json(stdout, doc);
	json_decref(doc);
	rc = EPHCTL_OK;
out:
	policy_result_free(res);
	attrs_free(attrs);
	policy_engine_free(e);
	return rc;
}
