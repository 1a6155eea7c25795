/*
 * tq.h - helpers for the libtpmq broker-side tests: OpenSSL keys wrapped
 * into TPM2B_PUBLIC, synthetic TPMS_ATTEST quotes marshalled with tss2-mu
 * and signed in software, so that every scheme and every rejection can be
 * shaped without a TPM.
 */
#ifndef TQ_H
#define TQ_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpmq.h"

/* sign|restricted|userWithAuth|sensitiveDataOrigin|fixedParent|fixedTPM */
#define TQ_AK_ATTRS 0x00050072u
/* restricted|decrypt|adminWithPolicy|sensitiveDataOrigin|fixedParent|fixedTPM */
#define TQ_EK_ATTRS 0x000300b2u

EVP_PKEY *tq_gen_rsa(int bits);
EVP_PKEY *tq_gen_ec(const char *group);

/* TPMT_PUBLIC of pkey: AK-like (scheme/hash as given, symmetric NULL) or,
 * with ek set, EK-like (AES-128-CFB, scheme NULL, TCG EK policy). */
void tq_tpmt(TPMT_PUBLIC *pub, EVP_PKEY *pkey, uint32_t attrs, uint16_t name_alg, uint16_t scheme,
	     uint16_t hash, int ek);
/* Marshal as TPM2B_PUBLIC into out; returns the length. */
size_t tq_marshal_public(uint8_t *out, size_t cap, const TPMT_PUBLIC *pub);
/* tq_tpmt + tq_marshal_public + tpmq_key_from_public (asserting success). */
tpmq_key *tq_key(EVP_PKEY *pkey, uint32_t attrs, uint16_t scheme, uint16_t hash, int ek);

/* A quote attest over sel with this nonce and pcrDigest; returns the length. */
size_t tq_attest(uint8_t *out, size_t cap, const uint8_t *nonce, size_t nonce_len,
		 const TPML_PCR_SELECTION *sel, const uint8_t *digest, size_t digest_len,
		 uint64_t clock, uint32_t resets, uint32_t restarts);
/* TPMT_SIGNATURE by pkey over H_hash(msg) with scheme; returns the length. */
size_t tq_sign(uint8_t *out, size_t cap, EVP_PKEY *pkey, uint16_t scheme, uint16_t hash,
	       const uint8_t *msg, size_t len);

/* The EVP_MD for a TPM hash id (asserts). */
const EVP_MD *tq_md(uint16_t alg);

/* Does msg contain needle? (for checking error messages) */
int tq_has(const char *msg, const char *needle);

#endif
