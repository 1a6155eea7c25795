/*
 * compose_test.c - matching (conditions, confidence thresholds, warnings)
 * and composition of every matching rule by the most restrictive value.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy_tu.h"

TestSuite(compose, .init = ptu_setup, .fini = ptu_teardown);

static const char two_rules[] =
	"[\n"
	"  {\"name\": \"wide\", \"match\": {},\n"
	"   \"constraints\": {\"max_vcpu_milli\": 8000, \"max_mem_mib\": 4096,\n"
	"                   \"sizes\": [\"s1\", \"s2\", \"s3\", \"s4\"],\n"
	"                   \"network\": \"allowlist\", \"allowlist\": [\"a.org:443\", \"b.org:443\"],\n"
	"                   \"encryption\": \"at-rest\", \"max_ttl_s\": 7200, \"reattest_s\": 100,\n"
	"                   \"dedicated\": false}},\n"
	"  {\"name\": \"narrow\", \"match\": {\"role\": \"analyst\"},\n"
	"   \"constraints\": {\"max_vcpu_milli\": 2000, \"max_mem_mib\": 8192,\n"
	"                   \"sizes\": [\"s2\", \"s3\", \"s5\"],\n"
	"                   \"network\": \"allowlist\", \"allowlist\": [\"b.org:443\", \"c.org:443\"],\n"
	"                   \"encryption\": \"confidential-only\", \"max_ttl_s\": 9000,\n"
	"                   \"reattest_s\": 60, \"dedicated\": true}}\n"
	"]";

Test(compose, two_matching_rules_take_the_strictest_of_each_field)
{
	char *text = ptu_policy(two_rules);
	policy_engine *e = ptu_engine(text);
	attrs_set *a = ptu_attrs("role=analyst/issuer");
	struct policy_result *r = ptu_eval(e, a);

	cr_assert(r->allowed, "%s", r->reason);
	cr_assert(r->rules[0].matched && r->rules[1].matched);
	cr_assert_eq(r->c.max_vcpu_milli, 2000);   /* min(8000, 2000) */
	cr_assert_eq(r->c.max_mem_mib, 4096);      /* min(4096, 8192) */
	cr_assert_eq(r->c.sizes, (1u << 1) | (1u << 2)); /* {s1..s4} & {s2,s3,s5} */
	cr_assert_eq(r->c.network, POLICY_NET_ALLOWLIST);
	cr_assert_eq(r->c.nallow, 1);
	cr_assert_str_eq(r->c.allow[0], "b.org:443");
	cr_assert_eq(r->c.encryption, POLICY_ENC_CONFIDENTIAL);
	cr_assert_eq(r->c.max_ttl_s, 7200);
	cr_assert_eq(r->c.reattest_s, 60);
	cr_assert(r->c.dedicated);                 /* OR */
	policy_result_free(r);

	/* Only "wide" matches a different role. */
	attrs_free(a);
	a = ptu_attrs("role=admin/issuer");
	r = ptu_eval(e, a);
	cr_assert(r->allowed);
	cr_assert_not(r->rules[1].matched);
	cr_assert_str_eq(r->rules[1].why, "role: \"admin\" != \"analyst\"");
	cr_assert_eq(r->c.max_vcpu_milli, 8000);
	cr_assert_eq(r->c.nallow, 2);
	cr_assert_not(r->c.dedicated);
	policy_result_free(r);
	attrs_free(a);
	policy_engine_free(e);
	free(text);
}

Test(compose, strictest_network_and_defaults_for_unset_fields)
{
	char *text = ptu_policy(
		"[{\"name\": \"a\", \"match\": {}, \"constraints\": {\"network\": \"full\"}},\n"
		" {\"name\": \"b\", \"match\": {}, \"constraints\": {\"network\": \"none\"}}]");
	policy_engine *e = ptu_engine(text);
	attrs_set *a = ptu_attrs("");
	struct policy_result *r = ptu_eval(e, a);

	cr_assert_eq(r->c.network, POLICY_NET_NONE);
	cr_assert_eq(r->c.max_vcpu_milli, POLICY_UNLIMITED); /* built-in defaults */
	cr_assert_eq(r->c.sizes, 0x1f);
	cr_assert_eq(r->c.max_ttl_s, 3600);
	cr_assert_eq(r->c.reattest_s, 300);
	cr_assert_eq(r->c.encryption, POLICY_ENC_NONE);
	policy_result_free(r);
	attrs_free(a);
	policy_engine_free(e);
	free(text);
}

