/*
 * envs_fixture.c - see envs_fixture.h.
 */
#define _GNU_SOURCE
#include "envs_fixture.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "sandbox.h"
#include "testutil.h"

char ef_dir[512];
pid_t ef_broker = -1;
const char *ef_sensitivity = "internal";
unsigned ef_mem_mib = 128;
static char port[16];

static const char *bdir(void)
{
	const char *b = getenv("EPH_BINARY_DIR");

	return b != NULL && *b ? b : EPH_BINARY_DIR;
}

int ef_sh(const char *cmd, char **out)
{
	char *o = NULL;
	int st = tu_run(cmd, &o);

	if (out)
		*out = o;
	else
		free(o);
	return st;
}

static void msleep(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

void ef_setup(void)
{
	char cmd[2048], *out = NULL;
	int st;

	snprintf(ef_dir, sizeof(ef_dir), "/tmp/eph-envs-XXXXXX");
	cr_assert_not_null(mkdtemp(ef_dir));
	snprintf(cmd, sizeof(cmd), "'%s/scripts/envs-setup.sh' '%s' '%s' 2>&1", EPH_SOURCE_DIR,
		 ef_dir, bdir());
	st = ef_sh(cmd, &out);
	cr_assert_eq(st, 0, "envs-setup.sh: %s", out ? out : "");
	free(out);
}

const char *ef_log(void)
{
	static char buf[1 << 18];
	char p[600];
	FILE *f;
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/broker.log", ef_dir);
	buf[0] = '\0';
	f = fopen(p, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

void ef_broker_start(void)
{
	ef_broker_start_with(NULL, 0);
}

void ef_broker_start_with(const char *driver_args, unsigned fixed_port)
{
	char cmd[4096], pf[600];
	int i;

	snprintf(pf, sizeof(pf), "%s/port", ef_dir);
	unlink(pf);
	/* --grace 2: a silent environment goes 2 s after its deadline.
	 * driver_args replaces envs-setup.sh's "--driver sandbox". */
	snprintf(cmd, sizeof(cmd),
		 ". '%s/broker.env' && %s exec '%s/broker/daemon/ephemera-broker' $BROKER_ARGS "
		 "%s --port %u --port-file '%s' --grace 2 -v 2>>'%s/broker.log'",
		 ef_dir,
		 driver_args ? "BROKER_ARGS=$(echo \"$BROKER_ARGS\" | sed 's/--driver sandbox//');"
			     : "",
		 bdir(), driver_args ? driver_args : "", fixed_port, pf, ef_dir);
	ef_broker = fork();
	cr_assert_geq(ef_broker, 0);
	if (ef_broker == 0) {
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300; i++) {
		FILE *f = fopen(pf, "r");

		if (f) {
			if (fgets(port, sizeof(port), f))
				port[strcspn(port, "\n")] = '\0';
			fclose(f);
			if (port[0])
				return;
		}
		if (waitpid(ef_broker, NULL, WNOHANG) == ef_broker) {
			ef_broker = -1;
			cr_assert_fail("broker exited at start: %s", ef_log());
		}
		msleep(50);
	}
	cr_assert_fail("broker did not write its port: %s", ef_log());
}

void ef_broker_stop(void)
{
	int i;

	if (ef_broker <= 0)
		return;
	kill(ef_broker, SIGTERM);
	for (i = 0; i < 500 && waitpid(ef_broker, NULL, WNOHANG) == 0; i++)
		msleep(10);
	if (i == 500) {
		kill(ef_broker, SIGKILL);
		waitpid(ef_broker, NULL, 0);
	}
	ef_broker = -1;
}

void ef_broker_kill9(void)
{
	if (ef_broker <= 0)
		return;
	kill(ef_broker, SIGKILL);
	waitpid(ef_broker, NULL, 0);
	ef_broker = -1;
}

static int ctl(const char *args, char **out)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 ". '%s/broker.env' && '%s/broker/ctl/ephemeractl' --broker https://127.0.0.1:%s "
		 "--pin \"$BROKER_PIN\" %s 2>&1",
		 ef_dir, bdir(), port, args);
	return ef_sh(cmd, out);
}

int ef_env_create(char id[STORE_ID_SIZE], const char *sub, unsigned clearance,
		  unsigned duration_s)
{
	char cmd[2048], tok[600], args[800], *out = NULL;
	json_t *doc;
	int st;

	id[0] = '\0';
	snprintf(tok, sizeof(tok), "%s/%s-%u.cwt", ef_dir, sub, duration_s);
	snprintf(cmd, sizeof(cmd),
		 ". '%s/broker.env' && '%s/broker/cwt/ephemera-token' mint --key \"$ISSUER_KEY\" "
		 "--iss idp --sub '%s' --role analyst --clearance %u --sensitivity %s "
		 "--vcpu 250 --mem %u --duration %u --ttl 3600 --class batch -o '%s' 2>&1",
		 ef_dir, bdir(), sub, clearance, ef_sensitivity, ef_mem_mib, duration_s, tok);
	st = ef_sh(cmd, &out);
	cr_assert_eq(st, 0, "ephemera-token: %s", out ? out : "");
	free(out);
	out = NULL;
	snprintf(args, sizeof(args), "--json env create --token '%s'", tok);
	st = ctl(args, &out);
	if (st == 0) {
		doc = json_loads(out, 0, NULL);
		if (json_is_string(json_object_get(doc, "env_id")))
			snprintf(id, STORE_ID_SIZE, "%s",
				 json_string_value(json_object_get(doc, "env_id")));
		json_decref(doc);
	}
	free(out);
	return st;
}

int ef_env_delete(const char *id)
{
	char args[200];

	snprintf(args, sizeof(args), "env delete %s", id);
	return ctl(args, NULL);
}

static store *open_store(void)
{
	char p[600];
	store *st = NULL;
	struct eph_err err = {{0}};

	snprintf(p, sizeof(p), "%s/store.db", ef_dir);
	cr_assert_eq(store_open(&st, p, NULL, &err), 0, "%s", err.msg);
	return st;
}

struct last {
	char *buf;
	size_t len;
};

static int last_cb(const struct store_env_step *s, void *ctx)
{
	struct last *l = ctx;

	snprintf(l->buf, l->len, "%s", s->reason ? s->reason : "");
	return 0;
}

int ef_env_state(const char *id, char *reason, size_t reason_len)
{
	store *st = open_store();
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	int state = -1;

	if (reason && reason_len)
		reason[0] = '\0';
	if (store_env_get(&e, st, id, &err) == 0) {
		struct last l = {reason, reason_len};

		state = (int)e->state;
		if (reason && reason_len)
			(void)store_env_history_foreach(st, id, last_cb, &l, &err);
		store_env_free(e);
	}
	store_free(st);
	return state;
}

void ef_env_handle(const char *id, char *out, size_t len)
{
	store *st = open_store();
	struct store_env *e = NULL;
	struct eph_err err = {{0}};

	out[0] = '\0';
	if (store_env_get(&e, st, id, &err) == 0) {
		snprintf(out, len, "%s", e->handle ? e->handle : "");
		store_env_free(e);
	}
	store_free(st);
}

int ef_wait_state(const char *id, int state, unsigned timeout_ms)
{
	unsigned waited = 0;
	int s = -1;

	for (;;) {
		s = ef_env_state(id, NULL, 0);
		if (s == state || waited >= timeout_ms)
			return s;
		/* a terminal state other than the one awaited will not change */
		if (s >= 0 && store_env_state_terminal((enum store_env_state)s))
			return s;
		msleep(100);
		waited += 100;
	}
}

unsigned ef_leaked_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char p[64], buf[8192];
		long pid = strtol(de->d_name, NULL, 10);
		ssize_t len, i;
		int fd;

		if (pid <= 1 || pid == (long)getpid() || pid == (long)ef_broker)
			continue;
		snprintf(p, sizeof(p), "/proc/%ld/cmdline", pid);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		if (strstr(buf, ef_dir) != NULL) {
			cr_log_warn("leaked process %ld: %s", pid, buf);
			n++;
		}
	}
	closedir(d);
	return n;
}

