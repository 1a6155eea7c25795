/*
 * test_limits.c - a sandbox's namespaces and cgroup limits, for real
 * (needs root): pid 1, hostname, only lo; a 400 MB allocation OOM-killed
 * under 256 MiB; a 2 s busy loop held to about 0.5 s of CPU by a 25% quota;
 * a fork bomb capped at pids.max.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbx_fixture.h"

TestSuite(sandbox_limits, .init = sbx_fx_setup, .fini = sbx_fx_teardown);

static void run(char *handle, const char *id, char *const *argv)
{
	struct driver_spec s = sbx_spec(id, argv);
	struct eph_err err = { { 0 } };

	cr_assert_eq(driver_create(fx.d, handle, &s, &err), 0, "create: %s", err.msg);
	cr_assert_eq(driver_start(fx.d, handle, NULL, &err), 0, "start: %s", err.msg);
}

Test(sandbox_limits, namespaces_pid1_hostname_only_lo)
{
	char id[DRIVER_ID_MAX + 1], h[DRIVER_HANDLE_MAX], *out, *p;
	char *const argv[] = { "/bin/sh", "-c",
			       "echo pid=$$; echo host=$(cat /proc/sys/kernel/hostname); "
			       "echo ppid=$PPID; tail -n +3 /proc/net/dev | cut -d: -f1", NULL };
	char want[80];
	int ifaces = 0;

	snprintf(id, sizeof(id), "%s", sbx_id("ns"));
	run(h, id, argv);
	cr_assert_eq(sbx_wait_exit(h, 10000), 0);
	out = sbx_console(id);
	cr_log_info("console:\n%s", out);
	cr_expect(strstr(out, "pid=1\n") != NULL, "not pid 1: %s", out);
	snprintf(want, sizeof(want), "host=%s\n", id);
	cr_expect(strstr(out, want) != NULL, "hostname: %s", out);
	for (p = strstr(out, "ppid=0\n"); p && (p = strchr(p, '\n')) && *++p;) {
		ifaces++;
		cr_expect(strncmp(p + strspn(p, " "), "lo\n", 3) == 0, "interface besides lo: %s", p);
	}
	cr_expect_eq(ifaces, 1, "want exactly lo: %s", out);
	free(out);
}

Test(sandbox_limits, oom_killed_at_256mib)
{
	char id[DRIVER_ID_MAX + 1], h[DRIVER_HANDLE_MAX], *out;
	char *const argv[] = { "/bin/sh", "-c",
			       "head -c 400000000 /dev/zero | tail > /dev/null; echo rc=$?", NULL };
	struct driver_stats st;
	struct eph_err err;

	snprintf(id, sizeof(id), "%s", sbx_id("oom"));
	run(h, id, argv);
	cr_assert_eq(sbx_wait_exit(h, 30000), 0);
	cr_assert_eq(driver_stats(fx.d, &st, h, &err), 0, "%s", err.msg);
	out = sbx_console(id);
	fprintf(stderr, "oom: oom_events=%llu mem_peak=%.1f MiB console=%s",
		(unsigned long long)st.oom_events, st.mem_peak_bytes / 1048576.0, out);
	cr_expect_geq(st.oom_events, 1);
	cr_expect(strstr(out, "rc=137") != NULL, "tail not SIGKILLed: %s", out);
	cr_expect_leq(st.mem_peak_bytes, 257ull << 20);
	cr_expect_geq(st.mem_peak_bytes, 200ull << 20);
	free(out);
}

Test(sandbox_limits, cpu_quota_quarter)
{
	char id[DRIVER_ID_MAX + 1], h[DRIVER_HANDLE_MAX];
	char *const argv[] = { "/usr/bin/timeout", "2", "/bin/sh", "-c", "while :; do :; done",
			       NULL };
	struct driver_stats st;
	struct eph_err err;

	snprintf(id, sizeof(id), "%s", sbx_id("cpu"));
	run(h, id, argv);
	cr_assert_eq(sbx_wait_exit(h, 15000), 0);
	cr_assert_eq(driver_stats(fx.d, &st, h, &err), 0, "%s", err.msg);
	fprintf(stderr, "cpu: 2 s busy loop at 25%% quota used %.3f s CPU\n",
		st.cpu_usage_ns / 1e9);
	cr_expect_lt(st.cpu_usage_ns, 800000000ull);
	cr_expect_gt(st.cpu_usage_ns, 200000000ull);
}

static int read_u64(const char *dir, const char *file, const char *key, unsigned long long *v)
{
	char path[PATH_MAX + 32], line[256];
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;

		if (key) {
			if (strncmp(line, key, strlen(key)) != 0)
				continue;
			p += strlen(key);
		}
		*v = strtoull(p, NULL, 10);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

Test(sandbox_limits, fork_bomb_capped_at_pids_max)
{
	char id[DRIVER_ID_MAX + 1], h[DRIVER_HANDLE_MAX], dirs[4][PATH_MAX], pdir[PATH_MAX] = "";
	char *const argv[] = { "/bin/sh", "-c", "b() { b | b & }; b; sleep 30", NULL };
	unsigned long long cur = 0, peak = 0, hits = 0;
	struct eph_err err;
	int n, i;
	double end;

	snprintf(id, sizeof(id), "%s", sbx_id("bomb"));
	run(h, id, argv);
	n = driver_sandbox_cgroup_dirs(fx.d, dirs, 4, id, &err);
	for (i = 0; i < n; i++)
		if (read_u64(dirs[i], "pids.current", NULL, &cur) == 0)
			memcpy(pdir, dirs[i], sizeof(pdir));
	cr_assert(pdir[0], "no pids.current in the sandbox's cgroups");
	for (end = sbx_now_ms() + 1500; sbx_now_ms() < end; usleep(10000))
		if (read_u64(pdir, "pids.current", NULL, &cur) == 0 && cur > peak)
			peak = cur;
	if (read_u64(pdir, "pids.events", "max ", &hits) < 0)
		hits = (unsigned long long)-1; /* v2 names it the same; absent: unknown */
	fprintf(stderr, "fork bomb: pids.current peak %llu (max 64), pids.events max %llu\n",
		peak, hits);
	cr_expect_leq(peak, 64);
	cr_expect_geq(peak, 60, "the bomb should reach the cap");
	cr_expect_gt(hits, 0);
	cr_assert_eq(driver_destroy(fx.d, h, &err), 0, "destroy under a fork bomb: %s", err.msg);
	for (i = 0; i < n; i++)
		cr_expect_neq(access(dirs[i], F_OK), 0, "%s left", dirs[i]);
}
