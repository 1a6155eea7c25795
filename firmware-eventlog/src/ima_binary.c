/*
 * ima_binary.c - parse /sys/kernel/security/ima/binary_runtime_measurements.
 *
 * Layout per entry (Linux security/integrity/ima/ima_fs.c,
 * ima_measurements_show(); integers in host byte order, which this parser
 * takes to be little-endian, as on x86, arm64 and ima_canonical_fmt):
 *
 *   u32 pcr | u8 template_hash[20] | u32 name_len | name[name_len] | rest
 *
 *   rest, template "ima":   u8 digest[20] | u32 fname_len | fname (no NUL)
 *   rest, other templates:  u32 data_len | template data[data_len]
 *
 *   0a000000 1d8d532d...5f93e260 06000000 696d612d6e67 31000000 1a000000...
 *   pcr 10   template hash      len 6    "ima-ng"     len 49   d-ng field
 *
 * The template hash is SHA1 over the template data; for "ima" over digest
 * || fname padded with NULs to 256 bytes, which is what an "ima" entry
 * stores as template_data (ima_template.c). An all-zero template hash marks
 * a violation.
 *
 * Limits, each a format error naming entry and offset: template name 1..255
 * printable bytes (the kernel's cap; names of 32 bytes and more do not fit
 * evlog_ima_entry and are EPH_EUNSUPPORTED), "ima" file names up to 255
 * bytes without NUL, template data up to EVLOG__IMA_MAX_DATA (64 KiB),
 * EVLOG__IMA_MAX_ENTRIES entries. A list cut inside an entry is an error;
 * a list cut between entries cannot be told from a shorter list. One
 * exception: a single 0x0a byte after the last entry is ignored, as text
 * tools append it (tpm2-tss's test lists carry one); it is also what a list
 * cut one byte into an entry for PCR 10 looks like, which is then read as
 * the shorter list.
 *
 * Not handled: big-endian lists without ima_canonical_fmt (an error hints
 * at it), per-bank lists of newer kernels whose template hashes are not SHA1.
 */
#include <stdlib.h>
#include <string.h>

#include "eph_cur.h"
#include "ima-priv.h"

struct rd {
	struct eph_cur c;
	char where[64];
	struct eph_err *err;
};

static int rd_bytes(struct rd *r, size_t n, const uint8_t **p, const char *what)
{
	if (eph_cur_bytes(&r->c, n, p) < 0)
		return eph_err_set(r->err, EPH_EFORMAT,
				   "%s: truncated: %s at offset %zu needs %zu bytes, %zu left",
				   r->where, what, r->c.pos, n, eph_cur_left(&r->c));
	return 0;
}

static int rd_u32(struct rd *r, uint32_t *v, const char *what)
{
	if (eph_cur_u32le(&r->c, v) < 0)
		return eph_err_set(r->err, EPH_EFORMAT,
				   "%s: truncated: %s at offset %zu needs 4 bytes, %zu left",
				   r->where, what, r->c.pos, eph_cur_left(&r->c));
	return 0;
}

static int looks_swapped(uint32_t pcr)
{
	uint32_t sw = (pcr >> 24) | ((pcr >> 8) & 0xff00) | ((pcr << 8) & 0xff0000) | (pcr << 24);

	return pcr > 0xffff && sw < 64;
}

static int read_name(struct rd *r, struct evlog_ima_entry *e)
{
	const uint8_t *p = NULL;
	uint32_t n = 0, i;
	size_t at;
	int rc;

	rc = rd_u32(r, &n, "template name length");
	if (rc < 0)
		return rc;
	if (n == 0 || n > EVLOG__IMA_MAX_NAME_LEN)
		return eph_err_set(r->err, EPH_EFORMAT,
				   "%s: template name length %u at offset %zu is not in 1..%u%s",
				   r->where, (unsigned)n, r->c.pos - 4, EVLOG__IMA_MAX_NAME_LEN,
				   looks_swapped(e->pcr) ? " (a big-endian list?)" : "");
	at = r->c.pos;
	rc = rd_bytes(r, n, &p, "template name");
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return eph_err_set(r->err, EPH_EFORMAT,
					   "%s: template name at offset %zu has byte 0x%02x at %u",
					   r->where, at, p[i], (unsigned)i);
	if (n >= sizeof(e->template_name))
		return eph_err_set(r->err, EPH_EUNSUPPORTED,
				   "%s: template name \"%.*s\" longer than %zu bytes", r->where,
				   (int)n, (const char *)p, sizeof(e->template_name) - 1);
	memcpy(e->template_name, p, n);
	e->template_name[n] = '\0';
	return 0;
}

