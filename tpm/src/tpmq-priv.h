/*
 * tpmq-priv.h - what the broker-side files of libtpmq share: the tpmq_key
 * object, cached OpenSSL digests, the TPM key derivation functions and
 * small conversions between tss2 structures and the public tpmq types.
 *
 * Nothing here talks to a TPM; the agent side has its own esys-priv.h.
 */
#ifndef TPMQ_PRIV_H
#define TPMQ_PRIV_H

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpmq.h"

struct tpmq_key {
	int has_public;       /* from a TPM2B_PUBLIC: pub and name are valid */
	TPMT_PUBLIC pub;      /* as unmarshalled; zero for a PEM key */
	EVP_PKEY *pkey;       /* the public key, RSA or EC */
	int pkey_id;          /* EVP_PKEY_RSA or EVP_PKEY_EC */
	size_t name_len;      /* 2 + digest size of pub.nameAlg */
	uint8_t name[TPMQ_NAME_MAX]; /* nameAlg (big-endian) || H(TPMT_PUBLIC) */
};

/*
 * The OpenSSL digest for a TPM hash algorithm id, fetched once per process
 * and cached (EVP_MD_fetch per call would dominate verifying a quote).
 * NULL for an unknown id or one this OpenSSL lacks.
 */
const EVP_MD *tpmq__md(uint16_t alg);

/* out = HMAC_alg(key, a || b); out holds the digest size of alg. b may be
 * NULL with length 0. */
int tpmq__hmac(uint8_t *out, uint16_t alg, const uint8_t *key, size_t key_len, const uint8_t *a,
	       size_t a_len, const uint8_t *b, size_t b_len);

/*
 * KDFa (TPM 2.0 Part 1, 11.4.10.2; SP800-108 counter mode with HMAC):
 * out = first bits/8 bytes of HMAC(key, [i]32 || label || 0x00 || u || v ||
 * [bits]32) for i = 1, 2, ... label is a C string (its NUL is the separator);
 * u and v may be NULL with length 0. bits is a multiple of 8.
 */
int tpmq__kdfa(uint8_t *out, uint16_t alg, const uint8_t *key, size_t key_len, const char *label,
	       const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len, uint32_t bits);

/*
 * KDFe (TPM 2.0 Part 1, 11.4.10.3; SP800-56A concatenation KDF):
 * out = first bits/8 bytes of H([i]32 || z || label || 0x00 || u || v).
 */
int tpmq__kdfe(uint8_t *out, uint16_t alg, const uint8_t *z, size_t z_len, const char *label,
	       const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len, uint32_t bits);

/* TPML_PCR_SELECTION (as unmarshalled) -> struct tpmq_pcrsel. EPH_EFORMAT
 * for a PCR above 23 or more banks than TPMQ_MAX_BANKS, EPH_EUNSUPPORTED
 * for a bank whose hash is unknown. */
int tpmq__pcrsel_from_tpml(struct tpmq_pcrsel *out, const TPML_PCR_SELECTION *in,
			   struct eph_err *err);

/* The OpenSSL group name for a TPM_ECC_CURVE ("P-256"), NULL if unknown;
 * *field_bytes receives the coordinate size. */
const char *tpmq__curve_name(uint16_t curve, size_t *field_bytes);

#endif
