/*
 * lc_fixture.c - the shared fixture of the lifecycle tests (see
 * lc_fixture.h). Not a test file itself.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lc_fixture.h"

struct lc_fx fx;

char *const lc_envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };

/* ---- spy driver ---- */

static struct lc_spy *spy_of(struct driver *d)
{
	return (struct lc_spy *)d;
}

static int spy_create(struct driver *d, char handle[DRIVER_HANDLE_MAX],
		      const struct driver_spec *spec, struct eph_err *err)
{
	return driver_create(spy_of(d)->inner, handle, spec, err);
}

struct handle_find {
	const char *handle;
	int found;
};

static int handle_cb(const struct store_env *e, void *ctx)
{
	struct handle_find *f = ctx;

	if (e->handle != NULL && strcmp(e->handle, f->handle) == 0)
		f->found = 1;
	return 0;
}

static int spy_start(struct driver *d, const char *handle, const struct driver_cmd *cmd,
		     struct eph_err *err)
{
	struct lc_spy *s = spy_of(d);
	struct handle_find f = { handle, 0 };
	struct eph_err e2;

	if (store_env_foreach_live(s->st, handle_cb, &f, &e2) < 0)
		f.found = 0;
	if (s->starts++ == 0)
		s->handle_in_store_at_start = f.found;
	else
		s->handle_in_store_at_start &= f.found;
	if (s->kill_at_start)
		kill(getpid(), SIGKILL);
	return driver_start(s->inner, handle, cmd, err);
}

static int spy_stats(struct driver *d, struct driver_stats *out, const char *handle,
		     struct eph_err *err)
{
	return driver_stats(spy_of(d)->inner, out, handle, err);
}

static int spy_destroy(struct driver *d, const char *handle, struct eph_err *err)
{
	return driver_destroy(spy_of(d)->inner, handle, err);
}

static int spy_list(struct driver *d, struct driver_entry **out, size_t *n, struct eph_err *err)
{
	return driver_list(spy_of(d)->inner, out, n, err);
}

static void spy_free(struct driver *d)
{
	(void)d;
}

static const struct driver_ops spy_ops = {
	.name = "spy", .create = spy_create, .start = spy_start, .stats = spy_stats,
	.destroy = spy_destroy, .list = spy_list, .free = spy_free,
};

/* ---- scope: this process's sandboxes only (other tests share the host) ---- */

static int in_scope(const char *env_id, void *ctx)
{
	struct store_env *e = NULL;
	struct eph_err err;

	(void)ctx;
	if (strncmp(env_id, fx.prefix, strlen(fx.prefix)) == 0)
		return 1;
	if (store_env_get(&e, fx.st, env_id, &err) == 0) {
		store_env_free(e);
		return 1;
	}
	return 0;
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

void lc_fx_setup(void)
{
	struct driver_sandbox_config sc = { 0 };
	const char *fixtures = getenv("EPH_FIXTURES");
	char sbxroot[96];
	struct eph_err err = { { 0 } };
	int rc;

	memset(&fx, 0, sizeof(fx));
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: lifecycle tests need root (real sandbox driver)\n");
		cr_skip_test("not root");
	}
	if (!memory_controller_usable()) {
		fprintf(stderr, "SKIP: no cgroup memory controller for this process\n");
		cr_skip_test("no cgroup memory controller");
	}
	snprintf(fx.root, sizeof(fx.root), "/tmp/ephlc-XXXXXX");
	cr_assert_not_null(mkdtemp(fx.root));
	snprintf(fx.prefix, sizeof(fx.prefix), "lc%d", (int)getpid());
	snprintf(fx.db, sizeof(fx.db), "%s/store.db", fx.root);
	snprintf(sbxroot, sizeof(sbxroot), "%s/sbx", fx.root);
	cr_assert_eq(mkdir(sbxroot, 0700), 0);
	sc.state_root = sbxroot;
	sc.fixtures_dir = fixtures ? fixtures : EPH_SOURCE_DIR "/swtpm-fixtures";
	rc = driver_sandbox_new(&fx.sbx, &sc, &err);
	if (rc == EPH_EUNSUPPORTED) {
		fprintf(stderr, "SKIP: %s\n", err.msg);
		cr_skip_test("no usable cgroup backend");
	}
	cr_assert_eq(rc, 0, "driver_sandbox_new: %s", err.msg);
	cr_assert_eq(store_open(&fx.st, fx.db, NULL, &err), 0, "store_open: %s", err.msg);
	fx.spy.base.ops = &spy_ops;
	fx.spy.inner = fx.sbx;
	fx.spy.st = fx.st;
	lifecycle_config_default(&fx.cfg);
	fx.cfg.grace_s = 5;
	fx.cfg.in_scope = in_scope;
	cr_assert_eq(lifecycle_new(&fx.lc, fx.st, &fx.spy.base, &fx.cfg, &err), 0, "%s",
		     err.msg);
}

