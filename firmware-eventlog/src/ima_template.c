/*
 * ima_template.c - template data of the IMA templates whose fields we know:
 * decoding it into the file hash / file name / signature of an entry, and
 * the small builders the parsers use to (re)construct it.
 *
 * Template data (Linux security/integrity/ima/ima_template_lib.c,
 * Documentation/security/IMA-templates.rst) is a list of fields, each a
 * u32 length (host order, little-endian here) and that many bytes:
 *
 *   ima-ng  = d-ng | n-ng       ima-sig = d-ng | n-ng | sig
 *   ima-buf = d-ng | n-ng | buf
 *   d-ng    = "<algo>:" NUL digest   ("sha256:\0" + 32 bytes); sha1 digests
 *             of old kernels are the bare 20 bytes
 *   n-ng    = file name and its NUL
 *
 *   1a000000 736861313a00 <20 bytes>  0f000000 "boot_aggregate" 00
 *   len=26   "sha1:\0"     digest      len=15   name + NUL
 *
 * The legacy "ima" template is no list of fields: it is hashed as
 * digest[20] || file name padded with NULs to 256 bytes, and that 276-byte
 * form is what an "ima" entry carries as template data here, so that
 * SHA1 and H_alg over template_data are what the kernel extends.
 *
 * Leniency (documented choices):
 *  - a d-ng algorithm name we do not know ("unknown:...") is no error:
 *    file_hash_alg stays 0 and file_hash holds the raw digest bytes;
 *  - a d-ng without "<algo>:\0" is a bare digest: sha1 when 20 bytes,
 *    algorithm 0 otherwise;
 *  - templates other than ima, ima-ng, ima-sig, ima-buf keep their raw data
 *    and no decoded fields. ima-buf decodes its d-ng and n-ng (the buffer's
 *    name) and does not expose the buffer.
 * Known templates whose field framing is broken (a length past the end, a
 * missing field, bytes after the last field, a name without its NUL or
 * with one inside) are format errors: the kernel never writes them.
 */
#include <stdlib.h>
#include <string.h>

#include "eph_cur.h"
#include "ima-priv.h"

enum evlog__ima_tmpl evlog__ima_template_kind(const char *name)
{
	if (strcmp(name, "ima") == 0)
		return EVLOG__IMA_T_IMA;
	if (strcmp(name, "ima-ng") == 0)
		return EVLOG__IMA_T_NG;
	if (strcmp(name, "ima-sig") == 0)
		return EVLOG__IMA_T_SIG;
	if (strcmp(name, "ima-buf") == 0)
		return EVLOG__IMA_T_BUF;
	return EVLOG__IMA_T_OTHER;
}

/* Kernel hash_algo_name[] spellings (include/crypto/hash_info.h). */
static const struct {
	const char *name;
	uint16_t alg;
	uint16_t size;
} ima_algs[] = {
	{"sha1", EPH_ALG_SHA1, 20},         {"sha256", EPH_ALG_SHA256, 32},
	{"sha384", EPH_ALG_SHA384, 48},     {"sha512", EPH_ALG_SHA512, 64},
	{"sm3", EPH_ALG_SM3_256, 32},       {"sha3-256", EPH_ALG_SHA3_256, 32},
	{"sha3-384", EPH_ALG_SHA3_384, 48}, {"sha3-512", EPH_ALG_SHA3_512, 64},
	{"md5", 0, 16}, /* no TPM algorithm id */
};

uint16_t evlog__ima_alg_from_name(const char *name, size_t len, size_t *size)
{
	size_t i;

	for (i = 0; i < sizeof(ima_algs) / sizeof(ima_algs[0]); i++) {
		if (strlen(ima_algs[i].name) == len && memcmp(ima_algs[i].name, name, len) == 0) {
			*size = ima_algs[i].size;
			return ima_algs[i].alg;
		}
	}
	*size = 0;
	return 0;
}

int evlog__ima_tbuf_put(struct evlog__ima_tbuf *b, const void *src, size_t n)
{
	uint8_t *np;
	size_t cap;

	if (n > EVLOG__IMA_MAX_DATA || b->n > EVLOG__IMA_MAX_DATA - n)
		return -1;
	if (b->cap - b->n < n) {
		cap = b->cap ? b->cap : 128;
		while (cap - b->n < n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, src, n);
	b->n += n;
	return 0;
}

int evlog__ima_tbuf_field(struct evlog__ima_tbuf *b, const void *src1, size_t n1,
			  const void *src2, size_t n2)
{
	uint8_t le[4];
	size_t total;

	if (n1 > EVLOG__IMA_MAX_DATA || n2 > EVLOG__IMA_MAX_DATA)
		return -1;
	total = n1 + n2;
	le[0] = (uint8_t)total;
	le[1] = (uint8_t)(total >> 8);
	le[2] = (uint8_t)(total >> 16);
	le[3] = (uint8_t)(total >> 24);
	if (evlog__ima_tbuf_put(b, le, 4) < 0 || evlog__ima_tbuf_put(b, src1, n1) < 0 ||
	    evlog__ima_tbuf_put(b, src2, n2) < 0)
		return -1;
	return 0;
}

void evlog__ima_build_old(uint8_t *out, const uint8_t *digest, const char *name,
			  size_t name_len)
{
	memset(out, 0, EVLOG__IMA_OLD_DATA_LEN);
	memcpy(out, digest, 20);
	if (name_len)
		memcpy(out + 20, name, name_len);
}

static int is_algo_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int evlog__ima_algo_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_algo_char((uint8_t)name[i]))
			return 0;
	return 1;
}

