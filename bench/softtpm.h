/*
 * softtpm.h - a TPM 2.0 identity in software, for load generation only
 * (prefix softtpm_): an endorsement key with an EK certificate from a CA
 * the benchmark makes, a restricted ECDSA P-256 attestation key, the
 * TPM's side of credential activation (TPM2_ActivateCredential) and
 * quotes (TPM2_Quote), all byte for byte as a TPM would produce them, so
 * that the broker verifies them with exactly the code it runs on real
 * agents.
 *
 * Deliberately not: a TPM. The private keys sit in this process's memory,
 * PCRs are whatever the caller says, the clock is the caller's: it lets a
 * benchmark drive thousands of agents against one broker without one
 * swtpm each. Never link it into anything but bench/.
 */
#ifndef SOFTTPM_H
#define SOFTTPM_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

/* Kinds of EK (TCG EK Credential Profile 2.3, templates L-1 and L-2). */
enum softtpm_ek_alg {
	SOFTTPM_EK_RSA2048 = 1, /* L-1: RSA 2048, AES-128-CFB, SHA-256 */
	SOFTTPM_EK_P256 = 2,    /* L-2: ECC NIST P-256, AES-128-CFB, SHA-256 */
};

#define SOFTTPM_PUBLIC_MAX 512 /* a marshalled TPM2B_PUBLIC (RSA-2048: 316 bytes) */
#define SOFTTPM_NAME_LEN 34    /* SHA-256 nameAlg (2) + digest (32) */
#define SOFTTPM_ATTEST_MAX 512 /* a quote's TPMS_ATTEST, one bank */
#define SOFTTPM_SIG_MAX 80     /* an ECDSA P-256 TPMT_SIGNATURE (72 bytes) */

struct softtpm_ca;
struct softtpm_ek;
struct softtpm_ak;

/* A PCR bank as the quote covers it: SHA-256 values of the PCRs in mask. */
struct softtpm_pcrs {
	uint32_t mask;         /* bit i: PCR i is selected */
	uint8_t pcr[24][32];   /* SHA-256 values */
};

/* What TPMS_CLOCK_INFO and firmwareVersion say (TPM 2.0 Part 2, 10.11.1). */
struct softtpm_clock {
	uint64_t clock_ms;      /* must grow between quotes of one boot */
	uint32_t reset_count;
	uint32_t restart_count;
	uint64_t firmware_version;
};

/*
 * The EK certificate authority ("the TPM manufacturer"): a self-signed
 * ECDSA P-256 CA made fresh, or loaded from the PEM files _write left.
 */
int softtpm_ca_new(struct softtpm_ca **out, struct eph_err *err);
int softtpm_ca_load(struct softtpm_ca **out, const char *cert_pem, const char *key_pem,
		    struct eph_err *err);
int softtpm_ca_write(const struct softtpm_ca *ca, const char *cert_pem, const char *key_pem,
		     struct eph_err *err);
void softtpm_ca_free(struct softtpm_ca *ca);

/* A fresh EK of the given kind; its TPM2B_PUBLIC is the TCG template's. */
int softtpm_ek_new(struct softtpm_ek **out, enum softtpm_ek_alg alg, struct eph_err *err);
void softtpm_ek_free(struct softtpm_ek *ek);
/* The EK's TPM2B_PUBLIC (size prefix included); valid while ek lives. */
const uint8_t *softtpm_ek_public(const struct softtpm_ek *ek, size_t *len);

/*
 * A DER EK certificate for ek signed by ca, in the TCG EK Credential
 * Profile's shape (empty subject, critical subjectAltName directoryName
 * with TPM manufacturer/model/version, keyUsage keyEncipherment or
 * keyAgreement, EKU tcg-kp-EKCertificate, basicConstraints CA:FALSE).
 * *der is OPENSSL_malloc'ed: free with softtpm_free.
 */
int softtpm_ek_certify(uint8_t **der, size_t *der_len, const struct softtpm_ca *ca,
		       const struct softtpm_ek *ek, uint64_t serial, struct eph_err *err);
void softtpm_free(void *p);

/* A fresh restricted ECDSA-SHA256 P-256 AK created under ek (its parent). */
int softtpm_ak_new(struct softtpm_ak **out, const struct softtpm_ek *parent,
		   struct eph_err *err);
void softtpm_ak_free(struct softtpm_ak *ak);
const uint8_t *softtpm_ak_public(const struct softtpm_ak *ak, size_t *len);
/* nameAlg || SHA-256(TPMT_PUBLIC): SOFTTPM_NAME_LEN bytes. */
const uint8_t *softtpm_ak_name(const struct softtpm_ak *ak);

/*
 * TPM2_ActivateCredential (Part 3, 12.5) for the credential the broker
 * made with TPM2_MakeCredential semantics: recover the seed with the EK,
 * check the integrity HMAC over encIdentity || ak_name, decrypt the
 * credential into secret (at most cap bytes). EPH_EVERIFY when the blob
 * was not made for this EK and name. The seed and keys are wiped.
 */
int softtpm_activate(uint8_t *secret, size_t *secret_len, size_t cap,
		     const struct softtpm_ek *ek, const uint8_t *ak_name, size_t ak_name_len,
		     const uint8_t *id_object, size_t id_object_len, const uint8_t *enc_secret,
		     size_t enc_secret_len, struct eph_err *err);

/*
 * TPM2_Quote (Part 3, 18.4) with the AK over the SHA-256 bank in pcrs:
 * writes the TPMS_ATTEST (at most SOFTTPM_ATTEST_MAX bytes) and its
 * TPMT_SIGNATURE (at most SOFTTPM_SIG_MAX bytes), both as the TPM
 * marshals them.
 */
int softtpm_quote(uint8_t *attest, size_t *attest_len, uint8_t *sig, size_t *sig_len,
		  const struct softtpm_ak *ak, const struct softtpm_clock *clk,
		  const uint8_t *nonce, size_t nonce_len, const struct softtpm_pcrs *pcrs,
		  struct eph_err *err);

#endif