void lc_fx_teardown(void)
{
	struct driver_entry *v = NULL;
	struct eph_err err = { { 0 } };
	char cmd[128];
	size_t n = 0, i;

	if (fx.sbx != NULL && fx.st != NULL && driver_list(fx.sbx, &v, &n, &err) == 0)
		for (i = 0; i < n; i++)
			if (in_scope(v[i].env_id, NULL) &&
			    driver_destroy(fx.sbx, v[i].handle, &err) < 0)
				fprintf(stderr, "teardown: %s\n", err.msg);
	free(v);
	lifecycle_free(fx.lc);
	store_free(fx.st);
	driver_free(fx.sbx);
	if (fx.root[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", fx.root);
		if (system(cmd) != 0)
			fprintf(stderr, "teardown: could not remove %s\n", fx.root);
	}
	memset(&fx, 0, sizeof(fx));
}

void lc_env(char id[STORE_ID_SIZE], int64_t *decision, int64_t ttl_s, int64_t reattest_s,
	    int64_t now)
{
	struct store_env e = {
		.requester = "test", .attrs = "{}", .policy = "{}", .size = 0, .count = 1,
		.prewarm = 0, .driver = "sandbox", .ttl_s = ttl_s, .reattest_s = reattest_s,
		.created_at = now,
	};
	struct store_decision d = { 0 };
	struct eph_err err = { { 0 } };

	cr_assert_eq(store_env_create(id, fx.st, &e, &err), 0, "%s", err.msg);
	cr_assert_eq(store_env_transition(fx.st, id, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED,
					  "admitted", now, &err),
		     0, "%s", err.msg);
	d.env_id = id;
	d.class = id; /* one class per env: its successor is ours to add */
	d.at = now;
	d.action = 0;
	d.mask = 1;
	d.policy = "{}";
	cr_assert_eq(store_decision_record(decision, fx.st, &d, &err), 0, "%s", err.msg);
}

struct driver_spec lc_spec(char *const *argv)
{
	struct driver_spec s = {
		.env_id = NULL, .vcpu_milli = 250, .mem_mib = 256, .pids_max = 64,
		.net = DRIVER_NET_NONE, .argv = argv, .envp = lc_envp, .vtpm = 0,
	};

	return s;
}

static struct store_env *get_env(const char *id)
{
	struct store_env *e = NULL;
	struct eph_err err = { { 0 } };

	cr_assert_eq(store_env_get(&e, fx.st, id, &err), 0, "%s", err.msg);
	return e;
}

enum store_env_state lc_state(const char *id)
{
	struct store_env *e = get_env(id);
	enum store_env_state s = e->state;

	store_env_free(e);
	return s;
}

const char *lc_handle(const char *id)
{
	static char buf[DRIVER_HANDLE_MAX];
	struct store_env *e = get_env(id);

	snprintf(buf, sizeof(buf), "%s", e->handle ? e->handle : "");
	store_env_free(e);
	return buf;
}

struct hist {
	char path[512];
	char reason[256];
};

static int hist_cb(const struct store_env_step *s, void *ctx)
{
	struct hist *h = ctx;
	size_t len = strlen(h->path);

	snprintf(h->path + len, sizeof(h->path) - len, "%s%s", len ? ">" : "",
		 store_env_state_name(s->to));
	snprintf(h->reason, sizeof(h->reason), "%s", s->reason ? s->reason : "");
	return 0;
}

static struct hist *history(const char *id)
{
	static struct hist h;
	struct eph_err err = { { 0 } };

	memset(&h, 0, sizeof(h));
	cr_assert_eq(store_env_history_foreach(fx.st, id, hist_cb, &h, &err), 0, "%s", err.msg);
	return &h;
}

const char *lc_last_reason(const char *id)
{
	return history(id)->reason;
}

const char *lc_history(const char *id)
{
	return history(id)->path;
}

int lc_cgroup_exists(const char *id)
{
	char dirs[8][PATH_MAX];
	struct eph_err err = { { 0 } };
	struct stat sb;
	int n, i;

	n = driver_sandbox_cgroup_dirs(fx.sbx, dirs, 8, id, &err);
	cr_assert_geq(n, 1, "cgroup dirs: %s", err.msg);
	for (i = 0; i < n; i++)
		if (stat(dirs[i], &sb) == 0)
			return 1;
	return 0;
}

struct outcome_find {
	int64_t id;
	int found;
	float reward;
	char *usage;
	size_t len;
};

static int outcome_cb(const struct store_transition *t, void *ctx)
{
	struct outcome_find *f = ctx;

	if (t->decision_id != f->id)
		return 0;
	f->found = 1;
	f->reward = t->r;
	snprintf(f->usage, f->len, "%s", t->usage ? t->usage : "");
	return 0;
}

int lc_outcome(int64_t decision, const char *klass, float *reward, char *usage, size_t len)
{
	struct store_decision d = { 0 };
	struct outcome_find f = { decision, 0, 0, usage, len };
	struct eph_err err = { { 0 } };

	/* A successor of the same class completes the (not done) transition. */
	d.class = klass;
	d.at = INT32_MAX;
	d.mask = 1;
	d.policy = "{}";
	cr_assert_eq(store_decision_record(NULL, fx.st, &d, &err), 0, "%s", err.msg);
	cr_assert_eq(store_decisions_foreach(fx.st, outcome_cb, &f, &err), 0, "%s", err.msg);
	*reward = f.reward;
	return f.found;
}

int lc_wait_exit(const char *handle, int timeout_ms)
{
	struct driver_stats st;
	struct eph_err err;
	int waited;

	for (waited = 0; waited < timeout_ms; waited += 10) {
		if (driver_stats(fx.sbx, &st, handle, &err) < 0)
			return -1;
		if (!st.running)
			return 0;
		usleep(10000);
	}
	return -1;
}
