/*
 * quote_verify.c - check a TPM2_Quote: its TPMT_SIGNATURE over the
 * TPMS_ATTEST bytes with the AK, the nonce, and the PCR digest.
 *
 * TPMT_SIGNATURE (TPM 2.0 Part 2, 11.3.4; 11.2.4 TPMS_SIGNATURE_RSA, 11.2.5
 * TPMS_SIGNATURE_ECC):
 *   0014 000b 0100 5f8f5d70...   RSASSA, SHA256, 256-byte PKCS#1 v1.5 sig
 *   0016 000b 0100 ...           RSAPSS, SHA256, PSS signature
 *   0018 000b 0020 <r> 0020 <s>  ECDSA, SHA256, r and s as big-endian ints
 *
 * The signature's hash is the scheme's; the TPM signs H(attest) with it
 * (Part 3, 18.4; Part 1, "Signature Schemes"). RSASSA is PKCS#1 v1.5; PSS
 * uses MGF1 with the same hash, and a TPM's salt is the digest size (Part
 * 1, Annex B, RSA) but some TPMs use the maximum, so verification accepts any salt
 * length (RSA_PSS_SALTLEN_AUTO), as tpm2_checkquote does. ECDSA's r, s are
 * re-encoded as the DER ECDSA-Sig-Value OpenSSL verifies.
 *
 * The key decides what may sign: RSA keys RSASSA/RSAPSS, EC keys ECDSA;
 * and an AK whose TPMT_PUBLIC names a scheme can sign only with that
 * scheme and hash, so a signature claiming another is refused.
 *
 * Not here: appraising the PCR values, freshness across quotes.
 */
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <string.h>
#include <tss2/tss2_rc.h>

#include "tpmq-priv.h"

static const char *scheme_name(uint16_t s)
{
	switch (s) {
	case TPM2_ALG_RSASSA:
		return "RSASSA";
	case TPM2_ALG_RSAPSS:
		return "RSAPSS";
	case TPM2_ALG_ECDSA:
		return "ECDSA";
	case TPM2_ALG_NULL:
		return "NULL";
	default:
		return "other";
	}
}

static const char *hash_name(uint16_t alg)
{
	const char *n = eph_hash_name(alg);

	return n != NULL ? n : "unknown";
}

/* The scheme an AK's TPMT_PUBLIC fixes; TPM2_ALG_NULL when it leaves it open. */
static void key_scheme(const tpmq_key *ak, uint16_t *scheme, uint16_t *hash)
{
	const TPMT_RSA_SCHEME *rs = &ak->pub.parameters.rsaDetail.scheme;
	const TPMT_ECC_SCHEME *es = &ak->pub.parameters.eccDetail.scheme;

	*scheme = TPM2_ALG_NULL;
	*hash = TPM2_ALG_NULL;
	if (!ak->has_public)
		return;
	if (ak->pub.type == TPM2_ALG_RSA) {
		*scheme = rs->scheme;
		*hash = rs->details.anySig.hashAlg;
	} else if (ak->pub.type == TPM2_ALG_ECC) {
		*scheme = es->scheme;
		*hash = es->details.anySig.hashAlg;
	}
}

static int ecdsa_der(uint8_t **der, int *der_len, const TPMS_SIGNATURE_ECC *e,
		     struct eph_err *err)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int rc = EPH_EFAIL;

	*der = NULL;
	if (e->signatureR.size == 0 || e->signatureS.size == 0)
		return eph_err_set(err, EPH_EVERIFY, "quote signature: empty ECDSA r or s");
	es = ECDSA_SIG_new();
	r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	s = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		rc = eph_err_set(err, EPH_ENOMEM, "quote signature: out of memory");
		goto out;
	}
	r = s = NULL; /* owned by es now */
	*der_len = i2d_ECDSA_SIG(es, der);
	if (*der_len <= 0) {
		*der = NULL;
		rc = eph_err_set(err, EPH_EFAIL, "quote signature: cannot encode ECDSA r, s");
		goto out;
	}
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

