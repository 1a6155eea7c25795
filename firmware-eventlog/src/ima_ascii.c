/*
 * ima_ascii.c - parse /sys/kernel/security/ima/ascii_runtime_measurements
 * and rebuild each entry's binary template data from its text, so that
 * template hashes are checked and non-SHA1 banks replayed as for the binary
 * list.
 *
 * One line per entry (Linux security/integrity/ima/ima_fs.c,
 * ima_ascii_measurements_show(): "%2d ", hex template hash, " %s" name,
 * then " " and each field):
 *
 *   10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng sha1:00...00 boot_aggregate
 *   pcr  template hash (40 hex)                 name   d-ng         n-ng
 *
 *   ima:      <sha1 hex> <file name>          -> digest || name padded to 256
 *   ima-ng:   <algo>:<hex> <file name>        -> d-ng | n-ng
 *   ima-sig:  <algo>:<hex> <file name> [<sig hex>]
 *   ima-buf:  <algo>:<hex> <buffer name> [<buf hex>]
 *
 * The kernel prints file names raw, so they may hold spaces: for ima and
 * ima-ng the name is the rest of the line. For ima-sig and ima-buf the
 * kernel writes " " before the last field even when it is empty, so a line
 * ending in a space has an empty last field; otherwise the last token is the
 * last field when it is non-empty, even-length hex, and else part of the
 * name (a name ending in " <hex>" with an empty signature and the trailing
 * space stripped is therefore misread: the format is ambiguous there).
 *
 * A d-ng of the form "<hex>" (no algorithm) becomes a bare digest, as old
 * kernels wrote for sha1. Lines of other templates are kept with their PCR,
 * template hash and name but without template data: SHA1 replay works for
 * them, template hash checks and other banks report EPH_EUNSUPPORTED.
 *
 * Errors name the entry, the line and what was wrong; a template hash of
 * 64/96/128 hex digits (a per-bank list of a newer kernel) is
 * EPH_EUNSUPPORTED. An empty input is an empty list; empty lines are
 * allowed only at the end; a NUL byte anywhere is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_cur.h"
#include "eph_hex.h"
#include "ima-priv.h"

struct line {
	const char *p;
	size_t n;
	size_t i; /* next unread column */
	size_t lineno;
	char where[64];
	struct eph_err *err;
};

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/* The next token: up to a space or the end of the line. */
static void token(struct line *l, const char **tok, size_t *n)
{
	const char *sp = memchr(l->p + l->i, ' ', l->n - l->i);
	size_t end = sp ? (size_t)(sp - l->p) : l->n;

	*tok = l->p + l->i;
	*n = end - l->i;
	l->i = end;
}

static int expect_space(struct line *l, const char *before)
{
	if (l->i >= l->n || l->p[l->i] != ' ')
		return eph_err_set(l->err, EPH_EFORMAT, "%s: line ends after the %s (column %zu)",
				   l->where, before, l->i + 1);
	l->i++;
	return 0;
}

static int parse_pcr(struct line *l, uint32_t *pcr)
{
	uint64_t v = 0;
	size_t start;

	while (l->i < l->n && l->p[l->i] == ' ')
		l->i++;
	start = l->i;
	while (l->i < l->n && l->p[l->i] >= '0' && l->p[l->i] <= '9') {
		v = v * 10 + (uint64_t)(l->p[l->i] - '0');
		if (v > UINT32_MAX)
			return eph_err_set(l->err, EPH_EFORMAT, "%s: PCR index is too large",
					   l->where);
		l->i++;
	}
	if (l->i == start)
		return eph_err_set(l->err, EPH_EFORMAT,
				   "%s: expected a decimal PCR index at column %zu", l->where,
				   start + 1);
	*pcr = (uint32_t)v;
	return expect_space(l, "PCR index");
}

