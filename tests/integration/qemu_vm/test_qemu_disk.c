/*
 * test_qemu_disk.c - the "at-rest" encryption level of the qemu driver: a
 * VM made with an encrypted data disk (disk_mib, disk_key) boots without
 * it; driver_release_disk() with a wrong key is refused (EPH_EVERIFY) and
 * attaches nothing; with the right key the guest gets /dev/vda (virtio-blk,
 * hot-plugged), which it can write and read; the host's data.luks holds
 * the guest's bytes only encrypted (the marker is not in it, but qemu-img
 * with the key reads it back); the key is in no file of the VM; destroy
 * leaves nothing. The guest is reached through its ttyS1 shell
 * (packaging/guest/guest-shell.py, the driver's debug_shell): no broker
 * runs here, the guest's agent just keeps retrying.
 *
 * The guest image is built into $EPH_BINARY_DIR/qemu-guest-disk (with a
 * kernel cache of its own, so that it never races test_qemu_vm.c's build
 * of qemu-guest when criterion runs both at once); it must have the
 * virtio_blk module (packaging/guest/build-guest.sh lists it). Skips with
 * a visible "SKIP:" line when qemu, qemu-img or the image cannot be had.
 * Under TCG here: ~6 s of qemu-img at create, 5-15 s of boot, a release
 * in well under a second, /dev/vda a few seconds later.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu-priv.h"
#include "qemu.h"
#include "qvm_util.h"
#include "testutil.h"

#define ENV_ID "qdisk-test-1"
#define DISK_MIB 16

static char work[64], guest[600];
static struct driver *drv;

/* Shared helpers: qvm_util.c. */
static const char *wp(const char *name)
{
	return qvm_path(work, name);
}

static void guest_image(void)
{
	qvm_guest_image(guest, sizeof(guest), "qemu-guest-disk", "virtio_blk");
}









static void setup(void)
{
	char q[256];

	if (qv__which(q, sizeof(q), "qemu-system-x86_64") < 0)
		qvm_skip("qemu-system-x86_64 not installed (apt-get install -y qemu-system-x86)");
	if (qv__which(q, sizeof(q), "qemu-img") < 0)
		qvm_skip("qemu-img not installed (apt-get install -y qemu-utils)");
	guest_image(); /* may skip: before anything needs cleaning up */
	snprintf(work, sizeof(work), "/tmp/eph-qdisk.XXXXXX");
	cr_assert_not_null(mkdtemp(work));
}

static void teardown(void)
{
	struct eph_err err = {{0}};

	if (drv) {
		driver_destroy(drv, "vm:" ENV_ID, &err);
		driver_free(drv);
		drv = NULL;
	}
	if (work[0])
		qv__rm_rf(work);
}

/* Run cmd in the guest's ttyS1 shell; its exit status, output in out. */
static int gsh(char **out, const char *dir, const char *cmd, int timeout_s)
{
	return qvm_run(out, "python3 '%s/packaging/guest/guest-shell.py' '%s/" QV_F_SHELL
			"' '%s' --timeout %d 2>&1",
		   EPH_SOURCE_DIR, dir, cmd, timeout_s);
}

static void hex(char *out, const uint8_t *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", k[i]);
}

