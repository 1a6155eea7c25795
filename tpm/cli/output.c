/*
 * output.c - the YAML that ephemera-checkquote prints for a verified quote,
 * and its one-line error messages.
 *
 * The first lines are what tpm2_checkquote (tpm2-tools 5.4) prints on
 * success, byte for byte: with a PCR file the PCRs in the file's selection
 * order, upper-case hex,
 *     pcrs:
 *       sha256:
 *         0 : 0x3DCAEA25...
 *         15: 0x00000000...
 * then "sig: <hex>", the raw RSA signature or, for ECDSA, the DER
 * ECDSA-Sig-Value of r and s (what tpm2-tools hands OpenSSL). Then our own
 * section, every hex string quoted so that YAML does not read "11223344" as
 * a number:
 *     verified:
 *       scheme: rsassa
 *       hash: sha256
 *       signer: "000b7ca5..."     qualifiedSigner of the quote
 *       akName: "000b..."         the AK's name (TPM2B_PUBLIC keys only)
 *       akPolicy: ok | failed | unknown     tpmq_key_check_ak(); unknown for PEM
 *       nonce: ok | unchecked     unchecked: no -q (extraData not compared)
 *       extraData: "db1d..."
 *       pcrValues: ok | unchecked unchecked: no -f
 *       pcrSelection: sha256:15,16,22
 *       pcrDigest: "ec16..."
 *       clock: 5994
 *       resetCount: 0
 *       restartCount: 0
 *       safe: 1
 *       firmwareVersion: 0x0028160011051620
 */
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "cq-priv.h"

void cq_printable(char *out, size_t outlen, const char *s)
{
	size_t i;

	snprintf(out, outlen, "%s", s);
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}

void cq_report(const char *what, const char *msg)
{
	char line[EPH_ERR_MSG_MAX + 64];
	char w[512];

	cq_printable(line, sizeof(line), msg[0] != '\0' ? msg : "unknown error");
	if (what != NULL) {
		cq_printable(w, sizeof(w), what);
		fprintf(stderr, "%s: %s: %s\n", CQ_NAME, w, line);
	} else {
		fprintf(stderr, "%s: %s\n", CQ_NAME, line);
	}
}

static void hex(FILE *f, const uint8_t *buf, size_t n, int upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *d = upper ? up : lo;
	size_t i;

	for (i = 0; i < n; i++) {
		fputc(d[buf[i] >> 4], f);
		fputc(d[buf[i] & 0xf], f);
	}
}

static void quoted_hex(FILE *f, const char *key, const uint8_t *buf, size_t n)
{
	fprintf(f, "  %s: \"", key);
	hex(f, buf, n, 0);
	fputs("\"\n", f);
}

static const char *alg_name(uint16_t alg, char *buf, size_t len)
{
	const char *n = eph_hash_name(alg);

	if (n != NULL)
		return n;
	snprintf(buf, len, "0x%04x", alg);
	return buf;
}

static void print_pcrs(FILE *f, const struct cq_result *res)
{
	const struct tpmq_pcrsel *sel = &res->pcr_sel;
	const struct tpmq_pcr_bank *bank;
	char nbuf[8];
	uint32_t b, k, i;
	size_t size;

	fputs("pcrs:\n", f);
	for (b = 0; b < sel->num_banks; b++) {
		bank = NULL;
		for (k = 0; k < res->pcrs.num_banks; k++)
			if (res->pcrs.banks[k].alg == sel->banks[b].alg)
				bank = &res->pcrs.banks[k];
		if (bank == NULL || sel->banks[b].mask == 0)
			continue;
		size = eph_hash_size(bank->alg);
		fprintf(f, "  %s:\n", alg_name(bank->alg, nbuf, sizeof(nbuf)));
		for (i = 0; i < TPMQ_NUM_PCRS; i++) {
			if ((sel->banks[b].mask & (1u << i)) == 0)
				continue;
			fprintf(f, "    %-2u: 0x", (unsigned)i);
			hex(f, bank->pcr[i], size, 1);
			fputc('\n', f);
		}
	}
}

/* "sig: <hex>" as tpm2_checkquote prints it; the scheme and hash out. */
static int print_sig(FILE *f, uint16_t *scheme, uint16_t *hash, const struct cq_quote *q,
                     struct eph_err *err)
{
	TPMT_SIGNATURE ts;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	uint8_t *der = NULL;
	size_t off = 0;
	int der_len, rc = EPH_EFAIL;

