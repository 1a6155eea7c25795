/*
 * makecred.c - TPM2_MakeCredential in software (TPM 2.0 Part 1, 24
 * "Credential Protection"; Part 1, 11.4.9 secret sharing, 11.4.10 KDFs;
 * Part 3, 12.6): protect a secret so that only the TPM holding the EK can
 * recover it, and only for the object (AK) whose name it is bound to.
 *
 *   seed        RSA EK: nameAlg-size random bytes, sent RSA-OAEP encrypted
 *               (hash and MGF1 = EK nameAlg, label "IDENTITY\0" incl. NUL);
 *               ECC EK: ephemeral key e on the EK's curve, Z = (e * EK).x,
 *               seed = KDFe(nameAlg, Z, "IDENTITY", e.x, EK.x, digest bits),
 *               sent as the TPMS_ECC_POINT e.
 *   symKey      KDFa(nameAlg, seed, "STORAGE", akName, -, EK symmetric bits)
 *   encIdentity AES-CFB(symKey, IV = 0) of TPM2B_DIGEST(secret)
 *   HMACkey     KDFa(nameAlg, seed, "INTEGRITY", -, -, digest bits)
 *   outerHMAC   HMAC_nameAlg(HMACkey, encIdentity || akName)
 *
 * Outputs, size prefixes included (Part 2, 12.4.3 TPM2B_ID_OBJECT, 11.4.33
 * TPM2B_ENCRYPTED_SECRET), e.g. for an RSA-2048/SHA256 EK and a 16-byte
 * secret:
 *   id_object   0034 | 0020 <outerHMAC, 32> | <encIdentity, 2 + 16 = 18>
 *   enc_secret  0100 | <OAEP ciphertext, 256>
 *   (ECC P-256: 0044 | 0020 <x, 32> | 0020 <y, 32>)
 *
 * The seed and derived keys are wiped on every path. Not here: the TPM's
 * side (tpmq_activate_credential), choosing the secret (the caller's).
 */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "tpmq-priv.h"

#define SEED_MAX TPMQ_MAX_DIGEST
#define ECC_MAX 66           /* P-521 coordinate */
#define ENC_SECRET_MAX 512   /* RSA-4096 ciphertext */

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RSA EK: random seed, OAEP(label "IDENTITY\0"). */
static int rsa_seed(uint8_t *seed, size_t seed_len, uint8_t *enc, size_t *enc_len,
		    const tpmq_key *ek, const EVP_MD *md, struct eph_err *err)
{
	static const char label[] = "IDENTITY"; /* sizeof includes the NUL */
	EVP_PKEY_CTX *ctx = NULL;
	void *lab = NULL;
	size_t outl = 0;
	int rc = EPH_EFAIL;

	if (RAND_bytes(seed, (int)seed_len) != 1)
		return eph_err_set(err, EPH_EFAIL, "MakeCredential: no random bytes");
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek->pkey, NULL);
	lab = OPENSSL_memdup(label, sizeof(label));
	if (ctx == NULL || lab == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "MakeCredential: out of memory");
		goto out;
	}
	if (EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, lab, (int)sizeof(label)) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: cannot set up RSA-OAEP");
		goto out;
	}
	lab = NULL; /* owned by ctx */
	if (EVP_PKEY_encrypt(ctx, NULL, &outl, seed, seed_len) != 1 || outl > ENC_SECRET_MAX ||
	    EVP_PKEY_encrypt(ctx, enc, &outl, seed, seed_len) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: RSA-OAEP encryption failed");
		goto out;
	}
	*enc_len = outl;
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(lab);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int coord(uint8_t *out, size_t fb, const EVP_PKEY *pkey, const char *which)
{
	BIGNUM *bn = NULL;
	int ok;

	if (EVP_PKEY_get_bn_param(pkey, which, &bn) != 1)
		return -1;
	ok = BN_bn2binpad(bn, out, (int)fb) == (int)fb;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* ECC EK: ephemeral ECDH, seed = KDFe(...), enc = TPMS_ECC_POINT(e). */
static int ecc_seed(uint8_t *seed, size_t seed_len, uint8_t *enc, size_t *enc_len,
		    const tpmq_key *ek, struct eph_err *err)
{
	const TPM2B_ECC_PARAMETER *ekx = &ek->pub.unique.ecc.x;
	uint8_t z[ECC_MAX], ex[ECC_MAX], ey[ECC_MAX];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *eph = NULL;
	const char *group;
	size_t fb = 0, zlen = sizeof(z);
	int rc = EPH_EFAIL;

	group = tpmq__curve_name(ek->pub.parameters.eccDetail.curveID, &fb);
	if (group == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED, "MakeCredential: EK curve 0x%04x",
				   ek->pub.parameters.eccDetail.curveID);
	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	if (eph == NULL) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: cannot make an ephemeral %s key",
				 group);
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, ek->pkey) != 1 ||
	    EVP_PKEY_derive(ctx, z, &zlen) != 1 || zlen != fb) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: ECDH with the EK failed");
		goto out;
	}
	if (coord(ex, fb, eph, OSSL_PKEY_PARAM_EC_PUB_X) < 0 ||
	    coord(ey, fb, eph, OSSL_PKEY_PARAM_EC_PUB_Y) < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: cannot read the ephemeral point");
		goto out;
	}
	/* partyUInfo: the ephemeral x as sent; partyVInfo: the EK's x as the
	 * TPM holds it (its unique field), not re-padded. */
	if (tpmq__kdfe(seed, ek->pub.nameAlg, z, zlen, "IDENTITY", ex, fb, ekx->buffer, ekx->size,
		       (uint32_t)(seed_len * 8)) < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: KDFe failed");
		goto out;
	}
	put16(enc, fb);
	memcpy(enc + 2, ex, fb);
	put16(enc + 2 + fb, fb);
	memcpy(enc + 4 + fb, ey, fb);
	*enc_len = 4 + 2 * fb;
	rc = 0;
