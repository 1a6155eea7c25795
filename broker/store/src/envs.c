/*
 * envs.c - environments in the database: create, compare-and-set state
 * transitions with their append-only history, the driver handle recorded
 * before the driver acts, and reading them back (one, by state, the live
 * ones that reconciliation must check, the history).
 *
 * A transition is one transaction: the UPDATE carries `AND state = from`, so
 * of two writers moving the same environment the second finds nothing to
 * change and is told so (EPH_EVERIFY) instead of overwriting.
 *
 * Deliberately not here: the state machine itself (envstate.c) and acting
 * on states (lifecycle, drivers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-priv.h"

#define ENV_COLS                                                                       \
	"id, requester, attrs, policy, size, count, prewarm, driver, handle, state, "  \
	"ttl_s, reattest_s, created_at, updated_at"

static int env_row(struct store_env *e, sqlite3_stmt *s, struct eph_err *err)
{
	const char *id = store__col_text(s, 0);
	const char *state = store__col_text(s, 9);

	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", id != NULL ? id : "");
	e->requester = store__col_text(s, 1);
	e->attrs = store__col_text(s, 2);
	e->policy = store__col_text(s, 3);
	e->size = (unsigned)sqlite3_column_int64(s, 4);
	e->count = (unsigned)sqlite3_column_int64(s, 5);
	e->prewarm = (unsigned)sqlite3_column_int64(s, 6);
	e->driver = store__col_text(s, 7);
	e->handle = store__col_text(s, 8);
	e->ttl_s = sqlite3_column_int64(s, 10);
	e->reattest_s = sqlite3_column_int64(s, 11);
	e->created_at = sqlite3_column_int64(s, 12);
	e->updated_at = sqlite3_column_int64(s, 13);
	if (store_env_state_parse(&e->state, state) < 0)
		return eph_err_set(err, EPH_EFORMAT, "environment %s: unknown state '%s'", e->id,
				   state != NULL ? state : "(null)");
	return 0;
}

static int append_step(struct store *st, const char *id, const char *from, const char *to,
		       const char *reason, int64_t now, struct eph_err *err)
{
	struct store__q q;
	int rc;

	rc = store__q_prepare(&q, st,
			      "INSERT INTO env_transitions (env_id, at, from_state, to_state, "
			      "reason) VALUES (?, ?, ?, ?, ?)",
			      "recording a transition", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, id);
	store__q_int(&q, now);
	store__q_text(&q, from);
	store__q_text(&q, to);
	store__q_text(&q, reason != NULL ? reason : "");
	rc = store__q_exec(&q, err);
	store__q_finish(&q);
	return rc;
}

int store_env_create(char id[STORE_ID_SIZE], store *st, const struct store_env *e,
		     struct eph_err *err)
{
	static const char what[] = "creating an environment";
	struct store__q q;
	int rc;

	id[0] = '\0';
	rc = store__need(e->requester, "requester", what, err);
	if (rc == 0)
		rc = store__need(e->driver, "driver", what, err);
	if (rc == 0)
		rc = store__json_check(st, e->attrs, "environment attributes", err);
	if (rc == 0)
		rc = store__json_check(st, e->policy, "environment policy", err);
	if (rc < 0)
		return rc;
	rc = store__uuid(id, err);
	if (rc < 0)
		return rc;
	rc = store__begin(st, err);
	if (rc < 0)
		goto out;
	rc = store__q_prepare(&q, st,
			      "INSERT INTO environments (id, requester, attrs, policy, size, count, "
			      "prewarm, driver, state, ttl_s, reattest_s, created_at, updated_at) "
			      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?)",
			      what, err);
	if (rc == 0) {
		store__q_text(&q, id);
		store__q_text(&q, e->requester);
		store__q_text(&q, e->attrs);
		store__q_text(&q, e->policy);
		store__q_int(&q, e->size);
		store__q_int(&q, e->count);
		store__q_int(&q, e->prewarm);
		store__q_text(&q, e->driver);
		store__q_int(&q, e->ttl_s);
		store__q_int(&q, e->reattest_s);
		store__q_int(&q, e->created_at);
		store__q_int(&q, e->created_at);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0)
		rc = append_step(st, id, NULL, "requested", "created", e->created_at, err);
	if (rc == 0)
		rc = store__commit(st, err);
	else
		store__rollback(st);
out:
	if (rc < 0)
		id[0] = '\0';
	return rc;
}

/* The environment's state now, for the message of a refused transition. */
static int current_state(const char **name, struct store__q *q, struct store *st, const char *id,
			 struct eph_err *err)
{
	int rc;