static int parse_hash(struct line *l, uint8_t *hash)
{
	static const uint8_t zero[EVLOG_IMA_TEMPLATE_HASH_LEN];
	const char *t = NULL;
	size_t n, col = l->i + 1;

	token(l, &t, &n);
	if (n != 2 * EVLOG_IMA_TEMPLATE_HASH_LEN) {
		if ((n == 64 || n == 96 || n == 128) && is_hex(t, n))
			return eph_err_set(l->err, EPH_EUNSUPPORTED,
					   "%s: template hash of %zu hex digits (a per-bank list?): "
					   "only SHA1 template hashes are supported",
					   l->where, n);
		return eph_err_set(l->err, EPH_EFORMAT,
				   "%s: template hash at column %zu has %zu characters, expected 40 "
				   "hex digits",
				   l->where, col, n);
	}
	if (eph_hex_decode(hash, EVLOG_IMA_TEMPLATE_HASH_LEN, t, n) < 0)
		return eph_err_set(l->err, EPH_EFORMAT, "%s: bad hex in template hash at column %zu",
				   l->where, col);
	if (expect_space(l, "template hash") < 0)
		return EPH_EFORMAT;
	return memcmp(hash, zero, sizeof(zero)) == 0;
}

static int parse_name(struct line *l, char *name, size_t size)
{
	const char *t = NULL;
	size_t n, k, col = l->i + 1;

	token(l, &t, &n);
	if (n == 0)
		return eph_err_set(l->err, EPH_EFORMAT, "%s: empty template name at column %zu",
				   l->where, col);
	for (k = 0; k < n; k++)
		if ((uint8_t)t[k] < 0x21 || (uint8_t)t[k] > 0x7e)
			return eph_err_set(l->err, EPH_EFORMAT,
					   "%s: template name has byte 0x%02x at column %zu",
					   l->where, (uint8_t)t[k], col + k);
	if (n >= size)
		return eph_err_set(l->err, EPH_EUNSUPPORTED,
				   "%s: template name \"%.*s\" longer than %zu bytes", l->where,
				   (int)n, t, size - 1);
	memcpy(name, t, n);
	name[n] = '\0';
	return 0;
}

/* Decode hex into a new field of b (u32 length + bytes). */
static int put_hex_field(struct line *l, struct evlog__ima_tbuf *b, const char *hex, size_t n,
			 const char *what)
{
	uint8_t *tmp = NULL;
	long got;
	int rc = 0;

	if (n / 2 > EVLOG__IMA_MAX_DATA)
		return eph_err_set(l->err, EPH_EFORMAT, "%s: %s of %zu hex digits is too long",
				   l->where, what, n);
	tmp = malloc(n / 2 + 1);
	if (tmp == NULL)
		return eph_err_set(l->err, EPH_ENOMEM, "%s: out of memory", l->where);
	got = eph_hex_decode(tmp, n / 2 + 1, hex, n);
	if (got < 0) {
		rc = eph_err_set(l->err, EPH_EFORMAT, "%s: bad hex in %s at column %zu", l->where,
				 what, (size_t)(hex - l->p) + 1);
		goto out;
	}
	if (evlog__ima_tbuf_field(b, tmp, (size_t)got, NULL, 0) < 0)
		rc = eph_err_set(l->err, EPH_EFORMAT, "%s: template data exceeds %u bytes",
				 l->where, EVLOG__IMA_MAX_DATA);
out:
	free(tmp);
	return rc;
}

