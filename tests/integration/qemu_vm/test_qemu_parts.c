/*
 * test_qemu_parts.c - the pieces of the qemu VM driver that need no qemu
 * run: the newc cpio writer (read back by cpio -t / cpio -i), the per-VM
 * initrd layout, the agent configuration text, the QMP client against a
 * small fake QMP server on a unix socket (greeting, capabilities, events
 * before the reply, error replies, a non-QMP peer, an oversize line, a peer
 * that hangs up or stays silent), the state-folder scan, and list() and
 * destroy() of a driver on prepared folders (a half-made VM, a stale pid
 * file naming a live process that is not its qemu, which must survive).
 *
 * A driver is made with accel "tcg" (no probe boot) and placeholder kernel
 * and initrd files: creating VMs is test_qemu_vm.c's job.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu-priv.h"
#include "qemu.h"
#include "testutil.h"

static char work[64];

static void mkwork(void)
{
	snprintf(work, sizeof(work), "/tmp/eph-qparts.XXXXXX");
	cr_assert_not_null(mkdtemp(work));
}

static void rmwork(void)
{
	qv__rm_rf(work);
}

static const char *wpath(const char *name)
{
	static char p[4][256];
	static unsigned n;
	char *o = p[n++ % 4];

	snprintf(o, sizeof(p[0]), "%s/%s", work, name);
	return o;
}

/* ---- newc cpio ---------------------------------------------------------- */

static const char conf_text[] = "broker = https://10.0.2.100:8443\npin = sha256//x\n";

static const struct qv_cpio_file three[] = {
	{ "etc", 040755, NULL, 0 },
	{ "etc/ephemera", 040755, NULL, 0 },
	{ "etc/ephemera/agent.conf", 0100600, conf_text, sizeof(conf_text) - 1 },
	{ "etc/ephemera/odd-length", 0100644, "abcde", 5 },
};

Test(qemu_cpio, newc_is_read_back_by_cpio, .init = mkwork, .fini = rmwork)
{
	uint8_t buf[4096];
	size_t len = 0;
	struct eph_err err = {{0}};
	char cmd[512], *out = NULL;
	int st;

	cr_assert_eq(qv__cpio_newc(buf, sizeof(buf), &len, three, 4, &err), 0, "%s", err.msg);
	cr_assert_eq(len % 4, 0);
	cr_assert_eq(memcmp(buf, "070701", 6), 0);
	{
		FILE *f = fopen(wpath("a.cpio"), "wb");

		cr_assert_not_null(f);
		cr_assert_eq(fwrite(buf, 1, len, f), len);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "cpio -t --quiet < '%s' 2>&1", wpath("a.cpio"));
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "cpio -t: %s", out ? out : "");
	cr_assert_str_eq(out, "etc\netc/ephemera\netc/ephemera/agent.conf\netc/ephemera/odd-length\n");
	free(out);
	out = NULL;
	snprintf(cmd, sizeof(cmd), "cpio -i --quiet --to-stdout etc/ephemera/agent.conf < '%s'",
		 wpath("a.cpio"));
	cr_assert_eq(tu_run(cmd, &out), 0);
	cr_assert_str_eq(out, conf_text);
	free(out);
	out = NULL;
	/* modes and owner as written */
	snprintf(cmd, sizeof(cmd), "cpio -tv --quiet < '%s' | head -3 | tail -1", wpath("a.cpio"));
	cr_assert_eq(tu_run(cmd, &out), 0);
	cr_assert(strncmp(out, "-rw-------", 10) == 0, "%s", out);
	cr_assert_not_null(strstr(out, "root"), "%s", out);
	free(out);
}

