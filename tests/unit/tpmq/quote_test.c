/*
 * quote_test.c - tpmq_quote_verify on synthetic quotes signed in software:
 * every scheme (RSASSA, RSAPSS with digest and maximum salt, ECDSA P-256
 * and P-384), and every way a quote must be refused: each single-bit flip
 * of signature and attest, each truncation, trailing bytes, wrong magic and
 * type, wrong nonce, another AK, a scheme other than the AK's, PCR values
 * that do not match, a selected PCR without a value; and freshness.
 */
#include <criterion/criterion.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "tq.h"

static const uint8_t nonce[20] = "0123456789abcdefghij";

struct fx {
	EVP_PKEY *pkey;
	tpmq_key *ak;
	struct tpmq_pcrs pcrs;
	uint8_t attest[512];
	size_t attest_len;
	uint8_t sig[1024];
	size_t sig_len;
};

/* sha256 PCRs 0, 1, 2 with values 0x00.., 0x01.., 0x02.. and their digest. */
static void fx_pcrs(struct fx *f, TPML_PCR_SELECTION *sel, uint16_t hash, uint8_t *dig,
		    size_t *dlen)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel s = {0};
	int i;

	memset(&f->pcrs, 0, sizeof(f->pcrs));
	f->pcrs.num_banks = 1;
	f->pcrs.banks[0].alg = EPH_ALG_SHA256;
	f->pcrs.banks[0].mask = 0x7;
	for (i = 0; i < 3; i++)
		memset(f->pcrs.banks[0].pcr[i], i, 32);
	s.num_banks = 1;
	s.banks[0].alg = EPH_ALG_SHA256;
	s.banks[0].mask = 0x7;
	cr_assert_eq(tpmq_pcr_digest(dig, dlen, hash, &s, &f->pcrs, &err), 0, "%s", err.msg);
	memset(sel, 0, sizeof(*sel));
	sel->count = 1;
	sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[0].sizeofSelect = 3;
	sel->pcrSelections[0].pcrSelect[0] = 0x07;
}

/* key_scheme: the scheme fixed in the AK's TPMT_PUBLIC (NULL: open). */
static void fx_init(struct fx *f, EVP_PKEY *pkey, uint16_t key_scheme, uint16_t scheme,
		    uint16_t hash)
{
	TPML_PCR_SELECTION sel;
	uint8_t dig[64];
	size_t dlen = 0;

	memset(f, 0, sizeof(*f));
	f->pkey = pkey;
	f->ak = tq_key(pkey, TQ_AK_ATTRS, key_scheme, key_scheme == TPM2_ALG_NULL ? 0 : hash, 0);
	fx_pcrs(f, &sel, hash, dig, &dlen);
	f->attest_len = tq_attest(f->attest, sizeof(f->attest), nonce, sizeof(nonce), &sel, dig,
				  dlen, 1000, 3, 1);
	f->sig_len = tq_sign(f->sig, sizeof(f->sig), pkey, scheme, hash, f->attest,
			     f->attest_len);
}

static void fx_fini(struct fx *f)
{
	tpmq_key_free(f->ak);
	EVP_PKEY_free(f->pkey);
}

static int fx_verify(struct fx *f, struct eph_err *err)
{
	return tpmq_quote_verify(NULL, f->ak, f->attest, f->attest_len, f->sig, f->sig_len, nonce,
				 sizeof(nonce), &f->pcrs, err);
}

static void all_bit_flips_fail(struct fx *f)
{
	struct eph_err err = {{0}};
	size_t i;
	int b, rc;

	cr_assert_eq(fx_verify(f, &err), 0, "%s", err.msg);
	for (i = 0; i < f->sig_len; i++)
		for (b = 0; b < 8; b++) {
			f->sig[i] ^= (uint8_t)(1u << b);
			rc = fx_verify(f, &err);
			f->sig[i] ^= (uint8_t)(1u << b);
			cr_assert_lt(rc, 0, "signature bit %zu.%d flipped but verifies", i, b);
			cr_assert_neq(err.msg[0], '\0');
		}
	for (i = 0; i < f->attest_len; i++)
		for (b = 0; b < 8; b++) {
			f->attest[i] ^= (uint8_t)(1u << b);
			rc = fx_verify(f, &err);
			f->attest[i] ^= (uint8_t)(1u << b);
			cr_assert_lt(rc, 0, "attest bit %zu.%d flipped but verifies", i, b);
		}
	cr_assert_eq(fx_verify(f, &err), 0, "%s", err.msg);
}

