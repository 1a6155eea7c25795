/*
 * sim_state.c - the state vector: featurization of a struct sim_obs (the
 * same code the broker runs at serving time) and the normalisation whose
 * constants travel in the model file.
 *
 * Layout (index: feature), documented in sim.h next to sim_featurize():
 *   0-3 role one-hot          4 role confidence
 *   5-7 sensitivity one-hot   8 sensitivity confidence
 *   9 log2 asked vCPU        10 log2 asked GiB
 *  11 history confidence     12-14 log2 class CPU p50/p95/max (vCPU)
 *  15-17 log2 class memory p50/p95/max (GiB)   18-19 log10 duration p50/p95
 *  20 over-asked share       21-22 free CPU / memory share of the pool
 *  23 warm of class / 2      24 warm ready / 2      25 warm size / nsizes
 *  26 log1p warm total       27 largest allowed size / nsizes
 *  28-29 log1p arrivals per minute (class, all)
 *  30 log1p seconds since the class's last arrival   31 log1p class gap EWMA
 * Deliberately not here: gathering the observation (the env or the broker
 * fills struct sim_obs) and any learned transformation.
 */
#include <math.h>
#include <string.h>

#include "sim-priv.h"

static float l2(double v, double unit)
{
	double x = v / unit;

	return (float)log2(x < 1.0 / 64 ? 1.0 / 64 : x);
}

static float l10s(double s)
{
	return (float)log10(s < 1e-3 ? 1e-3 : s);
}

static float share(double part, double whole)
{
	double x = whole > 0 ? part / whole : 0;

	return (float)(x < 0 ? 0 : x > 1 ? 1 : x);
}

static float clamp01(float x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

void sim_featurize(const struct sim_obs *o, float s[SIM_STATE_DIM])
{
	double nsz = o->nsizes ? o->nsizes : 1;
	int hist = o->hist_n > 0;

	memset(s, 0, SIM_STATE_DIM * sizeof(*s));
	if (o->role < SIM_ROLE_N)
		s[o->role] = 1;
	s[4] = clamp01(o->role_conf);
	if (o->sens < SIM_SENS_N)
		s[5 + o->sens] = 1;
	s[8] = clamp01(o->sens_conf);
	s[9] = l2(o->asked_cpu, 1000);
	s[10] = l2(o->asked_mem, 1024);
	s[11] = (float)fmin(1.0, log1p((double)o->hist_n) / log(65.0));
	s[12] = hist ? l2(o->cpu_p50, 1000) : s[9];
	s[13] = hist ? l2(o->cpu_p95, 1000) : s[9];
	s[14] = hist ? l2(o->cpu_max, 1000) : s[9];
	s[15] = hist ? l2(o->mem_p50, 1024) : s[10];
	s[16] = hist ? l2(o->mem_p95, 1024) : s[10];
	s[17] = hist ? l2(o->mem_max, 1024) : s[10];
	s[18] = l10s(hist ? o->dur_p50 : 60);
	s[19] = l10s(hist ? o->dur_p95 : 60);
	s[20] = clamp01(o->over_asked);
	s[21] = share(o->free_cpu, o->cap_cpu);
	s[22] = share(o->free_mem, o->cap_mem);
	s[23] = (float)o->warm_class / SIM_MAX_PREWARM;
	s[24] = (float)o->warm_ready / SIM_MAX_PREWARM;
	s[25] = o->warm_class ? (float)((o->warm_size + 1) / nsz) : 0;
	s[26] = (float)log1p((double)o->warm_total);
	s[27] = (float)((o->max_size + 1) / nsz);
	s[28] = (float)log1p(o->class_rate > 0 ? o->class_rate : 0);
	s[29] = (float)log1p(o->total_rate > 0 ? o->total_rate : 0);
	s[30] = (float)log1p(o->since_class_s > 0 ? o->since_class_s : 0);
	s[31] = (float)log1p(o->gap_ewma_s > 0 ? o->gap_ewma_s : 0);
}

void sim_norm_identity(struct sim_norm *n)
{
	unsigned i;

	for (i = 0; i < SIM_STATE_DIM; i++) {
		n->mean[i] = 0;
		n->scale[i] = 1;
	}
}

void sim_norm_fit(struct sim_norm *nm, const float *states, size_t n)
{
	unsigned j;
	size_t i;

	for (j = 0; j < SIM_STATE_DIM; j++) {
		double m = 0, v = 0, sd;

		for (i = 0; i < n; i++)
			m += states[i * SIM_STATE_DIM + j];
		m = n ? m / (double)n : 0;
		for (i = 0; i < n; i++) {
			double d = states[i * SIM_STATE_DIM + j] - m;

			v += d * d;
		}
		sd = n ? sqrt(v / (double)n) : 0;
		nm->mean[j] = (float)m;
		/*
		 * At least SIM_NORM_MIN_SD raw units per normalised unit: a feature
		 * that hardly varies over the fitting episode (Bitbrains: every
		 * window lasts 3600 s, so log10 duration and log1p seconds since
		 * the class's previous arrival move by 1e-4) would otherwise be
		 * blown up 10^4 times, the network would learn its noise (one
		 * second of arrival jitter), and no 8-bit input can carry that.
		 * A constant feature in training may still vary in serving.
		 */
		nm->scale[j] = (float)(1.0 / (sd > SIM_NORM_MIN_SD ? sd : SIM_NORM_MIN_SD));
	}
}

void sim_norm_apply(const struct sim_norm *nm, float s[SIM_STATE_DIM])
{
	unsigned j;

	for (j = 0; j < SIM_STATE_DIM; j++)
		s[j] = (s[j] - nm->mean[j]) * nm->scale[j];
}
