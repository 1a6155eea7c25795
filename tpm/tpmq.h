/*
 * tpmq.h - libtpmq: TPM 2.0 evidence. The agent's side talks to a TPM through
 * tpm2-tss ESAPI (any TCTI: swtpm, device, ...); the broker's side verifies
 * what the agent sends with libtss2-mu (unmarshalling) and OpenSSL, without
 * a TPM.
 *
 * Everything that crosses the wire is in TPM marshalled form (big-endian,
 * TPM 2.0 Part 2): a key is a TPM2B_PUBLIC, a quote is the TPMS_ATTEST bytes
 * (the contents of the TPM2B_ATTEST, no size prefix) plus a TPMT_SIGNATURE,
 * a credential is a TPM2B_ID_OBJECT plus a TPM2B_ENCRYPTED_SECRET.
 *
 * Not here: deciding whether the PCR values are good (the broker's
 * appraisal with libevlog), the transport (agent/, broker/).
 *
 * Every function returns 0 or a negative EPH_E* code and fills err with one
 * line; verification failures are EPH_EVERIFY, policy refusals (an AK
 * without fixedTPM) EPH_EPOLICY, malformed bytes EPH_EFORMAT.
 */
#ifndef TPMQ_H
#define TPMQ_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"
#include "eph_hash.h"

#define TPMQ_NUM_PCRS 24
#define TPMQ_MAX_BANKS 4         /* banks in one selection */
#define TPMQ_MAX_DIGEST EPH_HASH_MAX
#define TPMQ_NAME_MAX (2 + TPMQ_MAX_DIGEST) /* nameAlg || digest */
#define TPMQ_MAX_NONCE 64        /* TPM2B_DATA in a quote: at most a digest */

/* ---------------------------------------------------------------------- */
/* PCR selections and values                                               */
/* ---------------------------------------------------------------------- */

/* A TPML_PCR_SELECTION: per bank, a bit mask of PCRs 0..23. */
struct tpmq_pcrsel {
	uint32_t num_banks;
	struct {
		uint16_t alg;  /* EPH_ALG_* */
		uint32_t mask; /* bit i: PCR i */
	} banks[TPMQ_MAX_BANKS];
};

/* PCR values of one bank; only PCRs whose bit is in mask are meaningful. */
struct tpmq_pcr_bank {
	uint16_t alg;
	uint32_t mask;
	uint8_t pcr[TPMQ_NUM_PCRS][TPMQ_MAX_DIGEST];
};

struct tpmq_pcrs {
	uint32_t num_banks;
	struct tpmq_pcr_bank banks[TPMQ_MAX_BANKS];
};

/*
 * The quote's PCR digest: H_alg of the selected PCR values concatenated in
 * selection order (banks in order, PCRs ascending), TPM 2.0 Part 3, 18.4.
 * Fails with EPH_ENOTFOUND naming the first selected PCR missing from pcrs.
 */
int tpmq_pcr_digest(uint8_t *out, size_t *out_len, uint16_t alg, const struct tpmq_pcrsel *sel,
		    const struct tpmq_pcrs *pcrs, struct eph_err *err);

/* Parse "sha256:0,1,2+sha1:all" (tpm2-tools pcr list syntax) into *out. */
int tpmq_pcrsel_parse(struct tpmq_pcrsel *out, const char *spec, struct eph_err *err);

/*
 * Read the PCR file that tpm2_quote -o / tpm2_pcrread -o write (default
 * "serialized" format: TPML_PCR_SELECTION, count, TPML_DIGESTs in host
 * layout) into *out, and its selection into *sel (may be NULL).
 */
