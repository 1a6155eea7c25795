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
	unsigned sensitivity;
	float confidence; /* of the requester's attributes */
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
	unsigned count;
	unsigned prewarm;
	const char *decider;  /* "baseline" or "qnet-int8" */
	float state[STORE_STATE_DIM];
};

/*
 * Choose a configuration under the policy mask. The baseline decider takes
 * the smallest allowed size covering the asked CPU and memory, count 1,
 * pre-warm 0; EPH_EPOLICY when no allowed size covers the request.
 */
int api__decide(struct api__decision *out, struct api *a, const struct api__envpol *pol,
		const struct api__ask *ask, struct eph_err *err);

#endif
