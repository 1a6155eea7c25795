/*
 * mask_test.c - a masked action is never chosen: not by training-time
 * epsilon-greedy (exploring or not), not by the float or the int8 argmax;
 * an empty mask (or one with only bits past the last action) is an error.
 */
#include <criterion/criterion.h>

#include "qnet.h"
#include "tinyenv.h"

static qnet_model *model;

static void setup(void)
{
	model = tiny_bandit_train(5, 20);
}

static void teardown(void)
{
	qnet_model_free(model);
}

TestSuite(qnet_mask, .init = setup, .fini = teardown);

Test(qnet_mask, argmax_never_picks_a_masked_action)
{
	float x[BANDIT_DIM];
	uint64_t rng = 99, mask;
	struct eph_err err = {{0}};
	unsigned k, a, b, bits;

	for (k = 0; k < 50000; k++) {
		tiny_bandit_sample(&rng, x, &mask);
		/* sparse masks too: keep 1..3 random bits on some iterations */
		if (k % 3 == 0) {
			bits = 1 + k % 3;
			mask = 0;
			while (bits--)
				mask |= 1ull << (tiny_rand(&rng) % BANDIT_ACTIONS);
		}
		cr_assert_eq(qnet_float_argmax(model, x, mask, &a, &err), 0, "%s", err.msg);
		cr_assert(mask >> a & 1, "float argmax chose masked action %u (mask %llx)", a,
			  (unsigned long long)mask);
		cr_assert_eq(qnet_int8_argmax(model, x, mask, &b, &err), 0, "%s", err.msg);
		cr_assert(mask >> b & 1, "int8 argmax chose masked action %u (mask %llx)", b,
			  (unsigned long long)mask);
	}
}

Test(qnet_mask, epsilon_greedy_never_picks_a_masked_action)
{
	const float eps[] = { 1.0f, 0.5f, 0.0f };
	struct qnet_train_cfg cfg;
	qnet_trainer *t = NULL;
	struct eph_err err = {{0}};
	float x[BANDIT_DIM];
	uint64_t rng = 7, mask, seen = 0;
	unsigned e, k, a;

	for (e = 0; e < 3; e++) {
		qnet_train_cfg_default(&cfg);
		cfg.eps_start = cfg.eps_end = eps[e];
		cfg.replay_cap = 16;
		cr_assert_eq(qnet_trainer_new(&t, model, &cfg, &err), 0, "%s", err.msg);
		for (k = 0; k < 30000; k++) {
			tiny_bandit_sample(&rng, x, &mask);
			if (k % 2)
				mask &= mask - 1 ? (1ull << (tiny_rand(&rng) % BANDIT_ACTIONS)) | 1 : ~0ull;
			if (mask == 0)
				mask = 1ull << (k % BANDIT_ACTIONS);
			cr_assert_eq(qnet_trainer_act(t, x, mask, &a, &err), 0, "%s", err.msg);
			cr_assert(mask >> a & 1, "epsilon %.1f chose masked action %u", (double)eps[e],
				  a);
			seen |= 1ull << a;
		}
		qnet_trainer_free(t);
		t = NULL;
	}
	/* exploration does reach every action */
	cr_expect_eq(seen, (1ull << BANDIT_ACTIONS) - 1);
}

Test(qnet_mask, empty_mask_is_an_error)
{
	float x[BANDIT_DIM] = { 0 };
	struct qnet_train_cfg cfg;
	qnet_trainer *t = NULL;
	struct eph_err err = {{0}};
	unsigned a = 12345;

	cr_expect_eq(qnet_float_argmax(model, x, 0, &a, &err), EPH_EPOLICY);
	cr_expect_eq(qnet_int8_argmax(model, x, 0, &a, &err), EPH_EPOLICY);
	cr_expect_str_not_empty(err.msg);
	/* bits past the last action do not count */
	cr_expect_eq(qnet_int8_argmax(model, x, ~0ull << BANDIT_ACTIONS, &a, &err), EPH_EPOLICY);
	cr_expect_eq(qnet_float_argmax(model, x, ~0ull << BANDIT_ACTIONS, &a, &err), EPH_EPOLICY);
	cr_expect_eq(a, 12345u);
	qnet_train_cfg_default(&cfg);
	cfg.eps_start = cfg.eps_end = 1.0f;
	cr_assert_eq(qnet_trainer_new(&t, model, &cfg, &err), 0, "%s", err.msg);
	cr_expect_eq(qnet_trainer_act(t, x, 0, &a, &err), EPH_EPOLICY);
	cr_expect_eq(qnet_trainer_act(t, x, 1ull << 63, &a, &err), EPH_EPOLICY);
	qnet_trainer_free(t);
}