Test(qemu_cpio, bad_names_and_short_buffers_are_refused)
{
	static const char *const bad[] = { "", "/etc/x", "../x", "a/../b", "a//b", "a/./b",
					   "a/", "sp ace", "tab\tx", ".", ".." };
	uint8_t buf[1024];
	size_t len = 1, i;
	struct eph_err err = {{0}};

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct qv_cpio_file f = { bad[i], 0100644, "x", 1 };

		cr_assert_eq(qv__cpio_newc(buf, sizeof(buf), &len, &f, 1, &err), EPH_EFORMAT,
			     "'%s' accepted", bad[i]);
		cr_assert_eq(len, 0);
	}
	{
		struct qv_cpio_file f = { "dev/x", 020644, NULL, 0 }; /* a char device */

		cr_assert_eq(qv__cpio_newc(buf, sizeof(buf), &len, &f, 1, &err), EPH_EFORMAT);
	}
	/* fits in 4096, not in 200 */
	cr_assert_eq(qv__cpio_newc(buf, 200, &len, three, 4, &err), EPH_ENOMEM);
}

Test(qemu_cpio, initrd_is_base_padded_then_archive, .init = mkwork, .fini = rmwork)
{
	struct eph_err err = {{0}};
	uint8_t *img;
	size_t ilen, i;
	char cmd[512], *out = NULL;
	static const char base[] = "BASE-INITRD-BYTES"; /* 17 bytes: not aligned */

	{
		FILE *f = fopen(wpath("base"), "wb");

		cr_assert_not_null(f);
		fwrite(base, 1, sizeof(base) - 1, f);
		fclose(f);
	}
	cr_assert_eq(qv__initrd_build(wpath("vm.img"), wpath("base"), three, 3, &err), 0, "%s",
		     err.msg);
	img = tu_read(wpath("vm.img"), &ilen);
	cr_assert_gt(ilen, 512);
	cr_assert_eq(memcmp(img, base, sizeof(base) - 1), 0);
	for (i = sizeof(base) - 1; i < 512; i++)
		cr_assert_eq(img[i], 0, "byte %zu of the padding is %u", i, img[i]);
	cr_assert_eq(memcmp(img + 512, "070701", 6), 0);
	free(img);
	snprintf(cmd, sizeof(cmd), "tail -c +513 '%s' | cpio -t --quiet", wpath("vm.img"));
	cr_assert_eq(tu_run(cmd, &out), 0);
	cr_assert_str_eq(out, "etc\netc/ephemera\netc/ephemera/agent.conf\n");
	free(out);
	/* a missing base is named */
	cr_assert_eq(qv__initrd_build(wpath("vm2.img"), wpath("nope"), three, 3, &err),
		     EPH_ENOTFOUND);
	cr_assert_not_null(strstr(err.msg, "nope"), "%s", err.msg);
}

/* ---- agent.conf ---------------------------------------------------------- */

