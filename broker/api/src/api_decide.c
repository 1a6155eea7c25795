/*
 * api_decide.c - the environment configuration decision: the resource
 * policy's table of sizes (broker.json "environments", or built-in), the
 * action mask it implies, and the baseline decider: the smallest allowed
 * size that covers the requester's asked CPU and memory, count 1, pre-warm
 * 0. This is the "requester's asked size" baseline of DESIGN.md, named as
 * such in every decision it records ("decider": "baseline").
 *
 *   "environments": {
 *     "sizes": [{"name": "s", "vcpu_milli": 1000, "mem_mib": 1024}, ...],
 *     "max_vcpu_milli": 8000, "max_mem_mib": 16384,
 *     "network": "none" | "allowlist" | "full",
 *     "encryption": "none" | "at-rest" | "confidential-only",
 *     "max_ttl_s": 3600
 *   }
 *
 * The recorded state vector (store_decision_record) is, by index:
 *   0 asked vCPU (cores), 1 asked memory (GiB), 2 asked duration (hours),
 *   3 clearance / 4, 4 sensitivity / 3, 5 requester attribute confidence;
 *   the rest 0.
 *
 * With a model (--qnet-model FILE) and broker/sim built in, the int8
 * Q-network decides ("decider": "qnet-int8"): api_qstate.c fills the
 * simulator's observation from live data, sim_featurize and the model's
 * normalisation make the state (recorded, 32 floats, instead of the
 * layout above), and qnet_int8_argmax picks among the model's actions
 * whose simulator size maps to an allowed policy size. The decision
 * records the model action's index and mask (over the model's action
 * table: what offline training replays) and the model file's SHA-256.
 * When no model action is allowed the baseline decides and says so
 * ("baseline (no allowed qnet action)"); when the live state cannot be
 * read, too ("baseline (qnet state unavailable)").
 *
 * Not here: gathering the state (api_qstate.c), recording (api_envs.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api-envs.h"

#ifdef API_HAVE_QNET
#include "qnet.h"
#endif
#if defined(API_HAVE_QNET) && defined(API_HAVE_SIM)
#include "sim.h"
#define API_SERVE_QNET 1
_Static_assert(SIM_STATE_DIM == STORE_STATE_DIM, "the store records the model's state");
#endif

static const struct api__size builtin_sizes[] = {
	{"xs", 500, 512}, {"s", 1000, 1024}, {"m", 2000, 4096}, {"l", 4000, 8192},
	{"xl", 8000, 16384},
};

int api__decide_open(struct api *a, struct eph_err *err);
void api__decide_close(struct api *a);

int api__decide_open(struct api *a, struct eph_err *err)
{
	if (a->cfg.qnet_model == NULL)
		return 0;
#ifdef API_SERVE_QNET
	{
		struct api__qserve *q = NULL;
		int rc = api__qserve_open(&q, a->cfg.qnet_model, err);

		if (rc < 0)
			return eph_err_prefix(err, rc, "Q-network model %s", a->cfg.qnet_model);
		a->qnet = q;
		memcpy(a->qnet_hash, api__qserve_hash(q), sizeof(a->qnet_hash));
		return 0;
	}
#else
	return eph_err_set(err, EPH_EUNSUPPORTED,
			   "Q-network model %s: built without broker/qnet and broker/sim",
			   a->cfg.qnet_model);
#endif
}

void api__decide_close(struct api *a)
{
#ifdef API_SERVE_QNET
	api__qserve_close(a->qnet);
#endif
	a->qnet = NULL;
}

static int one_of(const char *v, const char *const *allowed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v, allowed[i]) == 0)
			return 1;
	return 0;
}

static int get_u32(uint32_t *out, json_t *o, const char *k, struct eph_err *err)
{
	json_t *j = json_object_get(o, k);

	if (j == NULL)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) <= 0 ||
	    json_integer_value(j) > (json_int_t)UINT32_MAX)
		return eph_err_set(err, EPH_EFORMAT, "environments.%s: a positive integer", k);
	*out = (uint32_t)json_integer_value(j);
	return 0;
}

static int get_text(char *out, size_t n, json_t *o, const char *k, const char *const *allowed,
		    size_t nallowed, struct eph_err *err)
{
	json_t *j = json_object_get(o, k);

	if (j == NULL)
		return 0;
	if (!json_is_string(j) || !one_of(json_string_value(j), allowed, nallowed))
		return eph_err_set(err, EPH_EFORMAT, "environments.%s: not an allowed value", k);
	snprintf(out, n, "%s", json_string_value(j));
	return 0;
}

static int load_sizes(struct api__envpol *p, json_t *arr, struct eph_err *err)
{
	size_t i;
	json_t *s;

	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > API_MAX_SIZES)
		return eph_err_set(err, EPH_EFORMAT, "environments.sizes: 1..%d sizes",
				   API_MAX_SIZES);
	json_array_foreach(arr, i, s) {
		json_t *nm = json_object_get(s, "name");
		struct api__size *z = &p->sizes[i];

		if (!json_is_string(nm) || json_string_length(nm) == 0 ||
		    json_string_length(nm) >= sizeof(z->name))
			return eph_err_set(err, EPH_EFORMAT, "environments.sizes[%zu].name", i);
		snprintf(z->name, sizeof(z->name), "%s", json_string_value(nm));
		if (get_u32(&z->vcpu_milli, s, "vcpu_milli", err) < 0 ||
		    get_u32(&z->mem_mib, s, "mem_mib", err) < 0 || z->vcpu_milli == 0 ||
		    z->mem_mib == 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "environments.sizes[%zu]: vcpu_milli and mem_mib", i);
	}
	p->nsizes = json_array_size(arr);
	return 0;
}

int api__envpol_load(struct api__envpol *out, const struct api__policy *p, struct eph_err *err)
{
	static const char *const nets[] = {"none", "allowlist", "full"};
	static const char *const encs[] = {"none", "at-rest", "confidential-only"};
	json_t *sec = json_object_get(p->doc, "environments");
	uint32_t ttl = 3600;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->nsizes = sizeof(builtin_sizes) / sizeof(builtin_sizes[0]);
	memcpy(out->sizes, builtin_sizes, sizeof(builtin_sizes));
	out->max_vcpu_milli = 8000;
	out->max_mem_mib = 16384;
	memcpy(out->network, "none", 5);
	memcpy(out->encryption, "none", 5);
	if (sec != NULL) {
		json_t *sizes = json_object_get(sec, "sizes");

		if (sizes != NULL && load_sizes(out, sizes, err) < 0)
			return EPH_EFORMAT;
		if (get_u32(&out->max_vcpu_milli, sec, "max_vcpu_milli", err) < 0 ||
		    get_u32(&out->max_mem_mib, sec, "max_mem_mib", err) < 0 ||
		    get_u32(&ttl, sec, "max_ttl_s", err) < 0 ||
		    get_text(out->network, sizeof(out->network), sec, "network", nets, 3, err) < 0 ||
		    get_text(out->encryption, sizeof(out->encryption), sec, "encryption", encs, 3,
			     err) < 0)
			return EPH_EFORMAT;
	}
	out->max_ttl_s = ttl;
	out->reattest_s = p->reattest_s;
	for (i = 0; i < out->nsizes; i++)
		if (out->sizes[i].vcpu_milli <= out->max_vcpu_milli &&
		    out->sizes[i].mem_mib <= out->max_mem_mib)
			out->mask |= 1ull << i;
	return 0;
}

static double mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* The requester's asked size: the smallest allowed size covering it. */
static int baseline(struct api__decision *out, const struct api__envpol *pol,
		    const struct api__ask *ask, struct eph_err *err)
{
	size_t i;
	int best = -1;

	memset(out->state, 0, sizeof(out->state));
	out->state[0] = (float)ask->vcpu_milli / 1000.0f;
	out->state[1] = (float)ask->mem_mib / 1024.0f;
	out->state[2] = (float)ask->duration_s / 3600.0f;
	out->state[3] = (float)ask->clearance / 4.0f;
	out->state[4] = (float)ask->sensitivity / 3.0f;
	out->state[5] = ask->confidence;
	for (i = 0; i < pol->nsizes; i++) {
		const struct api__size *z = &pol->sizes[i];

		if (!(pol->mask & (1ull << i)) || z->vcpu_milli < ask->vcpu_milli ||
		    z->mem_mib < ask->mem_mib)
			continue;
		if (best < 0 || z->vcpu_milli < pol->sizes[best].vcpu_milli ||
		    (z->vcpu_milli == pol->sizes[best].vcpu_milli &&
		     z->mem_mib < pol->sizes[best].mem_mib))
			best = (int)i;
	}
	if (best < 0)
		return eph_err_set(err, EPH_EPOLICY,
				   "no size the policy allows covers %u mCPU / %u MiB (at most %u "
				   "mCPU / %u MiB)",
				   ask->vcpu_milli, ask->mem_mib, pol->max_vcpu_milli,
				   pol->max_mem_mib);
	out->action = (unsigned)best;
	out->qaction = (unsigned)best;
	out->mask = pol->mask;
	out->count = 1;
	out->prewarm = 0;
	out->decider = "baseline";
	return 0;
}

