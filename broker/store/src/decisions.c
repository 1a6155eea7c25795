/*
 * decisions.c - the Q-network's decisions and their observed outcomes, and
 * exporting them as RL transitions (s, a, r, s', mask', done) for offline
 * training.
 *
 * The state vector is stored as 32 IEEE-754 binary32 values, little-endian
 * (128 bytes), whatever the host. A transition's successor is the next
 * decision of the same class in (at, id) order, found with the LEAD() window
 * function in one query.
 *
 * Deliberately not here: computing rewards or features, and training.
 */
#include <math.h>
#include <string.h>

#include "store-priv.h"

#define STATE_BYTES (STORE_STATE_DIM * 4)

static void state_encode(uint8_t out[STATE_BYTES], const float *v)
{
	uint32_t u;
	unsigned i;

	for (i = 0; i < STORE_STATE_DIM; i++) {
		memcpy(&u, &v[i], sizeof(u));
		out[4 * i] = (uint8_t)u;
		out[4 * i + 1] = (uint8_t)(u >> 8);
		out[4 * i + 2] = (uint8_t)(u >> 16);
		out[4 * i + 3] = (uint8_t)(u >> 24);
	}
}

static int state_decode(float *v, struct store_blob b)
{
	uint32_t u;
	unsigned i;

	if (b.len != STATE_BYTES)
		return -1;
	for (i = 0; i < STORE_STATE_DIM; i++) {
		u = (uint32_t)b.p[4 * i] | (uint32_t)b.p[4 * i + 1] << 8 |
		    (uint32_t)b.p[4 * i + 2] << 16 | (uint32_t)b.p[4 * i + 3] << 24;
		memcpy(&v[i], &u, sizeof(u));
	}
	return 0;
}

int store_decision_record(int64_t *id, store *st, const struct store_decision *d,
			  struct eph_err *err)
{
	static const char what[] = "recording a decision";
	uint8_t state[STATE_BYTES];
	struct store__q q;
	int rc;

	if (id != NULL)
		*id = 0;
	rc = store__need(d->class, "class", what, err);
	if (rc < 0)
		return rc;
	if (d->action >= 64)
		return eph_err_set(err, EPH_EFORMAT, "%s: action %u out of range", what, d->action);
	rc = store__json_check(st, d->policy, "decision policy", err);
	if (rc < 0)
		return rc;
	state_encode(state, d->state);
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st,
			      "INSERT INTO decisions (env_id, class, at, state, action, mask, "
			      "policy, model_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			      what, err);
	if (rc == 0) {
		store__q_text(&q, d->env_id);
		store__q_text(&q, d->class);
		store__q_int(&q, d->at);
		store__q_blob(&q, state, sizeof(state));
		store__q_int(&q, d->action);
		store__q_int(&q, (int64_t)d->mask);
		store__q_text(&q, d->policy);
		store__q_blob(&q, d->model_hash.p, d->model_hash.len);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	if (rc == 0)
		return store__commit(st, err);
	store__rollback(st);
	if (id != NULL)
		*id = 0;
	return rc;
}

int store_decision_outcome(store *st, int64_t decision_id, const struct store_outcome *o,
			   struct eph_err *err)
{
	static const char what[] = "recording an outcome";
	struct store__q q;
	int rc;

	if (!isfinite(o->reward))
		return eph_err_set(err, EPH_EFORMAT, "%s: reward is not a finite number", what);
	rc = store__json_check(st, o->usage, "observed usage", err);
	if (rc < 0)
		return rc;
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st,
			      "SELECT (SELECT count(*) FROM decisions WHERE id = ?1), "
			      "(SELECT count(*) FROM outcomes WHERE decision_id = ?1)",
			      what, err);
	if (rc == 0) {
		store__q_int(&q, decision_id);
		rc = store__q_step(&q, err);
		if (rc > 0 && sqlite3_column_int(q.stmt, 0) == 0)
			rc = eph_err_set(err, EPH_ENOTFOUND, "%s: no decision %lld", what,
					 (long long)decision_id);
		else if (rc > 0 && sqlite3_column_int(q.stmt, 1) != 0)
			rc = eph_err_set(err, EPH_EPOLICY, "%s: decision %lld already has one",
					 what, (long long)decision_id);
		else if (rc > 0)
			rc = 0;
		store__q_finish(&q);
	}
	if (rc == 0)
		rc = store__q_prepare(&q, st,
				      "INSERT INTO outcomes (decision_id, at, reward, usage, done) "
				      "VALUES (?, ?, ?, ?, ?)",
				      what, err);
	if (rc == 0) {
		store__q_int(&q, decision_id);
		store__q_int(&q, o->at);
		store__q_real(&q, o->reward);
		store__q_text(&q, o->usage);
		store__q_int(&q, o->done ? 1 : 0);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0)
		return store__commit(st, err);
	store__rollback(st);
	return rc;
}

