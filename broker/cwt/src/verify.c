/*
 * verify.c - cwt_verify(): the checks of a requester token in the order
 * the API promises (cwt.h), each refusal with its own message. Structure
 * first, so that nothing is interpreted before it is known to be bounded
 * and well formed; the issuer and signature before any claim is believed;
 * the time window (RFC 8392 sections 3.1.4-3.1.6, RFC 7519 section 4.1.4:
 * "current time MUST be before exp") and the claims Ephemera requires last.
 *
 *   now = 1444000000, leeway 0, token of RFC 8392 Appendix A.3:
 *   d2 84 43 a10126 a1 04 52 4173... 58 50 a7 01 75 636f6170... 58 40 5427...
 *   -> structure ok, ES256, iss "coap://as.example.com" trusted, signature
 *      ok, nbf 1443944944 <= now < exp 1444064944, iat in the past.
 *
 * Not here: parsing details (cose.c, claims.c), keys (trust.c).
 */
#include "cwt-priv.h"

#include <string.h>

#include "eph_hex.h"

static int check_times(const struct cwt_claims *c, int64_t now, unsigned leeway,
		       struct eph_err *err)
{
	if (!(c->present & CWT_HAS_EXP))
		return eph_err_set(err, EPH_EFORMAT, "claim exp (4): missing, tokens must expire");
	if (now < 0)
		return eph_err_set(err, EPH_EFAIL, "clock: now %lld is before 1970", (long long)now);
	/* Dates and now are >= 0 (claims.c, above): the differences cannot overflow. */
	if (now >= c->exp && (uint64_t)(now - c->exp) >= leeway)
		return eph_err_set(err, EPH_EVERIFY, "token expired: exp %lld, now %lld, leeway %u s",
				   (long long)c->exp, (long long)now, leeway);
	if ((c->present & CWT_HAS_NBF) && now < c->nbf && (uint64_t)(c->nbf - now) > leeway)
		return eph_err_set(err, EPH_EVERIFY,
				   "token not yet valid: nbf %lld, now %lld, leeway %u s",
				   (long long)c->nbf, (long long)now, leeway);
	if ((c->present & CWT_HAS_IAT) && now < c->iat && (uint64_t)(c->iat - now) > leeway)
		return eph_err_set(err, EPH_EVERIFY,
				   "token issued in the future: iat %lld, now %lld, leeway %u s",
				   (long long)c->iat, (long long)now, leeway);
	return 0;
}

static int check_required(const struct cwt_claims *c, unsigned need, struct eph_err *err)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ CWT_HAS_ISS, "iss (1)" },
		{ CWT_HAS_SUB, "sub (2)" },
		{ CWT_HAS_EXP, "exp (4)" },
		{ CWT_HAS_ROLE, "role (-65537)" },
		{ CWT_HAS_CLEARANCE, "clearance (-65538)" },
		{ CWT_HAS_APP, "app (-65539)" },
		{ CWT_HAS_SENSITIVITY, "sensitivity (-65540)" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((need & names[i].bit) && !(c->present & names[i].bit))
			return eph_err_set(err, EPH_EFORMAT, "claim %s: missing", names[i].name);
	}
	return 0;
}

/* Everything that needs no key: structure, shape, headers, claim types. */
static int decode(struct cwt_claims *out, struct cwt__sign1 *s, const uint8_t *token,
		  size_t len, struct eph_err *err)
{
	int rc;

	rc = cwt__sign1_parse(s, token, len, err);
	if (rc < 0)
		return rc;
	out->alg = s->alg;
	if (s->kid != NULL)
		eph_hex_encode(out->kid_hex, sizeof(out->kid_hex), s->kid, s->kid_len);
	return 0;
}

int cwt_verify_ex(struct cwt_claims *out, const cwt_trust *t, const uint8_t *token,
		  size_t len, time_t now, unsigned leeway_s, unsigned flags, struct eph_err *err)
{
	char iss[CWT_NAME_MAX];
	struct cwt__sign1 s;
	EVP_PKEY *key = NULL;
	const char *aud;
	int rc;

	memset(out, 0, sizeof(*out));
	if (token == NULL || len == 0) {
		rc = eph_err_set(err, EPH_EFORMAT, "token: empty");
		goto out;
	}
	rc = decode(out, &s, token, len, err);
	if (rc < 0)
		goto out;
	/* The payload's structure and its iss, to pick the key. */
	rc = cwt__claims_iss(iss, s.payload, s.payload_len, err);
	if (rc < 0)
		goto out;
	rc = cwt__trust_lookup(&key, t, iss, s.kid, s.kid_len, err);
	if (rc < 0)
		goto out;
	rc = cwt__sign1_verify(&s, key, err);
	if (rc < 0)
		goto out;
	/* Signed by a trusted issuer: now the claims mean something. */
	rc = cwt__claims_decode(out, s.payload, s.payload_len, err);
	if (rc < 0)
		goto out;
	rc = check_times(out, (int64_t)now, leeway_s, err);
	if (rc < 0)
		goto out;
	aud = cwt__trust_audience(t);
	if (aud != NULL && (!(out->present & CWT_HAS_AUD) || strcmp(out->aud, aud) != 0)) {
		rc = eph_err_set(err, EPH_EVERIFY, "claim aud (3): \"%.64s\", expected \"%.64s\"",
				 (out->present & CWT_HAS_AUD) ? out->aud : "", aud);
		goto out;
	}
	rc = check_required(out, (flags & CWT_VERIFY_STANDARD_ONLY) ?
				 CWT_HAS_ISS | CWT_HAS_EXP : CWT_REQUIRED_EPHEMERA, err);
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int cwt_verify(struct cwt_claims *out, const cwt_trust *t, const uint8_t *token, size_t len,
	       time_t now, unsigned leeway_s, struct eph_err *err)
{
	return cwt_verify_ex(out, t, token, len, now, leeway_s, 0, err);
}

int cwt_decode_unverified(struct cwt_claims *out, const uint8_t *token, size_t len,
			  struct eph_err *err)
{
	struct cwt__sign1 s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (token == NULL || len == 0)
		return eph_err_set(err, EPH_EFORMAT, "token: empty");
	rc = decode(out, &s, token, len, err);
	if (rc == 0)
		rc = cwt__claims_decode(out, s.payload, s.payload_len, err);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
