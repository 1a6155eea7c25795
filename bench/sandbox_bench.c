/*
 * sandbox_bench.c - create/start/destroy cycle times of the sandbox driver
 * against its peers on the same trivial command (/bin/true), in one run:
 *   ours:    driver create (cgroup + limits 256 MiB/25%/64 pids, clone into
 *            new pid/mnt/net/uts/ipc ns) + start + wait for exit + destroy
 *   unshare: util-linux `unshare --pid --fork --mount --net --uts --ipc`
 *   bwrap:   bubblewrap `--unshare-all --ro-bind / /` (skipped if absent)
 * Peers get no cgroup, so they do less work. Needs root. Prints figures only.
 * Usage: sandbox_bench [runs]   (default 50)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "sandbox.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, const char *what, double *t, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-8s mean %7.2f ms  median %7.2f ms  p90 %7.2f ms  (%d runs)  %s\n", name, sum / n,
	       t[n / 2], t[(n * 9) / 10], n, what);
}

static int run_exec(char *const *argv)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int bench_ours(double *t, int n)
{
	char root[] = "/tmp/ephsbx-bench-XXXXXX", id[32], h[DRIVER_HANDLE_MAX];
	char *const argv[] = { "/bin/true", NULL };
	struct driver_sandbox_config cfg = { .state_root = root };
	struct driver_spec s = { .vcpu_milli = 250, .mem_mib = 256, .pids_max = 64,
				 .net = DRIVER_NET_NONE, .argv = argv };
	struct driver_stats st;
	struct eph_err err = { { 0 } };
	struct driver *d = NULL;
	double ph[3] = { 0, 0, 0 }, t0, t1, t2;
	int i;

	if (!mkdtemp(root) || driver_sandbox_new(&d, &cfg, &err) < 0) {
		printf("ours: cannot run: %s\n", err.msg);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "bench-%d-%d", (int)getpid(), i);
		s.env_id = id;
		t0 = now_ms();
		if (driver_create(d, h, &s, &err) < 0 || driver_start(d, h, NULL, &err) < 0) {
			printf("ours: %s\n", err.msg);
			driver_destroy(d, h, NULL);
			break;
		}
		t1 = now_ms();
		do
			usleep(100);
		while (driver_stats(d, &st, h, &err) == 0 && st.running && now_ms() - t1 < 5000);
		t2 = now_ms();
		driver_destroy(d, h, &err);
		t[i] = now_ms() - t0;
		ph[0] += t1 - t0;
		ph[1] += t2 - t1;
		ph[2] += now_ms() - t2;
	}
	printf("ours:    %s\n", driver_sandbox_backend(d));
	printf("ours:    create+start %.2f ms, run+exit %.2f ms, destroy %.2f ms (means)\n",
	       ph[0] / n, ph[1] / n, ph[2] / n);
	driver_free(d);
	rmdir(root);
	return i == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	char *const un[] = { "/usr/bin/unshare", "--pid", "--fork", "--mount", "--net", "--uts",
			     "--ipc", "/bin/true", NULL };
	char *const bw[] = { "/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/", "/",
			     "--proc", "/proc", "--dev", "/dev", "/bin/true", NULL };
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 50, i;
	double *t;

	if (n < 1 || n > 100000)
		n = 50;
	if (geteuid() != 0) {
		printf("SKIP: sandbox_bench needs root\n");
		return 0;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	if (bench_ours(t, n) == 0)
		report("ours", "create+start+wait+destroy, cgroup limits, 5 namespaces", t, n);
	if (access(un[0], X_OK) == 0) {
		for (i = 0; i < n; i++) {
			double t0 = now_ms();

			if (run_exec(un) != 0)
				break;
			t[i] = now_ms() - t0;
		}
		if (i == n)
			report("unshare", "unshare --pid --fork --mount --net --uts --ipc /bin/true", t, n);
		else
			printf("unshare: failed\n");
	} else {
		printf("unshare: not installed (util-linux)\n");
	}
	if (access(bw[0], X_OK) == 0) {
		for (i = 0; i < n; i++) {
			double t0 = now_ms();

			if (run_exec(bw) != 0)
				break;
			t[i] = now_ms() - t0;
		}
		if (i == n)
			report("bwrap", "bwrap --unshare-all --ro-bind / / /bin/true", t, n);
		else
			printf("bwrap: failed\n");
	} else {
		printf("bwrap: not installed (Debian: bubblewrap)\n");
	}
	free(t);
	return 0;
}