Test(qemu_agentconf, keys_and_env_overrides)
{
	char buf[2048];
	struct eph_err err = {{0}};
	char *envp[] = { "EPH_PERIOD_S=7", "EPH_TCTI=swtpm:host=1", "EPH_VERBOSE=yes",
			 "OTHER=1", NULL };
	struct qv_agent_in in = { .broker_url = "https://10.0.2.100:8443",
				  .pin = "sha256//AAAA", .hostname = "env-1", .period_s = 3,
				  .pcrs = "sha256:0,15", .envp = envp };

	cr_assert_eq(qv__agent_conf(buf, sizeof(buf), &in, &err), 0, "%s", err.msg);
	cr_assert_not_null(strstr(buf, "\nbroker = https://10.0.2.100:8443\n"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\npin = sha256//AAAA\n"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\ntcti = device:/dev/tpmrm0\n"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\nhostname = env-1\n"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\npcrs = sha256:0,15\n"), "%s", buf);
	/* the spec's EPH_PERIOD_S wins over the driver's default, once */
	cr_assert_not_null(strstr(buf, "\nperiod_s = 7\n"), "%s", buf);
	cr_assert_null(strstr(buf, "period_s = 3"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\nverbose = yes\n"), "%s", buf);
	cr_assert_null(strstr(buf, "swtpm"), "%s", buf);
	cr_assert_null(strstr(buf, "cacert"), "%s", buf);

	envp[0] = "EPH_PERIOD_S=1\nbroker = https://evil";
	cr_assert_eq(qv__agent_conf(buf, sizeof(buf), &in, &err), EPH_EFORMAT);
	envp[0] = "EPH_PERIOD_S=5 # comment";
	cr_assert_eq(qv__agent_conf(buf, sizeof(buf), &in, &err), EPH_EFORMAT);
	envp[0] = "EPH_PERIOD_S=5";
	in.pin = NULL;
	cr_assert_eq(qv__agent_conf(buf, sizeof(buf), &in, &err), EPH_EFORMAT);
	in.pin = "sha256//AAAA";
	cr_assert_eq(qv__agent_conf(buf, 40, &in, &err), EPH_ENOMEM);
}

/* ---- QMP against a fake server ----------------------------------------- */

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": []}}\r\n"

static pid_t server = -1;

/* Read one line from fd (bounded); 0 at EOF. */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			return -1;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

/*
 * A fake QMP server on sock: sends greeting (NULL: nothing), then for each
 * reply reads one client line and writes the reply; then waits for the
 * client to hang up. A reply "@HANGUP" closes instead, "@SILENT" sleeps.
 */
static void fake_qmp(const char *sock, const char *greeting, const char *const *replies)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert_geq(ls, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	cr_assert_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(ls, 1), 0);
	server = fork();
	cr_assert_geq(server, 0);
	if (server == 0) {
		char line[4096];
		int c = accept(ls, NULL, NULL), i;

		if (c < 0)
			_exit(1);
		if (greeting && write(c, greeting, strlen(greeting)) < 0)
			_exit(1);
		for (i = 0; replies && replies[i]; i++) {
			if (read_line(c, line, sizeof(line)) <= 0)
				_exit(2);
			if (strcmp(replies[i], "@HANGUP") == 0)
				_exit(0);
			if (strcmp(replies[i], "@SILENT") == 0) {
				sleep(30);
				_exit(0);
			}
			if (write(c, replies[i], strlen(replies[i])) < 0)
				_exit(1);
		}
		while (read(c, line, sizeof(line)) > 0)
			;
		_exit(0);
	}
	close(ls);
}

static void stop_server(void)
{
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	server = -1;
	rmwork();
}

Test(qemu_qmp, greeting_caps_events_and_a_reply, .init = mkwork, .fini = stop_server)
{
	static const char *const r[] = {
		"{\"return\": {}}\r\n",
		"{\"timestamp\": {\"seconds\": 1}, \"event\": \"RESUME\"}\r\n"
		"{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": 7}\r\n",
		NULL
	};
	struct qv_qmp *q = malloc(sizeof(*q));
	struct eph_err err = {{0}};
	json_t *ret = NULL;

	fake_qmp(wpath("q.sock"), GREETING, r);
	cr_assert_eq(qv__qmp_open(q, wpath("q.sock"), 3000, &err), 0, "%s", err.msg);
	cr_assert_eq(qv__qmp_cmd(q, &ret, "query-status", NULL, &err), 0, "%s", err.msg);
	cr_assert_str_eq(json_string_value(json_object_get(ret, "status")), "running");
	json_decref(ret);
	qv__qmp_close(q);
	free(q);
}

Test(qemu_qmp, error_reply_names_class_and_desc, .init = mkwork, .fini = stop_server)
{
	static const char *const r[] = {
		"{\"return\": {}}\r\n",
		"{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not "
		"been found\"}, \"id\": 7}\r\n",
		NULL
	};
	struct qv_qmp *q = malloc(sizeof(*q));
	struct eph_err err = {{0}};
	json_t *ret = NULL;

	fake_qmp(wpath("q.sock"), GREETING, r);
	cr_assert_eq(qv__qmp_open(q, wpath("q.sock"), 3000, &err), 0, "%s", err.msg);
	cr_assert_eq(qv__qmp_cmd(q, &ret, "nope", NULL, &err), EPH_EFAIL);
	cr_assert_null(ret);
	cr_assert_not_null(strstr(err.msg, "CommandNotFound"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "has not been found"), "%s", err.msg);
	qv__qmp_close(q);
	free(q);
}

Test(qemu_qmp, refuses_a_peer_without_greeting, .init = mkwork, .fini = stop_server)
{
	struct qv_qmp *q = malloc(sizeof(*q));
	struct eph_err err = {{0}};

	fake_qmp(wpath("q.sock"), "{\"hello\": 1}\r\n", NULL);
	cr_assert_eq(qv__qmp_open(q, wpath("q.sock"), 3000, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "greeting"), "%s", err.msg);
	cr_assert_eq(q->fd, -1);
	free(q);
}

Test(qemu_qmp, refuses_non_json_and_non_objects, .init = mkwork, .fini = stop_server)
{
	static const char *const r[] = { "[1, 2]\r\n", NULL };
	struct qv_qmp *q = malloc(sizeof(*q));
	struct eph_err err = {{0}};

	fake_qmp(wpath("q.sock"), GREETING, r);
	cr_assert_eq(qv__qmp_open(q, wpath("q.sock"), 3000, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "not an object"), "%s", err.msg);
	stop_server();
	mkwork();
	fake_qmp(wpath("q.sock"), "{\"QMP\": {}\r\n", NULL);
	cr_assert_eq(qv__qmp_open(q, wpath("q.sock"), 3000, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "bad JSON"), "%s", err.msg);
	free(q);
}

Test(qemu_qmp, refuses_an_oversize_line, .init = mkwork, .fini = stop_server)
{
	size_t n = QV_QMP_LINE_MAX + 4096;
	char *big = malloc(n + 1);
	struct qv_qmp *q = malloc(sizeof(*q));
	struct eph_err err = {{0}};

	memset(big, 'x', n);
	big[0] = '{';
	big[n] = '\0';
	fake_qmp(wpath("q.sock"), big, NULL);
	cr_assert_eq(qv__qmp_open(q, wpath("q.sock"), 3000, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "longer than"), "%s", err.msg);
	free(big);
	free(q);
}

Test(qemu_qmp, hangup_and_silence_are_io_errors, .init = mkwork, .fini = stop_server)
{
	static const char *const hang[] = { "{\"return\": {}}\r\n", "@HANGUP", NULL };
	static const char *const quiet[] = { "{\"return\": {}}\r\n", "@SILENT", NULL };
	struct qv_qmp *q = malloc(sizeof(*q));
	struct eph_err err = {{0}};
	long t0;

	fake_qmp(wpath("q.sock"), GREETING, hang);
	cr_assert_eq(qv__qmp_open(q, wpath("q.sock"), 3000, &err), 0, "%s", err.msg);
	cr_assert_eq(qv__qmp_cmd(q, NULL, "query-status", NULL, &err), EPH_EIO);
	cr_assert_not_null(strstr(err.msg, "closed"), "%s", err.msg);
	qv__qmp_close(q);
	stop_server();
	mkwork();
	fake_qmp(wpath("q.sock"), GREETING, quiet);
	cr_assert_eq(qv__qmp_open(q, wpath("q.sock"), 500, &err), 0, "%s", err.msg);
	t0 = qv__now_ms();
	cr_assert_eq(qv__qmp_cmd(q, NULL, "query-status", NULL, &err), EPH_EIO);
	cr_assert_lt(qv__now_ms() - t0, 3000);
	qv__qmp_close(q);
	/* nobody listening */
	cr_assert_eq(qv__qmp_open(q, wpath("none.sock"), 500, &err), EPH_ENOTFOUND);
	free(q);
}

/* ---- usage of a process ---------------------------------------------------- */

Test(qemu_procstat, reads_cpu_and_peak_memory_of_a_live_process)
{
	struct driver_stats s = { 0 };
	volatile unsigned long x = 0;
	unsigned long i;
	pid_t dead;

	for (i = 0; i < 200000000ul; i++) /* some CPU time to see */
		x += i;
	cr_assert_eq(qv__proc_usage(&s, getpid()), 0);
	cr_assert_gt(s.cpu_usage_ns, 0);
	cr_assert_gt(s.mem_peak_bytes, 1u << 20);
	dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	cr_assert_eq(qv__proc_usage(&s, dead), -1);
	cr_assert(!qv__alive(dead));
	cr_assert(qv__alive(getpid()));
}

/* ---- list() and destroy() on prepared folders ---------------------------- */

static struct driver *parts_driver(void)
{
	struct driver_qemu_config c = { 0 };
	struct eph_err err = {{0}};
	struct driver *d = NULL;
	char cmd[300];
	int rc;

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/state' && : > '%s/k' && : > '%s/i'", work, work,
		 work);
	cr_assert_eq(system(cmd), 0);
	c.state_root = wpath("state");
	c.kernel = wpath("k");
	c.initrd = wpath("i");
	c.accel = "tcg";
	c.forwarder = "/bin/true";
	c.broker_port = 8443;
	c.broker_pin = "sha256//AAAA";
	rc = driver_qemu_new(&d, &c, &err);
	if (rc == EPH_EUNSUPPORTED) {
		fprintf(stderr, "SKIP: qemu_vm: %s\n", err.msg);
		cr_log_warn("SKIP: %s", err.msg);
		cr_skip_test("qemu not installed: %s", err.msg);
	}
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_not_null(strstr(driver_qemu_accel(d), "tcg"));
	return d;
}

Test(qemu_list, finds_vm_folders_only, .init = mkwork, .fini = rmwork)
{
	struct driver *d = parts_driver();
	struct driver_entry *v = NULL;
	struct eph_err err = {{0}};
	size_t n = 9;
	char cmd[600];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s/state' && mkdir vm-b vm-a vm- vm-bad_id other && : > vm-c && "
		 "mkdir -p vm-a/tpm && echo 999999 > vm-a/qemu.pid",
		 work);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(driver_list(d, &v, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].env_id, "a");
	cr_assert_str_eq(v[0].handle, "vm:a");
	cr_assert_str_eq(v[1].env_id, "b");
	free(v);
	driver_free(d);
}

