/*
 * api_qstate.c - serving the Q-network in the broker: the state the int8
 * network decides on, filled from live broker data exactly as broker/sim
 * fills struct sim_obs in training (same fields, units and defaults), and
 * the model's action table mapped onto the policy's sizes.
 *
 * Where each observation field comes from (training: sim_env.c prepare()):
 *   role, sens      the CWT's app class / role and data sensitivity
 *                   (api__qstate_role / _sens below), with the issuer's
 *                   attribute confidence;
 *   asked_*         the CWT's application requirements (m, MiB);
 *   hist_*, *_p50.. the class's ended environments: the newest
 *                   API_QHIST_LEN (64, the simulator's hist_len the default
 *                   model was trained with) outcomes of the class's
 *                   decisions (store_class_outcomes). Per request: peak CPU
 *                   ~ cpu_s / wall_s * 1000 m (the MEAN CPU over the run:
 *                   the cgroup gives a total, not a peak; it under-states
 *                   bursty work), memory = mem_peak_bytes in MiB (a real
 *                   peak: memory.peak), duration = wall_s (>= 1 s).
 *                   Percentiles by nearest rank as sim__pct. over_asked:
 *                   the share whose CPU or memory exceeded what the
 *                   environment asked for (sim__hist_add's test). Outcomes
 *                   without usage statistics ("stats": false) are skipped;
 *   free_*, cap_*   the host: nproc * 1000 m and MemTotal MiB, minus what
 *                   the live environments were given (their policy's
 *                   vcpu_milli / mem_mib);
 *   warm_*          the lifecycle thread's pools of the class
 *                   (api__lc_warm): targets, made-and-idle members, their
 *                   size as a simulator size index; clamped to
 *                   SIM_MAX_PREWARM as the simulator never exceeds it;
 *   rates           the simulator's estimator, not a window: a decayed
 *                   arrival count (half-life rate_halflife_s, 300 s)
 *                   times ln2 / half-life * 60 per minute, for the class
 *                   and for all classes; seconds since the class's previous
 *                   arrival and the 0.8/0.2 EWMA of its gaps, 86400 s when
 *                   unknown. Kept in memory from the arrivals this broker
 *                   has seen since it started (a restart forgets them).
 *
 * The size table: a model file carries the action table (size index,
 * count, pre-warm) but not the simulator's size table, so the default one
 * (sim_config_default: 250m/256Mi .. 16/32Gi), extended with the large
 * sizes when an action refers past it, gives each size index its CPU and
 * memory. Each is mapped to the SMALLEST policy size that covers both (no
 * under-allocation); an action is allowed when that size exists and is in
 * the policy mask, and (as the simulator's mask) high sensitivity only
 * with count 1.
 *
 * Deliberately not here: the argmax and the decision record (api_decide.c,
 * api_envs.c), training, and anything the simulator does not feed the
 * network.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "api-envs.h"

#if defined(API_HAVE_QNET) && defined(API_HAVE_SIM)
#include "qnet.h"
#include "sim.h"

#define API_QHIST_LEN 64      /* = sim_config_default().hist_len */
#define API_QRATE_MAX 1024    /* classes whose arrivals are remembered */
#define API_QNO_PREV_S 86400.0 /* = sim_env.c NO_PREV_S */

struct api__qhist {
	float cpu[API_QHIST_LEN], mem[API_QHIST_LEN], dur[API_QHIST_LEN];
	unsigned n, over;
};

struct qrate {
	char cls[64];
	double last;     /* previous arrival, s */
	double gap_ewma;
	double rate, rate_t;
	uint32_t narr;
};

struct api__qserve {
	qnet_model *m;
	uint8_t hash[32];
	struct sim_config cfg;   /* the size table and the rate half-life */
	double cap_cpu, cap_mem; /* the host: m, MiB */
	struct qrate *rates;     /* API_QRATE_MAX */
	size_t nrates;
	double total_rate, total_rate_t;
	struct api__qhist hist;  /* scratch, refilled per decision */
};

/* ---------------------------------------------------------------------- */
/* Model                                                                   */
/* ---------------------------------------------------------------------- */

static double host_mem_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	double kib = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "MemTotal:", 9) == 0) {
			char *end = NULL;

			kib = strtod(line + 9, &end);
			if (end == line + 9 || !isfinite(kib) || kib < 0)
				kib = 0;
			break;
		}
	}
	fclose(f);
	return kib / 1024.0;
}

