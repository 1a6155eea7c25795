/*
 * test_ek.c - EK certificates from NV and EKs from the TCG templates on a
 * swtpm provisioned by swtpm_setup: the key we create must be the one the
 * certificate certifies (RSA L-1, ECC P-256 L-2, ECC P-384 H-3).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "swtpm_fixture.h"
#include "tpmq.h"

/* The certificate's public key is exactly the TPM2B_PUBLIC's (RSA modulus,
 * or the ECC point), compared byte by byte without libtpmq's broker side. */
static void assert_cert_key_is(const uint8_t *der, size_t der_len, const uint8_t *pub,
			       size_t pub_len)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)der_len);
	EVP_PKEY *k;
	TPM2B_PUBLIC tp;
	size_t off = 0;

	cr_assert_not_null(x, "EK certificate does not parse as DER X.509");
	cr_assert_eq((size_t)(p - der), der_len, "trailing bytes after the certificate");
	k = X509_get0_pubkey(x);
	cr_assert_not_null(k);
	memset(&tp, 0, sizeof(tp));
	cr_assert_eq(Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, pub_len, &off, &tp), 0);
	cr_assert_eq(off, pub_len);
	if (tp.publicArea.type == TPM2_ALG_RSA) {
		BIGNUM *n = NULL;
		uint8_t mod[512];

		cr_assert_eq(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA, "certificate key is not RSA");
		cr_assert_eq(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
		cr_assert_eq(tp.publicArea.unique.rsa.size, 256);
		cr_assert_eq(BN_bn2binpad(n, mod, 256), 256);
		cr_assert_arr_eq(mod, tp.publicArea.unique.rsa.buffer, 256,
				 "EK modulus differs from the certificate's");
		BN_free(n);
	} else {
		uint8_t pt[200];
		size_t ptlen = 0, c = tp.publicArea.unique.ecc.x.size;

		cr_assert_eq(tp.publicArea.type, TPM2_ALG_ECC);
		cr_assert_eq(EVP_PKEY_get_base_id(k), EVP_PKEY_EC, "certificate key is not EC");
		cr_assert_eq(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
							     sizeof(pt), &ptlen),
			     1);
		cr_assert_eq(ptlen, 1 + 2 * c, "point size %zu, coordinate size %zu", ptlen, c);
		cr_assert_eq(pt[0], 4);
		cr_assert_arr_eq(pt + 1, tp.publicArea.unique.ecc.x.buffer, c, "EK x differs");
		cr_assert_arr_eq(pt + 1 + c, tp.publicArea.unique.ecc.y.buffer, c, "EK y differs");
	}
	X509_free(x);
}

/* Read the cert, create the EK, compare; then the broker-side checks. */
static void check_ek(enum tpmq_keyalg alg, uint16_t name_alg, size_t coord)
{
	struct eph_err err = {{0}};
	tpmq_tpm *tpm = fx_open(0);
	uint8_t *der = NULL, *pub = NULL;
	size_t der_len = 0, pub_len = 0;
	tpmq_key *ek = NULL;
	TPM2B_PUBLIC tp;
	size_t off = 0;
	int rc;

	rc = tpmq_read_ek_cert(&der, &der_len, tpm, alg, &err);
	cr_assert_eq(rc, 0, "tpmq_read_ek_cert: %s", err.msg);
	cr_assert_gt(der_len, 300);
	rc = tpmq_create_ek(&pub, &pub_len, tpm, alg, &err);
	cr_assert_eq(rc, 0, "tpmq_create_ek: %s", err.msg);

	memset(&tp, 0, sizeof(tp));
	cr_assert_eq(Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, pub_len, &off, &tp), 0);
	cr_assert_eq(tp.publicArea.nameAlg, name_alg);
	if (coord)
		cr_assert_eq(tp.publicArea.unique.ecc.x.size, coord);
	assert_cert_key_is(der, der_len, pub, pub_len);

	rc = tpmq_key_from_public(&ek, pub, pub_len, &err);
	cr_assert_eq(rc, 0, "tpmq_key_from_public(EK): %s", err.msg);
	rc = tpmq_key_check_ek(ek, &err);
	cr_assert_eq(rc, 0, "tpmq_key_check_ek: %s", err.msg);
	rc = tpmq_ekcert_verify(der, der_len, fx_trust_dir(), ek, 0, &err);
	cr_assert_eq(rc, 0, "tpmq_ekcert_verify: %s", err.msg);

	tpmq_key_free(ek);
	free(der);
	free(pub);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0, "transient handles left after tpmq_close");
}

