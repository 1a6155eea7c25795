/*
 * durability_test.c - what the store promises when things go wrong: a
 * process SIGKILLed inside an open transaction loses exactly the
 * uncommitted part; a full disk is a clean EPH_EIO "disk full" after which
 * the database still opens; two processes writing at once both succeed
 * (busy_timeout), and of two racing compare-and-sets exactly one wins.
 *
 * The children use only the store API and _exit(); no SQLite connection
 * crosses a fork.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_tu.h"

#define HANDLE "/sys/fs/cgroup/ephemera/env-crash"

/*
 * The child: create an environment, admit it, then (one transaction) move it
 * to provisioning and write the driver handle: what the broker commits
 * before it asks the driver to act. Then open a second transaction, move on
 * to attesting and write ~6 MB of audit entries (more than SQLite's page
 * cache, so uncommitted frames spill into the WAL file) and die by SIGKILL
 * before committing. Writes the env id to a file for the parent.
 */
static void crash_child(void)
{
	struct store_audit au = {.at = 3, .actor = "broker", .action = "env.provision"};
	static char detail[2048];
	char id[STORE_ID_SIZE];
	struct eph_err err = {{0}};
	store *st = NULL;
	FILE *f;
	int i;

	if (store_open(&st, stu_path("store.db"), NULL, &err) < 0)
		_exit(10);
	stu_env(id, st, 1);
	f = fopen(stu_path("env-id"), "w");
	if (f == NULL || fputs(id, f) < 0 || fclose(f) != 0)
		_exit(11);
	if (store_env_transition(st, id, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, "policy ok", 2,
				 &err) < 0)
		_exit(12);
	if (store_tx_begin(st, &err) < 0 ||
	    store_env_transition(st, id, STORE_ENV_ADMITTED, STORE_ENV_PROVISIONING, "size 1", 3,
				 &err) < 0 ||
	    store_env_set_handle(st, id, HANDLE, 3, &err) < 0 || store_tx_commit(st, &err) < 0)
		_exit(13);

	/* The driver would act now. Then: */
	if (store_tx_begin(st, &err) < 0 ||
	    store_env_transition(st, id, STORE_ENV_PROVISIONING, STORE_ENV_ATTESTING, "booted", 4,
				 &err) < 0)
		_exit(14);
	memset(detail, 'x', sizeof(detail) - 1);
	au.object = id;
	au.detail = detail;
	for (i = 0; i < 3000; i++)
		if (store_audit_append(NULL, st, &au, &err) < 0)
			_exit(15);
	raise(SIGKILL);
	_exit(16);
}

static int collect_live(const struct store_env *e, void *ctx)
{
	char *found = ctx;

	memcpy(found, e->id, STORE_ID_SIZE);
	return 0;
}

static int count_steps(const struct store_env_step *s, void *ctx)
{
	(void)s;
	(*(int *)ctx)++;
	return 0;
}

Test(store, sigkill_inside_a_transaction_keeps_the_committed_part, .init = stu_setup,
     .fini = stu_teardown)
{
	char id[STORE_ID_SIZE] = "", live[STORE_ID_SIZE] = "";
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	struct stat sb;
	store *st;
	sqlite3 *db;
	int status = 0, steps = 0;
	pid_t pid;
	FILE *f;

	store_free(stu_open(NULL)); /* create the schema first */
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		crash_child();
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "child should die by SIGKILL, status 0x%x", status);
	cr_assert_eq(stat(stu_path("store.db-wal"), &sb), 0);
	cr_assert_gt(sb.st_size, 2 << 20, "uncommitted frames reached the WAL (%lld bytes)",
		     (long long)sb.st_size);

	f = fopen(stu_path("env-id"), "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(id, sizeof(id), f));
	fclose(f);

	st = stu_open(NULL);
	cr_assert_eq(store_env_get(&e, st, id, &err), 0, "%s", err.msg);
	cr_assert_eq(e->state, STORE_ENV_PROVISIONING, "got %s", store_env_state_name(e->state));
	cr_assert_str_eq(e->handle, HANDLE);
	store_env_free(e);
	cr_assert_eq(store_env_history_foreach(st, id, count_steps, &steps, &err), 0);
	cr_assert_eq(steps, 3, "created, admitted, provisioning");
	/* Reconciliation finds it, with the handle it needs to destroy it. */
	cr_assert_eq(store_env_foreach_live(st, collect_live, live, &err), 0);
	cr_assert_str_eq(live, id);
	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM audit_log"), 0);
	cr_assert_str_eq((const char *)sqlite3_db_filename(db, "main"), stu_path("store.db"));
	sqlite3_stmt *s = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	sqlite3_close(db);

	/* And the lifecycle can carry on from there. */
	cr_assert_eq(store_env_transition(st, id, STORE_ENV_PROVISIONING, STORE_ENV_DRAINING,
					  "reconcile", 10, &err),
		     0, "%s", err.msg);
	cr_assert_eq(store_env_transition(st, id, STORE_ENV_DRAINING, STORE_ENV_DESTROYED,
					  "reconcile", 11, &err),
		     0, "%s", err.msg);
	store_free(st);
}

