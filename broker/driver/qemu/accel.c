/*
 * accel.c - choose qemu's accelerator: KVM when it really runs the guest
 * kernel, else TCG, with the reason in one line.
 *
 * "auto" checks, in order (the first failure picks TCG):
 *   1. /dev/kvm opens read-write;
 *   2. KVM_GET_API_VERSION is 12 (KVM_API_VERSION, stable since 2.6.22);
 *   3. KVM_CREATE_VM gives a VM;
 *   4. a probe boot: qemu -accel kvm with the configured kernel, no initrd,
 *      console on a file; KVM counts as usable when the kernel's
 *      "Linux version" banner appears within QV_PROBE_MS.
 * Step 4 exists because 1-3 are not enough: a nested PVM /dev/kvm (this
 * machine's, see MACHINE-NOTES) passes them and even runs a real-mode
 * test vCPU, but a stock Debian kernel never prints a line on it. A real
 * KVM prints the banner in a few hundred ms; the probe VM is killed as
 * soon as it does (or at the deadline), so "auto" costs up to QV_PROBE_MS
 * once per driver instance where KVM is unusable.
 * "kvm" and "tcg" are taken as given ("kvm" still needs steps 1-3).
 *
 * Not here: CPU model choice (qemu's default for each accelerator), HVF,
 * WHPX, nested-virtualisation flags.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu-priv.h"

#define QV_PROBE_MS 8000

static int kvm_basic(char *reason, size_t rcap)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), v, vm;

	if (fd < 0) {
		snprintf(reason, rcap, "/dev/kvm: %s", strerror(errno));
		return -1;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		snprintf(reason, rcap, "/dev/kvm: API version %d, not %d", v, KVM_API_VERSION);
		close(fd);
		return -1;
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(reason, rcap, "/dev/kvm: KVM_CREATE_VM: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(vm);
	close(fd);
	return 0;
}

/* 1: the banner came, 0: not within the deadline, -1: could not run. */
static int probe_boot(const char *qemu, const char *kernel, const char *scratch, char *reason,
		      size_t rcap)
{
	char log[PATH_MAX], serial[PATH_MAX + 8], buf[4096];
	const char *argv[] = { qemu, "-accel", "kvm", "-machine", "q35", "-m", "128",
			       "-nodefaults", "-display", "none", "-no-reboot", "-kernel", kernel,
			       "-append", "console=ttyS0 panic=-1", "-serial", serial, NULL };
	long end;
	pid_t pid;
	int st = 0, seen = 0, nul;

	if (driver__path(log, sizeof(log), scratch, "kvm-probe.log") < 0 ||
	    snprintf(serial, sizeof(serial), "file:%s", log) >= (int)sizeof(serial)) {
		snprintf(reason, rcap, "probe: path too long");
		return -1;
	}
	unlink(log);
	pid = fork();
	if (pid < 0) {
		snprintf(reason, rcap, "probe: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
			_exit(126);
		execv(qemu, (char *const *)argv);
		_exit(127);
	}
	for (end = qv__now_ms() + QV_PROBE_MS; qv__now_ms() < end; usleep(50000)) {
		if (driver__read_str(buf, sizeof(buf), log) > 0 && strstr(buf, "Linux version")) {
			seen = 1;
			break;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			pid = -1;
			break;
		}
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	if (!seen && driver__read_str(buf, sizeof(buf), log) > 0 && strstr(buf, "Linux version"))
		seen = 1;
	unlink(log);
	if (!seen) {
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			snprintf(reason, rcap, "probe: cannot run %s", qemu);
		else
			snprintf(reason, rcap,
				 "a probe boot of %.120s under KVM printed nothing in %d ms "
				 "(e.g. a nested PVM /dev/kvm)",
				 kernel, QV_PROBE_MS);
	}
	return seen;
}

int qv__accel_pick(char accel[8], char *reason, size_t rcap, const char *mode, const char *qemu,
		   const char *kernel, const char *scratch, struct eph_err *err)
{
	char why[400];

	if (!mode || strcmp(mode, "auto") == 0) {
		if (kvm_basic(why, sizeof(why)) == 0 &&
		    probe_boot(qemu, kernel, scratch, why, sizeof(why)) == 1) {
			snprintf(accel, 8, "kvm");
			snprintf(reason, rcap, "kvm: /dev/kvm works and booted the kernel");
			return 0;
		}
		snprintf(accel, 8, "tcg");
		snprintf(reason, rcap, "tcg: KVM unusable here: %s", why);
		return 0;
	}
	if (strcmp(mode, "tcg") == 0) {
		snprintf(accel, 8, "tcg");
		snprintf(reason, rcap, "tcg: configured");
		return 0;
	}
	if (strcmp(mode, "kvm") == 0) {
		if (kvm_basic(why, sizeof(why)) < 0)
			return eph_err_set(err, EPH_EUNSUPPORTED, "accel kvm: %s", why);
		snprintf(accel, 8, "kvm");
		snprintf(reason, rcap, "kvm: configured");
		return 0;
	}
	return eph_err_set(err, EPH_EFORMAT, "accel must be auto, kvm or tcg, not '%.20s'", mode);
}