/* "<algo>:<hex>" or "<hex>" -> d-ng field. */
static int put_dng(struct line *l, struct evlog__ima_tbuf *b)
{
	uint8_t d[EPH_HASH_MAX];
	const char *t = NULL, *colon = NULL, *hex = NULL;
	size_t n, alen = 0, hexlen, size = 0;
	long got;

	token(l, &t, &n);
	colon = memchr(t, ':', n);
	hex = colon ? colon + 1 : t;
	hexlen = n - (size_t)(hex - t);
	if (colon) {
		alen = (size_t)(colon - t);
		if (!evlog__ima_algo_name_ok(t, alen))
			return eph_err_set(l->err, EPH_EFORMAT,
					   "%s: bad hash algorithm name in file digest at column %zu",
					   l->where, (size_t)(t - l->p) + 1);
		evlog__ima_alg_from_name(t, alen, &size);
		if (size && hexlen != 2 * size)
			return eph_err_set(l->err, EPH_EFORMAT,
					   "%s: %.*s file digest has %zu hex digits, expected %zu",
					   l->where, (int)alen, t, hexlen, 2 * size);
	}
	if (hexlen == 0 || hexlen > 2 * EPH_HASH_MAX)
		return eph_err_set(l->err, EPH_EFORMAT,
				   "%s: file digest at column %zu has %zu hex digits", l->where,
				   (size_t)(t - l->p) + 1, hexlen);
	got = eph_hex_decode(d, sizeof(d), hex, hexlen);
	if (got < 0)
		return eph_err_set(l->err, EPH_EFORMAT, "%s: bad hex in file digest at column %zu",
				   l->where, (size_t)(hex - l->p) + 1);
	if (colon && alen + 2 + (size_t)got == 20)
		return eph_err_set(l->err, EPH_EFORMAT,
				   "%s: %.*s file digest of %ld bytes: its binary form cannot be "
				   "told from a bare sha1 digest",
				   l->where, (int)alen, t, got);
	if (colon) {
		/* "<algo>:" NUL digest: the field carries the name, ':' and NUL. */
		char prefix[66];

		memcpy(prefix, t, alen + 1);
		prefix[alen + 1] = '\0';
		if (evlog__ima_tbuf_field(b, prefix, alen + 2, d, (size_t)got) < 0)
			return eph_err_set(l->err, EPH_ENOMEM, "%s: out of memory", l->where);
	} else if (evlog__ima_tbuf_field(b, d, (size_t)got, NULL, 0) < 0) {
		return eph_err_set(l->err, EPH_ENOMEM, "%s: out of memory", l->where);
	}
	return expect_space(l, "file digest");
}

/* ima-ng, ima-sig, ima-buf: d-ng | n-ng [| hex field]. */
static int build_ng(struct line *l, struct evlog__ima_tbuf *b, int third)
{
	const char *rest = NULL, *sp = NULL, *last = NULL;
	size_t m, name_len, last_len = 0;
	int rc;

	rc = put_dng(l, b);
	if (rc < 0)
		return rc;
	rest = l->p + l->i;
	m = l->n - l->i;
	name_len = m;
	if (third && m > 0 && rest[m - 1] == ' ') {
		name_len = m - 1;
		last = rest + m;
	} else if (third) {
		for (sp = rest + m; sp > rest && sp[-1] != ' '; sp--)
			;
		last_len = m - (size_t)(sp - rest);
		if (sp > rest && last_len > 0 && last_len % 2 == 0 && is_hex(sp, last_len)) {
			name_len = (size_t)(sp - rest) - 1;
			last = sp;
		} else {
			last_len = 0;
		}
	}
	if (evlog__ima_tbuf_field(b, rest, name_len, "", 1) < 0)
		return eph_err_set(l->err, EPH_EFORMAT, "%s: template data exceeds %u bytes",
				   l->where, EVLOG__IMA_MAX_DATA);
	if (third)
		return put_hex_field(l, b, last ? last : rest, last_len, "last field");
	return 0;
}

/* ima: <sha1 hex> <name> -> digest[20] || name padded to 256. */
static int build_old(struct line *l, struct evlog__ima_slot *s)
{
	uint8_t d[20];
	const char *t = NULL;
	size_t n;

	token(l, &t, &n);
	if (n != 40 || eph_hex_decode(d, sizeof(d), t, n) < 0)
		return eph_err_set(l->err, EPH_EFORMAT,
				   "%s: ima file digest at column %zu is not 40 hex digits", l->where,
				   (size_t)(t - l->p) + 1);
	if (expect_space(l, "file digest") < 0)
		return EPH_EFORMAT;
	n = l->n - l->i;
	if (n > EVLOG__IMA_EVENT_NAME_LEN_MAX)
		return eph_err_set(l->err, EPH_EFORMAT, "%s: ima file name of %zu bytes exceeds %u",
				   l->where, n, EVLOG__IMA_EVENT_NAME_LEN_MAX);
	s->data = malloc(EVLOG__IMA_OLD_DATA_LEN);
	if (s->data == NULL)
		return eph_err_set(l->err, EPH_ENOMEM, "%s: out of memory", l->where);
	evlog__ima_build_old(s->data, d, l->p + l->i, n);
	s->e.template_data_len = EVLOG__IMA_OLD_DATA_LEN;
	return 0;
}

