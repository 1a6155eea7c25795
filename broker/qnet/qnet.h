/*
 * qnet.h - the broker's Q-network (prefix qnet_): a small float MLP trained
 * by DQN, its post-training int8 quantization (TFLite / CMSIS-NN scheme) with
 * integer-only masked argmax for serving, and the CBOR model file.
 *
 * The network maps a state (float[in], as the simulator's featurization or the
 * broker's serving path computes it) to one Q-value per action; the broker
 * picks the allowed action (bit i of a uint64_t mask) with the largest one.
 *
 * Deliberately not here: the environment (the trainer talks to any
 * struct qnet_env; broker/sim provides the real one, the tests a tiny MDP),
 * featurization (the model only carries the normalisation constants the
 * featurizer used, so serving computes the same features), and printing.
 */
#ifndef QNET_H
#define QNET_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

#define QNET_MAX_LAYERS 4    /* dense layers (hidden + output) */
#define QNET_MAX_WIDTH 256   /* largest input or layer width */
#define QNET_MAX_ACTIONS 64  /* masks are uint64_t bit sets */
#define QNET_MODEL_MAX (8u << 20) /* largest model file accepted, bytes */
#define QNET_TRACE_MAX 128   /* training metadata: trace name, with NUL */
#define QNET_DATE_MAX 32     /* training metadata: ISO 8601 date, with NUL */

typedef struct qnet_model qnet_model;
typedef struct qnet_trainer qnet_trainer;

/* One configuration (mirrors struct sim_action): size x count x pre-warm. */
struct qnet_action {
	uint8_t size;
	uint8_t count;
	uint8_t prewarm;
};

/* Where a model came from; stored in the model file, not used to infer. */
struct qnet_meta {
	uint64_t seed;          /* trainer seed */
	uint64_t episodes;      /* episodes (online) or passes (offline) trained */
	uint64_t steps;         /* environment steps or gradient updates */
	char trace[QNET_TRACE_MAX]; /* trace or transitions file name */
	char date[QNET_DATE_MAX];   /* "2026-11-25T12:00:00Z" */
};

/* ---------------------------------------------------------------------- */
/* Model: float network, optional int8 network, normalisation, actions     */
/* ---------------------------------------------------------------------- */

/*
 * A new float network with layer widths dims[0] (input) .. dims[nlayers]
 * (actions), ReLU between layers, He-uniform weights drawn from seed, zero
 * biases, zero normalisation (mean 0, scale 1), an all-zero action table and
 * no int8 part. 1 <= nlayers <= QNET_MAX_LAYERS, widths 1..QNET_MAX_WIDTH,
 * dims[nlayers] <= QNET_MAX_ACTIONS. Free with qnet_model_free().
 */
int qnet_model_new(qnet_model **out, const unsigned *dims, unsigned nlayers, uint64_t seed,
		   struct eph_err *err);
void qnet_model_free(qnet_model *m);

/* A deep copy (weights, int8 part, metadata). */
int qnet_model_clone(qnet_model **out, const qnet_model *m, struct eph_err *err);

unsigned qnet_model_in_dim(const qnet_model *m);
unsigned qnet_model_num_actions(const qnet_model *m);
unsigned qnet_model_num_layers(const qnet_model *m);
/* Width of layer boundary i (0 = input, num_layers = actions). */
unsigned qnet_model_dim(const qnet_model *m, unsigned i);
int qnet_model_has_int8(const qnet_model *m);

/*
 * Normalisation constants of the featurizer that produced the states
 * (feature = (raw - mean) * scale), in_dim floats each. Opaque to the
 * network: carried so that serving featurizes as training did.
 */
int qnet_model_set_norm(qnet_model *m, const float *mean, const float *scale, unsigned n,
			struct eph_err *err);
const float *qnet_model_norm_mean(const qnet_model *m);
const float *qnet_model_norm_scale(const qnet_model *m);

/* The action table, num_actions entries (action i of the mask is entry i). */
int qnet_model_set_actions(qnet_model *m, const struct qnet_action *a, unsigned n,
			   struct eph_err *err);
const struct qnet_action *qnet_model_action_at(const qnet_model *m, unsigned i);

void qnet_model_set_meta(qnet_model *m, const struct qnet_meta *meta);
const struct qnet_meta *qnet_model_meta(const qnet_model *m);

/* ---------------------------------------------------------------------- */
/* Float inference                                                         */
/* ---------------------------------------------------------------------- */

