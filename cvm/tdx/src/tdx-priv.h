/*
 * tdx-priv.h - what the files of libtdx share: the trust store's layout,
 * the P-256 helpers and the short-hex formatter for messages.
 */
#ifndef TDX_PRIV_H
#define TDX_PRIV_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tdx.h"

struct tdx_trust {
	X509 *root;                /* the pinned self-signed root */
	STACK_OF(X509_CRL) * crls; /* operator-provided, may be empty */
};

/* Short hex for messages: "aabbccddeeff..11223344" (whole value if <= 12 bytes). */
#define TDX__HEX_SHORT 32
void tdx__hex_short(char out[TDX__HEX_SHORT], const uint8_t *p, size_t n);

/* An EVP_PKEY for a raw P-256 public key x || y (64 bytes). */
int tdx__p256_key(EVP_PKEY **out, const uint8_t xy[64], const char *what, struct eph_err *err);

/*
 * Verify an ECDSA P-256 / SHA-256 signature given as r || s (64 bytes)
 * over msg with key. Returns 0, EPH_EVERIFY naming what on a bad
 * signature, -1 on an OpenSSL failure.
 */
int tdx__ecdsa_verify(EVP_PKEY *key, const uint8_t sig[64], const uint8_t *msg, size_t len,
                      const char *what, struct eph_err *err);

/* Decode the Intel SGX extension (DER, the extension's OCTET STRING contents). */
int tdx__pck_ext_parse(struct tdx_pck_info *out, const uint8_t *der, size_t len,
                       struct eph_err *err);

/*
 * Verify the quote's PCK chain at `at` against t; fills res->pck,
 * pck_ca, chain_not_after, crl_checked; *leaf_key is the PCK's key.
 */
int tdx__pck_verify(EVP_PKEY **leaf_key, struct tdx_verify_result *res, const struct tdx_quote *q,
                    const tdx_trust *t, time_t at, struct eph_err *err);

/* Parse "2023-06-18T08:42:58Z" (UTC, 'Z' required) into *t. Returns 0 or -1. */
int tdx__parse_time(time_t *t, const char *s);

/* ---- collateral JSON helpers (json.c) ---- */
struct json_t;

/* obj[key] as a string of exactly n bytes in hex; -1 with err naming doc.key. */
int tdx__json_hex(uint8_t *out, size_t n, const struct json_t *obj, const char *doc,
                  const char *key, struct eph_err *err);
/* obj[key] as an integer in [0, max]. */
int tdx__json_uint(unsigned *out, unsigned max, const struct json_t *obj, const char *doc,
                   const char *key, struct eph_err *err);
/* obj[key] as an RFC 3339 UTC time. */
int tdx__json_time(time_t *out, const struct json_t *obj, const char *doc, const char *key,
                   struct eph_err *err);
/* obj[key] ("UpToDate", ...) as a status. */
int tdx__json_status(enum tdx_tcb_status *out, const struct json_t *obj, const char *doc,
                     struct eph_err *err);
/* Load a JSON document; its top-level member `top` must be an object. */
int tdx__json_load(struct json_t **root, struct json_t **obj, const char *json, size_t len,
                   const char *top, struct eph_err *err);
/* at within [issue, next]; EPH_EVERIFY otherwise. */
int tdx__check_dates(time_t issue, time_t next, time_t at, const char *doc, struct eph_err *err);

#endif
