/*
 * sim_env_test.c - the environment on hand-made traces: reward arithmetic
 * (cost only, throttling, OOM, cold start against a warm claim, capacity
 * rejection), the throttled-share integral, masks, and determinism.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "sim_test_util.h"

static struct sim_trace *mk(const struct sim_request *r, size_t n)
{
	struct sim_trace *t = NULL;
	struct eph_err err = { { 0 } };
	uint32_t id;
	size_t i;

	cr_assert_eq(sim_trace_new(&t, &err), 0);
	cr_assert_eq(sim_trace_class_id(t, "a", 1, &id, &err), 0);
	cr_assert_eq(sim_trace_class_id(t, "b", 1, &id, &err), 0);
	for (i = 0; i < n; i++)
		cr_assert_eq(sim_trace_push(t, &r[i], &err), 0);
	return t;
}

struct run {
	struct sim_trace *t;
	sim_env *env;
	struct sim_config cfg;
	float s[SIM_STATE_DIM];
	uint64_t mask;
	int done;
};

static void start(struct run *x, const struct sim_request *r, size_t n,
		  const struct sim_config *cfg)
{
	struct eph_err err = { { 0 } };

	x->t = mk(r, n);
	if (cfg)
		x->cfg = *cfg;
	else
		sim_config_default(&x->cfg);
	cr_assert_eq(sim_env_new(&x->env, x->t, &x->cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(sim_reset(x->env, 1, x->s, &x->mask, &err), 0, "%s", err.msg);
	x->done = 0;
}

static const struct sim_outcome *step(struct run *x, unsigned size, unsigned count,
				      unsigned prewarm, float *reward)
{
	struct eph_err err = { { 0 } };
	int a = sim_action_index(x->env, size, count, prewarm);

	cr_assert(a >= 0);
	cr_assert_eq(sim_step(x->env, (unsigned)a, reward, x->s, &x->mask, &x->done, &err), 0,
		     "%s", err.msg);
	return sim_last_outcome(x->env);
}

static void stop(struct run *x)
{
	sim_env_free(x->env);
	sim_trace_free(x->t);
}

Test(sim_reward, cost_only)
{
	struct sim_request r = stu_req(0, 0, 100, 200, 200);
	struct run x;
	const struct sim_outcome *o;
	double rate;
	float rw;

	start(&x, &r, 1, NULL);
	rate = x.cfg.size[0].cost_per_s;
	cr_assert_float_eq(rate, (0.25 + 0.25) / 2 / 3600, 1e-15);
	o = step(&x, 0, 1, 0, &rw);
	cr_assert(x.done);
	cr_assert_float_eq(o->cost_run, rate * 100, 1e-12);
	cr_assert_float_eq(o->cost_cold, rate * 1.5, 1e-12);
	cr_assert_float_eq(o->cost_idle, 0, 1e-12);
	cr_assert_float_eq(o->shortfall, 0, 1e-12);
	cr_assert_eq(o->oom + o->throttled + o->rejected, 0);
	cr_assert_eq(o->cold, 1);
	cr_assert_float_eq(o->cold_s, 1.5, 1e-12);
	cr_assert_float_eq(o->reward, -(rate * 101.5) - 0.01 * 1.5, 1e-12);
	cr_assert_float_eq(rw, (float)o->reward, 1e-6);
	stop(&x);
}

Test(sim_reward, throttle)
{
	struct sim_request r = stu_req(0, 0, 100, 500, 100);
	struct run x;
	const struct sim_outcome *o;
	float rw;

	start(&x, &r, 1, NULL);
	o = step(&x, 0, 1, 0, &rw); /* 250 m for a flat 500 m demand */
	cr_assert_float_eq(o->throttle_share, 0.5, 1e-12);
	cr_assert_eq(o->throttled, 1);
	cr_assert_eq(o->oom, 0);
	cr_assert_float_eq(o->reward, -o->cost - 1.0 * 0.5 - 0.01 * 1.5, 1e-12);
	stop(&x);
	/* count 2 doubles the CPU: no throttling */
	start(&x, &r, 1, NULL);
	o = step(&x, 0, 2, 0, &rw);
	cr_assert_float_eq(o->throttle_share, 0, 1e-12);
	cr_assert_float_eq(o->cost_run, 2 * x.cfg.size[0].cost_per_s * 100, 1e-12);
	stop(&x);
}