/* q[num_actions] = network(x[in_dim]). */
void qnet_float_q(const qnet_model *m, const float *x, float *q);

/*
 * The action in mask with the largest float Q-value (lowest index on ties).
 * Bits at or above num_actions are ignored; EPH_EPOLICY if no allowed action
 * remains. Never returns a masked action.
 */
int qnet_float_argmax(const qnet_model *m, const float *x, uint64_t mask, unsigned *action,
		      struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Post-training quantization and integer-only inference                  */
/* ---------------------------------------------------------------------- */

/*
 * Build (or rebuild) the int8 network from the float one:
 *  - input equalization: each feature centred and scaled onto [-1, 1] by its
 *    1 % and 99 % quantiles over states (folded into layer 0's weights and
 *    biases);
 *  - weights int8, symmetric, one scale per output channel (max|w| / 127);
 *    the output layer's mean row over the actions is taken out first (Q
 *    minus its mean: the same argmax, and similar actions keep their small
 *    differences);
 *  - activations int8, asymmetric, one scale and zero point per tensor,
 *    calibrated on the min/max the float network sees over states[n][in_dim];
 *    the output layer is int32, requantized to a scale 64x finer than its
 *    coarsest channel's accumulator step, so that close Q-values keep their
 *    order;
 *  - biases int32 at scale s_in * s_w[o];
 *  - requantization by M = s_in * s_w[o] / s_out as a Q31 multiplier and a
 *    power-of-two shift (qnet_quantize_multiplier).
 * n >= 1. The float network is left as is.
 */
int qnet_quantize(qnet_model *m, const float *states, size_t n, struct eph_err *err);

/*
 * The input quantization, the only float step of int8 inference:
 * xq[i] = clamp(roundf((x[i] - off[i]) * (eq[i] / s)) + zp, -128, 127).
 */
void qnet_int8_quantize_input(const qnet_model *m, const float *x, int8_t *xq);

/*
 * Serving: masked argmax of the int8 network, integers only after the one
 * input quantization (qnet_int8_argmax_q takes an already quantized input).
 * Lowest index on ties; bits at or above num_actions ignored; EPH_EPOLICY if
 * no allowed action remains, EPH_EFAIL without an int8 part. Never returns a
 * masked action. No allocation.
 */
int qnet_int8_argmax(const qnet_model *m, const float *x, uint64_t mask, unsigned *action,
		     struct eph_err *err);
int qnet_int8_argmax_q(const qnet_model *m, const int8_t *xq, uint64_t mask, unsigned *action,
		       struct eph_err *err);

/*
 * Dequantized int8-network outputs (for inspection and tests): the
 * Q-values minus their mean over all actions (the int8 output layer leaves
 * out that common part, which does not change the argmax; quantize.c).
 */
int qnet_int8_q(const qnet_model *m, const float *x, float *q, struct eph_err *err);

/* Fixed-point primitives, bit-exact with gemmlowp / TFLite reference code. */

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturated. */
int32_t qnet_srdhm(int32_t a, int32_t b);
/* gemmlowp RoundingDivideByPOT: x / 2^exponent, round half away from zero. */
int32_t qnet_rdbpot(int32_t x, int exponent);
/*
 * TFLite MultiplyByQuantizedMultiplier: x * m * 2^(shift - 31), rounded;
 * shift in [QNET_SHIFT_MIN, QNET_SHIFT_MAX], a left shift saturates.
 */
int32_t qnet_mul_by_quantized_multiplier(int32_t x, int32_t m, int shift);
/*
 * TFLite QuantizeMultiplier: real = m * 2^(shift - 31), m in [2^30, 2^31)
 * or m = 0 (real too small). real must be >= 0 and finite. Returns 0, or -1
 * if real needs a shift above QNET_SHIFT_MAX.
 */
int qnet_quantize_multiplier(double real, int32_t *m, int *shift);

#define QNET_SHIFT_MIN (-31)
#define QNET_SHIFT_MAX 30

/* ---------------------------------------------------------------------- */
/* Model file (CBOR, see docs/qnet-model-format.md)                        */
/* ---------------------------------------------------------------------- */

/*
 * Encode m into a new buffer (caller frees): the envelope
 * ["EPHQNET", 1, payload, SHA-256(payload)]. Deterministic: the same model
 * gives the same bytes.
 */
int qnet_model_save(uint8_t **out, size_t *len, const qnet_model *m, struct eph_err *err);

/*
 * Decode and check a model file (untrusted bytes): magic, version, types,
 * shapes and bounds, SHA-256, scales finite and positive, zero points in
 * range, multipliers and shifts in range and equal to the ones the scales
 * give. EPH_EFORMAT (does not parse), EPH_EVERIFY (parses but a check fails)
 * or EPH_EUNSUPPORTED (other version).
 */
int qnet_model_load(qnet_model **out, const uint8_t *buf, size_t len, struct eph_err *err);

/* The same through files ("-" is stdin for reading). */
int qnet_model_save_file(const qnet_model *m, const char *path, struct eph_err *err);
int qnet_model_load_file(qnet_model **out, const char *path, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* DQN training                                                            */
/* ---------------------------------------------------------------------- */

/* An environment the trainer can drive (the simulator, a tiny MDP, ...). */
struct qnet_env {
	void *ctx;
	unsigned state_dim;   /* must equal the model's in_dim */
	unsigned num_actions; /* must equal the model's num_actions */
	int (*reset)(void *ctx, uint64_t seed, float *state, uint64_t *mask,
		     struct eph_err *err);
	int (*step)(void *ctx, unsigned action, float *reward, float *next_state,
		    uint64_t *next_mask, int *done, struct eph_err *err);
	/*
	 * Optional (NULL: one chain). The chain of the pending decision, <
	 * nchains. Decisions of one chain form their own MDP: a transition
	 * links a decision to the NEXT DECISION OF THE SAME CHAIN (not to the
	 * next one the environment returns), and the last decision of each
	 * chain in an episode is dropped (its successor is outside the
	 * episode). The simulator's chains are the workload classes: a
	 * class's warm pool is what one of its decisions leaves to the next
	 * one of the same class, which may be hundreds of decisions of other
	 * classes later.
	 */
	unsigned (*chain)(void *ctx);
	unsigned nchains;
};

struct qnet_train_cfg {
	uint64_t seed;           /* PRNG seed: exploration, replay sampling */
	unsigned batch;          /* minibatch size */
	size_t replay_cap;       /* transitions kept */
	size_t warmup;           /* transitions stored before the first update */
	unsigned train_every;    /* environment steps per gradient update */
	unsigned target_every;   /* gradient updates between target-net copies */
	float gamma;             /* discount */
	float lr;                /* Adam step size */
	float adam_b1, adam_b2, adam_eps;
	float huber_delta;       /* Huber loss: quadratic below, linear above */
	float grad_clip;         /* global L2 norm clip, 0 = none */
	float reward_shift;      /* rewards are (r - reward_shift) * reward_scale */
	float reward_scale;      /* before use (the argmax does not change with
				  * either: every action's Q moves alike) */
	float eps_start, eps_end; /* epsilon-greedy, decayed linearly over ... */
	uint64_t eps_decay_steps; /* ... this many environment steps */
	int double_dqn;          /* 1: target uses the online net's argmax */
	float al_alpha;          /* advantage learning: target - alpha * (max_b Q(s,b) -
				  * Q(s,a)) (target network), 0 = plain DQN */
	float lr_end;            /* > 0: lr decays linearly to this over ... */
	uint64_t lr_decay_updates; /* ... this many updates (0: constant lr) */
};

/* Defaults: batch 64, replay 100000, warmup 1000, train_every 1, target
 * every 500 updates, gamma 0.99, lr 5e-4 (constant), no advantage learning, Adam
 * (0.9, 0.999, 1e-8), Huber delta 1, clip 10, reward shift 0, scale 1,
 * epsilon 1 -> 0.05 over 50000 steps, double DQN on. */
void qnet_train_cfg_default(struct qnet_train_cfg *cfg);

/* One stored transition; pointers are copied from, not kept. */
struct qnet_transition {
	const float *state;      /* in_dim floats */
	unsigned action;         /* < num_actions */
	uint64_t mask;           /* actions allowed at state (advantage learning; CSV) */
	float reward;            /* raw; reward_scale applies in the update */
	const float *next_state; /* in_dim floats; ignored when done */
	uint64_t next_mask;      /* actions allowed at next_state */
	int done;                /* episode ended after this step */
};

struct qnet_episode_stats {
	double reward;      /* sum of raw rewards */
	unsigned steps;     /* decisions taken */
	double loss;        /* mean Huber loss of this episode's updates (0 if none) */
	unsigned updates;   /* gradient updates this episode */
	float epsilon;      /* epsilon at the end of the episode */
};

/*
 * A trainer for m (borrowed, must outlive it; its float weights are updated
 * in place): Adam state, target network, replay buffer, PRNG. Deterministic:
 * the same model, cfg, environment and calls give the same weights.
 */
int qnet_trainer_new(qnet_trainer **out, qnet_model *m, const struct qnet_train_cfg *cfg,
		     struct eph_err *err);
void qnet_trainer_free(qnet_trainer *t);

/* Run one episode: epsilon-greedy actions, store, update, sync target. */
int qnet_trainer_episode(qnet_trainer *t, const struct qnet_env *env, uint64_t episode_seed,
			 struct qnet_episode_stats *st, struct eph_err *err);

/*
 * Epsilon-greedy over mask with the current epsilon (uniform over allowed
 * actions when exploring). Never returns a masked action; EPH_EPOLICY on an
 * empty mask.
 */
int qnet_trainer_act(qnet_trainer *t, const float *x, uint64_t mask, unsigned *action,
		     struct eph_err *err);

/* Store a transition (online or offline replay). EPH_EVERIFY on a bad action. */
int qnet_trainer_observe(qnet_trainer *t, const struct qnet_transition *tr,
			 struct eph_err *err);

/*
 * One gradient step on a minibatch sampled from the replay buffer (ignores
 * warmup; needs at least one stored transition), then a target copy every
 * target_every updates. *loss: the minibatch's mean Huber loss.
 */
int qnet_trainer_update(qnet_trainer *t, float *loss, struct eph_err *err);

float qnet_trainer_epsilon(const qnet_trainer *t);
size_t qnet_trainer_replay_len(const qnet_trainer *t);
uint64_t qnet_trainer_env_steps(const qnet_trainer *t);
uint64_t qnet_trainer_updates(const qnet_trainer *t);

/*
 * Up to n states from the replay buffer (evenly spaced over what is stored)
 * into out[n][in_dim] for calibration. Returns how many were written.
 */
size_t qnet_trainer_sample_states(const qnet_trainer *t, float *out, size_t n);

/* Loss pieces, exposed for tests. */
float qnet_huber(float err, float delta);
float qnet_huber_grad(float err, float delta);

/* Adam on a flat parameter vector (exposed for tests). */
struct qnet_adam {
	float lr, b1, b2, eps;
	uint64_t t;   /* steps taken */
	float *m, *v; /* first and second moments, n floats each */
	size_t n;
};
int qnet_adam_init(struct qnet_adam *a, size_t n, float lr, float b1, float b2, float eps,
		   struct eph_err *err);
void qnet_adam_step(struct qnet_adam *a, float *params, const float *grad);
void qnet_adam_free(struct qnet_adam *a);

/* ---------------------------------------------------------------------- */
/* Transitions exported by the broker's store (offline replay)            */
/* ---------------------------------------------------------------------- */

/*
 * Parse the transitions CSV (docs/qnet-model-format.md) of untrusted bytes
 * into arrays the caller frees with qnet_transitions_free(): n rows of
 * state[dim], action, mask, reward, next_state[dim], next_mask, done (the
 * tuples of the store's export, docs/store-schema.md). A row whose action is
 * not in its mask is refused.
 */
struct qnet_transitions {
	size_t n;
	unsigned dim;
	float *state;      /* n * dim */
	uint32_t *action;  /* n */
	uint64_t *mask;    /* n: allowed at state */
	float *reward;     /* n */
	float *next_state; /* n * dim */
	uint64_t *next_mask; /* n */
	uint8_t *done;     /* n */
};
int qnet_transitions_parse(struct qnet_transitions **out, const uint8_t *buf, size_t len,
			   struct eph_err *err);
void qnet_transitions_free(struct qnet_transitions *tr);

/*
 * Format the header line, or one row, of that CSV (what the broker's store
 * exports) into buf, '\n'-terminated and NUL-terminated. Returns the length
 * without the NUL, or EPH_EFAIL if cap is below QNET_CSV_ROW_MAX (always
 * enough), dim is above QNET_CSV_MAX_DIM or the action is not in the mask.
 */
#define QNET_CSV_MAX_DIM 64
#define QNET_CSV_ROW_MAX 4096
int qnet_transitions_header(char *buf, size_t cap, unsigned dim);
int qnet_transitions_row(char *buf, size_t cap, const struct qnet_transition *tr, unsigned dim);

#endif
