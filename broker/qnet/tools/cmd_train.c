/*
 * cmd_train.c - ephemera-train train and offline: DQN against the simulator
 * on the training part of a trace, or on transitions the broker stored in
 * production; both then calibrate and quantize the network and write one
 * model file holding the float and the int8 networks.
 *
 * Progress goes to stderr every --progress episodes (updates for offline);
 * the model file and nothing else to --out.
 *
 * Not here: evaluation (cmd_eval.c), re-quantization (cmd_model.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eph_file.h"
#include "train.h"

#define TRANSITIONS_MAX (1ull << 30)

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void train_cfg(struct qnet_train_cfg *c, const struct tr_opts *o)
{
	qnet_train_cfg_default(c);
	c->seed = o->seed;
	if (o->lr > 0)
		c->lr = o->lr;
	/* 0.9: with one chain per class the horizon is the class's next few
	 * arrivals (what a pre-warm affects), not the whole trace */
	c->gamma = o->gamma >= 0 ? o->gamma : 0.9f;
	if (o->reward_scale > 0)
		c->reward_scale = o->reward_scale;
	if (o->batch > 0)
		c->batch = o->batch;
	if (o->target_every > 0)
		c->target_every = o->target_every;
	if (o->replay > 0)
		c->replay_cap = o->replay;
	if (o->eps_decay > 0)
		c->eps_decay_steps = o->eps_decay;
	if (o->warmup > 0)
		c->warmup = o->warmup;
	c->al_alpha = o->al_alpha >= 0 ? o->al_alpha : 0.9f;
	if (o->train_every > 0)
		c->train_every = o->train_every;
	if (o->lr_end > 0) {
		c->lr_end = o->lr_end;
		c->lr_decay_updates = 0; /* set by the caller: the run's number of updates */
	}
}

/* Up to n states the greedy float policy visits over one episode of env, evenly spaced. */
static int greedy_states(const qnet_model *m, sim_env *env, float *out, size_t n, size_t *got,
			 struct eph_err *err)
{
	const struct sim_trace *t = sim_env_trace(env);
	size_t k = 0, i = 0, every = t->n / (n ? n : 1) + 1;
	float st[SIM_STATE_DIM], r;
	uint64_t mask = 0;
	unsigned a;
	int done = 0, rc;

	rc = sim_reset(env, 0, st, &mask, err);
	while (rc == 0 && !done) {
		if (i++ % every == 0 && k < n)
			memcpy(out + k++ * SIM_STATE_DIM, st, sizeof(st));
		rc = qnet_float_argmax(m, st, mask, &a, err);
		if (rc == 0)
			rc = sim_step(env, a, &r, st, &mask, &done, err);
	}
	*got = k;
	return rc;
}

/*
 * Calibrate and quantize on n states: with genv, half visited by the greedy
 * float policy over the whole training part (what serving will see), the rest
 * from the replay buffer (what exploration saw).
 */
static int calibrate(qnet_model *m, qnet_trainer *t, sim_env *genv, unsigned long n,
		     struct eph_err *err)
{
	float *st = malloc(n * SIM_STATE_DIM * sizeof(*st));
	size_t got = 0, half = genv != NULL ? n / 2 : 0;
	int rc = 0;

