/*
 * rfc_test.c - spec test vectors: RFC 8392 Appendix A.3 "Example Signed
 * CWT" verified with the key of Appendix A.2.3, RFC 8392 Appendix A.1 as a
 * cross-check of the transcription, and the RFC 9679 section 6 thumbprint.
 * The hex is transcribed from the RFC text, line breaks as printed there.
 */
#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <string.h>

#include "ct.h"

/* RFC 8392 Appendix A.3, Figure 10. */
static const char a3_hex[] =
	"d28443a10126a104524173796d6d657472696345434453413235365850a701756"
	"36f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f"
	"61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d"
	"9f0061a5610d9f007420b7158405427c1ff28d23fbad1f29c4c7c6a555e601d6f"
	"a29f9179bc3d7438bacaca5acd08c8d4d4f96131680c429a01f85951ecee743a5"
	"2b9b63632c57209120e1c9e30";

/* RFC 8392 Appendix A.1, Figure 2: the claims set, i.e. A.3's payload. */
static const char a1_hex[] =
	"a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b7703"
	"7818636f61703a2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0"
	"051a5610d9f0061a5610d9f007420b71";

/* RFC 8392 Appendix A.2.3, Figure 8: {-4: d, -3: y, -2: x, -1: 1, 1: 2, 2: kid, 3: -7}. */
static const char a23_hex[] =
	"a72358206c1382765aec5358f117733d281c1c7bdc39884d04a45a1e6c67c858"
	"bc206c1922582060f7f1a780d8a783bfb7a2dd6b2796e8128dbbcef9d3d168db"
	"9529971a36e7b9215820143329cce7868e416927599cf65a34f3ce2ffda55a7e"
	"ca69ed8919a394d42f0f2001010202524173796d6d6574726963454344534132"
	"35360326";

#define A3_ISS "coap://as.example.com"
#define A3_KID "AsymmetricECDSA256"
#define A3_NOW 1444000000 /* between nbf 1443944944 and exp 1444064944 */

static struct ct_buf a3, a23;

static void load(void)
{
	memset(&a3, 0, sizeof(a3));
	memset(&a23, 0, sizeof(a23));
	ct_hex(&a3, a3_hex);
	ct_hex(&a23, a23_hex);
	cr_assert_eq(a3.n, 175);
	cr_assert_eq(a23.n, 132);
	/* The labels around the three 32-byte values of A.2.3. */
	cr_assert(memcmp(a23.b, "\xa7\x23\x58\x20", 4) == 0);
	cr_assert(memcmp(a23.b + 36, "\x22\x58\x20", 3) == 0);
	cr_assert(memcmp(a23.b + 71, "\x21\x58\x20", 3) == 0);
	cr_assert(memcmp(a23.b + 106, "\x20\x01\x01\x02\x02\x52", 6) == 0);
	cr_assert(memcmp(a23.b + 112, A3_KID "\x03\x26", 20) == 0);
}

/* The A.2.3 key; with its private scalar when priv. */
static EVP_PKEY *a23_key(int priv)
{
	const uint8_t *d = a23.b + 4, *y = a23.b + 39, *x = a23.b + 74;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM *params;
	EVP_PKEY *k = NULL;
	BIGNUM *bn = BN_bin2bn(d, 32, NULL);
	uint8_t pub[65];

	pub[0] = 0x04;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	cr_assert(bld && ctx && bn);
	cr_assert(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0));
	cr_assert(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)));
	if (priv)
		cr_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn));
	params = OSSL_PARAM_BLD_to_param(bld);
	cr_assert_not_null(params);
	cr_assert_eq(EVP_PKEY_fromdata_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_fromdata(ctx, &k, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
				       params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(bn);
	return k;
}

static cwt_trust *a3_trust(int with_kid)
{
	struct eph_err err = { { 0 } };
	EVP_PKEY *k = a23_key(0);
	cwt_trust *t = NULL;

	cr_assert_eq(cwt_trust_new(&t, &err), 0);
	cr_assert_eq(cwt_trust_add(t, A3_ISS, k, with_kid ? (const uint8_t *)A3_KID : NULL,
				   with_kid ? strlen(A3_KID) : 0, &err), 0, "%s", err.msg);
	EVP_PKEY_free(k);
	return t;
}

static int verify_a3(const uint8_t *tok, size_t len, time_t now, unsigned leeway, int with_kid,
		     struct cwt_claims *c, struct eph_err *err)
{
	cwt_trust *t = a3_trust(with_kid);
	int rc = cwt_verify_ex(c, t, tok, len, now, leeway, CWT_VERIFY_STANDARD_ONLY, err);

	cwt_trust_free(t);
	return rc;
}

TestSuite(rfc, .init = load);

Test(rfc, a1_is_the_payload_of_a3)
{
	struct ct_buf a1 = { .n = 0 };

	ct_hex(&a1, a1_hex);
	cr_assert_eq(a1.n, 80);
	/* d2 84 43 a10126 a1 04 52 <18> 58 50 <80 bytes> 58 40 <64 bytes> */
	cr_assert(memcmp(a3.b + 27, "\x58\x50", 2) == 0);
	cr_assert(memcmp(a3.b + 29, a1.b, 80) == 0);
	cr_assert(memcmp(a3.b + 109, "\x58\x40", 2) == 0);
}

Test(rfc, a23_private_key_matches_public_key)
{
	EVP_PKEY *k = a23_key(1);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);

	cr_assert_eq(EVP_PKEY_pairwise_check(ctx), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
}

Test(rfc, a3_verifies_with_a23_key)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims c;

	cr_assert_eq(verify_a3(a3.b, a3.n, A3_NOW, 0, 1, &c, &err), 0, "%s", err.msg);
	cr_assert_str_eq(c.iss, A3_ISS);
	cr_assert_str_eq(c.sub, "erikw");
	cr_assert_str_eq(c.aud, "coap://light.example.com");
	cr_assert_eq(c.exp, 1444064944);
	cr_assert_eq(c.nbf, 1443944944);
	cr_assert_eq(c.iat, 1443944944);
	cr_assert_str_eq(c.cti_hex, "0b71");
	cr_assert_eq(c.alg, -7);
	cr_assert_str_eq(c.kid_hex, "4173796d6d65747269634543445341323536");
	cr_assert_eq(c.present & CWT_HAS_ROLE, 0);
}