Test(qemu_list, empty_or_missing_root_lists_nothing, .init = mkwork, .fini = rmwork)
{
	char (*ids)[DRIVER_ID_MAX + 1] = NULL;
	size_t n = 5;
	struct eph_err err = {{0}};

	cr_assert_eq(qv__scan(wpath("nothing-here"), &ids, &n, &err), 0);
	cr_assert_eq(n, 0);
	free(ids);
}

Test(qemu_destroy, stale_pid_file_spares_an_unrelated_process, .init = mkwork, .fini = rmwork)
{
	struct driver *d = parts_driver();
	struct driver_entry *v = NULL;
	struct eph_err err = {{0}};
	char cmd[600];
	size_t n = 9;
	pid_t victim = fork();

	cr_assert_geq(victim, 0);
	if (victim == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	/* A half-made VM whose pid files name a live process that is neither
	 * its qemu nor its swtpm (a reused pid). */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/state' && mkdir -p vm-half/tpm && echo %d > vm-half/qemu.pid && "
		 "echo %d > vm-half/tpm/swtpm.pid && : > vm-half/initrd.img",
		 work, (int)victim, (int)victim);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(driver_destroy(d, "vm:half", &err), 0, "%s", err.msg);
	cr_assert_eq(access(wpath("state/vm-half"), F_OK), -1);
	cr_assert_eq(waitpid(victim, NULL, WNOHANG), 0, "destroy killed an unrelated process");
	/* idempotent, and gone from list() */
	cr_assert_eq(driver_destroy(d, "vm:half", &err), 0, "%s", err.msg);
	cr_assert_eq(driver_list(d, &v, &n, &err), 0);
	cr_assert_eq(n, 0);
	free(v);
	/* bad handles */
	cr_assert_eq(driver_destroy(d, "sbx:half:0", &err), EPH_EFORMAT);
	cr_assert_eq(driver_destroy(d, "vm:../x", &err), EPH_EFORMAT);
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	driver_free(d);
}

