/*
 * evidence.c - reading what the agent sends besides the quote: the
 * firmware event log, the new part of the IMA list, and a confidential-VM
 * report.
 *
 * IMA: binary_runtime_measurements only grows during a boot, so the agent
 * sends each entry once. The state folder records the boot id
 * (/proc/sys/kernel/random/boot_id) and how many entries and bytes the
 * broker has accepted; the next chunk starts there (a new boot starts at
 * 0) and holds whole entries only, at most WIRE_MAX_BLOB bytes (the rest
 * goes with the next attestation). Entry layout (Linux ima_fs.c, host byte
 * order, little-endian here, as libevlog reads it):
 *
 *   u32 pcr | u8 template_hash[20] | u32 name_len | name | rest
 *     rest, "ima":  u8 digest[20] | u32 fname_len | fname
 *     rest, other:  u32 data_len | data
 *   0a000000 <20 bytes> 06000000 "ima-ng" 31000000 <49 bytes of d-ng|n-ng>
 *
 * Only the boundaries are found here (to cut whole entries); parsing and
 * judging the entries is the broker's (libevlog).
 *
 * Not here: the quote and PCR values (attest.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentc-priv.h"
#include "eph_cur.h"
#include "eph_file.h"
#include "eph_hash.h"

#define IMA_MAX_NAME 255
#define IMA_MAX_DATA (1u << 20) /* one entry's template data, sanity cap */

int agentc__read_optional(uint8_t **out, size_t *len, const char *path, const char *dflt,
                          size_t max, const char *what, struct eph_err *err)
{
	int rc;

	*out = NULL;
	*len = 0;
	if (path != NULL && *path == '\0')
		return 0; /* disabled */
	rc = eph_file_read(out, len, path != NULL ? path : dflt, max, err);
	if (rc == EPH_ENOTFOUND && path == NULL)
		return 0; /* the default is absent: nothing to send */
	if (rc < 0)
		return eph_err_prefix(err, rc, "%s", what);
	return 0;
}

int agentc__ima_walk(uint64_t *entries, size_t *used, const uint8_t *buf, size_t len,
                     size_t max_bytes, struct eph_err *err)
{
	struct eph_cur c;

	*entries = 0;
	*used = 0;
	eph_cur_init(&c, buf, len);
	while (eph_cur_left(&c) > 0) {
		const uint8_t *name = NULL;
		uint32_t pcr, nlen, dlen;
		size_t start = c.pos;

		if (eph_cur_u32le(&c, &pcr) < 0 || eph_cur_skip(&c, 20) < 0 ||
		    eph_cur_u32le(&c, &nlen) < 0)
			break; /* cut inside an entry: stop before it */
		if (pcr > 23 || nlen == 0 || nlen > IMA_MAX_NAME)
			return eph_err_set(err, EPH_EFORMAT,
			                   "IMA entry %llu at byte %zu of the chunk: PCR %u, name "
			                   "length %u: not an IMA entry",
			                   (unsigned long long)*entries, start, pcr, nlen);
		if (eph_cur_bytes(&c, nlen, &name) < 0)
			break;
		if (nlen == 3 && memcmp(name, "ima", 3) == 0) {
			if (eph_cur_skip(&c, 20) < 0 || eph_cur_u32le(&c, &dlen) < 0)
				break;
			if (dlen > IMA_MAX_NAME)
				return eph_err_set(err, EPH_EFORMAT,
				                   "IMA entry %llu: file name of %u bytes",
				                   (unsigned long long)*entries, dlen);
		} else {
			if (eph_cur_u32le(&c, &dlen) < 0)
				break;
			if (dlen > IMA_MAX_DATA)
				return eph_err_set(err, EPH_EFORMAT,
				                   "IMA entry %llu: template data of %u bytes",
				                   (unsigned long long)*entries, dlen);
		}
		if (eph_cur_skip(&c, dlen) < 0 || c.pos > max_bytes)
			break;
		(*entries)++;
		*used = c.pos;
	}
	return 0;
}

