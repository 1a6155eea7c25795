/*
 * api-envs.h - what the environment handler (api_envs.c) and the decider
 * (api_decide.c) share: the resource policy for one request and the action
 * table of sizes it masks.
 *
 * Not here: attribute rules (broker/policy when it lands).
 */
#ifndef API_ENVS_H
#define API_ENVS_H

#include "api-priv.h"

#define API_MAX_SIZES 16

struct api__size {
	char name[32];
	uint32_t vcpu_milli;
	uint32_t mem_mib;
};

/* The resource policy of one environment, and the action table it masks. */
struct api__envpol {
	size_t nsizes;
	struct api__size sizes[API_MAX_SIZES];
	uint32_t max_vcpu_milli;
	uint32_t max_mem_mib;
	char network[16];
	char encryption[24];
	uint64_t max_ttl_s;
	uint64_t reattest_s;
	uint64_t mask; /* bit i: sizes[i] is allowed */
};

/* What the requester asked for (CWT application requirements). */
struct api__ask {
	uint32_t vcpu_milli;
	uint32_t mem_mib;
	uint32_t duration_s;
	unsigned clearance;
	unsigned sensitivity; /* enum cwt_sensitivity (0 public .. 3 secret) */
	float confidence; /* of the requester's attributes */
	/* For the Q-network's state (api_qstate.c); empty when unknown. */
	const char *cls;  /* class of work: history and arrival rates, may be NULL */
	char role[64];    /* the requester's role claim */
	char app_class[64]; /* the application class claim */
	int has_sensitivity; /* sensitivity came from a claim */
};

/* The "environments" section of broker.json, or the built-in table. */
int api__envpol_load(struct api__envpol *out, const struct api__policy *p, struct eph_err *err);

/* Rules of <policy>/policy.json (broker/policy); *out NULL when absent. */
int api__rules_load(void **out, const char *dir, struct eph_err *err);
void api__rules_free(void *rules);
/*
 * Narrow pol with the rules for these attributes ([{"name","value","source"}]);
 * why receives the engine's one-line reason. EPH_EPOLICY when the rules
 * deny or leave no size. A NULL rules pointer leaves pol as it is.
 */
int api__rules_narrow(struct api__envpol *pol, char *why, size_t why_len, void *rules,
		      json_t *attrs_json, struct eph_err *err);

struct api__decision {
	unsigned action;      /* index into sizes */
	unsigned qaction;     /* recorded action: the model's action index
			       * (qnet), or the size index (baseline) */
	unsigned count;
	unsigned prewarm;
	const char *decider;  /* "baseline", "qnet-int8" or
			       * "baseline (no allowed qnet action)" */
	int by_model;         /* the Q-network chose: record its hash */
	float state[STORE_STATE_DIM];
	uint64_t mask;        /* recorded mask: over the policy sizes (baseline)
			       * or over the model's actions (qnet) */
	double decide_us;     /* time spent deciding, microseconds */
};

/*
 * Choose a configuration under the policy mask. The baseline decider takes
 * the smallest allowed size covering the asked CPU and memory, count 1,
 * pre-warm 0; EPH_EPOLICY when no allowed size covers the request.
 */
int api__decide(struct api__decision *out, struct api *a, const struct api__envpol *pol,
		const struct api__ask *ask, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Serving the Q-network (api_qstate.c)                                    */
/* ---------------------------------------------------------------------- */

/* Warm pools of a class, from the lifecycle thread (api_lc.c); zeros
 * without a driver. Safe from the loop thread. */
struct api__warm {
	unsigned cls_target;  /* members the class's pools keep (pre-warm targets) */
	unsigned cls_ready;   /* ... of which made and idle now */
	uint32_t vcpu_milli, mem_mib; /* size of the class's largest pool */
	unsigned total;       /* targets of every class */
};
void api__lc_warm(struct api *a, const char *cls, struct api__warm *out);

struct sim_obs;
struct api__qserve; /* the model and the serving caches; a->qnet */

/* Load, verify and hash the model file; *out NULL on error. */
int api__qserve_open(struct api__qserve **out, const char *path, struct eph_err *err);
void api__qserve_close(struct api__qserve *q);
/* The model (qnet_model *) and the SHA-256 of its file. */
const void *api__qserve_model(const struct api__qserve *q);
const uint8_t *api__qserve_hash(const struct api__qserve *q);

/*
 * The model's actions mapped onto the policy's sizes: psize[i] is the
 * policy size action i stands for (-1: none covers its simulator size),
 * *mask the actions allowed (mapped size in pol->mask; count 1 when
 * high_sens), *max_size the largest simulator size index allowed.
 */
struct api__qmap {
	unsigned nactions;
	int psize[64];
	uint64_t mask;
	uint8_t max_size;
	uint8_t nsizes;       /* simulator size table length */
};
void api__qstate_map(struct api__qmap *out, const void *model, const struct api__envpol *pol,
		     int high_sens);

/* enum sim_role / enum sim_sens from the claims, with confidences. */
void api__qstate_role(uint8_t *role, float *conf, const struct api__ask *ask);
void api__qstate_sens(uint8_t *sens, float *conf, const struct api__ask *ask);

/*
 * Fill the observation from live broker data as broker/sim fills it in
 * training (units, defaults; docs/learner.md "Serving in the broker").
 * now_s: wall-clock seconds (fractional).
 */
int api__qstate_obs(struct sim_obs *o, struct api *a, struct api__qserve *q,
		    const struct api__qmap *map, const struct api__ask *ask, double now_s,
		    struct eph_err *err);

/* raw = sim_featurize(o); state = (raw - mean) * scale (the model's norm). */
void api__qstate_features(float state[STORE_STATE_DIM], const struct sim_obs *o,
			  const float *mean, const float *scale);

/* One arrival of cls at now_s: the class's and all classes' rate, gap. */
void api__qstate_arrival(struct api__qserve *q, const char *cls, double now_s);

/* A class's usage history from ended environments' outcome usage JSON
 * (exposed for tests): add one, then compute the percentiles. */
struct api__qhist;
int api__qhist_new(struct api__qhist **out);
void api__qhist_free(struct api__qhist *h);
void api__qhist_reset(struct api__qhist *h);
/* 0 added, -1 skipped (no stats, malformed). */
int api__qhist_add_json(struct api__qhist *h, const char *usage, const char *env_attrs);
void api__qhist_fill(const struct api__qhist *h, struct sim_obs *o);

#endif