Test(store, disk_full_is_a_clean_error, .init = stu_setup, .fini = stu_teardown)
{
	struct store_opts capped = {.max_bytes = 256 * 1024};
	struct store_audit au = {.at = 1, .actor = "broker", .action = "fill", .object = "o"};
	static char detail[1024];
	char id[STORE_ID_SIZE];
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	store *st;
	sqlite3 *db;
	int i, rc = 0;

	memset(detail, 'y', sizeof(detail) - 1);
	au.detail = detail;
	st = stu_open(&capped);
	stu_env(id, st, 1);
	for (i = 0; i < 10000; i++) {
		rc = store_audit_append(NULL, st, &au, &err);
		if (rc < 0)
			break;
	}
	cr_assert_eq(rc, EPH_EIO, "rc %d after %d entries: %s", rc, i, err.msg);
	cr_assert(strstr(err.msg, "disk full") != NULL, "%s", err.msg);
	cr_assert_gt(i, 10);
	/* A failed transition changes nothing either. */
	for (int j = 0; j < 50; j++)
		store_audit_append(NULL, st, &au, &err);
	rc = store_tx_begin(st, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	for (int j = 0; j < 50 && rc == 0; j++)
		rc = store_audit_append(NULL, st, &au, &err);
	if (rc == 0)
		rc = store_env_transition(st, id, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, "", 2,
					  &err);
	if (rc == 0)
		rc = store_tx_commit(st, &err);
	else
		store_tx_rollback(st);
	cr_assert_eq(rc, EPH_EIO, "%s", err.msg);
	store_free(st);

	st = stu_open(NULL);
	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM audit_log"), i);
	sqlite3_close(db);
	cr_assert_eq(store_env_get(&e, st, id, &err), 0, "%s", err.msg);
	cr_assert_eq(e->state, STORE_ENV_REQUESTED);
	store_env_free(e);
	cr_assert_eq(store_audit_append(NULL, st, &au, &err), 0, "%s", err.msg);
	store_free(st);
}

#define PER_CHILD 150

/*
 * Wait for the start signal (EOF on go), then write. Exit 0: all writes done
 * and won the race; 2: done and lost it (EPH_EVERIFY).
 */
static void writer_child(const char *contested, int n, const char *me, int go)
{
	struct store_audit au = {.actor = "writer", .action = "write", .object = me};
	char id[STORE_ID_SIZE], c;
	struct eph_err err = {{0}};
	struct store_opts o = {.busy_timeout_ms = 20000};
	store *st = NULL;
	int i, rc;

	if (store_open(&st, stu_path("store.db"), &o, &err) < 0)
		_exit(10);
	if (read(go, &c, 1) != 0)
		_exit(13);
	for (i = 0; i < n; i++) {
		struct store_env e = {.requester = "w", .attrs = "{}", .policy = "{}",
				      .driver = "sandbox", .created_at = i};

		au.at = i;
		if (store_env_create(id, st, &e, &err) < 0 ||
		    store_env_transition(st, id, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, "", i,
					 &err) < 0 ||
		    store_audit_append(NULL, st, &au, &err) < 0) {
			fprintf(stderr, "writer %d: %s\n", (int)getpid(), err.msg);
			_exit(11);
		}
	}
	rc = store_env_transition(st, contested, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, "race",
				  n, &err);
	store_free(st);
	_exit(rc == 0 ? 0 : rc == EPH_EVERIFY ? 2 : 12);
}

Test(store, two_processes_write_concurrently, .init = stu_setup, .fini = stu_teardown)
{
	static const char *const names[2] = {"w0", "w1"};
	char contested[STORE_ID_SIZE];
	int status[2] = {0, 0}, won = 0, lost = 0, go[2];
	pid_t pid[2];
	store *st;
	sqlite3 *db;

	st = stu_open(NULL);
	stu_env(contested, st, 0);
	store_free(st);
	cr_assert_eq(pipe(go), 0);
	for (int k = 0; k < 2; k++) {
		pid[k] = fork();
		cr_assert_neq(pid[k], -1);
		if (pid[k] == 0) {
			close(go[1]);
			writer_child(contested, PER_CHILD, names[k], go[0]);
		}
	}
	close(go[0]);
	close(go[1]); /* both start now */
	for (int k = 0; k < 2; k++) {
		cr_assert_eq(waitpid(pid[k], &status[k], 0), pid[k]);
		cr_assert(WIFEXITED(status[k]), "writer %d died: 0x%x", k, status[k]);
		cr_assert(WEXITSTATUS(status[k]) == 0 || WEXITSTATUS(status[k]) == 2,
			  "writer %d failed with %d", k, WEXITSTATUS(status[k]));
		won += WEXITSTATUS(status[k]) == 0;
		lost += WEXITSTATUS(status[k]) == 2;
	}
	cr_assert_eq(won, 1, "exactly one compare-and-set wins");
	cr_assert_eq(lost, 1);
	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM environments WHERE state = 'admitted'"),
		     2 * PER_CHILD + 1);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM audit_log"), 2 * PER_CHILD);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM env_transitions"),
		     2 * (2 * PER_CHILD) + 2);
	/* No check that their writes interleave: SQLite's busy handler is not
	 * fair (the waiter sleeps with back-off while the other re-takes the
	 * lock), so one writer may well run to the end first. Not failing is
	 * the promise; both started together and both finished. */
	cr_assert_eq(stu_raw_int(db, "SELECT count(DISTINCT object) FROM audit_log"), 2);
	sqlite3_close(db);
}