	if (st == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory for %lu calibration states", n);
	if (genv != NULL)
		rc = greedy_states(m, genv, st, half, &got, err);
	if (rc == 0) {
		got += qnet_trainer_sample_states(t, st + got * SIM_STATE_DIM, n - got);
		rc = qnet_quantize(m, st, got, err);
	}
	free(st);
	return rc;
}

static int finish(qnet_model *m, const struct tr_opts *o, const char *trace, uint64_t episodes,
		  uint64_t steps, struct eph_err *err)
{
	struct qnet_meta meta;

	memset(&meta, 0, sizeof(meta));
	meta.seed = o->seed;
	meta.episodes = episodes;
	meta.steps = steps;
	snprintf(meta.trace, sizeof(meta.trace), "%s", trace);
	tr_date(meta.date, sizeof(meta.date), o->date);
	qnet_model_set_meta(m, &meta);
	return qnet_model_save_file(m, o->out, err);
}

int tr_cmd_train(const struct tr_opts *o)
{
	struct tr_sim s;
	struct sim_norm norm;
	struct qnet_train_cfg cfg;
	struct qnet_episode_stats st;
	struct qnet_env qenv;
	struct eph_err err = {{0}};
	sim_env *env = NULL, *whole = NULL;
	qnet_model *m = NULL;
	double rmean = 0, rsd = 1;
	qnet_trainer *t = NULL;
	unsigned dims[4];
	unsigned long e;
	double t0 = wall(), win_reward = 0, win_loss = 0;
	unsigned win = 0;
	int rc, ret = TR_EXIT_FAIL;

	rc = tr_sim_load(&s, o, &err);
	if (rc < 0) {
		fprintf(stderr, "ephemera-train: %s\n", err.msg);
		tr_sim_free(&s);
		return tr_exit_for(rc);
	}
	if ((rc = tr_sim_env(&env, &s, s.train != NULL ? s.train : s.all, o->episode_len,
			     &err)) < 0 ||
	    (rc = sim_env_fit_norm(env, o->seed, &norm, &err)) < 0)
		goto fail;
	sim_env_set_norm(env, &norm);
	dims[0] = SIM_STATE_DIM;
	dims[1] = dims[2] = o->hidden;
	dims[3] = sim_num_actions(env);
	if ((rc = qnet_model_new(&m, dims, 3, o->seed, &err)) < 0 ||
	    (rc = qnet_model_set_norm(m, norm.mean, norm.scale, SIM_STATE_DIM, &err)) < 0 ||
	    (rc = tr_actions_from_sim(m, env, &err)) < 0)
		goto fail;
	train_cfg(&cfg, o);
	/* the whole training part: reward statistics and greedy calibration states */
	if ((rc = tr_sim_env(&whole, &s, s.train != NULL ? s.train : s.all, 0, &err)) < 0)
		goto fail;
	sim_env_set_norm(whole, &norm);
	if (!o->no_reward_norm && o->reward_scale <= 0) {
		if ((rc = tr_reward_stats(whole, o->seed, &rmean, &rsd, &err)) < 0)
			goto fail;
		cfg.reward_shift = (float)rmean;
		cfg.reward_scale = (float)(1.0 / (rsd > 1e-9 ? rsd : 1e-9));
	}
	if (cfg.lr_end > 0)
		cfg.lr_decay_updates = (uint64_t)o->episodes *
				       (o->episode_len ? o->episode_len : sim_env_trace(whole)->n) /
				       cfg.train_every;
	if ((rc = qnet_trainer_new(&t, m, &cfg, &err)) < 0)
		goto fail;
	tr_qnet_env(&qenv, env, !o->no_chain);
	if (!o->quiet)
		fprintf(stderr, "ephemera-train: %s: %zu training requests, %u actions, "
			"%lu episodes of %lu decisions, seed %llu; lambda %g, mu %g; rewards "
			"(r - %.6g) * %.6g; gamma %g; %s\n", s.name,
			(s.train != NULL ? s.train : s.all)->n, dims[3], o->episodes,
			o->episode_len, (unsigned long long)o->seed, s.cfg.lambda, s.cfg.mu,
			(double)cfg.reward_shift, (double)cfg.reward_scale, (double)cfg.gamma,
			o->no_chain ? "one chain" : "one chain per class");
	for (e = 0; e < o->episodes; e++) {
		rc = qnet_trainer_episode(t, &qenv, o->seed * 1000003ull + e, &st, &err);
		if (rc < 0) {
			eph_err_prefix(&err, rc, "episode %lu", e);
			goto fail;
		}
		win_reward += st.reward;
		win_loss += st.loss;
		win++;
		if (!o->quiet && (win == o->progress || e + 1 == o->episodes)) {
			fprintf(stderr, "episode %6lu/%lu  steps %9llu  reward %10.3f  "
				"loss %8.5f  eps %.3f  %7.1f s\n", e + 1, o->episodes,
				(unsigned long long)qnet_trainer_env_steps(t), win_reward / win,
				win_loss / win, (double)st.epsilon, wall() - t0);
			win = 0;
			win_reward = win_loss = 0;
		}
	}
	if ((rc = calibrate(m, t, whole, o->calib, &err)) < 0 ||
	    (rc = finish(m, o, s.name, o->episodes, qnet_trainer_env_steps(t), &err)) < 0)
		goto fail;
	if (!o->quiet)
		fprintf(stderr, "ephemera-train: wrote %s (float + int8, calibrated on %lu "
			"states) in %.1f s\n", o->out, o->calib, wall() - t0);
	ret = TR_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "ephemera-train: %s\n", err.msg);
	ret = tr_exit_for(rc);
out:
	qnet_trainer_free(t);
	qnet_model_free(m);
	sim_env_free(env);
	sim_env_free(whole);
	tr_sim_free(&s);
	return ret;
}

