/*
 * key_public.c - a TPM public key (TPM2B_PUBLIC) as an OpenSSL key and its
 * TPM name.
 *
 * Wire (TPM 2.0 Part 2, 12.2.4 TPMT_PUBLIC, 12.2.5 TPM2B_PUBLIC), e.g. an
 * RSA-2048 AK as tpm2_createak -u writes it:
 *   0118                 size of the TPMT_PUBLIC that follows (280)
 *   0001 000b            type RSA, nameAlg SHA256
 *   00050072             objectAttributes (restricted|sign|fixedTPM|...)
 *   0000                 authPolicy (empty)
 *   0010 0014 000b       symmetric NULL, scheme RSASSA, hash SHA256
 *   0800 00000000        keyBits 2048, exponent 0 (= 65537)
 *   0100 ab8888d4...     unique: the 256-byte modulus
 * ECC keys carry curveID, kdf and unique.ecc = {x, y} instead.
 *
 * Name (Part 1, 16 "Names"): nameAlg || H_nameAlg(TPMT_PUBLIC bytes), over
 * the bytes exactly as received, so that it equals what the TPM computes.
 *
 * Checked: the TPM2B size covers exactly the rest of the buffer, the
 * TPMT_PUBLIC fills it, RSA modulus size equals keyBits (1024..4096), ECC
 * coordinates fit the curve (NIST P-256/384/521) and the point lies on it
 * (EVP_PKEY_public_check). Not here: whether the attributes make a good AK
 * or EK (key_check.c).
 */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_rc.h>

#include "tpmq-priv.h"

static int fromdata(EVP_PKEY **pkey, const char *type, OSSL_PARAM_BLD *bld, struct eph_err *err)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *cctx = NULL;
	int rc = EPH_EFAIL;

	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params == NULL || ctx == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "public key: out of memory");
		goto out;
	}
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		rc = eph_err_set(err, EPH_EFORMAT, "public key: OpenSSL refuses the %s key", type);
		goto out;
	}
	cctx = EVP_PKEY_CTX_new_from_pkey(NULL, *pkey, NULL);
	if (cctx == NULL || EVP_PKEY_public_check(cctx) != 1) {
		rc = eph_err_set(err, EPH_EFORMAT, "public key: %s key fails the public key check",
				 type);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
	}
	ERR_clear_error();
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return rc;
}