	*name = NULL;
	rc = store__q_prepare(q, st, "SELECT state FROM environments WHERE id = ?",
			      "reading a state", err);
	if (rc < 0)
		return rc;
	store__q_text(q, id);
	rc = store__q_step(q, err);
	if (rc == 0)
		return eph_err_set(err, EPH_ENOTFOUND, "environment %s does not exist", id);
	if (rc > 0) {
		*name = store__col_text(q->stmt, 0);
		rc = 0;
	}
	return rc;
}

int store_env_transition(store *st, const char *id, enum store_env_state from,
			 enum store_env_state to, const char *reason, int64_t now,
			 struct eph_err *err)
{
	static const char what[] = "changing an environment's state";
	const char *fname = store_env_state_name(from);
	const char *tname = store_env_state_name(to);
	const char *cur;
	struct store__q q;
	int rc;

	if (id == NULL || fname == NULL || tname == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: bad id or state", what);
	if (!store_env_transition_allowed(from, to))
		return eph_err_set(err, EPH_EPOLICY, "environment %s: illegal transition %s -> %s",
				   id, fname, tname);
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st,
			      "UPDATE environments SET state = ?, updated_at = ? "
			      "WHERE id = ? AND state = ?",
			      what, err);
	if (rc == 0) {
		store__q_text(&q, tname);
		store__q_int(&q, now);
		store__q_text(&q, id);
		store__q_text(&q, fname);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0 && sqlite3_changes(st->db) != 1) {
		rc = current_state(&cur, &q, st, id, err);
		if (rc == 0)
			rc = eph_err_set(err, EPH_EVERIFY,
					 "environment %s is '%s', not '%s': changed concurrently",
					 id, cur != NULL ? cur : "?", fname);
		store__q_finish(&q);
	}
	if (rc == 0)
		rc = append_step(st, id, fname, tname, reason, now, err);
	if (rc == 0)
		return store__commit(st, err);
	store__rollback(st);
	return rc;
}

int store_env_set_handle(store *st, const char *id, const char *handle, int64_t now,
			 struct eph_err *err)
{
	static const char what[] = "recording a driver handle";
	enum store_env_state s = STORE_ENV_FAILED;
	const char *cur;
	struct store__q q;
	int rc;

	if (id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: no id", what);
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = current_state(&cur, &q, st, id, err);
	if (rc == 0 && store_env_state_parse(&s, cur) < 0)
		rc = eph_err_set(err, EPH_EFORMAT, "environment %s: unknown state", id);
	store__q_finish(&q);
	if (rc == 0 && store_env_state_terminal(s))
		rc = eph_err_set(err, EPH_EPOLICY, "%s: environment %s is %s", what, id,
				 store_env_state_name(s));
	if (rc == 0)
		rc = store__q_prepare(&q, st,
				      "UPDATE environments SET handle = ?, updated_at = ? "
				      "WHERE id = ?",
				      what, err);
	if (rc == 0) {
		store__q_text(&q, handle);
		store__q_int(&q, now);
		store__q_text(&q, id);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0)
		return store__commit(st, err);
	store__rollback(st);
	return rc;
}

static struct store_env *env_copy(const struct store_env *e)
{
	struct store_env *c;
	struct store__pack pk;
	size_t n;

