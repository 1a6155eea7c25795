/*
 * load_test.c - malformed policies are refused naming the file, the line,
 * the rule and the reason; the line index maps paths to lines.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy_tu.h"

TestSuite(load, .init = ptu_setup, .fini = ptu_teardown);

/* Rules start on line 10 of ptu_policy's text; this puts rule 1 on 11. */
static void expect_refused(const char *rules, const char *line, const char *needle)
{
	char *text = ptu_policy(rules);
	const char *msg = ptu_refused(text);

	cr_assert(strstr(msg, "policy.json:") != NULL, "no file in \"%s\"", msg);
	cr_assert(strstr(msg, line) != NULL, "\"%s\" not in \"%s\"", line, msg);
	cr_assert(strstr(msg, needle) != NULL, "\"%s\" not in \"%s\"", needle, msg);
	free(text);
}

static const char ok_rule[] = "[{\"name\": \"ok\", \"match\": {}, \"constraints\": {}},\n";

Test(load, syntax_error_names_line_and_column)
{
	expect_refused("[{\"name\": \"ok\", \"match\": {}, \"constraints\": {}},\n"
		       " {\"name\": \"bad\" \"match\": {}}]",
		       "policy.json:11: column", "expected");
}

Test(load, unknown_size_name)
{
	char rules[512];

	snprintf(rules, sizeof(rules),
		 "%s {\"name\": \"gpu\", \"match\": {},\n"
		 "  \"constraints\": {\n"
		 "    \"sizes\": [\"s1\",\n"
		 "              \"huge\"]}}]",
		 ok_rule);
	expect_refused(rules, "policy.json:14: rule 1 \"gpu\": ",
		       "constraints: sizes[1]: unknown size \"huge\"");
}

Test(load, bad_type)
{
	char rules[512];

	snprintf(rules, sizeof(rules),
		 "%s {\"name\": \"t\", \"match\": {},\n"
		 "  \"constraints\": {\"max_vcpu_milli\": \"four\"}}]",
		 ok_rule);
	expect_refused(rules, "policy.json:12: rule 1 \"t\": ",
		       "max_vcpu_milli: expected an integer");
}

Test(load, min_confidence_outside_unit_interval)
{
	char rules[512];

	snprintf(rules, sizeof(rules),
		 "%s {\"name\": \"c\",\n"
		 "  \"match\": {\"role\": {\"equals\": \"admin\",\n"
		 "                      \"min_confidence\": 1.5}},\n"
		 "  \"constraints\": {}}]",
		 ok_rule);
	expect_refused(rules, "policy.json:13: rule 1 \"c\": ",
		       "match.role.min_confidence: expected a number in [0,1]");
	snprintf(rules, sizeof(rules),
		 "%s {\"name\": \"c\",\n"
		 "  \"match\": {\"min_confidence\": -0.1}, \"constraints\": {}}]",
		 ok_rule);
	expect_refused(rules, "policy.json:12: rule 1 \"c\": ", "match.min_confidence");
}

Test(load, unknown_keys)
{
	char rules[512];

	snprintf(rules, sizeof(rules),
		 "%s {\"name\": \"k\", \"match\": {},\n"
		 "  \"constraints\": {\"max_cpus\": 4}}]",
		 ok_rule);
	expect_refused(rules, "policy.json:12: rule 1 \"k\": ", "unknown constraint \"max_cpus\"");
	snprintf(rules, sizeof(rules),
		 "%s {\"name\": \"k\", \"match\": {}, \"constraints\": {},\n"
		 "  \"priority\": 3}]",
		 ok_rule);
	expect_refused(rules, "policy.json:12: rule 1 \"k\": ", "unknown key \"priority\"");
	snprintf(rules, sizeof(rules),
		 "%s {\"name\": \"k\", \"match\": {\"role\": {\"regex\": \"a.*\"}}, \"constraints\": {}}]",
		 ok_rule);
	expect_refused(rules, "policy.json:11: rule 1 \"k\": ", "match.role.regex: unknown condition");
}

