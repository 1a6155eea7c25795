/*
 * vm.c - the qemu command line of a VM and its launch.
 *
 *   qemu-system-x86_64 -name ephemera-vm-<id> -machine q35 -accel kvm|tcg
 *     [-cpu host (kvm)] -m MiB -smp N -nodefaults -no-user-config
 *     -display none -no-reboot -S -daemonize -pidfile DIR/qemu.pid
 *     -qmp unix:DIR/qmp.sock,server=on,wait=off
 *     -kernel K -initrd DIR/initrd.img
 *     -append "console=ttyS0 panic=-1 ephemera.hostname=<id> ephemera.shell=0|1 ..."
 *     -chardev file,id=con,path=DIR/console.log -serial chardev:con
 *     [-chardev socket,id=sh,path=DIR/shell.sock,server=on,wait=off -serial chardev:sh]
 *     [-chardev socket,id=tpmc,path=DIR/tpm/swtpm.sock
 *      -tpmdev emulator,id=tpm0,chardev=tpmc -device tpm-crb,tpmdev=tpm0]
 *     -netdev user,id=n0,restrict=on|off,guestfwd=tcp:10.0.2.100:P-cmd:FWD HOST P
 *     -device virtio-net-pci,netdev=n0
 *     [-device pcie-root-port,id=qv-rp0,bus=pcie.0,chassis=1,slot=1]
 *
 * Why these:
 * - q35 + tpm-crb: MACHINE-NOTES (microvm with a vTPM hangs or shows no
 *   TPM); SeaBIOS with -kernel still gives the guest a TCG event log.
 * - -S: the VM is made paused; driver start() is QMP "cont". So create is
 *   everything that can fail (swtpm, initrd, qemu's own checks) and start
 *   is one cheap command, as the warm pool wants.
 * - ephemera.hostname and ephemera.shell are read by packaging/guest's
 *   init.sh (the guest's hostname; whether a shell runs on ttyS1).
 * - -no-reboot and panic=-1: a guest that panics or reboots ends qemu, so
 *   stats() reports it as not running instead of a boot loop.
 * - -daemonize: qemu outlives the broker (reconciliation finds it by
 *   DIR/qemu.pid whose /proc/PID/cmdline names DIR); qemu returns only
 *   once its sockets exist, and reports its own startup errors before that
 *   (to DIR/qemu.log).
 * - Network: always a user-mode (slirp) NIC, so that the agent reaches
 *   the broker: the guest's 10.0.2.100:P is forwarded, one forwarder
 *   process per TCP connection (guestfwd cmd:), to the broker's host
 *   address. With DRIVER_NET_NONE, restrict=on: the guest reaches nothing
 *   else - no host port, no outside address; the broker connection is
 *   the attestation channel (what vsock is for other VMMs). With
 *   DRIVER_NET_VETH, restrict=off: outbound NAT through the host as well.
 *   Slirp needs no root, no bridge and no tap; its cost is throughput.
 * - A VM with a data disk gets one empty pcie-root-port and no disk: on
 *   q35, PCIe devices are hot-plugged into a root port (pcie.0 itself
 *   takes none), and the disk is plugged there by disk.c only once the
 *   broker releases its key. VMs without a disk get no port, so their
 *   PCI layout (and what the firmware measures of it) stays as it was.
 *
 * Not here: the disk itself (disk.c), OVMF, vsock, CPU pinning,
 * hugepages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu-priv.h"

struct store {
	char *p;
	size_t left;
	int full;
};

static const char *fmt(struct store *s, const char *f, ...) __attribute__((format(printf, 2, 3)));

static const char *fmt(struct store *s, const char *f, ...)
{
	va_list ap;
	char *r = s->p;
	int n;

	va_start(ap, f);
	n = vsnprintf(s->p, s->left, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->left) {
		s->full = 1;
		return "";
	}
	s->p += n + 1;
	s->left -= (size_t)n + 1;
	return r;
}

int qv__vm_argv(const char *argv[QV_ARGV_MAX], char *buf, size_t cap, const struct qv_plan *p,
		struct eph_err *err)
{
	struct store s = { buf, cap, 0 };
	const char *d = p->dir;
	int i = 0;

	/* Commas separate qemu's sub-options; paths here must not hold any. */
	if (strchr(d, ',') || strchr(p->kernel, ',') || strchr(p->fwd, ',') ||
	    strchr(p->broker_host, ',') || strchr(p->fwd, ' '))
		return eph_err_set(err, EPH_EFORMAT, "qemu: paths must not contain commas");
	argv[i++] = p->qemu;
	argv[i++] = "-name";
	argv[i++] = fmt(&s, "ephemera-%s", strrchr(d, '/') ? strrchr(d, '/') + 1 : d);
	argv[i++] = "-machine";
	argv[i++] = "q35";
	argv[i++] = "-accel";
	argv[i++] = p->accel;
	if (strcmp(p->accel, "kvm") == 0) {
		argv[i++] = "-cpu";
		argv[i++] = "host";
	}
	argv[i++] = "-m";
	argv[i++] = fmt(&s, "%llu", (unsigned long long)p->mem_mib);
	argv[i++] = "-smp";
	argv[i++] = fmt(&s, "%u", p->vcpus);
	argv[i++] = "-nodefaults";
	argv[i++] = "-no-user-config";
	argv[i++] = "-display";
	argv[i++] = "none";
	argv[i++] = "-no-reboot";
	argv[i++] = "-S";
	argv[i++] = "-daemonize";
	argv[i++] = "-pidfile";
	argv[i++] = fmt(&s, "%s/" QV_F_PID, d);
	argv[i++] = "-qmp";
	argv[i++] = fmt(&s, "unix:%s/" QV_F_QMP ",server=on,wait=off", d);
	argv[i++] = "-kernel";
	argv[i++] = p->kernel;
	argv[i++] = "-initrd";
	argv[i++] = fmt(&s, "%s/" QV_F_INITRD, d);
	argv[i++] = "-append";
	argv[i++] = fmt(&s, "console=ttyS0 panic=-1 ephemera.hostname=%s ephemera.shell=%d%s%s",
			p->hostname, p->shell ? 1 : 0, p->append && *p->append ? " " : "",
			p->append ? p->append : "");
	argv[i++] = "-chardev";
	argv[i++] = fmt(&s, "file,id=con,path=%s/" QV_F_CONSOLE, d);
	argv[i++] = "-serial";
	argv[i++] = "chardev:con";
	if (p->shell) {
		argv[i++] = "-chardev";
		argv[i++] = fmt(&s, "socket,id=sh,path=%s/" QV_F_SHELL ",server=on,wait=off", d);
		argv[i++] = "-serial";
		argv[i++] = "chardev:sh";
	}
	if (p->vtpm) {
		argv[i++] = "-chardev";
		argv[i++] = fmt(&s, "socket,id=tpmc,path=%s/" QV_D_TPM "/swtpm.sock", d);
		argv[i++] = "-tpmdev";
		argv[i++] = "emulator,id=tpm0,chardev=tpmc";
		argv[i++] = "-device";
		argv[i++] = "tpm-crb,tpmdev=tpm0";
	}
	argv[i++] = "-netdev";
	argv[i++] = fmt(&s, "user,id=n0,restrict=%s,guestfwd=tcp:" QV_GUEST_BROKER_IP ":%u-cmd:%s %s %u",
			p->restrict_net ? "on" : "off", p->broker_port, p->fwd, p->broker_host,
			p->broker_port);
	argv[i++] = "-device";
	argv[i++] = "virtio-net-pci,netdev=n0";
	if (p->disk_port) {
		/* After the NIC, so that the NIC keeps its PCI address. */
		argv[i++] = "-device";
		argv[i++] = "pcie-root-port,id=" QV_DISK_PORT ",bus=pcie.0,chassis=1,slot=1";
	}
	argv[i] = NULL;
	if (s.full)
		return eph_err_set(err, EPH_EFORMAT, "qemu: command line too long");
	return 0;
}

