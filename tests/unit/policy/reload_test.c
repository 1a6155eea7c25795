/*
 * reload_test.c - a bad file never replaces a good policy; a good one is
 * swapped in; evaluations running across reloads stay consistent.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "policy_tu.h"

TestSuite(reload, .init = ptu_setup, .fini = ptu_teardown);

static const char v1[] = "[{\"name\": \"v1\", \"match\": {}, \"constraints\": {\"max_ttl_s\": 100}}]";
static const char v2[] = "[{\"name\": \"v2\", \"match\": {}, \"constraints\": {\"max_ttl_s\": 200}}]";

static uint32_t ttl(policy_engine *e)
{
	attrs_set *a = ptu_attrs("");
	struct policy_result *r = ptu_eval(e, a);
	uint32_t t = r->c.max_ttl_s;

	policy_result_free(r);
	attrs_free(a);
	return t;
}

Test(reload, bad_file_keeps_the_old_policy)
{
	struct eph_err err = {{0}};
	char *good = ptu_policy(v1);
	char *bad = ptu_policy("[{\"name\": \"x\", \"match\": {},\n"
			       "  \"constraints\": {\"sizes\": [\"nope\"]}}]");
	policy_engine *e = ptu_engine(good);

	cr_assert_eq(policy_generation(e), 1);
	cr_assert_eq(ttl(e), 100);
	ptu_write(bad);
	cr_assert_eq(policy_reload(e, ptu_dir(), &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "old policy kept") != NULL, "%s", err.msg);
	cr_assert(strstr(err.msg, "policy.json:11: rule 0 \"x\"") != NULL, "%s", err.msg);
	cr_assert(strstr(err.msg, "unknown size \"nope\"") != NULL, "%s", err.msg);
	cr_assert_eq(policy_generation(e), 1);
	cr_assert_eq(ttl(e), 100);
	/* A syntax error, and a missing file, likewise. */
	ptu_write("{\"version\": 1,");
	cr_assert_eq(policy_reload(e, ptu_dir(), &err), EPH_EFORMAT);
	cr_assert_eq(policy_reload(e, "/nonexistent-ephemera", &err), EPH_ENOTFOUND);
	cr_assert_eq(ttl(e), 100);
	policy_engine_free(e);
	free(good);
	free(bad);
}

Test(reload, good_file_is_swapped_in)
{
	struct eph_err err = {{0}};
	char *a = ptu_policy(v1), *b = ptu_policy(v2);
	policy_engine *e = ptu_engine(a);

	ptu_write(b);
	cr_assert_eq(policy_reload(e, ptu_dir(), &err), 0, "%s", err.msg);
	cr_assert_eq(policy_generation(e), 2);
	cr_assert_eq(ttl(e), 200);
	policy_engine_free(e);
	free(a);
	free(b);
}

struct worker {
	policy_engine *e;
	int bad;
};

static void *evaluate_loop(void *arg)
{
	struct worker *w = arg;
	attrs_set *a = NULL;

	if (attrs_new(&a, NULL) < 0)
		return NULL;
	for (int i = 0; i < 2000; i++) {
		struct policy_result *r = NULL;

		if (policy_evaluate(&r, w->e, a, NULL) < 0) {
			w->bad++;
			continue;
		}
		/* Each result is wholly one generation's. */
		if (!((r->c.max_ttl_s == 100 && strcmp(r->rules[0].name, "v1") == 0) ||
		      (r->c.max_ttl_s == 200 && strcmp(r->rules[0].name, "v2") == 0)))
			w->bad++;
		policy_result_free(r);
	}
	attrs_free(a);
	return NULL;
}

Test(reload, concurrent_evaluations_see_whole_policies)
{
	struct eph_err err = {{0}};
	char *a = ptu_policy(v1), *b = ptu_policy(v2);
	policy_engine *e = ptu_engine(a);
	struct worker w = {.e = e};
	pthread_t th;

	cr_assert_eq(pthread_create(&th, NULL, evaluate_loop, &w), 0);
	for (int i = 0; i < 50; i++) {
		ptu_write(i % 2 ? a : b);
		cr_assert_eq(policy_reload(e, ptu_dir(), &err), 0, "%s", err.msg);
	}
	pthread_join(th, NULL);
	cr_assert_eq(w.bad, 0);
	cr_assert_eq(policy_generation(e), 51);
	policy_engine_free(e);
	free(a);
	free(b);
}
