/*
 * test_lifecycle.c - destroy leaves nothing, list() finds sandboxes of
 * another driver instance and a crashed creation (reconciliation), the warm
 * pool (resize, claim as a state change, empty pool, TTL), and printed
 * create+destroy cycle times (figures only, no timed assertions).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sbx_fixture.h"
#include "warmpool.h"

TestSuite(sandbox_life, .init = sbx_fx_setup, .fini = sbx_fx_teardown);

static int has(const struct driver_entry *v, size_t n, const char *id, char *handle)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].env_id, id) == 0) {
			if (handle)
				memcpy(handle, v[i].handle, DRIVER_HANDLE_MAX);
			return 1;
		}
	return 0;
}

Test(sandbox_life, destroy_kills_and_removes_everything)
{
	char id[DRIVER_ID_MAX + 1], h[DRIVER_HANDLE_MAX], dirs[4][PATH_MAX], st[PATH_MAX];
	char procs[PATH_MAX + 16], buf[256];
	char *const argv[] = { "/bin/sh", "-c", "sleep 100 & sleep 100 & exec sleep 100", NULL };
	struct driver_spec s;
	struct eph_err err = { { 0 } };
	int pids[8], np = 0, n, i;
	FILE *f;

	snprintf(id, sizeof(id), "%s", sbx_id("kill"));
	s = sbx_spec(id, argv);
	cr_assert_eq(driver_create(fx.d, h, &s, &err), 0, "create: %s", err.msg);
	cr_assert_eq(driver_start(fx.d, h, NULL, &err), 0, "start: %s", err.msg);
	usleep(200000);
	n = driver_sandbox_cgroup_dirs(fx.d, dirs, 4, id, &err);
	cr_assert_gt(n, 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dirs[0]);
	f = fopen(procs, "re");
	cr_assert_not_null(f);
	while (np < 8 && fgets(buf, sizeof(buf), f))
		pids[np++] = atoi(buf);
	fclose(f);
	cr_expect_eq(np, 3, "want sh's sleeps: 3 tasks, got %d", np);
	driver_sandbox_state_dir(fx.d, st, sizeof(st), id);
	cr_assert_eq(driver_destroy(fx.d, h, &err), 0, "destroy: %s", err.msg);
	for (i = 0; i < np; i++)
		cr_expect(kill(pids[i], 0) < 0, "task %d survived", pids[i]);
	for (i = 0; i < n; i++)
		cr_expect_neq(access(dirs[i], F_OK), 0, "%s left", dirs[i]);
	cr_expect_neq(access(st, F_OK), 0, "%s left", st);
	cr_expect_eq(driver_destroy(fx.d, h, &err), 0, "second destroy: %s", err.msg);
}

Test(sandbox_life, list_reconciles_other_instance_and_crash)
{
	char a[DRIVER_ID_MAX + 1], b[DRIVER_ID_MAX + 1], c[DRIVER_ID_MAX + 1];
	char ha[DRIVER_HANDLE_MAX], hb[DRIVER_HANDLE_MAX], hc[DRIVER_HANDLE_MAX];
	char dirs[4][PATH_MAX];
	char *const argv[] = { "/bin/sleep", "100", NULL };
	struct driver_sandbox_config cfg = { .state_root = fx.root };
	struct driver *other = NULL;
	struct driver_entry *v = NULL;
	struct driver_spec s;
	struct eph_err err = { { 0 } };
	size_t n = 0;
	int nd, i;

	snprintf(a, sizeof(a), "%s", sbx_id("rec-a"));
	snprintf(b, sizeof(b), "%s", sbx_id("rec-b"));
	snprintf(c, sizeof(c), "%s", sbx_id("crash"));
	s = sbx_spec(a, argv);
	cr_assert_eq(driver_create(fx.d, ha, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(driver_start(fx.d, ha, NULL, &err), 0, "%s", err.msg);
	s.env_id = b;
	cr_assert_eq(driver_create(fx.d, hb, &s, &err), 0, "%s", err.msg); /* never started */
	/* A crashed creation: cgroups made, no process ever. */
	nd = driver_sandbox_cgroup_dirs(fx.d, dirs, 4, c, &err);
	for (i = 0; i < nd; i++)
		cr_assert_eq(mkdir(dirs[i], 0755), 0);

	cr_assert_eq(driver_sandbox_new(&other, &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(driver_list(other, &v, &n, &err), 0, "%s", err.msg);
	cr_expect(has(v, n, a, ha), "running sandbox not listed");
	cr_expect(has(v, n, b, hb), "unstarted sandbox not listed");
	cr_expect(has(v, n, c, hc), "crashed creation not listed");
	cr_log_info("handles: %s %s %s", ha, hb, hc);
	cr_expect(strstr(hc, ":0") != NULL, "crashed one has no pid: %s", hc);
	cr_expect_neq(driver_start(other, ha, NULL, &err), 0, "another instance cannot start it");
	for (i = 0; i < (int)n; i++)
		if (strstr(v[i].env_id, fx.prefix))
			cr_expect_eq(driver_destroy(other, v[i].handle, &err), 0, "%s", err.msg);
	free(v);
	cr_assert_eq(driver_list(other, &v, &n, &err), 0);
	cr_expect(!has(v, n, a, NULL) && !has(v, n, b, NULL) && !has(v, n, c, NULL),
		  "reconciled sandboxes still listed");
	free(v);
	for (i = 0; i < nd; i++)
		cr_expect_neq(access(dirs[i], F_OK), 0, "%s left", dirs[i]);
	/* The first instance's stale view: destroy is idempotent. */
	cr_expect_eq(driver_destroy(fx.d, ha, &err), 0, "%s", err.msg);
	cr_expect_eq(driver_destroy(fx.d, hb, &err), 0, "%s", err.msg);
	driver_free(other);
}

Test(sandbox_life, warm_pool_claim_is_a_state_change)
{
	char *const argv[] = { "/bin/sh", "-c", "echo default", NULL };
	char *const work[] = { "/bin/sh", "-c", "echo claimed-run $EPH_ENV_ID", NULL };
	struct driver_cmd cmd = { .argv = work, .envp = sbx_env };
	char h1[DRIVER_HANDLE_MAX], h2[DRIVER_HANDLE_MAX], h3[DRIVER_HANDLE_MAX];
	char id1[DRIVER_ID_MAX + 1], id2[DRIVER_ID_MAX + 1], id3[DRIVER_ID_MAX + 1];
	char cls[24], *out;
	struct driver_spec s = sbx_spec("unused", argv);
	struct warmpool *wp = NULL;
	struct eph_err err = { { 0 } };
	double t0, t1;

	snprintf(cls, sizeof(cls), "%s", fx.prefix);
	cr_assert_eq(warmpool_new(&wp, fx.d, &err), 0);
	cr_assert_eq(warmpool_set_class(wp, cls, &s, 0, &err), 0, "%s", err.msg);
	t0 = sbx_now_ms();
	cr_assert_eq(warmpool_resize(wp, cls, 2, &err), 0, "%s", err.msg);
	t1 = sbx_now_ms();
	cr_expect_eq(warmpool_size(wp, cls), 2);
	cr_assert_eq(warmpool_claim(wp, h1, id1, cls, &err), 0, "%s", err.msg);
	fprintf(stderr, "warm pool: resize to 2 took %.1f ms, claim %.3f ms\n", t1 - t0,
		sbx_now_ms() - t1);
	cr_expect_eq(warmpool_size(wp, cls), 1, "the pool refills only on resize");
	cr_assert_eq(driver_start(fx.d, h1, &cmd, &err), 0, "%s", err.msg);
	cr_assert_eq(sbx_wait_exit(h1, 10000), 0);
	out = sbx_console(id1);
	cr_expect(strstr(out, "claimed-run ") != NULL && strstr(out, id1) != NULL, "%s", out);
	free(out);
	cr_assert_eq(warmpool_claim(wp, h2, id2, cls, &err), 0, "%s", err.msg);
	cr_expect_eq(warmpool_claim(wp, h3, id3, cls, &err), EPH_ENOTFOUND, "empty pool");
	cr_log_info("empty claim: %s", err.msg);
	cr_expect_eq(driver_destroy(fx.d, h1, &err), 0);
	cr_expect_eq(driver_destroy(fx.d, h2, &err), 0);
	/* TTL: members older than it are destroyed by expire. */
	cr_assert_eq(warmpool_set_class(wp, cls, &s, 1, &err), 0);
	cr_assert_eq(warmpool_resize(wp, cls, 1, &err), 0, "%s", err.msg);
	usleep(5000);
	cr_expect_eq(warmpool_expire(wp, &err), 1);
	cr_expect_eq(warmpool_size(wp, cls), 0);
	/* Shrinking destroys: resize 2 then 0. */
	cr_assert_eq(warmpool_set_class(wp, cls, &s, 0, &err), 0);
	cr_assert_eq(warmpool_resize(wp, cls, 2, &err), 0, "%s", err.msg);
	cr_assert_eq(warmpool_resize(wp, cls, 0, &err), 0, "%s", err.msg);
	cr_expect_eq(warmpool_size(wp, cls), 0);
	warmpool_free(wp);
}

Test(sandbox_life, cycle_times)
{
	char *const argv[] = { "/bin/true", NULL };
	char id[DRIVER_ID_MAX + 1], h[DRIVER_HANDLE_MAX], name[16];
	struct driver_spec s;
	struct eph_err err = { { 0 } };
	double t0, tc = 0, tr = 0, td = 0;
	int i, n = 20;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "cyc%d", i);
		snprintf(id, sizeof(id), "%s", sbx_id(name));
		s = sbx_spec(id, argv);
		t0 = sbx_now_ms();
		cr_assert_eq(driver_create(fx.d, h, &s, &err), 0, "%s", err.msg);
		tc += sbx_now_ms() - t0;
		t0 = sbx_now_ms();
		cr_assert_eq(driver_start(fx.d, h, NULL, &err), 0, "%s", err.msg);
		cr_assert_eq(sbx_wait_exit(h, 5000), 0);
		tr += sbx_now_ms() - t0;
		t0 = sbx_now_ms();
		cr_assert_eq(driver_destroy(fx.d, h, &err), 0, "%s", err.msg);
		td += sbx_now_ms() - t0;
	}
	fprintf(stderr, "cycle (%d runs of /bin/true, %s): create %.2f ms, start+exit %.2f ms, "
		"destroy %.2f ms, total %.2f ms\n", n, driver_sandbox_backend(fx.d), tc / n, tr / n,
		td / n, (tc + tr + td) / n);
}
