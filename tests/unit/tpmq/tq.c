/*
 * tq.c - see tq.h.
 */
#include "tq.h"

#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

/* TCG EK Credential Profile 2.3, B.3.3: PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t ek_policy[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
	0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
	0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

/* tss2-mu logs every malformed input to stderr; the rejection tests feed
 * thousands. Quiet it unless the caller asked for a level. */
__attribute__((constructor)) static void quiet_tss2_log(void)
{
	setenv("TSS2_LOG", "all+NONE", 0);
}

EVP_PKEY *tq_gen_rsa(int bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);

	cr_assert_not_null(k);
	return k;
}

EVP_PKEY *tq_gen_ec(const char *group)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);

	cr_assert_not_null(k);
	return k;
}

const EVP_MD *tq_md(uint16_t alg)
{
	const EVP_MD *md = NULL;

	switch (alg) {
	case TPM2_ALG_SHA1:
		md = EVP_sha1();
		break;
	case TPM2_ALG_SHA256:
		md = EVP_sha256();
		break;
	case TPM2_ALG_SHA384:
		md = EVP_sha384();
		break;
	case TPM2_ALG_SHA512:
		md = EVP_sha512();
		break;
	}
	cr_assert_not_null(md, "hash 0x%04x", alg);
	return md;
}

static void bn_param(EVP_PKEY *k, const char *name, uint8_t *out, uint16_t *size, size_t pad)
{
	BIGNUM *bn = NULL;
	int n;

	cr_assert_eq(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	if (pad) {
		cr_assert_eq(BN_bn2binpad(bn, out, (int)pad), (int)pad);
		*size = (uint16_t)pad;
	} else {
		n = BN_bn2bin(bn, out);
		*size = (uint16_t)n;
	}
	BN_free(bn);
}

void tq_tpmt(TPMT_PUBLIC *pub, EVP_PKEY *pkey, uint32_t attrs, uint16_t name_alg, uint16_t scheme,
	     uint16_t hash, int ek)
{
	TPMT_SYM_DEF_OBJECT sym = {.algorithm = TPM2_ALG_NULL};
	uint8_t e[8];
	uint16_t esz = 0;
	uint32_t ev = 0;
	uint16_t i;

	memset(pub, 0, sizeof(*pub));
	pub->nameAlg = name_alg;
	pub->objectAttributes = attrs;
	if (ek) {
		memcpy(pub->authPolicy.buffer, ek_policy, 32);
		pub->authPolicy.size = 32;
		sym.algorithm = TPM2_ALG_AES;
		sym.keyBits.aes = 128;
		sym.mode.aes = TPM2_ALG_CFB;
	}
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
		pub->type = TPM2_ALG_RSA;
		pub->parameters.rsaDetail.symmetric = sym;
		pub->parameters.rsaDetail.scheme.scheme = scheme;
		pub->parameters.rsaDetail.scheme.details.anySig.hashAlg = hash;
		pub->parameters.rsaDetail.keyBits = (uint16_t)EVP_PKEY_get_bits(pkey);
		bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, e, &esz, 0);
		for (i = 0; i < esz; i++)
			ev = ev << 8 | e[i];
		pub->parameters.rsaDetail.exponent = ev == 65537 ? 0 : ev;
		bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, pub->unique.rsa.buffer, &pub->unique.rsa.size,
			 0);
	} else {
		char group[32];
		size_t fb;

		cr_assert_eq(EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
							    sizeof(group), NULL),
			     1);
		pub->type = TPM2_ALG_ECC;
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			pub->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
			fb = 32;
		} else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			pub->parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
			fb = 48;
		} else {
			cr_assert_fail("group %s", group);
			return;
		}
		pub->parameters.eccDetail.symmetric = sym;
		pub->parameters.eccDetail.scheme.scheme = scheme;
		pub->parameters.eccDetail.scheme.details.anySig.hashAlg = hash;
		pub->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, pub->unique.ecc.x.buffer,
			 &pub->unique.ecc.x.size, fb);
		bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, pub->unique.ecc.y.buffer,
			 &pub->unique.ecc.y.size, fb);
	}
}

size_t tq_marshal_public(uint8_t *out, size_t cap, const TPMT_PUBLIC *pub)
{
	TPM2B_PUBLIC p = {.size = 0, .publicArea = *pub};
	size_t off = 0;

	cr_assert_eq(Tss2_MU_TPM2B_PUBLIC_Marshal(&p, out, cap, &off), TSS2_RC_SUCCESS);
	return off;
}

