/*
 * sim.h - the trace-driven simulator the Q-network learns and is evaluated
 * on (prefix sim_), and the state features the broker computes the same way
 * at serving time.
 *
 * PINNED PART (the learner, broker/qnet and ephemera-train, codes against
 * it; change only together): the reinforcement-learning interface below
 * marked "RL interface". Everything else in this header belongs to the
 * simulator and may grow.
 */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

/* ---------------------------------------------------------------------- */
/* RL interface (pinned)                                                   */
/* ---------------------------------------------------------------------- */

#define SIM_STATE_DIM 32   /* length of a state vector; layout in sim_state.c */
#define SIM_MAX_ACTIONS 64 /* masks are uint64_t bit sets */

/* One configuration the Q-network can choose: size x count x pre-warm. */
struct sim_action {
	uint8_t size;    /* index into the size table (sim_size_at) */
	uint8_t count;   /* environments to start for the request, >= 1 */
	uint8_t prewarm; /* warm environments of this class to keep ready */
};

typedef struct sim_env sim_env;

/* Number of actions (<= SIM_MAX_ACTIONS) and the action table. */
unsigned sim_num_actions(const sim_env *env);
const struct sim_action *sim_action_at(const sim_env *env, unsigned i);

/*
 * Start an episode (deterministic for a seed): fills the state of the first
 * decision and the mask of actions allowed for it (bit i: action i).
 */
int sim_reset(sim_env *env, uint64_t seed, float state[SIM_STATE_DIM], uint64_t *mask,
	      struct eph_err *err);

/*
 * Apply `action` (must be in the current mask) to the pending decision and
 * advance to the next one. *reward is this decision's reward:
 * -(cost of what was allocated) - lambda*(shortfall) - mu*(cold-start time).
 * *done is set after the last decision of the episode (next_state and
 * next_mask are then zero).
 */
int sim_step(sim_env *env, unsigned action, float *reward, float next_state[SIM_STATE_DIM],
	     uint64_t *next_mask, int *done, struct eph_err *err);

void sim_env_free(sim_env *env);


/* ---------------------------------------------------------------------- */
/* Simulator (owned by broker/sim; may grow)                              */
/* ---------------------------------------------------------------------- */

/*
 * Units used everywhere below:
 *   time       seconds (double), from the start of the trace;
 *   CPU        milli-vCPU ("m": 1000 = one vCPU);
 *   memory     MiB;
 *   cost       cost units "cu"; the default table charges 1 cu per hour for
 *              1 vCPU + 1 GiB (sim_config_default()).
 * The reward of one decision (sim_step) is
 *   r = -cost - lambda * shortfall - mu * cold_s
 * with cost in cu (running environments, their boot time, and the idle time
 * of the warm environments this decision keeps, see sim_outcome), shortfall
 * dimensionless (throttled CPU share in [0,1] + oom_weight per OOM or
 * capacity rejection), cold_s in seconds: lambda is cu per unit of shortfall
 * and mu is cu per second of cold-start latency.
 */

#define SIM_MAX_SIZES 10    /* size table entries; 10 x 2 x 3 = 60 actions */
#define SIM_CLASS_MAX 48    /* class name bytes, with the NUL */
#define SIM_MAX_COUNT 2     /* count in {1, 2} */
#define SIM_MAX_PREWARM 2   /* pre-warm in {0, 1, 2} */
#define SIM_TRACE_MAX_ROWS 20000000u
#define SIM_TRACE_MAX_CLASSES 65535u

enum sim_role { SIM_ROLE_SERVICE, SIM_ROLE_BATCH, SIM_ROLE_FUNCTION, SIM_ROLE_ML, SIM_ROLE_N };
enum sim_sens { SIM_SENS_LOW, SIM_SENS_MEDIUM, SIM_SENS_HIGH, SIM_SENS_N };