Test(load, other_refusals)
{
	expect_refused("[]", "policy.json:10: ", "rules: expected a non-empty list");
	expect_refused("[{\"name\": \"a\", \"match\": {}, \"constraints\": {}},\n"
		       " {\"name\": \"a\", \"match\": {}, \"constraints\": {}}]",
		       "policy.json:11: rule 1 \"a\": ", "duplicate rule name");
	expect_refused("[{\"name\": \"n\", \"match\": {}, \"constraints\": {\"network\": \"some\"}}]",
		       "policy.json:10: rule 0 \"n\": ", "network: expected");
	expect_refused("[{\"name\": \"n\", \"match\": {}, \"constraints\": {\"allowlist\": [\"a\"]}}]",
		       "rule 0 \"n\": ", "only with \"network\": \"allowlist\"");
	expect_refused("[{\"match\": {}, \"constraints\": {}}]", "rule 0 \"?\": ", "no \"name\"");
	expect_refused("[{\"name\": \"n\", \"match\": {\"Role\": \"x\"}, \"constraints\": {}}]",
		       "rule 0 \"n\": ", "not an attribute name");
}

Test(load, top_level_refusals)
{
	const char *msg;

	msg = ptu_refused("{\"version\": 1, \"rules\": []}");
	cr_assert(strstr(msg, "policy.json:1: sizes: expected a list") != NULL, "%s", msg);
	msg = ptu_refused("{\"version\": 2,\n \"sizes\": [{\"name\": \"a\", \"vcpu_milli\": 1,"
			  " \"mem_mib\": 1}],\n \"rules\": [{\"name\": \"r\", \"match\": {},"
			  " \"constraints\": {}}]}");
	cr_assert(strstr(msg, "policy.json:1: version") != NULL, "%s", msg);
	msg = ptu_refused("{\"version\": 1,\n \"sizes\": [{\"name\": \"a\", \"vcpu_milli\": 1,"
			  " \"mem_mib\": 1}],\n \"confidence\": {\"per_attribute\":\n"
			  "   {\"role\": {\"self\": 1.5}}},\n"
			  " \"rules\": [{\"name\": \"r\", \"match\": {}, \"constraints\": {}}]}");
	cr_assert(strstr(msg, "policy.json:4: confidence.per_attribute.role.self") != NULL, "%s",
		  msg);
	msg = ptu_refused("{\"version\": 1,\n \"sizes\": [{\"name\": \"a\", \"vcpu_milli\": 1,"
			  " \"mem_mib\": 1},\n {\"name\": \"a\", \"vcpu_milli\": 2, \"mem_mib\": 2}],"
			  "\n \"rules\": [{\"name\": \"r\", \"match\": {}, \"constraints\": {}}]}");
	cr_assert(strstr(msg, "policy.json:3: sizes[1]: duplicate size") != NULL, "%s", msg);
	msg = ptu_refused("{\"version\": 1,\n \"sizes\": [{\"name\": \"a\", \"vcpu_milli\": 1,"
			  " \"mem_mib\": 1}],\n \"default\": {},\n"
			  " \"rules\": [{\"name\": \"r\", \"match\": {}, \"constraints\": {}}]}");
	cr_assert(strstr(msg, "policy.json:3: unknown key \"default\"") != NULL, "%s", msg);
	msg = ptu_refused("{\"version\": 1,\n \"sizes\": [{\"name\": \"a\", \"vcpu_milli\": 1,"
			  " \"mem_mib\": 1}],\n \"defaults\": {\"deny\": true},\n"
			  " \"rules\": [{\"name\": \"r\", \"match\": {}, \"constraints\": {}}]}");
	cr_assert(strstr(msg, "policy.json:3: defaults: unknown constraint \"deny\"") != NULL,
		  "%s", msg);
}

Test(load, missing_file_is_not_found)
{
	struct eph_err err = {{0}};

	cr_assert_eq(policy_validate(ptu_dir(), &err), EPH_ENOTFOUND);
	cr_assert(strstr(err.msg, "policy.json") != NULL, "%s", err.msg);
}

Test(load, example_policy_validates)
{
	struct eph_err err = {{0}};

	cr_assert_eq(policy_validate(EPH_SOURCE_DIR "/docs/examples/policy", &err), 0, "%s",
		     err.msg);
}
