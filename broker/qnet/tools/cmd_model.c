/*
 * cmd_model.c - ephemera-train quantize and inspect: re-calibrate and
 * quantize a model's float network on states the simulator produces under
 * the model's own greedy policy (or on a transitions file), and print what a
 * model file holds.
 *
 * Not here: training (cmd_train.c), evaluation (cmd_eval.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "eph_hash.h"
#include "train.h"

/* Collects the states a greedy float policy visits, every stride-th one. */
struct collect {
	const qnet_model *m;
	float *st;
	size_t n, cap, seen, stride;
};

static int collect_policy(void *ctx, const struct sim_decision *d, unsigned *action,
			  struct eph_err *err)
{
	struct collect *c = ctx;

	if (c->n < c->cap && c->seen++ % c->stride == 0)
		memcpy(c->st + c->n++ * SIM_STATE_DIM, d->state, SIM_STATE_DIM * sizeof(float));
	return qnet_float_argmax(c->m, d->state, d->mask, action, err);
}

static int calib_from_sim(qnet_model *m, const struct tr_opts *o, struct eph_err *err)
{
	struct tr_sim s;
	struct sim_norm norm;
	struct sim_report rep;
	struct collect c = { .m = m, .cap = o->calib };
	const struct sim_trace *t;
	sim_env *env = NULL;
	int rc;

	rc = tr_sim_load(&s, o, err);
	if (rc < 0)
		goto out;
	t = s.train != NULL ? s.train : s.all;
	c.stride = t->n / o->calib > 1 ? t->n / o->calib : 1;
	c.st = malloc(o->calib * SIM_STATE_DIM * sizeof(float));
	if (c.st == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory for %lu states", o->calib);
		goto out;
	}
	if ((rc = tr_sim_env(&env, &s, t, 0, err)) < 0 || (rc = tr_check_actions(m, env, err)) < 0)
		goto out;
	tr_norm_to_sim(m, &norm);
	sim_env_set_norm(env, &norm);
	if ((rc = sim_evaluate(env, collect_policy, &c, o->seed, &rep, err)) < 0 ||
	    (rc = qnet_quantize(m, c.st, c.n, err)) < 0)
		goto out;
	if (!o->quiet)
		fprintf(stderr, "ephemera-train: calibrated on %zu states of %s\n", c.n, s.name);
out:
	free(c.st);
	sim_env_free(env);
	tr_sim_free(&s);
	return rc;
}

static int calib_from_transitions(qnet_model *m, const struct tr_opts *o, struct eph_err *err)
{
	struct qnet_transitions *tr = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n;
	int rc;

	if ((rc = eph_file_read(&buf, &len, o->transitions, 1ull << 30, err)) < 0 ||
	    (rc = qnet_transitions_parse(&tr, buf, len, err)) < 0)
		goto out;
	if (tr->dim != qnet_model_in_dim(m) || tr->n == 0) {
		rc = eph_err_set(err, EPH_EVERIFY, "%s: %zu rows of %u features; the model takes "
				 "%u", o->transitions, tr->n, tr->dim, qnet_model_in_dim(m));
		goto out;
	}
	n = tr->n < o->calib ? tr->n : o->calib;
	rc = qnet_quantize(m, tr->state, n, err);
out:
	qnet_transitions_free(tr);
	free(buf);
	return rc;
}

int tr_cmd_quantize(const struct tr_opts *o)
{
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	int rc;

	rc = qnet_model_load_file(&m, o->in, &err);
	if (rc < 0)
		goto fail;
	rc = o->transitions != NULL ? calib_from_transitions(m, o, &err) :
				      calib_from_sim(m, o, &err);
	if (rc < 0 || (rc = qnet_model_save_file(m, o->out, &err)) < 0)
		goto fail;
	qnet_model_free(m);
	return TR_EXIT_OK;
fail:
	fprintf(stderr, "ephemera-train: %s\n", err.msg);
	qnet_model_free(m);
	return tr_exit_for(rc);
}

static void print_range(const char *what, const float *v, unsigned n)
{
	float lo = v[0], hi = v[0];
	unsigned i;

	for (i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	printf("  %-10s %u values in [%g, %g]\n", what, n, (double)lo, (double)hi);
}

int tr_cmd_inspect(const struct tr_opts *o)
{
	struct eph_err err = {{0}};
	const struct qnet_meta *meta;
	qnet_model *m = NULL;
	uint8_t *buf = NULL, digest[32];
	size_t len = 0;
	unsigned i, n;
	int rc;

	if ((rc = eph_file_read(&buf, &len, o->positional, QNET_MODEL_MAX, &err)) < 0 ||
	    (rc = qnet_model_load(&m, buf, len, &err)) < 0) {
		fprintf(stderr, "ephemera-train: %s: %s\n", o->positional, err.msg);
		free(buf);
		return tr_exit_for(rc);
	}
	eph_hash(EPH_ALG_SHA256, buf, len, digest);
	meta = qnet_model_meta(m);
	n = qnet_model_num_actions(m);
	printf("file:      %s (%zu bytes, sha256 ", o->positional, len);
	for (i = 0; i < 32; i++)
		printf("%02x", digest[i]);
	printf(")\nformat:    EPHQNET version 1, payload hash verified\n");
	printf("network:  ");
	for (i = 0; i <= qnet_model_num_layers(m); i++)
		printf("%s%u", i ? " -> " : " ", qnet_model_dim(m, i));
	printf(" (ReLU between layers)\n");
	printf("int8:      %s\n", qnet_model_has_int8(m) ? "yes (per-channel int8 weights, "
		"int8 activations, int32 output)" : "no (float only: run ephemera-train quantize)");
	printf("trained:   seed %llu, %llu episodes, %llu steps, on %s, %s\n",
	       (unsigned long long)meta->seed, (unsigned long long)meta->episodes,
	       (unsigned long long)meta->steps, meta->trace[0] ? meta->trace : "-",
	       meta->date[0] ? meta->date : "-");
	printf("normalisation (feature = (raw - mean) * scale):\n");
	print_range("mean", qnet_model_norm_mean(m), qnet_model_in_dim(m));
	print_range("scale", qnet_model_norm_scale(m), qnet_model_in_dim(m));
	printf("actions (index: size count prewarm):\n");
	for (i = 0; i < n; i++) {
		const struct qnet_action *a = qnet_model_action_at(m, i);

		printf("  %2u: %u %u %u%s", i, a->size, a->count, a->prewarm,
		       i % 4 == 3 || i + 1 == n ? "\n" : "   ");
	}
	qnet_model_free(m);
	free(buf);
	return TR_EXIT_OK;
}