Test(qemu_vm, data_disk_released_only_with_its_key, .init = setup, .fini = teardown)
{
	struct driver_qemu_config c = { 0 };
	uint8_t key[32], bad[32], mk[8];
	struct driver_spec sp = { .env_id = ENV_ID, .vcpu_milli = 1000, .mem_mib = 256,
				  .net = DRIVER_NET_NONE, .vtpm = 0, .disk_mib = DISK_MIB,
				  .disk_key = key, .disk_key_len = sizeof(key) };
	struct driver_entry *v = NULL;
	struct eph_err err = {{0}};
	char h[DRIVER_HANDLE_MAX], dir[300], kern[700], initrd[700], keyhex[65], mkhex[17];
	char marker[40];
	char cmd[600], *out = NULL;
	const char *accel = getenv("EPH_QEMU_ACCEL");
	uint8_t *img = NULL;
	size_t n = 9, len = 0;
	struct stat st;
	long t0, t_up, t_rel, deadline;
	pid_t qpid;
	int rc;

	cr_assert_eq(getrandom(key, sizeof(key), 0), (ssize_t)sizeof(key));
	memcpy(bad, key, sizeof(bad));
	bad[0] ^= 1;
	hex(keyhex, key, sizeof(key));
	cr_assert_eq(getrandom(mk, sizeof(mk), 0), (ssize_t)sizeof(mk));
	hex(mkhex, mk, sizeof(mk));
	snprintf(marker, sizeof(marker), "EPH42DISK-%s", mkhex);

	snprintf(kern, sizeof(kern), "%s/vmlinuz", guest);
	snprintf(initrd, sizeof(initrd), "%s/initrd-base.cpio.gz", guest);
	c.state_root = wp("vms");
	c.kernel = kern;
	c.initrd = initrd;
	c.accel = accel && *accel ? accel : "auto";
	c.forwarder = qvm_bp("broker/driver/qemu/ephemera-vmfwd");
	c.broker_port = 9; /* nothing listens: the guest's agent just retries */
	c.broker_pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	c.debug_shell = 1;
	rc = driver_qemu_new(&drv, &c, &err);
	cr_assert_eq(rc, 0, "driver_qemu_new: %s", err.msg);
	fprintf(stderr, "qemu_disk: accelerator: %s\n", driver_qemu_accel(drv));

	/* A disk without a (long enough) key is refused before anything. */
	sp.disk_key_len = 8;
	cr_assert_eq(driver_create(drv, h, &sp, &err), EPH_EFORMAT);
	sp.disk_key_len = sizeof(key);

	t0 = qv__now_ms();
	rc = driver_create(drv, h, &sp, &err);
	cr_assert_eq(rc, 0, "create: %s", err.msg);
	fprintf(stderr, "qemu_disk: create with a %d MiB LUKS disk: %.1f s\n", DISK_MIB,
		(qv__now_ms() - t0) / 1000.0);
	cr_assert_eq(driver_qemu_state_dir(drv, dir, sizeof(dir), ENV_ID), 0);
	cr_assert_eq(stat(wp("vms/vm-" ENV_ID "/" QV_F_DISK), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "data.luks mode %o", st.st_mode & 0777);
	/* Never stored: no file of the VM holds the key, raw or as the hex
	 * passphrase. */
	rc = qvm_run(&out, "grep -rlaF -D skip '%s' '%s'", keyhex, dir);
	cr_assert_neq(rc, 0, "the passphrase is in %s", out ? out : "?");
	free(out);
	img = tu_read(wp("vms/vm-" ENV_ID "/" QV_F_DISK), &len);
	cr_assert_null(memmem(img, len, key, sizeof(key)), "the raw key is in data.luks");
	free(img);

	cr_assert_eq(driver_start(drv, h, NULL, &err), 0, "start: %s", err.msg);
	t0 = qv__now_ms();
	deadline = qv__now_ms() + 120000;
	out = NULL;
	do {
		free(out);
		rc = gsh(&out, dir, "echo up", 10);
	} while (rc != 0 && qv__now_ms() < deadline && (sleep(1), 1));
	t_up = qv__now_ms();
	cr_assert_eq(rc, 0, "the guest shell never answered (%s); console:\n%s", out ? out : "",
		     qvm_tail_of(wp("vms/vm-" ENV_ID "/" QV_F_CONSOLE)));
	free(out);
	fprintf(stderr, "qemu_disk: start to guest shell: %.1f s\n", (t_up - t0) / 1000.0);

	/* Before release: no disk in the guest. */
	rc = gsh(&out, dir, "test ! -e /sys/block/vda", 30);
	cr_assert_eq(rc, 0, "/dev/vda before any release: %s", out ? out : "");
	free(out);

	/* A wrong key: refused, nothing attached; the VM runs on. */
	t_rel = qv__now_ms();
	rc = driver_release_disk(drv, h, bad, sizeof(bad), &err);
	cr_assert_eq(rc, EPH_EVERIFY, "wrong key: rc %d: %s", rc, err.msg);
	cr_assert(strstr(err.msg, "does not unlock"), "%s", err.msg);
	fprintf(stderr, "qemu_disk: wrong key refused in %ld ms: %s\n", qv__now_ms() - t_rel,
		err.msg);
	rc = gsh(&out, dir, "sleep 2; test ! -e /sys/block/vda", 30);
	cr_assert_eq(rc, 0, "/dev/vda after a wrong key: %s", out ? out : "");
	free(out);
	/* Another driver kind has no disks to give. */
	{
		static const struct driver_ops none = { .name = "none" };
		struct driver fake = { &none };

		cr_assert_eq(driver_release_disk(&fake, h, key, sizeof(key), &err),
			     EPH_EUNSUPPORTED);
	}

	/* The right key: /dev/vda appears. Twice is fine. */
	t_rel = qv__now_ms();
	rc = driver_release_disk(drv, h, key, sizeof(key), &err);
	cr_assert_eq(rc, 0, "release: %s", err.msg);
	fprintf(stderr, "qemu_disk: release (QMP object-add, blockdev-add, object-del, "
			"device_add): %ld ms\n",
		qv__now_ms() - t_rel);
	cr_assert_eq(driver_release_disk(drv, h, key, sizeof(key), &err), 0,
		     "second release: %s", err.msg);
	deadline = qv__now_ms() + 60000;
	out = NULL;
	do {
		free(out);
		rc = gsh(&out, dir, "cat /sys/block/vda/size", 20);
	} while (rc != 0 && qv__now_ms() < deadline && (sleep(1), 1));
	cr_assert_eq(rc, 0, "no /dev/vda in the guest after release: %s; console:\n%s",
		     out ? out : "", qvm_tail_of(wp("vms/vm-" ENV_ID "/" QV_F_CONSOLE)));
	cr_assert_eq(strtoul(out, NULL, 10), DISK_MIB * 2048ul, "vda size %s", out);
	free(out);
	fprintf(stderr, "qemu_disk: release to /dev/vda in the guest: %.1f s\n",
		(qv__now_ms() - t_rel) / 1000.0);

	/* Usable: write a marker (spelled with $((...)) so that the tty's echo
	 * of the command never shows it), drop the guest's caches, read it
	 * back from the device. */
	snprintf(cmd, sizeof(cmd),
		 "echo EPH$((6*7))DISK-%s >/tmp/m && dd if=/tmp/m of=/dev/vda bs=512 "
		 "count=1 conv=sync,fsync 2>/dev/null && sync && echo 3 >/proc/sys/vm/drop_caches "
		 "&& dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 26",
		 mkhex);
	rc = gsh(&out, dir, cmd, 60);
	cr_assert_eq(rc, 0, "write/read on /dev/vda: %s", out ? out : "");
	cr_assert(out && strstr(out, marker), "read back '%s', wanted %s", out ? out : "",
		  marker);
	free(out);

	/* On the host: the marker is not in data.luks in clear ... */
	rc = qvm_run(&out, "grep -c -a '%s' '%s'", marker, wp("vms/vm-" ENV_ID "/" QV_F_DISK));
	cr_assert(out && strtoul(out, NULL, 10) == 0, "grep -c in data.luks: %s (exit %d)",
		  out ? out : "", rc);
	free(out);
	/* ... but is there, encrypted: qemu-img with the key (the driver's
	 * passphrase: the key in lowercase hex, disk.c) decrypts it. The
	 * running qemu holds the image lock: -U. */
	{
		FILE *f = fopen(wp("pass"), "w");

		cr_assert_not_null(f);
		fputs(keyhex, f);
		fclose(f);
	}
	rc = qvm_run(&out,
		 "qemu-img convert -U --object secret,id=s0,file='%s',format=raw --image-opts "
		 "driver=luks,key-secret=s0,file.filename='%s' -O raw '%s' 2>&1",
		 wp("pass"), wp("vms/vm-" ENV_ID "/" QV_F_DISK), wp("plain.raw"));
	cr_assert_eq(rc, 0, "qemu-img convert: %s", out ? out : "");
	free(out);
	img = tu_read(wp("plain.raw"), &len);
	cr_assert_eq(len, (size_t)DISK_MIB << 20);
	cr_assert_not_null(memmem(img, len, marker, strlen(marker)),
			   "the decrypted disk lacks the marker");
	free(img);
	unlink(wp("plain.raw"));

	/* destroy: nothing left */
	{
		char pidtxt[32] = "";

		driver__read_str(pidtxt, sizeof(pidtxt), wp("vms/vm-" ENV_ID "/" QV_F_PID));
		qpid = (pid_t)strtol(pidtxt, NULL, 10);
	}
	cr_assert_gt(qpid, 0);
	cr_assert_eq(driver_destroy(drv, h, &err), 0, "destroy: %s", err.msg);
	cr_assert(!qv__alive(qpid), "qemu %d still alive", (int)qpid);
	cr_assert_eq(access(dir, F_OK), -1, "%s still there", dir);
	cr_assert_eq(driver_list(drv, &v, &n, &err), 0);
	cr_assert_eq(n, 0);
	free(v);
	cr_assert_eq(driver_release_disk(drv, h, key, sizeof(key), &err), EPH_ENOTFOUND);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(keyhex, sizeof(keyhex));
}
