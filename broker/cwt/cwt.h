/*
 * cwt.h - requester tokens: verify (and, for tests and tools, mint) a CBOR
 * Web Token (RFC 8392) signed as a COSE_Sign1 (RFC 9052 section 4.2) with
 * ES256 (RFC 9053 section 2.1) by an issuer in the broker's trust list.
 *
 * Wire form (RFC 8392 Appendix A.3, abridged):
 *   d2                          tag 18 (COSE_Sign1), optional; 61(18(...)) too
 *   84                          array(4)
 *     43 a1 01 26               protected: bstr .cbor {1: -7}  (alg ES256)
 *     a1 04 52 41 73 ...        unprotected: {4: kid}
 *     58 50 a7 01 75 63 ...     payload: bstr .cbor {1: iss, 2: sub, 4: exp, ...}
 *     58 40 54 27 c1 ff ...     signature: r || s, 64 bytes
 *
 * Ephemera's own claims use private-use keys (RFC 8392 section 9.1: keys
 * below -65536), listed below and in docs/cwt-claims.md.
 *
 * Not here: deciding what a role or clearance allows (broker policy), token
 * replay detection (the caller keys it on cti or on the payload, never on
 * the token bytes: ECDSA signatures are malleable), MAC / encrypted / nested
 * / multi-signer COSE, algorithms other than ES256, detached payloads.
 *
 * Return codes (common/eph_err.h):
 *   EPH_EFORMAT      bytes are not a well-formed CWT of this profile: CBOR
 *                    structure, COSE shape, header or claim types, a
 *                    required claim missing
 *   EPH_EUNSUPPORTED well-formed, but not what this verifier implements:
 *                    an algorithm other than ES256, a crit header, another
 *                    COSE message type, a nested token, a detached payload
 *   EPH_EVERIFY      unknown issuer, kid not naming the issuer's key, bad
 *                    signature, expired / not yet valid / issued in the
 *                    future, wrong audience
 *   EPH_ENOMEM, EPH_EIO, EPH_ENOTFOUND, EPH_EFAIL as usual.
 */
#ifndef EPH_CWT_H
#define EPH_CWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "eph_err.h"

#define CWT_MAX_TOKEN 16384 /* bytes of one token, tags included */
#define CWT_MAX_DEPTH 8     /* nesting of arrays, maps and tags in any CBOR item */
#define CWT_MAX_PAIRS 64    /* entries of one map (duplicate keys are refused) */

#define CWT_NAME_MAX 256  /* iss, sub, aud: text bytes + NUL */
#define CWT_ROLE_MAX 64   /* role: text bytes + NUL */
#define CWT_CLASS_MAX 64  /* app class: text bytes + NUL */
#define CWT_CTI_MAX 64    /* cti: bytes */
#define CWT_KID_MAX 64    /* COSE kid: bytes */
#define CWT_CLEARANCE_MAX 4

/* RFC 8392 section 3.1 claim keys. */
#define CWT_CLAIM_ISS 1
#define CWT_CLAIM_SUB 2
#define CWT_CLAIM_AUD 3
#define CWT_CLAIM_EXP 4
#define CWT_CLAIM_NBF 5
#define CWT_CLAIM_IAT 6
#define CWT_CLAIM_CTI 7
/* Ephemera's private-use claim keys (docs/cwt-claims.md). */
#define CWT_CLAIM_ROLE (-65537)        /* tstr */
#define CWT_CLAIM_CLEARANCE (-65538)   /* uint 0..CWT_CLEARANCE_MAX */
#define CWT_CLAIM_APP (-65539)         /* map, keys CWT_APP_* */
#define CWT_CLAIM_SENSITIVITY (-65540) /* tstr, see enum cwt_sensitivity */
/* Keys of the application requirements map. */
#define CWT_APP_VCPU_MILLI 1 /* uint, 1 .. UINT32_MAX: thousandths of a vCPU */
#define CWT_APP_MEM_MIB 2    /* uint, 1 .. UINT32_MAX */
#define CWT_APP_DURATION_S 3 /* uint, 1 .. UINT32_MAX: expected run time */
#define CWT_APP_CLASS 4      /* tstr, optional: workload class name */