Test(compose, disjoint_allowlists_leave_no_network)
{
	char *text = ptu_policy(
		"[{\"name\": \"a\", \"match\": {}, \"constraints\": {\"network\": \"allowlist\","
		" \"allowlist\": [\"x.org\"]}},\n"
		" {\"name\": \"b\", \"match\": {}, \"constraints\": {\"network\": \"allowlist\","
		" \"allowlist\": [\"y.org\"]}}]");
	policy_engine *e = ptu_engine(text);
	attrs_set *a = ptu_attrs("");
	struct policy_result *r = ptu_eval(e, a);

	cr_assert_eq(r->c.network, POLICY_NET_NONE);
	cr_assert_eq(r->c.nallow, 0);
	policy_result_free(r);
	attrs_free(a);
	policy_engine_free(e);
	free(text);
}

static const char thresholds[] =
	"[{\"name\": \"base\", \"match\": {}, \"constraints\": {\"sizes\": [\"s1\"]}},\n"
	" {\"name\": \"trusted-admin\",\n"
	"  \"match\": {\"role\": {\"equals\": \"admin\", \"min_confidence\": 0.9}},\n"
	"  \"constraints\": {\"deny\": true}}]";

Test(compose, min_confidence_rejects_self_asserted_accepts_hardware)
{
	char *text = ptu_policy(thresholds);
	policy_engine *e = ptu_engine(text);
	attrs_set *a = ptu_attrs("role=admin/self");
	struct policy_result *r = ptu_eval(e, a);

	cr_assert_not(r->rules[1].matched);
	cr_assert_str_eq(r->rules[1].why, "role: confidence 0.30 (self) < 0.90");
	cr_assert(r->allowed);
	policy_result_free(r);
	attrs_free(a);

	a = ptu_attrs("role=admin/hardware");
	r = ptu_eval(e, a);
	cr_assert(r->rules[1].matched, "%s", r->rules[1].why);
	cr_assert(strstr(r->rules[1].why, "role = \"admin\" (hardware 1.00)") != NULL, "%s",
		  r->rules[1].why);
	cr_assert_not(r->allowed);
	cr_assert_str_eq(r->reason, "denied by rule \"trusted-admin\"");
	policy_result_free(r);
	attrs_free(a);

	/* A warning takes a hardware-rooted value below 0.9. */
	a = ptu_attrs("role=admin/hardware");
	cr_assert_eq(attrs_warn(a, "role", "unknown event in the log", NULL), 0);
	r = ptu_eval(e, a);
	cr_assert_not(r->rules[1].matched);
	cr_assert_str_eq(r->rules[1].why, "role: confidence 0.85 (hardware, warned) < 0.90");
	policy_result_free(r);
	attrs_free(a);
	policy_engine_free(e);
	free(text);
}

Test(compose, confidence_rules_come_from_the_policy_file)
{
	char *rules = ptu_policy(thresholds), *text;
	const char *p = strstr(rules, "\"rules\"");
	size_t n = strlen(rules) + 128;
	policy_engine *e;
	attrs_set *a;
	struct policy_result *r;

	/* Same rules, but issuer-signed claims are worth 0.95 here. */
	text = malloc(n);
	cr_assert_not_null(text);
	snprintf(text, n, "%.*s\"confidence\": {\"issuer\": 0.95},\n  %s", (int)(p - rules), rules,
		 p);
	e = ptu_engine(text);
	a = ptu_attrs("role=admin/issuer");
	r = ptu_eval(e, a);
	cr_assert(r->rules[1].matched, "%s", r->rules[1].why);
	policy_result_free(r);
	policy_confidence_apply(e, a);
	cr_assert(attrs_get(a, "role")->confidence > 0.949);
	attrs_free(a);
	policy_engine_free(e);
	free(text);
	free(rules);
}

