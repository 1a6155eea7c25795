/*
 * qstate_test.c - serving/training parity of the broker's Q-network state
 * (broker/api/src/api_qstate.c) against broker/sim, without a broker:
 *  - the same sim_obs gives the same normalised state as the simulator
 *    computes for it (an episode of the simulator with the default model's
 *    normalisation, decision by decision);
 *  - a class history built from outcome usage JSON equals the simulator's
 *    class history of the same finished requests (percentiles, max,
 *    over-asked share, count);
 *  - the model's actions map onto policy sizes by covering CPU and memory,
 *    and the mask holds (forbidden sizes, high sensitivity count 1);
 *  - the attribute mappings (role, sensitivity) are the documented ones.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api-envs.h"
#include "qnet.h"
#include "sim.h"

#define MODEL EPH_QNET_MODELS_DIR "/default.cbor"

static struct api__qserve *open_default(void)
{
	struct api__qserve *q = NULL;
	struct eph_err err = {{0}};

	cr_assert_eq(api__qserve_open(&q, MODEL, &err), 0, "%s", err.msg);
	return q;
}

/* A one-class trace whose requests end before the next arrives. */
static struct sim_trace *one_class_trace(unsigned n)
{
	struct sim_trace *t = NULL;
	struct eph_err err = {{0}};
	uint32_t cls;
	unsigned i;

	cr_assert_eq(sim_trace_new(&t, &err), 0);
	cr_assert_eq(sim_trace_class_id(t, "fn-a", 4, &cls, &err), 0);
	for (i = 0; i < n; i++) {
		struct sim_request r;

		memset(&r, 0, sizeof(r));
		r.arrival_s = 100.0 * i;
		r.duration_s = 5 + (i * 7) % 40; /* whole seconds, as outcomes store */
		r.cls = cls;
		r.role = SIM_ROLE_FUNCTION;
		r.sens = SIM_SENS_MEDIUM;
		r.role_conf = 1;
		r.sens_conf = 0.5f;
		r.asked_cpu = 500;
		r.asked_mem = 512;
		r.cpu_p50 = 100 + (i * 37) % 300;
		r.cpu_p95 = r.cpu_p50 + 50;
		r.cpu_max = r.cpu_p95 + (i * 53) % 400; /* some above the ask */
		r.mem_p50 = 64 + (i * 29) % 200;
		r.mem_p95 = r.mem_p50 + 32;
		r.mem_max = r.mem_p95 + (i * 61) % 500;
		cr_assert_eq(sim_trace_push(t, &r, &err), 0);
	}
	return t;
}

Test(qstate, features_equal_the_simulators_state)
{
	struct api__qserve *q = open_default();
	const qnet_model *m = api__qserve_model(q);
	struct sim_trace *t = one_class_trace(80);
	struct sim_config cfg;
	struct sim_norm nm;
	struct eph_err err = {{0}};
	sim_env *env = NULL;
	float s0[SIM_STATE_DIM], ns[SIM_STATE_DIM], mine[SIM_STATE_DIM];
	uint64_t mask;
	unsigned k, j, steps = 0;
	int done = 0;

	sim_config_default(&cfg);
	cr_assert_eq(sim_env_new(&env, t, &cfg, &err), 0, "%s", err.msg);
	memcpy(nm.mean, qnet_model_norm_mean(m), sizeof(nm.mean));
	memcpy(nm.scale, qnet_model_norm_scale(m), sizeof(nm.scale));
	sim_env_set_norm(env, &nm);
	cr_assert_eq(sim_reset(env, 1, s0, &mask, &err), 0);
	while (!done) {
		const struct sim_decision *d = sim_current(env);
		float r;

		/* raw: identity norm */
		{
			float id_mean[SIM_STATE_DIM] = {0}, id_scale[SIM_STATE_DIM];

			for (j = 0; j < SIM_STATE_DIM; j++)
				id_scale[j] = 1;
			api__qstate_features(mine, &d->obs, id_mean, id_scale);
			for (j = 0; j < SIM_STATE_DIM; j++)
				cr_assert_eq(mine[j], d->raw[j], "step %u raw[%u]: %g vs %g", steps,
					     j, mine[j], d->raw[j]);
		}
		api__qstate_features(mine, &d->obs, qnet_model_norm_mean(m),
				     qnet_model_norm_scale(m));
		for (j = 0; j < SIM_STATE_DIM; j++)
			cr_assert_eq(mine[j], d->state[j], "step %u state[%u]: %g vs %g", steps, j,
				     mine[j], d->state[j]);
		/* a varying action, pre-warm included, so the warm features move */
		for (k = steps % sim_num_actions(env);; k = (k + 1) % sim_num_actions(env))
			if (d->mask >> k & 1)
				break;
		cr_assert_eq(sim_step(env, k, &r, ns, &mask, &done, &err), 0, "%s", err.msg);
		steps++;
	}
	cr_assert_eq(steps, 80);
	sim_env_free(env);
	sim_trace_free(t);
	api__qserve_close(q);
}