int api__qserve_open(struct api__qserve **out, const char *path, struct eph_err *err)
{
	struct api__qserve *q = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	unsigned i, n, hlen = 0;
	long ncpu;
	FILE *f = NULL;
	int rc = EPH_ENOMEM;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		goto nomem;
	q->rates = calloc(API_QRATE_MAX, sizeof(*q->rates));
	if (q->rates == NULL)
		goto nomem;
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = eph_err_set(err, EPH_EFAIL, "%s: cannot open", path);
		goto fail;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			uint8_t *nb;

			if (cap >= QNET_MODEL_MAX) {
				rc = eph_err_set(err, EPH_EFORMAT, "%s: larger than %u bytes", path,
						 QNET_MODEL_MAX);
				goto fail;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (nb == NULL)
				goto nomem;
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = eph_err_set(err, EPH_EFAIL, "%s: read error", path);
		goto fail;
	}
	rc = qnet_model_load(&q->m, buf, len, err);
	if (rc < 0)
		goto fail;
	if (EVP_Digest(buf, len, q->hash, &hlen, EVP_sha256(), NULL) != 1 || hlen != 32) {
		rc = eph_err_set(err, EPH_EFAIL, "%s: SHA-256 failed", path);
		goto fail;
	}
	if (qnet_model_in_dim(q->m) != SIM_STATE_DIM || !qnet_model_has_int8(q->m)) {
		rc = eph_err_set(err, EPH_EVERIFY,
				 "%s: the broker serves int8 models of %d inputs (this one: %u "
				 "inputs, %s)",
				 path, SIM_STATE_DIM, qnet_model_in_dim(q->m),
				 qnet_model_has_int8(q->m) ? "int8" : "float only");
		goto fail;
	}
	sim_config_default(&q->cfg);
	n = qnet_model_num_actions(q->m);
	for (i = 0; i < n; i++)
		if (qnet_model_action_at(q->m, i)->size >= q->cfg.nsizes) {
			sim_config_large_sizes(&q->cfg);
			break;
		}
	for (i = 0; i < n; i++)
		if (qnet_model_action_at(q->m, i)->size >= q->cfg.nsizes) {
			rc = eph_err_set(err, EPH_EVERIFY, "%s: action %u: size %u past the table",
					 path, i, qnet_model_action_at(q->m, i)->size);
			goto fail;
		}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	q->cap_cpu = ncpu > 0 ? (double)ncpu * 1000.0 : 1000.0;
	q->cap_mem = host_mem_mib();
	if (q->cap_mem <= 0)
		q->cap_mem = 1024.0;
	fclose(f);
	free(buf);
	*out = q;
	return 0;
nomem:
	rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
fail:
	if (f)
		fclose(f);
	free(buf);
	api__qserve_close(q);
	return rc;
}

void api__qserve_close(struct api__qserve *q)
{
	if (q == NULL)
		return;
	qnet_model_free(q->m);
	free(q->rates);
	free(q);
}

const void *api__qserve_model(const struct api__qserve *q)
{
	return q->m;
}

const uint8_t *api__qserve_hash(const struct api__qserve *q)
{
	return q->hash;
}

/* ---------------------------------------------------------------------- */
/* Actions -> policy sizes                                                 */
/* ---------------------------------------------------------------------- */

static void map_with(struct api__qmap *out, const qnet_model *m, const struct sim_config *cfg,
		     const struct api__envpol *pol, int high_sens)
{
	unsigned i, n = qnet_model_num_actions(m);
	size_t j;

	memset(out, 0, sizeof(*out));
	out->nactions = n > 64 ? 64 : n;
	out->nsizes = (uint8_t)cfg->nsizes;
	for (i = 0; i < out->nactions; i++) {
		const struct qnet_action *act = qnet_model_action_at(m, i);
		const struct sim_size *z;
		int best = -1;

		out->psize[i] = -1;
		if (act->size >= cfg->nsizes)
			continue;
		z = &cfg->size[act->size];
		for (j = 0; j < pol->nsizes; j++) {
			const struct api__size *p = &pol->sizes[j];

			if (p->vcpu_milli < z->cpu || p->mem_mib < z->mem)
				continue;
			if (best < 0 || p->vcpu_milli < pol->sizes[best].vcpu_milli ||
			    (p->vcpu_milli == pol->sizes[best].vcpu_milli &&
			     p->mem_mib < pol->sizes[best].mem_mib))
				best = (int)j;
		}
		out->psize[i] = best;
		if (best < 0 || !(pol->mask >> best & 1) || (high_sens && act->count != 1))
			continue;
		out->mask |= 1ull << i;
		if (act->size > out->max_size)
			out->max_size = act->size;
	}
}

