/*
 * proc.c - the sandbox's first process. sbx__proc_spawn() clones a child
 * into new pid, mount, net, uts and ipc namespaces (a raw fork-like
 * clone: no stack juggling, and the child only makes async-signal-safe
 * calls on memory prepared before the clone). The child then waits on a
 * pipe; nothing of the workload runs until sbx__proc_go() sends it the
 * command, so the caller has moved it into its cgroup (and set up veth and
 * vTPM) before any user code runs. On the go message the child:
 *   - sets the hostname (the env id),
 *   - makes / private (MS_REC|MS_PRIVATE), mounts a fresh /proc for its pid
 *     namespace and a fresh read-only sysfs on /sys (its own net devices,
 *     no cgroupfs),
 *   - brings lo up, and in veth mode renames its end to eth0, gives it the
 *     /30 address and brings it up (ioctl, no iproute2 inside),
 *   - drops from the capability bounding set everything outside Docker's
 *     default set (so no CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_MODULE ...),
 *     sets no_new_privs, stdin /dev/null, stdout+stderr to the log,
 *   - execve()s the command as pid 1 of its namespace.
 * An exec failure is reported back on a close-on-exec pipe (EOF = success).
 * If the go pipe closes without a message (the broker died) the child exits
 * without running anything. Not done here: a root file system of its own,
 * a user namespace, seccomp, an init that reaps orphans.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox-priv.h"

#define GO_MAGIC 0x45504731u /* "EPG1" */
#define GO_MAX_BYTES (256u * 1024u)
#define GO_MAX_STRS 2048u

struct go_hdr {
	uint32_t magic;
	uint32_t argc;
	uint32_t envc;
	uint32_t len; /* bytes of NUL-terminated strings that follow */
};

/* Docker's default capabilities: what a workload keeps. */
static const int keep_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
	CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

enum { STEP_READ = 1, STEP_HOST, STEP_MNT, STEP_PROC, STEP_SYS, STEP_NET, STEP_CAPS,
       STEP_FDS, STEP_EXEC };

static const char *step_name(int s)
{
	static const char *const n[] = { "?", "reading the go message", "sethostname",
					  "making / private", "mounting /proc",
					  "mounting /sys", "network setup", "dropping capabilities",
					  "setting up stdio", "execve" };

	return s > 0 && s <= STEP_EXEC ? n[s] : n[0];
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t w = write(fd, (const char *)buf + put, len - put);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		put += (size_t)w;
	}
	return 0;
}

