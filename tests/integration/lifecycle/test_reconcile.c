/*
 * test_reconcile.c - lifecycle_reconcile() against the real sandbox driver:
 * half-done provisioning, sandboxes nobody owns, unfinished draining, lost
 * environments, and a broker SIGKILLed between writing the handle and
 * starting (root; skips visibly otherwise).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lc_fixture.h"

static char *const sleep30[] = { "/bin/sleep", "30", NULL };

#define T0 2000000

TestSuite(reconcile, .init = lc_fx_setup, .fini = lc_fx_teardown);

Test(reconcile, provisioning_without_handle_fails)
{
	struct lifecycle_reconcile_report rep;
	char id[STORE_ID_SIZE];
	struct eph_err err = { { 0 } };
	int64_t dec;

	lc_env(id, &dec, 0, 0, T0);
	cr_assert_eq(store_env_transition(fx.st, id, STORE_ENV_ADMITTED, STORE_ENV_PROVISIONING,
					  "provisioning", T0, &err), 0, "%s", err.msg);
	cr_assert_eq(lifecycle_reconcile(fx.lc, T0 + 1, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(lc_state(id), STORE_ENV_FAILED);
	cr_assert_eq(rep.failed, 1);
	cr_assert_eq(rep.not_owned, 0);
}

struct audit_find {
	int found;
};

static int audit_cb(const struct store_audit *a, void *ctx)
{
	struct audit_find *f = ctx;

	if (strcmp(a->action, "env.reconcile") == 0 && strstr(a->detail, "not owned"))
		f->found = 1;
	return 0;
}

Test(reconcile, destroys_not_owned)
{
	struct lifecycle_reconcile_report rep;
	struct driver_spec s = lc_spec(sleep30);
	struct audit_find f = { 0 };
	char id[64], handle[DRIVER_HANDLE_MAX];
	struct eph_err err = { { 0 } };

	snprintf(id, sizeof(id), "%s-foreign", fx.prefix);
	s.env_id = id;
	cr_assert_eq(driver_create(fx.sbx, handle, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(driver_start(fx.sbx, handle, NULL, &err), 0, "%s", err.msg);
	cr_assert(lc_cgroup_exists(id));
	cr_assert_eq(lifecycle_reconcile(fx.lc, T0, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.not_owned, 1);
	cr_assert_not(lc_cgroup_exists(id), "foreign sandbox left running");
	cr_assert_eq(store_audit_foreach(fx.st, id, 0, audit_cb, &f, &err), 0, "%s", err.msg);
	cr_assert(f.found, "no audit entry for the not-owned sandbox");
}

Test(reconcile, finishes_draining)
{
	struct lifecycle_reconcile_report rep;
	struct driver_spec s = lc_spec(sleep30);
	char id[STORE_ID_SIZE], usage[1024];
	struct eph_err err = { { 0 } };
	int64_t dec;
	float r;

	lc_env(id, &dec, 0, 0, T0);
	cr_assert_eq(lifecycle_provision(fx.lc, id, &s, dec, T0, &err), 0, "%s", err.msg);
	cr_assert_eq(lifecycle_attested(fx.lc, id, 1, "ok", T0 + 1, &err), 0, "%s", err.msg);
	/* The broker wrote draining and died before destroying. */
	cr_assert_eq(store_env_transition(fx.st, id, STORE_ENV_RUNNING, STORE_ENV_DRAINING,
					  "ttl", T0 + 9, &err), 0, "%s", err.msg);
	cr_assert(lc_cgroup_exists(id));
	cr_assert_eq(lifecycle_reconcile(fx.lc, T0 + 10, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.finished, 1);
	cr_assert_eq(rep.not_owned, 0);
	cr_assert_eq(lc_state(id), STORE_ENV_DESTROYED);
	cr_assert_str_eq(lc_last_reason(id), "ttl");
	cr_assert_not(lc_cgroup_exists(id));
	cr_assert(lc_outcome(dec, id, &r, usage, sizeof(usage)));
}

Test(reconcile, keeps_running_and_fails_lost)
{
	struct lifecycle_reconcile_report rep;
	struct driver_spec s = lc_spec(sleep30);
	char a[STORE_ID_SIZE], b[STORE_ID_SIZE], hb[DRIVER_HANDLE_MAX];
	struct eph_err err = { { 0 } };
	int64_t da, db;

	lc_env(a, &da, 0, 0, T0);
	lc_env(b, &db, 0, 0, T0);
	cr_assert_eq(lifecycle_provision(fx.lc, a, &s, da, T0, &err), 0, "%s", err.msg);
	cr_assert_eq(lifecycle_provision(fx.lc, b, &s, db, T0, &err), 0, "%s", err.msg);
	/* b vanishes behind the broker's back. */
	snprintf(hb, sizeof(hb), "%s", lc_handle(b));
	cr_assert_eq(driver_destroy(fx.sbx, hb, &err), 0, "%s", err.msg);
	cr_assert_eq(lifecycle_reconcile(fx.lc, T0 + 1, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(lc_state(a), STORE_ENV_ATTESTING);
	cr_assert(lc_cgroup_exists(a));
	cr_assert_eq(lc_state(b), STORE_ENV_FAILED);
	cr_assert_str_eq(lc_last_reason(b), "lost");
	cr_assert_eq(rep.failed, 1);
	cr_assert_eq(rep.not_owned, 0);
}

Test(reconcile, crash_between_handle_and_start)
{
	struct lifecycle_reconcile_report rep;
	struct driver_spec s = lc_spec(sleep30);
	char id[STORE_ID_SIZE];
	struct eph_err err = { { 0 } };
	int64_t dec;
	int status = 0;
	pid_t pid;

	lc_env(id, &dec, 0, 0, T0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* The "broker": its own store handle, dies in start(). */
		store *st = NULL;
		lifecycle *lc = NULL;

		if (store_open(&st, fx.db, NULL, &err) < 0)
			_exit(2);
		fx.spy.st = st;
		fx.spy.kill_at_start = 1;
		if (lifecycle_new(&lc, st, &fx.spy.base, &fx.cfg, &err) < 0)
			_exit(3);
		lifecycle_provision(lc, id, &s, dec, T0, &err);
		_exit(4);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
	cr_assert_eq(lc_state(id), STORE_ENV_PROVISIONING);
	cr_assert_neq(lc_handle(id)[0], '\0', "handle not written before start");
	cr_assert(lc_cgroup_exists(id), "create left nothing to clean up?");

	cr_assert_eq(lifecycle_reconcile(fx.lc, T0 + 1, &rep, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.failed, 1);
	cr_assert_eq(lc_state(id), STORE_ENV_FAILED);
	cr_assert_not(lc_cgroup_exists(id), "crashed provisioning leaked its cgroup");
}