Test(sim_reward, throttle_share_integral)
{
	struct sim_request r = stu_req(0, 0, 1, 0, 0);

	r.cpu_p50 = 100;
	r.cpu_p95 = 200;
	r.cpu_max = 400;
	/* demand 0.5*100 + 0.45*150 + 0.05*300 = 132.5; excess over 150:
	 * 0.5*0.45*0.5*50 + 0.05*150 = 13.125 */
	cr_assert_float_eq(sim_throttle_share(&r, 150), 13.125 / 132.5, 1e-12);
	cr_assert_float_eq(sim_throttle_share(&r, 400), 0, 1e-12);
	cr_assert_float_eq(sim_throttle_share(&r, 0), 1, 1e-12);
	cr_assert(sim_throttle_share(&r, 50) > sim_throttle_share(&r, 100));
}

Test(sim_reward, oom)
{
	struct sim_request r = stu_req(0, 0, 100, 100, 300);
	struct run x;
	const struct sim_outcome *o;
	float rw;

	start(&x, &r, 1, NULL);
	o = step(&x, 0, 2, 0, &rw); /* memory is not split over replicas */
	cr_assert_eq(o->oom, 1);
	cr_assert_float_eq(o->shortfall, 10.0, 1e-12);
	cr_assert_float_eq(o->reward, -o->cost - 1.0 * 10.0 - 0.01 * 1.5, 1e-12);
	stop(&x);
}

Test(sim_reward, cold_start_vs_warm_claim)
{
	struct sim_request r[3] = { stu_req(0, 0, 10, 200, 200), stu_req(100, 0, 10, 200, 200),
				    stu_req(1000, 0, 10, 200, 200) };
	struct run x;
	const struct sim_outcome *o;
	double rate;
	float rw;

	r[2].sens = SIM_SENS_HIGH; /* a VM: 9 s cold start */
	start(&x, r, 3, NULL);
	rate = x.cfg.size[0].cost_per_s;
	o = step(&x, 0, 1, 1, &rw); /* keep one warm until the next arrival (100 s) */
	cr_assert_eq(o->cold, 1);
	cr_assert_float_eq(o->cost_idle, 0.5 * rate * 100, 1e-12);
	cr_assert_float_eq(o->reward, -(rate * 11.5 + 0.5 * rate * 100) - 0.01 * 1.5, 1e-12);
	o = step(&x, 0, 1, 0, &rw); /* claims it: no cold start */
	cr_assert_eq(o->cold, 0);
	cr_assert_float_eq(o->cold_s, 0, 1e-12);
	cr_assert_float_eq(o->cost_cold, 0, 1e-12);
	cr_assert_float_eq(o->cost_idle, 0, 1e-12);
	cr_assert_float_eq(o->reward, -rate * 10, 1e-12);
	o = step(&x, 0, 1, 0, &rw); /* nothing warm: a VM cold start */
	cr_assert_eq(o->cold, 1);
	cr_assert_float_eq(o->cold_s, 9.0, 1e-12);
	cr_assert(x.done);
	stop(&x);
}

Test(sim_reward, warm_pool_expires_and_needs_same_size)
{
	struct sim_request r[3] = { stu_req(0, 0, 10, 200, 200), stu_req(700, 0, 10, 200, 200),
				    stu_req(710, 0, 10, 200, 200) };
	struct run x;
	const struct sim_outcome *o;
	double rate;
	float rw;

	start(&x, r, 3, NULL);
	rate = x.cfg.size[0].cost_per_s;
	o = step(&x, 0, 1, 2, &rw); /* two warm, TTL 600 s < next arrival */
	cr_assert_float_eq(o->cost_idle, 2 * 0.5 * rate * 600, 1e-12);
	o = step(&x, 0, 1, 1, &rw); /* expired: cold; keeps one of size 0 */
	cr_assert_eq(o->cold, 1);
	o = step(&x, 1, 1, 0, &rw); /* asks for size 1: the size-0 one does not fit */
	cr_assert_eq(o->cold, 1);
	stop(&x);
}