static int rsa_key(EVP_PKEY **pkey, const TPMT_PUBLIC *pub, struct eph_err *err)
{
	const TPMS_RSA_PARMS *p = &pub->parameters.rsaDetail;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *n = NULL, *e = NULL;
	int rc;

	if (p->keyBits < 1024 || p->keyBits > 4096 || p->keyBits % 8 != 0)
		return eph_err_set(err, EPH_EUNSUPPORTED, "RSA public key: keyBits %u",
				   p->keyBits);
	if ((size_t)pub->unique.rsa.size * 8 != p->keyBits)
		return eph_err_set(err, EPH_EFORMAT,
				   "RSA public key: modulus of %u bytes for keyBits %u",
				   pub->unique.rsa.size, p->keyBits);
	bld = OSSL_PARAM_BLD_new();
	n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
	/* Part 2, 12.2.3.5: an exponent of zero means the default 2^16 + 1. */
	e = BN_new();
	if (bld == NULL || n == NULL || e == NULL ||
	    BN_set_word(e, p->exponent ? p->exponent : 65537) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1) {
		rc = eph_err_set(err, EPH_ENOMEM, "RSA public key: out of memory");
		goto out;
	}
	rc = fromdata(pkey, "RSA", bld, err);
out:
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

static int ecc_key(EVP_PKEY **pkey, const TPMT_PUBLIC *pub, struct eph_err *err)
{
	const TPMS_ECC_POINT *pt = &pub->unique.ecc;
	OSSL_PARAM_BLD *bld = NULL;
	uint8_t oct[1 + 2 * 66];
	const char *group;
	size_t fb = 0;
	int rc;

	group = tpmq__curve_name(pub->parameters.eccDetail.curveID, &fb);
	if (group == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED, "ECC public key: curve 0x%04x",
				   pub->parameters.eccDetail.curveID);
	if (pt->x.size == 0 || pt->x.size > fb || pt->y.size == 0 || pt->y.size > fb)
		return eph_err_set(err, EPH_EFORMAT,
				   "ECC public key: coordinates of %u and %u bytes on %s",
				   pt->x.size, pt->y.size, group);
	/* Uncompressed SEC1 point, coordinates left-padded to the field size. */
	memset(oct, 0, sizeof(oct));
	oct[0] = 0x04;
	memcpy(oct + 1 + fb - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(oct + 1 + 2 * fb - pt->y.size, pt->y.buffer, pt->y.size);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct, 1 + 2 * fb) != 1) {
		rc = eph_err_set(err, EPH_ENOMEM, "ECC public key: out of memory");
		goto out;
	}
	rc = fromdata(pkey, "EC", bld, err);
out:
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

int tpmq_key_from_public(tpmq_key **out, const uint8_t *buf, size_t len, struct eph_err *err)
{
	TPM2B_PUBLIC tpm2b;
	tpmq_key *key = NULL;
	size_t off = 0, dsize;
	uint16_t size;
	TSS2_RC trc;
	int rc;

	*out = NULL;
	if (len < 2)
		return eph_err_set(err, EPH_EFORMAT, "TPM2B_PUBLIC: truncated: %zu bytes", len);
	size = (uint16_t)(buf[0] << 8 | buf[1]);
	if (size == 0)
		return eph_err_set(err, EPH_EFORMAT, "TPM2B_PUBLIC: empty");
	if ((size_t)size > len - 2)
		return eph_err_set(err, EPH_EFORMAT,
				   "TPM2B_PUBLIC: truncated: size %u but %zu bytes follow", size,
				   len - 2);
	if ((size_t)size < len - 2)
		return eph_err_set(err, EPH_EFORMAT,
				   "TPM2B_PUBLIC: %zu trailing bytes after the %u-byte TPMT_PUBLIC",
				   len - 2 - size, size);
	memset(&tpm2b, 0, sizeof(tpm2b));
	trc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &tpm2b);
	if (trc != TSS2_RC_SUCCESS)
		return eph_err_set(err, EPH_EFORMAT, "TPM2B_PUBLIC: does not unmarshal: %s",
				   Tss2_RC_Decode(trc));
	if (off != len || tpm2b.size != size)
		return eph_err_set(err, EPH_EFORMAT,
				   "TPM2B_PUBLIC: TPMT_PUBLIC is %zu bytes, size field says %u",
				   off - 2, size);

	dsize = eph_hash_size(tpm2b.publicArea.nameAlg);
	if (dsize == 0)
		return eph_err_set(err, EPH_EUNSUPPORTED, "TPM2B_PUBLIC: nameAlg 0x%04x",
				   tpm2b.publicArea.nameAlg);
	key = calloc(1, sizeof(*key));
	if (key == NULL)
		return eph_err_set(err, EPH_ENOMEM, "TPM2B_PUBLIC: out of memory");
	key->has_public = 1;
	key->pub = tpm2b.publicArea;

	switch (key->pub.type) {
	case TPM2_ALG_RSA:
		key->pkey_id = EVP_PKEY_RSA;
		rc = rsa_key(&key->pkey, &key->pub, err);
		break;
	case TPM2_ALG_ECC:
		key->pkey_id = EVP_PKEY_EC;
		rc = ecc_key(&key->pkey, &key->pub, err);
		break;
	default:
		rc = eph_err_set(err, EPH_EUNSUPPORTED,
				 "TPM2B_PUBLIC: key type 0x%04x is neither RSA nor ECC",
				 key->pub.type);
		break;
	}
	if (rc < 0)
		goto out;

	key->name[0] = (uint8_t)(key->pub.nameAlg >> 8);
	key->name[1] = (uint8_t)key->pub.nameAlg;
	if (eph_hash(key->pub.nameAlg, buf + 2, size, key->name + 2) < 0) {
		rc = eph_err_set(err, EPH_EUNSUPPORTED, "TPM2B_PUBLIC: cannot hash with nameAlg 0x%04x",
				 key->pub.nameAlg);
		goto out;
	}
	key->name_len = 2 + dsize;
	*out = key;
	key = NULL;
	rc = 0;
out:
	tpmq_key_free(key);
	return rc;
}

void tpmq_key_free(tpmq_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

uint32_t tpmq_key_attributes(const tpmq_key *key)
{
	return key->has_public ? key->pub.objectAttributes : 0;
}

int tpmq_key_name(uint8_t *out, size_t *out_len, const tpmq_key *key, struct eph_err *err)
{
	if (!key->has_public) {
		*out_len = 0;
		return eph_err_set(err, EPH_ENOTFOUND,
				   "key name: a PEM key has no TPM name (need its TPM2B_PUBLIC)");
	}
	memcpy(out, key->name, key->name_len);
	*out_len = key->name_len;
	return 0;
}
