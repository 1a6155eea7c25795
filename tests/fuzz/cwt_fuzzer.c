/*
 * cwt_fuzzer.c - libFuzzer target for requester tokens (broker/cwt):
 * cwt_verify, cwt_verify_ex(STANDARD_ONLY) and cwt_decode_unverified on the
 * input as a token, against a fixed trust list made once in the fuzzer:
 *   "fuzz-issuer"            the RFC 8392 A.2.3 P-256 key (d = 6c1382...)
 *   "coap://as.example.com"  the same key, extra kid "AsymmetricECDSA256"
 * so that the RFC 8392 A.3 token and the seeds minted with that key (see
 * tests/fuzz/make-cwt-seeds.sh) reach the signature and claim checks.
 *   e.g. d2 84 58 25 a2 01 26 04 58 20 ... (a minted token) or
 *        d2 84 43 a1 01 26 a1 04 52 41 73 ... (RFC 8392 A.3)
 *
 * Contracts checked besides "no crash, no leak, no sanitizer report": a
 * failure returns a negative EPH_E* code with a message and leaves the
 * claims zeroed; a success has exp set, NUL-terminated text fields, alg
 * ES256, and is also accepted by cwt_decode_unverified with the same
 * claims; a verified token is never refused by the more lenient mode.
 *
 * Not here: minting (round trips are unit tests).
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1444000000 /* inside A.3's window; seeds are minted around it */

static const uint8_t fuzz_x[32] = {
	0x14, 0x33, 0x29, 0xcc, 0xe7, 0x86, 0x8e, 0x41, 0x69, 0x27, 0x59, 0x9c, 0xf6, 0x5a, 0x34, 0xf3,
	0xce, 0x2f, 0xfd, 0xa5, 0x5a, 0x7e, 0xca, 0x69, 0xed, 0x89, 0x19, 0xa3, 0x94, 0xd4, 0x2f, 0x0f,
};
static const uint8_t fuzz_y[32] = {
	0x60, 0xf7, 0xf1, 0xa7, 0x80, 0xd8, 0xa7, 0x83, 0xbf, 0xb7, 0xa2, 0xdd, 0x6b, 0x27, 0x96, 0xe8,
	0x12, 0x8d, 0xbb, 0xce, 0xf9, 0xd3, 0xd1, 0x68, 0xdb, 0x95, 0x29, 0x97, 0x1a, 0x36, 0xe7, 0xb9,
};

static cwt_trust *trust;

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "cwt_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

static void make_trust(void)
{
	struct eph_err err = { { 0 } };
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;
	uint8_t pub[65];

	pub[0] = 0x04;
	memcpy(pub + 1, fuzz_x, 32);
	memcpy(pub + 33, fuzz_y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	check(ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	      EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) == 1, "fixed key", NULL);
	check(cwt_trust_new(&trust, &err) == 0, "trust list", &err);
	check(cwt_trust_add(trust, "fuzz-issuer", k, NULL, 0, &err) == 0, "add issuer", &err);
	check(cwt_trust_add(trust, "coap://as.example.com", k,
			    (const uint8_t *)"AsymmetricECDSA256", 18, &err) == 0, "add A.3 issuer",
	      &err);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
}

static int zeroed(const struct cwt_claims *c)
{
	static const struct cwt_claims zero;

	return memcmp(c, &zero, sizeof(zero)) == 0;
}

static void check_text(const char *s, size_t cap, const char *what)
{
	check(memchr(s, '\0', cap) != NULL, what, NULL);
}

static void check_result(int rc, const struct cwt_claims *c, const struct eph_err *err)
{
	if (rc < 0) {
		check(rc >= EPH_EUNSUPPORTED, "known error code", err);
		check(err->msg[0] != '\0', "failure has a message", err);
		check(zeroed(c), "claims zeroed on failure", err);
		return;
	}
	check(rc == 0, "0 on success", err);
	check((c->present & CWT_HAS_EXP) && (c->present & CWT_HAS_ISS), "exp and iss present", err);
	check(c->alg == -7, "alg ES256", err);
	check_text(c->iss, sizeof(c->iss), "iss terminated");
	check_text(c->sub, sizeof(c->sub), "sub terminated");
	check_text(c->aud, sizeof(c->aud), "aud terminated");
	check_text(c->role, sizeof(c->role), "role terminated");
	check_text(c->app.cls, sizeof(c->app.cls), "class terminated");
	check_text(c->cti_hex, sizeof(c->cti_hex), "cti terminated");
	check_text(c->kid_hex, sizeof(c->kid_hex), "kid terminated");
	check(c->clearance <= CWT_CLEARANCE_MAX, "clearance range", err);
	check(cwt_sensitivity_name(c->sensitivity) != NULL, "sensitivity range", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = { { 0 } }, err2 = { { 0 } }, err3 = { { 0 } };
	struct cwt_claims c, c2, c3;
	int rc, rc2, rc3;

	if (trust == NULL)
		make_trust();
	rc = cwt_verify(&c, trust, data, size, FUZZ_NOW, 60, &err);
	check_result(rc, &c, &err);
	rc2 = cwt_verify_ex(&c2, trust, data, size, FUZZ_NOW, 60, CWT_VERIFY_STANDARD_ONLY, &err2);
	check_result(rc2, &c2, &err2);
	check(rc != 0 || rc2 == 0, "full mode accepts what standard mode refuses", &err2);
	if (rc == 0)
		check(memcmp(&c, &c2, sizeof(c)) == 0, "same claims in both modes", NULL);
	rc3 = cwt_decode_unverified(&c3, data, size, &err3);
	if (rc3 < 0)
		check(zeroed(&c3) && err3.msg[0] != '\0', "decode failure contract", &err3);
	if (rc2 == 0)
		check(rc3 == 0 && memcmp(&c2, &c3, sizeof(c2)) == 0,
		      "decode_unverified agrees with verify", &err3);
	return 0;
}
