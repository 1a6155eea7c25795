/*
 * makecred_test.c - tpmq_make_credential against a software
 * ActivateCredential written here from the spec (TPM 2.0 Part 1, 24) with
 * OpenSSL's own KDFs (KBKDF counter/HMAC = KDFa, SSKDF = KDFe) rather than
 * the library's, for RSA-2048 and ECC P-256 EKs generated in the test:
 * the secret comes back; another AK name, another EK, or a flipped byte
 * makes the integrity HMAC (or the seed) fail, as the TPM would.
 */
#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "tq.h"

static const uint8_t secret[32] = "a 32-byte credential secret!....";

static void kbkdf(uint8_t *out, size_t out_len, const uint8_t *key, size_t key_len,
		  const char *label, const uint8_t *ctx, size_t ctx_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[7], *q = p;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, "HMAC", 0);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, "counter", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label,
						 strlen(label));
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)ctx, ctx_len);
	*q = OSSL_PARAM_construct_end();
	cr_assert_eq(EVP_KDF_derive(k, out, out_len, p), 1);
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
}

/* Software TPM2_ActivateCredential with the EK's private key. Returns 0
 * and the secret, or -1 where the TPM would return TPM_RC_INTEGRITY. */
static int activate(uint8_t *out, size_t *out_len, EVP_PKEY *ek_priv, const TPMT_PUBLIC *ekpub,
		    const uint8_t *name, size_t name_len, const uint8_t *idobj, size_t idlen,
		    const uint8_t *es, size_t eslen)
{
	/* seed: OpenSSL wants an RSA-size buffer for OAEP decryption. */
	uint8_t seed[512], symkey[16], hmackey[32], hmac[32], iv[16] = {0}, plain[64];
	size_t seed_len = sizeof(seed), hl;
	unsigned int mdl = 0;
	EVP_CIPHER_CTX *c;
	int outl = 0;

	cr_assert_eq((size_t)(es[0] << 8 | es[1]) + 2, eslen);
	if (ekpub->type == TPM2_ALG_RSA) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ek_priv, NULL);

		cr_assert_eq(EVP_PKEY_decrypt_init(ctx), 1);
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()), 1);
		cr_assert_eq(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_memdup("IDENTITY", 9),
							      9),
			     1);
		if (EVP_PKEY_decrypt(ctx, seed, &seed_len, es + 2, eslen - 2) != 1) {
			EVP_PKEY_CTX_free(ctx);
			return -1;
		}
		EVP_PKEY_CTX_free(ctx);
	} else {
		/* es = size | x size | x | y size | y: the ephemeral point. */
		uint8_t pt[65] = {0x04}, z[32], info[9 + 64];
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		EVP_PKEY *eph = NULL;
		OSSL_PARAM *params, kp[4];
		EVP_KDF *kdf;
		EVP_KDF_CTX *k;
		size_t zl = sizeof(z);

		cr_assert_eq(eslen, 2 + 2 + 32 + 2 + 32);
		memcpy(pt + 1, es + 4, 32);
		memcpy(pt + 33, es + 4 + 32 + 2, 32);
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 65);
		params = OSSL_PARAM_BLD_to_param(bld);
		cr_assert_eq(EVP_PKEY_fromdata_init(ctx), 1);
		cr_assert_eq(EVP_PKEY_fromdata(ctx, &eph, EVP_PKEY_PUBLIC_KEY, params), 1);
		EVP_PKEY_CTX_free(ctx);
		ctx = EVP_PKEY_CTX_new(ek_priv, NULL);
		cr_assert_eq(EVP_PKEY_derive_init(ctx), 1);
		cr_assert_eq(EVP_PKEY_derive_set_peer(ctx, eph), 1);
		cr_assert_eq(EVP_PKEY_derive(ctx, z, &zl), 1);
		/* KDFe: H(counter || Z || "IDENTITY\0" || e.x || EK.x) */
		memcpy(info, "IDENTITY", 9);
		memcpy(info + 9, es + 4, 32);
		memcpy(info + 41, ekpub->unique.ecc.x.buffer, 32);
		kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
		k = EVP_KDF_CTX_new(kdf);
		kp[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
		kp[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, zl);
		kp[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info));
		kp[3] = OSSL_PARAM_construct_end();
		seed_len = 32;
		cr_assert_eq(EVP_KDF_derive(k, seed, seed_len, kp), 1);
		EVP_KDF_CTX_free(k);
		EVP_KDF_free(kdf);
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(eph);
		OSSL_PARAM_free(params);
		OSSL_PARAM_BLD_free(bld);
	}
	cr_assert_eq(seed_len, 32);

	/* idobj = size | hmac size | hmac | encIdentity */
	cr_assert_eq((size_t)(idobj[0] << 8 | idobj[1]) + 2, idlen);
	hl = (size_t)(idobj[2] << 8 | idobj[3]);
	cr_assert_eq(hl, 32);
	kbkdf(hmackey, 32, seed, seed_len, "INTEGRITY", NULL, 0);
	{
		uint8_t *m = malloc(idlen + name_len);

		memcpy(m, idobj + 4 + hl, idlen - 4 - hl);
		memcpy(m + idlen - 4 - hl, name, name_len);
		cr_assert_not_null(HMAC(EVP_sha256(), hmackey, 32, m, idlen - 4 - hl + name_len,
					hmac, &mdl));
		free(m);
	}
	if (CRYPTO_memcmp(hmac, idobj + 4, 32) != 0)
		return -1;
	kbkdf(symkey, 16, seed, seed_len, "STORAGE", name, name_len);
	c = EVP_CIPHER_CTX_new();
	cr_assert_eq(EVP_DecryptInit_ex(c, EVP_aes_128_cfb128(), NULL, symkey, iv), 1);
	cr_assert_eq(EVP_DecryptUpdate(c, plain, &outl, idobj + 4 + hl, (int)(idlen - 4 - hl)), 1);
	EVP_CIPHER_CTX_free(c);
	cr_assert_eq((size_t)(plain[0] << 8 | plain[1]) + 2, (size_t)outl);
	*out_len = (size_t)outl - 2;
	memcpy(out, plain + 2, *out_len);
	return 0;
}

