/*
 * tinyenv.h - two small environments for the qnet tests (not the
 * simulator, so the tests do not depend on it):
 *   - a 3-state chain MDP with a masked "jump" action, whose Q* the tests
 *     compute by value iteration (tiny_chain_qstar);
 *   - a 32-feature contextual bandit with 27 (size, count, prewarm) actions
 *     and random masks, shaped like the broker's problem, for quantization
 *     and masking tests.
 */
#ifndef TINYENV_H
#define TINYENV_H

#include <stdint.h>

#include "qnet.h"

#define CHAIN_STATES 3
#define CHAIN_ACTIONS 3 /* 0 left, 1 right, 2 jump (allowed in state 0 only) */
#define BANDIT_DIM 32
#define BANDIT_ACTIONS 27
#define BANDIT_STEPS 32

struct tiny_chain {
	unsigned s;
	unsigned t; /* steps taken; the episode is cut at 50 (never reached in practice) */
};

struct tiny_bandit {
	uint64_t rng;
	unsigned t;
	float x[BANDIT_DIM];
};

void tiny_chain_env(struct qnet_env *env, struct tiny_chain *c);
/* Q*(s, a) for discount gamma; masked actions get -INFINITY. */
void tiny_chain_qstar(float gamma, float q[CHAIN_STATES][CHAIN_ACTIONS]);
void tiny_chain_state(unsigned s, float *x);
uint64_t tiny_chain_mask(unsigned s);

void tiny_bandit_env(struct qnet_env *env, struct tiny_bandit *b);
/* A random structured state and a random non-empty mask. */
void tiny_bandit_sample(uint64_t *rng, float *x, uint64_t *mask);
float tiny_bandit_reward(const float *x, unsigned a);
uint64_t tiny_rand(uint64_t *state);

/*
 * A 32-64-64-27 network trained by DQN (gamma 0) on the bandit for
 * `episodes` episodes, quantized on states from its replay buffer.
 */
qnet_model *tiny_bandit_train(uint64_t seed, unsigned episodes);

#endif