Test(compose, conditions_in_ge_le_present)
{
	char *text = ptu_policy(
		"[{\"name\": \"r\", \"match\": {\"min_confidence\": 0.5,\n"
		"   \"clearance\": {\">=\": 2, \"<=\": 4},\n"
		"   \"platform\": {\"in\": [\"sev-snp\", \"tdx\"]},\n"
		"   \"debug\": {\"present\": false}},\n"
		"  \"constraints\": {}}]");
	policy_engine *e = ptu_engine(text);
	static const struct {
		const char *attrs;
		bool match;
		const char *why;
	} cases[] = {
		{"clearance=#3/issuer,platform=tdx/hardware", true, "debug absent"},
		{"clearance=#1/issuer,platform=tdx/hardware", false, "clearance: 1 < 2"},
		{"clearance=#5/issuer,platform=tdx/hardware", false, "clearance: 5 > 4"},
		{"clearance=high/issuer,platform=tdx/hardware", false, "clearance: \"high\" is not an integer"},
		{"clearance=#3/issuer,platform=tpm/hardware", false,
		 "platform: \"tpm\" not in [\"sev-snp\", \"tdx\"]"},
		{"clearance=#3/self,platform=tdx/hardware", false, "clearance: confidence 0.30 (self) < 0.50"},
		{"clearance=#3/issuer,platform=tdx/hardware,debug=?true/self", false,
		 "debug: present, must be absent"},
		{"platform=tdx/hardware", false, "clearance: absent"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		attrs_set *a = ptu_attrs(cases[i].attrs);
		struct policy_result *r = ptu_eval(e, a);

		cr_assert_eq(r->rules[0].matched, cases[i].match, "%s: %s", cases[i].attrs,
			     r->rules[0].why);
		cr_assert(strstr(r->rules[0].why, cases[i].why) != NULL, "%s: \"%s\" not in \"%s\"",
			  cases[i].attrs, cases[i].why, r->rules[0].why);
		policy_result_free(r);
		attrs_free(a);
	}
	policy_engine_free(e);
	free(text);
}

Test(compose, nothing_matched_is_an_implicit_deny)
{
	char *text = ptu_policy("[{\"name\": \"only-admins\", \"match\": {\"role\": \"admin\"},"
				" \"constraints\": {}}]");
	policy_engine *e = ptu_engine(text);
	attrs_set *a = ptu_attrs("role=guest/issuer");
	struct policy_result *r = ptu_eval(e, a);

	cr_assert_not(r->allowed);
	cr_assert(strstr(r->reason, "implicit deny") != NULL, "%s", r->reason);
	policy_result_free(r);
	attrs_free(a);
	policy_engine_free(e);
	free(text);
}

Test(compose, example_policy_folder)
{
	struct eph_err err = {{0}};
	policy_engine *e = NULL;
	attrs_set *a;
	struct policy_result *r;

	cr_assert_eq(policy_engine_new(&e, EPH_SOURCE_DIR "/docs/examples/policy", &err), 0, "%s",
		     err.msg);
	a = ptu_attrs("user_id=alice/issuer,role=analyst/issuer,clearance=#2/issuer,"
		      "data_sensitivity=secret/issuer");
	r = ptu_eval(e, a);
	cr_assert(r->allowed, "%s", r->reason);
	cr_assert(r->rules[0].matched && !r->rules[1].matched && r->rules[2].matched &&
		  r->rules[3].matched && !r->rules[4].matched);
	cr_assert_eq(r->c.max_vcpu_milli, 8000);
	cr_assert_eq(r->c.encryption, POLICY_ENC_CONFIDENTIAL);
	cr_assert_eq(r->c.network, POLICY_NET_ALLOWLIST);
	cr_assert_eq(r->c.nallow, 1);
	cr_assert_str_eq(r->c.allow[0], "files.pythonhosted.org:443");
	cr_assert_eq(r->c.reattest_s, 120);
	cr_assert_eq(r->c.max_ttl_s, 14400);
	cr_assert(r->c.dedicated);
	policy_result_free(r);
	attrs_free(a);

	/* A self-asserted user: small and offline. */
	a = ptu_attrs("user_id=mallory/self,role=analyst/self,clearance=#5/self");
	r = ptu_eval(e, a);
	cr_assert(r->allowed);
	cr_assert(r->rules[1].matched && !r->rules[2].matched, "%s", r->rules[2].why);
	cr_assert_eq(r->c.sizes, (1u << 0) | (1u << 1));
	cr_assert_eq(r->c.network, POLICY_NET_NONE);
	cr_assert_eq(r->c.max_ttl_s, 900);
	cr_assert_eq(r->c.encryption, POLICY_ENC_AT_REST); /* from "defaults" */
	policy_result_free(r);
	attrs_free(a);
	policy_engine_free(e);
}
