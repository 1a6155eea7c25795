/*
 * cmd_eval.c - ephemera-train eval: every policy side by side on the
 * held-out part of a trace (the part after --split by time, or the whole
 * trace with --all), one simulator episode each with the same seed: static,
 * asked, VPA-style (with and without a pre-warmed environment), the float
 * DQN, the int8 DQN, the int8 DQN restricted to pre-warm 0 (the no-pre-warm
 * policy of the cold-start goal), the oracle (true usage, hindsight
 * pre-warm) and the oracle without pre-warm. Prints a table, writes a CSV
 * and a PNG (gnuplot), checks the goals, and reports how often the
 * int8 and the float networks choose the same action on the held-out states
 * the float and the int8 policies visit.
 *
 * Not here: the policies themselves (libsim's baselines, libqnet's argmax).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "train.h"

extern char **environ;

struct dqn_ctx {
	const qnet_model *m;
	int int8;
	uint64_t keep;           /* actions this variant may take (no-pre-warm: prewarm 0) */
	size_t decisions, agree; /* int8 vs float argmax on the states this policy visits */
	size_t agree_size;       /* ... choosing the same size (count or pre-warm may differ) */
};

static int dqn_policy(void *ctx, const struct sim_decision *d, unsigned *action,
		      struct eph_err *err)
{
	struct dqn_ctx *c = ctx;
	uint64_t mask = d->mask & c->keep;
	unsigned f, i;
	int rc;

	if (mask == 0)
		mask = d->mask; /* never empty: the policy mask decides */
	rc = qnet_float_argmax(c->m, d->state, mask, &f, err);
	if (rc == 0)
		rc = qnet_int8_argmax(c->m, d->state, mask, &i, err);
	if (rc < 0)
		return rc;
	c->decisions++;
	c->agree += f == i;
	c->agree_size += qnet_model_action_at(c->m, f)->size == qnet_model_action_at(c->m, i)->size;
	*action = c->int8 ? i : f;
	return 0;
}

/* Actions of m with pre-warm 0. */
static uint64_t noprewarm_mask(const qnet_model *m)
{
	uint64_t k = 0;
	unsigned a;

	for (a = 0; a < qnet_model_num_actions(m); a++)
		if (qnet_model_action_at(m, a)->prewarm == 0)
			k |= 1ull << a;
	return k;
}

struct row {
	char name[32];
	sim_policy_fn fn;
	void *ctx;
	struct sim_report rep;
};

enum { R_STATIC, R_ASKED, R_VPA, R_VPA1, R_FLOAT, R_INT8, R_INT8NP, R_ORACLE, R_ORACLE0, R_N };

static size_t shortfall(const struct sim_report *r)
{
	return r->throttle_events + r->oom_events + r->rejections;
}

static int write_csv(const char *path, const struct row *rows, double oracle_cost,
		     struct eph_err *err)
{
	FILE *f = fopen(path, "w");
	int i;

	if (f == NULL)
		return eph_err_set(err, EPH_EIO, "cannot create %s: %s", path, strerror(errno));
	fprintf(f, "policy,decisions,cost_cu,cost_ratio_oracle,shortfall_events,throttle_events,"
		"oom_events,rejections,cold_starts,cold_s,mean_reward\n");
	for (i = 0; i < R_N; i++) {
		const struct sim_report *r = &rows[i].rep;

		fprintf(f, "%s,%zu,%.6f,%.6f,%zu,%zu,%zu,%zu,%zu,%.3f,%.8f\n", rows[i].name,
			r->decisions, r->cost, oracle_cost > 0 ? r->cost / oracle_cost : 0.0,
			shortfall(r), r->throttle_events, r->oom_events, r->rejections,
			r->cold_starts, r->cold_s, r->mean_reward);
	}
	if (fclose(f) != 0)
		return eph_err_set(err, EPH_EIO, "writing %s failed", path);
	return 0;
}

/* Three bar panels from the CSV: cost ratio, shortfall events, cold starts. */
static int plot(const char *csv, const char *png, const char *title, struct eph_err *err)
{
	char script[] = "/tmp/ephemera-train-plot-XXXXXX";
	char *argv[] = { "gnuplot", script, NULL };
	pid_t pid;
	FILE *f;
	int fd, st = 0, rc;

	fd = mkstemp(script);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return eph_err_set(err, EPH_EIO, "cannot create a gnuplot script: %s",
				   strerror(errno));
	}
	fprintf(f, "set terminal pngcairo size 1500,520 noenhanced\nset output '%s'\n"
		"set datafile separator ','\nset style data histograms\n"
		"set style fill solid 0.8 border -1\nset boxwidth 0.8\nset grid ytics\n"
		"set xtics rotate by -35 font ',9'\nset key off\nset yrange [0:*]\n"
		"set multiplot layout 1,3 title '%s'\n"
		"set title 'cost / oracle cost'\n"
		"plot '%s' every ::1 using 4:xtic(1) lc rgb '#4477aa'\n"
		"set title 'shortfall events (throttle + OOM + rejected)'\n"
		"plot '%s' every ::1 using 5:xtic(1) lc rgb '#cc6677'\n"
		"set title 'cold starts'\n"
		"plot '%s' every ::1 using 9:xtic(1) lc rgb '#228833'\n"
		"unset multiplot\n", png, title, csv, csv, csv);
	if (fclose(f) != 0) {
		unlink(script);
		return eph_err_set(err, EPH_EIO, "writing the gnuplot script failed");
	}
	rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (rc == 0 && waitpid(pid, &st, 0) < 0)
		rc = errno;
	unlink(script);
	if (rc != 0)
		return eph_err_set(err, EPH_EIO, "cannot run gnuplot (apt-get install gnuplot-nox): "
				   "%s", strerror(rc));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return eph_err_set(err, EPH_EIO, "gnuplot failed writing %s", png);
	return 0;
}

