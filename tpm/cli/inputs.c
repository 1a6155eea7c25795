/*
 * inputs.c - read the inputs of one quote into struct cq_quote and verify
 * it with libtpmq.
 *
 * Formats read here (everything else is libtpmq's):
 *   AK        "-----BEGIN" anywhere in the first bytes: PEM public key
 *             (tpm2_createak -f pem); else a TPM2B_PUBLIC (tpm2_createak -u).
 *   -q ARG    as tpm2_checkquote 5.4 (tpm2_util_bin_from_hex_or_file): an
 *             even count of hex digits, no prefix, is the nonce itself
 *             ("" is an empty nonce); anything else is a file of raw bytes.
 *             At most TPMQ_MAX_NONCE (64) bytes, TPM2B_DATA's limit.
 *   PCR file  without -l: tpm2_quote -o's "serialized" file
 *             (tpmq_pcrs_from_tpm2tools); with -l SEL: tpm2_pcrread -o's
 *             "values" file, the bare digests of SEL in selection order
 *             (banks in order, PCRs ascending), exactly that many bytes:
 *               -l sha256:0,1+sha1:0  =>  32 + 32 + 20 = 84 bytes
 *             as tpm2_checkquote reads -f when -l is given.
 *
 * Not here: printing (output.c), the --batch folder layout (batch.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cq-priv.h"
#include "eph_file.h"
#include "eph_hex.h"

int cq_exit_for(int rc)
{
	switch (rc) {
	case EPH_OK:
		return CQ_EXIT_OK;
	case EPH_EFORMAT:
		return CQ_EXIT_FORMAT;
	case EPH_EIO:
	case EPH_ENOTFOUND:
		return CQ_EXIT_IO;
	case EPH_EVERIFY:
	case EPH_EPOLICY:
		return CQ_EXIT_FAILED;
	case EPH_EUNSUPPORTED:
		return CQ_EXIT_UNSUPPORTED;
	default:
		return CQ_EXIT_INTERNAL;
	}
}

int cq_read(uint8_t **out, size_t *len, const char *path, struct eph_err *err)
{
	int rc = eph_file_read(out, len, path, CQ_MAX_INPUT, err);

	/* A missing input file is an I/O problem, not a verification result. */
	return rc == EPH_ENOTFOUND ? EPH_EIO : rc;
}

static int looks_like_pem(const uint8_t *buf, size_t len)
{
	static const char tag[] = "-----BEGIN";
	size_t i, n = len < 512 ? len : 512;

	for (i = 0; i + sizeof(tag) - 1 <= n; i++)
		if (memcmp(buf + i, tag, sizeof(tag) - 1) == 0)
			return 1;
	return 0;
}

