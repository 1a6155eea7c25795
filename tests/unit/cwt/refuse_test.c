/*
 * refuse_test.c - every refusal of cwt_verify with its code and its own
 * message: headers (alg, crit, cty, kid, buckets), COSE shape and tags,
 * claim types and presence, and CBOR structure (indefinite lengths,
 * duplicate keys, depth, sizes, trailing bytes, simple values, UTF-8).
 * Tokens are signed with a real key unless the refusal comes before the
 * signature, so that each test reaches exactly the check it names.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"

static EVP_PKEY *key;
static cwt_trust *trust;

static void setup(void)
{
	key = ct_key();
	trust = ct_trust(key);
}

static void teardown(void)
{
	cwt_trust_free(trust);
	EVP_PKEY_free(key);
}

TestSuite(refuse, .init = setup, .fini = teardown);

static void expect(const uint8_t *tok, size_t len, int code, const char *msg)
{
	struct eph_err err = { { 0 } };
	struct cwt_claims c;
	int rc = cwt_verify(&c, trust, tok, len, CT_NOW, 0, &err);

	cr_assert_eq(rc, code, "rc %d, expected %d: %s", rc, code, err.msg);
	cr_assert(strstr(err.msg, msg) != NULL, "message \"%s\" lacks \"%s\"", err.msg, msg);
	if (code != 0)
		cr_assert_eq(c.present, 0, "claims zeroed on failure");
}

/* Sign (prot, unprot, payload) and expect code / msg. */
static void expect_signed(const struct ct_buf *prot, const struct ct_buf *unprot,
			  const struct ct_buf *pl, int code, const char *msg)
{
	size_t len;
	uint8_t *tok = ct_sign_raw(prot, unprot, pl, key, &len);

	expect(tok, len, code, msg);
	free(tok);
}

/* A standard payload signed under the protected header given as hex. */
static void expect_prot(const char *prot_hex, const char *unprot_hex, int code, const char *msg)
{
	struct ct_buf prot = { .n = 0 }, unprot = { .n = 0 }, pl = { .n = 0 };

	ct_hex(&prot, prot_hex);
	ct_hex(&unprot, unprot_hex);
	ct_payload(&pl, NULL, 0);
	expect_signed(&prot, &unprot, &pl, code, msg);
}

Test(refuse, baseline_raw_token_verifies)
{
	expect_prot("a1 01 26", "a0", 0, "");
}

Test(refuse, algorithms_other_than_es256)
{
	expect_prot("a1 01 38 22", "a0", EPH_EUNSUPPORTED, "alg -35 (ES384) refused");
	expect_prot("a1 01 38 23", "a0", EPH_EUNSUPPORTED, "alg -36 (ES512) refused");
	expect_prot("a1 01 27", "a0", EPH_EUNSUPPORTED, "alg -8 (EdDSA) refused");
	expect_prot("a1 01 05", "a0", EPH_EUNSUPPORTED, "alg 5 (HMAC 256/256) refused");
	expect_prot("a1 01 00", "a0", EPH_EUNSUPPORTED, "alg 0 (unknown) refused");
	expect_prot("a1 01 64 6e6f6e65", "a0", EPH_EUNSUPPORTED, "not an integer algorithm");
	expect_prot("a1 01 65 4553323536", "a0", EPH_EUNSUPPORTED, "not an integer algorithm");
	expect_prot("a1 01 f6", "a0", EPH_EUNSUPPORTED, "not an integer algorithm");
}

Test(refuse, alg_missing_or_unprotected)
{
	expect_prot("", "a0", EPH_EFORMAT, "protected header: no alg");
	expect_prot("a0", "a0", EPH_EFORMAT, "protected header: no alg");
	expect_prot("", "a1 01 26", EPH_EFORMAT, "alg (1) must be in the protected header");
	expect_prot("a1 01 26", "a1 01 26", EPH_EFORMAT, "also in the protected header");
	expect_prot("a1 04 41 01", "a1 01 26", EPH_EFORMAT,
		    "alg (1) must be in the protected header");
}

