/*
 * roundtrip_test.c - mint -> verify, the framings and kid rules, the time
 * window, audience, cwt_sign refusing what cwt_verify would refuse, and
 * trust lists loaded from a folder.
 */
#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct.h"

static int verify(const uint8_t *tok, size_t len, EVP_PKEY *key, struct cwt_claims *c,
		  struct eph_err *err)
{
	cwt_trust *t = ct_trust(key);
	int rc = cwt_verify(c, t, tok, len, CT_NOW, 0, err);

	cwt_trust_free(t);
	return rc;
}

Test(roundtrip, mint_then_verify_gives_the_same_claims)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims in, out, dec;
	EVP_PKEY *k = ct_key();
	uint8_t th[32];
	char th_hex[65];
	size_t len, i;
	uint8_t *tok;

	ct_claims(&in);
	tok = ct_mint(&in, k, 0, &len);
	cr_assert_eq(tok[0], 0xd2, "tag 18 by default");
	cr_assert_eq(verify(tok, len, k, &out, &err), 0, "%s", err.msg);
	cr_assert_eq(out.present, in.present);
	cr_assert_str_eq(out.iss, in.iss);
	cr_assert_str_eq(out.sub, "alice");
	cr_assert_str_eq(out.aud, "ephemera-broker");
	cr_assert_str_eq(out.role, "analyst");
	cr_assert_str_eq(out.cti_hex, "0b71aa");
	cr_assert_eq(out.clearance, 2);
	cr_assert_eq(out.sensitivity, CWT_SENS_CONFIDENTIAL);
	cr_assert_eq(out.app.vcpu_milli, 2000);
	cr_assert_eq(out.app.mem_mib, 4096);
	cr_assert_eq(out.app.duration_s, 3600);
	cr_assert_str_eq(out.app.cls, "batch");
	cr_assert_eq(out.exp, in.exp);
	cr_assert_eq(out.nbf, in.nbf);
	cr_assert_eq(out.iat, in.iat);
	cr_assert_eq(out.alg, -7);
	cr_assert_eq(cwt_key_thumbprint(th, k, &err), 0);
	for (i = 0; i < 32; i++)
		snprintf(th_hex + 2 * i, 3, "%02x", th[i]);
	cr_assert_str_eq(out.kid_hex, th_hex, "kid is the RFC 9679 thumbprint");
	cr_assert_eq(cwt_decode_unverified(&dec, tok, len, &err), 0, "%s", err.msg);
	cr_assert(memcmp(&dec, &out, sizeof(dec)) == 0);
	free(tok);
	EVP_PKEY_free(k);
}

Test(roundtrip, framings_and_no_kid)
{
	static const unsigned flags[] = { CWT_SIGN_UNTAGGED, CWT_SIGN_TAG_CWT, CWT_SIGN_NO_KID,
					  CWT_SIGN_NO_KID | CWT_SIGN_UNTAGGED };
	static const uint8_t first[] = { 0x84, 0xd8, 0xd2, 0x84 };
	struct eph_err err = { { 0 } };
	struct cwt_claims in, out;
	EVP_PKEY *k = ct_key();
	size_t len, i;
	uint8_t *tok;

	ct_claims(&in);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		tok = ct_mint(&in, k, flags[i], &len);
		cr_assert_eq(tok[0], first[i], "flags %u", flags[i]);
		cr_assert_eq(verify(tok, len, k, &out, &err), 0, "flags %u: %s", flags[i], err.msg);
		cr_assert_eq(out.kid_hex[0] == '\0', (flags[i] & CWT_SIGN_NO_KID) != 0);
		free(tok);
	}
	EVP_PKEY_free(k);
}

Test(roundtrip, every_flipped_bit_is_refused)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims in, out;
	EVP_PKEY *k = ct_key();
	cwt_trust *t = ct_trust(k);
	size_t len, i;
	uint8_t *tok;
	int bit;

	ct_claims(&in);
	tok = ct_mint(&in, k, 0, &len);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			tok[i] ^= (uint8_t)(1u << bit);
			cr_assert_lt(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), 0,
				     "byte %zu bit %d flipped still verifies", i, bit);
			cr_assert_neq(err.msg[0], '\0');
			tok[i] ^= (uint8_t)(1u << bit);
		}
	}
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), 0, "%s", err.msg);
	free(tok);
	cwt_trust_free(t);
	EVP_PKEY_free(k);
}

Test(roundtrip, every_truncation_is_refused)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims in, out;
	EVP_PKEY *k = ct_key();
	cwt_trust *t = ct_trust(k);
	uint8_t *tok, *copy;
	size_t len, n;

	ct_claims(&in);
	tok = ct_mint(&in, k, 0, &len);
	for (n = 0; n < len; n++) {
		/* An exact-size copy, so that ASan sees a read past the end. */
		copy = malloc(n ? n : 1);
		memcpy(copy, tok, n);
		cr_assert_eq(cwt_verify(&out, t, copy, n, CT_NOW, 0, &err), EPH_EFORMAT,
			     "length %zu: %s", n, err.msg);
		free(copy);
	}
	free(tok);
	cwt_trust_free(t);
	EVP_PKEY_free(k);
}