int cq_load_key(struct cq_quote *q, const char *path, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = cq_read(&buf, &len, path, err);
	if (rc < 0)
		return rc;
	q->ak_is_pem = looks_like_pem(buf, len);
	if (q->ak_is_pem)
		rc = tpmq_key_from_pem(&q->ak, buf, len, err);
	else
		rc = tpmq_key_from_public(&q->ak, buf, len, err);
	free(buf);
	if (rc < 0)
		return eph_err_prefix(err, rc, "%s", path);
	return 0;
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	if (n % 2 != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static int set_nonce_hex(struct cq_quote *q, const char *hex, size_t n, const char *what,
                         struct eph_err *err)
{
	long got;

	if (n / 2 > TPMQ_MAX_NONCE)
		return eph_err_set(err, EPH_EFORMAT, "%s: nonce of %zu bytes, at most %d", what,
		                   n / 2, TPMQ_MAX_NONCE);
	got = eph_hex_decode(q->nonce, sizeof(q->nonce), hex, n);
	if (got < 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: not an even number of hex digits", what);
	q->nonce_len = (size_t)got;
	q->has_nonce = 1;
	return 0;
}

int cq_nonce_from_file(struct cq_quote *q, const char *path, int hex, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, a = 0, b;
	int rc;

	rc = cq_read(&buf, &len, path, err);
	if (rc < 0)
		return rc;
	if (hex) {
		b = len;
		while (a < b &&
		       (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r'))
			a++;
		while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' ||
		                 buf[b - 1] == '\r'))
			b--;
		rc = set_nonce_hex(q, (const char *)buf + a, b - a, path, err);
	} else if (len > TPMQ_MAX_NONCE) {
		rc = eph_err_set(err, EPH_EFORMAT, "%s: nonce of %zu bytes, at most %d", path, len,
		                 TPMQ_MAX_NONCE);
	} else {
		memcpy(q->nonce, buf, len);
		q->nonce_len = len;
		q->has_nonce = 1;
	}
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

int cq_nonce_from_arg(struct cq_quote *q, const char *arg, struct eph_err *err)
{
	size_t n = strlen(arg);

	if (is_hex(arg, n))
		return set_nonce_hex(q, arg, n, "-q", err);
	return cq_nonce_from_file(q, arg, 0, err);
}

/* The "values" PCR file: bare digests of q->pcr_list in selection order. */
static int pcrs_from_values(struct tpmq_pcrs *out, struct tpmq_pcrsel *sel,
                            const struct cq_quote *q, struct eph_err *err)
{
	const struct tpmq_pcrsel *l = &q->pcr_list;
	size_t want = 0, off = 0, dsize;
	uint32_t b, i;

	for (b = 0; b < l->num_banks; b++)
		for (i = 0; i < TPMQ_NUM_PCRS; i++)
			if (l->banks[b].mask & (1u << i))
				want += eph_hash_size(l->banks[b].alg);
	if (q->pcr_file_len != want)
		return eph_err_set(err, EPH_EFORMAT,
		                   "PCR values file of %zu bytes, the -l selection needs %zu",
		                   q->pcr_file_len, want);
	memset(out, 0, sizeof(*out));
	out->num_banks = l->num_banks;
	for (b = 0; b < l->num_banks; b++) {
		out->banks[b].alg = l->banks[b].alg;
		out->banks[b].mask = l->banks[b].mask;
		dsize = eph_hash_size(l->banks[b].alg);
		for (i = 0; i < TPMQ_NUM_PCRS; i++) {
			if ((l->banks[b].mask & (1u << i)) == 0)
				continue;
			memcpy(out->banks[b].pcr[i], q->pcr_file + off, dsize);
			off += dsize;
		}
	}
	*sel = *l;
	return 0;
}

/* The mask of bank alg in sel, 0 if sel lacks it. */
static uint32_t bank_mask(const struct tpmq_pcrsel *sel, uint16_t alg)
{
	uint32_t b;

	for (b = 0; b < sel->num_banks; b++)
		if (sel->banks[b].alg == alg)
			return sel->banks[b].mask;
	return 0;
}

/* Same PCRs in the same banks (order and empty banks aside)? */
static int same_pcrs(const struct tpmq_pcrsel *a, const struct tpmq_pcrsel *b)
{
	uint32_t i;

	for (i = 0; i < a->num_banks; i++)
		if (a->banks[i].mask != bank_mask(b, a->banks[i].alg))
			return 0;
	for (i = 0; i < b->num_banks; i++)
		if (b->banks[i].mask != bank_mask(a, b->banks[i].alg))
			return 0;
	return 1;
}

int cq_verify(struct cq_result *res, enum cq_stage *stage, const struct cq_quote *q,
              struct eph_err *err)
{
	enum cq_stage dummy;
	struct tpmq_attest pre;
	const struct tpmq_pcrs *pcrs = NULL;
	const uint8_t *nonce = q->nonce;
	size_t nonce_len = q->nonce_len;
	int rc;

	if (stage == NULL)
		stage = &dummy;
	*stage = CQ_STAGE_PCR_FILE;
	res->pcrs_checked = 0;
	if (q->pcr_file != NULL) {
		if (q->pcr_values)
			rc = pcrs_from_values(&res->pcrs, &res->pcr_sel, q, err);
		else
			rc = tpmq_pcrs_from_tpm2tools(&res->pcrs, &res->pcr_sel, q->pcr_file,
			                              q->pcr_file_len, err);
		if (rc < 0)
			return rc;
		pcrs = &res->pcrs;
	}
	*stage = CQ_STAGE_QUOTE;
	if (!q->has_nonce) {
		/* No -q: check everything but the nonce, which is reported. */
		rc = tpmq_attest_parse(&pre, q->msg, q->msg_len, err);
		if (rc < 0)
			return rc;
		nonce = pre.extra;
		nonce_len = pre.extra_len;
	}
	rc = tpmq_quote_verify(&res->attest, q->ak, q->msg, q->msg_len, q->sig, q->sig_len, nonce,
	                       nonce_len, pcrs, err);
	if (rc == EPH_ENOTFOUND) /* a PCR the quote covers is not in the file */
		rc = EPH_EVERIFY;
	if (rc < 0)
		return rc;
	if (pcrs != NULL && !same_pcrs(&res->attest.sel, &res->pcr_sel))
		return eph_err_set(err, EPH_EVERIFY,
		                   "quote: the PCR file holds other PCRs than the quote covers");
	res->pcrs_checked = pcrs != NULL;
	if (q->require_ak) {
		*stage = CQ_STAGE_AK;
		if (q->ak_is_pem)
			return eph_err_set(
			    err, EPH_EPOLICY,
			    "--require-ak: a PEM key has no TPM attributes to check");
		rc = tpmq_key_check_ak(q->ak, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void cq_quote_clear(struct cq_quote *q)
{
	tpmq_key_free(q->ak);
	free(q->msg);
	free(q->sig);
	free(q->pcr_file);
	explicit_bzero(q, sizeof(*q));
}