Test(refuse, crit_cty_and_kid)
{
	expect_prot("a2 01 26 02 81 19 0100", "a0", EPH_EUNSUPPORTED, "crit (2)");
	expect_prot("a1 01 26", "a1 02 81 01", EPH_EFORMAT, "crit (2) must be in the protected");
	expect_prot("a2 01 26 03 18 3d", "a0", EPH_EUNSUPPORTED, "content type (3)");
	expect_prot("a1 01 26", "a1 03 61 78", EPH_EUNSUPPORTED, "content type (3)");
	expect_prot("a2 01 26 04 61 6b", "a0", EPH_EFORMAT, "kid (4) at byte 4 is not a byte string");
	expect_prot("a2 01 26 04 40", "a0", EPH_EFORMAT, "kid of 0 bytes");
	expect_prot("a2 01 26 04 42 0102", "a0", EPH_EVERIFY, "kid of 2 bytes does not name");
	expect_prot("a1 01 26", "a1 04 42 0102", EPH_EVERIFY, "kid of 2 bytes does not name");
	expect_prot("a2 01 26 04 42 0102", "a1 04 42 0102", EPH_EFORMAT,
		    "also in the protected header");
	/* Unknown labels are ignored in both buckets. */
	expect_prot("a2 01 26 63 666f6f 80", "a1 05 40", 0, "");
}

Test(refuse, header_structure)
{
	expect_prot("a1 01 26 00", "a0", EPH_EFORMAT, "protected header: 1 trailing bytes");
	expect_prot("81 01", "a0", EPH_EFORMAT, "protected header: not a map");
	expect_prot("a2 01 26 01 26", "a0", EPH_EFORMAT, "protected header: duplicate map key");
	expect_prot("a2 01 26 18 01 26", "a0", EPH_EFORMAT, "protected header: duplicate map key");
	expect_prot("bf 01 26 ff", "a0", EPH_EFORMAT, "indefinite-length item at byte 0");
	expect_prot("a1 01 26", "a2 05 40 05 40", EPH_EFORMAT, "token: duplicate map key");
	expect_prot("a1 01 26", "a1 f5 40", EPH_EFORMAT, "not an integer or text string");
}

