/*
 * sim_config.c - the simulator's configuration: default size table, costs,
 * cold starts, reward weights and host pool; the action table built from the
 * sizes; and the simulator's stand-in for the policy engine's mask.
 *
 * The mask here is deliberately simple (the broker's policy engine supplies
 * the real one at serving time): a role may not exceed role_max_size, a
 * high-sensitivity request may use count 1 only, and no size larger than the
 * whole host pool is allowed. It never depends on the true usage.
 */
#include <math.h>
#include <string.h>

#include "sim-priv.h"

static void set_size(struct sim_size *s, uint32_t cpu, uint32_t mem);

void sim_config_default(struct sim_config *c)
{
	static const uint32_t cpu[] = { 250, 500, 1000, 2000, 4000, 8000, 16000 };
	static const uint32_t mem[] = { 256, 512, 1024, 2048, 4096, 8192, 32768 };
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->nsizes = 7;
	for (i = 0; i < c->nsizes; i++)
		set_size(&c->size[i], cpu[i], mem[i]);
	c->lambda = 1.0;
	c->mu = 0.01;
	c->oom_weight = 10.0;
	c->throttle_event_share = 0.01;
	c->idle_factor = 0.5;
	c->warm_ttl_s = 600.0;
	c->cap_cpu = 512000.0;
	c->cap_mem = 1048576.0;
	for (i = 0; i < SIM_ROLE_N; i++)
		c->role_max_size[i] = (uint8_t)(c->nsizes - 1);
	c->role_max_size[SIM_ROLE_FUNCTION] = 4;
	c->high_sens_count1 = 1;
	c->episode_len = 0;
	c->hist_len = 64;
	c->rate_halflife_s = 300.0;
}

static void set_size(struct sim_size *s, uint32_t cpu, uint32_t mem)
{
	s->cpu = cpu;
	s->mem = mem;
	/* 1 cu per hour for 1 vCPU + 1 GiB, linear in both. */
	s->cost_per_s = (cpu / 1000.0 + mem / 1024.0) / 2.0 / 3600.0;
	s->cold_sandbox_s = 1.5;
	s->cold_vm_s = 9.0;
}

void sim_config_large_sizes(struct sim_config *c)
{
	static const uint32_t cpu[] = { 32000, 64000, 128000 };
	static const uint32_t mem[] = { 131072, 524288, 1048576 };
	unsigned i, role;

	for (i = 0; i < 3 && c->nsizes < SIM_MAX_SIZES; i++) {
		for (role = 0; role < SIM_ROLE_N; role++)
			if (c->role_max_size[role] == c->nsizes - 1)
				c->role_max_size[role] = (uint8_t)c->nsizes;
		set_size(&c->size[c->nsizes++], cpu[i], mem[i]);
	}
}

static int pos_finite(double v)
{
	return isfinite(v) && v >= 0;
}

int sim_config_check(const struct sim_config *c, struct eph_err *err)
{
	unsigned i;

	if (c->nsizes < 1 || c->nsizes > SIM_MAX_SIZES)
		return eph_err_set(err, EPH_EFORMAT, "config: nsizes %u not in 1..%d", c->nsizes,
				   SIM_MAX_SIZES);
	for (i = 0; i < c->nsizes; i++) {
		const struct sim_size *s = &c->size[i];

		if (s->cpu == 0 || s->mem == 0 || !pos_finite(s->cost_per_s) ||
		    !pos_finite(s->cold_sandbox_s) || !pos_finite(s->cold_vm_s))
			return eph_err_set(err, EPH_EFORMAT, "config: size %u has a bad field", i);
		if (i > 0 && (s->cpu < c->size[i - 1].cpu || s->mem < c->size[i - 1].mem))
			return eph_err_set(err, EPH_EFORMAT, "config: size %u is smaller than %u", i,
					   i - 1);
	}
	if (!pos_finite(c->lambda) || !pos_finite(c->mu) || !pos_finite(c->oom_weight) ||
	    !pos_finite(c->idle_factor) || !pos_finite(c->throttle_event_share))
		return eph_err_set(err, EPH_EFORMAT, "config: a reward weight is negative or not finite");
	if (!(c->warm_ttl_s > 0) || !isfinite(c->warm_ttl_s))
		return eph_err_set(err, EPH_EFORMAT, "config: warm_ttl_s must be > 0");
	if (!(c->cap_cpu > 0) || !(c->cap_mem > 0) || !isfinite(c->cap_cpu) ||
	    !isfinite(c->cap_mem))
		return eph_err_set(err, EPH_EFORMAT, "config: host pool must be > 0");
	if (c->hist_len < 1 || c->hist_len > SIM__HIST_MAX)
		return eph_err_set(err, EPH_EFORMAT, "config: hist_len %u not in 1..%d", c->hist_len,
				   SIM__HIST_MAX);
	if (!(c->rate_halflife_s > 0) || !isfinite(c->rate_halflife_s))
		return eph_err_set(err, EPH_EFORMAT, "config: rate_halflife_s must be > 0");
	return 0;
}

unsigned sim__build_actions(const struct sim_config *c, struct sim_action *a)
{
	unsigned s, k, p, n = 0;

	for (s = 0; s < c->nsizes; s++)
		for (k = 1; k <= SIM_MAX_COUNT; k++)
			for (p = 0; p <= SIM_MAX_PREWARM; p++) {
				a[n].size = (uint8_t)s;
				a[n].count = (uint8_t)k;
				a[n].prewarm = (uint8_t)p;
				n++;
			}
	return n;
}

int sim_action_index(const sim_env *env, unsigned size, unsigned count, unsigned prewarm)
{
	if (size >= env->cfg.nsizes || count < 1 || count > SIM_MAX_COUNT ||
	    prewarm > SIM_MAX_PREWARM)
		return -1;
	return (int)((size * SIM_MAX_COUNT + (count - 1)) * (SIM_MAX_PREWARM + 1) + prewarm);
}

uint64_t sim__mask(const sim_env *env, const struct sim_request *r)
{
	const struct sim_config *c = &env->cfg;
	uint64_t m = 0;
	unsigned i;

	for (i = 0; i < env->nactions; i++) {
		const struct sim_action *a = &env->actions[i];
		const struct sim_size *s = &c->size[a->size];

		if (a->size > c->role_max_size[r->role])
			continue;
		if (c->high_sens_count1 && r->sens == SIM_SENS_HIGH && a->count > 1)
			continue;
		if ((double)s->cpu * a->count > c->cap_cpu || (double)s->mem * a->count > c->cap_mem)
			continue;
		m |= 1ull << i;
	}
	return m;
}

double sim__cold_s(const struct sim_config *c, unsigned size, unsigned sens)
{
	return sens == SIM_SENS_HIGH ? c->size[size].cold_vm_s : c->size[size].cold_sandbox_s;
}

unsigned sim_size_for(const struct sim_config *c, double cpu_m, double mem_mib)
{
	unsigned i;

	for (i = 0; i < c->nsizes; i++)
		if (c->size[i].cpu >= cpu_m && c->size[i].mem >= mem_mib)
			return i;
	return c->nsizes - 1;
}
