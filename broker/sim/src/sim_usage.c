/*
 * sim_usage.c - what an allocation means for a request's true usage: the
 * throttled CPU share, OOM, cost rate; and the per-class history of finished
 * requests that the state features and nothing else are built from.
 *
 * The usage profile is a quantile function q -> u(q) over the run (share q
 * of the duration spends at most u(q)): knots (0, p50), (0.5, p50),
 * (0.95, p95), (1, max), linear in between. The throttled share is
 *   S(A) = integral of max(0, u(q) - A) dq / integral of u(q) dq,
 * the CPU demand that an allocation A cannot serve while it occurs.
 * Deliberately not modelled: the time order of usage within a run, delay of
 * the run by throttling, memory reclaim before OOM.
 */
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

static double seg_excess(double q0, double u0, double q1, double u1, double a)
{
	double w = q1 - q0;

	if (u0 <= a && u1 <= a)
		return 0;
	if (u0 >= a && u1 >= a)
		return w * ((u0 + u1) / 2 - a);
	if (u1 > a) /* rising through a */
		return 0.5 * w * (u1 - a) / (u1 - u0) * (u1 - a);
	return 0.5 * w * (u0 - a) / (u0 - u1) * (u0 - a);
}

double sim_throttle_share(const struct sim_request *r, double alloc_cpu)
{
	double p50 = r->cpu_p50, p95 = r->cpu_p95, mx = r->cpu_max;
	double demand = 0.5 * p50 + 0.45 * (p50 + p95) / 2 + 0.05 * (p95 + mx) / 2;
	double ex;

	if (demand <= 0 || mx <= alloc_cpu)
		return 0;
	ex = seg_excess(0, p50, 0.5, p50, alloc_cpu) + seg_excess(0.5, p50, 0.95, p95, alloc_cpu) +
	     seg_excess(0.95, p95, 1.0, mx, alloc_cpu);
	ex /= demand;
	return ex > 1 ? 1 : ex;
}

void sim_alloc_eval(const sim_env *env, const struct sim_request *r, unsigned size,
		    unsigned count, double *cost_per_s, double *throttle_share, int *oom)
{
	const struct sim_size *s = &env->cfg.size[size];

	*cost_per_s = s->cost_per_s * count;
	*throttle_share = sim_throttle_share(r, (double)s->cpu * count);
	*oom = r->mem_max > s->mem;
}

static int fcmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

float sim__pct(const float *sorted, unsigned n, double p)
{
	unsigned k;

	if (n == 0)
		return 0;
	/* nearest rank: the smallest value with at least p of the mass at or below */
	k = (unsigned)(p * n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return sorted[k - 1];
}

static void stats(const float *ring, unsigned n, float *p50, float *p95, float *mx)
{
	float tmp[SIM__HIST_MAX];

	memcpy(tmp, ring, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), fcmp);
	*p50 = sim__pct(tmp, n, 0.5);
	*p95 = sim__pct(tmp, n, 0.95);
	if (mx)
		*mx = tmp[n - 1];
}

void sim__hist_add(struct sim__hist *h, unsigned len, const struct sim_request *r)
{
	unsigned slot;
	uint8_t over = r->mem_max > r->asked_mem || r->cpu_max > r->asked_cpu;

	if (h->n < len) {
		slot = (h->head + h->n) % len;
		h->n++;
	} else {
		slot = h->head;
		h->head = (h->head + 1) % len;
		h->over -= h->over_bit[slot];
	}
	h->cpu[slot] = (float)r->cpu_max;
	h->mem[slot] = (float)r->mem_max;
	h->dur[slot] = (float)r->duration_s;
	h->over_bit[slot] = over;
	h->over += over;
	stats(h->cpu, h->n, &h->cpu_p50, &h->cpu_p95, &h->cpu_max);
	stats(h->mem, h->n, &h->mem_p50, &h->mem_p95, &h->mem_max);
	stats(h->dur, h->n, &h->dur_p50, &h->dur_p95, NULL);
}