Test(refuse, cose_shape_and_tags)
{
	struct ct_buf prot = { .n = 0 }, unprot = { .n = 0 }, pl = { .n = 0 }, b = { .n = 0 };
	uint8_t *tok;
	size_t len;

	ct_prot_es256(&prot);
	ct_hex(&unprot, "a0");
	ct_payload(&pl, NULL, 0);
	tok = ct_sign_raw(&prot, &unprot, &pl, key, &len);
	cr_assert_eq(tok[0], 0x84);

	ct_hex(&b, "d1");
	ct_raw(&b, tok, len);
	expect(b.b, b.n, EPH_EUNSUPPORTED, "COSE_Mac0 (tag 17)");
	b.n = 0;
	ct_hex(&b, "d8 62");
	ct_raw(&b, tok, len);
	expect(b.b, b.n, EPH_EUNSUPPORTED, "COSE_Sign (tag 98)");
	b.n = 0;
	ct_hex(&b, "c1");
	ct_raw(&b, tok, len);
	expect(b.b, b.n, EPH_EFORMAT, "unexpected tag 1");
	b.n = 0;
	ct_hex(&b, "d2 d2");
	ct_raw(&b, tok, len);
	expect(b.b, b.n, EPH_EFORMAT, "unexpected tag 18");
	b.n = 0;
	ct_hex(&b, "d8 3d d8 3d");
	ct_raw(&b, tok, len);
	expect(b.b, b.n, EPH_EFORMAT, "unexpected tag 61");
	/* Trailing bytes after the token. */
	b.n = 0;
	ct_raw(&b, tok, len);
	ct_hex(&b, "00");
	expect(b.b, b.n, EPH_EFORMAT, "token: 1 trailing bytes");
	/* The same four parts in an indefinite-length array. */
	b.n = 0;
	ct_hex(&b, "9f");
	ct_raw(&b, tok + 1, len - 1);
	ct_hex(&b, "ff");
	expect(b.b, b.n, EPH_EFORMAT, "indefinite-length item at byte 0");
	/* Three and five entries. */
	b.n = 0;
	ct_hex(&b, "83");
	ct_raw(&b, tok + 1, len - 1 - 66);
	expect(b.b, b.n, EPH_EFORMAT, "array of 4");
	b.n = 0;
	ct_hex(&b, "85");
	ct_raw(&b, tok + 1, len - 1);
	ct_hex(&b, "00");
	expect(b.b, b.n, EPH_EFORMAT, "array of 4");
	/* Not an array at all; an empty input. */
	expect((const uint8_t *)"\xa0", 1, EPH_EFORMAT, "array of 4");
	expect((const uint8_t *)"", 0, EPH_EFORMAT, "token: empty");
	free(tok);

	/* Protected header as a map, signature of 63 bytes, detached payload. */
	b.n = 0;
	ct_hex(&b, "84 a1 01 26 a0");
	ct_bstr(&b, pl.b, pl.n);
	ct_bstr(&b, prot.b, 3);
	expect(b.b, b.n, EPH_EFORMAT, "protected header at byte 1 is not a bstr");
	b.n = 0;
	ct_hex(&b, "84 43 a1 01 26 a0");
	ct_bstr(&b, pl.b, pl.n);
	ct_head(&b, 2, 63);
	memset(b.b + b.n, 0x11, 63);
	b.n += 63;
	expect(b.b, b.n, EPH_EFORMAT, "not a 64-byte bstr");
	b.n = 0;
	ct_hex(&b, "84 43 a1 01 26 a0 f6");
	ct_head(&b, 2, 64);
	memset(b.b + b.n, 0x11, 64);
	b.n += 64;
	expect(b.b, b.n, EPH_EUNSUPPORTED, "detached payload");
	b.n = 0;
	ct_hex(&b, "84 43 a1 01 26 80");
	ct_bstr(&b, pl.b, pl.n);
	ct_head(&b, 2, 64);
	memset(b.b + b.n, 0x11, 64);
	b.n += 64;
	expect(b.b, b.n, EPH_EFORMAT, "unprotected header at byte 5 is not a map");
}

/* Payload with claim keys dropped and one extra pair given as hex. */
static void expect_claims(const int64_t *drop, const char *extra_hex, int code, const char *msg)
{
	struct ct_buf prot = { .n = 0 }, unprot = { .n = 0 }, pl = { .n = 0 };

	ct_prot_es256(&prot);
	ct_hex(&unprot, "a0");
	ct_payload(&pl, drop, extra_hex != NULL);
	if (extra_hex != NULL)
		ct_hex(&pl, extra_hex);
	expect_signed(&prot, &unprot, &pl, code, msg);
}

Test(refuse, missing_claims)
{
	static const int64_t exp[] = { 4, 0 }, iss[] = { 1, 0 }, sub[] = { 2, 0 },
			     role[] = { -65537, 0 }, clr[] = { -65538, 0 }, app[] = { -65539, 0 },
			     sens[] = { -65540, 0 };

	expect_claims(exp, NULL, EPH_EFORMAT, "claim exp (4): missing");
	expect_claims(iss, NULL, EPH_EFORMAT, "claim iss (1): missing");
	expect_claims(sub, NULL, EPH_EFORMAT, "claim sub (2): missing");
	expect_claims(role, NULL, EPH_EFORMAT, "claim role (-65537): missing");
	expect_claims(clr, NULL, EPH_EFORMAT, "claim clearance (-65538): missing");
	expect_claims(app, NULL, EPH_EFORMAT, "claim app (-65539): missing");
	expect_claims(sens, NULL, EPH_EFORMAT, "claim sensitivity (-65540): missing");
	expect_claims(app, "3a 00010002 a2 01 01 02 01", EPH_EFORMAT,
		      "claim app (-65539): duration_s (3) missing");
	/* Unknown claims, text keys included, are ignored. */
	expect_claims(NULL, "63 666f6f 82 01 02", 0, "");
	expect_claims(NULL, "3a 000fffff f6", 0, "");
}

