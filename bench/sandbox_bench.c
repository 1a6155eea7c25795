/*
 * sandbox_bench.c - time to ready of the sandbox driver, cold and claimed
 * from a warm pool, against unshare, bwrap and crun on the same trivial
 * commands, in one run. Prints p50/p90 per row and each row's ratio to ours.
 *
 * Two commands, each a table:
 *   true: /bin/true; ready = the command has exited (ours: waitid on the
 *         sandbox's first process; a peer: its launcher process has exited,
 *         its own teardown included);
 *   byte: /bin/sh -c 'printf x >FIFO'; ready = the bench has read that byte
 *         from the FIFO (the same file for every row), so every row is
 *         timed to the same event: the command runs and can talk.
 * Rows: ours cold (driver create + start + ready), ours cold + vTPM (a
 * swtpm provisioned per sandbox), ours warm (warmpool_claim + driver_start +
 * ready from a pool filled before the clock starts), ours warm + vTPM, bare
 * fork+exec (no isolation: the floor), unshare, bwrap, and crun (a bundle
 * made with `crun spec`, edited: no terminal, our command, rootfs a tiny
 * folder whose /usr is the host's, bind-mounted read-only). Destroying ours
 * is never timed (printed apart); the peers' teardown is part of their
 * process. Rows run interleaved in blocks so that load from other work
 * on the machine spreads over all of them.
 *
 * crun 1.8 refuses hybrid cgroups even with --cgroup-manager=disabled; then
 * the bench runs `crun --cgroup-manager=disabled run` in a private mount
 * namespace whose /sys/fs/cgroup/unified is an empty tmpfs (crun sees v1
 * only) and prints each refused attempt with crun's own error line. crun is
 * never given cgroups there: its cgroupfs manager would make them at the v1
 * roots, which the machine's process manager owns.
 *
 * Everything lives in /tmp/ephsbx-bench-XXXXXX (driver state, swtpm CA,
 * FIFO, crun bundle and state), removed at the end, after every sandbox is
 * destroyed; the end checks that the driver lists none of ours. Needs root.
 * Not here: CPU or memory accounting of the rows, and any use of the vTPM
 * by the command (the vTPM rows time what it costs to have one).
 *
 * Usage: sandbox_bench [-n RUNS] [-v VTPM_RUNS] [-f SWTPM_FIXTURES_DIR] [-g GAP_MS]
 *   -g: idle GAP_MS before every run (not timed), so that the kernel's
 *       deferred teardown of the last run's namespaces is over: time to
 *       ready at a low arrival rate rather than back to back (default 0).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "sandbox.h"
#include "warmpool.h"

#define BLOCK 5           /* runs of one row before the next row's turn */
#define READY_MS 10000    /* a command that is not ready by then failed */

enum { CMD_TRUE, CMD_BYTE, CMD_N };
enum { R_COLD, R_COLD_VTPM, R_WARM, R_WARM_VTPM, R_BARE, R_UNSHARE, R_BWRAP, R_CRUN,
       R_CRUN_NOCG, R_CRUN_V1, R_N };

static const char *const row_name[R_N] = {
	"ours cold", "ours cold +vTPM", "ours warm", "ours warm +vTPM", "bare fork+exec",
	"unshare", "bwrap", "crun", "crun nocg", "crun nocg v1view",
};

struct row {
	int want, done;
	char na[320];         /* "" or why the row has no figures */
	double *tot, *a, *b;  /* per run, ms: time to ready; create|claim; start..ready */
	double *des;          /* ours: destroy, not part of tot */
};

