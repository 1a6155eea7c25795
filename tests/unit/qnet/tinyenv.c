/*
 * tinyenv.c - the test environments of tinyenv.h.
 *
 * Chain: states 0, 1, 2 (one-hot). Right moves up one state, from 2 it
 * reaches the goal (reward +1, episode ends); left moves down (from 0 it
 * stays); every move costs 0.1; jump (only in state 0) goes to state 2 at a
 * cost of 0.5.
 *
 * Bandit: 32 features in [-1, 1]; action a = (size, count, prewarm) in
 * 3 x 3 x 3; the reward is minus the distance of each component from a
 * target that is a thresholded linear function of the features. One episode
 * is 32 independent decisions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tinyenv.h"

uint64_t tiny_rand(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static float unif(uint64_t *x)
{
	return (float)(tiny_rand(x) >> 40) / 16777216.0f * 2.0f - 1.0f;
}

void tiny_chain_state(unsigned s, float *x)
{
	memset(x, 0, CHAIN_STATES * sizeof(*x));
	x[s] = 1.0f;
}

uint64_t tiny_chain_mask(unsigned s)
{
	return s == 0 ? 0x7 : 0x3;
}

/* Next state (CHAIN_STATES = goal) and reward of a in s. */
static unsigned chain_next(unsigned s, unsigned a, float *r)
{
	if (a == 2) {
		*r = -0.5f;
		return 2;
	}
	if (a == 1) {
		*r = s == 2 ? 0.9f : -0.1f;
		return s + 1;
	}
	*r = -0.1f;
	return s == 0 ? 0 : s - 1;
}

void tiny_chain_qstar(float gamma, float q[CHAIN_STATES][CHAIN_ACTIONS])
{
	double v[CHAIN_STATES + 1] = {0}, nq[CHAIN_STATES][CHAIN_ACTIONS];
	unsigned s, a, it, n;
	float r;

	for (it = 0; it < 2000; it++) {
		for (s = 0; s < CHAIN_STATES; s++)
			for (a = 0; a < CHAIN_ACTIONS; a++) {
				if (!(tiny_chain_mask(s) >> a & 1)) {
					nq[s][a] = -INFINITY;
					continue;
				}
				n = chain_next(s, a, &r);
				nq[s][a] = r + gamma * v[n];
			}
		for (s = 0; s < CHAIN_STATES; s++) {
			v[s] = -INFINITY;
			for (a = 0; a < CHAIN_ACTIONS; a++)
				v[s] = nq[s][a] > v[s] ? nq[s][a] : v[s];
		}
		v[CHAIN_STATES] = 0.0;
	}
	for (s = 0; s < CHAIN_STATES; s++)
		for (a = 0; a < CHAIN_ACTIONS; a++)
			q[s][a] = (float)nq[s][a];
}

static int chain_reset(void *ctx, uint64_t seed, float *state, uint64_t *mask,
		       struct eph_err *err)
{
	struct tiny_chain *c = ctx;

	(void)err;
	c->s = (unsigned)(seed % CHAIN_STATES);
	c->t = 0;
	tiny_chain_state(c->s, state);
	*mask = tiny_chain_mask(c->s);
	return 0;
}

static int chain_step(void *ctx, unsigned a, float *reward, float *next, uint64_t *next_mask,
		      int *done, struct eph_err *err)
{
	struct tiny_chain *c = ctx;
	unsigned n;

	if (!(tiny_chain_mask(c->s) >> a & 1))
		return eph_err_set(err, EPH_EPOLICY, "chain: masked action %u in state %u", a, c->s);
	n = chain_next(c->s, a, reward);
	c->t++;
	if (n == CHAIN_STATES || c->t >= 50) {
		/* the cut at 50 would bias Q*; with epsilon >= 0.3 it never happens */
		*done = 1;
		memset(next, 0, CHAIN_STATES * sizeof(*next));
		*next_mask = 0;
		return 0;
	}
	*done = 0;
	c->s = n;
	tiny_chain_state(n, next);
	*next_mask = tiny_chain_mask(n);
	return 0;
}

void tiny_chain_env(struct qnet_env *env, struct tiny_chain *c)
{
	memset(c, 0, sizeof(*c));
	memset(env, 0, sizeof(*env)); /* no chains: consecutive decisions link */
	env->ctx = c;
	env->state_dim = CHAIN_STATES;
	env->num_actions = CHAIN_ACTIONS;
	env->reset = chain_reset;
	env->step = chain_step;
}

