/*
 * esys_ek.c - the endorsement key: reading its certificate from NV
 * (tpmq_read_ek_cert) and re-creating the key itself from the TCG default
 * template (tpmq_create_ek), so that its public part equals the one in the
 * certificate.
 *
 * Templates: TCG EK Credential Profile 2.3, B.3.3 (L-1 RSA 2048, L-2 ECC
 * NIST P-256) and B.4 (H-3 ECC NIST P-384: empty unique, userWithAuth,
 * PolicyB in SHA-384), which is what swtpm_setup --create-ek-cert writes
 * the certificates for. Deliberately not here: persisting the EK
 * (EvictControl) or using a persistent EK the platform owner made; the
 * certificate verification (ekcert.c, broker side).
 */
#include "esys-priv.h"

#include <stdlib.h>
#include <string.h>

/* PolicyA, SHA-256: TPM2_PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t policy_a_sha256[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

/* PolicyB, SHA-384: PolicyOR(PolicyA, PolicyC). */
static const uint8_t policy_b_sha384[48] = {
	0xb2, 0x6e, 0x7d, 0x28, 0xd1, 0x1a, 0x50, 0xbc, 0x53, 0xd8, 0x82, 0xbc,
	0xf5, 0xfd, 0x3a, 0x1a, 0x07, 0x41, 0x48, 0xbb, 0x35, 0xd3, 0xb4, 0xe4,
	0xcb, 0x1c, 0x0a, 0xd9, 0xbd, 0xe4, 0x19, 0xca, 0xcb, 0x47, 0xba, 0x09,
	0x69, 0x96, 0x46, 0x15, 0x0f, 0x9f, 0xc0, 0x00, 0xf3, 0xf8, 0x0e, 0x12,
};

#define EK_ATTRS                                                                                   \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |        \
	 TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)

static int ek_nv_index(TPM2_HANDLE *out, enum tpmq_keyalg alg, struct eph_err *err)
{
	switch (alg) {
	case TPMQ_RSA2048:
		*out = 0x01c00002;
		return 0;
	case TPMQ_ECC_P256:
		*out = 0x01c0000a;
		return 0;
	case TPMQ_ECC_P384:
		*out = 0x01c00016;
		return 0;
	default:
		return eph_err_set(err, EPH_EUNSUPPORTED, "no EK template for key algorithm %d",
				   (int)alg);
	}
}

/* The TCG default EK template for alg into *pub. */
static int ek_template(TPM2B_PUBLIC *pub, enum tpmq_keyalg alg, struct eph_err *err)
{
	TPMT_PUBLIC *t = &pub->publicArea;

	memset(pub, 0, sizeof(*pub));
	t->objectAttributes = EK_ATTRS;
	switch (alg) {
	case TPMQ_RSA2048: /* L-1 */
		t->type = TPM2_ALG_RSA;
		t->nameAlg = TPM2_ALG_SHA256;
		t->authPolicy.size = sizeof(policy_a_sha256);
		memcpy(t->authPolicy.buffer, policy_a_sha256, sizeof(policy_a_sha256));
		t->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
		t->parameters.rsaDetail.symmetric.keyBits.aes = 128;
		t->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
		t->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		t->parameters.rsaDetail.keyBits = 2048;
		t->parameters.rsaDetail.exponent = 0;
		t->unique.rsa.size = 256; /* zeros */
		return 0;
	case TPMQ_ECC_P256: /* L-2 */
		t->type = TPM2_ALG_ECC;
		t->nameAlg = TPM2_ALG_SHA256;
		t->authPolicy.size = sizeof(policy_a_sha256);
		memcpy(t->authPolicy.buffer, policy_a_sha256, sizeof(policy_a_sha256));
		t->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
		t->parameters.eccDetail.symmetric.keyBits.aes = 128;
		t->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
		t->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		t->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		t->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		t->unique.ecc.x.size = 32; /* zeros */
		t->unique.ecc.y.size = 32;
		return 0;
	case TPMQ_ECC_P384: /* H-3 */
		t->type = TPM2_ALG_ECC;
		t->nameAlg = TPM2_ALG_SHA384;
		t->objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
		t->authPolicy.size = sizeof(policy_b_sha384);
		memcpy(t->authPolicy.buffer, policy_b_sha384, sizeof(policy_b_sha384));
		t->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
		t->parameters.eccDetail.symmetric.keyBits.aes = 256;
		t->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
		t->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		t->parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
		t->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		/* unique x and y empty */
		return 0;
	default:
		return eph_err_set(err, EPH_EUNSUPPORTED, "no EK template for key algorithm %d",
				   (int)alg);
	}
}