struct bench {
	char ws[32];                 /* the workspace, /tmp/ephsbx-bench-XXXXXX */
	char state[64], run[64], fifo[64], bundle[64], croot[64], cerr[64];
	char cfg[CMD_N][96];
	char script[96];             /* the byte command's shell text */
	char *argv[CMD_N][4];
	const char *fixtures;        /* NULL: no vTPM rows */
	int fifo_fd;
	struct driver *d;
	struct warmpool *wp;
	char cls[CMD_N][2][WARMPOOL_CLASS_MAX + 1]; /* [cmd][vtpm] */
	char tag[16];                /* in every env id of this run */
	int seq;
	int gap_ms;                  /* -g: idle time before each run */
	struct row rows[CMD_N][R_N];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run_tool(char *const *v);

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Nearest-rank percentile of n samples (sorts a copy). */
static double pct(const double *t, int n, int p)
{
	double *c = n > 0 ? malloc((size_t)n * sizeof(*c)) : NULL, v;
	int k = (p * n + 99) / 100 - 1;

	if (!c)
		return 0;
	memcpy(c, t, (size_t)n * sizeof(*c));
	qsort(c, (size_t)n, sizeof(*c), cmp);
	v = c[k < 0 ? 0 : k];
	free(c);
	return v;
}

static void row_fail(struct row *r, const char *what, const char *msg)
{
	if (!r->na[0])
		snprintf(r->na, sizeof(r->na), "n/a: %s%.256s", what, msg);
}

/* Before each timed run: an optional idle gap (-g), then an empty FIFO. */
static void pre_run(struct bench *b)
{
	char buf[64];

	if (b->gap_ms > 0)
		usleep((useconds_t)b->gap_ms * 1000u);
	while (read(b->fifo_fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * Wait for the byte on the FIFO. pid: a process whose early death means no
 * byte will come: reaped when reap, else only noticed (WNOWAIT: the
 * driver reaps its own). *gone set when pid was reaped here, *status then
 * in waitpid()'s form.
 */
static int wait_byte(int fd, pid_t pid, int reap, int *gone, int *status)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	double t0 = now_ms();
	siginfo_t si;
	char c;

	while (now_ms() - t0 < READY_MS && !stop) {
		if (poll(&pf, 1, 20) == 1 && read(fd, &c, 1) == 1)
			return 0;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | (reap ? 0 : WNOWAIT)) == 0 &&
		    si.si_pid == pid) {
			*gone = reap;
			*status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8
							   : (si.si_status & 0x7f);
			return poll(&pf, 1, 0) == 1 && read(fd, &c, 1) == 1 ? 0 : -1;
		}
	}
	return -1;
}

/* The sandbox's first process: the handle is "sbx:<id>:<pid>" (sandbox.c). */
static pid_t handle_pid(const char *h)
{
	const char *c = strrchr(h, ':');
	char *end = NULL;
	long v;

	if (!c)
		return -1;
	errno = 0;
	v = strtol(c + 1, &end, 10);
	return (errno || *end || v <= 0) ? -1 : (pid_t)v;
}

/* Ready for ours: /bin/true exited (not reaped: destroy reaps), or the byte. */
static int ours_ready(struct bench *b, int cmd, const char *h)
{
	pid_t pid = handle_pid(h);
	siginfo_t si;
	int gone = 0, st = 0;

	if (pid < 0)
		return -1;
	if (cmd == CMD_BYTE)
		return wait_byte(b->fifo_fd, pid, 0, &gone, &st);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
		return -1;
	return si.si_code == CLD_EXITED && si.si_status == 0 ? 0 : -1;
}

static void ours_spec(struct bench *b, struct driver_spec *s, int cmd, int vtpm)
{
	memset(s, 0, sizeof(*s));
	s->vcpu_milli = 250;
	s->mem_mib = 256;
	s->pids_max = 64;
	s->net = DRIVER_NET_NONE;
	s->argv = b->argv[cmd];
	s->vtpm = vtpm;
}

/* One cold run: create + start + ready timed, destroy timed apart. */
static int ours_cold(struct bench *b, struct row *r, int cmd, int vtpm, int timed)
{
	char id[DRIVER_ID_MAX + 1], h[DRIVER_HANDLE_MAX];
	struct eph_err err = { { 0 } };
	struct driver_spec s;
	double t0, t1, t2, t3;
	int rc;

	ours_spec(b, &s, cmd, vtpm);
	snprintf(id, sizeof(id), "%s-c%d", b->tag, ++b->seq);
	s.env_id = id;
	pre_run(b);
	t0 = now_ms();
	rc = driver_create(b->d, h, &s, &err);
	if (rc < 0) {
		row_fail(r, "create: ", err.msg);
		return rc;
	}
	t1 = now_ms();
	rc = driver_start(b->d, h, NULL, &err);
	if (rc < 0)
		row_fail(r, "start: ", err.msg);
	else if ((rc = ours_ready(b, cmd, h)) < 0)
		row_fail(r, "", "the command did not get ready");
	t2 = now_ms();
	driver_destroy(b->d, h, NULL);
	t3 = now_ms();
	if (rc == 0 && timed) {
		r->tot[r->done] = t2 - t0;
		r->a[r->done] = t1 - t0;
		r->b[r->done] = t2 - t1;
		r->des[r->done++] = t3 - t2;
	}
	return rc;
}

/* k warm runs: the pool is filled to k first (not timed), then each claim
 * + start + ready is timed and the member destroyed (timed apart). */
static int ours_warm(struct bench *b, struct row *r, int cmd, int vtpm, int k, int timed)
{
	const char *cls = b->cls[cmd][vtpm];
	struct driver_cmd dc = { .argv = b->argv[cmd], .envp = NULL };
	char h[DRIVER_HANDLE_MAX], id[DRIVER_ID_MAX + 1];
	struct eph_err err = { { 0 } };
	double t0, t1, t2, t3;
	int rc, i;

	rc = warmpool_resize(b->wp, cls, (size_t)k, &err);
	if (rc < 0) {
		row_fail(r, "filling the pool: ", err.msg);
		warmpool_resize(b->wp, cls, 0, NULL);
		return rc;
	}
	for (i = 0; i < k && !stop; i++) {
		pre_run(b);
		t0 = now_ms();
		rc = warmpool_claim(b->wp, h, id, cls, &err);
		if (rc < 0) {
			row_fail(r, "claim: ", err.msg);
			break;
		}
		t1 = now_ms();
		rc = driver_start(b->d, h, &dc, &err);
		if (rc < 0)
			row_fail(r, "start: ", err.msg);
		else if ((rc = ours_ready(b, cmd, h)) < 0)
			row_fail(r, "", "the command did not get ready");
		t2 = now_ms();
		driver_destroy(b->d, h, NULL);
		t3 = now_ms();
		if (rc < 0)
			break;
		if (timed) {
			r->tot[r->done] = t2 - t0;
			r->a[r->done] = t1 - t0;
			r->b[r->done] = t2 - t1;
			r->des[r->done++] = t3 - t2;
		}
	}
	warmpool_resize(b->wp, cls, 0, NULL); /* after a failure: nothing idle stays */
	return rc;
}

/*
 * The argv of a peer row for cmd, written to v (24 slots). id names a crun
 * container. Peers run with stdout and stderr on /dev/null, except crun's
 * stderr, which goes to b->cerr for its error line.
 */
static char **peer_argv(struct bench *b, char **v, int row, int cmd, const char *id)
{
	static char *const un[] = { "/usr/bin/unshare", "--pid", "--fork", "--mount", "--net",
				    "--uts", "--ipc" };
	static char *const bw[] = { "/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/", "/",
				    "--dev", "/dev", "--proc", "/proc" };
	int n = 0, i;

	switch (row) {
	case R_UNSHARE:
		for (i = 0; i < 7; i++)
			v[n++] = un[i];
		break;
	case R_BWRAP:
		for (i = 0; i < 9; i++)
			v[n++] = bw[i];
		break;
	case R_CRUN:
	case R_CRUN_NOCG:
	case R_CRUN_V1:
		v[n++] = "/usr/bin/crun";
		v[n++] = "--root";
		v[n++] = b->croot;
		if (row != R_CRUN)
			v[n++] = "--cgroup-manager=disabled";
		v[n++] = "run";
		v[n++] = "--bundle";
		v[n++] = b->bundle;
		v[n++] = "--config";
		v[n++] = b->cfg[cmd];
		v[n++] = (char *)id;
		v[n] = NULL;
		return v;
	default:
		break;
	}
	for (i = 0; b->argv[cmd][i]; i++)
		v[n++] = b->argv[cmd][i];
	v[n] = NULL;
	return v;
}

/* In the forked child of the crun v1-view row: hide the cgroup2 mount. */
static int hide_unified(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	return mount("tmpfs", "/sys/fs/cgroup/unified", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "size=64k,mode=755");
}

/*
 * A launcher that gave no byte in time: SIGTERM (crun and bwrap pass it to
 * the command), SIGKILL after 2 s, and for crun a forced delete of the
 * container so no state or process of it stays.
 */
static void stop_peer(struct bench *b, pid_t pid, int row, const char *id)
{
	char *del[] = { "/usr/bin/crun", "--root", b->croot, "delete", "--force", (char *)id, NULL };
	double t0 = now_ms();

	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (now_ms() - t0 > 2000) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		usleep(1000);
	}
	if (row >= R_CRUN)
		run_tool(del);
}

