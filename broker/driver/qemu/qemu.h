/*
 * qemu.h - the QEMU/KVM VM driver (prefix driver_qemu_): one qemu process
 * per environment, KVM when it really works here else TCG, a swtpm of its
 * own as TPM 2.0 (tpm-crb), the guest kernel and initramfs of
 * packaging/guest with a per-VM config archive appended (agent.conf and
 * the broker certificate), and a user-mode NIC through which the guest
 * reaches the broker only (DRIVER_NET_NONE) or the outside too
 * (DRIVER_NET_VETH). Controlled over QMP.
 *
 * driver_qemu_new() gives a struct driver whose ops follow driver.h:
 *   create  swtpm up, per-VM initrd, qemu started paused (-S)
 *   start   QMP cont (a no-op when running); the spec's or start's command
 *           is not used: a VM runs its image's init, which starts the agent
 *   stats   qemu's CPU time (utime+stime of /proc/PID/stat) and VmHWM (the
 *           peak resident memory of the qemu process: guest RAM it touched
 *           plus qemu's own, an approximation of the guest's memory peak);
 *           running = qemu alive and QMP status not shutdown; oom_events 0
 *   destroy QMP quit, SIGTERM, SIGKILL, swtpm stopped, the VM folder (with
 *           the vTPM state) removed; idempotent
 *   list    every state_root/vm-<id> folder
 *   release_disk  with spec.disk_mib: hot-plug the VM's LUKS data disk
 *           (made at create with spec.disk_key, qemu-img; the VM boots
 *           without it) unlocked with the key the broker releases after
 *           an accepted attestation; the guest sees /dev/vda (disk.c)
 * A handle is "vm:<env id>"; everything else is derived from the id, so
 * any instance (a restarted broker) can stop any VM.
 *
 * Not here: a boot disk (the guest runs from its initramfs), OVMF,
 * tap/bridge networking, live migration, a warm pool of its own
 * (driver/warmpool.c works over any driver).
 */
#ifndef EPH_DRIVER_QEMU_H
#define EPH_DRIVER_QEMU_H

#include <stddef.h>
#include <stdint.h>

#include "driver.h"

struct driver_qemu_config {
	const char *state_root;   /* absolute; VM folders state_root/vm-<id>/ */
	const char *kernel;       /* guest kernel (packaging/guest: OUTDIR/vmlinuz) */
	const char *initrd;       /* base initramfs (OUTDIR/initrd-base.cpio.gz) */
	const char *qemu;         /* NULL: qemu-system-x86_64 from PATH */
	const char *accel;        /* "auto" (NULL), "kvm" or "tcg" */
	const char *fixtures_dir; /* swtpm-fixtures/ (swtpm-ca.sh); NULL: specs
				   * asking for a vTPM are refused */
	const char *ca_dir;       /* swtpm CA folder shared by every VM (the
				   * broker's --ek-trust exports it);
				   * NULL: state_root/swtpm-ca */
	const char *forwarder;    /* ephemera-vmfwd (built beside this driver):
				   * qemu runs "FWD HOST PORT" per guest
				   * connection to the broker */
	const char *broker_host;  /* the broker's address seen from this host
				   * (NULL: 127.0.0.1); numeric */
	uint16_t broker_port;     /* its port; the guest dials
				   * https://10.0.2.100:<broker_port> */
	const char *broker_pin;   /* sha256//... (agent.conf pin)  [required] */
	const char *broker_cert;  /* PEM copied to /etc/ephemera/broker.pem;
				   * NULL: none */
	const char *kernel_append; /* more kernel command line; NULL: none */
	uint32_t agent_period_s;  /* agent re-attestation period; 0: its default */
	const char *agent_pcrs;   /* agent PCR selection; NULL: its default */
	uint64_t default_mem_mib; /* when a spec says 0; 0 here: 512 */
	int debug_shell;          /* nonzero: the guest's second serial port
				   * (a root shell in the test image) on
				   * state_root/vm-<id>/shell.sock */
};

/*
 * Check the configuration (kernel and initrd readable, qemu found), pick
 * the accelerator (auto: may take up to 8 s for a probe boot when /dev/kvm
 * is there but unusable) and make a driver. Free with driver_free();
 * VMs stay.
 */
int driver_qemu_new(struct driver **out, const struct driver_qemu_config *cfg,
		    struct eph_err *err);

/* "kvm: ..." or "tcg: KVM unusable here: <reason>", one line. */
const char *driver_qemu_accel(const struct driver *d);

/* A VM's folder (console.log, shell.sock, qmp.sock, tpm/ ...). */
int driver_qemu_state_dir(const struct driver *d, char *buf, size_t len, const char *env_id);

#endif
