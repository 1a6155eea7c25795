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
	if (o->gamma >= 0)
		c->gamma = o->gamma;
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
}

/* Calibrate on states from the replay buffer and quantize. */
static int calibrate(qnet_model *m, qnet_trainer *t, unsigned long n, struct eph_err *err)
{
	float *st = malloc(n * SIM_STATE_DIM * sizeof(*st));
	size_t got;
	int rc;

	if (st == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory for %lu calibration states", n);
	got = qnet_trainer_sample_states(t, st, n);
	rc = qnet_quantize(m, st, got, err);
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
	sim_env *env = NULL;
	qnet_model *m = NULL;
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
	if ((rc = qnet_trainer_new(&t, m, &cfg, &err)) < 0)
		goto fail;
	tr_qnet_env(&qenv, env);
	if (!o->quiet)
		fprintf(stderr, "ephemera-train: %s: %zu training requests, %u actions, "
			"%lu episodes of %lu decisions, seed %llu\n", s.name,
			(s.train != NULL ? s.train : s.all)->n, dims[3], o->episodes,
			o->episode_len, (unsigned long long)o->seed);
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
	if ((rc = calibrate(m, t, o->calib, &err)) < 0 ||
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
			.state = tr->state + k * tr->dim, .action = tr->action[k],
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
	if ((rc = calibrate(m, t, o->calib, &err)) < 0 ||
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