/* d-ng: "<algo>:\0" digest, or a bare digest (see the file comment). */
static int decode_dng(struct evlog_ima_entry *e, const uint8_t *f, uint32_t n,
		      struct eph_err *err)
{
	size_t i, size = 0;
	uint16_t alg;

	if (n == 20) {
		e->file_hash_alg = EPH_ALG_SHA1;
		e->file_hash = f;
		e->file_hash_len = n;
		return 0;
	}
	for (i = 0; i < n && i <= 64 && is_algo_char(f[i]); i++)
		;
	if (i + 1 < n && i <= 64 && f[i] == ':' && f[i + 1] == '\0') {
		alg = evlog__ima_alg_from_name((const char *)f, i, &size);
		if (size != 0 && n - i - 2 != size)
			return eph_err_set(err, EPH_EFORMAT,
					   "d-ng field: %.*s digest has %u bytes, expected %zu",
					   (int)i, (const char *)f, (unsigned)(n - i - 2), size);
		e->file_hash_alg = alg;
		e->file_hash = n - i - 2 ? f + i + 2 : NULL;
		e->file_hash_len = (uint32_t)(n - i - 2);
		return 0;
	}
	e->file_hash_alg = 0;
	e->file_hash = n ? f : NULL;
	e->file_hash_len = n;
	return 0;
}

/* n-ng: the name and exactly one NUL, at its end. */
static int decode_nng(struct evlog_ima_entry *e, const uint8_t *f, uint32_t n,
		      struct eph_err *err)
{
	if (n == 0 || f[n - 1] != '\0')
		return eph_err_set(err, EPH_EFORMAT, "n-ng field of %u bytes lacks its NUL",
				   (unsigned)n);
	if (memchr(f, '\0', n - 1) != NULL)
		return eph_err_set(err, EPH_EFORMAT, "n-ng field has a NUL inside the name");
	e->file_name = (const char *)f;
	e->file_name_len = n - 1;
	return 0;
}

static int decode_old(struct evlog_ima_entry *e, struct eph_err *err)
{
	const uint8_t *nul = NULL;

	if (e->template_data_len != EVLOG__IMA_OLD_DATA_LEN)
		return eph_err_set(err, EPH_EFORMAT, "ima template data of %u bytes, expected %u",
				   (unsigned)e->template_data_len, EVLOG__IMA_OLD_DATA_LEN);
	nul = memchr(e->template_data + 20, '\0', EVLOG__IMA_OLD_DATA_LEN - 20);
	if (nul == NULL)
		return eph_err_set(err, EPH_EFORMAT, "ima template file name lacks its NUL");
	e->file_hash_alg = EPH_ALG_SHA1;
	e->file_hash = e->template_data;
	e->file_hash_len = 20;
	e->file_name = (const char *)e->template_data + 20;
	e->file_name_len = (uint32_t)(nul - (e->template_data + 20));
	return 0;
}

int evlog__ima_decode(struct evlog_ima_entry *e, struct eph_err *err)
{
	static const char *const names[] = {"d-ng", "n-ng", "third"};
	enum evlog__ima_tmpl kind = evlog__ima_template_kind(e->template_name);
	const uint8_t *f[3] = {NULL, NULL, NULL};
	uint32_t flen[3] = {0, 0, 0};
	unsigned i, nfields;
	struct eph_cur c;
	int rc;

	if (kind == EVLOG__IMA_T_OTHER)
		return 0;
	if (kind == EVLOG__IMA_T_IMA)
		return decode_old(e, err);
	nfields = kind == EVLOG__IMA_T_NG ? 2 : 3;
	eph_cur_init(&c, e->template_data, e->template_data_len);
	for (i = 0; i < nfields; i++) {
		if (eph_cur_u32le(&c, &flen[i]) < 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "%s template data ends before field %u (%s) at byte %zu",
					   e->template_name, i + 1, names[i], c.pos);
		if (eph_cur_bytes(&c, flen[i], &f[i]) < 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "%s field %u (%s) of %u bytes at byte %zu runs past the "
					   "template data (%zu bytes left)",
					   e->template_name, i + 1, names[i], (unsigned)flen[i],
					   c.pos - 4, eph_cur_left(&c));
	}
	if (eph_cur_left(&c) != 0)
		return eph_err_set(err, EPH_EFORMAT, "%s template data has %zu bytes after field %u",
				   e->template_name, eph_cur_left(&c), nfields);
	rc = decode_dng(e, f[0], flen[0], err);
	if (rc < 0)
		return rc;
	rc = decode_nng(e, f[1], flen[1], err);
	if (rc < 0)
		return rc;
	if (kind == EVLOG__IMA_T_SIG) {
		e->sig_len = flen[2];
		e->sig = flen[2] ? f[2] : NULL;
	}
	return 0;
}
