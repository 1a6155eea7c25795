/*
 * tpmq_crypto.c - cryptographic building blocks of the broker side: cached
 * digests and HMAC, the TPM's KDFa and KDFe, and TPM curve ids.
 *
 * KDFa (TPM 2.0 Part 1, 11.4.10.2), SP800-108 counter mode with HMAC:
 *   K(i) = HMAC(key, [i]32 || label || 00 || contextU || contextV || [bits]32)
 *   e.g. KDFa(sha256, seed, "STORAGE", name, -, 128):
 *        HMAC(seed, 00000001 53544f52414745 00 000b2d3f..2336 00000080)[0..15]
 * KDFe (TPM 2.0 Part 1, 11.4.10.3), SP800-56A 5.8.1 concatenation KDF:
 *   K(i) = H([i]32 || Z || label || 00 || partyUInfo || partyVInfo)
 *
 * Both produce bits/8 bytes (bits a multiple of 8, as every use here is).
 * Not here: the protocols that use them (makecred.c).
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

#include "tpmq-priv.h"

static const struct {
	uint16_t alg;
	const char *ossl;
} md_names[] = {
	{EPH_ALG_SHA1, "SHA1"},
	{EPH_ALG_SHA256, "SHA256"},
	{EPH_ALG_SHA384, "SHA384"},
	{EPH_ALG_SHA512, "SHA512"},
};
#define NMDS (sizeof(md_names) / sizeof(md_names[0]))

static EVP_MD *mds[NMDS];
static EVP_MAC *hmac_mac;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	size_t i;

	for (i = 0; i < NMDS; i++)
		mds[i] = EVP_MD_fetch(NULL, md_names[i].ossl, NULL);
	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

const EVP_MD *tpmq__md(uint16_t alg)
{
	size_t i;

	pthread_once(&fetch_once, fetch_all);
	for (i = 0; i < NMDS; i++)
		if (md_names[i].alg == alg)
			return mds[i];
	return NULL;
}

int tpmq__hmac(uint8_t *out, uint16_t alg, const uint8_t *key, size_t key_len, const uint8_t *a,
	       size_t a_len, const uint8_t *b, size_t b_len)
{
	const EVP_MD *md = tpmq__md(alg);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int rc = -1;

	if (md == NULL || hmac_mac == NULL)
		return -1;
	ctx = EVP_MAC_CTX_new(hmac_mac);
	if (ctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1)
		goto out;
	if (a_len && EVP_MAC_update(ctx, a, a_len) != 1)
		goto out;
	if (b_len && EVP_MAC_update(ctx, b, b_len) != 1)
		goto out;
	if (EVP_MAC_final(ctx, out, &outl, (size_t)EVP_MD_get_size(md)) != 1)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int tpmq__kdfa(uint8_t *out, uint16_t alg, const uint8_t *key, size_t key_len, const char *label,
	       const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len, uint32_t bits)
{
	const EVP_MD *md = tpmq__md(alg);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	uint8_t block[EVP_MAX_MD_SIZE];
	uint8_t ctr[4], len_be[4];
	size_t want = bits / 8, done = 0, dlen, outl, n;
	uint32_t i;
	int rc = -1;

	if (md == NULL || hmac_mac == NULL || bits % 8 != 0)
		return -1;
	dlen = (size_t)EVP_MD_get_size(md);
	ctx = EVP_MAC_CTX_new(hmac_mac);
	if (ctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_end();
	be32(len_be, bits);
	for (i = 1; done < want; i++) {
		be32(ctr, i);
		/* The label's NUL is the SP800-108 separator byte. */
		if (EVP_MAC_init(ctx, key, key_len, params) != 1 ||
		    EVP_MAC_update(ctx, ctr, 4) != 1 ||
		    EVP_MAC_update(ctx, (const uint8_t *)label, strlen(label) + 1) != 1 ||
		    (u_len && EVP_MAC_update(ctx, u, u_len) != 1) ||
		    (v_len && EVP_MAC_update(ctx, v, v_len) != 1) ||
		    EVP_MAC_update(ctx, len_be, 4) != 1 ||
		    EVP_MAC_final(ctx, block, &outl, sizeof(block)) != 1 || outl != dlen)
			goto out;
		n = want - done < dlen ? want - done : dlen;
		memcpy(out + done, block, n);
		done += n;
	}
	rc = 0;
out:
	explicit_bzero(block, sizeof(block));
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int tpmq__kdfe(uint8_t *out, uint16_t alg, const uint8_t *z, size_t z_len, const char *label,
	       const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len, uint32_t bits)
{
	const EVP_MD *md = tpmq__md(alg);
	EVP_MD_CTX *ctx = NULL;
	uint8_t block[EVP_MAX_MD_SIZE];
	uint8_t ctr[4];
	size_t want = bits / 8, done = 0, dlen, n;
	unsigned int outl;
	uint32_t i;
	int rc = -1;

	if (md == NULL || bits % 8 != 0)
		return -1;
	dlen = (size_t)EVP_MD_get_size(md);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -1;
	for (i = 1; done < want; i++) {
		be32(ctr, i);
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, ctr, 4) != 1 ||
		    EVP_DigestUpdate(ctx, z, z_len) != 1 ||
		    EVP_DigestUpdate(ctx, label, strlen(label) + 1) != 1 ||
		    (u_len && EVP_DigestUpdate(ctx, u, u_len) != 1) ||
		    (v_len && EVP_DigestUpdate(ctx, v, v_len) != 1) ||
		    EVP_DigestFinal_ex(ctx, block, &outl) != 1 || outl != dlen)
			goto out;
		n = want - done < dlen ? want - done : dlen;
		memcpy(out + done, block, n);
		done += n;
	}
	rc = 0;
out:
	explicit_bzero(block, sizeof(block));
	EVP_MD_CTX_free(ctx);
	return rc;
}

const char *tpmq__curve_name(uint16_t curve, size_t *field_bytes)
{
	switch (curve) {
	case TPM2_ECC_NIST_P256:
		*field_bytes = 32;
		return "P-256";
	case TPM2_ECC_NIST_P384:
		*field_bytes = 48;
		return "P-384";
	case TPM2_ECC_NIST_P521:
		*field_bytes = 66;
		return "P-521";
	default:
		*field_bytes = 0;
		return NULL;
	}
}
