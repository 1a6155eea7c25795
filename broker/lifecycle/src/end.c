/*
 * end.c - ending an environment: draining written, usage read, driver
 * destroy, destroyed (or failed) written together with the reward of the
 * decision that created it.
 *
 * The reward has the meaning of broker/sim's: r = -cost - lambda*shortfall
 * - mu*cold_s, in cost units, here from what was observed:
 *   cost      cost_vcpu_s * CPU-seconds used
 *             + cost_gib_s * memory peak (GiB) * lifetime (s)
 *   shortfall oom_weight * OOM kills
 *   cold_s    provisioning -> first running; the whole lifetime if it never
 *             ran (the requester waited and got nothing)
 * The usage JSON stored with the outcome carries every input. done is 0:
 * an environment ending does not end its class's episode.
 *
 * The creating decision is found through the audit entry "env.decision"
 * that lifecycle_provision() writes (the store has no lookup of decisions
 * by environment).
 *
 * Deliberately not here: deciding when to end (tick.c, lifecycle.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle-priv.h"

static int times_cb(const struct store_env_step *s, void *ctx)
{
	struct lifecycle__times *t = ctx;

	if (s->to == STORE_ENV_PROVISIONING && t->provisioning == 0)
		t->provisioning = s->at;
	if (s->to == STORE_ENV_RUNNING) {
		if (t->first_running == 0)
			t->first_running = s->at;
		t->last_running = s->at;
	}
	if (s->to == STORE_ENV_ATTESTING)
		t->last_attesting = s->at;
	snprintf(t->last_reason, sizeof(t->last_reason), "%s", s->reason ? s->reason : "");
	return 0;
}

int lifecycle__times(struct lifecycle__times *t, lifecycle *lc, const char *env_id,
		     struct eph_err *err)
{
	memset(t, 0, sizeof(*t));
	return store_env_history_foreach(lc->st, env_id, times_cb, t, err);
}

struct decision_find {
	int64_t id;
};

static int decision_cb(const struct store_audit *a, void *ctx)
{
	struct decision_find *f = ctx;
	char *end = NULL;
	long long v;

	if (a->action == NULL || strcmp(a->action, LIFECYCLE__DECISION_ACTION) != 0 ||
	    a->detail == NULL)
		return 0;
	errno = 0;
	v = strtoll(a->detail, &end, 10);
	if (errno == 0 && end != a->detail && *end == '\0' && v > 0)
		f->id = v;
	return 0;
}

int lifecycle__decision(int64_t *id, lifecycle *lc, const char *env_id, struct eph_err *err)
{
	struct decision_find f = { 0 };
	int rc;

	*id = 0;
	rc = store_audit_foreach(lc->st, env_id, 0, decision_cb, &f, err);
	if (rc < 0)
		return rc;
	*id = f.id;
	return 0;
}

int lifecycle__destroy_by_id(lifecycle *lc, const char *env_id, struct eph_err *err)
{
	struct driver_entry *v = NULL;
	size_t n = 0, i;
	int rc, first = 0;

	rc = driver_list(lc->drv, &v, &n, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].env_id, env_id) != 0)
			continue;
		rc = driver_destroy(lc->drv, v[i].handle, err);
		if (rc < 0 && first == 0)
			first = rc;
	}
	free(v);
	return first;
}

/* JSON string body: escape quotes, backslashes and control bytes. */
static void json_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

struct usage {
	int have_stats;
	struct driver_stats st;
};

/* The outcome of the creating decision, inside the caller's transaction. */
static int record_outcome(lifecycle *lc, const struct store_env *e, const struct usage *u,
			  enum store_env_state final, const char *reason, int64_t now,
			  struct eph_err *err)
{
	struct lifecycle__times t;
	struct store_outcome o = { 0 };
	char usage[1024], why[300];
	double cpu_s, gib, wall_s, cold_s, cost, shortfall;
	int64_t decision = 0, start;
	int rc, n;

