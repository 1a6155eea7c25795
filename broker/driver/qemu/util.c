/*
 * util.c - small helpers of the qemu driver: path joining, short file
 * reads and writes, pid files checked against /proc/PID/cmdline, stopping
 * a process (SIGTERM, then SIGKILL) and running a helper program with a
 * bounded wait. Nothing here knows about VMs. (The sandbox driver has its
 * own near-equivalents; the two drivers share no private code so either
 * can change alone.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu-priv.h"

int qv__write_file(const char *path, const void *buf, size_t len, struct eph_err *err)
{
	const char *p = buf;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return eph_err_set(err, EPH_EIO, "open %s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			close(fd);
			return eph_err_set(err, EPH_EIO, "write %s: %s", path, strerror(e));
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0)
		return eph_err_set(err, EPH_EIO, "close %s: %s", path, strerror(errno));
	return 0;
}

int qv__parse_u64(uint64_t *out, const char *s, const char **end)
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

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int qv__rm_rf(const char *path)
{
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

long qv__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int qv__alive(pid_t pid)
{
	char f[64], buf[512], *p;

	if (pid <= 0)
		return 0;
	snprintf(f, sizeof(f), "/proc/%d/stat", (int)pid);
	if (driver__read_str(buf, sizeof(buf), f) <= 0)
		return 0;
	/* "pid (comm) S ...": the state follows the last ')'. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X' && p[2] != '\0';
}

pid_t qv__pid_check(const char *pidfile, const char *needle)
{
	char f[64], buf[8192];
	uint64_t pid;
	ssize_t n, i;
	size_t nl = strlen(needle);

	if (driver__read_str(buf, sizeof(buf), pidfile) <= 0 || qv__parse_u64(&pid, buf, NULL) < 0 ||
	    pid == 0 || pid > INT32_MAX || !qv__alive((pid_t)pid))
		return 0;
	snprintf(f, sizeof(f), "/proc/%d/cmdline", (int)pid);
	n = driver__read_str(buf, sizeof(buf), f);
	for (i = 0; n > 0 && i + (ssize_t)nl <= n; i++)
		if (memcmp(buf + i, needle, nl) == 0)
			return (pid_t)pid;
	return 0;
}

int qv__wait_gone(pid_t pid, int ms)
{
	long end = qv__now_ms() + ms;

	for (;;) {
		/* Our own child (a helper): reap it, or it stays a zombie. */
		waitpid(pid, NULL, WNOHANG);
		if (!qv__alive(pid))
			return 0;
		if (qv__now_ms() > end)
			return -1;
		usleep(10000);
	}
}

int qv__stop_pid(pid_t pid, int term_ms)
{
	if (!qv__alive(pid))
		return 0;
	kill(pid, SIGTERM);
	if (qv__wait_gone(pid, term_ms) == 0)
		return 0;
	kill(pid, SIGKILL);
	return qv__wait_gone(pid, 2000);
}

int qv__which(char *out, size_t cap, const char *name)
{
	const char *path = getenv("PATH"), *p, *c;

	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return -1;
		return snprintf(out, cap, "%s", name) >= (int)cap ? -1 : 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	for (p = path; *p; p = *c ? c + 1 : c) {
		int n;

		c = strchr(p, ':');
		if (!c)
			c = p + strlen(p);
		n = snprintf(out, cap, "%.*s/%s", (int)(c - p), p, name);
		if (n > 0 && (size_t)n < cap && c > p && access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

int qv__run(const char *const *argv, const char *log, int timeout_ms, struct eph_err *err)
{
	return qv__run_in(argv, log, timeout_ms, NULL, 0, err);
}

/*
 * The input goes through a pipe filled before the fork (it fits in the
 * pipe's buffer, so nothing blocks): a secret given this way is never in
 * a file nor on a command line that /proc shows to every user.
 */
int qv__run_in(const char *const *argv, const char *log, int timeout_ms, const void *in,
	       size_t in_len, struct eph_err *err)
{
	int logfd = -1, status = 0, p[2] = { -1, -1 };
	long deadline = qv__now_ms() + timeout_ms;
	pid_t pid, w;

	if (in_len > QV_RUN_IN_MAX)
		return eph_err_set(err, EPH_EFORMAT, "%s: input of %zu bytes above %u", argv[0],
				   in_len, QV_RUN_IN_MAX);
	if (in) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return eph_err_set(err, EPH_EFAIL, "pipe: %s", strerror(errno));
		if (in_len && write(p[1], in, in_len) != (ssize_t)in_len) {
			close(p[0]);
			close(p[1]);
			return eph_err_set(err, EPH_EIO, "pipe: short write");
		}
		close(p[1]);
	}
	logfd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		if (p[0] >= 0)
			close(p[0]);
		return eph_err_set(err, EPH_EIO, "%s: %s", log ? log : "/dev/null",
				   strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(logfd);
		if (p[0] >= 0)
			close(p[0]);
		return eph_err_set(err, EPH_EFAIL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int nul = p[0] >= 0 ? p[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* A new process group, so the whole helper tree can be killed. */
		setpgid(0, 0);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(126);
		execve(argv[0], (char *const *)argv,
		       (char *const[]){
			       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			       "LC_ALL=C", NULL });
		_exit(127);
	}
	close(logfd);
	if (p[0] >= 0)
		close(p[0]);
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return eph_err_set(err, EPH_EFAIL, "waitpid: %s", strerror(errno));
		if (qv__now_ms() > deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return eph_err_set(err, EPH_EFAIL, "%s: no exit within %d ms, killed",
					   argv[0], timeout_ms);
		}
		usleep(5000);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return eph_err_set(err, EPH_EFAIL, "%s: killed by signal %d", argv[0], WTERMSIG(status));
}