	n = store__pack_size(e->requester) + store__pack_size(e->attrs) +
	    store__pack_size(e->policy) + store__pack_size(e->driver) +
	    store__pack_size(e->handle);
	c = calloc(1, sizeof(*c) + n);
	if (c == NULL)
		return NULL;
	*c = *e;
	pk.p = (uint8_t *)(c + 1);
	pk.left = n;
	c->requester = store__pack_str(&pk, e->requester);
	c->attrs = store__pack_str(&pk, e->attrs);
	c->policy = store__pack_str(&pk, e->policy);
	c->driver = store__pack_str(&pk, e->driver);
	c->handle = store__pack_str(&pk, e->handle);
	return c;
}

int store_env_get(struct store_env **out, store *st, const char *id, struct eph_err *err)
{
	struct store_env e;
	struct store__q q;
	int rc;

	*out = NULL;
	if (id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "reading an environment: no id");
	rc = store__q_prepare(&q, st, "SELECT " ENV_COLS " FROM environments WHERE id = ?",
			      "reading an environment", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, id);
	rc = store__q_step(&q, err);
	if (rc == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "environment %s does not exist", id);
	if (rc > 0)
		rc = env_row(&e, q.stmt, err);
	if (rc == 0) {
		*out = env_copy(&e);
		if (*out == NULL)
			rc = eph_err_set(err, EPH_ENOMEM, "reading an environment: out of memory");
	}
	store__q_finish(&q);
	return rc;
}

void store_env_free(struct store_env *e)
{
	free(e);
}

static int env_iterate(struct store__q *q, store_env_cb cb, void *ctx, struct eph_err *err)
{
	struct store_env e;
	int rc;

	while ((rc = store__q_step(q, err)) > 0) {
		rc = env_row(&e, q->stmt, err);
		if (rc == 0)
			rc = cb(&e, ctx);
		if (rc != 0)
			break;
	}
	store__q_finish(q);
	return rc;
}

int store_env_foreach(store *st, int state, store_env_cb cb, void *ctx, struct eph_err *err)
{
	const char *name = NULL;
	struct store__q q;
	int rc;

	if (state != STORE_ENV_ANY) {
		name = store_env_state_name((enum store_env_state)state);
		if (name == NULL)
			return eph_err_set(err, EPH_EFORMAT, "listing environments: bad state %d",
					   state);
	}
	rc = store__q_prepare(&q, st,
			      "SELECT " ENV_COLS " FROM environments "
			      "WHERE ?1 IS NULL OR state = ?1 ORDER BY created_at, id",
			      "listing environments", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, name);
	return env_iterate(&q, cb, ctx, err);
}

int store_env_foreach_live(store *st, store_env_cb cb, void *ctx, struct eph_err *err)
{
	struct store__q q;
	int rc;

	rc = store__q_prepare(&q, st,
			      "SELECT " ENV_COLS " FROM environments "
			      "WHERE state NOT IN ('destroyed', 'failed') ORDER BY created_at, id",
			      "listing live environments", err);
	if (rc < 0)
		return rc;
	return env_iterate(&q, cb, ctx, err);
}

int store_env_history_foreach(store *st, const char *id, store_env_step_cb cb, void *ctx,
			      struct eph_err *err)
{
	struct store_env_step s;
	struct store__q q;
	const char *from, *to;
	int rc;

	if (id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "environment history: no id");
	rc = store__q_prepare(&q, st,
			      "SELECT at, from_state, to_state, reason FROM env_transitions "
			      "WHERE env_id = ? ORDER BY id",
			      "environment history", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, id);
	while ((rc = store__q_step(&q, err)) > 0) {
		memset(&s, 0, sizeof(s));
		s.at = sqlite3_column_int64(q.stmt, 0);
		from = store__col_text(q.stmt, 1);
		to = store__col_text(q.stmt, 2);
		s.reason = store__col_text(q.stmt, 3);
		s.has_from = from != NULL;
		if ((from != NULL && store_env_state_parse(&s.from, from) < 0) ||
		    store_env_state_parse(&s.to, to) < 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "environment %s: unknown state in history",
					 id);
			break;
		}
		rc = cb(&s, ctx);
		if (rc != 0)
			break;
	}
	store__q_finish(&q);
	return rc;
}