void api__qstate_map(struct api__qmap *out, const void *model, const struct api__envpol *pol,
		     int high_sens)
{
	const qnet_model *m = model;
	struct sim_config cfg;
	unsigned i;

	sim_config_default(&cfg);
	for (i = 0; i < qnet_model_num_actions(m); i++)
		if (qnet_model_action_at(m, i)->size >= cfg.nsizes) {
			sim_config_large_sizes(&cfg);
			break;
		}
	map_with(out, m, &cfg, pol, high_sens);
}

/* ---------------------------------------------------------------------- */
/* Attributes                                                              */
/* ---------------------------------------------------------------------- */

static int has_word(const char *s, const char *const *words)
{
	char low[64];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	low[i] = '\0';
	for (i = 0; words[i]; i++)
		if (strstr(low, words[i]) != NULL)
			return 1;
	return 0;
}

/* Keywords of each simulator role; checked in this order (function before
 * service: "function-api" is a function). */
static int role_of(const char *s, uint8_t *role)
{
	static const char *const fn[] = {"func", "faas", "lambda", "serverless", NULL};
	static const char *const ml[] = {"ml", "train", "infer", "gpu", "model", NULL};
	static const char *const batch[] = {"batch", "job", "etl", "cron", "report", "analy",
					    NULL};
	static const char *const svc[] = {"service", "svc", "web", "api", "server", "http",
					  NULL};

	if (s == NULL || s[0] == '\0')
		return 0;
	if (has_word(s, fn))
		*role = SIM_ROLE_FUNCTION;
	else if (has_word(s, ml))
		*role = SIM_ROLE_ML;
	else if (has_word(s, batch))
		*role = SIM_ROLE_BATCH;
	else if (has_word(s, svc))
		*role = SIM_ROLE_SERVICE;
	else
		return 0;
	return 1;
}

/*
 * The app class says what the work is (full attribute confidence); failing
 * that the requester's role hints at it (half: a role names a person's job,
 * not the workload's shape); failing both, service with confidence 0 (the
 * one-hot must name something; the confidence says it is a guess).
 */
void api__qstate_role(uint8_t *role, float *conf, const struct api__ask *ask)
{
	*role = SIM_ROLE_SERVICE;
	*conf = 0;
	if (role_of(ask->app_class, role))
		*conf = ask->confidence;
	else if (role_of(ask->role, role))
		*conf = ask->confidence * 0.5f;
}

/*
 * CWT public -> low, internal -> medium, confidential and secret -> high
 * (the simulator's high sensitivity is the one that runs in a VM, as the
 * broker's policy runs confidential and secret data). Without a claim:
 * medium with confidence 0.
 */
void api__qstate_sens(uint8_t *sens, float *conf, const struct api__ask *ask)
{
	if (!ask->has_sensitivity) {
		*sens = SIM_SENS_MEDIUM;
		*conf = 0;
		return;
	}
	*sens = ask->sensitivity == 0 ? SIM_SENS_LOW
		: ask->sensitivity == 1 ? SIM_SENS_MEDIUM
					: SIM_SENS_HIGH;
	*conf = ask->confidence;
}

/* ---------------------------------------------------------------------- */
/* Class history                                                           */
/* ---------------------------------------------------------------------- */

int api__qhist_new(struct api__qhist **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : EPH_ENOMEM;
}

void api__qhist_free(struct api__qhist *h)
{
	free(h);
}

void api__qhist_reset(struct api__qhist *h)
{
	h->n = 0;
	h->over = 0;
}

static double num(json_t *o, const char *k, int *ok)
{
	json_t *j = json_object_get(o, k);
	double v;

	if (!json_is_number(j)) {
		*ok = 0;
		return 0;
	}
	v = json_number_value(j);
	if (!isfinite(v) || v < 0) {
		*ok = 0;
		return 0;
	}
	return v;
}