static int drop_caps(void)
{
	int c, k, keep;

	for (c = 0; c <= 63; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		keep = 0;
		for (k = 0; k < (int)(sizeof(keep_caps) / sizeof(keep_caps[0])); k++)
			keep |= keep_caps[k] == c;
		if (!keep && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -1;
	}
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void report(int fd, int step, int e)
{
	int32_t msg[2] = { step, e };

	write_full(fd, msg, sizeof(msg));
	_exit(127);
}

/* The child. buf and vec were allocated by the parent before the clone. */
static void child(const struct sbx_plan *plan, int go_rd, int err_wr, char *buf, char **vec)
{
	struct go_hdr h;
	uint32_t i, nstr;
	char *p;
	int devnull;

	if (read_full(go_rd, &h, sizeof(h)) < 0)
		_exit(0); /* closed without a message: never run anything */
	if (h.magic != GO_MAGIC || h.len > GO_MAX_BYTES || h.argc == 0 ||
	    h.argc + h.envc + 2 > GO_MAX_STRS || read_full(go_rd, buf, h.len) < 0 ||
	    h.len == 0 || buf[h.len - 1] != '\0')
		report(err_wr, STEP_READ, EINVAL);
	close(go_rd);
	nstr = h.argc + h.envc;
	for (i = 0, p = buf; i < nstr; i++) {
		if (p >= buf + h.len)
			report(err_wr, STEP_READ, EINVAL);
		vec[i + (i >= h.argc)] = p; /* argv, NULL, envp, NULL */
		p += strlen(p) + 1;
	}
	vec[h.argc] = NULL;
	vec[nstr + 1] = NULL;

	if (sethostname(plan->hostname, strlen(plan->hostname)) < 0)
		report(err_wr, STEP_HOST, errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		report(err_wr, STEP_MNT, errno);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		report(err_wr, STEP_PROC, errno);
	if (mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		report(err_wr, STEP_SYS, errno);
	i = (uint32_t)-sbx__net_child_setup(plan);
	if (i)
		report(err_wr, STEP_NET, (int)i);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(plan->log_fd, 1) < 0 ||
	    dup2(plan->log_fd, 2) < 0 || chdir("/") < 0)
		report(err_wr, STEP_FDS, errno);
	if (drop_caps() < 0)
		report(err_wr, STEP_CAPS, errno);
	/* No descriptor of the broker reaches the workload (Linux >= 5.11). */
	syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
	execve(vec[0], vec, vec + h.argc + 1);
	report(err_wr, STEP_EXEC, errno);
}

int sbx__proc_spawn(struct sbx_proc *out, const struct sbx_plan *plan, struct eph_err *err)
{
	int go[2] = { -1, -1 }, ep[2] = { -1, -1 };
	char *buf = NULL, **vec = NULL;
	long pid;
	int rc = 0;

	out->pid = -1;
	out->go_fd = out->err_fd = -1;
	buf = malloc(GO_MAX_BYTES);
	vec = calloc(GO_MAX_STRS, sizeof(*vec));
	if (!buf || !vec) {
		rc = eph_err_set(err, EPH_ENOMEM, "sandbox spawn: out of memory");
		goto out;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET |
						 CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD),
		      NULL, NULL, NULL, NULL);
	if (pid < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "clone(new pid/mnt/net/uts/ipc ns): %s",
				 strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(go[1]);
		close(ep[0]);
		child(plan, go[0], ep[1], buf, vec);
		_exit(127);
	}
	out->pid = (pid_t)pid;
	out->go_fd = go[1];
	out->err_fd = ep[0];
	go[1] = ep[0] = -1;
out:
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	free(buf);
	free(vec);
	return rc;
}

static int add_strs(char *buf, size_t *off, uint32_t *cnt, char *const *v)
{
	for (; v && *v; v++) {
		size_t l = strlen(*v) + 1;

		if (*off + l > GO_MAX_BYTES || *cnt + 1 >= GO_MAX_STRS / 2)
			return -1;
		memcpy(buf + *off, *v, l);
		*off += l;
		(*cnt)++;
	}
	return 0;
}

int sbx__proc_go(struct sbx_proc *p, char *const *argv, char *const *envp, char *const *extra,
		 struct eph_err *err)
{
	struct go_hdr h = { .magic = GO_MAGIC };
	char *msg = NULL;
	size_t off = sizeof(h);
	int32_t rep[2];
	struct pollfd pf;
	int rc = 0, r;

	if (p->go_fd < 0 || p->err_fd < 0)
		return eph_err_set(err, EPH_EPOLICY, "sandbox already started");
	if (!argv || !argv[0] || argv[0][0] != '/')
		return eph_err_set(err, EPH_EFORMAT, "command: argv[0] must be an absolute path");
	msg = malloc(sizeof(h) + GO_MAX_BYTES);
	if (!msg)
		return eph_err_set(err, EPH_ENOMEM, "sandbox start: out of memory");
	if (add_strs(msg, &off, &h.argc, argv) < 0 || add_strs(msg, &off, &h.envc, envp) < 0 ||
	    add_strs(msg, &off, &h.envc, extra) < 0) {
		rc = eph_err_set(err, EPH_EFORMAT, "command and environment exceed %u bytes",
				 GO_MAX_BYTES);
		goto out;
	}
	h.len = (uint32_t)(off - sizeof(h));
	memcpy(msg, &h, sizeof(h));
	if (write_full(p->go_fd, msg, off) < 0) {
		rc = eph_err_set(err, EPH_EIO, "sandbox pid %d: go message: %s", (int)p->pid,
				 strerror(errno));
		goto out;
	}
	close(p->go_fd);
	p->go_fd = -1;
	pf.fd = p->err_fd;
	pf.events = POLLIN;
	r = poll(&pf, 1, 10000);
	if (r <= 0) {
		rc = eph_err_set(err, EPH_EFAIL, "sandbox pid %d: no exec within 10 s", (int)p->pid);
		goto out;
	}
	if (read_full(p->err_fd, rep, sizeof(rep)) == 0)
		rc = eph_err_set(err, EPH_EFAIL, "sandbox pid %d: %s: %s", (int)p->pid,
				 step_name(rep[0]), strerror(rep[1]));
	close(p->err_fd);
	p->err_fd = -1;
out:
	free(msg);
	return rc;
}

void sbx__proc_close(struct sbx_proc *p)
{
	if (p->go_fd >= 0)
		close(p->go_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->go_fd = p->err_fd = -1;
}
