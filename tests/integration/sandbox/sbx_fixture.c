/*
 * sbx_fixture.c - the shared fixture of the sandbox driver tests (see
 * sbx_fixture.h). Not a test file itself.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbx_fixture.h"

struct sbx_fx fx;

char *const sbx_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };

double sbx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int memory_controller_usable(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int ok = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, ":memory:") || strncmp(line, "0::", 3) == 0)
			ok = 1;
	fclose(f);
	return ok;
}

void sbx_fx_setup(void)
{
	struct driver_sandbox_config cfg = { 0 };
	const char *fixtures = getenv("EPH_FIXTURES");
	struct eph_err err = { { 0 } };
	int rc;

	memset(&fx, 0, sizeof(fx));
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: sandbox tests need root (namespaces, cgroups)\n");
		cr_skip_test("not root");
	}
	if (!memory_controller_usable()) {
		fprintf(stderr, "SKIP: no cgroup memory controller for this process\n");
		cr_skip_test("no cgroup memory controller");
	}
	snprintf(fx.root, sizeof(fx.root), "/tmp/ephsbx-XXXXXX");
	cr_assert_not_null(mkdtemp(fx.root));
	snprintf(fx.prefix, sizeof(fx.prefix), "t%d", (int)getpid());
	cfg.state_root = fx.root;
	cfg.fixtures_dir = fixtures ? fixtures : EPH_SOURCE_DIR "/swtpm-fixtures";
	rc = driver_sandbox_new(&fx.d, &cfg, &err);
	if (rc == EPH_EUNSUPPORTED) {
		fprintf(stderr, "SKIP: %s\n", err.msg);
		rmdir(fx.root);
		cr_skip_test("no usable cgroup backend");
	}
	cr_assert_eq(rc, 0, "driver_sandbox_new: %s", err.msg);
}

void sbx_fx_teardown(void)
{
	struct driver_entry *v = NULL;
	struct eph_err err = { { 0 } };
	char cmd[128];
	size_t n = 0, i;

	if (!fx.d)
		return;
	if (driver_list(fx.d, &v, &n, &err) == 0)
		for (i = 0; i < n; i++)
			if (fx.prefix[0] && strstr(v[i].env_id, fx.prefix))
				if (driver_destroy(fx.d, v[i].handle, &err) < 0)
					fprintf(stderr, "teardown: %s\n", err.msg);
	free(v);
	driver_free(fx.d);
	fx.d = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", fx.root);
	if (system(cmd) != 0)
		fprintf(stderr, "teardown: could not remove %s\n", fx.root);
}

const char *sbx_id(const char *name)
{
	static char buf[DRIVER_ID_MAX + 1];

	snprintf(buf, sizeof(buf), "%s-%s", fx.prefix, name);
	return buf;
}

int sbx_wait_exit(const char *handle, int timeout_ms)
{
	double end = sbx_now_ms() + timeout_ms;
	struct driver_stats st;
	struct eph_err err;

	while (sbx_now_ms() < end) {
		if (driver_stats(fx.d, &st, handle, &err) < 0)
			return -1;
		if (!st.running)
			return 0;
		usleep(5000);
	}
	return -1;
}

char *sbx_console(const char *env_id)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], *buf = calloc(1, 65536);
	FILE *f;
	size_t n;

	cr_assert_not_null(buf);
	cr_assert_eq(driver_sandbox_state_dir(fx.d, dir, sizeof(dir), env_id), 0);
	snprintf(path, sizeof(path), "%s/console.log", dir);
	f = fopen(path, "re");
	if (!f)
		return buf;
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

struct driver_spec sbx_spec(const char *id, char *const *argv)
{
	struct driver_spec s = {
		.env_id = id, .vcpu_milli = 250, .mem_mib = 256, .pids_max = 64,
		.net = DRIVER_NET_NONE, .argv = argv, .envp = sbx_env, .vtpm = 0,
	};

	return s;
}