static void round_trip(EVP_PKEY *ek_priv)
{
	struct eph_err err = {{0}};
	uint8_t pub[1024], name[TPMQ_NAME_MAX], got[64];
	uint8_t *idobj = NULL, *es = NULL;
	size_t idlen = 0, eslen = 0, nl = 0, gl = 0, n;
	EVP_PKEY *akpk = tq_gen_ec("P-256");
	tpmq_key *ek = NULL, *ak = tq_key(akpk, TQ_AK_ATTRS, TPM2_ALG_ECDSA, TPM2_ALG_SHA256, 0);
	TPMT_PUBLIC ekpub;

	tq_tpmt(&ekpub, ek_priv, TQ_EK_ATTRS, TPM2_ALG_SHA256, TPM2_ALG_NULL, 0, 1);
	n = tq_marshal_public(pub, sizeof(pub), &ekpub);
	cr_assert_eq(tpmq_key_from_public(&ek, pub, n, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_check_ek(ek, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_name(name, &nl, ak, &err), 0);

	cr_assert_eq(tpmq_make_credential(&idobj, &idlen, &es, &eslen, ek, name, nl, secret,
					  sizeof(secret), &err),
		     0, "%s", err.msg);
	cr_assert_eq(idlen, 2 + 2 + 32 + 2 + sizeof(secret));
	cr_assert_eq(activate(got, &gl, ek_priv, &ekpub, name, nl, idobj, idlen, es, eslen), 0,
		     "software ActivateCredential fails the integrity check");
	cr_assert_eq(gl, sizeof(secret));
	cr_assert_arr_eq(got, secret, sizeof(secret));

	/* Another AK name: the TPM refuses (TPM_RC_INTEGRITY). */
	name[5] ^= 1;
	cr_assert_eq(activate(got, &gl, ek_priv, &ekpub, name, nl, idobj, idlen, es, eslen), -1);
	name[5] ^= 1;
	/* A flipped byte of encIdentity or the HMAC. */
	idobj[idlen - 1] ^= 1;
	cr_assert_eq(activate(got, &gl, ek_priv, &ekpub, name, nl, idobj, idlen, es, eslen), -1);
	idobj[idlen - 1] ^= 1;
	idobj[4] ^= 1;
	cr_assert_eq(activate(got, &gl, ek_priv, &ekpub, name, nl, idobj, idlen, es, eslen), -1);
	idobj[4] ^= 1;

	/* Fresh randomness per call: same inputs, other outputs. */
	{
		uint8_t *id2 = NULL, *es2 = NULL;
		size_t l2, e2;

		cr_assert_eq(tpmq_make_credential(&id2, &l2, &es2, &e2, ek, name, nl, secret, 16,
						  &err),
			     0);
		cr_assert_eq(activate(got, &gl, ek_priv, &ekpub, name, nl, id2, l2, es2, e2), 0);
		cr_assert_eq(gl, 16);
		cr_assert(e2 != eslen || memcmp(es2, es, eslen) != 0);
		free(id2);
		free(es2);
	}
	free(idobj);
	free(es);
	tpmq_key_free(ek);
	tpmq_key_free(ak);
	EVP_PKEY_free(akpk);
}

Test(tpmq_makecred, rsa2048_ek_round_trip)
{
	EVP_PKEY *ek = tq_gen_rsa(2048);

	round_trip(ek);
	EVP_PKEY_free(ek);
}

Test(tpmq_makecred, ecc_p256_ek_round_trip)
{
	EVP_PKEY *ek = tq_gen_ec("P-256");

	round_trip(ek);
	EVP_PKEY_free(ek);
}

Test(tpmq_makecred, made_for_another_ek_fails)
{
	struct eph_err err = {{0}};
	EVP_PKEY *ek1 = tq_gen_rsa(2048), *ek2 = tq_gen_rsa(2048);
	tpmq_key *ek = tq_key(ek1, TQ_EK_ATTRS, TPM2_ALG_NULL, 0, 1);
	uint8_t name[34] = {0x00, 0x0b}, got[64], *idobj = NULL, *es = NULL;
	size_t idlen, eslen, gl;
	TPMT_PUBLIC p2;

	tq_tpmt(&p2, ek2, TQ_EK_ATTRS, TPM2_ALG_SHA256, TPM2_ALG_NULL, 0, 1);
	cr_assert_eq(tpmq_make_credential(&idobj, &idlen, &es, &eslen, ek, name, 34, secret, 20,
					  &err),
		     0, "%s", err.msg);
	cr_assert_eq(activate(got, &gl, ek2, &p2, name, 34, idobj, idlen, es, eslen), -1);
	free(idobj);
	free(es);
	tpmq_key_free(ek);
	EVP_PKEY_free(ek1);
	EVP_PKEY_free(ek2);
}

Test(tpmq_makecred, bad_inputs)
{
	struct eph_err err = {{0}};
	EVP_PKEY *pk = tq_gen_rsa(2048);
	tpmq_key *ek = tq_key(pk, TQ_EK_ATTRS, TPM2_ALG_NULL, 0, 1), *pem = NULL;
	tpmq_key *nosym = tq_key(pk, TQ_EK_ATTRS, TPM2_ALG_NULL, 0, 0);
	uint8_t name[34] = {0x00, 0x0b}, big[33] = {0}, *idobj = NULL, *es = NULL;
	size_t idlen, eslen;
	char *s = NULL;

	cr_assert_eq(tpmq_make_credential(&idobj, &idlen, &es, &eslen, ek, name, 34, big, 33, &err),
		     EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "secret of 33 bytes"), "%s", err.msg);
	cr_assert_eq(tpmq_make_credential(&idobj, &idlen, &es, &eslen, ek, name, 34, big, 0, &err),
		     EPH_EFORMAT);
	cr_assert_eq(tpmq_make_credential(&idobj, &idlen, &es, &eslen, ek, name, 33, big, 8, &err),
		     EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "AK name"), "%s", err.msg);
	cr_assert_eq(tpmq_make_credential(&idobj, &idlen, &es, &eslen, nosym, name, 34, big, 8,
					  &err),
		     EPH_EUNSUPPORTED);
	cr_assert_eq(tpmq_key_to_pem(&s, ek, &err), 0);
	cr_assert_eq(tpmq_key_from_pem(&pem, (uint8_t *)s, strlen(s), &err), 0);
	cr_assert_eq(tpmq_make_credential(&idobj, &idlen, &es, &eslen, pem, name, 34, big, 8, &err),
		     EPH_EPOLICY);
	cr_assert_null(idobj);
	cr_assert_null(es);
	free(s);
	tpmq_key_free(pem);
	tpmq_key_free(nosym);
	tpmq_key_free(ek);
	EVP_PKEY_free(pk);
}