#ifdef API_SERVE_QNET
/* 1: decided; 0: no allowed action or no state (why in out->decider). */
static int by_qnet(struct api__decision *out, struct api *a, const struct api__envpol *pol,
		   const struct api__ask *ask)
{
	struct api__qserve *q = a->qnet;
	const qnet_model *m = api__qserve_model(q);
	struct api__qmap map;
	struct sim_obs obs;
	struct eph_err err = {{0}};
	struct timespec now;
	const struct qnet_action *act;
	unsigned i;
	uint8_t sens;
	float sconf;

	api__qstate_sens(&sens, &sconf, ask);
	api__qstate_map(&map, m, pol, sens == SIM_SENS_HIGH);
	if (map.mask == 0) {
		out->decider = "baseline (no allowed qnet action)";
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (api__qstate_obs(&obs, a, q, &map, ask,
			    (double)now.tv_sec + (double)now.tv_nsec / 1e9, &err) < 0) {
		api__log(a, API_LOG_WARN, "qnet", "state: %s", err.msg);
		out->decider = "baseline (qnet state unavailable)";
		return 0;
	}
	api__qstate_features(out->state, &obs, qnet_model_norm_mean(m), qnet_model_norm_scale(m));
	if (qnet_int8_argmax(m, out->state, map.mask, &i, &err) < 0) {
		api__log(a, API_LOG_WARN, "qnet", "argmax: %s", err.msg);
		out->decider = "baseline (qnet state unavailable)";
		return 0;
	}
	act = qnet_model_action_at(m, i);
	out->action = (unsigned)map.psize[i];
	out->qaction = i;
	out->mask = map.mask;
	out->count = act->count;
	out->prewarm = act->prewarm;
	out->decider = "qnet-int8";
	out->by_model = 1;
	return 1;
}
#endif

int api__decide(struct api__decision *out, struct api *a, const struct api__envpol *pol,
		const struct api__ask *ask, struct eph_err *err)
{
	double t0 = mono_us();
	int rc;

	memset(out, 0, sizeof(*out));
#ifdef API_SERVE_QNET
	if (a->qnet != NULL) {
		const char *why;
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		rc = by_qnet(out, a, pol, ask);
		/* the simulator counts an arrival after its decision */
		api__qstate_arrival(a->qnet, ask->cls,
				    (double)now.tv_sec + (double)now.tv_nsec / 1e9);
		if (rc == 1) {
			out->decide_us = mono_us() - t0;
			return 0;
		}
		why = out->decider;
		rc = baseline(out, pol, ask, err);
		if (rc == 0)
			out->decider = why;
		out->decide_us = mono_us() - t0;
		return rc;
	}
#else
	(void)a;
#endif
	rc = baseline(out, pol, ask, err);
	out->decide_us = mono_us() - t0;
	return rc;
}
