/*
 * disk.c - the VM's encrypted data disk, the "at-rest" encryption level:
 * formatted on the host at create, attached to the running VM only when
 * the broker releases its key (after an accepted attestation).
 *
 * The disk is a file in qemu's own LUKS format, DIR/data.luks, made with
 *   qemu-img create -q --object secret,id=qv-disk0-key,file=/dev/stdin,format=raw
 *            -f luks -o key-secret=qv-disk0-key,iter-time=10 DIR/data.luks <MiB>M
 * and released over QMP with
 *   object-add   {qom-type: secret, id: qv-disk0-key, data: <passphrase>, format: raw}
 *   blockdev-add {driver: luks, node-name: qv-disk0, key-secret: qv-disk0-key,
 *                 file: {driver: file, filename: DIR/data.luks}}
 *   object-del   {id: qv-disk0-key}
 *   device_add   {driver: virtio-blk-pci, drive: qv-disk0, bus: qv-rp0, id: qv-disk0-dev}
 * The guest sees a new virtio-blk device, /dev/vda (PCIe native hot-plug
 * into the VM's spare root port, vm.c): its agent needs no change.
 *
 * Why these:
 * - The LUKS passphrase is the key in lowercase hex, not the key bytes:
 *   qemu takes a LUKS passphrase only as UTF-8 text ("Data from secret s0
 *   is not valid UTF-8" for 32 random bytes given as format=base64,
 *   checked with qemu 7.2), so the bytes are spelled out; 16-64 bytes of
 *   key give 32-128 characters, all of the key's entropy.
 * - iter-time=10 (ms of PBKDF2 per keyslot instead of 2000): stretching
 *   protects low-entropy passwords, and this passphrase is a 128-512-bit
 *   random key; at 2000 ms every release (and every refused wrong key)
 *   would hold qemu's main loop, hence the VM, for 2 s. Formatting still
 *   takes ~6 s here: qemu-img benchmarks PBKDF2 whatever iter-time says.
 * - The key reaches qemu-img on a pipe as its stdin (util.c qv__run_in),
 *   never on a command line (/proc/PID/cmdline is world-readable) nor in
 *   a file (an unlinked file's blocks stay on disk).
 * - Over QMP the secret object is deleted as soon as blockdev-add has
 *   opened the disk: LUKS reads the passphrase only to unlock a keyslot
 *   and keeps the master key, so qemu 7.2 accepts object-del then and the
 *   disk keeps working (checked: a write and a read-back after it). The
 *   QMP line carrying the passphrase is built and wiped here
 *   (qmp.c qv__qmp_cmd_text), not through jansson.
 * - All or nothing: on any failure after object-add, what was added is
 *   removed again (secret, block node), so a retry starts clean, and a
 *   wrong key leaves nothing attached. A release that finds the device
 *   plugged already returns 0 without looking at the key again.
 *
 * Not here: deriving the key (the broker's master secret), the filesystem
 * inside (the guest's business), unplugging the disk before destroy (qemu
 * quits with it; DIR and data.luks are then removed), resizing, and
 * wiping qemu's own copies (the master key necessarily lives in qemu).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu-priv.h"

#define DISK_SECRET "qv-disk0-key"
#define DISK_NODE "qv-disk0"
#define DISK_DEV "qv-disk0-dev"
#define DISK_CREATE_TRIES 8   /* qemu-img's "Unable to get accurate CPU usage" */
#define DISK_TIMEOUT_MS 120000 /* qemu-img: ~6 s alone, 12 s on a loaded host */

/* The passphrase: key in lowercase hex, NUL-terminated (wipe it). */
static void passphrase(char out[2 * QV_DISK_KEY_MAX + 1], const uint8_t *key, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hx[key[i] >> 4];
		out[2 * i + 1] = hx[key[i] & 15];
	}
	out[2 * len] = '\0';
}

static int check_key(const uint8_t *key, size_t len, struct eph_err *err)
{
	if (!key || len < QV_DISK_KEY_MIN || len > QV_DISK_KEY_MAX)
		return eph_err_set(err, EPH_EFORMAT, "data disk key: %u to %u bytes needed, got %zu",
				   QV_DISK_KEY_MIN, QV_DISK_KEY_MAX, key ? len : (size_t)0);
	return 0;
}

