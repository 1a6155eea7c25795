/*
 * esys_quote.c - TPM2_Quote (TPM 2.0 Part 3, 18.4) with the loaded AK.
 *
 * Returns the TPMS_ATTEST bytes as the TPM signed them (the contents of the
 * TPM2B_ATTEST, without its size) and the TPMT_SIGNATURE marshalled with
 * Tss2_MU, i.e. exactly what tpmq_quote_verify() and tpm2_checkquote take.
 * The signing scheme is the AK's own (TPMT_SIG_SCHEME null).
 */
#include "esys-priv.h"

#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

int tpmq_quote(uint8_t **attest, size_t *attest_len, uint8_t **sig, size_t *sig_len,
	       tpmq_tpm *tpm, const struct tpmq_pcrsel *sel, const uint8_t *nonce,
	       size_t nonce_len, struct eph_err *err)
{
	const TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_NULL};
	TPML_PCR_SELECTION tsel;
	TPM2B_DATA qual;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *signature = NULL;
	uint8_t *a = NULL, *s = NULL;
	size_t off = 0;
	TSS2_RC rc;
	int ret;

	*attest = NULL;
	*attest_len = 0;
	*sig = NULL;
	*sig_len = 0;
	memset(&qual, 0, sizeof(qual));
	if (tpm->ak == ESYS_TR_NONE)
		return eph_err_set(err, EPH_EFAIL, "tpmq_quote: no AK loaded");
	if (nonce_len > TPMQ_MAX_NONCE || nonce_len > sizeof(qual.buffer))
		return eph_err_set(err, EPH_EFORMAT, "tpmq_quote: %zu-byte nonce, at most %d",
				   nonce_len, TPMQ_MAX_NONCE);
	ret = tpmq__esys_pcrsel(&tsel, sel, err);
	if (ret < 0)
		return ret;
	qual.size = (uint16_t)nonce_len;
	if (nonce_len)
		memcpy(qual.buffer, nonce, nonce_len);

	rc = Esys_Quote(tpm->ectx, tpm->ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qual,
			&scheme, &tsel, &quoted, &signature);
	if (rc != TSS2_RC_SUCCESS) {
		quoted = NULL;
		signature = NULL;
		ret = tpmq__esys_err(err, rc, "Esys_Quote");
		goto out;
	}
	a = malloc(quoted->size ? quoted->size : 1);
	s = malloc(sizeof(*signature));
	if (a == NULL || s == NULL) {
		ret = eph_err_set(err, EPH_ENOMEM, "tpmq_quote: out of memory");
		goto out;
	}
	memcpy(a, quoted->attestationData, quoted->size);
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(signature, s, sizeof(*signature), &off);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tpmq__esys_err(err, rc, "Tss2_MU_TPMT_SIGNATURE_Marshal");
		goto out;
	}
	*attest = a;
	*attest_len = quoted->size;
	*sig = s;
	*sig_len = off;
	a = NULL;
	s = NULL;
	ret = 0;
out:
	free(a);
	free(s);
	Esys_Free(quoted);
	Esys_Free(signature);
	return ret;
}