int tpmq_pcrs_from_tpm2tools(struct tpmq_pcrs *out, struct tpmq_pcrsel *sel, const uint8_t *buf,
			     size_t len, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Public keys (broker side)                                               */
/* ---------------------------------------------------------------------- */

typedef struct tpmq_key tpmq_key; /* opaque: TPMT_PUBLIC, OpenSSL key, name */

/* TPMA_OBJECT bits (TPM 2.0 Part 2, 8.3). */
#define TPMQ_ATTR_FIXED_TPM 0x00000002u
#define TPMQ_ATTR_ST_CLEAR 0x00000004u
#define TPMQ_ATTR_FIXED_PARENT 0x00000010u
#define TPMQ_ATTR_SENSITIVE_DATA_ORIGIN 0x00000020u
#define TPMQ_ATTR_USER_WITH_AUTH 0x00000040u
#define TPMQ_ATTR_ADMIN_WITH_POLICY 0x00000080u
#define TPMQ_ATTR_NO_DA 0x00000400u
#define TPMQ_ATTR_RESTRICTED 0x00010000u
#define TPMQ_ATTR_DECRYPT 0x00020000u
#define TPMQ_ATTR_SIGN 0x00040000u

/*
 * Parse a TPM2B_PUBLIC (size-prefixed TPMT_PUBLIC, as tpm2_createak -u
 * writes) of an RSA or ECC key. The name (nameAlg || H(TPMT_PUBLIC)) is
 * computed from the exact bytes received.
 */
int tpmq_key_from_public(tpmq_key **out, const uint8_t *buf, size_t len, struct eph_err *err);

/* A bare public key in PEM (SubjectPublicKeyInfo); it has no TPM attributes
 * and no name, so AK checks and MakeCredential refuse it. */
int tpmq_key_from_pem(tpmq_key **out, const uint8_t *pem, size_t len, struct eph_err *err);

void tpmq_key_free(tpmq_key *key);

/* TPMA_OBJECT of a key from a TPM2B_PUBLIC; 0 for a PEM key. */
uint32_t tpmq_key_attributes(const tpmq_key *key);

/* Copy the TPM name into out (TPMQ_NAME_MAX bytes); EPH_ENOTFOUND for PEM keys. */
int tpmq_key_name(uint8_t *out, size_t *out_len, const tpmq_key *key, struct eph_err *err);

/*
 * Is this a key an attestation may be signed with: a signing key that is
 * restricted (signs only TPM-generated structures), fixedTPM, fixedParent,
 * sensitiveDataOrigin and not decrypt? EPH_EPOLICY naming the first missing
 * attribute.
 */
int tpmq_key_check_ak(const tpmq_key *key, struct eph_err *err);

/* Is this an EK: restricted decrypt storage key, fixedTPM, fixedParent,
 * adminWithPolicy? EPH_EPOLICY naming the first wrong attribute. */
int tpmq_key_check_ek(const tpmq_key *key, struct eph_err *err);

/* PEM SubjectPublicKeyInfo of the key into a new NUL-terminated buffer. */
int tpmq_key_to_pem(char **out, const tpmq_key *key, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Quotes (broker side)                                                    */
/* ---------------------------------------------------------------------- */

#define TPMQ_GENERATED_VALUE 0xff544347u /* "\xffTCG" */
#define TPMQ_ST_ATTEST_QUOTE 0x8018

/* A TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE. */
struct tpmq_attest {
	uint32_t magic;
	uint16_t type;
	uint16_t signer_len;
	uint8_t signer[TPMQ_NAME_MAX];  /* qualifiedSigner */
	uint16_t extra_len;
	uint8_t extra[TPMQ_MAX_NONCE];  /* extraData: the caller's nonce */
	uint64_t clock;                 /* ms the TPM has been powered */
	uint32_t reset_count;           /* TPM resets (reboots) */
	uint32_t restart_count;         /* TPM restarts since the last reset */
	uint8_t safe;
	uint64_t firmware_version;
	struct tpmq_pcrsel sel;         /* PCRs the quote covers */
	uint16_t pcr_digest_len;
	uint8_t pcr_digest[TPMQ_MAX_DIGEST];
};

/* Unmarshal a quote's TPMS_ATTEST, checking magic and type. */
int tpmq_attest_parse(struct tpmq_attest *out, const uint8_t *buf, size_t len,
		      struct eph_err *err);

/*
 * Verify a quote, in this order, stopping at the first failure:
 *  1. attest parses, magic is TPM_GENERATED_VALUE, type is a quote;
 *  2. sig is a TPMT_SIGNATURE of a scheme the AK may use (RSASSA, RSAPSS,
 *     ECDSA) and verifies over the attest bytes with the AK;
 *  3. extraData equals nonce (constant-time);
 *  4. when pcrs is not NULL: every selected PCR is present in pcrs and the
 *     digest of their values (hash of the signature scheme) equals the
 *     quote's pcrDigest.
 * On success *out (may be NULL) holds the parsed quote so that the caller
 * can compare clock/resetCount/restartCount with the previous one.
 */
int tpmq_quote_verify(struct tpmq_attest *out, const tpmq_key *ak, const uint8_t *attest,
		      size_t attest_len, const uint8_t *sig, size_t sig_len, const uint8_t *nonce,
		      size_t nonce_len, const struct tpmq_pcrs *pcrs, struct eph_err *err);

/*
 * Freshness across quotes of one TPM: refuse a quote whose counters go
 * backwards (a replay of an older quote, or a TPM that was swapped):
 * resetCount must not decrease; with equal resetCount restartCount must not
 * decrease; with both equal clock must increase strictly.
 */
int tpmq_attest_check_newer(const struct tpmq_attest *prev, const struct tpmq_attest *cur,
			    struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Credential activation and EK certificates (broker side)                 */
/* ---------------------------------------------------------------------- */

/*
 * TPM2_MakeCredential in software (TPM 2.0 Part 1, 24): protect secret for
 * the TPM holding ek, bound to the object named ak_name. RSA EKs use
 * RSA-OAEP with label "IDENTITY"; ECC EKs ECDH + KDFe. Outputs are the
 * marshalled TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET (size prefixes
 * included), new buffers the caller frees. secret is at most 64 bytes.
 */
int tpmq_make_credential(uint8_t **id_object, size_t *id_object_len, uint8_t **enc_secret,
			 size_t *enc_secret_len, const tpmq_key *ek, const uint8_t *ak_name,
			 size_t ak_name_len, const uint8_t *secret, size_t secret_len,
			 struct eph_err *err);

/*
 * Verify an EK certificate (DER) against the trust bundle: every *.pem in
 * trust_dir (roots and intermediates; the TPM vendor's or swtpm's local CA),
 * at time at (0: now). TCG EK certificates carry a critical
 * subjectAltName with TPM manufacturer attributes that OpenSSL does not
 * know; that is accepted. When ek is not NULL the certificate's key must
 * equal ek's. EPH_EVERIFY with OpenSSL's reason otherwise.
 */
int tpmq_ekcert_verify(const uint8_t *der, size_t der_len, const char *trust_dir,
		       const tpmq_key *ek, long long at, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Agent side: a TPM through ESAPI                                         */
/* ---------------------------------------------------------------------- */

typedef struct tpmq_tpm tpmq_tpm; /* an open ESYS context, its EK and AK */

enum tpmq_keyalg {
	TPMQ_RSA2048 = 1, /* EK: TCG EK template L-1; AK: RSASSA-SHA256 */
	TPMQ_ECC_P256 = 2, /* EK: template L-2; AK: ECDSA-SHA256 */
	TPMQ_RSA2048_PSS = 3, /* AK only: RSAPSS-SHA256 */
	TPMQ_ECC_P384 = 4, /* EK: high-range template H-3 (cert at 0x01c00016,
			    * what swtpm_setup writes); AK: ECDSA-SHA384 */
};

/*
 * Open a TPM. tcti is a tpm2-tss TCTI configuration string, e.g.
 * "swtpm:host=127.0.0.1,port=2321" or "device:/dev/tpmrm0"; NULL uses the
 * TCTI loader's default. Runs TPM2_Startup(CLEAR) when the TPM needs it.
 */
int tpmq_open(tpmq_tpm **out, const char *tcti, struct eph_err *err);

/* Flush every transient object this context created and close it. */
void tpmq_close(tpmq_tpm *tpm);

/*
 * Flush every transient object and loaded session the TPM lists, whoever
 * made them; *flushed (may be NULL) counts them. For a process that owns
 * the TPM and starts after a predecessor was killed: without a resource
 * manager (swtpm, /dev/tpm0) nothing flushes what a dead process left, and
 * three leftover objects fill the TPM (0x902). Through a resource manager
 * (/dev/tpmrm0, abrmd) only this connection's own handles are listed, so
 * it is harmless there. Call right after tpmq_open, never while another
 * process uses the same TPM without a resource manager.
 */
int tpmq_flush_stale(unsigned *flushed, tpmq_tpm *tpm, struct eph_err *err);

/*
 * Read the EK certificate from its NV index (RSA 2048: 0x01c00002; ECC
 * P-256: 0x01c0000a; ECC P-384: 0x01c00016) into a new DER buffer. EPH_ENOTFOUND when the index is
 * not defined.
 */
int tpmq_read_ek_cert(uint8_t **der, size_t *len, tpmq_tpm *tpm, enum tpmq_keyalg alg,
		      struct eph_err *err);

/*
 * Create the EK from the default template (TCG EK Credential Profile 2.3,
 * templates L-1 / L-2 / H-3) under the endorsement hierarchy, so that its
 * public key matches the EK certificate; it stays loaded in
 * tpm. *pub receives its TPM2B_PUBLIC (new buffer).
 */
int tpmq_create_ek(uint8_t **pub, size_t *pub_len, tpmq_tpm *tpm, enum tpmq_keyalg alg,
		   struct eph_err *err);

/*
 * Create a restricted signing AK under the EK (as Keylime and tpm2_createak
 * do), load it, and return its TPM2B_PUBLIC and TPM2B_PRIVATE (the private
 * part is wrapped by the EK: it is usable only on this TPM), new buffers.
 */
int tpmq_create_ak(uint8_t **pub, size_t *pub_len, uint8_t **priv, size_t *priv_len,
		   tpmq_tpm *tpm, enum tpmq_keyalg alg, struct eph_err *err);

/* Load an AK saved from tpmq_create_ak under the (already created) EK. */
int tpmq_load_ak(tpmq_tpm *tpm, const uint8_t *pub, size_t pub_len, const uint8_t *priv,
		 size_t priv_len, struct eph_err *err);

/*
 * TPM2_ActivateCredential with the loaded AK and EK (endorsement policy
 * session for the EK). Writes the recovered secret into secret (64 bytes
 * room) and its length into *secret_len. EPH_EVERIFY when the TPM refuses
 * the credential (made for another EK or another AK name).
 */
int tpmq_activate_credential(uint8_t *secret, size_t *secret_len, tpmq_tpm *tpm,
			     const uint8_t *id_object, size_t id_object_len,
			     const uint8_t *enc_secret, size_t enc_secret_len, struct eph_err *err);

/*
 * TPM2_Quote with the loaded AK over sel with nonce as qualifying data.
 * *attest (TPMS_ATTEST bytes) and *sig (TPMT_SIGNATURE) are new buffers.
 */
int tpmq_quote(uint8_t **attest, size_t *attest_len, uint8_t **sig, size_t *sig_len,
	       tpmq_tpm *tpm, const struct tpmq_pcrsel *sel, const uint8_t *nonce,
	       size_t nonce_len, struct eph_err *err);

/* Read the PCRs of sel (as many TPM2_PCR_Read calls as it takes). */
int tpmq_pcr_read(struct tpmq_pcrs *out, tpmq_tpm *tpm, const struct tpmq_pcrsel *sel,
		  struct eph_err *err);

/* Extend one PCR in every bank with H_bank(data), as firmware measures. */
int tpmq_pcr_extend_data(tpmq_tpm *tpm, uint32_t pcr, const void *data, size_t len,
			 struct eph_err *err);

#endif