/* One peer run, timed from fork to ready. Returns the exit status, < 0 on
 * a timeout or signal. */
static int peer_run(struct bench *b, struct row *r, int row, int cmd, int timed)
{
	char *v[24], id[64];
	int st = 0, gone = 0, rc = 0, nul, errfd;
	double t0, t1;
	pid_t pid;

	snprintf(id, sizeof(id), "%s-k%d", b->tag, ++b->seq);
	peer_argv(b, v, row, cmd, id);
	pre_run(b);
	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR);
		errfd = row >= R_CRUN ? open(b->cerr, O_WRONLY | O_CREAT | O_TRUNC, 0600) : nul;
		if (nul < 0 || errfd < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 ||
		    dup2(errfd, 2) < 0 || (row == R_CRUN_V1 && hide_unified() < 0))
			_exit(126);
		execv(v[0], v);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	if (cmd == CMD_BYTE)
		rc = wait_byte(b->fifo_fd, pid, 1, &gone, &st);
	else if (waitpid(pid, &st, 0) == pid)
		gone = 1;
	t1 = now_ms();
	if (!gone && rc < 0)
		stop_peer(b, pid, row, id);
	else if (!gone && waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st) || WEXITSTATUS(st) != 0 || rc < 0)
		return WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : -1;
	if (timed) {
		r->tot[r->done] = t1 - t0;
		r->a[r->done] = r->b[r->done] = r->des[r->done] = 0;
		r->done++;
	}
	return 0;
}

