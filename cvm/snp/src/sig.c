/*
 * sig.c - the report's signature (SEV-SNP ABI spec #56860, "Signature
 * Format": ECDSA P-384 with SHA-384). The signed message is bytes
 * 0x000..0x29F of the report; the signature at 0x2A0 is
 *
 *   0x2A0 R[72]  little-endian, the top 24 bytes zero
 *         4f 8e 8b 5a b8 f8 ... (R = 0x...5a8b8e4f)
 *   0x2E8 S[72]  likewise
 *   0x330 reserved to 0x49F
 *
 * R and S are turned into big-endian integers and a DER ECDSA-Sig-Value
 * for OpenSSL's EVP verification with the VCEK's (or VLEK's) public key.
 * Not here: whether that key is genuine (chain.c).
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

#include "eph_cur.h"
#include "snp-priv.h"

#define ECDSA_FIELD 72

static int coord(BIGNUM **out, const uint8_t *le, const char *name, struct eph_err *err)
{
	size_t i;

	for (i = SNP_ECDSA_COORD_SIZE; i < ECDSA_FIELD; i++)
		if (le[i] != 0)
			return eph_err_set(
			    err, EPH_EVERIFY,
			    "SNP report signature %s has non-zero byte %zu beyond 48 bytes", name,
			    i);
	*out = BN_lebin2bn(le, SNP_ECDSA_COORD_SIZE, NULL);
	if (*out == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory for signature %s", name);
	return 0;
}

int snp_verify_signature(const uint8_t *raw, size_t len, const snp_cert *cert, struct eph_err *err)
{
	EVP_PKEY *key = X509_get0_pubkey(cert->x509);
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	struct eph_cur c;
	uint32_t algo = 0;
	int der_len, rc, v;

	if (len != SNP_REPORT_SIZE)
		return eph_err_set(err, EPH_EFORMAT, "SNP report is %zu bytes, must be %d", len,
		                   SNP_REPORT_SIZE);
	eph_cur_init(&c, raw, len);
	(void)eph_cur_skip(&c, 0x34);
	(void)eph_cur_u32le(&c, &algo);
	if (algo != SNP_SIG_ALGO_ECDSA_P384_SHA384)
		return eph_err_set(
		    err, EPH_EVERIFY,
		    "SNP report SIGNATURE_ALGO %u at 0x034 is not 1 (ECDSA P-384 with SHA-384)",
		    algo);
	if (key == NULL || !EVP_PKEY_is_a(key, "EC")) {
		ERR_clear_error();
		return eph_err_set(err, EPH_EVERIFY, "certificate %s has no EC public key",
		                   cert->cn);
	}
	rc = coord(&r, raw + SNP_SIGNED_SIZE, "R", err);
	if (rc == 0)
		rc = coord(&s, raw + SNP_SIGNED_SIZE + ECDSA_FIELD, "S", err);
	if (rc < 0)
		goto out;
	sig = ECDSA_SIG_new();
	if (sig == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory for an ECDSA signature");
		goto out;
	}
	r = s = NULL; /* owned by sig now */
	der_len = i2d_ECDSA_SIG(sig, &der);
	ctx = EVP_MD_CTX_new();
	if (der_len <= 0 || ctx == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "cannot set up ECDSA verification with %s",
		                 cert->cn);
		goto out;
	}
	v = EVP_DigestVerify(ctx, der, (size_t)der_len, raw, SNP_SIGNED_SIZE);
	if (v != 1)
		rc = eph_err_set(err, EPH_EVERIFY,
		                 "SNP report signature over 0x000..0x29f does not verify with %s",
		                 cert->cn);
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	BN_free(r);
	BN_free(s);
	return rc;
}