Test(tpmq_quote, rsassa_sha256_verifies_and_every_bit_flip_fails)
{
	struct fx f;

	fx_init(&f, tq_gen_rsa(2048), TPM2_ALG_RSASSA, TPM2_ALG_RSASSA, TPM2_ALG_SHA256);
	all_bit_flips_fail(&f);
	fx_fini(&f);
}

Test(tpmq_quote, rsapss_sha256_verifies_and_every_bit_flip_fails)
{
	struct fx f;

	fx_init(&f, tq_gen_rsa(2048), TPM2_ALG_RSAPSS, TPM2_ALG_RSAPSS, TPM2_ALG_SHA256);
	all_bit_flips_fail(&f);
	fx_fini(&f);
}

Test(tpmq_quote, ecdsa_p256_verifies_and_every_bit_flip_fails)
{
	struct fx f;

	fx_init(&f, tq_gen_ec("P-256"), TPM2_ALG_ECDSA, TPM2_ALG_ECDSA, TPM2_ALG_SHA256);
	all_bit_flips_fail(&f);
	fx_fini(&f);
}

Test(tpmq_quote, ecdsa_p384_sha384_and_null_scheme_ak)
{
	struct eph_err err = {{0}};
	struct fx f;

	fx_init(&f, tq_gen_ec("P-384"), TPM2_ALG_NULL, TPM2_ALG_ECDSA, TPM2_ALG_SHA384);
	cr_assert_eq(fx_verify(&f, &err), 0, "%s", err.msg);
	fx_fini(&f);
}

Test(tpmq_quote, rsapss_max_salt_is_accepted)
{
	struct eph_err err = {{0}};
	uint8_t dig[32], raw[256];
	size_t rawlen = sizeof(raw);
	EVP_PKEY_CTX *ctx;
	struct fx f;

	fx_init(&f, tq_gen_rsa(2048), TPM2_ALG_RSAPSS, TPM2_ALG_RSAPSS, TPM2_ALG_SHA256);
	/* Re-sign with the largest salt, as some TPMs do. */
	cr_assert_eq(EVP_Digest(f.attest, f.attest_len, dig, NULL, EVP_sha256(), NULL), 1);
	ctx = EVP_PKEY_CTX_new(f.pkey, NULL);
	cr_assert_eq(EVP_PKEY_sign_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING), 1);
	cr_assert_eq(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
	cr_assert_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_MAX), 1);
	cr_assert_eq(EVP_PKEY_sign(ctx, raw, &rawlen, dig, 32), 1);
	EVP_PKEY_CTX_free(ctx);
	cr_assert_eq(f.sig_len, 6 + rawlen);
	memcpy(f.sig + 6, raw, rawlen);
	cr_assert_eq(fx_verify(&f, &err), 0, "%s", err.msg);
	fx_fini(&f);
}

Test(tpmq_quote, truncations_and_trailing_bytes_fail)
{
	struct eph_err err = {{0}};
	uint8_t longer[1100];
	struct fx f;
	size_t n;
	int rc;

	fx_init(&f, tq_gen_ec("P-256"), TPM2_ALG_ECDSA, TPM2_ALG_ECDSA, TPM2_ALG_SHA256);
	for (n = 0; n < f.attest_len; n++) {
		rc = tpmq_quote_verify(NULL, f.ak, f.attest, n, f.sig, f.sig_len, nonce,
				       sizeof(nonce), &f.pcrs, &err);
		cr_assert_eq(rc, EPH_EFORMAT, "attest cut to %zu: rc %d", n, rc);
		cr_assert(tq_has(err.msg, "TPMS_ATTEST"), "%s", err.msg);
	}
	for (n = 0; n < f.sig_len; n++) {
		rc = tpmq_quote_verify(NULL, f.ak, f.attest, f.attest_len, f.sig, n, nonce,
				       sizeof(nonce), &f.pcrs, &err);
		cr_assert_lt(rc, 0, "signature cut to %zu verifies", n);
	}
	memcpy(longer, f.attest, f.attest_len);
	longer[f.attest_len] = 0;
	cr_assert_eq(tpmq_quote_verify(NULL, f.ak, longer, f.attest_len + 1, f.sig, f.sig_len,
				       nonce, sizeof(nonce), &f.pcrs, &err),
		     EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "trailing"), "%s", err.msg);
	memcpy(longer, f.sig, f.sig_len);
	longer[f.sig_len] = 0;
	cr_assert_eq(tpmq_quote_verify(NULL, f.ak, f.attest, f.attest_len, longer, f.sig_len + 1,
				       nonce, sizeof(nonce), &f.pcrs, &err),
		     EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "TPMT_SIGNATURE: 1 trailing"), "%s", err.msg);
	fx_fini(&f);
}