/* Where a request's usage profile came from (the trace's usage_source). */
enum sim_usage_src {
	SIM_USAGE_MEASURED,  /* measured by the trace (Bitbrains) */
	SIM_USAGE_DERIVED,   /* derived from trace statistics plus an assumption (Azure) */
	SIM_USAGE_SYNTHETIC, /* drawn from a seeded model, not in the trace (Alibaba, tests) */
	SIM_USAGE_N
};

/*
 * One request of a trace: its attributes, what the requester asked for, and
 * its true usage. The usage profile is a quantile function over the run:
 * usage is at p50 for half of the duration, rises linearly to p95 at 95 % of
 * it and to max at 100 % (docs/sim-trace-format.md). Only the simulator and
 * the oracle see cpu_* and mem_*; policies see them through the class
 * history once the request has finished.
 */
struct sim_request {
	double arrival_s;        /* >= 0; non-decreasing within a trace */
	double duration_s;       /* > 0 */
	uint32_t cls;            /* class id (sim_trace_class_name) */
	uint8_t role;            /* enum sim_role */
	uint8_t sens;            /* enum sim_sens */
	uint8_t usage_src;       /* enum sim_usage_src */
	float role_conf;         /* confidence of role, [0,1] */
	float sens_conf;         /* confidence of sensitivity, [0,1] */
	uint32_t asked_cpu;      /* m */
	uint32_t asked_mem;      /* MiB */
	uint32_t cpu_p50, cpu_p95, cpu_max; /* m, non-decreasing */
	uint32_t mem_p50, mem_p95, mem_max; /* MiB, non-decreasing */
};

/* A trace: requests sorted by arrival, and the class names they refer to. */
struct sim_trace {
	struct sim_request *req; /* n entries */
	size_t n;
	size_t cap;
	char (*cls_name)[SIM_CLASS_MAX]; /* ncls entries */
	uint32_t ncls;
	uint32_t cls_cap;
	uint32_t *cls_hash; /* open-addressing index over cls_name, cls_hash_cap slots */
	uint32_t cls_hash_cap;
	double cap_cpu;      /* host pool hint from the source (m), 0 = none */
	double cap_mem;      /* host pool hint from the source (MiB), 0 = none */
	char source[64];     /* "bitbrains", "azure-functions-2019", ... */
};

/* An empty trace. Free with sim_trace_free(). */
int sim_trace_new(struct sim_trace **out, struct eph_err *err);
void sim_trace_free(struct sim_trace *t);

/* The id of class name (1..SIM_CLASS_MAX-1 bytes of [A-Za-z0-9._:-]),
 * added if new. EPH_EFORMAT on a bad name, EPH_EFAIL past the class limit. */
int sim_trace_class_id(struct sim_trace *t, const char *name, size_t len, uint32_t *id,
		       struct eph_err *err);
const char *sim_trace_class_name(const struct sim_trace *t, uint32_t id);
/* Look a class up without adding it: 0 and *id, or -1. */
int sim_trace_class_find(const struct sim_trace *t, const char *name, size_t len, uint32_t *id);

/* Append a copy of r (its cls must exist). Does not check order. */
int sim_trace_push(struct sim_trace *t, const struct sim_request *r, struct eph_err *err);

/* Stable sort by arrival time (converters call it before returning). */
void sim_trace_sort(struct sim_trace *t);

/* Check every request (ranges, order, classes); EPH_EFORMAT naming the row. */
int sim_trace_check(const struct sim_trace *t, struct eph_err *err);

/*
 * Parse Ephemera's trace CSV (docs/sim-trace-format.md) from untrusted
 * bytes. Errors are EPH_EFORMAT with "line L, column C (name): ...".
 */
int sim_trace_parse_csv(struct sim_trace **out, const uint8_t *buf, size_t len,
			struct eph_err *err);
int sim_trace_load_csv(struct sim_trace **out, const char *path, struct eph_err *err);

/* Write t in that schema (re-parses to the same trace up to %.6g rounding). */
int sim_trace_save_csv(const struct sim_trace *t, const char *path, struct eph_err *err);