	rc = lifecycle__decision(&decision, lc, e->id, err);
	if (rc < 0 || decision == 0)
		return rc;
	rc = lifecycle__times(&t, lc, e->id, err);
	if (rc < 0)
		return rc;
	start = t.provisioning != 0 ? t.provisioning : e->created_at;
	wall_s = now > start ? (double)(now - start) : 0.0;
	cold_s = t.first_running != 0 ? (double)(t.first_running - start) : wall_s;
	if (cold_s < 0)
		cold_s = 0;
	cpu_s = u->have_stats ? (double)u->st.cpu_usage_ns / 1e9 : 0.0;
	gib = u->have_stats ? (double)u->st.mem_peak_bytes / (1024.0 * 1024.0 * 1024.0) : 0.0;
	cost = lc->cfg.cost_vcpu_s * cpu_s + lc->cfg.cost_gib_s * gib * wall_s;
	shortfall = lc->cfg.oom_weight * (double)(u->have_stats ? u->st.oom_events : 0);

	json_escape(why, sizeof(why), reason);
	n = snprintf(usage, sizeof(usage),
		     "{\"end\":\"%s\",\"reason\":\"%s\",\"stats\":%s,\"cpu_s\":%.6f,"
		     "\"mem_peak_bytes\":%llu,\"oom_events\":%llu,\"wall_s\":%.0f,"
		     "\"cold_s\":%.0f,\"cost\":%.9g,\"shortfall\":%.9g}",
		     store_env_state_name(final), why, u->have_stats ? "true" : "false", cpu_s,
		     (unsigned long long)(u->have_stats ? u->st.mem_peak_bytes : 0),
		     (unsigned long long)(u->have_stats ? u->st.oom_events : 0), wall_s, cold_s,
		     cost, shortfall);
	if (n < 0 || (size_t)n >= sizeof(usage))
		return eph_err_set(err, EPH_EFAIL, "outcome of %s: usage too long", e->id);
	o.at = now;
	o.reward = (float)(-cost - lc->cfg.lambda * shortfall - lc->cfg.mu * cold_s);
	o.usage = usage;
	o.done = 0;
	rc = store_decision_outcome(lc->st, decision, &o, err);
	if (rc == EPH_EPOLICY)
		rc = 0; /* already recorded: an end finished twice after a crash */
	return rc;
}

/* Last step and outcome, together. */
static int write_end(lifecycle *lc, const struct store_env *e, enum store_env_state from,
		     enum store_env_state final, const char *reason, const struct usage *u,
		     int64_t now, struct eph_err *err)
{
	int rc;

	rc = store_tx_begin(lc->st, err);
	if (rc < 0)
		return rc;
	rc = store_env_transition(lc->st, e->id, from, final, reason, now, err);
	if (rc == 0)
		rc = record_outcome(lc, e, u, final, reason, now, err);
	if (rc < 0) {
		store_tx_rollback(lc->st);
		return rc;
	}
	return store_tx_commit(lc->st, err);
}

int lifecycle__end(lifecycle *lc, const char *env_id, const char *reason,
		   enum store_env_state final, int64_t now, struct eph_err *err)
{
	struct store_env *e = NULL;
	struct usage u = { 0 };
	struct eph_err de = { { 0 } };
	char why[EPH_ERR_MSG_MAX + 64];
	int rc;

	rc = store_env_get(&e, lc->st, env_id, err);
	if (rc < 0)
		return rc;
	if (store_env_state_terminal(e->state)) {
		rc = eph_err_set(err, EPH_EVERIFY, "ending %s: already %s", env_id,
				 store_env_state_name(e->state));
		goto out;
	}
	if (e->state == STORE_ENV_REQUESTED || e->state == STORE_ENV_ADMITTED) {
		/* Nothing exists yet: no draining (and no failed -> destroyed). */
		rc = write_end(lc, e, e->state, final, reason, &u, now, err);
		goto out;
	}
	if (e->state != STORE_ENV_DRAINING) {
		rc = store_env_transition(lc->st, env_id, e->state, STORE_ENV_DRAINING, reason,
					  now, err);
		if (rc < 0)
			goto out;
	}

	if (e->handle != NULL && e->handle[0] != '\0') {
		if (driver_stats(lc->drv, &u.st, e->handle, &de) == 0)
			u.have_stats = 1;
		rc = driver_destroy(lc->drv, e->handle, &de);
	} else {
		rc = lifecycle__destroy_by_id(lc, env_id, &de);
	}
	if (rc < 0) {
		/* Still recorded; reconciliation will find what is left. */
		final = STORE_ENV_FAILED;
		snprintf(why, sizeof(why), "%s; destroy failed: %s", reason, de.msg);
		reason = why;
	}
	rc = write_end(lc, e, STORE_ENV_DRAINING, final, reason, &u, now, err);
out:
	store_env_free(e);
	return rc;
}
