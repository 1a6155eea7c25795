/*
 * tsm_configfs.c - one report through Linux configfs-tsm.
 *
 * The kernel's interface (Documentation/ABI/testing/configfs-tsm-report):
 *
 *   mkdir  $root/<name>                 a report entry of our own
 *   write  <name>/inblob                up to 64 bytes of report_data
 *   write  <name>/privlevel             SEV-SNP VMPL (optional)
 *   read   <name>/generation            decimal, +1 on every write above
 *   read   <name>/provider              "sev_guest" | "tdx_guest" | ...
 *   read   <name>/outblob               the report, generated on read
 *   read   <name>/auxblob               SNP certificate table (optional)
 *   rmdir  $root/<name>
 *
 * Entries are shared by everything that can write configfs, so the ABI
 * asks readers to compare generation before and after reading the blobs:
 * a change means another writer's inblob got in between, and we retry. We
 * also check that outblob carries our report_data, which catches the same
 * race from the other side and a provider that answered something else.
 *
 * Not here: the /dev/sev-guest fallback (tsm_sevguest.c), verification.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "eph_file.h"
#include "tsm-priv.h"

/* dir/name into path; a path that does not fit is an error, not a cut. */
static int join(char *path, size_t size, const char *dir, const char *name, struct eph_err *err)
{
	int n = snprintf(path, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return eph_err_set(err, EPH_EFAIL, "path %s/%s is too long", dir, name);
	return 0;
}

static int write_attr(const char *dir, const char *name, const void *buf, size_t len,
		      struct eph_err *err)
{
	char path[4096];
	ssize_t n;
	int fd;

	if (join(path, sizeof(path), dir, name, err) < 0)
		return EPH_EFAIL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return eph_err_set(err, EPH_EIO, "cannot open %s for writing: %s", path,
				   strerror(errno));
	n = write(fd, buf, len);
	if (n < 0 || (size_t)n != len) {
		int e = n < 0 ? errno : EIO;

		close(fd);
		return eph_err_set(err, EPH_EIO, "writing %zu bytes to %s: %s", len, path,
				   strerror(e));
	}
	if (close(fd) != 0)
		return eph_err_set(err, EPH_EIO, "writing %s: %s", path, strerror(errno));
	return 0;
}

/* Read a whole attribute; ENOENT is EPH_ENOTFOUND so callers can tell. */
static int read_attr(uint8_t **buf, size_t *len, const char *dir, const char *name,
		     struct eph_err *err)
{
	char path[4096];

	if (join(path, sizeof(path), dir, name, err) < 0)
		return EPH_EFAIL;
	return eph_file_read(buf, len, path, TSM_MAX_BLOB, err);
}

static int read_generation(uint32_t *gen, const char *dir, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, i;
	uint64_t v = 0;
	int rc;

	rc = read_attr(&buf, &len, dir, "generation", err);
	if (rc < 0)
		return rc;
	for (i = 0; i < len && buf[i] != '\n'; i++) {
		if (buf[i] < '0' || buf[i] > '9' || v > UINT32_MAX / 10) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s/generation is not a number", dir);
			goto out;
		}
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	if (i == 0 || v > UINT32_MAX) {
		rc = eph_err_set(err, EPH_EFORMAT, "%s/generation is not a number", dir);
		goto out;
	}
	*gen = (uint32_t)v;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int read_provider(struct tsm_evidence *ev, const char *dir, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = read_attr(&buf, &len, dir, "provider", err);
	if (rc < 0)
		return rc;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len == 0 || len >= sizeof(ev->provider_name)) {
		free(buf);
		return eph_err_set(err, EPH_EFORMAT, "%s/provider: unexpected value", dir);
	}
	memcpy(ev->provider_name, buf, len);
	ev->provider_name[len] = '\0';
	ev->provider = tsm_provider_from_name(ev->provider_name);
	free(buf);
	return 0;
}

/* One attempt: 0 with the blobs in ev, 1 when the caller should retry. */
static int attempt(struct tsm_evidence *ev, const char *dir, const uint8_t *report_data,
		   int privlevel, struct eph_err *err)
{
	uint32_t g1 = 0, g2 = 0;
	size_t off = 0;
	int rc;

	if (privlevel >= 0) {
		char lvl[16];
		int n = snprintf(lvl, sizeof(lvl), "%d", privlevel);

		rc = write_attr(dir, "privlevel", lvl, (size_t)n, err);
		if (rc < 0)
			return rc;
	}
	rc = write_attr(dir, "inblob", report_data, TSM_REPORT_DATA_LEN, err);
	if (rc < 0)
		return rc;
	rc = read_generation(&g1, dir, err);
	if (rc < 0)
		return rc;
	tsm_evidence_clear(ev);
	rc = read_attr(&ev->outblob, &ev->outblob_len, dir, "outblob", err);
	if (rc < 0)
		return rc;
	rc = read_attr(&ev->auxblob, &ev->auxblob_len, dir, "auxblob", err);
	if (rc == EPH_ENOTFOUND || (rc == 0 && ev->auxblob_len == 0)) {
		free(ev->auxblob);
		ev->auxblob = NULL;
		ev->auxblob_len = 0;
	} else if (rc < 0) {
		return rc;
	}
	rc = read_generation(&g2, dir, err);
	if (rc < 0)
		return rc;
	if (g1 != g2)
		return 1;
	ev->generation = g2;
	if (tsm_report_data_offset(&off, ev->provider, ev->outblob, ev->outblob_len, NULL) == 0 &&
	    memcmp(ev->outblob + off, report_data, TSM_REPORT_DATA_LEN) != 0)
		return 1;
	return 0;
}

int tsm__collect_configfs(struct tsm_evidence *out, const char *root, const uint8_t *report_data,
			  int privlevel, unsigned max_attempts, struct eph_err *err)
{
	static unsigned counter;
	char dir[4096];
	struct stat st;
	unsigned i;
	int rc, n;

	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return eph_err_set(err, EPH_ENOTFOUND, "%s: no configfs-tsm here", root);
	n = snprintf(dir, sizeof(dir), "%s/ephemera-%ld-%u", root, (long)getpid(), counter++);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return eph_err_set(err, EPH_EFAIL, "configfs-tsm path %s is too long", root);
	if (mkdir(dir, 0700) != 0)
		return eph_err_set(err, EPH_EIO, "cannot create report entry %s: %s", dir,
				   strerror(errno));
	rc = read_provider(out, dir, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < max_attempts; i++) {
		struct timespec backoff = {0, (long)(1u << i) * 1000000L}; /* 1, 2, 4 ... ms */

		rc = attempt(out, dir, report_data, privlevel, err);
		out->attempts = i + 1;
		if (rc <= 0)
			goto out;
		nanosleep(&backoff, NULL);
	}
	rc = eph_err_set(err, EPH_EVERIFY,
			 "%s: no consistent report after %u attempts (another writer keeps "
			 "changing the entry, or the report does not carry our report_data)",
			 dir, max_attempts);
out:
	if (rc < 0)
		tsm_evidence_clear(out);
	if (rmdir(dir) != 0 && rc == 0)
		rc = eph_err_set(err, EPH_EIO, "cannot remove report entry %s: %s", dir,
				 strerror(errno));
	return rc;
}
