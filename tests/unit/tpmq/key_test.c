/*
 * key_test.c - TPM2B_PUBLIC parsing, names, PEM, and the AK/EK attribute
 * checks on TPMT_PUBLIC variants marshalled with tss2-mu.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tq.h"

static int parse(tpmq_key **key, const TPMT_PUBLIC *pub, struct eph_err *err)
{
	uint8_t buf[1024];
	size_t n = tq_marshal_public(buf, sizeof(buf), pub);

	return tpmq_key_from_public(key, buf, n, err);
}

Test(tpmq_key, name_is_namealg_and_hash_of_tpmt_public)
{
	struct eph_err err = {{0}};
	uint8_t buf[1024], name[TPMQ_NAME_MAX], want[32];
	EVP_PKEY *pk = tq_gen_ec("P-256");
	tpmq_key *key = NULL;
	TPMT_PUBLIC pub;
	size_t n, name_len = 0;

	tq_tpmt(&pub, pk, TQ_AK_ATTRS, TPM2_ALG_SHA256, TPM2_ALG_ECDSA, TPM2_ALG_SHA256, 0);
	n = tq_marshal_public(buf, sizeof(buf), &pub);
	cr_assert_eq(tpmq_key_from_public(&key, buf, n, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_name(name, &name_len, key, &err), 0);
	cr_assert_eq(EVP_Digest(buf + 2, n - 2, want, NULL, EVP_sha256(), NULL), 1);
	cr_assert_eq(name_len, 34);
	cr_assert_eq(name[0], 0x00);
	cr_assert_eq(name[1], 0x0b);
	cr_assert_arr_eq(name + 2, want, 32);
	cr_assert_eq(tpmq_key_check_ak(key, &err), 0, "%s", err.msg);
	tpmq_key_free(key);
	EVP_PKEY_free(pk);
}

Test(tpmq_key, truncated_trailing_and_bad_size_fail)
{
	struct eph_err err = {{0}};
	uint8_t buf[1024];
	EVP_PKEY *pk = tq_gen_rsa(2048);
	tpmq_key *key = (tpmq_key *)1;
	TPMT_PUBLIC pub;
	size_t n, i;

	tq_tpmt(&pub, pk, TQ_AK_ATTRS, TPM2_ALG_SHA256, TPM2_ALG_RSASSA, TPM2_ALG_SHA256, 0);
	n = tq_marshal_public(buf, sizeof(buf), &pub);
	for (i = 0; i < n; i++) {
		cr_assert_eq(tpmq_key_from_public(&key, buf, i, &err), EPH_EFORMAT, "cut at %zu",
			     i);
		cr_assert_null(key);
	}
	buf[n] = 0;
	cr_assert_eq(tpmq_key_from_public(&key, buf, n + 1, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "1 trailing bytes after"), "%s", err.msg);
	/* Size field one short: the TPMT_PUBLIC overruns it. */
	buf[1]--;
	cr_assert_eq(tpmq_key_from_public(&key, buf, n - 1, &err), EPH_EFORMAT);
	buf[1]++;
	/* Modulus shorter than keyBits says. */
	pub.unique.rsa.size = 255;
	n = tq_marshal_public(buf, sizeof(buf), &pub);
	cr_assert_eq(tpmq_key_from_public(&key, buf, n, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "modulus of 255 bytes"), "%s", err.msg);
	EVP_PKEY_free(pk);
}

Test(tpmq_key, ecc_point_off_curve_and_unknown_types)
{
	struct eph_err err = {{0}};
	EVP_PKEY *pk = tq_gen_ec("P-256");
	tpmq_key *key = NULL;
	TPMT_PUBLIC pub;

	tq_tpmt(&pub, pk, TQ_AK_ATTRS, TPM2_ALG_SHA256, TPM2_ALG_ECDSA, TPM2_ALG_SHA256, 0);
	pub.unique.ecc.y.buffer[31] ^= 1;
	cr_assert_eq(parse(&key, &pub, &err), EPH_EFORMAT);
	cr_assert_null(key);
	pub.unique.ecc.y.buffer[31] ^= 1;
	pub.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
	cr_assert_eq(parse(&key, &pub, &err), EPH_EUNSUPPORTED);
	cr_assert(tq_has(err.msg, "curve 0x0010"), "%s", err.msg);
	pub.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	pub.nameAlg = 0x0099;
	cr_assert_neq(parse(&key, &pub, &err), 0);

	memset(&pub, 0, sizeof(pub));
	pub.type = TPM2_ALG_KEYEDHASH;
	pub.nameAlg = TPM2_ALG_SHA256;
	pub.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	cr_assert_eq(parse(&key, &pub, &err), EPH_EUNSUPPORTED);
	cr_assert(tq_has(err.msg, "neither RSA nor ECC"), "%s", err.msg);
	EVP_PKEY_free(pk);
}

