/*
 * tick.c - the periodic pass over live environments (TTL, re-attestation
 * deadlines, completion) and reconciliation of the store against the
 * driver on start.
 *
 * Both first copy what they need of the live environments (a foreach
 * callback must not write the table it reads), then act on each, re-reading
 * it through the compare-and-set transitions.
 *
 * Deliberately not here: the steps themselves (lifecycle.c, end.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle-priv.h"

struct live {
	char id[STORE_ID_SIZE];
	char handle[DRIVER_HANDLE_MAX];
	enum store_env_state state;
	int64_t ttl_s;
	int64_t reattest_s;
	int64_t created_at;
};

struct live_list {
	struct live *v;
	size_t n, cap;
	int oom;
};

static int live_cb(const struct store_env *e, void *ctx)
{
	struct live_list *l = ctx;
	struct live *x;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct live *v = reallocarray(l->v, cap, sizeof(*v));

		if (v == NULL) {
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", e->id);
	if (e->handle != NULL)
		snprintf(x->handle, sizeof(x->handle), "%s", e->handle);
	x->state = e->state;
	x->ttl_s = e->ttl_s;
	x->reattest_s = e->reattest_s;
	x->created_at = e->created_at;
	return 0;
}

static int live_collect(struct live_list *l, lifecycle *lc, struct eph_err *err)
{
	int rc;

	memset(l, 0, sizeof(*l));
	rc = store_env_foreach_live(lc->st, live_cb, l, err);
	if (l->oom) {
		free(l->v);
		l->v = NULL;
		return eph_err_set(err, EPH_ENOMEM, "lifecycle: out of memory listing environments");
	}
	if (rc < 0) {
		free(l->v);
		l->v = NULL;
	}
	return rc;
}

static void keep_first(int *first, struct eph_err *err, int rc, const struct eph_err *e)
{
	if (rc < 0 && *first == 0) {
		*first = rc;
		if (err != NULL)
			*err = *e;
	}
}

static int attests(enum store_env_state s)
{
	return s == STORE_ENV_ATTESTING || s == STORE_ENV_RUNNING || s == STORE_ENV_REATTESTING;
}

/* One environment's checks; *ended set when it was ended. */
static int tick_one(lifecycle *lc, const struct live *x, int64_t now, int *ended,
		    struct eph_err *err)
{
	struct lifecycle__times t;
	struct driver_stats ds;
	int64_t base, deadline;
	int rc;

	*ended = 0;
	if (x->state == STORE_ENV_PROVISIONING || x->state == STORE_ENV_DRAINING)
		return 0; /* half-done: reconciliation's job */
	if (x->ttl_s > 0 && now >= x->created_at + x->ttl_s) {
		*ended = 1;
		return lifecycle__end(lc, x->id, "ttl", STORE_ENV_DESTROYED, now, err);
	}
	if (!attests(x->state))
		return 0;
	if (x->reattest_s > 0) {
		rc = lifecycle__times(&t, lc, x->id, err);
		if (rc < 0)
			return rc;
		base = x->state == STORE_ENV_ATTESTING ? t.last_attesting : t.last_running;
		deadline = base + x->reattest_s;
		/* the first attestation waits for a boot (a VM under TCG takes
		 * seconds to reach its agent): at least boot_s after the start */
		if (x->state == STORE_ENV_ATTESTING && deadline < base + lc->cfg.boot_s)
			deadline = base + lc->cfg.boot_s;
		if (now > deadline + lc->cfg.grace_s) {
			*ended = 1;
			return lifecycle__end(lc, x->id, "missed re-attestation",
					      STORE_ENV_DESTROYED, now, err);
		}
		if (x->state == STORE_ENV_RUNNING && now >= deadline) {
			rc = store_env_transition(lc->st, x->id, STORE_ENV_RUNNING,
						  STORE_ENV_REATTESTING, "re-attestation due", now,
						  err);
			if (rc < 0)
				return rc;
		}
	}
	if (x->handle[0] != '\0') {
		rc = driver_stats(lc->drv, &ds, x->handle, err);
		if (rc < 0)
			return rc;
		if (!ds.running) {
			*ended = 1;
			return lifecycle__end(lc, x->id, "completed", STORE_ENV_DESTROYED, now, err);
		}
	}
	return 0;
}