int tr_cmd_offline(const struct tr_opts *o)
{
	struct qnet_transitions *tr = NULL;
	struct qnet_train_cfg cfg;
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	qnet_trainer *t = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, k;
	unsigned long u;
	double t0 = wall(), win_loss = 0;
	unsigned long nwin = 0;
	float loss;
	int rc, ret = TR_EXIT_FAIL;

	if ((rc = eph_file_read(&buf, &len, o->transitions, TRANSITIONS_MAX, &err)) < 0 ||
	    (rc = qnet_transitions_parse(&tr, buf, len, &err)) < 0 ||
	    (rc = qnet_model_load_file(&m, o->init, &err)) < 0)
		goto fail;
	if (tr->n == 0 || tr->dim != qnet_model_in_dim(m)) {
		rc = eph_err_set(&err, EPH_EVERIFY, "%s: %zu transitions of %u features; the "
				 "model takes %u", o->transitions, tr->n, tr->dim,
				 qnet_model_in_dim(m));
		goto fail;
	}
	train_cfg(&cfg, o);
	cfg.replay_cap = tr->n;
	if ((rc = qnet_trainer_new(&t, m, &cfg, &err)) < 0)
		goto fail;
	for (k = 0; k < tr->n; k++) {
		struct qnet_transition x = {
			.state = tr->state + k * tr->dim, .action = tr->action[k], .mask = tr->mask[k],
			.reward = tr->reward[k], .next_state = tr->next_state + k * tr->dim,
			.next_mask = tr->next_mask[k], .done = tr->done[k],
		};

		rc = qnet_trainer_observe(t, &x, &err);
		if (rc < 0) {
			eph_err_prefix(&err, rc, "%s row %zu", o->transitions, k + 1);
			goto fail;
		}
	}
	for (u = 0; u < o->steps; u++) {
		if ((rc = qnet_trainer_update(t, &loss, &err)) < 0)
			goto fail;
		win_loss += loss;
		nwin++;
		if (!o->quiet && (nwin == o->progress * 100 || u + 1 == o->steps)) {
			fprintf(stderr, "update %8lu/%lu  loss %8.5f  %7.1f s\n", u + 1, o->steps,
				win_loss / nwin, wall() - t0);
			win_loss = 0;
			nwin = 0;
		}
	}
	if ((rc = calibrate(m, t, NULL, o->calib, &err)) < 0 ||
	    (rc = finish(m, o, o->transitions, qnet_model_meta(m)->episodes,
			 qnet_model_meta(m)->steps + o->steps, &err)) < 0)
		goto fail;
	if (!o->quiet)
		fprintf(stderr, "ephemera-train: wrote %s (%zu transitions, %lu updates)\n", o->out,
			tr->n, o->steps);
	ret = TR_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "ephemera-train: %s\n", err.msg);
	ret = tr_exit_for(rc);
out:
	qnet_trainer_free(t);
	qnet_model_free(m);
	qnet_transitions_free(tr);
	free(buf);
	return ret;
}