void tiny_bandit_sample(uint64_t *rng, float *x, uint64_t *mask)
{
	unsigned i;

	for (i = 0; i < BANDIT_DIM; i++)
		x[i] = unif(rng);
	/* structure: a few features drive the targets, some are correlated */
	x[3] = 0.5f * x[0] + 0.5f * x[3];
	x[4] = x[1] * x[2];
	do
		*mask = tiny_rand(rng) & ((1ull << BANDIT_ACTIONS) - 1);
	while (*mask == 0);
}

static float level(float v)
{
	return v < -0.33f ? 0.0f : v < 0.33f ? 1.0f : 2.0f;
}

float tiny_bandit_reward(const float *x, unsigned a)
{
	float ts = level(x[0] + 0.3f * x[5]), tc = level(x[1] - 0.5f * x[6]),
	      tp = level(x[2] + x[4]);
	float s = (float)(a / 9), c = (float)(a / 3 % 3), p = (float)(a % 3);

	return -(fabsf(s - ts) + 0.6f * fabsf(c - tc) + 0.3f * fabsf(p - tp)) +
	       0.05f * x[7] * s;
}

static int bandit_reset(void *ctx, uint64_t seed, float *state, uint64_t *mask,
			struct eph_err *err)
{
	struct tiny_bandit *b = ctx;

	(void)err;
	b->rng = seed * 0x2545F4914F6CDD1Dull + 1;
	b->t = 0;
	tiny_bandit_sample(&b->rng, b->x, mask);
	memcpy(state, b->x, sizeof(b->x));
	return 0;
}

static int bandit_step(void *ctx, unsigned a, float *reward, float *next, uint64_t *next_mask,
		       int *done, struct eph_err *err)
{
	struct tiny_bandit *b = ctx;

	(void)err;
	*reward = tiny_bandit_reward(b->x, a);
	b->t++;
	*done = b->t >= BANDIT_STEPS;
	if (*done) {
		memset(next, 0, sizeof(b->x));
		*next_mask = 0;
		return 0;
	}
	tiny_bandit_sample(&b->rng, b->x, next_mask);
	memcpy(next, b->x, sizeof(b->x));
	return 0;
}

void tiny_bandit_env(struct qnet_env *env, struct tiny_bandit *b)
{
	memset(b, 0, sizeof(*b));
	memset(env, 0, sizeof(*env));
	env->ctx = b;
	env->state_dim = BANDIT_DIM;
	env->num_actions = BANDIT_ACTIONS;
	env->reset = bandit_reset;
	env->step = bandit_step;
}

qnet_model *tiny_bandit_train(uint64_t seed, unsigned episodes)
{
	unsigned dims[] = { BANDIT_DIM, 64, 64, BANDIT_ACTIONS }, e;
	struct qnet_train_cfg cfg;
	struct qnet_episode_stats st;
	struct qnet_env env;
	struct tiny_bandit b;
	struct eph_err err = {{0}};
	qnet_trainer *t = NULL;
	qnet_model *m = NULL;
	float *calib;
	size_t n;

	cr_assert_eq(qnet_model_new(&m, dims, 3, seed, &err), 0, "%s", err.msg);
	qnet_train_cfg_default(&cfg);
	cfg.seed = seed;
	cfg.batch = 32;
	cfg.gamma = 0.0f;
	cfg.warmup = 256;
	cfg.train_every = 2;
	cfg.lr = 1e-3f;
	cfg.eps_decay_steps = 2000;
	cr_assert_eq(qnet_trainer_new(&t, m, &cfg, &err), 0, "%s", err.msg);
	tiny_bandit_env(&env, &b);
	for (e = 0; e < episodes; e++)
		cr_assert_eq(qnet_trainer_episode(t, &env, seed * 100000 + e, &st, &err), 0, "%s",
			     err.msg);
	calib = malloc(1000 * BANDIT_DIM * sizeof(*calib));
	n = qnet_trainer_sample_states(t, calib, 1000);
	cr_assert_eq(qnet_quantize(m, calib, n, &err), 0, "%s", err.msg);
	free(calib);
	qnet_trainer_free(t);
	return m;
}