/* COSE algorithm and header labels (RFC 9052 section 3.1, RFC 9053). */
#define CWT_COSE_ALG_ES256 (-7)
#define CWT_HDR_ALG 1
#define CWT_HDR_CRIT 2
#define CWT_HDR_CTY 3
#define CWT_HDR_KID 4

/* Data sensitivity, in increasing order; the wire form is the name. */
enum cwt_sensitivity {
	CWT_SENS_PUBLIC = 0,
	CWT_SENS_INTERNAL = 1,
	CWT_SENS_CONFIDENTIAL = 2,
	CWT_SENS_SECRET = 3,
};

/* Bits of cwt_claims.present. */
enum {
	CWT_HAS_ISS = 1u << 0,
	CWT_HAS_SUB = 1u << 1,
	CWT_HAS_AUD = 1u << 2,
	CWT_HAS_EXP = 1u << 3,
	CWT_HAS_NBF = 1u << 4,
	CWT_HAS_IAT = 1u << 5,
	CWT_HAS_CTI = 1u << 6,
	CWT_HAS_ROLE = 1u << 7,
	CWT_HAS_CLEARANCE = 1u << 8,
	CWT_HAS_APP = 1u << 9,
	CWT_HAS_SENSITIVITY = 1u << 10,
	CWT_HAS_APP_CLASS = 1u << 11,
};

/* What cwt_verify() requires unless CWT_VERIFY_STANDARD_ONLY. */
#define CWT_REQUIRED_EPHEMERA \
	(CWT_HAS_ISS | CWT_HAS_SUB | CWT_HAS_EXP | CWT_HAS_ROLE | CWT_HAS_CLEARANCE | \
	 CWT_HAS_APP | CWT_HAS_SENSITIVITY)

/* Application requirements: hints for sizing, never limits (policy sets those). */
struct cwt_app {
	uint32_t vcpu_milli;
	uint32_t mem_mib;
	uint32_t duration_s;
	char cls[CWT_CLASS_MAX]; /* "" unless CWT_HAS_APP_CLASS */
};

/*
 * A token's claims, plus the two header fields a caller may want to log.
 * Text fields are NUL-terminated valid UTF-8 without control characters;
 * a field is meaningful only when its CWT_HAS_* bit is set in present.
 */
struct cwt_claims {
	unsigned present; /* CWT_HAS_* */
	char iss[CWT_NAME_MAX];
	char sub[CWT_NAME_MAX];           /* the requester's user id */
	char aud[CWT_NAME_MAX];           /* a single tstr; arrays are refused */
	int64_t exp, nbf, iat;            /* NumericDate, integer seconds, >= 0 */
	char cti_hex[2 * CWT_CTI_MAX + 1]; /* token id, lower-case hex */
	char role[CWT_ROLE_MAX];
	unsigned clearance;               /* 0 .. CWT_CLEARANCE_MAX */
	enum cwt_sensitivity sensitivity;
	struct cwt_app app;
	/* From the COSE headers, not claims: */
	int64_t alg;                      /* always CWT_COSE_ALG_ES256 once verified */
	char kid_hex[2 * CWT_KID_MAX + 1]; /* "" when the token carries no kid */
};

/* The issuers a broker trusts, each a name (the iss claim) and a P-256 key. */
typedef struct cwt_trust cwt_trust;

/* An empty trust list. Free with cwt_trust_free(). */
int cwt_trust_new(cwt_trust **out, struct eph_err *err);

/*
 * Trust every <issuer>.pem in dir: each an EC P-256 "PUBLIC KEY" PEM; the
 * file name without ".pem" is the iss the issuer's tokens must carry, and
 * must be 1..CWT_NAME_MAX-1 bytes of [A-Za-z0-9._:@-] not starting with '.'.
 * Hidden files and names not ending in ".pem" are skipped. Fails closed: a
 * file that does not parse, a bad name, or a folder without any key fails
 * the whole load (naming the file), *out = NULL.
 */
int cwt_trust_load_dir(cwt_trust **out, const char *dir, struct eph_err *err);

/*
 * Trust pub (an EC P-256 key; a reference is taken) for tokens whose iss is
 * exactly iss (any text, URIs included). Such tokens may carry a kid equal
 * to the key's RFC 9679 thumbprint, to iss itself, or to kid (if kid_len >
 * 0), or no kid at all. Refuses a second key for the same iss.
 */