tpmq_key *tq_key(EVP_PKEY *pkey, uint32_t attrs, uint16_t scheme, uint16_t hash, int ek)
{
	struct eph_err err = {{0}};
	TPMT_PUBLIC pub;
	uint8_t buf[1024];
	tpmq_key *key = NULL;
	size_t n;

	tq_tpmt(&pub, pkey, attrs, TPM2_ALG_SHA256, scheme, hash, ek);
	n = tq_marshal_public(buf, sizeof(buf), &pub);
	cr_assert_eq(tpmq_key_from_public(&key, buf, n, &err), 0, "%s", err.msg);
	return key;
}

size_t tq_attest(uint8_t *out, size_t cap, const uint8_t *nonce, size_t nonce_len,
		 const TPML_PCR_SELECTION *sel, const uint8_t *digest, size_t digest_len,
		 uint64_t clock, uint32_t resets, uint32_t restarts)
{
	TPMS_ATTEST a;
	size_t off = 0;

	memset(&a, 0, sizeof(a));
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.qualifiedSigner.size = 34;
	a.qualifiedSigner.name[1] = 0x0b;
	memset(a.qualifiedSigner.name + 2, 0x5a, 32);
	a.extraData.size = (uint16_t)nonce_len;
	if (nonce_len)
		memcpy(a.extraData.buffer, nonce, nonce_len);
	a.clockInfo.clock = clock;
	a.clockInfo.resetCount = resets;
	a.clockInfo.restartCount = restarts;
	a.clockInfo.safe = 1;
	a.firmwareVersion = 0x2016051100162800ull;
	a.attested.quote.pcrSelect = *sel;
	a.attested.quote.pcrDigest.size = (uint16_t)digest_len;
	memcpy(a.attested.quote.pcrDigest.buffer, digest, digest_len);
	cr_assert_eq(Tss2_MU_TPMS_ATTEST_Marshal(&a, out, cap, &off), TSS2_RC_SUCCESS);
	return off;
}

size_t tq_sign(uint8_t *out, size_t cap, EVP_PKEY *pkey, uint16_t scheme, uint16_t hash,
	       const uint8_t *msg, size_t len)
{
	const EVP_MD *md = tq_md(hash);
	uint8_t dig[EVP_MAX_MD_SIZE], raw[1024];
	unsigned int dlen = 0;
	size_t rawlen = sizeof(raw), off = 0;
	EVP_PKEY_CTX *ctx;
	TPMT_SIGNATURE s;

	cr_assert_eq(EVP_Digest(msg, len, dig, &dlen, md, NULL), 1);
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	cr_assert_not_null(ctx);
	cr_assert_eq(EVP_PKEY_sign_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_CTX_set_signature_md(ctx, md), 1);
	if (scheme == TPM2_ALG_RSAPSS) {
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING), 1);
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST), 1);
	} else if (scheme == TPM2_ALG_RSASSA) {
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
	}
	cr_assert_eq(EVP_PKEY_sign(ctx, raw, &rawlen, dig, dlen), 1);
	EVP_PKEY_CTX_free(ctx);

	memset(&s, 0, sizeof(s));
	s.sigAlg = scheme;
	if (scheme == TPM2_ALG_ECDSA) {
		const unsigned char *p = raw;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)rawlen);
		int fb = (EVP_PKEY_get_bits(pkey) + 7) / 8;

		cr_assert_not_null(es);
		s.signature.ecdsa.hash = hash;
		s.signature.ecdsa.signatureR.size = (uint16_t)fb;
		s.signature.ecdsa.signatureS.size = (uint16_t)fb;
		BN_bn2binpad(ECDSA_SIG_get0_r(es), s.signature.ecdsa.signatureR.buffer, fb);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), s.signature.ecdsa.signatureS.buffer, fb);
		ECDSA_SIG_free(es);
	} else {
		s.signature.rsassa.hash = hash;
		s.signature.rsassa.sig.size = (uint16_t)rawlen;
		memcpy(s.signature.rsassa.sig.buffer, raw, rawlen);
	}
	cr_assert_eq(Tss2_MU_TPMT_SIGNATURE_Marshal(&s, out, cap, &off), TSS2_RC_SUCCESS);
	return off;
}

int tq_has(const char *msg, const char *needle)
{
	return strstr(msg, needle) != NULL;
}