out:
	explicit_bzero(z, sizeof(z));
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	return rc;
}

static const EVP_CIPHER *ek_cipher(const tpmq_key *ek, uint16_t *bits)
{
	const TPMT_SYM_DEF_OBJECT *sym = ek->pub.type == TPM2_ALG_RSA
						 ? &ek->pub.parameters.rsaDetail.symmetric
						 : &ek->pub.parameters.eccDetail.symmetric;

	*bits = sym->keyBits.aes;
	if (sym->algorithm != TPM2_ALG_AES || sym->mode.aes != TPM2_ALG_CFB)
		return NULL;
	switch (sym->keyBits.aes) {
	case 128:
		return EVP_aes_128_cfb128();
	case 192:
		return EVP_aes_192_cfb128();
	case 256:
		return EVP_aes_256_cfb128();
	default:
		return NULL;
	}
}

static int check_inputs(const tpmq_key *ek, const uint8_t *ak_name, size_t ak_name_len,
			size_t secret_len, size_t dsize, struct eph_err *err)
{
	uint16_t nalg;

	if (!ek->has_public)
		return eph_err_set(err, EPH_EPOLICY,
				   "MakeCredential: a bare PEM key is no EK (need its TPM2B_PUBLIC)");
	if (dsize == 0 || tpmq__md(ek->pub.nameAlg) == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED, "MakeCredential: EK nameAlg 0x%04x",
				   ek->pub.nameAlg);
	if (ak_name_len < 2)
		return eph_err_set(err, EPH_EFORMAT, "MakeCredential: AK name of %zu bytes",
				   ak_name_len);
	nalg = (uint16_t)(ak_name[0] << 8 | ak_name[1]);
	if (eph_hash_size(nalg) == 0 || eph_hash_size(nalg) + 2 != ak_name_len)
		return eph_err_set(err, EPH_EFORMAT,
				   "MakeCredential: AK name of %zu bytes with nameAlg 0x%04x",
				   ak_name_len, nalg);
	/* Part 3, 12.6.1: the credential is at most a nameAlg digest. */
	if (secret_len == 0 || secret_len > dsize)
		return eph_err_set(err, EPH_EFORMAT,
				   "MakeCredential: secret of %zu bytes, 1..%zu for this EK",
				   secret_len, dsize);
	return 0;
}