int store_decisions_foreach(store *st, store_transition_cb cb, void *ctx, struct eph_err *err)
{
	static const char what[] = "exporting transitions";
	struct store_transition t;
	struct store__q q;
	int rc;

	rc = store__q_prepare(
		&q, st,
		"SELECT d.id, d.class, d.env_id, d.at, d.state, d.action, d.mask, o.reward, "
		"n.state, n.mask, o.done, d.policy, d.model_hash, o.usage "
		"FROM (SELECT *, lead(id) OVER (PARTITION BY class ORDER BY at, id) AS next_id "
		"      FROM decisions) AS d "
		"JOIN outcomes AS o ON o.decision_id = d.id "
		"LEFT JOIN decisions AS n ON n.id = d.next_id "
		"WHERE o.done = 1 OR d.next_id IS NOT NULL "
		"ORDER BY d.class, d.at, d.id",
		what, err);
	if (rc < 0)
		return rc;
	while ((rc = store__q_step(&q, err)) > 0) {
		memset(&t, 0, sizeof(t));
		t.decision_id = sqlite3_column_int64(q.stmt, 0);
		t.class = store__col_text(q.stmt, 1);
		t.env_id = store__col_text(q.stmt, 2);
		t.at = sqlite3_column_int64(q.stmt, 3);
		t.a = (unsigned)sqlite3_column_int64(q.stmt, 5);
		t.mask = (uint64_t)sqlite3_column_int64(q.stmt, 6);
		t.r = (float)sqlite3_column_double(q.stmt, 7);
		t.done = sqlite3_column_int(q.stmt, 10);
		t.policy = store__col_text(q.stmt, 11);
		t.model_hash = store__col_blob(q.stmt, 12);
		t.usage = store__col_text(q.stmt, 13);
		if (state_decode(t.s, store__col_blob(q.stmt, 4)) < 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: decision %lld: bad state vector",
					 what, (long long)t.decision_id);
			break;
		}
		if (!t.done) {
			if (state_decode(t.s_next, store__col_blob(q.stmt, 8)) < 0) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "%s: decision after %lld: bad state vector", what,
						 (long long)t.decision_id);
				break;
			}
			t.mask_next = (uint64_t)sqlite3_column_int64(q.stmt, 9);
		}
		rc = cb(&t, ctx);
		if (rc != 0)
			break;
	}
	store__q_finish(&q);
	return rc;
}

int store_class_outcomes(store *st, const char *class, unsigned limit,
			 store_class_outcome_cb cb, void *ctx, struct eph_err *err)
{
	static const char what[] = "reading a class's outcomes";
	struct store_class_outcome o;
	struct store__q q;
	int rc;

	rc = store__q_prepare(&q, st,
			      "SELECT d.id, o.at, o.usage, e.attrs FROM decisions AS d "
			      "JOIN outcomes AS o ON o.decision_id = d.id "
			      "LEFT JOIN environments AS e ON e.id = d.env_id "
			      "WHERE d.class = ? ORDER BY d.at DESC, d.id DESC LIMIT ?",
			      what, err);
	if (rc < 0)
		return rc;
	store__q_text(&q, class);
	store__q_int(&q, (int64_t)limit);
	while ((rc = store__q_step(&q, err)) > 0) {
		memset(&o, 0, sizeof(o));
		o.decision_id = sqlite3_column_int64(q.stmt, 0);
		o.at = sqlite3_column_int64(q.stmt, 1);
		o.usage = store__col_text(q.stmt, 2);
		o.env_attrs = store__col_text(q.stmt, 3);
		rc = cb(&o, ctx);
		if (rc != 0)
			break;
	}
	store__q_finish(&q);
	return rc;
}
