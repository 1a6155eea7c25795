/*
 * explain_test.c - the text of `ephemeractl policy explain --attrs FILE`:
 * attributes with confidence, matched and unmatched rules with why, the
 * composed policy, the mask.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_tu.h"

TestSuite(explain, .init = ptu_setup, .fini = ptu_teardown);

static char *explain(policy_engine *e, const attrs_set *a, const struct policy_action *acts,
		     unsigned n)
{
	struct eph_err err = {{0}};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(policy_explain(f, e, a, acts, n, NULL, 0, &err), 0, "%s", err.msg);
	fclose(f);
	return text;
}

static void has(const char *text, const char *needle)
{
	cr_assert(strstr(text, needle) != NULL, "\"%s\" not in:\n%s", needle, text);
}

Test(explain, lists_matched_and_unmatched_rules_with_reasons)
{
	static const char attrs_json[] =
		"{\"role\": {\"value\": \"analyst\", \"source\": \"self\"},\n"
		" \"clearance\": {\"value\": 3, \"source\": \"issuer\", \"warnings\": [\"old key\"]}}";
	struct eph_err err = {{0}};
	char *pol = ptu_policy(
		"[{\"name\": \"base\", \"match\": {}, \"constraints\": {\"sizes\": [\"s1\", \"s2\"]}},\n"
		" {\"name\": \"trusted\", \"match\": {\"role\": {\"equals\": \"analyst\","
		" \"min_confidence\": 0.9}}, \"constraints\": {\"deny\": true}},\n"
		" {\"name\": \"cleared\", \"match\": {\"clearance\": {\">=\": 2}},"
		" \"constraints\": {\"max_vcpu_milli\": 500}}]");
	policy_engine *e = ptu_engine(pol);
	attrs_set *a = NULL;
	struct policy_action acts[] = {{0, 1, 0}, {0, 2, 0}, {1, 1, 0}, {1, 2, 0}, {2, 1, 0}};
	char *text;

	cr_assert_eq(attrs_from_json(&a, attrs_json, strlen(attrs_json), &err), 0, "%s", err.msg);
	text = explain(e, a, acts, 5);
	has(text, "policy generation 1 (");
	has(text, "role = \"analyst\"  source self  confidence 0.30");
	has(text, "clearance = 3  source issuer  confidence 0.65  (1 warning)");
	has(text, "warning: old key");
	has(text, "[match] base (line 10): empty match: every request");
	has(text, "[ no  ] trusted (line 11): role: confidence 0.30 (self) < 0.90");
	has(text, "[match] cleared (line 12): clearance = 3 (issuer 0.65)");
	has(text, "result: allowed: 2 of 3 rules matched");
	has(text, "max_vcpu_milli: 500");
	has(text, "max_mem_mib: unlimited");
	has(text, "sizes: s1 s2\n");
	has(text, "network: none");
	/* s1x1 (250), s1x2 (500), s2x1 (500) fit 500m; s2x2 and s3 do not. */
	has(text, "mask: 0x0000000000000007 (3 of 5 actions allowed)");
	has(text, "action 2: s2 x1 prewarm 0");
	free(text);
	attrs_free(a);
	policy_engine_free(e);
	free(pol);
}

Test(explain, denied_result_says_so)
{
	char *pol = ptu_policy("[{\"name\": \"admins\", \"match\": {\"role\": \"admin\"},"
			       " \"constraints\": {}}]");
	policy_engine *e = ptu_engine(pol);
	attrs_set *a = ptu_attrs("role=guest/issuer");
	char *text = explain(e, a, NULL, 0);

	has(text, "[ no  ] admins (line 10): role: \"guest\" != \"admin\"");
	has(text, "result: DENIED: no rule matched: implicit deny");
	cr_assert_null(strstr(text, "mask:"));
	free(text);
	attrs_free(a);
	policy_engine_free(e);
	free(pol);
}
