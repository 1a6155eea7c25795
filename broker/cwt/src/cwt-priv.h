/*
 * cwt-priv.h - what the files of broker/cwt/src share (prefix cwt__).
 *
 * Layering: cbor.c reads and checks CBOR (one item head at a time, through
 * libcbor's streaming decoder, and a whole-item structural check); cose.c
 * takes a COSE_Sign1 apart, checks its headers and its ES256 signature;
 * claims.c turns the payload map into struct cwt_claims and back; trust.c
 * holds the issuers; verify.c runs the checks in order; sign.c mints.
 */
#ifndef CWT_PRIV_H
#define CWT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cwt.h"
#include "eph_err.h"

/* ---- cbor.c ---------------------------------------------------------- */

enum cwt__type {
	CWT_T_UINT,   /* v = value */
	CWT_T_NEGINT, /* value = -1 - v */
	CWT_T_BSTR,   /* p, n = content */
	CWT_T_TSTR,   /* p, n = content (UTF-8 checked by cwt__cbor_check) */
	CWT_T_ARRAY,  /* v = entries */
	CWT_T_MAP,    /* v = pairs */
	CWT_T_TAG,    /* v = tag number; one item follows */
	CWT_T_SIMPLE, /* false, true, null, undefined */
	CWT_T_FLOAT,  /* half, single or double */
};

/* One item head; strings come whole, pointing into the buffer read. */
struct cwt__item {
	enum cwt__type type;
	uint64_t v;
	const uint8_t *p;
	size_t n;
	size_t off; /* offset of the head in the buffer */
};

struct cwt__rd {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	const char *what; /* "token", "protected header", "payload": names errors */
};

void cwt__rd_init(struct cwt__rd *r, const uint8_t *buf, size_t len, const char *what);

/* Read the next head; refuses truncation, malformed and indefinite items. */
int cwt__rd_head(struct cwt__rd *r, struct cwt__item *it, struct eph_err *err);

/* Step over the content of it (a head just read): containers and tags. */
int cwt__rd_skip(struct cwt__rd *r, const struct cwt__item *it, struct eph_err *err);

/*
 * buf is exactly one well-formed CBOR item of this profile: definite
 * lengths, depth <= CWT_MAX_DEPTH, maps of <= CWT_MAX_PAIRS with integer or
 * text keys and no duplicate key, valid UTF-8 text, only false / true /
 * null / undefined as simple values, no trailing bytes.
 */
int cwt__cbor_check(const uint8_t *buf, size_t len, const char *what, struct eph_err *err);

/* A map key or header label: an integer (int64 range) or a text string. */
struct cwt__label {
	bool is_text;
	int64_t i;
	const uint8_t *p;
	size_t n;
};

/* it as a label; -1 for other types or integers outside int64. */
int cwt__label_of(struct cwt__label *l, const struct cwt__item *it);

bool cwt__label_eq(const struct cwt__label *a, const struct cwt__label *b);

/* it as int64; -1 for other types or out of range. */
int cwt__item_int(const struct cwt__item *it, int64_t *v);

/* Number of leading bytes of s[0..n) that are valid UTF-8 (n if all). */
size_t cwt__utf8_valid(const uint8_t *s, size_t n);

/* ---- cose.c ---------------------------------------------------------- */

/* A COSE_Sign1 taken apart; pointers into the token. */
struct cwt__sign1 {
	const uint8_t *prot;    /* protected header bstr content */
	size_t prot_len;
	const uint8_t *payload; /* payload bstr content */
	size_t payload_len;
	const uint8_t *sig;     /* 64 bytes */
	int64_t alg;
	const uint8_t *kid;     /* NULL when absent */
	size_t kid_len;
};

/* Structure, tags, shape and headers (alg ES256 protected, no crit / cty). */
int cwt__sign1_parse(struct cwt__sign1 *s, const uint8_t *token, size_t len,
		     struct eph_err *err);

/* Sig_structure for ["Signature1", prot, h'', payload]; *out malloc'ed. */
int cwt__sig_structure(uint8_t **out, size_t *out_len, const uint8_t *prot, size_t prot_len,
		       const uint8_t *payload, size_t payload_len, struct eph_err *err);

/* ES256 over the Sig_structure of s with pub. */
int cwt__sign1_verify(const struct cwt__sign1 *s, EVP_PKEY *pub, struct eph_err *err);

/* Is key an EC key on P-256? */
bool cwt__is_p256(EVP_PKEY *key);

/* ---- claims.c -------------------------------------------------------- */

/* Decode the payload map: types and ranges of every known claim. */
int cwt__claims_decode(struct cwt_claims *c, const uint8_t *payload, size_t len,
		       struct eph_err *err);

/* Find just the iss claim (before the signature is checked). */
int cwt__claims_iss(char iss[CWT_NAME_MAX], const uint8_t *payload, size_t len,
		    struct eph_err *err);

/* Check text for a claim: non-empty, fits cap with its NUL, UTF-8, no controls. */
int cwt__text_ok(const uint8_t *p, size_t n, size_t cap, const char *name, struct eph_err *err);

/* ---- encoder (sign.c, claims.c) -------------------------------------- */

/* A growable output buffer; the first failure sticks (rc). */
struct cwt__w {
	uint8_t *p;
	size_t len;
	size_t cap;
	int rc;
};

void cwt__w_uint(struct cwt__w *w, uint64_t v);
void cwt__w_int(struct cwt__w *w, int64_t v);
void cwt__w_bstr(struct cwt__w *w, const uint8_t *p, size_t n);
void cwt__w_tstr(struct cwt__w *w, const char *s);
void cwt__w_map(struct cwt__w *w, size_t pairs);
void cwt__w_array(struct cwt__w *w, size_t n);
void cwt__w_tag(struct cwt__w *w, uint64_t tag);
void cwt__w_raw(struct cwt__w *w, const uint8_t *p, size_t n);

/* Encode the claims with a CWT_HAS_* bit as a payload map (checked first). */
int cwt__claims_encode(struct cwt__w *w, const struct cwt_claims *c, struct eph_err *err);

/* ---- trust.c --------------------------------------------------------- */

/* The key for iss, NULL if unknown; checks kid (may be NULL) against it. */
int cwt__trust_lookup(EVP_PKEY **key, const cwt_trust *t, const char *iss, const uint8_t *kid,
		      size_t kid_len, struct eph_err *err);

/* The audience the trust list requires, NULL if none. */
const char *cwt__trust_audience(const cwt_trust *t);

#endif