int lifecycle_tick(lifecycle *lc, int64_t now, unsigned *ended, struct eph_err *err)
{
	struct live_list l;
	struct eph_err e = { { 0 } };
	size_t i;
	int rc, first = 0, gone;
	unsigned count = 0;

	if (ended != NULL)
		*ended = 0;
	rc = live_collect(&l, lc, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < l.n; i++) {
		rc = tick_one(lc, &l.v[i], now, &gone, &e);
		if (rc < 0)
			eph_err_prefix(&e, rc, "environment %s", l.v[i].id);
		keep_first(&first, err, rc, &e);
		if (rc == 0 && gone)
			count++;
	}
	free(l.v);
	if (ended != NULL)
		*ended = count;
	return first;
}

static int listed(const struct driver_entry *v, size_t n, const char *env_id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].env_id, env_id) == 0)
			return 1;
	return 0;
}

/* One live environment against the driver's list. */
static int reconcile_one(lifecycle *lc, const struct live *x, const struct driver_entry *v,
			 size_t n, int64_t now, struct lifecycle_reconcile_report *rep,
			 struct eph_err *err)
{
	struct lifecycle__times t;
	int rc;

	switch (x->state) {
	case STORE_ENV_PROVISIONING:
		rc = lifecycle__end(lc, x->id,
				    x->handle[0] != '\0'
					    ? "reconcile: provisioning interrupted"
					    : "reconcile: provisioning interrupted before the handle",
				    STORE_ENV_FAILED, now, err);
		if (rc == 0)
			rep->failed++;
		return rc;
	case STORE_ENV_ATTESTING:
	case STORE_ENV_RUNNING:
	case STORE_ENV_REATTESTING:
		if (x->handle[0] != '\0' && listed(v, n, x->id))
			return 0;
		rc = lifecycle__end(lc, x->id, "lost", STORE_ENV_FAILED, now, err);
		if (rc == 0)
			rep->failed++;
		return rc;
	case STORE_ENV_DRAINING:
		rc = lifecycle__times(&t, lc, x->id, err);
		if (rc < 0)
			return rc;
		rc = lifecycle__end(lc, x->id, t.last_reason[0] ? t.last_reason : "reconcile",
				    STORE_ENV_DESTROYED, now, err);
		if (rc == 0)
			rep->finished++;
		return rc;
	default:
		return 0; /* requested, admitted: nothing exists yet */
	}
}

/* A driver entry with no live environment: destroy it and say so. */
static int destroy_unowned(lifecycle *lc, const struct driver_entry *d, int64_t now,
			   struct lifecycle_reconcile_report *rep, struct eph_err *err)
{
	struct store_env *e = NULL;
	struct store_audit a = { 0 };
	struct eph_err ge = { { 0 } };
	int rc, live;

	if (lc->cfg.in_scope != NULL && !lc->cfg.in_scope(d->env_id, lc->cfg.scope_ctx))
		return 0;
	rc = store_env_get(&e, lc->st, d->env_id, &ge);
	if (rc < 0 && rc != EPH_ENOTFOUND) {
		*err = ge;
		return rc;
	}
	live = rc == 0 && !store_env_state_terminal(e->state);
	store_env_free(e);
	if (live)
		return 0;
	rc = driver_destroy(lc->drv, d->handle, err);
	if (rc < 0)
		return rc;
	rep->not_owned++;
	a.at = now;
	a.actor = "broker";
	a.action = "env.reconcile";
	a.object = d->env_id;
	a.detail = "destroyed: not owned";
	return store_audit_append(NULL, lc->st, &a, err);
}

int lifecycle_reconcile(lifecycle *lc, int64_t now, struct lifecycle_reconcile_report *rep,
			struct eph_err *err)
{
	struct lifecycle_reconcile_report local = { 0 };
	struct driver_entry *v = NULL;
	struct live_list l = { 0 };
	struct eph_err e = { { 0 } };
	size_t n = 0, i;
	int rc, first = 0;

	if (rep == NULL)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	rc = driver_list(lc->drv, &v, &n, err);
	if (rc < 0)
		return rc;
	rc = live_collect(&l, lc, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		rc = reconcile_one(lc, &l.v[i], v, n, now, rep, &e);
		if (rc < 0)
			eph_err_prefix(&e, rc, "reconciling %s", l.v[i].id);
		keep_first(&first, err, rc, &e);
	}
	/* Again: the pass above destroyed some; what is left is not owned. */
	free(v);
	v = NULL;
	n = 0;
	rc = driver_list(lc->drv, &v, &n, &e);
	keep_first(&first, err, rc, &e);
	for (i = 0; i < n; i++) {
		rc = destroy_unowned(lc, &v[i], now, rep, &e);
		if (rc < 0)
			eph_err_prefix(&e, rc, "reconciling driver entry %s", v[i].env_id);
		keep_first(&first, err, rc, &e);
	}
	rc = first;
out:
	free(l.v);
	free(v);
	return rc;
}
