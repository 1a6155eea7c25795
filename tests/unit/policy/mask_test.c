/*
 * mask_test.c - the Q-network action mask: sizes outside the allowed set
 * and size x count above the vCPU / memory caps are masked; a denied
 * result masks everything; broker size tables are matched by name.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "policy_tu.h"

TestSuite(mask, .init = ptu_setup, .fini = ptu_teardown);

/* sizes s1..s5 x count {1, 2}: action 2*i + (count - 1). */
static unsigned table(struct policy_action *acts)
{
	unsigned n = 0;

	for (uint8_t s = 0; s < 5; s++) {
		for (uint8_t c = 1; c <= 2; c++)
			acts[n++] = (struct policy_action){.size = s, .count = c, .prewarm = 0};
	}
	return n;
}

static struct policy_result *eval_rules(policy_engine **e, const char *rules, const char *attrs)
{
	char *text = ptu_policy(rules);
	attrs_set *a = ptu_attrs(attrs);
	struct policy_result *r;

	*e = ptu_engine(text);
	r = ptu_eval(*e, a);
	attrs_free(a);
	free(text);
	return r;
}

Test(mask, sizes_outside_the_allowed_set_are_masked)
{
	struct policy_action acts[10];
	unsigned n = table(acts);
	policy_engine *e;
	struct policy_result *r = eval_rules(
		&e, "[{\"name\": \"r\", \"match\": {}, \"constraints\": {\"sizes\": [\"s2\", \"s4\"]}}]",
		"");

	/* s2 (actions 2, 3) and s4 (6, 7). */
	cr_assert_eq(policy_mask(r, acts, n, NULL, 0), (1ull << 2) | (1ull << 3) | (1ull << 6) |
							       (1ull << 7));
	policy_result_free(r);
	policy_engine_free(e);
}

Test(mask, size_times_count_over_the_caps_is_masked)
{
	struct policy_action acts[10];
	unsigned n = table(acts);
	policy_engine *e;
	struct policy_result *r = eval_rules(
		&e,
		"[{\"name\": \"r\", \"match\": {}, \"constraints\": {\"max_vcpu_milli\": 2000,"
		" \"max_mem_mib\": 1536}}]",
		"");
	uint64_t m = policy_mask(r, acts, n, NULL, 0);

	/* s1x1 s1x2 s2x1 s2x2 (1000m/1024Mi) s3x1 (1000m/1024Mi): yes;
	 * s3x2 2000m but 2048Mi > 1536: no; s4 2048Mi: no; s5: no. */
	cr_assert_eq(m, 0x1full, "mask %#llx", (unsigned long long)m);
	policy_result_free(r);
	policy_engine_free(e);
}

Test(mask, denied_or_unmatched_gives_an_empty_mask)
{
	struct policy_action acts[10];
	unsigned n = table(acts);
	policy_engine *e;
	struct policy_result *r;

	r = eval_rules(&e, "[{\"name\": \"r\", \"match\": {\"role\": \"x\"}, \"constraints\": {}}]",
		       "role=y/issuer");
	cr_assert_not(r->allowed);
	cr_assert_eq(policy_mask(r, acts, n, NULL, 0), 0);
	policy_result_free(r);
	policy_engine_free(e);

	r = eval_rules(&e, "[{\"name\": \"r\", \"match\": {}, \"constraints\": {\"deny\": true}}]",
		       "");
	cr_assert_eq(policy_mask(r, acts, n, NULL, 0), 0);
	policy_result_free(r);
	policy_engine_free(e);

	/* Allowed, but no size fits: empty mask too. */
	r = eval_rules(&e,
		       "[{\"name\": \"r\", \"match\": {}, \"constraints\": {\"sizes\": [\"s5\"],"
		       " \"max_vcpu_milli\": 1000}}]",
		       "");
	cr_assert(r->allowed);
	cr_assert_eq(policy_mask(r, acts, n, NULL, 0), 0);
	policy_result_free(r);
	policy_engine_free(e);
}

Test(mask, broker_table_matched_by_name_and_bounds_checked)
{
	/* The broker's table: other order, a size the policy does not know. */
	static const struct policy_size broker[] = {
		{"s4", 2000, 2048}, {"gpu", 8000, 65536}, {"s1", 250, 256}};
	struct policy_action acts[] = {
		{.size = 0, .count = 1}, {.size = 1, .count = 1}, {.size = 2, .count = 2},
		{.size = 3, .count = 1}, /* index outside the broker's table */
		{.size = 2, .count = 0}, /* count 0 is never allowed */
	};
	policy_engine *e;
	struct policy_result *r = eval_rules(
		&e, "[{\"name\": \"r\", \"match\": {}, \"constraints\": {\"sizes\": [\"s1\", \"s4\"]}}]",
		"");

	cr_assert_eq(policy_mask(r, acts, 5, broker, 3), (1ull << 0) | (1ull << 2));
	policy_result_free(r);
	policy_engine_free(e);
}

Test(mask, sixty_four_actions_at_most)
{
	struct policy_action acts[70];
	policy_engine *e;
	struct policy_result *r =
		eval_rules(&e, "[{\"name\": \"r\", \"match\": {}, \"constraints\": {}}]", "");

	for (unsigned i = 0; i < 70; i++)
		acts[i] = (struct policy_action){.size = 0, .count = 1};
	cr_assert_eq(policy_mask(r, acts, 70, NULL, 0), UINT64_MAX);
	policy_result_free(r);
	policy_engine_free(e);
}