Test(refuse, wrong_claim_types)
{
	static const int64_t exp[] = { 4, 0 }, iss[] = { 1, 0 }, sub[] = { 2, 0 },
			     role[] = { -65537, 0 }, clr[] = { -65538, 0 }, app[] = { -65539, 0 },
			     sens[] = { -65540, 0 }, cti[] = { 7, 0 }, nbf[] = { 5, 0 };

	expect_claims(exp, "04 6a 31373030303033363030", EPH_EFORMAT, "claim exp (4): not an unsigned");
	expect_claims(exp, "04 fb 41d954fc4c000000", EPH_EFORMAT, "claim exp (4): not an unsigned");
	expect_claims(exp, "04 20", EPH_EFORMAT, "claim exp (4): not an unsigned");
	expect_claims(exp, "04 c1 1a 6553ff10", EPH_EFORMAT, "claim exp (4): not an unsigned");
	expect_claims(nbf, "05 f4", EPH_EFORMAT, "claim nbf (5): not an unsigned");
	expect_claims(iss, "01 4b 6964702e6578616d706c65", EPH_EFORMAT, "claim iss (1): not a text");
	expect_claims(sub, "02 60", EPH_EFORMAT, "claim sub (2): empty");
	expect_claims(sub, "02 63 610a62", EPH_EFORMAT, "claim sub (2): control character");
	expect_claims(role, "3a 00010000 18 2a", EPH_EFORMAT, "claim role (-65537): not a text");
	expect_claims(clr, "3a 00010001 05", EPH_EFORMAT, "claim clearance (-65538): not an integer 0..4");
	expect_claims(clr, "3a 00010001 66 736563726574", EPH_EFORMAT, "claim clearance (-65538)");
	expect_claims(sens, "3a 00010003 63 746f70", EPH_EFORMAT, "claim sensitivity (-65540)");
	expect_claims(sens, "3a 00010003 66 536563726574", EPH_EFORMAT, "claim sensitivity (-65540)");
	expect_claims(sens, "3a 00010003 02", EPH_EFORMAT, "claim sensitivity (-65540)");
	expect_claims(app, "3a 00010002 80", EPH_EFORMAT, "claim app (-65539): not a map");
	expect_claims(app, "3a 00010002 a3 01 00 02 01 03 01", EPH_EFORMAT, "vcpu_milli (1): not an integer");
	expect_claims(app, "3a 00010002 a3 01 01 02 1b 0000000100000000 03 01", EPH_EFORMAT,
		      "mem_mib (2): not an integer");
	expect_claims(app, "3a 00010002 a4 01 01 02 01 03 01 04 01", EPH_EFORMAT,
		      "app.class (4): not a text");
	expect_claims(cti, "07 40", EPH_EFORMAT, "claim cti (7): not a bstr");
	expect_claims(cti, "07 62 6869", EPH_EFORMAT, "claim cti (7): not a bstr");
	expect_claims(NULL, "03 81 61 61", EPH_EFORMAT, "claim aud (3): not a text");
}

