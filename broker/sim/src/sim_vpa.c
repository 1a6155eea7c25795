/*
 * sim_vpa.c - a per-class percentile recommender in the style of the
 * Kubernetes Vertical Pod Autoscaler's recommender
 * (kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender): decaying
 * exponential-bucket histograms of CPU usage and memory peaks per class,
 * target = percentile (p90) times (1 + safety margin 15 %).
 *
 * Samples: a finished request adds its CPU profile knots (p50, p95, max)
 * with weights of their time shares (0.5, 0.45, 0.05) times its duration (VPA
 * samples CPU once a minute), and one memory sample, its peak (VPA keeps one
 * peak per aggregation interval). Weights decay with a 24 h half-life by
 * growing the weight of new samples (as VPA does) and renormalising.
 * Deliberately not here: VPA's OOM bump, min/max policies, confidence
 * scaling of the bounds, checkpointing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

#define FIRST 10.0 /* first bucket width, m or MiB */
#define RATIO 1.05

/* Start of bucket i: FIRST * (RATIO^i - 1) / (RATIO - 1). */
static double bucket_start(unsigned i)
{
	return FIRST * (pow(RATIO, i) - 1) / (RATIO - 1);
}

static unsigned bucket_of(double v)
{
	double i;

	if (v < FIRST)
		return 0;
	i = floor(log(v * (RATIO - 1) / FIRST + 1) / log(RATIO));
	if (i >= SIM_VPA_BUCKETS - 1)
		return SIM_VPA_BUCKETS - 1;
	/* guard the floor against rounding at a boundary */
	while (i > 0 && bucket_start((unsigned)i) > v)
		i--;
	return (unsigned)i;
}

static void hist_add(struct sim_vpa_hist *h, double v, double w, double t, double hl)
{
	double f;
	unsigned i;

	if (w <= 0)
		return;
	if (h->total == 0)
		h->ref_t = t;
	if ((t - h->ref_t) / hl > 60) { /* renormalise before 2^x overflows */
		f = exp2(-(t - h->ref_t) / hl);
		for (i = 0; i < SIM_VPA_BUCKETS; i++)
			h->w[i] *= f;
		h->total *= f;
		h->ref_t = t;
	}
	w *= exp2((t - h->ref_t) / hl);
	h->w[bucket_of(v)] += w;
	h->total += w;
}

/* End of the bucket holding percentile p (0 if empty). */
static double hist_pct(const struct sim_vpa_hist *h, double p)
{
	double acc = 0, want = p * h->total;
	unsigned i;

	if (h->total <= 0)
		return 0;
	for (i = 0; i < SIM_VPA_BUCKETS; i++) {
		acc += h->w[i];
		if (acc >= want && h->w[i] > 0)
			return bucket_start(i + 1);
	}
	return bucket_start(SIM_VPA_BUCKETS);
}

int sim_vpa_init(struct sim_vpa_ctx *v, uint32_t ncls, unsigned prewarm, struct eph_err *err)
{
	memset(v, 0, sizeof(*v));
	v->target_pct = 0.90;
	v->margin = 0.15;
	v->halflife_s = 86400;
	v->min_samples = 1;
	v->prewarm = prewarm;
	v->ncls = ncls;
	v->cpu = calloc(ncls ? ncls : 1, sizeof(*v->cpu));
	v->mem = calloc(ncls ? ncls : 1, sizeof(*v->mem));
	v->nseen = calloc(ncls ? ncls : 1, sizeof(*v->nseen));
	if (!v->cpu || !v->mem || !v->nseen) {
		sim_vpa_free(v);
		return eph_err_set(err, EPH_ENOMEM, "vpa: out of memory");
	}
	return 0;
}

void sim_vpa_reset(struct sim_vpa_ctx *v)
{
	memset(v->cpu, 0, v->ncls * sizeof(*v->cpu));
	memset(v->mem, 0, v->ncls * sizeof(*v->mem));
	memset(v->nseen, 0, v->ncls * sizeof(*v->nseen));
}

void sim_vpa_free(struct sim_vpa_ctx *v)
{
	free(v->cpu);
	free(v->mem);
	free(v->nseen);
	v->cpu = v->mem = NULL;
	v->nseen = NULL;
}

void sim_vpa_observe(struct sim_vpa_ctx *v, const struct sim_request *r, double now)
{
	double hl = v->halflife_s, d = r->duration_s;

	if (r->cls >= v->ncls)
		return;
	hist_add(&v->cpu[r->cls], r->cpu_p50, 0.5 * d, now, hl);
	hist_add(&v->cpu[r->cls], r->cpu_p95, 0.45 * d, now, hl);
	hist_add(&v->cpu[r->cls], r->cpu_max, 0.05 * d, now, hl);
	hist_add(&v->mem[r->cls], r->mem_max, 1.0, now, hl);
	v->nseen[r->cls]++;
}

void sim_vpa_target(const struct sim_vpa_ctx *v, uint32_t cls, double now, double *cpu_m,
		    double *mem_mib)
{
	(void)now; /* decay is relative: the percentile does not depend on now */
	*cpu_m = 0;
	*mem_mib = 0;
	if (cls >= v->ncls || v->nseen[cls] == 0)
		return;
	*cpu_m = hist_pct(&v->cpu[cls], v->target_pct) * (1 + v->margin);
	*mem_mib = hist_pct(&v->mem[cls], v->target_pct) * (1 + v->margin);
}

int sim_policy_vpa(void *ctx, const struct sim_decision *d, unsigned *action,
		   struct eph_err *err)
{
	struct sim_vpa_ctx *v = ctx;
	double cpu, mem;
	unsigned s;
	size_t i;

	for (i = 0; i < d->ndone; i++)
		sim_vpa_observe(v, d->done[i], d->now);
	if (d->req->cls < v->ncls && v->nseen[d->req->cls] >= v->min_samples) {
		sim_vpa_target(v, d->req->cls, d->now, &cpu, &mem);
		s = sim_size_for(&d->env->cfg, cpu, mem);
	} else {
		s = sim_size_for(&d->env->cfg, d->req->asked_cpu, d->req->asked_mem);
	}
	return sim_pick(d, s, 1, v->prewarm, action, err);
}