/*
 * Split by time: requests arriving before the arrival time of request
 * floor(frac * n) go to *train, the rest (the later ones) to *held; both are
 * new traces with the same class ids. 0 < frac < 1.
 */
int sim_trace_split_time(struct sim_trace **train, struct sim_trace **held,
			 const struct sim_trace *t, double frac, struct eph_err *err);

/* Converters of the public traces (read in place, never copied). */
struct sim_conv_opts {
	uint64_t seed;          /* sampling and synthetic usage; same seed, same trace */
	double window_s;        /* Bitbrains: job window length (default 3600) */
	unsigned max_per_minute; /* Azure: invocations kept per function-minute, 0 = all */
	double max_duration_s;  /* clip durations above this, 0 = no clip */
};
void sim_conv_opts_default(struct sim_conv_opts *o);

/* GWA-T-12 Bitbrains: every *.csv in dir, one VM each, cut into windows. */
int sim_trace_from_bitbrains_dir(struct sim_trace **out, const char *dir,
				 const struct sim_conv_opts *o, struct eph_err *err);
/* Azure Functions 2019 (invitro layout): dir holds invocations.csv,
 * durations.csv and memory.csv. */
int sim_trace_from_azure_functions(struct sim_trace **out, const char *dir,
				   const struct sim_conv_opts *o, struct eph_err *err);
/* Alibaba cluster-trace-gpu-v2023: the pod list; node_csv (may be NULL)
 * sets the host pool hint. Usage is SYNTHETIC. */
int sim_trace_from_alibaba_pods(struct sim_trace **out, const char *pod_csv,
				const char *node_csv, const struct sim_conv_opts *o,
				struct eph_err *err);

/*
 * Synthetic trace for unit tests only: nclasses classes, n requests, Poisson
 * arrivals at rate_per_s, each class with its own usage level (seeded).
 */