/* The last non-empty line crun wrote to stderr. */
static void crun_error(struct bench *b, char *out, size_t cap, int status)
{
	char buf[4096], *p, *e;
	ssize_t n = -1;
	int fd = open(b->cerr, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	p = strrchr(buf, '\n');
	p = p ? p + 1 : buf;
	if ((e = strchr(p, '\r')) != NULL)
		*e = '\0';
	if (*p)
		snprintf(out, cap, "n/a: %.300s", p);
	else
		snprintf(out, cap, "n/a: crun exit status %d, nothing on stderr", status);
}

static int run_tool(char *const *v)
{
	int st, nul;
	pid_t pid = fork();

	if (pid == 0) {
		nul = open("/dev/null", O_RDWR);
		if (nul < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
			_exit(126);
		execv(v[0], v);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static json_t *bind_mount(const char *path)
{
	return json_pack("{s:s, s:s, s:s, s:[s, s]}", "destination", path, "type", "bind",
			 "source", path, "options", "rbind", "ro");
}

/* The bundle: `crun spec`, then per command a config with it edited. */
static int crun_bundle(struct bench *b, char *why, size_t cap)
{
	char *spec[] = { "/usr/bin/crun", "spec", "--bundle", b->bundle, NULL };
	static const char *const links[][2] = { { "usr/bin", "bin" }, { "usr/sbin", "sbin" },
						 { "usr/lib", "lib" }, { "usr/lib64", "lib64" } };
	char p[128], rootfs[96];
	json_t *base, *c, *args, *proc, *mounts;
	json_error_t je;
	int cmd, i, rc = 0;

	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", b->bundle);
	snprintf(p, sizeof(p), "%s/usr", rootfs);
	if (mkdir(b->bundle, 0700) < 0 || mkdir(rootfs, 0755) < 0 || mkdir(p, 0755) < 0) {
		snprintf(why, cap, "n/a: bundle: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", rootfs, links[i][1]);
		if (symlink(links[i][0], p) < 0) {
			snprintf(why, cap, "n/a: bundle: %s", strerror(errno));
			return -1;
		}
	}
	if (run_tool(spec) != 0) {
		snprintf(why, cap, "n/a: `crun spec --bundle %.64s` failed", b->bundle);
		return -1;
	}
	snprintf(p, sizeof(p), "%s/config.json", b->bundle);
	base = json_load_file(p, 0, &je);
	if (!base) {
		snprintf(why, cap, "n/a: %.100s: %.160s", p, je.text);
		return -1;
	}
	for (cmd = 0; cmd < CMD_N && rc == 0; cmd++) {
		c = json_deep_copy(base);
		proc = json_object_get(c, "process");
		mounts = json_object_get(c, "mounts");
		args = json_is_object(proc) && json_is_array(mounts) ? json_array() : NULL;
		for (i = 0; args && b->argv[cmd][i]; i++)
			json_array_append_new(args, json_string(b->argv[cmd][i]));
		if (!args || json_object_set_new(proc, "terminal", json_false()) < 0 ||
		    json_object_set_new(proc, "args", args) < 0 ||
		    json_array_append_new(mounts, bind_mount("/usr")) < 0 ||
		    (cmd == CMD_BYTE && json_array_append_new(mounts, bind_mount(b->run)) < 0) ||
		    json_dump_file(c, b->cfg[cmd], JSON_INDENT(2)) < 0) {
			snprintf(why, cap, "n/a: cannot edit %.100s", p);
			rc = -1;
		}
		json_decref(c);
	}
	json_decref(base);
	return rc;
}

/* Which crun rows run: a probe of each way; refusals keep crun's line. */
static void crun_setup(struct bench *b)
{
	struct statfs sf;
	char why[320] = "";
	int cmd, row, st, hybrid, ok = 0;

	hybrid = statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
	if (access("/usr/bin/crun", X_OK) != 0)
		snprintf(why, sizeof(why), "n/a: crun not installed (Debian: apt-get install crun)");
	else
		crun_bundle(b, why, sizeof(why));
	for (row = R_CRUN; row <= R_CRUN_V1; row++) {
		if (why[0] || (row == R_CRUN_V1 && (ok || !hybrid))) {
			for (cmd = 0; cmd < CMD_N; cmd++)
				snprintf(b->rows[cmd][row].na, sizeof(b->rows[cmd][row].na), "%s",
					 why[0] ? why : ok ? "not needed: crun ran as is"
							   : "not tried: cgroups are not hybrid");
			continue;
		}
		st = peer_run(b, &b->rows[CMD_TRUE][row], row, CMD_TRUE, 0);
		for (cmd = 0; cmd < CMD_N; cmd++) {
			if (st != 0)
				crun_error(b, b->rows[cmd][row].na, sizeof(b->rows[cmd][row].na), st);
			else
				b->rows[cmd][row].na[0] = '\0';
		}
		ok |= st == 0;
	}
}

static void run_block(struct bench *b, int cmd, int row, int k, int timed)
{
	struct row *r = &b->rows[cmd][row];
	int i;

	switch (row) {
	case R_WARM:
	case R_WARM_VTPM:
		ours_warm(b, r, cmd, row == R_WARM_VTPM, k, timed);
		return;
	default:
		break;
	}
	for (i = 0; i < k && !stop && !r->na[0]; i++) {
		if (row == R_COLD || row == R_COLD_VTPM) {
			ours_cold(b, r, cmd, row == R_COLD_VTPM, timed);
		} else {
			int st = peer_run(b, r, row, cmd, timed);

			if (st != 0 && row >= R_CRUN) {
				crun_error(b, r->na, sizeof(r->na), st);
			} else if (st != 0) {
				snprintf(r->na, sizeof(r->na), "n/a: %s exited with %d",
					 row_name[row], st);
			}
		}
	}
}

static void print_table(struct bench *b, int cmd)
{
	struct row *rr = b->rows[cmd], *r;
	double cold = 0, warm = 0, p50;
	int row;

	if (rr[R_COLD].done && !rr[R_COLD].na[0])
		cold = pct(rr[R_COLD].tot, rr[R_COLD].done, 50);
	if (rr[R_WARM].done && !rr[R_WARM].na[0])
		warm = pct(rr[R_WARM].tot, rr[R_WARM].done, 50);
	printf("\n== %s\n", cmd == CMD_TRUE
		   ? "/bin/true   (ready = the command exited; a peer: its launcher exited)"
		   : "byte: /bin/sh -c 'printf x >FIFO'   (ready = the bench read the byte)");
	printf("%-17s %5s %9s %9s %9s %9s   %s\n", "row", "runs", "p50 ms", "p90 ms", "/ours-cold",
	       "/ours-warm", "notes");
	for (row = 0; row < R_N; row++) {
		r = &rr[row];
		if (r->na[0] || !r->done) {
			printf("%-17s %s\n", row_name[row], r->na[0] ? r->na : "n/a: not run");
			continue;
		}
		p50 = pct(r->tot, r->done, 50);
		printf("%-17s %5d %9.3f %9.3f", row_name[row], r->done, p50, pct(r->tot, r->done, 90));
		if (cold > 0)
			printf(" %8.2fx", p50 / cold);
		else
			printf(" %9s", "-");
		if (warm > 0)
			printf(" %8.2fx", p50 / warm);
		else
			printf(" %9s", "-");
		if (row <= R_WARM_VTPM)
			printf("   %s %.3f + start..ready %.3f; destroy %.3f (p50, not in the total)",
			       row <= R_COLD_VTPM ? "create" : "claim", pct(r->a, r->done, 50),
			       pct(r->b, r->done, 50), pct(r->des, r->done, 50));
		printf("\n");
	}
	r = &rr[R_COLD_VTPM];
	if (r->done && !r->na[0] && cold > 0)
		printf("vTPM: create p50 %.1f ms of a %.1f ms time to ready, against %.3f ms "
		       "without: provisioning the swtpm (swtpm_setup, EK certificates signed by "
		       "the CA, swtpm start) dominates; a warm pool pays it before the claim\n",
		       pct(r->a, r->done, 50), pct(r->tot, r->done, 50), cold);
}

/* Remove the workspace; every sandbox is gone by then. */
static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT ? -1 : 0;
}

static int setup(struct bench *b, struct eph_err *err)
{
	struct driver_sandbox_config cfg = { 0 };
	struct driver_spec s;
	int cmd, v;

	snprintf(b->ws, sizeof(b->ws), "/tmp/ephsbx-bench-XXXXXX");
	if (!mkdtemp(b->ws))
		return eph_err_set(err, EPH_EIO, "mkdtemp: %s", strerror(errno));
	snprintf(b->state, sizeof(b->state), "%s/state", b->ws);
	snprintf(b->run, sizeof(b->run), "%s/run", b->ws);
	snprintf(b->fifo, sizeof(b->fifo), "%s/run/ready.fifo", b->ws);
	snprintf(b->bundle, sizeof(b->bundle), "%s/bundle", b->ws);
	snprintf(b->croot, sizeof(b->croot), "%s/crun-state", b->ws);
	snprintf(b->cerr, sizeof(b->cerr), "%s/crun.err", b->ws);
	snprintf(b->cfg[CMD_TRUE], sizeof(b->cfg[0]), "%s/config-true.json", b->bundle);
	snprintf(b->cfg[CMD_BYTE], sizeof(b->cfg[0]), "%s/config-byte.json", b->bundle);
	snprintf(b->script, sizeof(b->script), "printf x >%s", b->fifo);
	if (mkdir(b->run, 0755) < 0 || mkfifo(b->fifo, 0666) < 0 ||
	    (b->fifo_fd = open(b->fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		return eph_err_set(err, EPH_EIO, "%s: %s", b->fifo, strerror(errno));
	b->argv[CMD_TRUE][0] = "/bin/true";
	b->argv[CMD_BYTE][0] = "/bin/sh";
	b->argv[CMD_BYTE][1] = "-c";
	b->argv[CMD_BYTE][2] = b->script;
	snprintf(b->tag, sizeof(b->tag), "sbxb%d", (int)getpid());
	cfg.state_root = b->state;
	cfg.fixtures_dir = b->fixtures;
	if (driver_sandbox_new(&b->d, &cfg, err) < 0 || warmpool_new(&b->wp, b->d, err) < 0)
		return -1;
	for (cmd = 0; cmd < CMD_N; cmd++)
		for (v = 0; v < 2; v++) {
			snprintf(b->cls[cmd][v], sizeof(b->cls[cmd][v]), "%s-%c%d", b->tag,
				 cmd == CMD_TRUE ? 't' : 'b', v);
			ours_spec(b, &s, cmd, v);
			if (warmpool_set_class(b->wp, b->cls[cmd][v], &s, 0, err) < 0)
				return -1;
		}
	return 0;
}

/* Processes whose command line names the workspace (swtpm, a stuck
 * command or launcher): should be none at the end. */
static int procs_mentioning(const char *ws)
{
	char f[64], buf[4096];
	struct dirent *de;
	DIR *d = opendir("/proc");
	ssize_t len;
	int fd, cnt = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    snprintf(f, sizeof(f), "/proc/%s/cmdline", de->d_name) >= (int)sizeof(f))
			continue;
		fd = open(f, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf));
		close(fd);
		if (len > 0 && memmem(buf, (size_t)len, ws, strlen(ws))) {
			printf("LEFTOVER process %s\n", de->d_name);
			cnt++;
		}
	}
	closedir(d);
	return cnt;
}

/* Sandboxes of this run the driver still lists (should be none). */
static int leftovers(struct bench *b)
{
	struct driver_entry *e = NULL;
	struct eph_err err = { { 0 } };
	size_t n = 0, i;
	int left = 0;

	if (driver_list(b->d, &e, &n, &err) < 0) {
		printf("leftover check: %s\n", err.msg);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (strstr(e[i].env_id, b->tag)) {
			printf("LEFTOVER sandbox %s\n", e[i].env_id);
			left++;
		}
	free(e);
	return left;
}

static int alloc_rows(struct bench *b, int n, int nv)
{
	int cmd, row;
	struct row *r;

	for (cmd = 0; cmd < CMD_N; cmd++)
		for (row = 0; row < R_N; row++) {
			r = &b->rows[cmd][row];
			r->want = (row == R_COLD_VTPM || row == R_WARM_VTPM) ? nv : n;
			r->tot = calloc((size_t)r->want + 1, sizeof(double));
			r->a = calloc((size_t)r->want + 1, sizeof(double));
			r->b = calloc((size_t)r->want + 1, sizeof(double));
			r->des = calloc((size_t)r->want + 1, sizeof(double));
			if (!r->tot || !r->a || !r->b || !r->des)
				return -1;
			if ((row == R_COLD_VTPM || row == R_WARM_VTPM) && !b->fixtures)
				snprintf(r->na, sizeof(r->na), "n/a: no swtpm fixtures (-f DIR)");
			else if (nv == 0 && (row == R_COLD_VTPM || row == R_WARM_VTPM))
				snprintf(r->na, sizeof(r->na), "n/a: skipped (-v 0)");
			if ((row == R_UNSHARE && access("/usr/bin/unshare", X_OK) != 0) ||
			    (row == R_BWRAP && access("/usr/bin/bwrap", X_OK) != 0))
				snprintf(r->na, sizeof(r->na), "n/a: not installed (Debian: %s)",
					 row == R_BWRAP ? "bubblewrap" : "util-linux");
		}
	return 0;
}

static void bench_free(struct bench *b)
{
	int cmd, row;

	for (cmd = 0; cmd < CMD_N; cmd++)
		for (row = 0; row < R_N; row++) {
			free(b->rows[cmd][row].tot);
			free(b->rows[cmd][row].a);
			free(b->rows[cmd][row].b);
			free(b->rows[cmd][row].des);
		}
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench bs;
	struct bench *b = &bs;
	struct sigaction sa;
	struct eph_err err = { { 0 } };
	int n = 50, nv = 10, o, cmd, row, left, more, rc = 0;

#ifdef EPH_SOURCE_DIR
	b->fixtures = EPH_SOURCE_DIR "/swtpm-fixtures";
#endif
	b->fifo_fd = -1;
	while ((o = getopt(argc, argv, "n:v:f:g:")) != -1) {
		if ((o == 'n' && parse_int(optarg, 1, 100000, &n) < 0) ||
		    (o == 'v' && parse_int(optarg, 0, 1000, &nv) < 0) ||
		    (o == 'g' && parse_int(optarg, 0, 10000, &b->gap_ms) < 0) || o == '?') {
			fprintf(stderr, "usage: %s [-n RUNS] [-v VTPM_RUNS] [-f FIXTURES_DIR] "
				"[-g GAP_MS]\n", argv[0]);
			return 2;
		}
		if (o == 'f')
			b->fixtures = optarg[0] ? optarg : NULL;
	}
	if (geteuid() != 0) {
		printf("SKIP: sandbox_bench needs root\n");
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (alloc_rows(b, n, nv) < 0 || setup(b, &err) < 0) {
		printf("sandbox_bench: %s\n", err.msg[0] ? err.msg : "out of memory");
		rc = 1;
		goto out;
	}
	printf("ours:    %s; limits 256 MiB, 25%% CPU, 64 pids; new pid/mnt/net/uts/ipc ns\n",
	       driver_sandbox_backend(b->d));
	printf("vTPM:    %s\n", b->fixtures ? b->fixtures : "none");
	printf("runs:    %d per row (vTPM rows %d) after 1 untimed, rows interleaved in blocks "
	       "of %d; idle before each run: %d ms\n", n, nv, BLOCK, b->gap_ms);
	crun_setup(b);
	/* One untimed run of each row first: page cache, the swtpm CA. */
	for (cmd = 0; cmd < CMD_N && !stop; cmd++)
		for (row = 0; row < R_N && !stop; row++)
			if (!b->rows[cmd][row].na[0])
				run_block(b, cmd, row, 1, 0);
	do {
		more = 0;
		for (cmd = 0; cmd < CMD_N && !stop; cmd++)
			for (row = 0; row < R_N && !stop; row++) {
				struct row *r = &b->rows[cmd][row];
				int k = r->want - r->done < BLOCK ? r->want - r->done : BLOCK;

				if (r->na[0] || k <= 0)
					continue;
				run_block(b, cmd, row, k, 1);
				more |= r->done < r->want && !r->na[0];
			}
	} while (more && !stop);
	for (cmd = 0; cmd < CMD_N; cmd++)
		print_table(b, cmd);
	printf("\nratios: a row's p50 over ours' p50 (2.00x: the row takes twice as long).\n");
	if (stop)
		printf("interrupted: figures cover the runs done\n");
out:
	warmpool_free(b->wp);
	if (b->d) {
		left = leftovers(b);
		driver_free(b->d);
		if (left != 0)
			rc = 1;
	}
	if (b->ws[0] && procs_mentioning(b->ws) != 0)
		rc = 1;
	if (b->fifo_fd >= 0)
		close(b->fifo_fd);
	if (b->ws[0] && nftw(b->ws, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0) {
		printf("LEFTOVER %s: %s\n", b->ws, strerror(errno));
		rc = 1;
	} else if (b->ws[0] && rc == 0) {
		printf("cleanup: no sandbox, swtpm or workspace of this run is left\n");
	}
	bench_free(b);
	return rc;
}