int api__qhist_add_json(struct api__qhist *h, const char *usage, const char *env_attrs)
{
	json_t *u = NULL, *at = NULL, *ask;
	double cpu_s, wall_s, mem_b, cpu, mem;
	int ok = 1, rc = -1;

	if (h->n >= API_QHIST_LEN || usage == NULL)
		return -1;
	u = json_loads(usage, 0, NULL);
	if (!json_is_object(u) || !json_is_true(json_object_get(u, "stats")))
		goto out;
	cpu_s = num(u, "cpu_s", &ok);
	wall_s = num(u, "wall_s", &ok);
	mem_b = num(u, "mem_peak_bytes", &ok);
	if (!ok)
		goto out;
	if (wall_s < 1)
		wall_s = 1; /* whole seconds in the outcome: a sub-second run */
	cpu = cpu_s / wall_s * 1000.0;
	mem = mem_b / (1024.0 * 1024.0);
	h->cpu[h->n] = (float)cpu;
	h->mem[h->n] = (float)mem;
	h->dur[h->n] = (float)wall_s;
	if (env_attrs != NULL) {
		at = json_loads(env_attrs, 0, NULL);
		ask = json_object_get(at, "ask");
		if (json_is_object(ask)) {
			int aok = 1;
			double acpu = num(ask, "vcpu_milli", &aok), amem = num(ask, "mem_mib", &aok);

			if (aok && (mem > amem || cpu > acpu))
				h->over++;
		}
	}
	h->n++;
	rc = 0;
out:
	json_decref(u);
	json_decref(at);
	return rc;
}

static int fcmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* Nearest rank, as sim__pct. */
static float pct(const float *sorted, unsigned n, double p)
{
	unsigned k = (unsigned)(p * n + 0.999999);

	if (n == 0)
		return 0;
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return sorted[k - 1];
}

static void stats(const float *v, unsigned n, float *p50, float *p95, float *mx)
{
	float tmp[API_QHIST_LEN];

	memcpy(tmp, v, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), fcmp);
	*p50 = pct(tmp, n, 0.5);
	*p95 = pct(tmp, n, 0.95);
	if (mx)
		*mx = tmp[n - 1];
}

void api__qhist_fill(const struct api__qhist *h, struct sim_obs *o)
{
	o->hist_n = h->n;
	o->cpu_p50 = o->cpu_p95 = o->cpu_max = 0;
	o->mem_p50 = o->mem_p95 = o->mem_max = 0;
	o->dur_p50 = o->dur_p95 = 0;
	o->over_asked = 0;
	if (h->n == 0)
		return;
	stats(h->cpu, h->n, &o->cpu_p50, &o->cpu_p95, &o->cpu_max);
	stats(h->mem, h->n, &o->mem_p50, &o->mem_p95, &o->mem_max);
	stats(h->dur, h->n, &o->dur_p50, &o->dur_p95, NULL);
	o->over_asked = (float)h->over / (float)h->n;
}