static void read_boot_id(char out[64], const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0, i;
	struct eph_err e2;

	memcpy(out, "-", 2);
	if (eph_file_read(&buf, &len, path, 128, &e2) < 0)
		return;
	for (i = 0; i < len && i < 63; i++) {
		char c = (char)buf[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
			break;
		out[i] = c;
	}
	if (i > 0)
		out[i] = '\0';
	free(buf);
}

int agentc__ima_read(struct agentc__ima_chunk *out, const agentc *a, const char *path,
                     const char *boot_id_path, struct eph_err *err)
{
	const char *p = path != NULL ? path : AGENTC_DEFAULT_IMA;
	uint8_t *buf = NULL;
	size_t cap = WIRE_MAX_BLOB, n = 0, used = 0;
	uint64_t entries = 0;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	read_boot_id(out->boot_id, boot_id_path != NULL ? boot_id_path : AGENTC_DEFAULT_BOOT_ID);
	if (path != NULL && *path == '\0')
		return 0;
	if (strcmp(out->boot_id, a->boot_id) == 0) {
		out->start = a->ima_entries;
		out->start_bytes = a->ima_bytes;
	}
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && path == NULL)
			return 0;
		return eph_err_set(err, errno == ENOENT ? EPH_ENOTFOUND : EPH_EIO,
		                   "IMA list %s: %s", p, strerror(errno));
	}
	if (out->start_bytes > 0 && lseek(fd, (off_t)out->start_bytes, SEEK_SET) < 0) {
		rc = eph_err_set(err, EPH_EIO, "IMA list %s: seek to byte %llu: %s", p,
		                 (unsigned long long)out->start_bytes, strerror(errno));
		goto out;
	}
	buf = malloc(cap);
	if (buf == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "IMA list: out of memory");
		goto out;
	}
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = eph_err_set(err, EPH_EIO, "IMA list %s: read: %s", p, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	rc = agentc__ima_walk(&entries, &used, buf, n, WIRE_MAX_BLOB, err);
	if (rc < 0) {
		eph_err_prefix(err, rc, "IMA list %s from entry %llu (byte %llu)", p,
		               (unsigned long long)out->start,
		               (unsigned long long)out->start_bytes);
		goto out;
	}
	if (entries > 0) {
		out->buf = buf;
		out->len = used;
		out->entries = entries;
		buf = NULL;
	}
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int agentc__cvm_collect(struct tsm_evidence *ev, char kind[16], const agentc *a,
                        const uint8_t *nonce, size_t nonce_len, struct eph_err *err)
{
	uint8_t rd[TSM_REPORT_DATA_LEN];
	int rc;

	memset(ev, 0, sizeof(*ev));
	memcpy(kind, "none", 5);
	if (a->cvm == AGENTC_CVM_NONE)
		return 0;
	if (eph_bind_report_data(rd, nonce, nonce_len, a->ak_name, a->ak_name_len) < 0)
		return eph_err_set(err, EPH_EFAIL, "SHA-512(nonce || AK name) failed");
	rc = tsm_collect(ev, a->have_tsm ? &a->tsm : NULL, rd, err);
	if (rc == EPH_ENOTFOUND && a->cvm == AGENTC_CVM_AUTO)
		return 0; /* not a confidential guest */
	if (rc < 0)
		return eph_err_prefix(err, rc, "confidential-VM report");
	switch (ev->provider) {
	case TSM_PROVIDER_SEV_GUEST:
		memcpy(kind, "sev-snp", 8);
		return 0;
	case TSM_PROVIDER_TDX_GUEST:
		memcpy(kind, "tdx", 4);
		return 0;
	default:
		rc =
		    eph_err_set(err, EPH_EUNSUPPORTED,
		                "confidential-VM report: unknown provider '%s'", ev->provider_name);
		tsm_evidence_clear(ev);
		return rc;
	}
}