/* Verify sig over H(attest); *hash_alg receives the scheme's hash. */
static int verify_sig(uint16_t *hash_alg, const tpmq_key *ak, const uint8_t *attest,
		      size_t attest_len, const uint8_t *sig, size_t sig_len, struct eph_err *err)
{
	uint8_t dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	uint16_t kscheme, khash, scheme, hash;
	const uint8_t *raw = NULL;
	uint8_t *der = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	const EVP_MD *md;
	TPMT_SIGNATURE ts;
	size_t off = 0, raw_len = 0;
	int der_len = 0, need, rc = EPH_EFAIL;
	TSS2_RC trc;

	memset(&ts, 0, sizeof(ts));
	trc = Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_len, &off, &ts);
	if (trc != TSS2_RC_SUCCESS)
		return eph_err_set(err, EPH_EFORMAT,
				   "TPMT_SIGNATURE: does not unmarshal (%zu bytes): %s", sig_len,
				   Tss2_RC_Decode(trc));
	if (off != sig_len)
		return eph_err_set(err, EPH_EFORMAT, "TPMT_SIGNATURE: %zu trailing bytes",
				   sig_len - off);
	scheme = ts.sigAlg;
	need = scheme == TPM2_ALG_ECDSA ? EVP_PKEY_EC : EVP_PKEY_RSA;
	if (scheme != TPM2_ALG_RSASSA && scheme != TPM2_ALG_RSAPSS && scheme != TPM2_ALG_ECDSA)
		return eph_err_set(err, EPH_EVERIFY,
				   "quote signature: scheme 0x%04x is not RSASSA, RSAPSS or ECDSA",
				   scheme);
	if (need != ak->pkey_id)
		return eph_err_set(err, EPH_EVERIFY,
				   "quote signature: %s signature for an %s key",
				   scheme_name(scheme), ak->pkey_id == EVP_PKEY_EC ? "EC" : "RSA");
	hash = scheme == TPM2_ALG_ECDSA ? ts.signature.ecdsa.hash : ts.signature.rsassa.hash;
	key_scheme(ak, &kscheme, &khash);
	if (kscheme != TPM2_ALG_NULL && (kscheme != scheme || khash != hash))
		return eph_err_set(err, EPH_EVERIFY,
				   "quote signature: scheme %s/%s but the AK signs with %s/%s",
				   scheme_name(scheme), hash_name(hash), scheme_name(kscheme),
				   hash_name(khash));
	md = tpmq__md(hash);
	if (md == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED, "quote signature: hash 0x%04x", hash);

	if (scheme == TPM2_ALG_ECDSA) {
		rc = ecdsa_der(&der, &der_len, &ts.signature.ecdsa, err);
		if (rc < 0)
			goto out;
		raw = der;
		raw_len = (size_t)der_len;
	} else {
		/* RSASSA and RSAPSS share TPMS_SIGNATURE_RSA. */
		raw = ts.signature.rsassa.sig.buffer;
		raw_len = ts.signature.rsassa.sig.size;
		if (raw_len != (size_t)EVP_PKEY_get_size(ak->pkey)) {
			rc = eph_err_set(err, EPH_EVERIFY,
					 "quote signature: %zu bytes for a %d-byte RSA key", raw_len,
					 EVP_PKEY_get_size(ak->pkey));
			goto out;
		}
	}
	if (EVP_Digest(attest, attest_len, dig, &dlen, md, NULL) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "quote signature: cannot hash the attest");
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ak->pkey, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "quote signature: cannot set up verification");
		goto out;
	}
	if (scheme == TPM2_ALG_RSASSA &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "quote signature: cannot select PKCS#1 v1.5");
		goto out;
	}
	if (scheme == TPM2_ALG_RSAPSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
		rc = eph_err_set(err, EPH_EFAIL, "quote signature: cannot select PSS");
		goto out;
	}
	if (EVP_PKEY_verify(ctx, raw, raw_len, dig, dlen) != 1) {
		rc = eph_err_set(err, EPH_EVERIFY,
				 "quote signature: %s/%s signature does not verify with the AK",
				 scheme_name(scheme), hash_name(hash));
		goto out;
	}
	*hash_alg = hash;
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}

int tpmq_quote_verify(struct tpmq_attest *out, const tpmq_key *ak, const uint8_t *attest,
		      size_t attest_len, const uint8_t *sig, size_t sig_len, const uint8_t *nonce,
		      size_t nonce_len, const struct tpmq_pcrs *pcrs, struct eph_err *err)
{
	struct tpmq_attest a;
	uint8_t dig[TPMQ_MAX_DIGEST];
	size_t dlen = 0;
	uint16_t hash = 0;
	int rc;

	rc = tpmq_attest_parse(&a, attest, attest_len, err);
	if (rc < 0)
		return rc;
	rc = verify_sig(&hash, ak, attest, attest_len, sig, sig_len, err);
	if (rc < 0)
		return rc;
	if (nonce_len != a.extra_len ||
	    (nonce_len != 0 && CRYPTO_memcmp(nonce, a.extra, nonce_len) != 0))
		return eph_err_set(err, EPH_EVERIFY,
				   "quote: extraData (%u bytes) does not match the nonce (%zu bytes)",
				   a.extra_len, nonce_len);
	if (pcrs != NULL) {
		rc = tpmq_pcr_digest(dig, &dlen, hash, &a.sel, pcrs, err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "quote");
		if (dlen != a.pcr_digest_len || CRYPTO_memcmp(dig, a.pcr_digest, dlen) != 0)
			return eph_err_set(err, EPH_EVERIFY,
					   "quote: pcrDigest does not match the PCR values (%s)",
					   hash_name(hash));
	}
	if (out != NULL)
		*out = a;
	return 0;
}
