/*
 * sim_eval.c - running a whole episode under a policy function and adding
 * up what happened (sim_evaluate), and fitting the state normalisation on an
 * episode of random allowed actions (sim_env_fit_norm).
 *
 * Deliberately not here: printing or plotting the report (ephemera-sim and
 * ephemera-train eval do that), ratios between policies.
 */
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

#define FIT_MAX 200000 /* states kept for fitting (evenly strided beyond) */

int sim_evaluate(sim_env *env, sim_policy_fn fn, void *ctx, uint64_t seed,
		 struct sim_report *out, struct eph_err *err)
{
	float state[SIM_STATE_DIM];
	uint64_t mask = 0;
	int done = 0, rc;

	memset(out, 0, sizeof(*out));
	rc = sim_reset(env, seed, state, &mask, err);
	if (rc < 0)
		return rc;
	while (!done) {
		const struct sim_decision *d = sim_current(env);
		const struct sim_request *r = d->req;
		const struct sim_outcome *o;
		const struct sim_action *a;
		unsigned action = 0;
		float reward;

		rc = fn(ctx, d, &action, err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "policy at request %zu", out->decisions);
		rc = sim_step(env, action, &reward, state, &mask, &done, err);
		if (rc < 0)
			return rc;
		o = sim_last_outcome(env);
		a = sim_action_at(env, action);
		out->decisions++;
		out->cost += o->cost;
		out->cost_idle += o->cost_idle;
		out->throttle_events += (size_t)o->throttled;
		out->oom_events += (size_t)o->oom;
		out->rejections += (size_t)o->rejected;
		out->cold_starts += (size_t)o->cold;
		out->cold_s += o->cold_s;
		out->throttle_share += o->throttle_share;
		out->reward += o->reward;
		out->used_cpu_s += (0.5 * r->cpu_p50 + 0.225 * (r->cpu_p50 + r->cpu_p95) +
				    0.025 * (r->cpu_p95 + r->cpu_max)) * r->duration_s;
		if (!o->rejected)
			out->alloc_cpu_s += (double)env->cfg.size[a->size].cpu * a->count *
					    r->duration_s;
	}
	if (out->decisions > 0) {
		out->mean_reward = out->reward / (double)out->decisions;
		out->throttle_share /= (double)out->decisions;
	}
	return 0;
}

int sim_env_fit_norm(sim_env *env, uint64_t seed, struct sim_norm *out, struct eph_err *err)
{
	struct sim_random_ctx rnd = { seed ^ 0x5eed };
	float *buf = NULL;
	float state[SIM_STATE_DIM];
	uint64_t mask = 0;
	size_t n = 0, seen = 0, stride;
	int done = 0, rc;

	rc = sim_reset(env, seed, state, &mask, err);
	if (rc < 0)
		return rc;
	stride = (env->end - env->begin + FIT_MAX - 1) / FIT_MAX;
	if (stride == 0)
		stride = 1;
	buf = malloc((size_t)FIT_MAX * SIM_STATE_DIM * sizeof(*buf));
	if (buf == NULL)
		return eph_err_set(err, EPH_ENOMEM, "fit norm: out of memory");
	while (!done) {
		const struct sim_decision *d = sim_current(env);
		unsigned action = 0;
		float reward;

		if (seen++ % stride == 0 && n < FIT_MAX)
			memcpy(buf + n++ * SIM_STATE_DIM, d->raw, sizeof(d->raw));
		rc = sim_policy_random(&rnd, d, &action, err);
		if (rc < 0)
			goto out;
		rc = sim_step(env, action, &reward, state, &mask, &done, err);
		if (rc < 0)
			goto out;
	}
	sim_norm_fit(out, buf, n);
out:
	free(buf);
	return rc;
}
