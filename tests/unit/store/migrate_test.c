/*
 * migrate_test.c - opening the store: a fresh schema, WAL, an upgrade from
 * version 1 that keeps the data, and refusing newer or foreign databases.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "store_tu.h"

Test(store, fresh_database_is_current_and_in_wal_mode, .init = stu_setup, .fini = stu_teardown)
{
	store *st = stu_open(NULL);
	sqlite3 *db;
	sqlite3_stmt *s = NULL;

	cr_assert_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	db = stu_raw();
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM schema_version"), STORE_SCHEMA_VERSION);
	cr_assert_eq(stu_raw_int(db, "PRAGMA application_id"), 0x45504845);
	sqlite3_close(db);
	store_free(st);

	/* Opening again changes nothing. */
	st = stu_open(NULL);
	cr_assert_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_free(st);
}

Test(store, upgrade_from_v1_keeps_data, .init = stu_setup, .fini = stu_teardown)
{
	struct store_opts v1 = {.target_version = 1};
	struct store_decision d = {.class = "c", .at = 5, .policy = "{}", .action = 1};
	uint8_t secret[32] = {7};
	char agent[STORE_ID_SIZE], env[STORE_ID_SIZE];
	struct store_agent *a = NULL;
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	struct store_audit au = {.at = 3, .actor = "broker", .action = "test", .object = "x"};
	store *st;
	sqlite3 *db;
	int64_t id = 0;

	st = stu_open(&v1);
	cr_assert_eq(store_schema_version(st), 1);
	stu_agent(agent, st, secret);
	stu_env(env, st, 100);
	cr_assert_eq(store_audit_append(NULL, st, &au, &err), 0, "%s", err.msg);
	/* Version 1 has no decisions table: a clean error, not a crash. */
	cr_assert_eq(store_decision_record(&id, st, &d, &err), EPH_EIO);
	cr_assert(strstr(err.msg, "no such table") != NULL, "%s", err.msg);
	store_free(st);

	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT max(version) FROM schema_version"), 1);
	sqlite3_close(db);

	st = stu_open(NULL);
	cr_assert_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	cr_assert_eq(store_agent_get(&a, st, agent, &err), 0, "%s", err.msg);
	cr_assert_str_eq(a->hostname, "guest-1");
	cr_assert_eq(store_env_get(&e, st, env, &err), 0, "%s", err.msg);
	cr_assert_eq(e->state, STORE_ENV_REQUESTED);
	cr_assert_eq(store_decision_record(&id, st, &d, &err), 0, "%s", err.msg);
	store_agent_free(a);
	store_env_free(e);
	store_free(st);

	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM audit_log"), 1);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM schema_version"),
		     STORE_SCHEMA_VERSION);
	sqlite3_close(db);
}

Test(store, refuses_a_newer_schema, .init = stu_setup, .fini = stu_teardown)
{
	struct eph_err err = {{0}};
	store *st = stu_open(NULL);
	sqlite3 *db;

	store_free(st);
	db = stu_raw();
	cr_assert_eq(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 0)", NULL, NULL,
				  NULL),
		     SQLITE_OK);
	sqlite3_close(db);

	st = (store *)1;
	cr_assert_eq(store_open(&st, stu_path("store.db"), NULL, &err), EPH_EUNSUPPORTED, "%s",
		     err.msg);
	cr_assert_null(st);
	cr_assert(strstr(err.msg, "version 99 is newer") != NULL, "%s", err.msg);

	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT max(version) FROM schema_version"), 99,
		     "left untouched");
	sqlite3_close(db);
}

Test(store, refuses_foreign_files, .init = stu_setup, .fini = stu_teardown)
{
	struct eph_err err = {{0}};
	sqlite3 *db = NULL;
	store *st = NULL;
	FILE *f;

	cr_assert_eq(sqlite3_open(stu_path("other.db"), &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_open(&st, stu_path("other.db"), NULL, &err), EPH_EFORMAT, "%s",
		     err.msg);
	cr_assert(strstr(err.msg, "not an Ephemera store") != NULL, "%s", err.msg);

	f = fopen(stu_path("junk.db"), "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database at all. ", f);
	fclose(f);
	cr_assert_eq(store_open(&st, stu_path("junk.db"), NULL, &err), EPH_EFORMAT, "%s",
		     err.msg);
	cr_assert(strstr(err.msg, "not an SQLite database") != NULL, "%s", err.msg);

	struct store_opts too_new = {.target_version = STORE_SCHEMA_VERSION + 1};
	cr_assert_eq(store_open(&st, stu_path("x.db"), &too_new, &err), EPH_EUNSUPPORTED);
}