unsigned ef_leaked_sandboxes(char (*ids)[STORE_ID_SIZE], size_t n)
{
	struct driver_sandbox_config sc;
	struct driver *d = NULL;
	struct driver_entry *es = NULL;
	struct eph_err err = {{0}};
	char root[600];
	size_t ne = 0, i, j;
	unsigned leaked = 0;

	snprintf(root, sizeof(root), "%s/envs", ef_dir);
	memset(&sc, 0, sizeof(sc));
	sc.state_root = root;
	cr_assert_eq(driver_sandbox_new(&d, &sc, &err), 0, "%s", err.msg);
	cr_assert_eq(driver_list(d, &es, &ne, &err), 0, "%s", err.msg);
	for (i = 0; i < ne; i++)
		for (j = 0; j < n; j++)
			if (strcmp(es[i].env_id, ids[j]) == 0) {
				cr_log_warn("leaked sandbox %s (%s)", es[i].env_id, es[i].handle);
				leaked++;
			}
	free(es);
	driver_free(d);
	return leaked;
}

void ef_teardown(void)
{
	char cmd[700];

	ef_broker_stop();
	if (ef_dir[0] == '\0')
		return;
	/* Whatever a failed test left: kill what names the folder, then let a
	 * driver destroy every sandbox under it. */
	{
		struct driver_sandbox_config sc;
		struct driver *d = NULL;
		struct driver_entry *es = NULL;
		struct eph_err err = {{0}};
		char root[600], fx[600];
		size_t ne = 0, i;

		snprintf(root, sizeof(root), "%s/envs", ef_dir);
		snprintf(fx, sizeof(fx), "%s/swtpm-fixtures", EPH_SOURCE_DIR);
		memset(&sc, 0, sizeof(sc));
		sc.state_root = root;
		sc.fixtures_dir = fx;
		if (driver_sandbox_new(&d, &sc, &err) == 0 && driver_list(d, &es, &ne, &err) == 0)
			for (i = 0; i < ne; i++) {
				char st[700];

				snprintf(st, sizeof(st), "%s/ephemera-%s", root, es[i].env_id);
				if (access(st, F_OK) == 0) /* ours, not another test's */
					(void)driver_destroy(d, es[i].handle, &err);
			}
		free(es);
		driver_free(d);
	}
	/* and whatever else still names the folder: a failed VM test's qemu
	 * and swtpm (their state lives there) */
	snprintf(cmd, sizeof(cmd), "pkill -9 -f -- '%s/[e]nvs/' || true", ef_dir);
	(void)ef_sh(cmd, NULL);
	if (getenv("EPH_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ef_dir);
		(void)ef_sh(cmd, NULL);
	}
}