int sim_trace_synthetic(struct sim_trace **out, size_t n, unsigned nclasses, double rate_per_s,
			uint64_t seed, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Configuration                                                          */
/* ---------------------------------------------------------------------- */

struct sim_size {
	uint32_t cpu;           /* m */
	uint32_t mem;           /* MiB */
	double cost_per_s;      /* cu per second while it exists (running) */
	double cold_sandbox_s;  /* cold start as a sandbox (sensitivity low/medium) */
	double cold_vm_s;       /* cold start as a VM (sensitivity high) */
};

struct sim_config {
	struct sim_size size[SIM_MAX_SIZES];
	unsigned nsizes;        /* 1..SIM_MAX_SIZES, ascending cpu and mem */
	double lambda;          /* cu per unit of shortfall */
	double mu;              /* cu per second of cold-start latency */
	double oom_weight;      /* shortfall units per OOM (and per rejection) */
	double throttle_event_share; /* a throttle event: throttled share above this */
	double idle_factor;     /* warm environment cost = idle_factor * cost_per_s */
	double warm_ttl_s;      /* a warm pool not re-confirmed is destroyed after this */
	double cap_cpu;         /* host pool, m */
	double cap_mem;         /* host pool, MiB */
	uint8_t role_max_size[SIM_ROLE_N]; /* mask: largest size index per role */
	uint8_t high_sens_count1; /* mask: sensitivity high may only use count 1 */
	size_t episode_len;     /* requests per episode, 0 = the whole trace */
	unsigned hist_len;      /* class history window (finished requests), <= 256 */
	double rate_halflife_s; /* arrival-rate estimator half-life */
};

/*
 * Defaults: sizes 250m/256Mi, 500m/512Mi, 1/1Gi, 2/2Gi, 4/4Gi, 8/8Gi,
 * 16/32Gi; cost (vCPU + GiB)/2 cu per hour; cold start 1.5 s sandbox, 9 s
 * VM; lambda 1, mu 0.01, oom_weight 10, throttle event above 1 %, idle
 * factor 0.5, warm TTL 600 s, host pool 512 vCPU / 1 TiB; function role up
 * to 4/4Gi, other roles unrestricted, high sensitivity count 1; whole-trace
 * episodes; history 64; rate half-life 300 s.
 */
void sim_config_default(struct sim_config *c);

/*
 * Append sizes 32/128Gi, 64/512Gi, 128/1Ti (cost and cold start as the
 * defaults) for traces with very large requests (Alibaba); nsizes stays
 * <= SIM_MAX_SIZES.
 */
void sim_config_large_sizes(struct sim_config *c);

/* EPH_EFORMAT naming the first bad field. */
int sim_config_check(const struct sim_config *c, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Observation, features, normalisation (shared with serving)             */
/* ---------------------------------------------------------------------- */

/* What the broker knows when it decides (the simulator fills the same). */
struct sim_obs {
	uint8_t role, sens;             /* enum sim_role, enum sim_sens */
	float role_conf, sens_conf;     /* [0,1] */
	uint32_t asked_cpu, asked_mem;  /* m, MiB */
	uint32_t hist_n;                /* finished requests behind the class stats */
	float cpu_p50, cpu_p95, cpu_max; /* class history of per-request peak CPU, m */
	float mem_p50, mem_p95, mem_max; /* class history of per-request peak memory, MiB */
	float dur_p50, dur_p95;         /* class history of durations, s */
	float over_asked;               /* share of the history whose peak exceeded asked */
	double free_cpu, free_mem;      /* host pool now, m and MiB */
	double cap_cpu, cap_mem;        /* host pool total */
	uint32_t warm_class;            /* warm environments of this class */
	uint32_t warm_ready;            /* ... of which already booted */
	uint8_t warm_size;              /* their size index (if warm_class > 0) */
	uint32_t warm_total;            /* warm environments of all classes */
	uint8_t nsizes;                 /* size table length */
	uint8_t max_size;               /* largest size index the mask allows */
	float class_rate;               /* arrivals of this class per minute */
	float total_rate;               /* arrivals of all classes per minute */
	float since_class_s;            /* seconds since this class's previous arrival */
	float gap_ewma_s;               /* smoothed gap between this class's arrivals */
};

/*
 * Layout of the raw feature vector (log scales so that sizes spread evenly):
 *  0-3 role one-hot, 4 role confidence, 5-7 sensitivity one-hot,
 *  8 sensitivity confidence, 9-10 log2 asked vCPU / GiB,
 *  11 history confidence log(1+n)/log(65) (capped at 1), 12-14 log2 class
 *  CPU p50/p95/max vCPU, 15-17 log2 class memory p50/p95/max GiB,
 *  18-19 log10 duration p50/p95 s, 20 over-asked share, 21-22 free CPU/memory
 *  share, 23 warm of class /2, 24 warm ready /2, 25 warm size /nsizes,
 *  26 log1p warm total, 27 largest allowed size /nsizes, 28-29 log1p class/
 *  total rate per minute, 30 log1p seconds since class arrival, 31 log1p
 *  class gap EWMA. Without history (hist_n = 0) 12-19 repeat the asked size
 *  and a 60 s duration, and 11 says 0.
 */
void sim_featurize(const struct sim_obs *obs, float state[SIM_STATE_DIM]);

/* feature = (raw - mean) * scale, as qnet_model_set_norm() stores it. */
struct sim_norm {
	float mean[SIM_STATE_DIM];
	float scale[SIM_STATE_DIM];
};
void sim_norm_identity(struct sim_norm *n);
/* mean and 1 / max(stddev, SIM_NORM_MIN_SD) over states[n][SIM_STATE_DIM]
 * (raw features are log-scaled or shares: a raw change below the floor is
 * noise, not worth a normalised unit). n >= 1. */
#define SIM_NORM_MIN_SD 0.25
void sim_norm_fit(struct sim_norm *nm, const float *states, size_t n);
void sim_norm_apply(const struct sim_norm *nm, float state[SIM_STATE_DIM]);

/* ---------------------------------------------------------------------- */
/* Environment                                                            */
/* ---------------------------------------------------------------------- */

/*
 * An environment over trace (borrowed: must outlive the env and stay
 * unchanged) with a copy of cfg. States it returns are normalised with its
 * norm (identity until sim_env_set_norm).
 */
int sim_env_new(sim_env **out, const struct sim_trace *trace, const struct sim_config *cfg,
		struct eph_err *err);
const struct sim_config *sim_env_config(const sim_env *env);
const struct sim_trace *sim_env_trace(const sim_env *env);
void sim_env_set_norm(sim_env *env, const struct sim_norm *nm);
const struct sim_norm *sim_env_norm(const sim_env *env);

/* Fit a norm on the raw states of one episode (seed) under uniformly random
 * allowed actions; the env's own norm is not changed. */
int sim_env_fit_norm(sim_env *env, uint64_t seed, struct sim_norm *out, struct eph_err *err);

/* Action index for (size, count, prewarm); -1 if outside the table. */
int sim_action_index(const sim_env *env, unsigned size, unsigned count, unsigned prewarm);

/* What the last sim_step did (valid until the next reset or step). */
struct sim_outcome {
	double cost;            /* cu: cost_run + cost_cold + cost_idle */
	double cost_run;        /* count * cost_per_s * duration (0 if rejected) */
	double cost_cold;       /* cost_per_s * cold start of each cold replica */
	double cost_idle;       /* warm pool of the class until its next arrival or TTL */
	double throttle_share;  /* CPU demand above the allocation / demand, [0,1] */
	int throttled;          /* throttle_share > throttle_event_share */
	int oom;                /* memory peak above the allocation: the request failed */
	int rejected;           /* did not fit the host pool: not run */
	int cold;               /* at least one replica started cold */
	double cold_s;          /* cold-start latency the request waited, s */
	double shortfall;       /* throttle_share + oom_weight * (oom + rejected) */
	double reward;
	size_t req;             /* trace index of the request decided */
};
const struct sim_outcome *sim_last_outcome(const sim_env *env);

/*
 * The pending decision, for policies (NULL when the episode is done).
 * req includes the true usage, and next_gap_s and next_req are hindsight:
 * only the oracle may read them. done[] lists the requests that finished since the previous
 * decision (what the broker would have observed).
 */
struct sim_decision {
	const sim_env *env;
	const struct sim_request *req;
	double now;              /* = req->arrival_s */
	double next_gap_s;       /* until the next arrival of this class, < 0 if none */
	const struct sim_request *next_req; /* that arrival, NULL if none (hindsight) */
	struct sim_obs obs;
	float raw[SIM_STATE_DIM];   /* sim_featurize(&obs) */
	float state[SIM_STATE_DIM]; /* raw normalised with the env's norm */
	uint64_t mask;
	const struct sim_request *const *done;
	size_t ndone;
};
const struct sim_decision *sim_current(const sim_env *env);

/*
 * Cost (cu per second) and shortfall of running r on count environments of
 * size: CPU demand splits evenly over the replicas, memory does not (each
 * replica holds the whole working set).
 */
double sim_throttle_share(const struct sim_request *r, double alloc_cpu);
void sim_alloc_eval(const sim_env *env, const struct sim_request *r, unsigned size,
		    unsigned count, double *cost_per_s, double *throttle_share, int *oom);

/* ---------------------------------------------------------------------- */
/* Policies, baselines, evaluation                                        */
/* ---------------------------------------------------------------------- */

/* A policy: choose *action (must be in d->mask) for decision d. */
typedef int (*sim_policy_fn)(void *ctx, const struct sim_decision *d, unsigned *action,
			     struct eph_err *err);

/*
 * The allowed action closest to (size, count, prewarm): the largest allowed
 * size <= size (else the smallest allowed), then count and prewarm as close
 * as allowed. EPH_EPOLICY on an empty mask.
 */
int sim_pick(const struct sim_decision *d, unsigned size, unsigned count, unsigned prewarm,
	     unsigned *action, struct eph_err *err);
/* Smallest size index with cpu >= cpu_m and mem >= mem_mib (the last if none). */
unsigned sim_size_for(const struct sim_config *c, double cpu_m, double mem_mib);

/* static: always size (count 1, the given prewarm). */
struct sim_static_ctx { unsigned size, prewarm; };
int sim_policy_static(void *ctx, const struct sim_decision *d, unsigned *action,
		      struct eph_err *err);
/* asked: the smallest size covering what the requester asked for. */
struct sim_asked_ctx { unsigned prewarm; };
int sim_policy_asked(void *ctx, const struct sim_decision *d, unsigned *action,
		     struct eph_err *err);

/*
 * VPA-style recommender (Kubernetes autoscaler's recommender): per class,
 * decaying histograms (exponential buckets from 10 m / 10 MiB, ratio 1.05,
 * half-life 24 h) of CPU usage (weighted by time share of the profile) and of
 * per-request memory peaks; target = p90 * (1 + margin), margin 0.15. The
 * asked size until a class has min_samples finished requests.
 */
#define SIM_VPA_BUCKETS 256
struct sim_vpa_hist {
	double w[SIM_VPA_BUCKETS];
	double total;
	double ref_t;            /* weights are stored relative to 2^((t - ref_t)/halflife) */
};
struct sim_vpa_ctx {
	double target_pct;       /* 0.90 */
	double margin;           /* 0.15 */
	double halflife_s;       /* 86400 */
	unsigned min_samples;    /* 1 */
	unsigned prewarm;        /* 0 */
	uint32_t ncls;
	struct sim_vpa_hist *cpu, *mem; /* ncls each */
	uint32_t *nseen;
};
int sim_vpa_init(struct sim_vpa_ctx *v, uint32_t ncls, unsigned prewarm, struct eph_err *err);
void sim_vpa_reset(struct sim_vpa_ctx *v);
void sim_vpa_free(struct sim_vpa_ctx *v);
void sim_vpa_observe(struct sim_vpa_ctx *v, const struct sim_request *r, double now);
/* Current target (m, MiB) of a class; 0 if no samples. */
void sim_vpa_target(const struct sim_vpa_ctx *v, uint32_t cls, double now, double *cpu_m,
		    double *mem_mib);
int sim_policy_vpa(void *ctx, const struct sim_decision *d, unsigned *action,
		   struct eph_err *err);

/*
 * oracle: knows the true usage: the cheapest allowed (size, count) with no
 * throttling and no OOM (least shortfall if none); pre-warm (when
 * use_hindsight) 1 when this class's next arrival is close enough that
 * keeping one warm costs less than its cold start (mu * cold + boot cost),
 * else 0.
 */
struct sim_oracle_ctx { int use_hindsight_prewarm; };
int sim_policy_oracle(void *ctx, const struct sim_decision *d, unsigned *action,
		      struct eph_err *err);

/* Uniformly random allowed action (seeded); for tests and norm fitting. */
struct sim_random_ctx { uint64_t s; };
int sim_policy_random(void *ctx, const struct sim_decision *d, unsigned *action,
		      struct eph_err *err);

struct sim_report {
	size_t decisions;
	double cost;             /* cu, total */
	double cost_idle;        /* cu, warm pools (part of cost) */
	size_t throttle_events;
	size_t oom_events;
	size_t rejections;       /* did not fit the host pool */
	size_t cold_starts;
	double cold_s;           /* total cold-start latency, s */
	double throttle_share;   /* mean throttled share */
	double reward;           /* sum */
	double mean_reward;
	double alloc_cpu_s;      /* m * s allocated to running requests */
	double used_cpu_s;       /* m * s demanded (mean of the profile) */
};

/*
 * Run one episode (sim_reset(seed) ... done) choosing each action with
 * fn(ctx, decision); report totals. A policy returning a masked action is
 * an error (EPH_EPOLICY from sim_step), as is any policy error.
 */
int sim_evaluate(sim_env *env, sim_policy_fn fn, void *ctx, uint64_t seed,
		 struct sim_report *out, struct eph_err *err);

#endif
