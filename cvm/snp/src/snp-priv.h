/*
 * snp-priv.h - what the files of libsnp share: the certificate and roots
 * structures behind the opaque handles, and small helpers.
 */
#ifndef SNP_PRIV_H
#define SNP_PRIV_H

#include <openssl/x509.h>

#include "snp.h"

struct snp_cert {
	X509 *x509;
	enum snp_cert_kind kind;
	enum snp_product product; /* from its own CN, or its issuer's for a leaf */
	char cn[64];              /* subject CN, "" when absent */
};

#define SNP_ROOTS_MAX_CERTS 32
#define SNP_ROOTS_MAX_CRLS 32

struct snp_roots {
	size_t n_certs;
	struct snp_cert *certs[SNP_ROOTS_MAX_CERTS]; /* ARKs, ASKs, ASVKs */
	size_t n_crls;
	X509_CRL *crls[SNP_ROOTS_MAX_CRLS];
};

/* Wrap an X509 (taking ownership) into a new snp_cert, classified. */
int snp__cert_wrap(snp_cert **out, X509 *x509, struct eph_err *err);

/* The subject CN of x into buf ("" if none). */
void snp__subject_cn(char *buf, size_t size, const X509 *x);

/* Hex of the first n bytes of buf into out (size >= 2n+1), for messages. */
void snp__hex(char *out, size_t size, const uint8_t *buf, size_t n);

/* "2022-09-24 00:55:28 UTC" for messages. */
void snp__time_str(char *buf, size_t size, const ASN1_TIME *t);

/* Does buf contain "-----BEGIN "? */
int snp__is_pem(const uint8_t *buf, size_t len);

/* ark is the pinned ARK of product, self-signed, a CA. */
int snp__check_ark(const struct snp_cert *ark, enum snp_product product, struct eph_err *err);

/* issuer issued (names, key ids, key usage) and signed subject; roles name
 * them in messages. */
int snp__check_signed(const struct snp_cert *subject, const char *srole,
                      const struct snp_cert *issuer, const char *irole, struct eph_err *err);

/* c is valid at `at`. */
int snp__check_time(const struct snp_cert *c, const char *role, time_t at, struct eph_err *err);

/* Each CRL of crls issued by issuer verifies with its key, is current at
 * `at`, and does not list subject. CRLs of other issuers are ignored. */
int snp__check_crls(X509_CRL *const *crls, size_t n, const struct snp_cert *subject,
                    const struct snp_cert *issuer, time_t at, struct eph_err *err);

/* Product from a name starting "Milan", "Genoa", "Turin". */
enum snp_product snp__product_from_prefix(const char *s, size_t len);

#endif
