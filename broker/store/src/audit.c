/*
 * audit.c - the append-only audit log: append, and read back by object and
 * time.
 *
 * Append-only is enforced by the database (BEFORE UPDATE / DELETE triggers
 * that RAISE(ABORT), migration 1), so no code path, ours or a later one, can
 * rewrite history through SQLite. Ids come from AUTOINCREMENT: increasing,
 * never reused.
 *
 * Deliberately not here: tamper evidence (hash chaining, signing) against
 * someone who can write the database file; deciding what to audit.
 */
#include <string.h>

#include "store-priv.h"

int store_audit_append(int64_t *id, store *st, const struct store_audit *a, struct eph_err *err)
{
	static const char what[] = "appending to the audit log";
	struct store__q q;
	int rc;

	if (id != NULL)
		*id = 0;
	rc = store__need(a->actor, "actor", what, err);
	if (rc == 0)
		rc = store__need(a->action, "action", what, err);
	if (rc < 0)
		return rc;
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st,
			      "INSERT INTO audit_log (at, actor, action, object, detail) "
			      "VALUES (?, ?, ?, ?, ?)",
			      what, err);
	if (rc == 0) {
		store__q_int(&q, a->at);
		store__q_text(&q, a->actor);
		store__q_text(&q, a->action);
		store__q_text(&q, a->object != NULL ? a->object : "");
		store__q_text(&q, a->detail != NULL ? a->detail : "");
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

int store_audit_foreach(store *st, const char *object, int64_t since, store_audit_cb cb,
			void *ctx, struct eph_err *err)
{
	struct store_audit a;
	struct store__q q;
	int rc;

	rc = store__q_prepare(&q, st,
			      "SELECT id, at, actor, action, object, detail FROM audit_log "
			      "WHERE (?1 IS NULL OR object = ?1) AND at >= ?2 ORDER BY id",
			      "reading the audit log", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, object);
	store__q_int(&q, since);
	while ((rc = store__q_step(&q, err)) > 0) {
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(q.stmt, 0);
		a.at = sqlite3_column_int64(q.stmt, 1);
		a.actor = store__col_text(q.stmt, 2);
		a.action = store__col_text(q.stmt, 3);
		a.object = store__col_text(q.stmt, 4);
		a.detail = store__col_text(q.stmt, 5);
		rc = cb(&a, ctx);
		if (rc != 0)
			break;
	}
	store__q_finish(&q);
	return rc;
}
