/*
 * fuzz_regress_test.c - what the fuzzing campaign found in broker/appraise,
 * kept as unit tests (the inputs themselves also replay as
 * tests/fuzz/corpora/appraise_refs/crash-*):
 *   - an ima-allowlist.json exclude of 120 bytes ("...+++++...") made
 *     glibc's regcomp allocate more than 2 GiB: stacked or nested
 *     repetitions are now refused before compiling, ordinary ones still load;
 *   - the exclude ")+++++++++" closed the "^(" the pattern is wrapped in and
 *     kept regcomp busy for more than 15 s on an empty group; an unbalanced
 *     ")" could also unanchor the pattern ("a)|(.*" matched every path):
 *     unbalanced parentheses are refused.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "appraise.h"

static int load_exclude(const char *re, struct eph_err *err)
{
	appraise_refs *refs = NULL;
	char json[1400];
	int rc;

	cr_assert_eq(appraise_refs_new(&refs, err), 0);
	cr_assert_lt((size_t)snprintf(json, sizeof(json),
				      "{\"digests\": {\"/init\": [\"%040d\"]}, \"excludes\": [\"%s\"]}",
				      0, re),
		     sizeof(json));
	rc = appraise_refs_set_ima(refs, json, strlen(json), err);
	appraise_refs_free(refs);
	return rc;
}

static void refused(const char *re, const char *why)
{
	struct eph_err err = {{0}};

	cr_assert_eq(load_exclude(re, &err), EPH_EFORMAT, "%s loaded", re);
	cr_assert(strstr(err.msg, "excludes[0]") != NULL && strstr(err.msg, why) != NULL, "%s",
		  err.msg);
}

Test(fuzz_regress, ima_exclude_with_exploding_repetitions_is_refused)
{
	/* The campaign's input: 60 stacked '+' (each doubles the tree). */
	refused(":]]++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++\\\\.so",
		"too complex");
	refused("((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+", "too complex");
	refused("(a{99}){99}", "too complex");
	refused("x{100000}", "too complex");
	refused("a++", "too complex");
	refused("((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a",
		"too complex");
}

Test(fuzz_regress, ima_exclude_with_unbalanced_parentheses_is_refused)
{
	refused(")+++++++++", "unbalanced parentheses"); /* the campaign's input */
	refused("a)|(.*", "unbalanced parentheses");
	refused("(a", "unbalanced parentheses");
}

Test(fuzz_regress, ordinary_excludes_still_load)
{
	static const char *const ok[] = {
		"/tmp/.*", "/var/log/.*", "boot_aggregate", "/etc/ld\\\\.so\\\\.cache",
		"[0-9]{1,5}", "[[:alpha:]]+", "(a|b)*!", "[]+]+", "x{2,}", "((((()*)*)*)*)*",
		"/usr/lib/x86_64-linux-gnu/.*\\\\.so(\\\\.[0-9]+)*",
	};
	struct eph_err err = {{0}};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert_eq(load_exclude(ok[i], &err), 0, "%s: %s", ok[i], err.msg);
}
