/*
 * test_credential.c - the enrolment round trip: the broker's software
 * MakeCredential for this TPM's EK and AK name, the TPM's
 * ActivateCredential; and the refusals when the credential was made for
 * another TPM's EK or another AK.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "swtpm_fixture.h"
#include "tpmq.h"

TestSuite(credential, .init = fx_setup, .fini = fx_teardown);

struct cred {
	uint8_t *id, *es;
	size_t id_len, es_len;
};

static void make(struct cred *c, const uint8_t *ek_pub, size_t ek_len, const uint8_t *ak_pub,
		 size_t ak_len, const uint8_t *secret, size_t secret_len)
{
	struct eph_err err = {{0}};
	tpmq_key *ek = NULL, *ak = NULL;
	uint8_t name[TPMQ_NAME_MAX];
	size_t name_len = 0;
	int rc;

	cr_assert_eq(tpmq_key_from_public(&ek, ek_pub, ek_len, &err), 0, "EK: %s", err.msg);
	cr_assert_eq(tpmq_key_from_public(&ak, ak_pub, ak_len, &err), 0, "AK: %s", err.msg);
	cr_assert_eq(tpmq_key_check_ek(ek, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_check_ak(ak, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_name(name, &name_len, ak, &err), 0, "%s", err.msg);
	rc = tpmq_make_credential(&c->id, &c->id_len, &c->es, &c->es_len, ek, name, name_len,
				  secret, secret_len, &err);
	cr_assert_eq(rc, 0, "tpmq_make_credential: %s", err.msg);
	tpmq_key_free(ek);
	tpmq_key_free(ak);
}

static void unmake(struct cred *c)
{
	free(c->id);
	free(c->es);
}

static void round_trip(enum tpmq_keyalg ek_alg, enum tpmq_keyalg ak_alg)
{
	struct eph_err err = {{0}};
	uint8_t *ekp = NULL, *akp = NULL, secret[32], got[64];
	size_t ekn = 0, akn = 0, got_len = 0;
	tpmq_tpm *tpm = fx_open_ek_ak(0, ek_alg, ak_alg, &ekp, &ekn, &akp, &akn, NULL, NULL);
	struct cred c = {0};
	int rc;

	cr_assert_eq(RAND_bytes(secret, sizeof(secret)), 1);
	make(&c, ekp, ekn, akp, akn, secret, sizeof(secret));
	rc = tpmq_activate_credential(got, &got_len, tpm, c.id, c.id_len, c.es, c.es_len, &err);
	cr_assert_eq(rc, 0, "tpmq_activate_credential: %s", err.msg);
	cr_assert_eq(got_len, sizeof(secret));
	cr_assert_arr_eq(got, secret, sizeof(secret), "recovered secret differs");
	unmake(&c);
	free(ekp);
	free(akp);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0, "transient handles left after tpmq_close");
}

Test(credential, round_trip_rsa_ek_rsa_ak)
{
	round_trip(TPMQ_RSA2048, TPMQ_RSA2048);
}

Test(credential, round_trip_rsa_ek_ecc_ak)
{
	round_trip(TPMQ_RSA2048, TPMQ_ECC_P256);
}

Test(credential, round_trip_p256_ek)
{
	round_trip(TPMQ_ECC_P256, TPMQ_ECC_P256);
}

Test(credential, round_trip_p384_ek)
{
	round_trip(TPMQ_ECC_P384, TPMQ_ECC_P384);
}

/* Made for TPM 1's EK (with our AK's name): this TPM cannot open it. */
static void other_tpm(enum tpmq_keyalg ek_alg)
{
	struct eph_err err = {{0}};
	uint8_t *ekp = NULL, *ek2 = NULL, *akp = NULL, secret[16] = "0123456789abcdef", got[64];
	size_t ekn = 0, ek2n = 0, akn = 0, got_len = 5;
	tpmq_tpm *tpm, *other;
	struct cred c = {0};
	int rc;

	fx_up(1, 0);
	tpm = fx_open_ek_ak(0, ek_alg, TPMQ_ECC_P256, &ekp, &ekn, &akp, &akn, NULL, NULL);
	other = fx_open(1);
	cr_assert_eq(tpmq_create_ek(&ek2, &ek2n, other, ek_alg, &err), 0, "%s", err.msg);
	tpmq_close(other);
	cr_assert(ekn != ek2n || memcmp(ekp, ek2, ekn) != 0, "two TPMs with the same EK");

	make(&c, ek2, ek2n, akp, akn, secret, sizeof(secret));
	rc = tpmq_activate_credential(got, &got_len, tpm, c.id, c.id_len, c.es, c.es_len, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "rc %d: %s", rc, err.msg);
	cr_assert(strstr(err.msg, "not made for this TPM/AK") != NULL, "message: %s", err.msg);
	cr_assert_eq(got_len, 0);
	unmake(&c);

	/* The context is still good: a credential made for it opens. */
	make(&c, ekp, ekn, akp, akn, secret, sizeof(secret));
	rc = tpmq_activate_credential(got, &got_len, tpm, c.id, c.id_len, c.es, c.es_len, &err);
	cr_assert_eq(rc, 0, "after a refusal: %s", err.msg);
	cr_assert_arr_eq(got, secret, sizeof(secret));
	unmake(&c);
	free(ekp);
	free(ek2);
	free(akp);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0, "transient handles left after a refusal");
}

