/*
 * decisions_test.c - decisions and outcomes exported as RL transitions, and
 * the append-only audit log (the database itself refuses UPDATE/DELETE).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "store_tu.h"

struct export {
	int n;
	struct store_transition t[8];
	char cls[8][8];
};

static int collect(const struct store_transition *t, void *ctx)
{
	struct export *x = ctx;

	cr_assert_lt(x->n, 8);
	x->t[x->n] = *t;
	snprintf(x->cls[x->n], sizeof(x->cls[0]), "%s", t->class);
	x->n++;
	return 0;
}

static int64_t decide(store *st, const char *cls, int64_t at, float base, unsigned action,
		      uint64_t mask)
{
	static const uint8_t model[32] = {0xab};
	struct store_decision d = {.class = cls, .at = at, .action = action, .mask = mask,
				   .policy = "{\"max_vcpus\":4}",
				   .model_hash = {model, sizeof(model)}};
	struct eph_err err = {{0}};
	int64_t id = 0;

	for (unsigned i = 0; i < STORE_STATE_DIM; i++)
		d.state[i] = base + (float)i / 8.0f;
	cr_assert_eq(store_decision_record(&id, st, &d, &err), 0, "%s", err.msg);
	return id;
}

static void outcome(store *st, int64_t id, float r, int done)
{
	struct store_outcome o = {.at = 1, .reward = r, .usage = "{\"cpu_p95\":0.7}",
				  .done = done};
	struct eph_err err = {{0}};

	cr_assert_eq(store_decision_outcome(st, id, &o, &err), 0, "%s", err.msg);
}

Test(store, decisions_export_round_trip, .init = stu_setup, .fini = stu_teardown)
{
	struct store_outcome o = {.at = 1, .reward = 1.0f, .usage = "{}"};
	struct eph_err err = {{0}};
	struct export x = {0};
	store *st = stu_open(NULL);
	int64_t a1, a2, a3, b1, b2;

	/* Class "a": three steps, the last one ends the episode.
	 * Class "b": two steps, the second without an outcome yet. */
	a1 = decide(st, "a", 10, 0.0f, 3, 0xff);
	b1 = decide(st, "b", 11, 100.0f, 5, 0x0f0);
	a2 = decide(st, "a", 12, 1.0f, 4, 0x1f);
	b2 = decide(st, "b", 13, 200.0f, 6, 0x0f1);
	a3 = decide(st, "a", 14, 2.0f, 0, 0x1);
	outcome(st, a2, -2.5f, 0);
	outcome(st, a1, -1.25f, 0);
	outcome(st, a3, 4.0f, 1);
	outcome(st, b1, -0.5f, 0);
	cr_assert_eq(store_decision_outcome(st, a1, &o, &err), EPH_EPOLICY);
	cr_assert_eq(store_decision_outcome(st, 9999, &o, &err), EPH_ENOTFOUND);
	o.usage = "not json";
	cr_assert_eq(store_decision_outcome(st, b2, &o, &err), EPH_EFORMAT);

	cr_assert_eq(store_decisions_foreach(st, collect, &x, &err), 0, "%s", err.msg);
	cr_assert_eq(x.n, 4, "b2 has no outcome: not complete");
	/* a1 -> a2 */
	cr_assert_str_eq(x.cls[0], "a");
	cr_assert_eq(x.t[0].decision_id, a1);
	cr_assert_eq(x.t[0].a, 3);
	cr_assert_eq(x.t[0].mask, 0xff);
	cr_assert_float_eq(x.t[0].r, -1.25f, 1e-6);
	cr_assert_float_eq(x.t[0].s[8], 1.0f, 1e-6);
	cr_assert_float_eq(x.t[0].s_next[0], 1.0f, 1e-6);
	cr_assert_eq(x.t[0].mask_next, 0x1f);
	cr_assert_eq(x.t[0].done, 0);
	cr_assert_eq(x.t[0].model_hash.len, 32);
	/* a2 -> a3, then a3 done */
	cr_assert_eq(x.t[1].decision_id, a2);
	cr_assert_float_eq(x.t[1].s_next[1], 2.125f, 1e-6);
	cr_assert_eq(x.t[1].mask_next, 0x1);
	cr_assert_eq(x.t[2].decision_id, a3);
	cr_assert_eq(x.t[2].done, 1);
	cr_assert_eq(x.t[2].mask_next, 0);
	cr_assert_float_eq(x.t[2].s_next[5], 0.0f, 1e-9);
	/* b1 -> b2 (b1 has an outcome; b2 only provides s') */
	cr_assert_str_eq(x.cls[3], "b");
	cr_assert_eq(x.t[3].decision_id, b1);
	cr_assert_float_eq(x.t[3].s_next[0], 200.0f, 1e-6);
	cr_assert_eq(x.t[3].mask_next, 0x0f1);
	store_free(st);
}

