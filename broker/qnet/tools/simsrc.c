/*
 * simsrc.c - ephemera-train's link to the simulator: load the trace the
 * options name (Ephemera CSV, Bitbrains, Azure Functions, Alibaba, or a
 * synthetic one), split it by time into a training and a held-out part,
 * build environments, and move normalisation constants and the action table
 * between the simulator and the model.
 *
 * Not here: training or evaluation (cmd_*.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train.h"

int tr_exit_for(int rc)
{
	return rc == EPH_EFORMAT || rc == EPH_EVERIFY || rc == EPH_EUNSUPPORTED ||
			       rc == EPH_ENOTFOUND ?
		       TR_EXIT_INPUT :
		       TR_EXIT_FAIL;
}

int tr_sim_load(struct tr_sim *s, const struct tr_opts *o, struct eph_err *err)
{
	struct sim_conv_opts co;
	int rc, large = 0;

	memset(s, 0, sizeof(*s));
	sim_conv_opts_default(&co);
	co.seed = o->seed;
	co.max_per_minute = o->max_per_minute;
	if (o->trace != NULL) {
		s->name = o->trace;
		rc = sim_trace_load_csv(&s->all, o->trace, err);
	} else if (o->bitbrains != NULL) {
		s->name = o->bitbrains;
		rc = sim_trace_from_bitbrains_dir(&s->all, o->bitbrains, &co, err);
	} else if (o->azure != NULL) {
		s->name = o->azure;
		rc = sim_trace_from_azure_functions(&s->all, o->azure, &co, err);
	} else if (o->alibaba != NULL) {
		s->name = o->alibaba;
		co.max_duration_s = 86400;
		large = 1;
		rc = sim_trace_from_alibaba_pods(&s->all, o->alibaba, o->alibaba_nodes, &co, err);
	} else if (o->synthetic > 0) {
		s->name = "synthetic";
		rc = sim_trace_synthetic(&s->all, o->synthetic, 8, 0.5, o->seed, err);
	} else {
		return eph_err_set(err, EPH_EFAIL, "no trace: give --trace, --bitbrains, --azure, "
				   "--alibaba or --synthetic");
	}
	if (rc < 0)
		return rc;
	if (o->whole) {
		s->train = NULL;
		s->held = NULL;
	} else {
		rc = sim_trace_split_time(&s->train, &s->held, s->all, o->split, err);
		if (rc < 0)
			return rc;
	}
	sim_config_default(&s->cfg);
	if (large)
		sim_config_large_sizes(&s->cfg);
	if (o->lambda >= 0)
		s->cfg.lambda = o->lambda;
	if (o->mu >= 0)
		s->cfg.mu = o->mu;
	if (s->all->cap_cpu > 0 && s->all->cap_mem > 0) {
		s->cfg.cap_cpu = s->all->cap_cpu;
		s->cfg.cap_mem = s->all->cap_mem;
	}
	return 0;
}

void tr_sim_free(struct tr_sim *s)
{
	sim_trace_free(s->train);
	sim_trace_free(s->held);
	sim_trace_free(s->all);
	memset(s, 0, sizeof(*s));
}

int tr_sim_env(sim_env **out, const struct tr_sim *s, const struct sim_trace *t,
	       size_t episode_len, struct eph_err *err)
{
	struct sim_config c = s->cfg;

	c.episode_len = episode_len;
	return sim_env_new(out, t, &c, err);
}

static int q_reset(void *ctx, uint64_t seed, float *state, uint64_t *mask, struct eph_err *err)
{
	return sim_reset(ctx, seed, state, mask, err);
}

static int q_step(void *ctx, unsigned a, float *reward, float *next, uint64_t *next_mask,
		  int *done, struct eph_err *err)
{
	return sim_step(ctx, a, reward, next, next_mask, done, err);
}

/* The chain of the pending decision: its workload class. */
static unsigned q_chain(void *ctx)
{
	const struct sim_decision *d = sim_current(ctx);

	return d != NULL ? d->req->cls : 0;
}

