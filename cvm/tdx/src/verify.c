/*
 * verify.c - verify a parsed TDX quote: PCK chain, QE report signature,
 * the QE report's binding of the attestation key, the quote signature.
 *
 * Intel SGX ECDSA Quote Library API, A.4 "ECDSA 256-bit Quote Signature
 * Data Structure" and the TDX DCAP Quoting Library API, A.3.x:
 *   QE report signature = ECDSA-P256-SHA256(PCK key, QE report[384])
 *   QE report.REPORTDATA = SHA-256(attestation key[64] || QE auth data)
 *                          || 00 * 32
 *   quote signature = ECDSA-P256-SHA256(attestation key,
 *                          header[48] (|| v5 type[2] size[4]) || body)
 * All signatures are r || s, 32 bytes each, big-endian.
 *
 * The order goes from the root down so that each step's key is already
 * trusted when it is used: chain, then the PCK signs the QE report, the
 * QE report vouches for the attestation key, the key signs the quote.
 *
 * Not here: the QE's identity (collateral.c, tdx_qeid_evaluate), the
 * TCB level (tdx_tcb_evaluate), the TD's measurements (appraise.c).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "tdx-priv.h"

static int check_binding(const struct tdx_quote *q, struct eph_err *err)
{
	static const uint8_t zero[32];
	char got[TDX__HEX_SHORT], want[TDX__HEX_SHORT];
	uint8_t h[32];
	EVP_MD_CTX *md;
	int ok;

	md = EVP_MD_CTX_new();
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(md, q->att_key, TDX_AK_SIZE) &&
	     EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_len) && EVP_DigestFinal_ex(md, h, NULL);
	EVP_MD_CTX_free(md);
	if (!ok)
		return eph_err_set(err, EPH_EFAIL, "TDX quote: SHA-256 failed");
	if (CRYPTO_memcmp(h, q->qe_report.report_data, 32) != 0) {
		tdx__hex_short(got, q->qe_report.report_data, 32);
		tdx__hex_short(want, h, 32);
		return eph_err_set(err, EPH_EVERIFY,
		                   "TDX quote: QE report data %s is not SHA-256(attestation key || "
		                   "QE auth data) %s",
		                   got, want);
	}
	if (memcmp(q->qe_report.report_data + 32, zero, 32) != 0)
		return eph_err_set(err, EPH_EVERIFY,
		                   "TDX quote: QE report data bytes 32..63 are not zero");
	return 0;
}

int tdx_quote_verify(struct tdx_verify_result *result, const struct tdx_quote *q,
                     const tdx_trust *trust, time_t at, struct eph_err *err)
{
	EVP_PKEY *pck = NULL, *ak = NULL;
	int rc;

	memset(result, 0, sizeof(*result));
	if (q->raw == NULL || q->signature == NULL || q->pck_chain == NULL || trust == NULL)
		return eph_err_set(err, EPH_EFAIL, "TDX quote: verify called on an unparsed quote");
	if (at == 0)
		at = time(NULL);
	rc = tdx__pck_verify(&pck, result, q, trust, at, err);
	if (rc < 0)
		goto out;
	rc = tdx__ecdsa_verify(pck, q->qe_report_sig, q->qe_report_raw, TDX_QE_REPORT_SIZE,
	                       "QE report signature (by the PCK key)", err);
	if (rc < 0)
		goto out;
	rc = check_binding(q, err);
	if (rc < 0)
		goto out;
	rc = tdx__p256_key(&ak, q->att_key, "attestation key", err);
	if (rc < 0)
		goto out;
	rc = tdx__ecdsa_verify(ak, q->signature, q->raw, q->signed_len,
	                       "quote signature (by the attestation key)", err);
out:
	EVP_PKEY_free(pck);
	EVP_PKEY_free(ak);
	if (rc < 0)
		memset(result, 0, sizeof(*result));
	return rc;
}