struct audit_seen {
	int n;
	int64_t last;
};

static int count_audit(const struct store_audit *a, void *ctx)
{
	struct audit_seen *s = ctx;

	cr_assert_gt(a->id, s->last);
	s->last = a->id;
	s->n++;
	return 0;
}

Test(store, audit_log_is_append_only, .init = stu_setup, .fini = stu_teardown)
{
	struct store_audit a = {.at = 10, .actor = "alice", .action = "env.create",
				.object = "env-1", .detail = "{\"size\":1}"};
	struct eph_err err = {{0}};
	struct audit_seen seen = {0};
	store *st = stu_open(NULL);
	char env[STORE_ID_SIZE];
	char *msg = NULL;
	sqlite3 *db;
	int64_t id = 0;

	stu_env(env, st, 5); /* so that env_transitions has a row to protect */

	cr_assert_eq(store_audit_append(&id, st, &a, &err), 0, "%s", err.msg);
	cr_assert_gt(id, 0);
	a.at = 20;
	a.object = "env-2";
	cr_assert_eq(store_audit_append(NULL, st, &a, &err), 0, "%s", err.msg);
	a.at = 30;
	a.object = "env-1";
	a.action = "env.delete";
	cr_assert_eq(store_audit_append(NULL, st, &a, &err), 0, "%s", err.msg);
	a.actor = NULL;
	cr_assert_eq(store_audit_append(NULL, st, &a, &err), EPH_EFORMAT);

	cr_assert_eq(store_audit_foreach(st, NULL, 0, count_audit, &seen, &err), 0);
	cr_assert_eq(seen.n, 3);
	memset(&seen, 0, sizeof(seen));
	cr_assert_eq(store_audit_foreach(st, "env-1", 0, count_audit, &seen, &err), 0);
	cr_assert_eq(seen.n, 2);
	memset(&seen, 0, sizeof(seen));
	cr_assert_eq(store_audit_foreach(st, "env-1", 25, count_audit, &seen, &err), 0);
	cr_assert_eq(seen.n, 1);

	db = stu_raw();
	cr_assert_neq(sqlite3_exec(db, "UPDATE audit_log SET detail = 'x'", NULL, NULL, &msg),
		      SQLITE_OK);
	cr_assert_str_eq(msg, "audit_log is append-only");
	sqlite3_free(msg);
	msg = NULL;
	cr_assert_neq(sqlite3_exec(db, "DELETE FROM audit_log", NULL, NULL, &msg), SQLITE_OK);
	cr_assert_str_eq(msg, "audit_log is append-only");
	sqlite3_free(msg);
	msg = NULL;
	cr_assert_neq(sqlite3_exec(db, "DELETE FROM env_transitions", NULL, NULL, &msg),
		      SQLITE_OK);
	cr_assert_str_eq(msg, "env_transitions is append-only");
	sqlite3_free(msg);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM audit_log"), 3);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM env_transitions"), 1);
	sqlite3_close(db);
	store_free(st);
}