/* Legacy "ima": digest[20] | u32 fname_len | fname, stored in hashed form. */
static int read_old(struct rd *r, struct evlog__ima_slot *s)
{
	const uint8_t *digest = NULL, *fname = NULL;
	uint32_t n = 0;
	int rc;

	rc = rd_bytes(r, 20, &digest, "ima file digest");
	if (rc < 0)
		return rc;
	rc = rd_u32(r, &n, "ima file name length");
	if (rc < 0)
		return rc;
	if (n > EVLOG__IMA_EVENT_NAME_LEN_MAX)
		return eph_err_set(r->err, EPH_EFORMAT,
				   "%s: ima file name length %u at offset %zu exceeds %u", r->where,
				   (unsigned)n, r->c.pos - 4, EVLOG__IMA_EVENT_NAME_LEN_MAX);
	rc = rd_bytes(r, n, &fname, "ima file name");
	if (rc < 0)
		return rc;
	if (memchr(fname, '\0', n) != NULL)
		return eph_err_set(r->err, EPH_EFORMAT, "%s: ima file name at offset %zu holds a NUL",
				   r->where, r->c.pos - n);
	s->data = malloc(EVLOG__IMA_OLD_DATA_LEN);
	if (s->data == NULL)
		return eph_err_set(r->err, EPH_ENOMEM, "%s: out of memory", r->where);
	evlog__ima_build_old(s->data, digest, (const char *)fname, n);
	s->e.template_data_len = EVLOG__IMA_OLD_DATA_LEN;
	return 0;
}

static int read_data(struct rd *r, struct evlog__ima_slot *s)
{
	const uint8_t *p = NULL;
	uint32_t n = 0;
	int rc;

	rc = rd_u32(r, &n, "template data length");
	if (rc < 0)
		return rc;
	if (n > EVLOG__IMA_MAX_DATA)
		return eph_err_set(r->err, EPH_EFORMAT,
				   "%s: template data length %u at offset %zu exceeds %u", r->where,
				   (unsigned)n, r->c.pos - 4, EVLOG__IMA_MAX_DATA);
	rc = rd_bytes(r, n, &p, "template data");
	if (rc < 0)
		return rc;
	s->data = malloc(n ? n : 1);
	if (s->data == NULL)
		return eph_err_set(r->err, EPH_ENOMEM, "%s: out of memory", r->where);
	if (n)
		memcpy(s->data, p, n);
	s->e.template_data_len = n;
	return 0;
}

static int read_entry(struct rd *r, struct evlog__ima_slot *s)
{
	static const uint8_t zero[EVLOG_IMA_TEMPLATE_HASH_LEN];
	struct evlog_ima_entry *e = &s->e;
	const uint8_t *hash = NULL;
	int rc;

	rc = rd_u32(r, &e->pcr, "PCR index");
	if (rc < 0)
		return rc;
	rc = rd_bytes(r, EVLOG_IMA_TEMPLATE_HASH_LEN, &hash, "template hash");
	if (rc < 0)
		return rc;
	memcpy(e->template_hash, hash, EVLOG_IMA_TEMPLATE_HASH_LEN);
	e->violation = memcmp(hash, zero, sizeof(zero)) == 0;
	rc = read_name(r, e);
	if (rc < 0)
		return rc;
	if (evlog__ima_template_kind(e->template_name) == EVLOG__IMA_T_IMA)
		rc = read_old(r, s);
	else
		rc = read_data(r, s);
	if (rc < 0)
		return rc;
	s->data_known = 1;
	e->template_data = s->data;
	rc = evlog__ima_decode(e, r->err);
	if (rc < 0)
		return eph_err_prefix(r->err, rc, "%s", r->where);
	return 0;
}

int evlog__ima_parse_binary(struct evlog_ima *ima, const uint8_t *buf, size_t len,
			    struct eph_err *err)
{
	struct evlog__ima_slot *s = NULL;
	struct rd r;
	int rc;

	eph_cur_init(&r.c, buf, len);
	r.err = err;
	while (eph_cur_left(&r.c) > 0) {
		if (ima->count > 0 && eph_cur_left(&r.c) == 1 && r.c.base[r.c.pos] == '\n')
			break; /* a trailing newline, see the file comment */
		rc = evlog__ima_append(&s, ima, err);
		if (rc < 0)
			return rc;
		s->e.offset = r.c.pos;
		evlog__ima_where(r.where, sizeof(r.where), ima, &s->e);
		rc = read_entry(&r, s);
		if (rc < 0)
			return rc;
	}
	return 0;
}
