/*
 * util.c - small helpers of the sandbox driver: path joining, reading and
 * writing the short text files of cgroupfs and /proc, parsing "key N"
 * lines, removing a state folder, and running a helper program (ip,
 * swtpm-up.sh) with a bounded wait, optionally inside a sandbox's network
 * namespace (whose lo it brings up). It does not decide anything about sandboxes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox-priv.h"

int sbx__write_str(const char *path, const char *s, struct eph_err *err)
{
	size_t len = strlen(s);
	ssize_t w;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return eph_err_set(err, EPH_EIO, "open %s: %s", path, strerror(errno));
	w = write(fd, s, len);
	if (w < 0 || (size_t)w != len) {
		int e = w < 0 ? errno : EIO;

		close(fd);
		return eph_err_set(err, EPH_EIO, "write '%s' to %s: %s", s, path, strerror(e));
	}
	close(fd);
	return 0;
}

int sbx__parse_u64(uint64_t *out, const char *s, const char **end)
{
	char *e = NULL;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno || e == s)
		return -1;
	*out = v;
	if (end)
		*end = e;
	return 0;
}

int sbx__key_u64(uint64_t *out, const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return sbx__parse_u64(out, p + klen + 1, NULL);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int sbx__rm_rf(const char *path)
{
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Child side of sbx__run: only async-signal-safe calls from here on. */
static void run_child(const struct sbx_run *r, int nsfd, int outfd, int logfd, pid_t parent)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (devnull < 0)
		_exit(126);
	/* Die with the broker: a helper orphaned by a kill -9 would go on
	 * making things (a swtpm) after the next start reconciled them. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
	if (r->netns == SBX_NETNS_EMPTY && unshare(CLONE_NEWNET) < 0)
		_exit(126);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		_exit(126);
	/* A sandbox's lo may still be down (its first process raises it only
	 * when started); helpers such as swtpm-up.sh need it now. */
	if (r->netns != SBX_NETNS_HOST && sbx__net_lo_up() < 0)
		_exit(126);
	if (dup2(devnull, 0) < 0 || dup2(outfd >= 0 ? outfd : devnull, 1) < 0 ||
	    dup2(logfd >= 0 ? logfd : devnull, 2) < 0)
		_exit(126);
	execve(r->argv[0], (char *const *)r->argv, (char *const[]){
		       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		       "LC_ALL=C", NULL });
	_exit(127);
}

/* Does /proc/PID/cmdline have an argument containing needle? */
static int cmdline_mentions(const char *pid, const char *needle)
{
	char p[64], buf[8192];
	ssize_t n;
	size_t i, nl = strlen(needle);
	int fd;

	snprintf(p, sizeof(p), "/proc/%s/cmdline", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (i = 0; i + nl <= (size_t)n; i++)
		if (memcmp(buf + i, needle, nl) == 0)
			return 1;
	return 0;
}

unsigned sbx__kill_mentioning(const char *path)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned killed = 0;
	pid_t self = getpid();

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *end = NULL;
		long pid = strtol(de->d_name, &end, 10);

		if (pid <= 1 || *end != '\0' || pid == (long)self)
			continue;
		if (cmdline_mentions(de->d_name, path) && kill((pid_t)pid, SIGKILL) == 0)
			killed++;
	}
	closedir(d);
	return killed;
}

int sbx__run(const struct sbx_run *r, struct eph_err *err)
{
	int pfd[2] = { -1, -1 }, nsfd = -1, logfd = -1, rc = EPH_EFAIL, status = 0;
	size_t got = 0;
	long deadline = now_ms() + r->timeout_ms;
	pid_t pid, w = 0, parent;

	if (r->out && r->out_cap)
		r->out[0] = '\0';
	if (r->netns >= 0) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d/ns/net", r->netns);
		nsfd = open(p, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			return eph_err_set(err, EPH_ENOTFOUND, "%s: %s", p, strerror(errno));
	}
	if (r->log_path) {
		logfd = open(r->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (logfd < 0) {
			rc = eph_err_set(err, EPH_EIO, "%s: %s", r->log_path, strerror(errno));
			goto out;
		}
	}
	if (r->out && pipe2(pfd, O_CLOEXEC) < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "pipe: %s", strerror(errno));
		goto out;
	}
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_child(r, nsfd, pfd[1], logfd, parent);
	if (pfd[1] >= 0) {
		close(pfd[1]);
		pfd[1] = -1;
	}
	/* Wait for the program itself, not for EOF: daemons it starts (swtpm
	 * --daemon) may keep the pipe open. */
	for (;;) {
		if (pfd[0] >= 0) {
			struct pollfd pf = { .fd = pfd[0], .events = POLLIN };

			if (poll(&pf, 1, 10) > 0 && got + 1 < r->out_cap) {
				ssize_t n = read(pfd[0], r->out + got, r->out_cap - 1 - got);

				if (n > 0)
					got += (size_t)n;
				else if (n == 0) {
					close(pfd[0]);
					pfd[0] = -1;
				}
				r->out[got] = '\0';
			}
		} else {
			usleep(2000);
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = eph_err_set(err, EPH_EFAIL, "waitpid: %s", strerror(errno));
			goto out;
		}
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			rc = eph_err_set(err, EPH_EFAIL, "%s: no exit within %d ms, killed",
					 r->argv[0], r->timeout_ms);
			goto out;
		}
	}
	if (pfd[0] >= 0 && got + 1 < r->out_cap) {
		int fl = fcntl(pfd[0], F_GETFL);
		ssize_t n;

		fcntl(pfd[0], F_SETFL, fl | O_NONBLOCK);
		n = read(pfd[0], r->out + got, r->out_cap - 1 - got);
		if (n > 0)
			got += (size_t)n;
		r->out[got] = '\0';
	}
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else
		rc = eph_err_set(err, EPH_EFAIL, "%s: killed by signal %d", r->argv[0],
				 WTERMSIG(status));
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (nsfd >= 0)
		close(nsfd);
	if (logfd >= 0)
		close(logfd);
	return rc;
}