Test(qemu_create, refuses_bad_specs_without_leaving_anything, .init = mkwork, .fini = rmwork)
{
	struct driver *d = parts_driver();
	char h[DRIVER_HANDLE_MAX];
	struct eph_err err = {{0}};
	struct driver_spec sp = { .env_id = "x1", .mem_mib = 64 };
	struct driver_entry *v = NULL;
	size_t n = 9;

	cr_assert_eq(driver_create(d, h, &sp, &err), EPH_EFORMAT); /* 64 MiB: too small */
	sp.mem_mib = 512;
	sp.vcpu_milli = 65001;
	cr_assert_eq(driver_create(d, h, &sp, &err), EPH_EFORMAT);
	sp.vcpu_milli = 1000;
	sp.vtpm = 1; /* no fixtures configured */
	cr_assert_eq(driver_create(d, h, &sp, &err), EPH_EUNSUPPORTED);
	sp.vtpm = 0;
	sp.env_id = "bad/id";
	cr_assert_eq(driver_create(d, h, &sp, &err), EPH_EFORMAT);
	cr_assert_eq(driver_list(d, &v, &n, &err), 0);
	cr_assert_eq(n, 0);
	free(v);
	/* an existing VM folder is never taken over (nor removed) */
	cr_assert_eq(mkdir(wpath("state/vm-x1"), 0700), 0);
	sp.env_id = "x1";
	cr_assert_eq(driver_create(d, h, &sp, &err), EPH_EPOLICY);
	cr_assert_eq(access(wpath("state/vm-x1"), F_OK), 0);
	/* no qemu behind it: start says so, stats says not running */
	cr_assert_eq(driver_start(d, "vm:x1", NULL, &err), EPH_ENOTFOUND);
	{
		struct driver_stats st;

		cr_assert_eq(driver_stats(d, &st, "vm:x1", &err), 0, "%s", err.msg);
		cr_assert_eq(st.running, 0);
		cr_assert_eq(driver_stats(d, &st, "vm:nope", &err), EPH_ENOTFOUND);
	}
	driver_free(d);
}