int qv__disk_create(const char *qemu_img, const char *dir, uint64_t mib, const uint8_t *key,
		    size_t key_len, struct eph_err *err)
{
	char pass[2 * QV_DISK_KEY_MAX + 1], path[PATH_MAX], log[PATH_MAX], size[32];
	const char *argv[] = { qemu_img, "create", "-q", "--object",
			       "secret,id=" DISK_SECRET ",file=/dev/stdin,format=raw", "-f", "luks",
			       "-o", "key-secret=" DISK_SECRET ",iter-time=10", path, size, NULL };
	int rc, attempt;

	rc = check_key(key, key_len, err);
	if (rc < 0)
		return rc;
	if (mib == 0 || mib > QV_DISK_MIB_MAX)
		return eph_err_set(err, EPH_EFORMAT, "data disk: 1 MiB to 1 TiB, not %llu MiB",
				   (unsigned long long)mib);
	if (driver__path(path, sizeof(path), dir, QV_F_DISK) < 0 ||
	    driver__path(log, sizeof(log), dir, QV_F_DISKLOG) < 0)
		return eph_err_set(err, EPH_EFORMAT, "data disk: path too long");
	snprintf(size, sizeof(size), "%lluM", (unsigned long long)mib);
	passphrase(pass, key, key_len);
	for (attempt = 0;; attempt++) {
		char tail[200] = "", *nl;

		unlink(log);
		rc = qv__run_in(argv, log, DISK_TIMEOUT_MS, pass, 2 * key_len, err);
		if (rc <= 0)
			break;
		driver__read_str(tail, sizeof(tail), log);
		nl = strchr(tail, '\n');
		if (nl)
			*nl = '\0';
		/* qemu's PBKDF benchmark refuses a run whose thread CPU time
		 * read 0 ms (tick-based accounting: about 1 run in 3 here);
		 * nothing was written, so try again */
		if (strstr(tail, "accurate CPU usage") != NULL && attempt < DISK_CREATE_TRIES) {
			unlink(path);
			continue;
		}
		explicit_bzero(pass, sizeof(pass));
		return eph_err_set(err, EPH_EFAIL, "qemu-img create %s: exit %d: %s", path, rc,
				   tail);
	}
	explicit_bzero(pass, sizeof(pass));
	if (rc < 0)
		return rc;
	if (chmod(path, 0600) < 0)
		return eph_err_set(err, EPH_EIO, "chmod %s: %s", path, strerror(errno));
	return 0;
}

/* Nonzero when the JSON array arr holds an object whose member key is
 * the string want. */
static int has_named(json_t *arr, const char *key, const char *want)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(json_object_get(v, key));

		if (s && strcmp(s, want) == 0)
			return 1;
	}
	return 0;
}

/* Best-effort removal of what an interrupted or failed release added. */
static void drop(struct qv_qmp *q, const char *cmd, const char *k, const char *id)
{
	struct eph_err e2;
	json_t *a = json_pack("{s:s}", k, id);

	if (a)
		qv__qmp_cmd(q, NULL, cmd, a, &e2);
	json_decref(a);
}

/* Where the VM stands: *plugged when the disk device exists already;
 * *port when the spare root port exists; *node when the block node does. */
static int probe(struct qv_qmp *q, int *plugged, int *port, int *node, struct eph_err *err)
{
	json_t *a = json_pack("{s:s}", "path", "/machine/peripheral"), *r = NULL;
	int rc;

	if (!a)
		return eph_err_set(err, EPH_ENOMEM, "qmp: out of memory");
	rc = qv__qmp_cmd(q, &r, "qom-list", a, err);
	json_decref(a);
	if (rc < 0)
		return rc;
	*plugged = has_named(r, "name", DISK_DEV);
	*port = has_named(r, "name", QV_DISK_PORT);
	json_decref(r);
	r = NULL;
	a = json_pack("{s:b}", "flat", 1);
	if (!a)
		return eph_err_set(err, EPH_ENOMEM, "qmp: out of memory");
	rc = qv__qmp_cmd(q, &r, "query-named-block-nodes", a, err);
	json_decref(a);
	if (rc < 0)
		return rc;
	*node = has_named(r, "node-name", DISK_NODE);
	json_decref(r);
	return 0;
}