Test(credential, made_for_another_tpms_rsa_ek_fails)
{
	other_tpm(TPMQ_RSA2048);
}

Test(credential, made_for_another_tpms_ecc_ek_fails)
{
	other_tpm(TPMQ_ECC_P256);
}

Test(credential, bound_to_another_ak_fails)
{
	struct eph_err err = {{0}};
	uint8_t *ekp = NULL, *ak1 = NULL, *ak2 = NULL, *v2 = NULL, secret[32] = {1}, got[64];
	size_t ekn = 0, ak1n = 0, ak2n = 0, v2n = 0, got_len = 0;
	tpmq_tpm *tpm = fx_open_ek_ak(0, TPMQ_RSA2048, TPMQ_ECC_P256, &ekp, &ekn, &ak1, &ak1n,
				      NULL, NULL);
	struct cred c = {0};
	int rc;

	/* A second AK on the same TPM becomes the loaded one; the
	 * credential names the first. */
	rc = tpmq_create_ak(&ak2, &ak2n, &v2, &v2n, tpm, TPMQ_ECC_P256, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	make(&c, ekp, ekn, ak1, ak1n, secret, sizeof(secret));
	rc = tpmq_activate_credential(got, &got_len, tpm, c.id, c.id_len, c.es, c.es_len, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "rc %d: %s", rc, err.msg);
	unmake(&c);
	make(&c, ekp, ekn, ak2, ak2n, secret, sizeof(secret));
	rc = tpmq_activate_credential(got, &got_len, tpm, c.id, c.id_len, c.es, c.es_len, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	unmake(&c);
	free(ekp);
	free(ak1);
	free(ak2);
	free(v2);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0);
}

Test(credential, malformed_blobs_are_eformat)
{
	struct eph_err err = {{0}};
	uint8_t *ekp = NULL, *akp = NULL, secret[32] = {2}, got[64];
	size_t ekn = 0, akn = 0, got_len = 0;
	tpmq_tpm *tpm = fx_open_ek_ak(0, TPMQ_RSA2048, TPMQ_RSA2048, &ekp, &ekn, &akp, &akn, NULL,
				      NULL);
	struct cred c = {0};
	int rc;

	make(&c, ekp, ekn, akp, akn, secret, sizeof(secret));
	rc = tpmq_activate_credential(got, &got_len, tpm, c.id, c.id_len - 1, c.es, c.es_len,
				      &err);
	cr_assert_eq(rc, EPH_EFORMAT, "short id object: rc %d: %s", rc, err.msg);
	rc = tpmq_activate_credential(got, &got_len, tpm, c.id, c.id_len, c.es, c.es_len + 1,
				      &err);
	cr_assert_eq(rc, EPH_EFORMAT, "long secret: rc %d: %s", rc, err.msg);
	/* Well-formed but tampered: the HMAC over the blob fails. */
	c.id[c.id_len - 1] ^= 1;
	rc = tpmq_activate_credential(got, &got_len, tpm, c.id, c.id_len, c.es, c.es_len, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "tampered blob: rc %d: %s", rc, err.msg);
	unmake(&c);
	free(ekp);
	free(akp);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0);
}
