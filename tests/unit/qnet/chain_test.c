/*
 * chain_test.c - environments with chains (struct qnet_env.chain): the
 * trainer links each decision to the next decision of the SAME chain and
 * drops each chain's last decision of the episode; an environment without
 * chains links consecutive decisions as before.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "qnet.h"

#define STEPS 10

/* Chains 0, 1, 0, 1, ... ; state[0] = step number, state[1] = chain. */
struct alt {
	unsigned t;
};

static void fill(const struct alt *a, float *s)
{
	s[0] = (float)a->t;
	s[1] = (float)(a->t % 2);
}

static int alt_reset(void *ctx, uint64_t seed, float *s, uint64_t *mask, struct eph_err *err)
{
	struct alt *a = ctx;

	(void)seed;
	(void)err;
	a->t = 0;
	fill(a, s);
	*mask = 3;
	return 0;
}

static int alt_step(void *ctx, unsigned action, float *r, float *s2, uint64_t *m2, int *done,
		    struct eph_err *err)
{
	struct alt *a = ctx;

	(void)action;
	(void)err;
	*r = 1.0f;
	a->t++;
	*done = a->t == STEPS;
	fill(a, s2);
	*m2 = *done ? 0 : 3;
	return 0;
}

static unsigned alt_chain(void *ctx)
{
	return ((struct alt *)ctx)->t % 2;
}

static size_t run(int chained, float *states)
{
	unsigned dims[] = { 2, 4, 2 };
	struct qnet_train_cfg cfg;
	struct qnet_episode_stats st;
	struct qnet_env env;
	struct alt a;
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	qnet_trainer *t = NULL;
	size_t n;

	cr_assert_eq(qnet_model_new(&m, dims, 2, 1, &err), 0);
	qnet_train_cfg_default(&cfg);
	cfg.warmup = 1000; /* no updates: only what is stored matters here */
	cr_assert_eq(qnet_trainer_new(&t, m, &cfg, &err), 0, "%s", err.msg);
	memset(&env, 0, sizeof(env));
	env.ctx = &a;
	env.state_dim = 2;
	env.num_actions = 2;
	env.reset = alt_reset;
	env.step = alt_step;
	if (chained) {
		env.chain = alt_chain;
		env.nchains = 2;
	}
	cr_assert_eq(qnet_trainer_episode(t, &env, 1, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(st.steps, STEPS);
	n = qnet_trainer_replay_len(t);
	cr_assert_eq(qnet_trainer_sample_states(t, states, n), n);
	qnet_trainer_free(t);
	qnet_model_free(m);
	return n;
}

Test(qnet_chain, transitions_link_decisions_of_one_chain)
{
	float s[STEPS * 2];
	size_t n, k;

	/* without chains: every decision, in order */
	n = run(0, s);
	cr_assert_eq(n, STEPS);
	for (k = 0; k < n; k++)
		cr_assert_eq(s[k * 2], (float)k);
	/*
	 * with two alternating chains: a decision is stored when its chain
	 * decides next (step k at step k + 2), so steps 0..7 are stored in
	 * order and steps 8 and 9, whose successors are outside the episode,
	 * are dropped
	 */
	n = run(1, s);
	cr_assert_eq(n, STEPS - 2);
	for (k = 0; k < n; k++) {
		cr_assert_eq(s[k * 2], (float)k, "stored %zu: step %g", k, (double)s[k * 2]);
		cr_assert_eq(s[k * 2 + 1], (float)(k % 2));
	}
}

Test(qnet_chain, chains_without_a_count_are_refused)
{
	unsigned dims[] = { 2, 4, 2 };
	struct qnet_train_cfg cfg;
	struct qnet_episode_stats st;
	struct qnet_env env;
	struct alt a;
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	qnet_trainer *t = NULL;

	cr_assert_eq(qnet_model_new(&m, dims, 2, 1, &err), 0);
	qnet_train_cfg_default(&cfg);
	cr_assert_eq(qnet_trainer_new(&t, m, &cfg, &err), 0);
	memset(&env, 0, sizeof(env));
	env.ctx = &a;
	env.state_dim = 2;
	env.num_actions = 2;
	env.reset = alt_reset;
	env.step = alt_step;
	env.chain = alt_chain; /* nchains left 0 */
	cr_assert_eq(qnet_trainer_episode(t, &env, 1, &st, &err), EPH_EVERIFY);
	qnet_trainer_free(t);
	qnet_model_free(m);
}
