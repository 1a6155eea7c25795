/*
 * esys_ak.c - the attestation key: created under the EK (as Keylime and
 * tpm2_createak do) as a restricted signing key, loaded, and saved as the
 * marshalled TPM2B_PUBLIC / TPM2B_PRIVATE pair the agent keeps on disk.
 *
 * The AK has an empty authValue (userWithAuth, password session); the EK
 * parent needs its endorsement policy session for Create and Load.
 * Deliberately not here: AK certificates (IAK/IDevID), persistent AKs.
 */
#include "esys-priv.h"

#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#define AK_ATTRS                                                                                   \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |        \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)

static int ak_template(TPM2B_PUBLIC *pub, enum tpmq_keyalg alg, struct eph_err *err)
{
	TPMT_PUBLIC *t = &pub->publicArea;

	memset(pub, 0, sizeof(*pub));
	t->nameAlg = TPM2_ALG_SHA256;
	t->objectAttributes = AK_ATTRS;
	switch (alg) {
	case TPMQ_RSA2048:
	case TPMQ_RSA2048_PSS:
		t->type = TPM2_ALG_RSA;
		t->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		t->parameters.rsaDetail.scheme.scheme =
			alg == TPMQ_RSA2048 ? TPM2_ALG_RSASSA : TPM2_ALG_RSAPSS;
		t->parameters.rsaDetail.scheme.details.anySig.hashAlg = TPM2_ALG_SHA256;
		t->parameters.rsaDetail.keyBits = 2048;
		t->parameters.rsaDetail.exponent = 0;
		return 0;
	case TPMQ_ECC_P256:
	case TPMQ_ECC_P384:
		t->type = TPM2_ALG_ECC;
		t->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		t->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		t->parameters.eccDetail.scheme.details.ecdsa.hashAlg =
			alg == TPMQ_ECC_P256 ? TPM2_ALG_SHA256 : TPM2_ALG_SHA384;
		t->parameters.eccDetail.curveID =
			alg == TPMQ_ECC_P256 ? TPM2_ECC_NIST_P256 : TPM2_ECC_NIST_P384;
		t->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		return 0;
	default:
		return eph_err_set(err, EPH_EUNSUPPORTED, "no AK template for key algorithm %d",
				   (int)alg);
	}
}

static int need_ek(tpmq_tpm *tpm, const char *what, struct eph_err *err)
{
	if (tpm->ek == ESYS_TR_NONE)
		return eph_err_set(err, EPH_EFAIL, "%s: no EK in this context (tpmq_create_ek first)",
				   what);
	return 0;
}

/* Load pub/priv under the EK and make it the context's AK. */
static int ak_load(tpmq_tpm *tpm, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv,
		   struct eph_err *err)
{
	ESYS_TR ak = ESYS_TR_NONE;
	TSS2_RC rc;
	int ret;

	ret = tpmq__esys_ek_session(tpm, err);
	if (ret < 0)
		return ret;
	rc = Esys_Load(tpm->ectx, tpm->ek, tpm->session, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub,
		       &ak);
	tpmq__esys_session_end(tpm);
	if (rc != TSS2_RC_SUCCESS)
		return tpmq__esys_err(err, rc, "Esys_Load(AK)");
	tpmq__esys_flush(tpm, &tpm->ak);
	tpm->ak = ak;
	return 0;
}

int tpmq_create_ak(uint8_t **pub, size_t *pub_len, uint8_t **priv, size_t *priv_len,
		   tpmq_tpm *tpm, enum tpmq_keyalg alg, struct eph_err *err)
{
	const TPM2B_SENSITIVE_CREATE sens = {0};
	const TPM2B_DATA outside = {0};
	const TPML_PCR_SELECTION pcrs = {0};
	TPM2B_PUBLIC tmpl;
	TPM2B_PUBLIC *out_pub = NULL;
	TPM2B_PRIVATE *out_priv = NULL;
	uint8_t *pb = NULL, *vb = NULL;
	size_t pn = 0, vn = 0;
	TSS2_RC rc;
	int ret;

	*pub = NULL;
	*pub_len = 0;
	*priv = NULL;
	*priv_len = 0;
	ret = need_ek(tpm, "tpmq_create_ak", err);
	if (ret < 0)
		return ret;
	ret = ak_template(&tmpl, alg, err);
	if (ret < 0)
		return ret;
	ret = tpmq__esys_ek_session(tpm, err);
	if (ret < 0)
		return ret;
	rc = Esys_Create(tpm->ectx, tpm->ek, tpm->session, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
			 &tmpl, &outside, &pcrs, &out_priv, &out_pub, NULL, NULL, NULL);
	tpmq__esys_session_end(tpm);
	if (rc != TSS2_RC_SUCCESS) {
		out_priv = NULL;
		out_pub = NULL;
		ret = tpmq__esys_err(err, rc, "Esys_Create(AK)");
		goto out;
	}
	ret = ak_load(tpm, out_pub, out_priv, err);
	if (ret < 0)
		goto out;
	ret = tpmq__esys_marshal_public(&pb, &pn, out_pub, err);
	if (ret < 0)
		goto out;
	ret = tpmq__esys_marshal_private(&vb, &vn, out_priv, err);
	if (ret < 0)
		goto out;
	*pub = pb;
	*pub_len = pn;
	*priv = vb;
	*priv_len = vn;
	pb = NULL;
	vb = NULL;
out:
	free(pb);
	free(vb);
	Esys_Free(out_pub);
	Esys_Free(out_priv);
	return ret;
}

int tpmq_load_ak(tpmq_tpm *tpm, const uint8_t *pub, size_t pub_len, const uint8_t *priv,
		 size_t priv_len, struct eph_err *err)
{
	TPM2B_PUBLIC p;
	TPM2B_PRIVATE v;
	size_t off = 0;
	TSS2_RC rc;
	int ret;

	memset(&p, 0, sizeof(p));
	memset(&v, 0, sizeof(v));
	ret = need_ek(tpm, "tpmq_load_ak", err);
	if (ret < 0)
		return ret;
	rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, pub_len, &off, &p);
	if (rc != TSS2_RC_SUCCESS || off != pub_len)
		return eph_err_set(err, EPH_EFORMAT,
				   "AK public: not one TPM2B_PUBLIC (%zu bytes, %zu used)", pub_len,
				   off);
	off = 0;
	rc = Tss2_MU_TPM2B_PRIVATE_Unmarshal(priv, priv_len, &off, &v);
	if (rc != TSS2_RC_SUCCESS || off != priv_len)
		return eph_err_set(err, EPH_EFORMAT,
				   "AK private: not one TPM2B_PRIVATE (%zu bytes, %zu used)",
				   priv_len, off);
	ret = ak_load(tpm, &p, &v, err);
	explicit_bzero(&v, sizeof(v));
	return ret;
}
