/*
 * sim_synth.c - a small seeded synthetic trace for unit tests and
 * benchmarks: Poisson arrivals, classes with their own usage level,
 * duration and asking habit (some over-ask, some under-ask), log-normal
 * noise per request.
 *
 * Deliberately for tests only: it is not a workload model and evaluation
 * results on it mean nothing; real traces go through the converters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

struct cls_model {
	double cpu, mem, dur, ask;
	uint8_t role, sens;
};

static uint32_t u32(double v)
{
	return v < 0 ? 0 : v > 4e9 ? 4000000000u : (uint32_t)v;
}

int sim_trace_synthetic(struct sim_trace **out, size_t n, unsigned nclasses, double rate_per_s,
			uint64_t seed, struct eph_err *err)
{
	struct sim_trace *t = NULL;
	struct cls_model *m = NULL;
	struct sim__rng g;
	double now = 0;
	char name[32];
	size_t i;
	unsigned c;
	int rc;

	*out = NULL;
	if (nclasses == 0 || nclasses > 1000 || !(rate_per_s > 0) || n > SIM_TRACE_MAX_ROWS)
		return eph_err_set(err, EPH_EFAIL, "synthetic: bad parameters");
	rc = sim_trace_new(&t, err);
	if (rc < 0)
		return rc;
	snprintf(t->source, sizeof(t->source), "synthetic");
	m = calloc(nclasses, sizeof(*m));
	if (m == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "synthetic: out of memory");
		goto out;
	}
	sim__rng_seed(&g, seed);
	for (c = 0; c < nclasses; c++) {
		uint32_t id;

		snprintf(name, sizeof(name), "syn-%u", c);
		rc = sim_trace_class_id(t, name, strlen(name), &id, err);
		if (rc < 0)
			goto out;
		m[c].cpu = 100 * pow(60, sim__rng_unif(&g));   /* 100 m .. 6 vCPU */
		m[c].mem = 64 * pow(100, sim__rng_unif(&g));   /* 64 MiB .. 6.4 GiB */
		m[c].dur = 10 * pow(60, sim__rng_unif(&g));    /* 10 s .. 10 min */
		m[c].ask = c % 3 == 2 ? 0.8 : 2.0;             /* under- or over-asks */
		m[c].role = (uint8_t)(c % 2 ? SIM_ROLE_BATCH : SIM_ROLE_SERVICE);
		m[c].sens = (uint8_t)(c % 3);
	}
	for (i = 0; i < n; i++) {
		struct sim_request r = { 0 };
		double k, u;

		u = sim__rng_unif(&g);
		now += -log(1 - u) / rate_per_s;
		c = (unsigned)(sim__rng_next(&g) % nclasses);
		k = exp(0.2 * sim__rng_norm(&g));
		r.arrival_s = now;
		r.cls = c;
		r.role = m[c].role;
		r.sens = m[c].sens;
		r.usage_src = SIM_USAGE_SYNTHETIC;
		r.role_conf = 1.0f;
		r.sens_conf = 0.8f;
		r.duration_s = m[c].dur * exp(0.3 * sim__rng_norm(&g));
		r.cpu_max = u32(m[c].cpu * k);
		r.cpu_p95 = u32(0.85 * r.cpu_max);
		r.cpu_p50 = u32(0.5 * r.cpu_max);
		r.mem_max = u32(m[c].mem * k);
		r.mem_p95 = u32(0.95 * r.mem_max);
		r.mem_p50 = u32(0.8 * r.mem_max);
		r.asked_cpu = u32(m[c].cpu * m[c].ask) + 1;
		r.asked_mem = u32(m[c].mem * m[c].ask) + 1;
		rc = sim_trace_push(t, &r, err);
		if (rc < 0)
			goto out;
	}
	free(m);
	*out = t;
	return 0;
out:
	free(m);
	sim_trace_free(t);
	return rc;
}