int cwt_trust_add(cwt_trust *t, const char *iss, EVP_PKEY *pub, const uint8_t *kid,
		  size_t kid_len, struct eph_err *err);

/*
 * From now on require aud == audience in every token (NULL: stop checking
 * aud, the default). The broker should set its own name.
 */
int cwt_trust_set_audience(cwt_trust *t, const char *audience, struct eph_err *err);

/* Number of issuers. */
size_t cwt_trust_count(const cwt_trust *t);

void cwt_trust_free(cwt_trust *t);

/* Flags of cwt_verify_ex(). */
#define CWT_VERIFY_STANDARD_ONLY 0x1u /* do not require Ephemera's claims (still typed) */

/*
 * Verify token[0..len) and fill out. Checks, in order: size and CBOR
 * structure (definite lengths, depth, map sizes, no duplicate keys, valid
 * UTF-8, no trailing bytes); COSE_Sign1 shape (optionally 18- or 61(18)-
 * tagged); the protected header (alg -7 there and only there, no crit, no
 * content type); iss names a trusted issuer and kid, if any, names its key;
 * the ES256 signature; exp present and now < exp + leeway_s; now + leeway_s
 * >= nbf; iat <= now + leeway_s; aud if the trust list asks for one; then
 * presence and types of the claims Ephemera requires (CWT_REQUIRED_EPHEMERA).
 * On failure *out is zeroed and err names the first problem.
 */
int cwt_verify(struct cwt_claims *out, const cwt_trust *t, const uint8_t *token, size_t len,
	       time_t now, unsigned leeway_s, struct eph_err *err);

/* cwt_verify() with CWT_VERIFY_* flags (0 is cwt_verify()). */
int cwt_verify_ex(struct cwt_claims *out, const cwt_trust *t, const uint8_t *token,
		  size_t len, time_t now, unsigned leeway_s, unsigned flags, struct eph_err *err);

/*
 * Decode without verifying anything but structure and types: NOT a trust
 * decision. For `ephemera-token show` and for diagnostics only.
 */
int cwt_decode_unverified(struct cwt_claims *out, const uint8_t *token, size_t len,
			  struct eph_err *err);

/* Flags of cwt_sign(). */
#define CWT_SIGN_NO_KID 0x1u    /* leave the kid out of the protected header */
#define CWT_SIGN_UNTAGGED 0x2u  /* a bare COSE_Sign1 array, no tag 18 */
#define CWT_SIGN_TAG_CWT 0x4u   /* 61(18(...)) */

/*
 * Mint a token: claims (those with a CWT_HAS_* bit) as the payload,
 * protected header {1: -7, 4: RFC 9679 thumbprint of key}, unprotected {},
 * tag 18; key is an EC P-256 private key. Refuses claims that cwt_verify
 * would refuse (bad text, clearance > 4, zero app requirements ...).
 * *out is malloc'ed; the caller frees it.
 */
int cwt_sign(uint8_t **out, size_t *out_len, const struct cwt_claims *claims, EVP_PKEY *key,
	     unsigned flags, struct eph_err *err);

/*
 * The raw COSE_Sign1 builder under cwt_sign(), for tests and seeds: signs
 * Sig_structure ["Signature1", prot, h'', payload] with ES256 and emits the
 * untagged array [prot, unprot, payload, signature]. unprot must be one
 * encoded CBOR map and is copied as is; nothing else is checked.
 */
int cwt_sign1_raw(uint8_t **out, size_t *out_len, const uint8_t *prot, size_t prot_len,
		  const uint8_t *unprot, size_t unprot_len, const uint8_t *payload,
		  size_t payload_len, EVP_PKEY *key, struct eph_err *err);

/* RFC 9679 COSE Key Thumbprint (SHA-256) of an EC P-256 key. */
int cwt_key_thumbprint(uint8_t out[32], EVP_PKEY *key, struct eph_err *err);

/* "public", "internal", "confidential", "secret"; NULL when out of range. */
const char *cwt_sensitivity_name(enum cwt_sensitivity s);

/* Name to value; -1 when name is not one of the four (exact, case-sensitive). */
int cwt_sensitivity_from_name(const char *name, size_t len);

#endif
