/*
 * crypto.c - the small pieces of cryptography and formatting that the
 * other libtdx files share: a P-256 key from raw x || y, ECDSA P-256 /
 * SHA-256 verification of a raw r || s signature (the encoding of every
 * signature in a DCAP quote; Intel SGX ECDSA Quote Library API, A.4), the
 * short hex used in messages, and the UTC timestamps of Intel's JSON.
 *
 * Not here: certificates (pck.c), trust (trust.c).
 */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <string.h>

#include "eph_hex.h"
#include "tdx-priv.h"

void tdx__hex_short(char out[TDX__HEX_SHORT], const uint8_t *p, size_t n)
{
	if (n <= 12) {
		eph_hex_encode(out, TDX__HEX_SHORT, p, n);
		return;
	}
	eph_hex_encode(out, 13, p, 6);
	memcpy(out + 12, "..", 2);
	eph_hex_encode(out + 14, TDX__HEX_SHORT - 14, p + n - 4, 4);
}

int tdx__p256_key(EVP_PKEY **out, const uint8_t xy[64], const char *what, struct eph_err *err)
{
	uint8_t point[65];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int rc = -1;

	*out = NULL;
	point[0] = 0x04; /* uncompressed SEC1 point */
	memcpy(point + 1, xy, 64);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
		goto fail;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto fail;
	if (EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		*out = NULL;
		rc = eph_err_set(err, EPH_EVERIFY, "TDX quote: %s is not a point on P-256", what);
		goto out;
	}
	rc = 0;
	goto out;
fail:
	rc = eph_err_set(err, EPH_EFAIL, "TDX quote: OpenSSL failed building the %s", what);
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

int tdx__ecdsa_verify(EVP_PKEY *key, const uint8_t sig[64], const uint8_t *msg, size_t len,
                      const char *what, struct eph_err *err)
{
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int der_len, v, rc = -1;

	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		rc = eph_err_set(err, EPH_ENOMEM, "TDX quote: out of memory checking the %s", what);
		goto out;
	}
	r = s = NULL; /* owned by es now */
	der_len = i2d_ECDSA_SIG(es, &der);
	md = EVP_MD_CTX_new();
	if (der_len <= 0 || md == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) <= 0) {
		rc = eph_err_set(err, EPH_EFAIL, "TDX quote: OpenSSL failed checking the %s", what);
		goto out;
	}
	v = EVP_DigestVerify(md, der, (size_t)der_len, msg, len);
	if (v != 1) {
		rc = eph_err_set(err, EPH_EVERIFY, "TDX quote: %s does not verify", what);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	return rc;
}

static int digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int tdx__parse_time(time_t *t, const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, se;
	time_t v;

	/* YYYY-MM-DDTHH:MM:SSZ, optionally with fractional seconds before Z */
	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0 ||
	    digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &se) < 0)
		return -1;
	if (s[19] == '.') {
		const char *p = s + 20;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == s + 20 || strcmp(p, "Z") != 0)
			return -1;
	} else if (strcmp(s + 19, "Z") != 0) {
		return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	v = timegm(&tm);
	if (v == (time_t)-1)
		return -1;
	*t = v;
	return 0;
}