void tr_qnet_env(struct qnet_env *q, sim_env *env, int chained)
{
	memset(q, 0, sizeof(*q));
	if (chained) {
		q->chain = q_chain;
		q->nchains = sim_env_trace(env)->ncls;
	}
	q->ctx = env;
	q->state_dim = SIM_STATE_DIM;
	q->num_actions = sim_num_actions(env);
	q->reset = q_reset;
	q->step = q_step;
}

void tr_norm_to_sim(const qnet_model *m, struct sim_norm *n)
{
	memcpy(n->mean, qnet_model_norm_mean(m), sizeof(n->mean));
	memcpy(n->scale, qnet_model_norm_scale(m), sizeof(n->scale));
}

int tr_actions_from_sim(qnet_model *m, const sim_env *env, struct eph_err *err)
{
	struct qnet_action a[QNET_MAX_ACTIONS];
	unsigned i, n = sim_num_actions(env);

	_Static_assert(SIM_MAX_ACTIONS == QNET_MAX_ACTIONS, "mask widths differ");
	for (i = 0; i < n && i < QNET_MAX_ACTIONS; i++) {
		const struct sim_action *s = sim_action_at(env, i);

		a[i].size = s->size;
		a[i].count = s->count;
		a[i].prewarm = s->prewarm;
	}
	return qnet_model_set_actions(m, a, n, err);
}

int tr_check_actions(const qnet_model *m, const sim_env *env, struct eph_err *err)
{
	unsigned i, n = sim_num_actions(env);

	if (qnet_model_in_dim(m) != SIM_STATE_DIM || qnet_model_num_actions(m) != n)
		return eph_err_set(err, EPH_EVERIFY, "model has %u inputs and %u actions, the "
				   "simulator %u and %u", qnet_model_in_dim(m),
				   qnet_model_num_actions(m), SIM_STATE_DIM, n);
	for (i = 0; i < n; i++) {
		const struct sim_action *s = sim_action_at(env, i);
		const struct qnet_action *q = qnet_model_action_at(m, i);

		if (s->size != q->size || s->count != q->count || s->prewarm != q->prewarm)
			return eph_err_set(err, EPH_EVERIFY, "action %u is (%u,%u,%u) in the model, "
					   "(%u,%u,%u) in the simulator", i, q->size, q->count,
					   q->prewarm, s->size, s->count, s->prewarm);
	}
	return 0;
}

void tr_date(char *buf, size_t cap, const char *given)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t t = time(NULL);
	struct tm tm;
	char *end = NULL;
	unsigned long long v;

	if (given != NULL) {
		snprintf(buf, cap, "%s", given);
		return;
	}
	if (sde != NULL && sde[0] != '\0') {
		v = strtoull(sde, &end, 10);
		if (*end == '\0')
			t = (time_t)v;
	}
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "unknown");
}

int tr_reward_stats(sim_env *env, uint64_t seed, double *mean, double *sd, struct eph_err *err)
{
	struct sim_vpa_ctx v;
	float st[SIM_STATE_DIM], r = 0;
	uint64_t mask = 0;
	double sum = 0, sum2 = 0;
	size_t n = 0;
	unsigned a;
	int done = 0, rc;

	rc = sim_vpa_init(&v, sim_env_trace(env)->ncls, 0, err);
	if (rc < 0)
		return rc;
	rc = sim_reset(env, seed, st, &mask, err);
	while (rc == 0 && !done) {
		rc = sim_policy_vpa(&v, sim_current(env), &a, err);
		if (rc == 0)
			rc = sim_step(env, a, &r, st, &mask, &done, err);
		sum += r;
		sum2 += (double)r * r;
		n++;
	}
	sim_vpa_free(&v);
	if (rc < 0)
		return rc;
	*mean = sum / (double)n;
	*sd = sqrt(fmax(sum2 / (double)n - *mean * *mean, 0.0));
	return 0;
}
