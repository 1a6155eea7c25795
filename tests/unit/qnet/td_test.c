/*
 * td_test.c - DQN learns the known Q-values of the 3-state chain, and
 * training is deterministic for a seed (byte-identical model files).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "qnet.h"
#include "tinyenv.h"

static void chain_cfg(struct qnet_train_cfg *cfg, uint64_t seed)
{
	qnet_train_cfg_default(cfg);
	cfg->seed = seed;
	cfg->batch = 32;
	cfg->replay_cap = 5000;
	cfg->warmup = 200;
	cfg->target_every = 100;
	cfg->gamma = 0.9f;
	cfg->lr = 2e-3f;
	cfg->eps_start = 1.0f;
	cfg->eps_end = 0.5f; /* Q-learning is off-policy: keep exploring */
	cfg->eps_decay_steps = 2000;
}

/* Train a 3-16-16-3 net on the chain for `episodes`; returns the model. */
static qnet_model *train_chain(uint64_t seed, unsigned episodes)
{
	unsigned dims[] = { CHAIN_STATES, 16, 16, CHAIN_ACTIONS }, e;
	struct qnet_train_cfg cfg;
	struct qnet_episode_stats st;
	struct qnet_env env;
	struct tiny_chain chain;
	struct eph_err err = {{0}};
	qnet_trainer *t = NULL;
	qnet_model *m = NULL;
	struct qnet_meta meta = { .seed = seed, .episodes = episodes };

	cr_assert_eq(qnet_model_new(&m, dims, 3, seed, &err), 0, "%s", err.msg);
	chain_cfg(&cfg, seed);
	cr_assert_eq(qnet_trainer_new(&t, m, &cfg, &err), 0, "%s", err.msg);
	tiny_chain_env(&env, &chain);
	for (e = 0; e < episodes; e++)
		cr_assert_eq(qnet_trainer_episode(t, &env, seed * 1000 + e, &st, &err), 0, "%s",
			     err.msg);
	meta.steps = qnet_trainer_env_steps(t);
	snprintf(meta.trace, sizeof(meta.trace), "tiny-chain");
	snprintf(meta.date, sizeof(meta.date), "2026-11-25T00:00:00Z");
	qnet_model_set_meta(m, &meta);
	qnet_trainer_free(t);
	return m;
}

Test(qnet_td, chain_converges_to_qstar)
{
	float qs[CHAIN_STATES][CHAIN_ACTIONS], x[CHAIN_STATES], q[CHAIN_ACTIONS];
	qnet_model *m = train_chain(7, 3000);
	unsigned s, a;
	double worst = 0.0;

	tiny_chain_qstar(0.9f, qs);
	for (s = 0; s < CHAIN_STATES; s++) {
		tiny_chain_state(s, x);
		qnet_float_q(m, x, q);
		for (a = 0; a < CHAIN_ACTIONS; a++) {
			if (!(tiny_chain_mask(s) >> a & 1))
				continue;
			cr_log_info("Q(%u,%u) = %.4f, Q* = %.4f", s, a, (double)q[a],
				    (double)qs[s][a]);
			if (fabs((double)q[a] - qs[s][a]) > worst)
				worst = fabs((double)q[a] - qs[s][a]);
		}
	}
	cr_expect_lt(worst, 0.05, "largest |Q - Q*| = %.4f", worst);
	qnet_model_free(m);
}

Test(qnet_td, same_seed_same_bytes)
{
	qnet_model *a = train_chain(11, 400), *b = train_chain(11, 400), *c = train_chain(12, 400);
	uint8_t *ba = NULL, *bb = NULL, *bc = NULL;
	size_t la, lb, lc;
	struct eph_err err = {{0}};

	cr_assert_eq(qnet_model_save(&ba, &la, a, &err), 0, "%s", err.msg);
	cr_assert_eq(qnet_model_save(&bb, &lb, b, &err), 0, "%s", err.msg);
	cr_assert_eq(qnet_model_save(&bc, &lc, c, &err), 0, "%s", err.msg);
	cr_assert_eq(la, lb);
	cr_expect_eq(memcmp(ba, bb, la), 0, "two trainings with seed 11 differ");
	cr_expect(la != lc || memcmp(ba, bc, la) != 0, "seeds 11 and 12 gave the same model");
	free(ba);
	free(bb);
	free(bc);
	qnet_model_free(a);
	qnet_model_free(b);
	qnet_model_free(c);
}