static double pct(size_t a, size_t n)
{
	return n ? 100.0 * (double)a / (double)n : 0.0;
}

static void report(const struct row *rows, const struct dqn_ctx *f32, const struct dqn_ctx *i8,
		   const char *trace, size_t n, const struct sim_config *cfg)
{
	double oc = rows[R_ORACLE].rep.cost, ratio;
	int i, ok_cost, ok_short, ok_cold;

	printf("# ephemera-train eval on %s: %zu held-out decisions\n", trace, n);
	printf("# lambda %g cu/shortfall unit, mu %g cu/cold s, warm TTL %g s, idle factor %g\n",
	       cfg->lambda, cfg->mu, cfg->warm_ttl_s, cfg->idle_factor);
	printf("# oracle = true usage of each request (cheapest size with no throttling and "
	       "no OOM) + HINDSIGHT pre-warm (keeps one warm when the class's next arrival, "
	       "known in advance, makes it cheaper than a cold start); oracle-noprewarm = the "
	       "same sizes, never pre-warms. vs_orcl divides by the oracle's cost.\n");
	printf("%-19s %12s %8s %10s %9s %6s %7s %8s %10s %12s\n", "policy", "cost_cu", "vs_orcl",
	       "shortfall", "throttle", "oom", "reject", "cold", "cold_s", "mean_reward");
	for (i = 0; i < R_N; i++) {
		const struct sim_report *r = &rows[i].rep;

		printf("%-19s %12.3f %8.3f %10zu %9zu %6zu %7zu %8zu %10.1f %12.5f\n",
		       rows[i].name, r->cost, oc > 0 ? r->cost / oc : 0.0, shortfall(r),
		       r->throttle_events, r->oom_events, r->rejections, r->cold_starts, r->cold_s,
		       r->mean_reward);
	}
	ratio = oc > 0 ? rows[R_INT8].rep.cost / oc : 0.0;
	ok_cost = ratio <= 1.10;
	ok_short = shortfall(&rows[R_INT8].rep) <= shortfall(&rows[R_VPA].rep);
	ok_cold = rows[R_INT8].rep.cold_starts < rows[R_INT8NP].rep.cold_starts;
	printf("# int8 vs float argmax agreement: %.2f%% of %zu held-out states the float "
	       "policy visits, %.2f%% of %zu the int8 policy visits; the same size: %.2f%%, "
	       "%.2f%%\n", pct(f32->agree, f32->decisions), f32->decisions,
	       pct(i8->agree, i8->decisions), i8->decisions, pct(f32->agree_size, f32->decisions),
	       pct(i8->agree_size, i8->decisions));
	printf("# goal: int8 cost within 10%% of oracle: %s (%.3f)\n", ok_cost ? "met" : "NOT met",
	       ratio);
	printf("# goal: int8 shortfall events <= vpa-p90: %s (%zu vs %zu)\n",
	       ok_short ? "met" : "NOT met", shortfall(&rows[R_INT8].rep),
	       shortfall(&rows[R_VPA].rep));
	printf("# goal: int8 cold starts < no-pre-warm (dqn-int8-noprewarm): %s (%zu vs %zu; "
	       "vpa-p90 %zu)\n", ok_cold ? "met" : "NOT met", rows[R_INT8].rep.cold_starts,
	       rows[R_INT8NP].rep.cold_starts, rows[R_VPA].rep.cold_starts);
}