int qv__disk_release(struct qv_qmp *q, const char *dir, const uint8_t *key, size_t key_len,
		     struct eph_err *err)
{
	char pass[2 * QV_DISK_KEY_MAX + 1], args[2 * QV_DISK_KEY_MAX + 128], path[PATH_MAX];
	struct eph_err e2 = { { 0 } };
	json_t *a = NULL;
	int rc, plugged = 0, port = 0, node = 0, n;

	rc = check_key(key, key_len, err);
	if (rc < 0)
		return rc;
	if (driver__path(path, sizeof(path), dir, QV_F_DISK) < 0)
		return eph_err_set(err, EPH_EFORMAT, "data disk: path too long");
	if (access(path, F_OK) < 0)
		return eph_err_set(err, EPH_ENOTFOUND, "the VM has no data disk");
	rc = probe(q, &plugged, &port, &node, err);
	if (rc < 0)
		return rc;
	if (plugged)
		return 0;
	if (!port)
		return eph_err_set(err, EPH_EFAIL, "the VM has no spare root port " QV_DISK_PORT);
	/* Leftovers of a release that died half-way (a broker killed in the
	 * middle): start again from nothing. */
	if (node)
		drop(q, "blockdev-del", "node-name", DISK_NODE);
	drop(q, "object-del", "id", DISK_SECRET);

	passphrase(pass, key, key_len);
	n = snprintf(args, sizeof(args),
		     "{\"qom-type\":\"secret\",\"id\":\"" DISK_SECRET "\",\"data\":\"%s\","
		     "\"format\":\"raw\"}",
		     pass);
	explicit_bzero(pass, sizeof(pass));
	if (n < 0 || (size_t)n >= sizeof(args)) {
		explicit_bzero(args, sizeof(args));
		return eph_err_set(err, EPH_EFAIL, "data disk: secret too long");
	}
	rc = qv__qmp_cmd_text(q, NULL, "object-add", args, err);
	explicit_bzero(args, sizeof(args));
	if (rc < 0)
		return rc;

	a = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "driver", "luks", "node-name", DISK_NODE,
		      "key-secret", DISK_SECRET, "file", "driver", "file", "filename", path);
	if (!a) {
		rc = eph_err_set(err, EPH_ENOMEM, "qmp: out of memory");
		goto drop_secret;
	}
	rc = qv__qmp_cmd(q, NULL, "blockdev-add", a, &e2);
	json_decref(a);
	if (rc < 0) {
		/* qemu's words when no keyslot opens (crypto/block-luks.c). */
		if (strstr(e2.msg, "Invalid password"))
			rc = eph_err_set(err, EPH_EVERIFY,
					 "the key does not unlock the data disk (LUKS: no keyslot "
					 "opens with it)");
		else
			eph_err_set(err, rc, "%s", e2.msg);
		goto drop_secret;
	}
	/* The disk is open: its master key is in the block node, the
	 * passphrase is needed no more. */
	a = json_pack("{s:s}", "id", DISK_SECRET);
	rc = a ? qv__qmp_cmd(q, NULL, "object-del", a, err)
	       : eph_err_set(err, EPH_ENOMEM, "qmp: out of memory");
	json_decref(a);
	if (rc < 0)
		goto drop_node;
	a = json_pack("{s:s, s:s, s:s, s:s}", "driver", "virtio-blk-pci", "drive", DISK_NODE, "bus",
		      QV_DISK_PORT, "id", DISK_DEV);
	rc = a ? qv__qmp_cmd(q, NULL, "device_add", a, err)
	       : eph_err_set(err, EPH_ENOMEM, "qmp: out of memory");
	json_decref(a);
	if (rc < 0)
		goto drop_node;
	return 0;
drop_node:
	drop(q, "blockdev-del", "node-name", DISK_NODE);
drop_secret:
	drop(q, "object-del", "id", DISK_SECRET);
	return rc;
}