	memset(&ts, 0, sizeof(ts));
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(q->sig, q->sig_len, &off, &ts) != TSS2_RC_SUCCESS)
		return eph_err_set(err, EPH_EFAIL, "verified signature does not unmarshal");
	*scheme = ts.sigAlg;
	fputs("sig: ", f);
	if (ts.sigAlg == TPM2_ALG_ECDSA) {
		*hash = ts.signature.ecdsa.hash;
		es = ECDSA_SIG_new();
		r = BN_bin2bn(ts.signature.ecdsa.signatureR.buffer,
		              ts.signature.ecdsa.signatureR.size, NULL);
		s = BN_bin2bn(ts.signature.ecdsa.signatureS.buffer,
		              ts.signature.ecdsa.signatureS.size, NULL);
		if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
			rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
			goto out;
		}
		r = s = NULL; /* es owns them */
		der_len = i2d_ECDSA_SIG(es, &der);
		if (der_len <= 0) {
			der = NULL;
			rc = eph_err_set(err, EPH_EFAIL, "cannot DER-encode the ECDSA signature");
			goto out;
		}
		hex(f, der, (size_t)der_len, 0);
	} else {
		/* RSASSA and RSAPSS share TPMS_SIGNATURE_RSA. */
		*hash = ts.signature.rsassa.hash;
		hex(f, ts.signature.rsassa.sig.buffer, ts.signature.rsassa.sig.size, 0);
	}
	fputc('\n', f);
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	return rc;
}

static const char *scheme_name(uint16_t scheme)
{
	switch (scheme) {
	case TPM2_ALG_RSASSA:
		return "rsassa";
	case TPM2_ALG_RSAPSS:
		return "rsapss";
	case TPM2_ALG_ECDSA:
		return "ecdsa";
	default:
		return "unknown";
	}
}

/* The selection in tpm2-tools syntax, "sha256:0,1,2+sha1:0". */
static void print_selection(FILE *f, const struct tpmq_pcrsel *sel)
{
	char nbuf[8];
	const char *sep;
	uint32_t b, i;

	fputs("  pcrSelection: ", f);
	for (b = 0; b < sel->num_banks; b++) {
		fprintf(f, "%s%s:", b > 0 ? "+" : "",
		        alg_name(sel->banks[b].alg, nbuf, sizeof(nbuf)));
		sep = "";
		for (i = 0; i < TPMQ_NUM_PCRS; i++) {
			if ((sel->banks[b].mask & (1u << i)) == 0)
				continue;
			fprintf(f, "%s%u", sep, (unsigned)i);
			sep = ",";
		}
		if (sel->banks[b].mask == 0)
			fputs("none", f);
	}
	fputc('\n', f);
}

int cq_print_result(FILE *f, const struct cq_quote *q, const struct cq_result *res,
                    struct eph_err *err)
{
	const struct tpmq_attest *a = &res->attest;
	struct eph_err ak_err = {{0}};
	uint8_t name[TPMQ_NAME_MAX];
	size_t name_len = 0;
	uint16_t scheme = 0, hash = 0;
	char nbuf[8];
	int rc;

	if (res->pcrs_checked)
		print_pcrs(f, res);
	rc = print_sig(f, &scheme, &hash, q, err);
	if (rc < 0)
		return rc;
	fputs("verified:\n", f);
	fprintf(f, "  scheme: %s\n", scheme_name(scheme));
	fprintf(f, "  hash: %s\n", alg_name(hash, nbuf, sizeof(nbuf)));
	quoted_hex(f, "signer", a->signer, a->signer_len);
	if (!q->ak_is_pem && tpmq_key_name(name, &name_len, q->ak, &ak_err) == 0)
		quoted_hex(f, "akName", name, name_len);
	if (q->ak_is_pem) {
		fputs("  akPolicy: unknown\n", f);
	} else if (tpmq_key_check_ak(q->ak, &ak_err) == 0) {
		fputs("  akPolicy: ok\n", f);
	} else {
		fputs("  akPolicy: failed\n", f);
		fputs("  akPolicyReason: \"", f);
		/* libtpmq's message: printable ASCII without quotes in practice */
		for (const char *p = ak_err.msg; *p != '\0'; p++)
			fputc(*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ? '?' : *p, f);
		fputs("\"\n", f);
	}
	fprintf(f, "  nonce: %s\n", q->has_nonce ? "ok" : "unchecked");
	quoted_hex(f, "extraData", a->extra, a->extra_len);
	fprintf(f, "  pcrValues: %s\n", res->pcrs_checked ? "ok" : "unchecked");
	print_selection(f, &a->sel);
	quoted_hex(f, "pcrDigest", a->pcr_digest, a->pcr_digest_len);
	fprintf(f, "  clock: %llu\n", (unsigned long long)a->clock);
	fprintf(f, "  resetCount: %u\n", (unsigned)a->reset_count);
	fprintf(f, "  restartCount: %u\n", (unsigned)a->restart_count);
	fprintf(f, "  safe: %u\n", (unsigned)a->safe);
	fprintf(f, "  firmwareVersion: 0x%016llx\n", (unsigned long long)a->firmware_version);
	return 0;
}