int tr_cmd_eval(const struct tr_opts *o)
{
	struct tr_sim s;
	struct sim_norm norm;
	struct sim_static_ctx st = { o->static_size, 0 };
	struct sim_asked_ctx ask = { 0 };
	struct sim_vpa_ctx vpa0, vpa1;
	struct sim_oracle_ctx orh = { 1 }, or0 = { 0 };
	struct dqn_ctx fctx = { 0 }, ictx = { 0 }, npctx = { 0 };
	struct row rows[R_N];
	struct eph_err err = {{0}};
	const struct sim_trace *t = NULL;
	char title[256];
	sim_env *env = NULL;
	qnet_model *m = NULL;
	int i, rc, ret = TR_EXIT_FAIL;

	memset(&vpa0, 0, sizeof(vpa0));
	memset(&vpa1, 0, sizeof(vpa1));
	memset(&s, 0, sizeof(s));
	memset(rows, 0, sizeof(rows));
	if ((rc = qnet_model_load_file(&m, o->model, &err)) < 0 || (rc = tr_sim_load(&s, o, &err)) < 0)
		goto fail;
	if (!qnet_model_has_int8(m)) {
		rc = eph_err_set(&err, EPH_EVERIFY, "%s has no int8 network (ephemera-train "
				 "quantize)", o->model);
		goto fail;
	}
	t = s.held != NULL ? s.held : s.all;
	if ((rc = tr_sim_env(&env, &s, t, 0, &err)) < 0 || (rc = tr_check_actions(m, env, &err)) < 0 ||
	    (rc = sim_vpa_init(&vpa0, t->ncls, 0, &err)) < 0 ||
	    (rc = sim_vpa_init(&vpa1, t->ncls, 1, &err)) < 0)
		goto fail;
	tr_norm_to_sim(m, &norm);
	sim_env_set_norm(env, &norm);
	fctx.m = ictx.m = npctx.m = m;
	ictx.int8 = npctx.int8 = 1;
	fctx.keep = ictx.keep = UINT64_MAX;
	npctx.keep = noprewarm_mask(m);
	snprintf(rows[R_STATIC].name, sizeof(rows[0].name), "static-size%u", o->static_size);
	rows[R_STATIC].fn = sim_policy_static;
	rows[R_STATIC].ctx = &st;
	snprintf(rows[R_ASKED].name, sizeof(rows[0].name), "asked");
	rows[R_ASKED].fn = sim_policy_asked;
	rows[R_ASKED].ctx = &ask;
	snprintf(rows[R_VPA].name, sizeof(rows[0].name), "vpa-p90");
	rows[R_VPA].fn = sim_policy_vpa;
	rows[R_VPA].ctx = &vpa0;
	snprintf(rows[R_VPA1].name, sizeof(rows[0].name), "vpa-p90+prewarm1");
	rows[R_VPA1].fn = sim_policy_vpa;
	rows[R_VPA1].ctx = &vpa1;
	snprintf(rows[R_FLOAT].name, sizeof(rows[0].name), "dqn-float32");
	rows[R_FLOAT].fn = dqn_policy;
	rows[R_FLOAT].ctx = &fctx;
	snprintf(rows[R_INT8].name, sizeof(rows[0].name), "dqn-int8");
	rows[R_INT8].fn = dqn_policy;
	rows[R_INT8].ctx = &ictx;
	snprintf(rows[R_INT8NP].name, sizeof(rows[0].name), "dqn-int8-noprewarm");
	rows[R_INT8NP].fn = dqn_policy;
	rows[R_INT8NP].ctx = &npctx;
	snprintf(rows[R_ORACLE].name, sizeof(rows[0].name), "oracle");
	rows[R_ORACLE].fn = sim_policy_oracle;
	rows[R_ORACLE].ctx = &orh;
	snprintf(rows[R_ORACLE0].name, sizeof(rows[0].name), "oracle-noprewarm");
	rows[R_ORACLE0].fn = sim_policy_oracle;
	rows[R_ORACLE0].ctx = &or0;
	for (i = 0; i < R_N; i++) {
		sim_vpa_reset(&vpa0);
		sim_vpa_reset(&vpa1);
		rc = sim_evaluate(env, rows[i].fn, rows[i].ctx, o->seed, &rows[i].rep, &err);
		if (rc < 0) {
			eph_err_prefix(&err, rc, "policy %s", rows[i].name);
			goto fail;
		}
	}
	report(rows, &fctx, &ictx, s.name, rows[R_ORACLE].rep.decisions, &s.cfg);
	if (o->csv != NULL && (rc = write_csv(o->csv, rows, rows[R_ORACLE].rep.cost, &err)) < 0)
		goto fail;
	if (o->png != NULL) {
		snprintf(title, sizeof(title), "%s, held-out part: %zu decisions", s.name,
			 rows[R_ORACLE].rep.decisions);
		for (i = 0; title[i] != '\0'; i++)
			if (title[i] == '\'' || title[i] == '\\')
				title[i] = '_';
		rc = plot(o->csv, o->png, title, &err);
		if (rc < 0)
			goto fail;
	}
	ret = TR_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "ephemera-train: %s\n", err.msg);
	ret = tr_exit_for(rc);
out:
	sim_vpa_free(&vpa0);
	sim_vpa_free(&vpa1);
	sim_env_free(env);
	tr_sim_free(&s);
	qnet_model_free(m);
	return ret;
}