Test(sim_reward, capacity_rejection)
{
	struct sim_request r[2] = { stu_req(0, 0, 100, 200, 200), stu_req(1, 1, 100, 200, 200) };
	struct sim_config cfg;
	struct run x;
	const struct sim_outcome *o;
	float rw;

	sim_config_default(&cfg);
	cfg.cap_cpu = 300;
	start(&x, r, 2, &cfg);
	cr_assert_eq(x.mask, 1ull << sim_action_index(x.env, 0, 1, 0) |
				     1ull << sim_action_index(x.env, 0, 1, 1) |
				     1ull << sim_action_index(x.env, 0, 1, 2));
	o = step(&x, 0, 1, 0, &rw);
	cr_assert_eq(o->rejected, 0);
	o = step(&x, 0, 1, 0, &rw);
	cr_assert_eq(o->rejected, 1);
	cr_assert_float_eq(o->cost, 0, 1e-12);
	cr_assert_float_eq(o->reward, -1.0 * 10.0, 1e-12);
	stop(&x);
}

Test(sim_mask, masked_actions_are_refused)
{
	struct sim_request r[2] = { stu_req(0, 0, 10, 100, 100), stu_req(1, 1, 10, 100, 100) };
	struct run x;
	struct eph_err err = { { 0 } };
	float rw;
	unsigned i;

	r[0].role = SIM_ROLE_FUNCTION;
	r[1].sens = SIM_SENS_HIGH;
	start(&x, r, 2, NULL);
	for (i = 0; i < sim_num_actions(x.env); i++) {
		const struct sim_action *a = sim_action_at(x.env, i);

		cr_assert_eq((x.mask >> i) & 1, a->size <= 4, "action %u", i);
	}
	i = (unsigned)sim_action_index(x.env, 6, 1, 0);
	cr_assert_eq(sim_step(x.env, i, &rw, x.s, &x.mask, &x.done, &err), EPH_EPOLICY);
	cr_assert(strstr(err.msg, "masked") != NULL);
	cr_assert_eq(sim_step(x.env, 63, &rw, x.s, &x.mask, &x.done, &err), EPH_EPOLICY);
	step(&x, 4, 2, 0, &rw); /* the refusal left the decision pending */
	for (i = 0; i < sim_num_actions(x.env); i++)
		cr_assert_eq((x.mask >> i) & 1, sim_action_at(x.env, i)->count == 1,
			     "high sensitivity, action %u", i);
	i = (unsigned)sim_action_index(x.env, 0, 2, 0);
	cr_assert_eq(sim_step(x.env, i, &rw, x.s, &x.mask, &x.done, &err), EPH_EPOLICY);
	step(&x, 0, 1, 0, &rw);
	cr_assert(x.done);
	cr_assert_eq(x.mask, 0);
	cr_assert_eq(sim_step(x.env, 0, &rw, x.s, &x.mask, &x.done, &err), EPH_EFAIL);
	stop(&x);
}

