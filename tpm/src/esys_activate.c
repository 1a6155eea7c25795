/*
 * esys_activate.c - TPM2_ActivateCredential (TPM 2.0 Part 3, 12.5): the
 * TPM proves that the AK lives beside the EK by recovering a secret the
 * broker protected for that EK and bound to the AK's name.
 *
 * Input bytes come from the network: they are unmarshalled with exact
 * lengths before the TPM sees them. A refusal by the TPM because the
 * credential was made for another EK or another AK name is EPH_EVERIFY;
 * every other failure keeps its generic code. Deliberately not here:
 * MakeCredential (makecred.c, broker side, no TPM).
 */
#include "esys-priv.h"

#include <string.h>

#include <tss2/tss2_mu.h>

/*
 * The errors a well-formed credential for another TPM or another AK draws:
 * the HMAC over the blob fails (INTEGRITY), or the seed does not decrypt
 * with this EK (RSA: OAEP padding, VALUE, or FAILURE from libtpms; ECC: a
 * point that gives a seed of the wrong size, SIZE / ECC_POINT / NO_RESULT),
 * or the unwrapped secret has an impossible size.
 */
static int refused(tpmq_tpm *tpm, TSS2_RC rc)
{
	TPM2B_MAX_BUFFER *data = NULL;
	TPM2_RC result = TPM2_RC_FAILURE;
	TSS2_RC trc;

	/*
	 * libtpms (swtpm 0.7) answers TPM_RC_FAILURE when the seed does not
	 * OAEP-decrypt with this RSA EK, but does not enter failure mode. Tell
	 * that from a real failure by asking the TPM how it is.
	 */
	if (rc == TPM2_RC_FAILURE) {
		trc = Esys_GetTestResult(tpm->ectx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &data,
					 &result);
		Esys_Free(data);
		return trc == TSS2_RC_SUCCESS && result == TPM2_RC_SUCCESS;
	}
	switch (tpmq__esys_rc_fmt1(rc)) {
	case TPM2_RC_INTEGRITY:
	case TPM2_RC_VALUE:
	case TPM2_RC_SIZE:
	case TPM2_RC_ECC_POINT:
	case TPM2_RC_KEY:
		return 1;
	default:
		return rc == TPM2_RC_NO_RESULT;
	}
}

int tpmq_activate_credential(uint8_t *secret, size_t *secret_len, tpmq_tpm *tpm,
			     const uint8_t *id_object, size_t id_object_len,
			     const uint8_t *enc_secret, size_t enc_secret_len, struct eph_err *err)
{
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET seed;
	TPM2B_DIGEST *cert = NULL;
	size_t off = 0;
	TSS2_RC rc;
	int ret;

	*secret_len = 0;
	memset(&blob, 0, sizeof(blob));
	memset(&seed, 0, sizeof(seed));
	if (tpm->ek == ESYS_TR_NONE || tpm->ak == ESYS_TR_NONE)
		return eph_err_set(err, EPH_EFAIL,
				   "tpmq_activate_credential: needs a created EK and a loaded AK");
	rc = Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(id_object, id_object_len, &off, &blob);
	if (rc != TSS2_RC_SUCCESS || off != id_object_len)
		return eph_err_set(err, EPH_EFORMAT,
				   "credential: not one TPM2B_ID_OBJECT (%zu bytes, %zu used)",
				   id_object_len, off);
	off = 0;
	rc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(enc_secret, enc_secret_len, &off, &seed);
	if (rc != TSS2_RC_SUCCESS || off != enc_secret_len)
		return eph_err_set(err, EPH_EFORMAT,
				   "credential: not one TPM2B_ENCRYPTED_SECRET (%zu bytes, %zu used)",
				   enc_secret_len, off);

	ret = tpmq__esys_ek_session(tpm, err);
	if (ret < 0)
		goto out;
	rc = Esys_ActivateCredential(tpm->ectx, tpm->ak, tpm->ek, ESYS_TR_PASSWORD, tpm->session,
				     ESYS_TR_NONE, &blob, &seed, &cert);
	tpmq__esys_session_end(tpm);
	if (rc != TSS2_RC_SUCCESS) {
		cert = NULL;
		ret = tpmq__esys_err(err, rc, "Esys_ActivateCredential");
		if (refused(tpm, rc))
			ret = eph_err_prefix(err, EPH_EVERIFY,
					     "credential was not made for this TPM/AK");
		goto out;
	}
	if (cert->size > 64) {
		ret = eph_err_set(err, EPH_EFAIL, "ActivateCredential: %u-byte secret, room for 64",
				  cert->size);
		goto out;
	}
	memcpy(secret, cert->buffer, cert->size);
	*secret_len = cert->size;
	ret = 0;
out:
	if (cert != NULL) {
		explicit_bzero(cert, sizeof(*cert));
		Esys_Free(cert);
	}
	explicit_bzero(&blob, sizeof(blob));
	explicit_bzero(&seed, sizeof(seed));
	return ret;
}
