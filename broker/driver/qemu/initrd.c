/*
 * initrd.c - the per-VM initrd: the base initrd of packaging/guest
 * (kernel-ready, usually gzip) followed by a small uncompressed newc cpio
 * archive holding the VM's own files (etc/ephemera/agent.conf,
 * etc/ephemera/broker.pem). The kernel unpacks concatenated archives in
 * order, later files replacing earlier ones (Documentation/driver-api/
 * early-userspace/buffer-format.rst); an uncompressed archive must start on
 * a 4-byte boundary, and zero bytes between archives are skipped, so the
 * base is padded with zeros to a 512-byte boundary.
 *
 * newc ("SVR4 with no CRC") entry, all numbers 8 ASCII hex digits:
 *   "070701" ino mode uid gid nlink mtime filesize devmajor devminor
 *   rdevmajor rdevminor namesize check     (110 bytes)
 *   name, NUL (namesize counts it), zero-padded so header+name is 4-aligned
 *   data (filesize bytes), zero-padded to a 4-byte boundary
 * e.g. "070701" "00000001" "000081a4" ... "00000018" "00000000" "etc/ephemera/agent.conf\0" ...
 * The archive ends with the entry named "TRAILER!!!". Every entry is owned
 * by root, mtime 0 (the archive is reproducible), ino counts up from 1.
 *
 * Not here: reading cpio (the tests use cpio -t), compression, device
 * nodes, symlinks, hard links.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu-priv.h"

#define NEWC_HDR 110
#define NAME_MAX_LEN 255

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

static int name_ok(const char *n)
{
	size_t l = strlen(n), i;

	if (l == 0 || l > NAME_MAX_LEN || n[0] == '/' || n[l - 1] == '/')
		return 0;
	for (i = 0; i < l; i++) {
		if ((unsigned char)n[i] <= ' ' || (unsigned char)n[i] >= 0x7f)
			return 0;
		/* no empty, "." or ".." component */
		if (i == 0 || n[i - 1] == '/') {
			if (n[i] == '/')
				return 0;
			if (n[i] == '.' && (n[i + 1] == '/' || n[i + 1] == '\0'))
				return 0;
			if (n[i] == '.' && n[i + 1] == '.' && (n[i + 2] == '/' || n[i + 2] == '\0'))
				return 0;
		}
	}
	return 1;
}

static int put_entry(uint8_t *buf, size_t cap, size_t *off, uint32_t ino, unsigned mode,
		     uint32_t nlink, const char *name, const void *data, size_t len)
{
	size_t nsz = strlen(name) + 1, need;
	char hdr[NEWC_HDR + 1];
	int n;

	if (len > UINT32_MAX)
		return -1;
	need = NEWC_HDR + nsz + pad4(NEWC_HDR + nsz) + len + pad4(len);
	if (cap - *off < need)
		return -1;
	n = snprintf(hdr, sizeof(hdr),
		     "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, mode, 0u,
		     0u, nlink, 0u, (unsigned)len, 0u, 0u, 0u, 0u, (unsigned)nsz, 0u);
	if (n != NEWC_HDR)
		return -1;
	memcpy(buf + *off, hdr, NEWC_HDR);
	*off += NEWC_HDR;
	memcpy(buf + *off, name, nsz);
	*off += nsz;
	memset(buf + *off, 0, pad4(NEWC_HDR + nsz));
	*off += pad4(NEWC_HDR + nsz);
	if (len)
		memcpy(buf + *off, data, len);
	*off += len;
	memset(buf + *off, 0, pad4(len));
	*off += pad4(len);
	return 0;
}

int qv__cpio_newc(uint8_t *buf, size_t cap, size_t *len, const struct qv_cpio_file *files,
		  size_t n, struct eph_err *err)
{
	size_t off = 0, i;

	*len = 0;
	for (i = 0; i < n; i++) {
		const struct qv_cpio_file *f = &files[i];
		int dir = S_ISDIR(f->mode);

		if (!name_ok(f->name))
			return eph_err_set(err, EPH_EFORMAT, "cpio: bad name '%.60s'", f->name);
		if (!dir && !S_ISREG(f->mode))
			return eph_err_set(err, EPH_EFORMAT, "cpio: %s: only files and folders",
					   f->name);
		if (put_entry(buf, cap, &off, (uint32_t)(i + 1), f->mode, dir ? 2 : 1, f->name,
			      dir ? NULL : f->data, dir ? 0 : f->len) < 0)
			return eph_err_set(err, EPH_ENOMEM, "cpio: archive larger than %zu bytes",
					   cap);
	}
	if (put_entry(buf, cap, &off, 0, 0, 1, "TRAILER!!!", NULL, 0) < 0)
		return eph_err_set(err, EPH_ENOMEM, "cpio: archive larger than %zu bytes", cap);
	*len = off;
	return 0;
}

static int copy_fd(int out, int in, uint64_t *copied, struct eph_err *err, const char *base)
{
	char buf[65536];

	*copied = 0;
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf)), w, done = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return eph_err_set(err, EPH_EIO, "read %s: %s", base, strerror(errno));
		if (r == 0)
			return 0;
		while (done < r) {
			w = write(out, buf + done, (size_t)(r - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return eph_err_set(err, EPH_EIO, "write initrd: %s",
						   strerror(w < 0 ? errno : EIO));
			done += w;
		}
		*copied += (uint64_t)r;
	}
}

int qv__initrd_build(const char *out, const char *base, const struct qv_cpio_file *files,
		     size_t n, struct eph_err *err)
{
	static const uint8_t zeros[512];
	uint8_t *arc = NULL;
	size_t cap = 0, alen = 0, i, padn;
	uint64_t copied = 0;
	int in = -1, fd = -1, rc;

	for (i = 0; i < n; i++) {
		if (files[i].len > (1u << 20))
			return eph_err_set(err, EPH_EFORMAT, "initrd: %s larger than 1 MiB",
					   files[i].name);
		cap += NEWC_HDR + NAME_MAX_LEN + 8 + files[i].len + 4;
	}
	cap += NEWC_HDR + 16;
	arc = malloc(cap);
	if (!arc)
		return eph_err_set(err, EPH_ENOMEM, "initrd: out of memory");
	rc = qv__cpio_newc(arc, cap, &alen, files, n, err);
	if (rc < 0)
		goto out;
	in = open(base, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rc = eph_err_set(err, EPH_ENOTFOUND, "base initrd %s: %s", base, strerror(errno));
		goto out;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = eph_err_set(err, EPH_EIO, "open %s: %s", out, strerror(errno));
		goto out;
	}
	rc = copy_fd(fd, in, &copied, err, base);
	if (rc < 0)
		goto out;
	padn = (512 - (size_t)(copied % 512)) % 512;
	if ((padn && write(fd, zeros, padn) != (ssize_t)padn) ||
	    write(fd, arc, alen) != (ssize_t)alen) {
		rc = eph_err_set(err, EPH_EIO, "write %s: %s", out, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = eph_err_set(err, EPH_EIO, "close %s: %s", out, strerror(errno));
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
	free(arc);
	return rc;
}
