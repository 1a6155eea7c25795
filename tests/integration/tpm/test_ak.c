/*
 * test_ak.c - AKs created under the EK: every algorithm gives a key the
 * broker accepts as an AK (restricted signing, fixedTPM, ...) with the
 * signing scheme we asked for; saved AKs reload in a new context.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "swtpm_fixture.h"
#include "tpmq.h"

TestSuite(ak, .init = fx_setup, .fini = fx_teardown);

static void check_ak(enum tpmq_keyalg ek_alg, enum tpmq_keyalg alg, uint16_t type,
		     uint16_t scheme, uint16_t hash)
{
	struct eph_err err = {{0}};
	uint8_t *pub = NULL, *priv = NULL;
	size_t pub_len = 0, priv_len = 0, off = 0;
	tpmq_tpm *tpm = fx_open_ek_ak(0, ek_alg, alg, NULL, NULL, &pub, &pub_len, &priv, &priv_len);
	tpmq_key *ak = NULL;
	TPM2B_PUBLIC tp;
	TPM2B_PRIVATE tv;
	uint32_t want = TPMQ_ATTR_FIXED_TPM | TPMQ_ATTR_FIXED_PARENT |
			TPMQ_ATTR_SENSITIVE_DATA_ORIGIN | TPMQ_ATTR_USER_WITH_AUTH |
			TPMQ_ATTR_RESTRICTED | TPMQ_ATTR_SIGN;
	int rc;

	rc = tpmq_key_from_public(&ak, pub, pub_len, &err);
	cr_assert_eq(rc, 0, "tpmq_key_from_public: %s", err.msg);
	rc = tpmq_key_check_ak(ak, &err);
	cr_assert_eq(rc, 0, "tpmq_key_check_ak: %s", err.msg);
	cr_assert_eq(tpmq_key_attributes(ak), want, "attributes 0x%08x", tpmq_key_attributes(ak));

	memset(&tp, 0, sizeof(tp));
	cr_assert_eq(Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, pub_len, &off, &tp), 0);
	cr_assert_eq(off, pub_len);
	cr_assert_eq(tp.publicArea.type, type);
	if (type == TPM2_ALG_RSA) {
		cr_assert_eq(tp.publicArea.parameters.rsaDetail.scheme.scheme, scheme);
		cr_assert_eq(tp.publicArea.parameters.rsaDetail.scheme.details.anySig.hashAlg, hash);
		cr_assert_eq(tp.publicArea.parameters.rsaDetail.keyBits, 2048);
	} else {
		cr_assert_eq(tp.publicArea.parameters.eccDetail.scheme.scheme, scheme);
		cr_assert_eq(tp.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg, hash);
	}
	off = 0;
	memset(&tv, 0, sizeof(tv));
	cr_assert_eq(Tss2_MU_TPM2B_PRIVATE_Unmarshal(priv, priv_len, &off, &tv), 0);
	cr_assert_eq(off, priv_len);
	cr_assert_gt(tv.size, 0);

	tpmq_key_free(ak);
	free(pub);
	free(priv);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0, "transient handles left after tpmq_close");
}

Test(ak, rsa2048_rsassa)
{
	check_ak(TPMQ_RSA2048, TPMQ_RSA2048, TPM2_ALG_RSA, TPM2_ALG_RSASSA, TPM2_ALG_SHA256);
}

Test(ak, rsa2048_rsapss)
{
	check_ak(TPMQ_RSA2048, TPMQ_RSA2048_PSS, TPM2_ALG_RSA, TPM2_ALG_RSAPSS, TPM2_ALG_SHA256);
}

Test(ak, ecc_p256_ecdsa)
{
	check_ak(TPMQ_RSA2048, TPMQ_ECC_P256, TPM2_ALG_ECC, TPM2_ALG_ECDSA, TPM2_ALG_SHA256);
}

Test(ak, ecc_p384_ecdsa_under_p384_ek)
{
	check_ak(TPMQ_ECC_P384, TPMQ_ECC_P384, TPM2_ALG_ECC, TPM2_ALG_ECDSA, TPM2_ALG_SHA384);
}

Test(ak, ek_is_not_an_ak)
{
	struct eph_err err = {{0}};
	uint8_t *pub = NULL;
	size_t pub_len = 0;
	tpmq_tpm *tpm = fx_open(0);
	tpmq_key *ek = NULL;
	int rc;

	cr_assert_eq(tpmq_create_ek(&pub, &pub_len, tpm, TPMQ_RSA2048, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_from_public(&ek, pub, pub_len, &err), 0, "%s", err.msg);
	rc = tpmq_key_check_ak(ek, &err);
	cr_assert_eq(rc, EPH_EPOLICY, "rc %d: %s", rc, err.msg);
	tpmq_key_free(ek);
	free(pub);
	tpmq_close(tpm);
}

Test(ak, needs_an_ek_first)
{
	struct eph_err err = {{0}};
	uint8_t *pub = NULL, *priv = NULL;
	size_t pub_len = 0, priv_len = 0;
	tpmq_tpm *tpm = fx_open(0);
	int rc;

	rc = tpmq_create_ak(&pub, &pub_len, &priv, &priv_len, tpm, TPMQ_RSA2048, &err);
	cr_assert_lt(rc, 0);
	cr_assert_null(pub);
	cr_assert_null(priv);
	cr_assert(strstr(err.msg, "EK") != NULL, "message: %s", err.msg);
	tpmq_close(tpm);
}

Test(ak, load_rejects_malformed_blobs)
{
	struct eph_err err = {{0}};
	uint8_t *pub = NULL, *priv = NULL;
	size_t pub_len = 0, priv_len = 0;
	tpmq_tpm *tpm = fx_open_ek_ak(0, TPMQ_RSA2048, TPMQ_ECC_P256, NULL, NULL, &pub, &pub_len,
				      &priv, &priv_len);
	int rc;

	rc = tpmq_load_ak(tpm, pub, pub_len - 1, priv, priv_len, &err);
	cr_assert_eq(rc, EPH_EFORMAT, "truncated public: rc %d: %s", rc, err.msg);
	rc = tpmq_load_ak(tpm, pub, pub_len, priv, priv_len + 0, &err);
	cr_assert_eq(rc, 0, "intact: %s", err.msg);
	/* A private part that is not this key's: the TPM refuses it. */
	priv[priv_len - 1] ^= 1;
	rc = tpmq_load_ak(tpm, pub, pub_len, priv, priv_len, &err);
	cr_assert_lt(rc, 0, "a tampered private part loaded");
	free(pub);
	free(priv);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0, "transient handles left after failed loads");
}