Test(qemu_new, config_errors_are_named, .init = mkwork, .fini = rmwork)
{
	struct driver_qemu_config c = { 0 };
	struct eph_err err = {{0}};
	struct driver *d = (struct driver *)1;

	c.state_root = "relative";
	cr_assert_eq(driver_qemu_new(&d, &c, &err), EPH_EFORMAT);
	cr_assert_null(d);
	c.state_root = wpath("state");
	c.kernel = wpath("no-kernel");
	c.initrd = wpath("no-initrd");
	cr_assert_eq(driver_qemu_new(&d, &c, &err), EPH_ENOTFOUND);
	cr_assert_not_null(strstr(err.msg, "build-guest.sh"), "%s", err.msg);
	{
		char cmd[300], q[256];

		if (qv__which(q, sizeof(q), "qemu-system-x86_64") < 0) {
			fprintf(stderr, "SKIP: qemu_vm: qemu-system-x86_64 not installed\n");
			cr_skip_test("qemu-system-x86_64 not installed: the rest needs it");
		}

		snprintf(cmd, sizeof(cmd), ": > '%s/k' && : > '%s/i'", work, work);
		cr_assert_eq(system(cmd), 0);
	}
	c.kernel = wpath("k");
	c.initrd = wpath("i");
	c.broker_port = 1;
	c.broker_pin = "sha256//A";
	c.forwarder = "/bin/true";
	c.accel = "warp";
	cr_assert_eq(driver_qemu_new(&d, &c, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "auto, kvm or tcg"), "%s", err.msg);
	c.accel = "tcg";
	c.broker_host = "host; rm -rf /";
	cr_assert_eq(driver_qemu_new(&d, &c, &err), EPH_EFORMAT);
}