Test(refuse, payload_structure)
{
	struct ct_buf prot = { .n = 0 }, unprot = { .n = 0 }, pl = { .n = 0 };
	static const int64_t iss[] = { 1, 0 };
	int i;

	/* Duplicate claim keys, also when encoded differently. */
	expect_claims(NULL, "01 63 697373", EPH_EFORMAT, "payload: duplicate map key");
	expect_claims(NULL, "18 01 63 697373", EPH_EFORMAT, "payload: duplicate map key");
	expect_claims(iss, "01 7f 6369 6470 ff", EPH_EFORMAT, "payload: indefinite-length item");
	expect_claims(NULL, "18 63 5f 41 00 ff", EPH_EFORMAT, "payload: indefinite-length item");
	expect_claims(NULL, "18 63 f0", EPH_EFORMAT, "unassigned simple value 0xf0");
	expect_claims(NULL, "18 63 f8 20", EPH_EFORMAT, "unassigned simple value 0xf8");
	expect_claims(NULL, "18 63 62 c328", EPH_EFORMAT, "invalid UTF-8");
	expect_claims(NULL, "18 63 63 eda080", EPH_EFORMAT, "invalid UTF-8");
	expect_claims(NULL, "18 63 62 c0af", EPH_EFORMAT, "invalid UTF-8");
	expect_claims(NULL, "18 63 9b ffffffffffffffff", EPH_EFORMAT, "exceeds the");
	expect_claims(NULL, "18 63 1c", EPH_EFORMAT, "malformed CBOR");
	expect_claims(NULL, "f5 01", EPH_EFORMAT, "not an integer or text string");
	/* Nesting: 7 arrays under the claims map are fine, 8 are one too many. */
	expect_claims(NULL, "18 63 81 81 81 81 81 81 81 00", 0, "");
	expect_claims(NULL, "18 63 81 81 81 81 81 81 81 81 00", EPH_EFORMAT, "nesting deeper than 8");
	/* A claims set that is not a map, or has trailing bytes. */
	ct_prot_es256(&prot);
	ct_hex(&unprot, "a0");
	ct_hex(&pl, "80");
	expect_signed(&prot, &unprot, &pl, EPH_EFORMAT, "payload: the claims set is not a map");
	pl.n = 0;
	ct_payload(&pl, NULL, 0);
	ct_hex(&pl, "00");
	expect_signed(&prot, &unprot, &pl, EPH_EFORMAT, "payload: 1 trailing bytes");
	/* More than CWT_MAX_PAIRS unknown claims. */
	pl.n = 0;
	ct_payload(&pl, NULL, 60);
	for (i = 0; i < 60; i++) {
		ct_int(&pl, 100 + i);
		ct_int(&pl, 0);
	}
	expect_signed(&prot, &unprot, &pl, EPH_EFORMAT, "pairs at byte 0 exceeds 64");
}

Test(refuse, oversized_token)
{
	struct ct_buf prot = { .n = 0 }, unprot = { .n = 0 }, pl = { .n = 0 };
	static uint8_t filler[CWT_MAX_TOKEN];
	struct eph_err err = { { 0 } };
	uint8_t *tok = NULL;
	size_t len;

	ct_prot_es256(&prot);
	ct_hex(&unprot, "a0");
	ct_payload(&pl, NULL, 1);
	ct_hex(&pl, "18 63");
	ct_bstr(&pl, filler, CWT_MAX_TOKEN - 200);
	/* Just under the limit verifies ... */
	tok = ct_sign_raw(&prot, &unprot, &pl, key, &len);
	cr_assert_leq(len, CWT_MAX_TOKEN);
	expect(tok, len, 0, "");
	free(tok);
	/* ... over it, the signer refuses, and so does the verifier. */
	pl.n = 0;
	ct_payload(&pl, NULL, 1);
	ct_hex(&pl, "18 63");
	ct_bstr(&pl, filler, CWT_MAX_TOKEN);
	cr_assert_lt(cwt_sign1_raw(&tok, &len, prot.b, prot.n, unprot.b, unprot.n, pl.b, pl.n, key,
				   &err), 0);
	{
		static uint8_t big[CWT_MAX_TOKEN + 1];

		big[0] = 0x84;
		expect(big, sizeof(big), EPH_EFORMAT, "token: 16385 bytes exceeds 16384");
	}
}