/* Is the NV index defined? Asks GetCapability, which (unlike
 * NV_ReadPublic on a missing index) is not an error for the TSS to log. */
static int nv_defined(tpmq_tpm *tpm, TPM2_HANDLE index, struct eph_err *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = TPM2_NO;
	TSS2_RC rc;
	int ret;

	rc = Esys_GetCapability(tpm->ectx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_HANDLES, index, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpmq__esys_err(err, rc, "Esys_GetCapability(handles)");
	ret = cap->data.handles.count > 0 && cap->data.handles.handle[0] == index;
	Esys_Free(cap);
	return ret;
}

/* Largest NV_Read the TPM accepts (TPM2_PT_NV_BUFFER_MAX), capped to what
 * a TPM2B_MAX_NV_BUFFER holds. */
static int nv_chunk(uint16_t *out, tpmq_tpm *tpm, struct eph_err *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = TPM2_NO;
	uint32_t v = 0;
	TSS2_RC rc;

	rc = Esys_GetCapability(tpm->ectx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpmq__esys_err(err, rc, "Esys_GetCapability(TPM2_PT_NV_BUFFER_MAX)");
	if (cap->data.tpmProperties.count > 0 &&
	    cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX)
		v = cap->data.tpmProperties.tpmProperty[0].value;
	Esys_Free(cap);
	if (v == 0 || v > TPM2_MAX_NV_BUFFER_SIZE)
		v = v == 0 ? 512 : TPM2_MAX_NV_BUFFER_SIZE;
	*out = (uint16_t)v;
	return 0;
}

/*
 * NV indices are often larger than the certificate (padded with zeros or
 * 0xff). Trim to the outer DER SEQUENCE when its header is well-formed and
 * fits; otherwise keep everything and let the certificate parser judge.
 */
static size_t der_trim(const uint8_t *p, size_t n)
{
	size_t len = 0, hdr, i, k;

	if (n < 2 || p[0] != 0x30)
		return n;
	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else {
		k = p[1] & 0x7f;
		if (k == 0 || k > 3 || n < 2 + k)
			return n;
		for (i = 0; i < k; i++)
			len = len << 8 | p[2 + i];
		hdr = 2 + k;
	}
	if (len > n - hdr)
		return n;
	return hdr + len;
}

int tpmq_read_ek_cert(uint8_t **der, size_t *len, tpmq_tpm *tpm, enum tpmq_keyalg alg,
		      struct eph_err *err)
{
	ESYS_TR nv = ESYS_TR_NONE, auth;
	TPM2B_NV_PUBLIC *nvpub = NULL;
	TPM2B_MAX_NV_BUFFER *chunk = NULL;
	TPM2_HANDLE index = 0;
	uint8_t *buf = NULL;
	uint16_t max = 0, size, off = 0, n;
	TPMA_NV attrs;
	TSS2_RC rc;
	int ret;

	*der = NULL;
	*len = 0;
	ret = ek_nv_index(&index, alg, err);
	if (ret < 0)
		return ret;
	ret = nv_defined(tpm, index, err);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return eph_err_set(err, EPH_ENOTFOUND,
				   "EK certificate NV index 0x%08x is not defined", index);
	ret = nv_chunk(&max, tpm, err);
	if (ret < 0)
		return ret;

	rc = Esys_TR_FromTPMPublic(tpm->ectx, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   &nv);
	if (rc != TSS2_RC_SUCCESS) {
		nv = ESYS_TR_NONE;
		ret = tpmq__esys_err(err, rc, "Esys_TR_FromTPMPublic(EK certificate index)");
		goto out;
	}
	rc = Esys_NV_ReadPublic(tpm->ectx, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nvpub,
				NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tpmq__esys_err(err, rc, "Esys_NV_ReadPublic(EK certificate index)");
		goto out;
	}
	size = nvpub->nvPublic.dataSize;
	attrs = nvpub->nvPublic.attributes;
	if (size == 0) {
		ret = eph_err_set(err, EPH_ENOTFOUND, "EK certificate NV index 0x%08x is empty",
				  index);
		goto out;
	}
	/* The index's own (empty) authValue if it allows that, as TCG
	 * profiles ask; else the owner's (empty) authorisation. */
	if (attrs & TPMA_NV_AUTHREAD) {
		auth = nv;
	} else if (attrs & TPMA_NV_OWNERREAD) {
		auth = ESYS_TR_RH_OWNER;
	} else {
		ret = eph_err_set(err, EPH_EFAIL,
				  "EK certificate NV index 0x%08x allows neither AUTHREAD nor "
				  "OWNERREAD (attributes 0x%08x)",
				  index, attrs);
		goto out;
	}
	buf = malloc(size);
	if (buf == NULL) {
		ret = eph_err_set(err, EPH_ENOMEM, "EK certificate: out of memory");
		goto out;
	}
	while (off < size) {
		n = (uint16_t)(size - off < max ? size - off : max);
		rc = Esys_NV_Read(tpm->ectx, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				  n, off, &chunk);
		if (rc != TSS2_RC_SUCCESS) {
			ret = tpmq__esys_err(err, rc, "Esys_NV_Read(EK certificate)");
			eph_err_prefix(err, ret, "offset %u of %u", off, size);
			goto out;
		}
		if (chunk->size != n) {
			ret = eph_err_set(err, EPH_EFAIL,
					  "Esys_NV_Read(EK certificate): %u bytes at offset %u, "
					  "asked for %u",
					  chunk->size, off, n);
			goto out;
		}
		memcpy(buf + off, chunk->buffer, n);
		off = (uint16_t)(off + n);
		Esys_Free(chunk);
		chunk = NULL;
	}
	*der = buf;
	*len = der_trim(buf, size);
	buf = NULL;
	ret = 0;
out:
	free(buf);
	Esys_Free(chunk);
	Esys_Free(nvpub);
	if (nv != ESYS_TR_NONE)
		(void)Esys_TR_Close(tpm->ectx, &nv);
	return ret;
}

int tpmq_create_ek(uint8_t **pub, size_t *pub_len, tpmq_tpm *tpm, enum tpmq_keyalg alg,
		   struct eph_err *err)
{
	const TPM2B_SENSITIVE_CREATE sens = {0};
	const TPM2B_DATA outside = {0};
	const TPML_PCR_SELECTION pcrs = {0};
	TPM2B_PUBLIC tmpl;
	TPM2B_PUBLIC *out_pub = NULL;
	ESYS_TR ek = ESYS_TR_NONE;
	TSS2_RC rc;
	int ret;

	*pub = NULL;
	*pub_len = 0;
	ret = ek_template(&tmpl, alg, err);
	if (ret < 0)
		return ret;
	rc = Esys_CreatePrimary(tpm->ectx, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, &ek, &out_pub, NULL,
				NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ek = ESYS_TR_NONE;
		ret = tpmq__esys_err(err, rc, "Esys_CreatePrimary(EK)");
		goto out;
	}
	ret = tpmq__esys_marshal_public(pub, pub_len, out_pub, err);
	if (ret < 0)
		goto out;
	/* One EK per context: a new one replaces (and flushes) the old. A
	 * loaded AK stays loaded: objects do not depend on their parent
	 * once loaded. */
	tpmq__esys_flush(tpm, &tpm->ek);
	tpm->ek = ek;
	tpm->ek_alg = alg;
	ek = ESYS_TR_NONE;
out:
	tpmq__esys_flush(tpm, &ek);
	Esys_Free(out_pub);
	return ret;
}