int tpmq_make_credential(uint8_t **id_object, size_t *id_object_len, uint8_t **enc_secret,
			 size_t *enc_secret_len, const tpmq_key *ek, const uint8_t *ak_name,
			 size_t ak_name_len, const uint8_t *secret, size_t secret_len,
			 struct eph_err *err)
{
	uint8_t seed[SEED_MAX], symkey[32], hmackey[SEED_MAX], hmac[SEED_MAX];
	uint8_t plain[2 + SEED_MAX], enc[2 + ENC_SECRET_MAX];
	uint8_t iv[16] = {0};
	uint8_t *idobj = NULL, *es = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	const EVP_CIPHER *cipher;
	const EVP_MD *md;
	size_t dsize, enc_len = 0, plain_len, idlen;
	uint16_t nalg, symbits = 0;
	int outl = 0, fl = 0, rc;

	*id_object = *enc_secret = NULL;
	*id_object_len = *enc_secret_len = 0;
	nalg = ek->has_public ? ek->pub.nameAlg : 0;
	dsize = eph_hash_size(nalg);
	rc = check_inputs(ek, ak_name, ak_name_len, secret_len, dsize, err);
	if (rc < 0)
		return rc;
	md = tpmq__md(nalg);
	cipher = ek_cipher(ek, &symbits);
	if (cipher == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED,
				   "MakeCredential: EK symmetric is not AES-CFB 128/192/256");

	if (ek->pub.type == TPM2_ALG_RSA)
		rc = rsa_seed(seed, dsize, enc + 2, &enc_len, ek, md, err);
	else if (ek->pub.type == TPM2_ALG_ECC)
		rc = ecc_seed(seed, dsize, enc + 2, &enc_len, ek, err);
	else
		rc = eph_err_set(err, EPH_EUNSUPPORTED, "MakeCredential: EK type 0x%04x",
				 ek->pub.type);
	if (rc < 0)
		goto out;
	put16(enc, enc_len);

	if (tpmq__kdfa(symkey, nalg, seed, dsize, "STORAGE", ak_name, ak_name_len, NULL, 0,
		       symbits) < 0 ||
	    tpmq__kdfa(hmackey, nalg, seed, dsize, "INTEGRITY", NULL, 0, NULL, 0,
		       (uint32_t)(dsize * 8)) < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: KDFa failed");
		goto out;
	}

	/* idobj = size | TPM2B_DIGEST(outerHMAC) | encIdentity */
	plain_len = 2 + secret_len;
	idlen = 2 + 2 + dsize + plain_len;
	idobj = calloc(idlen, 1);
	es = calloc(2 + enc_len, 1);
	cctx = EVP_CIPHER_CTX_new();
	if (idobj == NULL || es == NULL || cctx == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "MakeCredential: out of memory");
		goto out;
	}
	put16(plain, secret_len);
	memcpy(plain + 2, secret, secret_len);
	if (EVP_EncryptInit_ex(cctx, cipher, NULL, symkey, iv) != 1 ||
	    EVP_EncryptUpdate(cctx, idobj + 4 + dsize, &outl, plain, (int)plain_len) != 1 ||
	    EVP_EncryptFinal_ex(cctx, idobj + 4 + dsize + outl, &fl) != 1 ||
	    (size_t)(outl + fl) != plain_len) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: AES-CFB failed");
		goto out;
	}
	if (tpmq__hmac(hmac, nalg, hmackey, dsize, idobj + 4 + dsize, plain_len, ak_name,
		       ak_name_len) < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "MakeCredential: HMAC failed");
		goto out;
	}
	put16(idobj, idlen - 2);
	put16(idobj + 2, dsize);
	memcpy(idobj + 4, hmac, dsize);
	memcpy(es, enc, 2 + enc_len);

	*id_object = idobj;
	*id_object_len = idlen;
	*enc_secret = es;
	*enc_secret_len = 2 + enc_len;
	idobj = es = NULL;
	rc = 0;
out:
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(symkey, sizeof(symkey));
	explicit_bzero(hmackey, sizeof(hmackey));
	explicit_bzero(plain, sizeof(plain));
	EVP_CIPHER_CTX_free(cctx);
	free(idobj);
	free(es);
	return rc;
}