Test(roundtrip, time_window_and_leeway)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims in, out;
	EVP_PKEY *k = ct_key();
	cwt_trust *t = ct_trust(k);
	size_t len;
	uint8_t *tok;

	ct_claims(&in);
	tok = ct_mint(&in, k, 0, &len);
	cr_assert_eq(cwt_verify(&out, t, tok, len, in.exp - 1, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(cwt_verify(&out, t, tok, len, in.exp, 0, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "token expired") != NULL, "%s", err.msg);
	cr_assert_eq(cwt_verify(&out, t, tok, len, in.exp + 59, 60, &err), 0, "%s", err.msg);
	cr_assert_eq(cwt_verify(&out, t, tok, len, in.exp + 60, 60, &err), EPH_EVERIFY);
	cr_assert_eq(cwt_verify(&out, t, tok, len, in.nbf - 1, 0, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "not yet valid") != NULL, "%s", err.msg);
	cr_assert_eq(cwt_verify(&out, t, tok, len, in.nbf - 60, 60, &err), 0, "%s", err.msg);
	cr_assert_eq(cwt_verify(&out, t, tok, len, -1, 0, &err), EPH_EFAIL);
	free(tok);

	/* iat in the future, nbf absent. */
	in.present &= ~(unsigned)CWT_HAS_NBF;
	in.iat = CT_NOW + 120;
	tok = ct_mint(&in, k, 0, &len);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 60, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "issued in the future") != NULL, "%s", err.msg);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 120, &err), 0, "%s", err.msg);
	free(tok);
	cwt_trust_free(t);
	EVP_PKEY_free(k);
}

Test(roundtrip, audience)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims in, out;
	EVP_PKEY *k = ct_key();
	cwt_trust *t = ct_trust(k);
	size_t len;
	uint8_t *tok;

	ct_claims(&in);
	tok = ct_mint(&in, k, 0, &len);
	cr_assert_eq(cwt_trust_set_audience(t, "ephemera-broker", &err), 0);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(cwt_trust_set_audience(t, "other-service", &err), 0);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "aud") != NULL, "%s", err.msg);
	free(tok);
	in.present &= ~(unsigned)CWT_HAS_AUD;
	tok = ct_mint(&in, k, 0, &len);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), EPH_EVERIFY);
	cr_assert_eq(cwt_trust_set_audience(t, NULL, &err), 0);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), 0, "%s", err.msg);
	free(tok);
	cwt_trust_free(t);
	EVP_PKEY_free(k);
}

Test(roundtrip, unknown_issuer_and_wrong_key)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims in, out;
	EVP_PKEY *k = ct_key(), *other = ct_key();
	cwt_trust *t = NULL;
	size_t len;
	uint8_t *tok;

	ct_claims(&in);
	tok = ct_mint(&in, k, CWT_SIGN_NO_KID, &len);
	/* Same name, another key: the signature fails. */
	t = ct_trust(other);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "signature") != NULL, "%s", err.msg);
	cwt_trust_free(t);
	/* Another name. */
	cr_assert_eq(cwt_trust_new(&t, &err), 0);
	cr_assert_eq(cwt_trust_add(t, "someone-else", k, NULL, 0, &err), 0);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "not trusted") != NULL, "%s", err.msg);
	cwt_trust_free(t);
	free(tok);
	/* With a kid (the thumbprint of k) against the other key. */
	tok = ct_mint(&in, k, 0, &len);
	t = ct_trust(other);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "kid") != NULL, "%s", err.msg);
	cwt_trust_free(t);
	free(tok);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

Test(roundtrip, sign_refuses_what_verify_refuses)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims c;
	EVP_PKEY *k = ct_key(), *p384 = EVP_EC_gen("P-384");
	uint8_t *tok = NULL;
	size_t len;

	ct_claims(&c);
	c.clearance = 5;
	cr_assert_eq(cwt_sign(&tok, &len, &c, k, 0, &err), EPH_EFORMAT);
	ct_claims(&c);
	c.role[0] = '\0';
	cr_assert_eq(cwt_sign(&tok, &len, &c, k, 0, &err), EPH_EFORMAT);
	ct_claims(&c);
	c.sub[2] = '\n';
	cr_assert_eq(cwt_sign(&tok, &len, &c, k, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "control character") != NULL, "%s", err.msg);
	ct_claims(&c);
	c.app.mem_mib = 0;
	cr_assert_eq(cwt_sign(&tok, &len, &c, k, 0, &err), EPH_EFORMAT);
	ct_claims(&c);
	c.sensitivity = (enum cwt_sensitivity)7;
	cr_assert_eq(cwt_sign(&tok, &len, &c, k, 0, &err), EPH_EFORMAT);
	ct_claims(&c);
	snprintf(c.cti_hex, sizeof(c.cti_hex), "xyz");
	cr_assert_eq(cwt_sign(&tok, &len, &c, k, 0, &err), EPH_EFORMAT);
	ct_claims(&c);
	cr_assert_not_null(p384);
	cr_assert_eq(cwt_sign(&tok, &len, &c, p384, 0, &err), EPH_EFORMAT);
	cr_assert_null(tok);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p384);
}