Test(qstate, history_from_usage_json_equals_the_simulators)
{
	struct sim_trace *t = one_class_trace(90);
	struct api__qhist *h = NULL;
	struct sim_config cfg;
	struct eph_err err = {{0}};
	sim_env *env = NULL;
	float s0[SIM_STATE_DIM], ns[SIM_STATE_DIM];
	uint64_t mask;
	unsigned i, checked = 0;
	int done = 0;

	sim_config_default(&cfg);
	cr_assert_eq(cfg.hist_len, 64, "api_qstate.c mirrors hist_len 64");
	cr_assert_eq(api__qhist_new(&h), 0);
	cr_assert_eq(sim_env_new(&env, t, &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(sim_reset(env, 1, s0, &mask, &err), 0);
	for (i = 0; !done; i++) {
		const struct sim_decision *d = sim_current(env);
		struct sim_obs mine;
		unsigned first = i > 64 ? i - 64 : 0, k;
		float r;

		/* the broker reads the newest outcomes first */
		api__qhist_reset(h);
		for (k = i; k-- > first;) {
			const struct sim_request *q = &t->req[k];
			char usage[400], attrs[200];

			snprintf(usage, sizeof(usage),
				 "{\"end\":\"destroyed\",\"stats\":true,\"cpu_s\":%.6f,"
				 "\"mem_peak_bytes\":%llu,\"oom_events\":0,\"wall_s\":%.0f}",
				 q->cpu_max / 1000.0 * q->duration_s,
				 (unsigned long long)q->mem_max * 1024 * 1024, q->duration_s);
			snprintf(attrs, sizeof(attrs),
				 "{\"class\":\"fn-a\",\"ask\":{\"vcpu_milli\":%u,\"mem_mib\":%u}}",
				 q->asked_cpu, q->asked_mem);
			cr_assert_eq(api__qhist_add_json(h, usage, attrs), 0);
		}
		memset(&mine, 0, sizeof(mine));
		api__qhist_fill(h, &mine);
		cr_assert_eq(mine.hist_n, d->obs.hist_n, "decision %u", i);
		cr_assert_float_eq(mine.cpu_p50, d->obs.cpu_p50, 1e-3, "decision %u", i);
		cr_assert_float_eq(mine.cpu_p95, d->obs.cpu_p95, 1e-3, "decision %u", i);
		cr_assert_float_eq(mine.cpu_max, d->obs.cpu_max, 1e-3, "decision %u", i);
		cr_assert_eq(mine.mem_p50, d->obs.mem_p50, "decision %u", i);
		cr_assert_eq(mine.mem_p95, d->obs.mem_p95, "decision %u", i);
		cr_assert_eq(mine.mem_max, d->obs.mem_max, "decision %u", i);
		cr_assert_eq(mine.dur_p50, d->obs.dur_p50, "decision %u", i);
		cr_assert_eq(mine.dur_p95, d->obs.dur_p95, "decision %u", i);
		cr_assert_float_eq(mine.over_asked, d->obs.over_asked, 1e-6, "decision %u", i);
		checked += d->obs.hist_n > 0;
		cr_assert_eq(sim_step(env, 0, &r, ns, &mask, &done, &err), 0, "%s", err.msg);
	}
	cr_assert_gt(checked, 80);
	/* what the broker skips: no statistics, malformed */
	api__qhist_reset(h);
	cr_assert_lt(api__qhist_add_json(h, "{\"stats\":false,\"cpu_s\":0,\"wall_s\":3,"
					    "\"mem_peak_bytes\":0}", NULL), 0);
	cr_assert_lt(api__qhist_add_json(h, "{\"stats\":true,\"cpu_s\":-1}", NULL), 0);
	cr_assert_lt(api__qhist_add_json(h, "not json", NULL), 0);
	sim_env_free(env);
	sim_trace_free(t);
	api__qhist_free(h);
}

static void sandbox_policy(struct api__envpol *p, uint64_t mask)
{
	memset(p, 0, sizeof(*p));
	p->nsizes = 3;
	snprintf(p->sizes[0].name, sizeof(p->sizes[0].name), "xs");
	p->sizes[0].vcpu_milli = 250;
	p->sizes[0].mem_mib = 128;
	snprintf(p->sizes[1].name, sizeof(p->sizes[1].name), "small");
	p->sizes[1].vcpu_milli = 500;
	p->sizes[1].mem_mib = 256;
	snprintf(p->sizes[2].name, sizeof(p->sizes[2].name), "medium");
	p->sizes[2].vcpu_milli = 1000;
	p->sizes[2].mem_mib = 512;
	p->mask = mask;
}

Test(qstate, actions_map_to_covering_allowed_sizes)
{
	struct api__qserve *q = open_default();
	const qnet_model *m = api__qserve_model(q);
	struct api__envpol pol;
	struct api__qmap map;
	unsigned i, n = qnet_model_num_actions(m);

	cr_assert_eq(n, 42);
	/* every size allowed: sim 250m/256Mi -> small, 500m/512Mi -> medium,
	 * larger ones have no covering size */
	sandbox_policy(&pol, 7);
	api__qstate_map(&map, m, &pol, 0);
	cr_assert_eq(map.nsizes, 7);
	for (i = 0; i < n; i++) {
		const struct qnet_action *a = qnet_model_action_at(m, i);
		int want = a->size == 0 ? 1 : a->size == 1 ? 2 : -1;

		cr_assert_eq(map.psize[i], want, "action %u (size %u)", i, a->size);
		cr_assert_eq((int)(map.mask >> i & 1), want >= 0, "action %u", i);
	}
	cr_assert_eq(map.max_size, 1);
	/* medium forbidden: only the simulator's smallest size remains */
	sandbox_policy(&pol, 3);
	api__qstate_map(&map, m, &pol, 0);
	for (i = 0; i < n; i++)
		if (map.mask >> i & 1)
			cr_assert_eq(map.psize[i], 1, "action %u", i);
	cr_assert_neq(map.mask, 0);
	cr_assert_eq(map.max_size, 0);
	/* xs only (clearance <= 1): nothing covers a simulator size */
	sandbox_policy(&pol, 1);
	api__qstate_map(&map, m, &pol, 0);
	cr_assert_eq(map.mask, 0);
	/* high sensitivity: count 1 only */
	sandbox_policy(&pol, 7);
	api__qstate_map(&map, m, &pol, 1);
	cr_assert_neq(map.mask, 0);
	for (i = 0; i < n; i++)
		if (map.mask >> i & 1)
			cr_assert_eq(qnet_model_action_at(m, i)->count, 1, "action %u", i);
	api__qserve_close(q);
}

Test(qstate, masked_argmax_never_picks_a_forbidden_size)
{
	struct api__qserve *q = open_default();
	const qnet_model *m = api__qserve_model(q);
	struct api__envpol pol;
	struct api__qmap map;
	struct sim_obs o;
	struct eph_err err = {{0}};
	float st[SIM_STATE_DIM];
	unsigned trial, a;

	sandbox_policy(&pol, 3); /* medium forbidden */
	api__qstate_map(&map, m, &pol, 0);
	for (trial = 0; trial < 500; trial++) {
		memset(&o, 0, sizeof(o));
		o.role = (uint8_t)(trial % SIM_ROLE_N);
		o.sens = (uint8_t)(trial % SIM_SENS_N);
		o.role_conf = 0.8f;
		o.sens_conf = 0.8f;
		o.asked_cpu = 100u + trial * 37u % 4000u;
		o.asked_mem = 64u + trial * 91u % 8000u;
		o.hist_n = trial % 70;
		o.cpu_p50 = o.cpu_p95 = o.cpu_max = (float)(trial * 13 % 3000);
		o.mem_p50 = o.mem_p95 = o.mem_max = (float)(trial * 17 % 6000);
		o.dur_p50 = o.dur_p95 = (float)(1 + trial % 300);
		o.cap_cpu = 2000;
		o.cap_mem = 8000;
		o.free_cpu = 2000 - trial % 2000;
		o.free_mem = 8000;
		o.nsizes = map.nsizes;
		o.max_size = map.max_size;
		o.since_class_s = (float)(trial * 3);
		o.gap_ewma_s = 86400;
		api__qstate_features(st, &o, qnet_model_norm_mean(m), qnet_model_norm_scale(m));
		cr_assert_eq(qnet_int8_argmax(m, st, map.mask, &a, &err), 0, "%s", err.msg);
		cr_assert(map.mask >> a & 1);
		cr_assert_eq(map.psize[a], 1, "trial %u: action %u -> size %d", trial, a,
			     map.psize[a]);
	}
	api__qserve_close(q);
}

Test(qstate, role_and_sensitivity_mapping)
{
	struct api__ask ask;
	uint8_t r, s;
	float c;

	memset(&ask, 0, sizeof(ask));
	ask.confidence = 0.8f;
	snprintf(ask.app_class, sizeof(ask.app_class), "batch");
	snprintf(ask.role, sizeof(ask.role), "analyst");
	api__qstate_role(&r, &c, &ask);
	cr_assert_eq(r, SIM_ROLE_BATCH);
	cr_assert_float_eq(c, 0.8f, 1e-6);
	snprintf(ask.app_class, sizeof(ask.app_class), "Image-Function");
	api__qstate_role(&r, &c, &ask);
	cr_assert_eq(r, SIM_ROLE_FUNCTION);
	snprintf(ask.app_class, sizeof(ask.app_class), "ml-training");
	api__qstate_role(&r, &c, &ask);
	cr_assert_eq(r, SIM_ROLE_ML);
	snprintf(ask.app_class, sizeof(ask.app_class), "web");
	api__qstate_role(&r, &c, &ask);
	cr_assert_eq(r, SIM_ROLE_SERVICE);
	/* unknown class: the role hints at half the confidence */
	snprintf(ask.app_class, sizeof(ask.app_class), "zz");
	api__qstate_role(&r, &c, &ask);
	cr_assert_eq(r, SIM_ROLE_BATCH);
	cr_assert_float_eq(c, 0.4f, 1e-6);
	/* nothing known: service, confidence 0 */
	snprintf(ask.role, sizeof(ask.role), "intern");
	api__qstate_role(&r, &c, &ask);
	cr_assert_eq(r, SIM_ROLE_SERVICE);
	cr_assert_eq(c, 0);

	api__qstate_sens(&s, &c, &ask);
	cr_assert_eq(s, SIM_SENS_MEDIUM);
	cr_assert_eq(c, 0);
	ask.has_sensitivity = 1;
	ask.sensitivity = 0;
	api__qstate_sens(&s, &c, &ask);
	cr_assert_eq(s, SIM_SENS_LOW);
	cr_assert_float_eq(c, 0.8f, 1e-6);
	ask.sensitivity = 1;
	api__qstate_sens(&s, &c, &ask);
	cr_assert_eq(s, SIM_SENS_MEDIUM);
	ask.sensitivity = 2;
	api__qstate_sens(&s, &c, &ask);
	cr_assert_eq(s, SIM_SENS_HIGH);
	ask.sensitivity = 3;
	api__qstate_sens(&s, &c, &ask);
	cr_assert_eq(s, SIM_SENS_HIGH);
}

Test(qstate, refuses_a_bad_model_file)
{
	struct api__qserve *q = NULL;
	struct eph_err err = {{0}};
	char path[] = "/tmp/qstate-bad-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "EPHQNET but not cbor", 20), 20);
	close(fd);
	cr_assert_lt(api__qserve_open(&q, path, &err), 0);
	cr_assert_null(q);
	unlink(path);
	cr_assert_lt(api__qserve_open(&q, "/nonexistent/model.cbor", &err), 0);
}
