/*
 * ts.h - helpers for the libsnp tests: reading the shared SNP vectors in
 * place, and a tiny OpenSSL PKI that makes VCEK-shaped certificates (AMD
 * extensions of our choosing) and CAs, so that rejections can be shaped
 * without AMD's keys.
 */
#ifndef TS_H
#define TS_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "snp.h"
#include "testutil.h"

/* A vector file, read whole (free()). */
uint8_t *ts_vec(const char *rel, size_t *len);

/* The (first) certificate of a vector file; asserts. */
snp_cert *ts_cert(const char *rel);

/* The n-th (from 0) certificate of a PEM vector file; asserts. */
snp_cert *ts_cert_nth(const char *rel, int n);

/* Roots holding everything in the given vector file; asserts. */
snp_roots *ts_roots(const char *rel);

/* 12:00:00 UTC on that day. */
time_t ts_day(int year, int month, int day);

/* Raw report bytes of a vector, checked to be SNP_REPORT_SIZE long. */
void ts_report(uint8_t *out, const char *rel);

EVP_PKEY *ts_rsa(void);
EVP_PKEY *ts_p384(void);

/* A certificate with subject CN cn, issuer CN issuer_cn (both under AMD's
 * OU, C, L, ST, O), key pub, signed by signer (RSA-PSS SHA-384 for RSA
 * signers), valid 2020..2040, a CA when ca. */
X509 *ts_x509(const char *cn, const char *issuer_cn, EVP_PKEY *pub, EVP_PKEY *signer, int ca);

/* Add an extension with DER value der (the extnValue content). */
void ts_ext(X509 *x, const char *oid, const void *der, size_t len);

/* Add the usual VCEK extensions: structVersion 0, productName, the four
 * SPLs (+fmc for names starting "Turin") and a hwID (raw; NULL: none). */
void ts_vcek_exts(X509 *x, const char *product_name, uint8_t bl, uint8_t tee, uint8_t snp,
                  uint8_t ucode, const uint8_t *hwid, size_t hwid_len);

/* Re-sign x with signer after changing it. */
void ts_sign(X509 *x, EVP_PKEY *signer);

/* DER of x into a new buffer. */
uint8_t *ts_der(X509 *x, size_t *len);

/* snp_cert of x (through DER); asserts. */
snp_cert *ts_wrap(X509 *x);

#endif