static void ak_refused(EVP_PKEY *pk, uint32_t attrs, const char *why)
{
	struct eph_err err = {{0}};
	tpmq_key *key = tq_key(pk, attrs, TPM2_ALG_RSASSA, TPM2_ALG_SHA256, 0);

	cr_assert_eq(tpmq_key_check_ak(key, &err), EPH_EPOLICY, "attrs 0x%08x accepted", attrs);
	cr_assert(tq_has(err.msg, why), "0x%08x: %s (want %s)", attrs, err.msg, why);
	tpmq_key_free(key);
}

Test(tpmq_key, check_ak_refuses_each_missing_attribute)
{
	EVP_PKEY *pk = tq_gen_rsa(2048);

	ak_refused(pk, TQ_AK_ATTRS & ~TPMQ_ATTR_RESTRICTED, "restricted is missing");
	ak_refused(pk, TQ_AK_ATTRS & ~TPMQ_ATTR_SIGN, "sign is missing");
	ak_refused(pk, TQ_AK_ATTRS & ~TPMQ_ATTR_FIXED_TPM, "fixedTPM is missing");
	ak_refused(pk, TQ_AK_ATTRS & ~TPMQ_ATTR_FIXED_PARENT, "fixedParent is missing");
	ak_refused(pk, TQ_AK_ATTRS & ~TPMQ_ATTR_SENSITIVE_DATA_ORIGIN,
		   "sensitiveDataOrigin is missing");
	ak_refused(pk, TQ_AK_ATTRS | TPMQ_ATTR_DECRYPT, "decrypt is set");
	EVP_PKEY_free(pk);

	pk = tq_gen_rsa(1024);
	ak_refused(pk, TQ_AK_ATTRS, "RSA key of 1024 bits");
	EVP_PKEY_free(pk);
}

Test(tpmq_key, check_ek)
{
	struct eph_err err = {{0}};
	EVP_PKEY *rsa = tq_gen_rsa(2048), *ec = tq_gen_ec("P-256");
	tpmq_key *k;
	TPMT_PUBLIC pub;

	k = tq_key(rsa, TQ_EK_ATTRS, TPM2_ALG_NULL, 0, 1);
	cr_assert_eq(tpmq_key_check_ek(k, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_check_ak(k, &err), EPH_EPOLICY);
	tpmq_key_free(k);
	k = tq_key(ec, TQ_EK_ATTRS, TPM2_ALG_NULL, 0, 1);
	cr_assert_eq(tpmq_key_check_ek(k, &err), 0, "%s", err.msg);
	tpmq_key_free(k);

	k = tq_key(rsa, TQ_EK_ATTRS & ~TPMQ_ATTR_ADMIN_WITH_POLICY, TPM2_ALG_NULL, 0, 1);
	cr_assert_eq(tpmq_key_check_ek(k, &err), EPH_EPOLICY);
	cr_assert(tq_has(err.msg, "adminWithPolicy is missing"), "%s", err.msg);
	tpmq_key_free(k);
	k = tq_key(rsa, TQ_EK_ATTRS | TPMQ_ATTR_SIGN, TPM2_ALG_NULL, 0, 1);
	cr_assert_eq(tpmq_key_check_ek(k, &err), EPH_EPOLICY);
	cr_assert(tq_has(err.msg, "sign is set"), "%s", err.msg);
	tpmq_key_free(k);

	tq_tpmt(&pub, rsa, TQ_EK_ATTRS, TPM2_ALG_SHA256, TPM2_ALG_NULL, 0, 0); /* no symmetric */
	k = NULL;
	cr_assert_eq(parse(&k, &pub, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_check_ek(k, &err), EPH_EPOLICY);
	cr_assert(tq_has(err.msg, "not a storage key"), "%s", err.msg);
	tpmq_key_free(k);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

Test(tpmq_key, pem_round_trip_and_garbage)
{
	struct eph_err err = {{0}};
	EVP_PKEY *ec = tq_gen_ec("P-384");
	tpmq_key *k = tq_key(ec, TQ_AK_ATTRS, TPM2_ALG_ECDSA, TPM2_ALG_SHA384, 0), *p = NULL;
	char *pem = NULL, *pem2 = NULL;
	uint8_t name[TPMQ_NAME_MAX];
	size_t nl;

	cr_assert_eq(tpmq_key_to_pem(&pem, k, &err), 0, "%s", err.msg);
	cr_assert(tq_has(pem, "-----BEGIN PUBLIC KEY-----"));
	cr_assert_eq(tpmq_key_from_pem(&p, (uint8_t *)pem, strlen(pem), &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_key_to_pem(&pem2, p, &err), 0);
	cr_assert_str_eq(pem, pem2);
	cr_assert_eq(tpmq_key_name(name, &nl, p, &err), EPH_ENOTFOUND);
	tpmq_key_free(p);
	p = (tpmq_key *)1;
	cr_assert_eq(tpmq_key_from_pem(&p, (const uint8_t *)"-----BEGIN PUBLIC KEY-----\nAAAA\n",
				       32, &err),
		     EPH_EFORMAT);
	cr_assert_null(p);
	cr_assert_eq(tpmq_key_from_pem(&p, (const uint8_t *)"", 0, &err), EPH_EFORMAT);
	free(pem);
	free(pem2);
	tpmq_key_free(k);
	EVP_PKEY_free(ec);
}