TestSuite(ek, .init = fx_setup, .fini = fx_teardown);

Test(ek, rsa2048_cert_matches_template_l1)
{
	check_ek(TPMQ_RSA2048, TPM2_ALG_SHA256, 0);
}

Test(ek, ecc_p384_cert_matches_template_h3)
{
	check_ek(TPMQ_ECC_P384, TPM2_ALG_SHA384, 48);
}

Test(ek, p256_cert_not_provisioned_is_enotfound)
{
	struct eph_err err = {{0}};
	tpmq_tpm *tpm = fx_open(0);
	uint8_t *der = (uint8_t *)"x";
	size_t len = 7;
	int rc;

	rc = tpmq_read_ek_cert(&der, &len, tpm, TPMQ_ECC_P256, &err);
	cr_assert_eq(rc, EPH_ENOTFOUND, "rc %d: %s", rc, err.msg);
	cr_assert_null(der);
	cr_assert_eq(len, 0);
	cr_assert(strstr(err.msg, "0x01c0000a") != NULL, "message: %s", err.msg);
	/* No EK template for the PSS AK algorithm. */
	rc = tpmq_read_ek_cert(&der, &len, tpm, TPMQ_RSA2048_PSS, &err);
	cr_assert_eq(rc, EPH_EUNSUPPORTED, "rc %d: %s", rc, err.msg);
	tpmq_close(tpm);
}

Test(ek, cert_of_another_tpm_does_not_match)
{
	struct eph_err err = {{0}};
	tpmq_tpm *a, *b;
	uint8_t *der = NULL, *pub = NULL;
	size_t der_len = 0, pub_len = 0;
	tpmq_key *ek = NULL;
	int rc;

	fx_up(1, 0);
	a = fx_open(0);
	b = fx_open(1);
	cr_assert_eq(tpmq_read_ek_cert(&der, &der_len, a, TPMQ_RSA2048, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_create_ek(&pub, &pub_len, b, TPMQ_RSA2048, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_from_public(&ek, pub, pub_len, &err), 0, "%s", err.msg);
	/* Same CA, so the chain is good; the key is not. */
	rc = tpmq_ekcert_verify(der, der_len, fx_trust_dir(), ek, 0, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "rc %d: %s", rc, err.msg);
	rc = tpmq_ekcert_verify(der, der_len, fx_trust_dir(), NULL, 0, &err);
	cr_assert_eq(rc, 0, "chain only: %s", err.msg);
	tpmq_key_free(ek);
	free(der);
	free(pub);
	tpmq_close(a);
	tpmq_close(b);
}

Test(ek, open_bad_tcti_fails_cleanly)
{
	struct eph_err err = {{0}};
	tpmq_tpm *tpm = (tpmq_tpm *)&err;
	int rc;

	/* Port 1 on 127.0.0.1: nothing listens there. */
	rc = tpmq_open(&tpm, "swtpm:host=127.0.0.1,port=1", &err);
	cr_assert_eq(rc, EPH_EIO, "rc %d: %s", rc, err.msg);
	cr_assert(strstr(err.msg, "port=1") != NULL, "message: %s", err.msg);
	cr_assert_null(tpm);
	cr_assert_neq(err.msg[0], '\0');
}

TestSuite(ek_p256, .init = fx_setup_ecc, .fini = fx_teardown);

Test(ek_p256, ecc_p256_cert_matches_template_l2)
{
	check_ek(TPMQ_ECC_P256, TPM2_ALG_SHA256, 32);
}