Test(sim_mask, policies_never_pick_masked)
{
	struct sim_trace *t = NULL;
	struct sim_config cfg;
	struct eph_err err = { { 0 } };
	struct sim_report rep;
	struct sim_random_ctx rnd = { 7 };
	struct sim_static_ctx st = { 6, 2 };
	sim_env *env = NULL;

	cr_assert_eq(sim_trace_synthetic(&t, 3000, 12, 0.2, 5, &err), 0);
	sim_config_default(&cfg);
	cfg.role_max_size[SIM_ROLE_BATCH] = 2; /* half the classes are batch */
	cr_assert_eq(sim_env_new(&env, t, &cfg, &err), 0, "%s", err.msg);
	/* sim_step refuses a masked action, so a clean run proves it */
	cr_assert_eq(sim_evaluate(env, sim_policy_random, &rnd, 3, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(sim_evaluate(env, sim_policy_static, &st, 3, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.decisions, 3000);
	sim_env_free(env);
	sim_trace_free(t);
}

static void episode(sim_env *env, uint64_t seed, float *rewards, float *states, size_t *n)
{
	struct eph_err err = { { 0 } };
	struct sim_random_ctx rnd = { seed };
	float s[SIM_STATE_DIM];
	uint64_t mask;
	int done = 0;

	*n = 0;
	cr_assert_eq(sim_reset(env, seed, s, &mask, &err), 0);
	while (!done) {
		unsigned a;

		memcpy(states + *n * SIM_STATE_DIM, s, sizeof(s));
		cr_assert_eq(sim_policy_random(&rnd, sim_current(env), &a, &err), 0);
		cr_assert_eq(sim_step(env, a, &rewards[*n], s, &mask, &done, &err), 0);
		(*n)++;
	}
}

Test(sim_env, deterministic_for_a_seed)
{
	struct sim_trace *t = NULL;
	struct sim_config cfg;
	struct eph_err err = { { 0 } };
	sim_env *e1 = NULL, *e2 = NULL;
	static float r1[2000], r2[2000], s1[2000 * SIM_STATE_DIM], s2[2000 * SIM_STATE_DIM];
	size_t n1, n2;
	double b1, b2;

	cr_assert_eq(sim_trace_synthetic(&t, 5000, 20, 1.0, 11, &err), 0);
	sim_config_default(&cfg);
	cfg.episode_len = 2000;
	cr_assert_eq(sim_env_new(&e1, t, &cfg, &err), 0);
	cr_assert_eq(sim_env_new(&e2, t, &cfg, &err), 0);
	episode(e1, 42, r1, s1, &n1);
	episode(e2, 42, r2, s2, &n2);
	cr_assert_eq(n1, 2000);
	cr_assert_eq(n2, n1);
	cr_assert(memcmp(r1, r2, sizeof(r1)) == 0);
	cr_assert(memcmp(s1, s2, sizeof(s1)) == 0);
	/* the same env again after other episodes: still the same */
	episode(e1, 43, r2, s2, &n2);
	b1 = sim_last_outcome(e1)->req;
	episode(e1, 42, r2, s2, &n2);
	b2 = sim_last_outcome(e1)->req;
	cr_assert(memcmp(r1, r2, sizeof(r1)) == 0);
	cr_assert(b1 != b2, "another seed, another window");
	sim_env_free(e1);
	sim_env_free(e2);
	sim_trace_free(t);
}

Test(sim_state, features_and_norm)
{
	struct sim_obs o;
	struct sim_trace *t = NULL;
	struct sim_config cfg;
	struct sim_norm nm;
	struct eph_err err = { { 0 } };
	sim_env *env = NULL;
	float s[SIM_STATE_DIM], st[SIM_STATE_DIM];
	uint64_t mask;
	unsigned j;

	memset(&o, 0, sizeof(o));
	o.role = SIM_ROLE_BATCH;
	o.sens = SIM_SENS_HIGH;
	o.role_conf = 0.25f;
	o.asked_cpu = 2000;
	o.asked_mem = 4096;
	o.nsizes = 7;
	sim_featurize(&o, s);
	cr_assert_float_eq(s[1], 1, 0);
	cr_assert_float_eq(s[0] + s[2] + s[3], 0, 0);
	cr_assert_float_eq(s[4], 0.25f, 1e-7);
	cr_assert_float_eq(s[7], 1, 0);
	cr_assert_float_eq(s[9], 1, 1e-6);  /* log2 2 vCPU */
	cr_assert_float_eq(s[10], 2, 1e-6); /* log2 4 GiB */
	cr_assert_float_eq(s[11], 0, 0);    /* no history */
	cr_assert_float_eq(s[13], s[9], 0); /* falls back to asked */

	cr_assert_eq(sim_trace_synthetic(&t, 3000, 10, 0.5, 2, &err), 0);
	sim_config_default(&cfg);
	cr_assert_eq(sim_env_new(&env, t, &cfg, &err), 0);
	cr_assert_eq(sim_env_fit_norm(env, 1, &nm, &err), 0, "%s", err.msg);
	for (j = 0; j < SIM_STATE_DIM; j++) {
		cr_assert(isfinite(nm.mean[j]) && isfinite(nm.scale[j]) && nm.scale[j] > 0);
	}
	sim_env_set_norm(env, &nm);
	cr_assert_eq(sim_reset(env, 1, st, &mask, &err), 0);
	memcpy(s, sim_current(env)->raw, sizeof(s));
	sim_norm_apply(&nm, s);
	cr_assert(memcmp(s, st, sizeof(s)) == 0, "states come out normalised");
	sim_env_free(env);
	sim_trace_free(t);
}
