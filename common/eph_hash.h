/*
 * eph_hash.h - the hash algorithms named by TCG algorithm ids (TPM_ALG_ID,
 * TCG Algorithm Registry), their names and sizes, and one-shot hashing and
 * PCR extension through OpenSSL's EVP interface.
 *
 * The id is the vocabulary shared by event logs, IMA, quotes and PCR
 * selections, so it lives here rather than in any one module.
 */
#ifndef EPH_HASH_H
#define EPH_HASH_H

#include <stddef.h>
#include <stdint.h>

#define EPH_ALG_SHA1 0x0004
#define EPH_ALG_SHA256 0x000B
#define EPH_ALG_SHA384 0x000C
#define EPH_ALG_SHA512 0x000D
#define EPH_ALG_SM3_256 0x0012
#define EPH_ALG_SHA3_256 0x0027
#define EPH_ALG_SHA3_384 0x0028
#define EPH_ALG_SHA3_512 0x0029

#define EPH_HASH_MAX 64 /* largest digest of any algorithm above */

/* Digest size in bytes for a known algorithm id, 0 if unknown. */
size_t eph_hash_size(uint16_t alg);

/* "sha256" for EPH_ALG_SHA256 (tpm2-tools spelling); NULL if unknown. */
const char *eph_hash_name(uint16_t alg);

/* Algorithm id for a name such as "sha256" or "sha1"; 0 if unknown. */
uint16_t eph_hash_from_name(const char *name, size_t len);

/*
 * out = H(data). out must hold eph_hash_size(alg) bytes. Returns 0, or -1 if
 * the algorithm is unknown or this OpenSSL build lacks it.
 */
int eph_hash(uint16_t alg, const void *data, size_t len, uint8_t *out);

/* pcr = H(pcr || digest), both eph_hash_size(alg) bytes. Returns 0 or -1. */
int eph_hash_extend(uint16_t alg, uint8_t *pcr, const uint8_t *digest);

/*
 * The confidential-VM binding of Ephemera's wire protocol: the 64-byte
 * report_data of an SEV-SNP report or TDX quote is SHA-512(nonce || AK name),
 * so the hardware report vouches for the vTPM key that signed the quote
 * over the same nonce. One definition for the agent and the broker.
 */
int eph_bind_report_data(uint8_t out[64], const uint8_t *nonce, size_t nonce_len,
			 const uint8_t *ak_name, size_t ak_name_len);

#endif
