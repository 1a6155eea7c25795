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
 * Not here: the Q-network. broker/qnet has an int8 entry point
 * (qnet_int8_argmax) and a verified model file, but its state features
 * (live load, usage history: broker/sim) and its action table are not the
 * ones the API can fill yet; until an adapter maps them, the baseline
 * decides, even when a model is configured (it is loaded and verified so
 * that a bad file is refused at start).
 */
#include <stdio.h>
#include <string.h>

#include "api-envs.h"

#ifdef API_HAVE_QNET
#include "qnet.h"
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
#ifdef API_HAVE_QNET
	{
		qnet_model *m = NULL;
		int rc = qnet_model_load_file(&m, a->cfg.qnet_model, err);

		if (rc < 0)
			return eph_err_prefix(err, rc, "Q-network model %s", a->cfg.qnet_model);
		a->qnet = m;
		return 0;
	}
#else
	return eph_err_set(err, EPH_EUNSUPPORTED, "Q-network model %s: built without broker/qnet",
			   a->cfg.qnet_model);
#endif
}

void api__decide_close(struct api *a)
{
#ifdef API_HAVE_QNET
	qnet_model_free(a->qnet);
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

int api__decide(struct api__decision *out, struct api *a, const struct api__envpol *pol,
		const struct api__ask *ask, struct eph_err *err)
{
	size_t i;
	int best = -1;

	(void)a;
	memset(out, 0, sizeof(*out));
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
	out->count = 1;
	out->prewarm = 0;
	out->decider = "baseline";
	return 0;
}