static int parse_line(struct evlog_ima *ima, struct line *l)
{
	struct evlog__ima_tbuf b = {NULL, 0, 0};
	struct evlog__ima_slot *s = NULL;
	enum evlog__ima_tmpl kind;
	const char *nul = NULL;
	int rc;

	rc = evlog__ima_append(&s, ima, l->err);
	if (rc < 0)
		goto out;
	s->e.offset = l->lineno - 1;
	nul = memchr(l->p, '\0', l->n);
	if (nul != NULL) {
		rc = eph_err_set(l->err, EPH_EFORMAT, "%s: NUL byte at column %zu", l->where,
				 (size_t)(nul - l->p) + 1);
		goto out;
	}
	rc = parse_pcr(l, &s->e.pcr);
	if (rc < 0)
		goto out;
	rc = parse_hash(l, s->e.template_hash);
	if (rc < 0)
		goto out;
	s->e.violation = rc;
	rc = parse_name(l, s->e.template_name, sizeof(s->e.template_name));
	if (rc < 0)
		goto out;
	kind = evlog__ima_template_kind(s->e.template_name);
	if (kind == EVLOG__IMA_T_OTHER) {
		rc = 0; /* kept without template data; see the file comment */
		goto out;
	}
	rc = expect_space(l, "template name");
	if (rc < 0)
		goto out;
	if (kind == EVLOG__IMA_T_IMA) {
		rc = build_old(l, s);
	} else {
		rc = build_ng(l, &b, kind != EVLOG__IMA_T_NG);
		if (rc == 0) {
			s->data = b.p;
			s->e.template_data_len = (uint32_t)b.n;
			b.p = NULL;
		}
	}
	if (rc < 0)
		goto out;
	s->data_known = 1;
	s->e.template_data = s->data;
	rc = evlog__ima_decode(&s->e, l->err);
	if (rc < 0)
		rc = eph_err_prefix(l->err, rc, "%s", l->where);
out:
	free(b.p);
	return rc;
}

int evlog__ima_parse_ascii(struct evlog_ima *ima, const uint8_t *buf, size_t len,
			   struct eph_err *err)
{
	const uint8_t *p = NULL, *nl = NULL;
	struct eph_cur c;
	struct line l;
	size_t lineno = 0, n;
	int rc;

	eph_cur_init(&c, buf, len);
	while (eph_cur_left(&c) > 0) {
		nl = memchr(c.base + c.pos, '\n', eph_cur_left(&c));
		n = nl ? (size_t)(nl - (c.base + c.pos)) : eph_cur_left(&c);
		if (eph_cur_bytes(&c, n, &p) < 0 || (nl && eph_cur_skip(&c, 1) < 0))
			return eph_err_set(err, EPH_EFAIL, "line %zu: cursor overrun", lineno + 1);
		lineno++;
		if (n == 0) {
			while (eph_cur_left(&c) > 0 && c.base[c.pos] == '\n')
				eph_cur_skip(&c, 1);
			if (eph_cur_left(&c) == 0)
				break;
			return eph_err_set(err, EPH_EFORMAT, "entry %zu (line %zu): empty line",
					   ima->count, lineno);
		}
		memset(&l, 0, sizeof(l));
		l.p = (const char *)p;
		l.n = n;
		l.err = err;
		l.lineno = lineno;
		snprintf(l.where, sizeof(l.where), "entry %zu (line %zu)", ima->count, lineno);
		rc = parse_line(ima, &l);
		if (rc < 0)
			return rc;
	}
	return 0;
}
