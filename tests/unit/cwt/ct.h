/*
 * ct.h - helpers shared by the cwt tests: a P-256 test key, a complete
 * claim set, a trust list with one issuer, and a small CBOR builder that is
 * independent of the library's encoder, so that refusal tests can shape
 * (and sign) exactly the bad header or payload they need.
 */
#ifndef CWT_CT_H
#define CWT_CT_H

#include <stddef.h>
#include <stdint.h>

#include "cwt.h"

#define CT_NOW 1700000000
#define CT_ISS "idp.example"

/* A fresh EC P-256 key (private; the public half is in it). */
EVP_PKEY *ct_key(void);

/* Every claim Ephemera requires, valid from CT_NOW - 10 for an hour. */
void ct_claims(struct cwt_claims *c);

/* A trust list trusting key for CT_ISS. */
cwt_trust *ct_trust(EVP_PKEY *key);

/* cwt_sign() that asserts; free() the result. */
uint8_t *ct_mint(const struct cwt_claims *c, EVP_PKEY *key, unsigned flags, size_t *len);

/* A growable byte buffer and CBOR heads (major type mt, argument v). */
struct ct_buf {
	uint8_t b[32768];
	size_t n;
};
void ct_head(struct ct_buf *b, unsigned mt, uint64_t v);
void ct_raw(struct ct_buf *b, const void *p, size_t n);
void ct_int(struct ct_buf *b, int64_t v);
void ct_tstr(struct ct_buf *b, const char *s);
void ct_bstr(struct ct_buf *b, const void *p, size_t n);
/* Append hex digits (spaces allowed). */
void ct_hex(struct ct_buf *b, const char *hex);

/*
 * The payload map of ct_claims() with `extra` pairs still to come: writes
 * the map head for (10 - dropped + extra) pairs and every standard pair
 * except the claim keys listed in drop (0-terminated; pass NULL for none).
 * The caller appends exactly `extra` key/value pairs.
 */
void ct_payload(struct ct_buf *b, const int64_t *drop, unsigned extra);

/* Sign prot / unprot / payload as a raw COSE_Sign1 (untagged); free() it. */
uint8_t *ct_sign_raw(const struct ct_buf *prot, const struct ct_buf *unprot,
		     const struct ct_buf *payload, EVP_PKEY *key, size_t *len);

/* The protected header {1: -7}. */
void ct_prot_es256(struct ct_buf *b);

#endif