Test(tpmq_quote, wrong_magic_type_nonce)
{
	struct eph_err err = {{0}};
	uint8_t other[20];
	struct fx f;

	fx_init(&f, tq_gen_rsa(2048), TPM2_ALG_RSASSA, TPM2_ALG_RSASSA, TPM2_ALG_SHA256);
	f.attest[0] = 0xfe;
	cr_assert_eq(fx_verify(&f, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "magic 0xfe544347"), "%s", err.msg);
	f.attest[0] = 0xff;
	f.attest[5] = 0x17; /* TPM_ST_ATTEST_CERTIFY */
	cr_assert_eq(fx_verify(&f, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "type 0x8017 is not TPM_ST_ATTEST_QUOTE"), "%s", err.msg);
	f.attest[5] = 0x18;
	cr_assert_eq(fx_verify(&f, &err), 0, "%s", err.msg);

	memcpy(other, nonce, sizeof(other));
	other[19] ^= 1;
	cr_assert_eq(tpmq_quote_verify(NULL, f.ak, f.attest, f.attest_len, f.sig, f.sig_len, other,
				       sizeof(other), &f.pcrs, &err),
		     EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "does not match the nonce"), "%s", err.msg);
	cr_assert_eq(tpmq_quote_verify(NULL, f.ak, f.attest, f.attest_len, f.sig, f.sig_len, nonce,
				       19, &f.pcrs, &err),
		     EPH_EVERIFY);
	cr_assert_eq(tpmq_quote_verify(NULL, f.ak, f.attest, f.attest_len, f.sig, f.sig_len, NULL,
				       0, &f.pcrs, &err),
		     EPH_EVERIFY);
	fx_fini(&f);
}

Test(tpmq_quote, another_ak_and_wrong_key_type)
{
	struct eph_err err = {{0}};
	tpmq_key *other, *ec;
	EVP_PKEY *ok, *ek;
	struct fx f;

	fx_init(&f, tq_gen_rsa(2048), TPM2_ALG_RSASSA, TPM2_ALG_RSASSA, TPM2_ALG_SHA256);
	ok = tq_gen_rsa(2048);
	other = tq_key(ok, TQ_AK_ATTRS, TPM2_ALG_RSASSA, TPM2_ALG_SHA256, 0);
	cr_assert_eq(tpmq_quote_verify(NULL, other, f.attest, f.attest_len, f.sig, f.sig_len,
				       nonce, sizeof(nonce), &f.pcrs, &err),
		     EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "RSASSA/sha256 signature does not verify with the AK"), "%s",
		  err.msg);
	ek = tq_gen_ec("P-256");
	ec = tq_key(ek, TQ_AK_ATTRS, TPM2_ALG_ECDSA, TPM2_ALG_SHA256, 0);
	cr_assert_eq(tpmq_quote_verify(NULL, ec, f.attest, f.attest_len, f.sig, f.sig_len, nonce,
				       sizeof(nonce), &f.pcrs, &err),
		     EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "RSASSA signature for an EC key"), "%s", err.msg);
	tpmq_key_free(other);
	tpmq_key_free(ec);
	EVP_PKEY_free(ok);
	EVP_PKEY_free(ek);
	fx_fini(&f);
}

Test(tpmq_quote, signature_scheme_must_be_the_aks)
{
	struct eph_err err = {{0}};
	struct fx f;

	/* AK fixed to RSASSA/SHA256; a valid PSS signature by the same key. */
	fx_init(&f, tq_gen_rsa(2048), TPM2_ALG_RSASSA, TPM2_ALG_RSAPSS, TPM2_ALG_SHA256);
	cr_assert_eq(fx_verify(&f, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "scheme RSAPSS/sha256 but the AK signs with RSASSA/sha256"), "%s",
		  err.msg);
	/* Same scheme, other hash: a SHA384 signature (the pcrDigest too). */
	f.sig_len = tq_sign(f.sig, sizeof(f.sig), f.pkey, TPM2_ALG_RSASSA, TPM2_ALG_SHA384,
			    f.attest, f.attest_len);
	cr_assert_eq(fx_verify(&f, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "RSASSA/sha384 but the AK signs with RSASSA/sha256"), "%s",
		  err.msg);
	/* A PEM key has no scheme: both verify as signatures. */
	{
		tpmq_key *pem = NULL;
		char *s = NULL;

		cr_assert_eq(tpmq_key_to_pem(&s, f.ak, &err), 0);
		cr_assert_eq(tpmq_key_from_pem(&pem, (uint8_t *)s, strlen(s), &err), 0);
		cr_assert_eq(tpmq_quote_verify(NULL, pem, f.attest, f.attest_len, f.sig, f.sig_len,
					       nonce, sizeof(nonce), NULL, &err),
			     0, "%s", err.msg);
		tpmq_key_free(pem);
		free(s);
	}
	fx_fini(&f);
}