pid_t qv__vm_pid(const char *dir)
{
	char f[PATH_MAX], needle[PATH_MAX + 8];

	if (driver__path(f, sizeof(f), dir, QV_F_PID) < 0 ||
	    snprintf(needle, sizeof(needle), "%s/" QV_F_QMP, dir) >= (int)sizeof(needle))
		return 0;
	return qv__pid_check(f, needle);
}

int qv__vm_launch(const struct qv_plan *p, struct eph_err *err)
{
	const char *argv[QV_ARGV_MAX];
	char store[8192], log[PATH_MAX], qmp[PATH_MAX];
	struct qv_qmp *q = NULL;
	int rc;

	if (driver__path(log, sizeof(log), p->dir, QV_F_QEMULOG) < 0 ||
	    driver__path(qmp, sizeof(qmp), p->dir, QV_F_QMP) < 0)
		return eph_err_set(err, EPH_EFORMAT, "qemu: path too long");
	rc = qv__vm_argv(argv, store, sizeof(store), p, err);
	if (rc < 0)
		return rc;
	rc = qv__run(argv, log, 30000, err);
	if (rc > 0) {
		char tail[200] = "", *nl;

		driver__read_str(tail, sizeof(tail), log);
		nl = strchr(tail, '\n');
		if (nl)
			*nl = '\0';
		return eph_err_set(err, EPH_EFAIL, "qemu exit %d: %s", rc, tail);
	}
	if (rc < 0)
		return rc;
	if (qv__vm_pid(p->dir) == 0)
		return eph_err_set(err, EPH_EFAIL, "qemu daemonized but %s/" QV_F_PID
				   " names no live qemu", p->dir);
	q = malloc(sizeof(*q));
	if (!q)
		return eph_err_set(err, EPH_ENOMEM, "qemu: out of memory");
	rc = qv__qmp_open(q, qmp, 10000, err);
	qv__qmp_close(q);
	free(q);
	return rc;
}