static int hist_cb(const struct store_class_outcome *oc, void *ctx)
{
	api__qhist_add_json(ctx, oc->usage, oc->env_attrs);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Capacity                                                                */
/* ---------------------------------------------------------------------- */

struct used {
	double cpu, mem;
};

static int used_cb(const struct store_env *e, void *ctx)
{
	struct used *u = ctx;
	json_t *doc = json_loads(e->policy ? e->policy : "", 0, NULL);
	json_t *c = json_object_get(doc, "vcpu_milli"), *m = json_object_get(doc, "mem_mib");
	double k = e->count ? e->count : 1;

	if (json_is_integer(c) && json_is_integer(m) && json_integer_value(c) > 0 &&
	    json_integer_value(m) > 0) {
		u->cpu += k * (double)json_integer_value(c);
		u->mem += k * (double)json_integer_value(m);
	}
	json_decref(doc);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Arrivals                                                                */
/* ---------------------------------------------------------------------- */

static double decayed(double v, double t0, double t, double hl)
{
	return t > t0 ? v * exp2(-(t - t0) / hl) : v;
}

static struct qrate *rate_find(struct api__qserve *q, const char *cls, int add)
{
	size_t i, old = 0;

	for (i = 0; i < q->nrates; i++)
		if (strcmp(q->rates[i].cls, cls) == 0)
			return &q->rates[i];
	if (!add)
		return NULL;
	if (q->nrates < API_QRATE_MAX) {
		i = q->nrates++;
	} else {
		/* full: forget the class that arrived least recently */
		for (i = 1; i < q->nrates; i++)
			if (q->rates[i].last < q->rates[old].last)
				old = i;
		i = old;
	}
	memset(&q->rates[i], 0, sizeof(q->rates[i]));
	snprintf(q->rates[i].cls, sizeof(q->rates[i].cls), "%s", cls);
	q->rates[i].last = -1;
	return &q->rates[i];
}

/* The simulator's update (sim_step, "arrival statistics"). */
void api__qstate_arrival(struct api__qserve *q, const char *cls, double now)
{
	double hl = q->cfg.rate_halflife_s;
	struct qrate *r = rate_find(q, cls ? cls : "", 1);

	if (r->narr >= 1) {
		double gap = now - r->last;

		r->gap_ewma = r->narr >= 2 ? 0.8 * r->gap_ewma + 0.2 * gap : gap;
	}
	r->narr++;
	r->last = now;
	r->rate = decayed(r->rate, r->rate_t, now, hl) + 1;
	r->rate_t = now;
	q->total_rate = decayed(q->total_rate, q->total_rate_t, now, hl) + 1;
	q->total_rate_t = now;
}

/* ---------------------------------------------------------------------- */
/* Observation and features                                                */
/* ---------------------------------------------------------------------- */

int api__qstate_obs(struct sim_obs *o, struct api *a, struct api__qserve *q,
		    const struct api__qmap *map, const struct api__ask *ask, double now,
		    struct eph_err *err)
{
	double hl = q->cfg.rate_halflife_s, per_min = log(2.0) / hl * 60.0;
	const char *cls = ask->cls ? ask->cls : "";
	struct used used = {0, 0};
	struct api__warm w;
	struct qrate *r;
	int rc;

	memset(o, 0, sizeof(*o));
	api__qstate_role(&o->role, &o->role_conf, ask);
	api__qstate_sens(&o->sens, &o->sens_conf, ask);
	o->asked_cpu = ask->vcpu_milli;
	o->asked_mem = ask->mem_mib;

	api__qhist_reset(&q->hist);
	rc = store_class_outcomes(a->st, cls, API_QHIST_LEN, hist_cb, &q->hist, err);
	if (rc < 0)
		return rc;
	api__qhist_fill(&q->hist, o);

	rc = store_env_foreach_live(a->st, used_cb, &used, err);
	if (rc < 0)
		return rc;
	o->cap_cpu = q->cap_cpu;
	o->cap_mem = q->cap_mem;
	o->free_cpu = q->cap_cpu - used.cpu > 0 ? q->cap_cpu - used.cpu : 0;
	o->free_mem = q->cap_mem - used.mem > 0 ? q->cap_mem - used.mem : 0;

	api__lc_warm(a, cls, &w);
	o->warm_class = w.cls_target < SIM_MAX_PREWARM ? w.cls_target : SIM_MAX_PREWARM;
	o->warm_ready = w.cls_ready < o->warm_class ? w.cls_ready : o->warm_class;
	o->warm_size = o->warm_class
			       ? (uint8_t)sim_size_for(&q->cfg, w.vcpu_milli, w.mem_mib)
			       : 0;
	o->warm_total = w.total;

	o->nsizes = map->nsizes;
	o->max_size = map->max_size;

	r = rate_find(q, cls, 0);
	o->class_rate = r ? (float)(decayed(r->rate, r->rate_t, now, hl) * per_min) : 0;
	o->total_rate = (float)(decayed(q->total_rate, q->total_rate_t, now, hl) * per_min);
	o->since_class_s = (float)(r && r->last >= 0 ? now - r->last : API_QNO_PREV_S);
	o->gap_ewma_s = (float)(r && r->narr >= 2 ? r->gap_ewma : API_QNO_PREV_S);
	return 0;
}

void api__qstate_features(float state[STORE_STATE_DIM], const struct sim_obs *o,
			  const float *mean, const float *scale)
{
	struct sim_norm nm;

	sim_featurize(o, state);
	memcpy(nm.mean, mean, sizeof(nm.mean));
	memcpy(nm.scale, scale, sizeof(nm.scale));
	sim_norm_apply(&nm, state);
}

#endif /* API_HAVE_QNET && API_HAVE_SIM */
