/*
 * eph_hash.c - algorithm table and EVP one-shot hashing.
 *
 * EVP_MD objects are fetched once and cached: OpenSSL 3 looks a digest up
 * through its provider on every EVP_get_digestbyname/EVP_MD_fetch, which would
 * dominate replaying a log of thousands of small events.
 */
#include "eph_hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

struct alg_info {
	uint16_t id;
	uint16_t size;
	const char *name;     /* tpm2-tools spelling */
	const char *ossl;     /* OpenSSL fetch name */
};

static const struct alg_info algs[] = {
	{EPH_ALG_SHA1, 20, "sha1", "SHA1"},
	{EPH_ALG_SHA256, 32, "sha256", "SHA256"},
	{EPH_ALG_SHA384, 48, "sha384", "SHA384"},
	{EPH_ALG_SHA512, 64, "sha512", "SHA512"},
	{EPH_ALG_SM3_256, 32, "sm3_256", "SM3"},
	{EPH_ALG_SHA3_256, 32, "sha3_256", "SHA3-256"},
	{EPH_ALG_SHA3_384, 48, "sha3_384", "SHA3-384"},
	{EPH_ALG_SHA3_512, 64, "sha3_512", "SHA3-512"},
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

static EVP_MD *mds[NALGS];
static pthread_once_t mds_once = PTHREAD_ONCE_INIT;

static void fetch_mds(void)
{
	size_t i;

	/* A digest this OpenSSL lacks (SM3 in FIPS builds) stays NULL. */
	for (i = 0; i < NALGS; i++)
		mds[i] = EVP_MD_fetch(NULL, algs[i].ossl, NULL);
}

static int find(uint16_t alg)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (algs[i].id == alg)
			return (int)i;
	return -1;
}

size_t eph_hash_size(uint16_t alg)
{
	int i = find(alg);

	return i < 0 ? 0 : algs[i].size;
}

const char *eph_hash_name(uint16_t alg)
{
	int i = find(alg);

	return i < 0 ? NULL : algs[i].name;
}

uint16_t eph_hash_from_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (strlen(algs[i].name) == len && memcmp(algs[i].name, name, len) == 0)
			return algs[i].id;
	return 0;
}

static const EVP_MD *md_for(uint16_t alg)
{
	int i = find(alg);

	if (i < 0)
		return NULL;
	pthread_once(&mds_once, fetch_mds);
	return mds[i];
}

int eph_hash(uint16_t alg, const void *data, size_t len, uint8_t *out)
{
	const EVP_MD *md = md_for(alg);
	unsigned int outlen = 0;

	if (md == NULL)
		return -1;
	if (EVP_Digest(data, len, out, &outlen, md, NULL) != 1)
		return -1;
	return 0;
}

int eph_hash_extend(uint16_t alg, uint8_t *pcr, const uint8_t *digest)
{
	const EVP_MD *md = md_for(alg);
	size_t size = eph_hash_size(alg);
	EVP_MD_CTX *ctx = NULL;
	unsigned int outlen = 0;
	int rc = -1;

	if (md == NULL)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -1;
	if (EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, pcr, size) == 1 &&
	    EVP_DigestUpdate(ctx, digest, size) == 1 && EVP_DigestFinal_ex(ctx, pcr, &outlen) == 1)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

int eph_bind_report_data(uint8_t out[64], const uint8_t *nonce, size_t nonce_len,
			 const uint8_t *ak_name, size_t ak_name_len)
{
	const EVP_MD *md = md_for(EPH_ALG_SHA512);
	EVP_MD_CTX *ctx = NULL;
	unsigned int outlen = 0;
	int rc = -1;

	if (md == NULL)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -1;
	if (EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, nonce, nonce_len) == 1 &&
	    EVP_DigestUpdate(ctx, ak_name, ak_name_len) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &outlen) == 1 && outlen == 64)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}