Test(roundtrip, kid_may_be_the_issuer_name)
{
	struct eph_err err = { { 0 } };
	struct ct_buf prot = { .n = 0 }, unprot = { .n = 0 }, pl = { .n = 0 };
	struct cwt_claims out;
	EVP_PKEY *k = ct_key();
	uint8_t *tok;
	size_t len;

	ct_hex(&prot, "a2 01 26 04");
	ct_bstr(&prot, CT_ISS, strlen(CT_ISS));
	ct_hex(&unprot, "a0");
	ct_payload(&pl, NULL, 0);
	tok = ct_sign_raw(&prot, &unprot, &pl, k, &len);
	cr_assert_eq(verify(tok, len, k, &out, &err), 0, "%s", err.msg);
	free(tok);
	EVP_PKEY_free(k);
}

static void write_pub(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(roundtrip, trust_folder)
{
	char dir[] = "/tmp/cwt-trust-XXXXXX", path[512];
	struct eph_err err = { { 0 } };
	struct cwt_claims in, out;
	EVP_PKEY *k = ct_key(), *k2 = ct_key(), *p384 = EVP_EC_gen("P-384");
	cwt_trust *t = NULL;
	uint8_t *tok;
	size_t len;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(cwt_trust_load_dir(&t, dir, &err), EPH_ENOTFOUND, "%s", err.msg);
	cr_assert_null(t);
	snprintf(path, sizeof(path), "%s/%s.pem", dir, CT_ISS);
	write_pub(path, k);
	snprintf(path, sizeof(path), "%s/other_issuer-2.pem", dir);
	write_pub(path, k2);
	snprintf(path, sizeof(path), "%s/README", dir);
	write_text(path, "not a key, not .pem: skipped\n");
	snprintf(path, sizeof(path), "%s/.hidden.pem", dir);
	write_text(path, "skipped\n");
	cr_assert_eq(cwt_trust_load_dir(&t, dir, &err), 0, "%s", err.msg);
	cr_assert_eq(cwt_trust_count(t), 2);
	ct_claims(&in);
	tok = ct_mint(&in, k, 0, &len);
	cr_assert_eq(cwt_verify(&out, t, tok, len, CT_NOW, 0, &err), 0, "%s", err.msg);
	free(tok);
	cwt_trust_free(t);

	/* A broken key fails the whole load, naming the file. */
	snprintf(path, sizeof(path), "%s/broken.pem", dir);
	write_text(path, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
	cr_assert_eq(cwt_trust_load_dir(&t, dir, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "broken.pem") != NULL, "%s", err.msg);
	cr_assert_null(t);
	/* Not P-256. */
	write_pub(path, p384);
	cr_assert_eq(cwt_trust_load_dir(&t, dir, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "P-256") != NULL, "%s", err.msg);
	unlink(path);
	/* A name outside the allowed characters. */
	snprintf(path, sizeof(path), "%s/bad name.pem", dir);
	write_pub(path, k);
	cr_assert_eq(cwt_trust_load_dir(&t, dir, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "issuer names") != NULL, "%s", err.msg);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.pem", dir, CT_ISS);
	unlink(path);
	snprintf(path, sizeof(path), "%s/other_issuer-2.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/README", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.hidden.pem", dir);
	unlink(path);
	rmdir(dir);
	cr_assert_eq(cwt_trust_load_dir(&t, "/nonexistent/cwt", &err), EPH_EIO);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(p384);
}

Test(roundtrip, trust_add_refusals)
{
	struct eph_err err = { { 0 } };
	EVP_PKEY *k = ct_key(), *p384 = EVP_EC_gen("P-384");
	cwt_trust *t = ct_trust(k);

	cr_assert_eq(cwt_trust_add(t, CT_ISS, k, NULL, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "already trusted") != NULL, "%s", err.msg);
	cr_assert_eq(cwt_trust_add(t, "", k, NULL, 0, &err), EPH_EFORMAT);
	cr_assert_eq(cwt_trust_add(t, "p384", p384, NULL, 0, &err), EPH_EFORMAT);
	cr_assert_eq(cwt_trust_count(t), 1);
	cwt_trust_free(t);
	cwt_trust_free(NULL);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p384);
}