Test(rfc, a3_validity_window_edges)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims c;

	cr_assert_eq(verify_a3(a3.b, a3.n, 1443944944, 0, 1, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(verify_a3(a3.b, a3.n, 1444064943, 0, 1, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(verify_a3(a3.b, a3.n, 1444064944, 0, 1, &c, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "expired") != NULL, "%s", err.msg);
	cr_assert_eq(c.present, 0, "claims are zeroed on failure");
	cr_assert_eq(verify_a3(a3.b, a3.n, 1444064944 + 29, 30, 1, &c, &err), 0, "%s", err.msg);
	cr_assert_eq(verify_a3(a3.b, a3.n, 1443944943, 0, 1, &c, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "not yet valid") != NULL, "%s", err.msg);
	cr_assert_eq(verify_a3(a3.b, a3.n, 1443944943, 1, 1, &c, &err), 0, "%s", err.msg);
}

Test(rfc, a3_needs_ephemera_claims_in_full_mode)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims c;
	cwt_trust *t = a3_trust(1);

	cr_assert_eq(cwt_verify(&c, t, a3.b, a3.n, A3_NOW, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "role (-65537): missing") != NULL, "%s", err.msg);
	cwt_trust_free(t);
}

Test(rfc, a3_untagged_and_cwt_tagged)
{
	struct eph_err err = { { 0 } };
	struct ct_buf b = { .n = 0 };
	struct cwt_claims c;

	/* Without tag 18. */
	cr_assert_eq(verify_a3(a3.b + 1, a3.n - 1, A3_NOW, 0, 1, &c, &err), 0, "%s", err.msg);
	/* 61(18(...)) */
	ct_hex(&b, "d8 3d");
	ct_raw(&b, a3.b, a3.n);
	cr_assert_eq(verify_a3(b.b, b.n, A3_NOW, 0, 1, &c, &err), 0, "%s", err.msg);
	/* 61([...]): RFC 8392 section 6 wants a COSE tag inside. */
	b.n = 0;
	ct_hex(&b, "d8 3d");
	ct_raw(&b, a3.b + 1, a3.n - 1);
	cr_assert_eq(verify_a3(b.b, b.n, A3_NOW, 0, 1, &c, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "tag 61") != NULL, "%s", err.msg);
}

Test(rfc, a3_kid_must_name_the_key)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims c;

	/* Trusted without the extra kid: "AsymmetricECDSA256" is neither the
	 * thumbprint nor the issuer name. */
	cr_assert_eq(verify_a3(a3.b, a3.n, A3_NOW, 0, 0, &c, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "kid") != NULL, "%s", err.msg);
}

Test(rfc, a3_every_signed_bit_matters)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims c;
	size_t i;
	int bit;

	for (i = 0; i < a3.n; i++) {
		/* Bytes 6..26 are the unprotected {4: kid}: not signed by design. */
		if (i >= 6 && i <= 26)
			continue;
		for (bit = 0; bit < 8; bit++) {
			a3.b[i] ^= (uint8_t)(1u << bit);
			cr_assert_lt(verify_a3(a3.b, a3.n, A3_NOW, 0, 1, &c, &err), 0,
				     "byte %zu bit %d flipped still verifies", i, bit);
			a3.b[i] ^= (uint8_t)(1u << bit);
		}
	}
}

Test(rfc, rfc9679_thumbprint)
{
	static const char x_hex[] = "65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d";
	static const char y_hex[] = "1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c";
	struct ct_buf pub = { .n = 0 };
	struct eph_err err = { { 0 } };
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	uint8_t th[32];
	char hex[65];

	ct_hex(&pub, "04");
	ct_hex(&pub, x_hex);
	ct_hex(&pub, y_hex);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub.b, pub.n);
	params[2] = OSSL_PARAM_construct_end();
	cr_assert_eq(EVP_PKEY_fromdata_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
	cr_assert_eq(cwt_key_thumbprint(th, k, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", th[i]);
	cr_assert_str_eq(hex, "496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec");
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
}