Test(tpmq_quote, pcr_values_must_match)
{
	struct eph_err err = {{0}};
	struct tpmq_attest a;
	struct fx f;

	fx_init(&f, tq_gen_rsa(2048), TPM2_ALG_NULL, TPM2_ALG_RSASSA, TPM2_ALG_SHA256);
	cr_assert_eq(tpmq_quote_verify(&a, f.ak, f.attest, f.attest_len, f.sig, f.sig_len, nonce,
				       sizeof(nonce), &f.pcrs, &err),
		     0, "%s", err.msg);
	cr_assert_eq(a.clock, 1000);
	cr_assert_eq(a.reset_count, 3);
	cr_assert_eq(a.restart_count, 1);
	cr_assert_eq(a.extra_len, 20);
	f.pcrs.banks[0].pcr[2][31] ^= 0x80;
	cr_assert_eq(fx_verify(&f, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "pcrDigest does not match the PCR values"), "%s", err.msg);
	f.pcrs.banks[0].pcr[2][31] ^= 0x80;
	f.pcrs.banks[0].mask = 0x3;
	cr_assert_eq(fx_verify(&f, &err), EPH_ENOTFOUND);
	cr_assert(tq_has(err.msg, "sha256 PCR 2 is selected but has no value"), "%s", err.msg);
	f.pcrs.banks[0].mask = 0x7;
	f.pcrs.banks[0].alg = EPH_ALG_SHA1;
	cr_assert_eq(fx_verify(&f, &err), EPH_ENOTFOUND);
	/* Without pcrs the PCR step is skipped. */
	cr_assert_eq(tpmq_quote_verify(NULL, f.ak, f.attest, f.attest_len, f.sig, f.sig_len, nonce,
				       sizeof(nonce), NULL, &err),
		     0, "%s", err.msg);
	fx_fini(&f);
}

Test(tpmq_quote, freshness)
{
	struct eph_err err = {{0}};
	struct tpmq_attest prev = {0}, cur = {0};

	prev.reset_count = 5, prev.restart_count = 2, prev.clock = 1000;
	cur = prev;
	cur.clock = 1001;
	cr_assert_eq(tpmq_attest_check_newer(&prev, &cur, &err), 0, "%s", err.msg);
	cur.clock = 1000;
	cr_assert_eq(tpmq_attest_check_newer(&prev, &cur, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "clock 1000 <= previous 1000"), "%s", err.msg);
	cur.clock = 999;
	cr_assert_eq(tpmq_attest_check_newer(&prev, &cur, &err), EPH_EVERIFY);
	/* Older resetCount, even with a larger clock. */
	cur = prev;
	cur.reset_count = 4, cur.clock = 99999;
	cr_assert_eq(tpmq_attest_check_newer(&prev, &cur, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "resetCount 4 < previous 5"), "%s", err.msg);
	/* Older restartCount in the same reset. */
	cur = prev;
	cur.restart_count = 1, cur.clock = 99999;
	cr_assert_eq(tpmq_attest_check_newer(&prev, &cur, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "restartCount 1 < previous 2"), "%s", err.msg);
	/* A reboot: resetCount up, restartCount and clock may be lower. */
	cur.reset_count = 6, cur.restart_count = 0, cur.clock = 10;
	cr_assert_eq(tpmq_attest_check_newer(&prev, &cur, &err), 0, "%s", err.msg);
	/* A resume: restartCount up, clock lower is fine. */
	cur = prev;
	cur.restart_count = 3, cur.clock = 10;
	cr_assert_eq(tpmq_attest_check_newer(&prev, &cur, &err), 0, "%s", err.msg);
}
