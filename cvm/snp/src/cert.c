/*
 * cert.c - one AMD SEV certificate (X.509, RFC 5280) and what it is, from
 * its subject CN as the KDS specification (#57230) names them:
 *
 *   ARK-Milan        AMD Root Key, self-signed (RSA-4096, RSA-PSS SHA-384)
 *   SEV-Milan        AMD SEV Key (ASK), signed by the ARK, signs VCEKs
 *   SEV-VLEK-Milan   AMD SEV VLEK Key (ASVK), signed by the ARK, signs VLEKs
 *   SEV-VCEK         per-chip, per-TCB key (ECDSA P-384), issuer SEV-<P>
 *   SEV-VLEK         per-CSP, per-TCB key, issuer SEV-VLEK-<P>
 *
 * Input is DER (30 82 05 3f 30 82 02 f3 a0 03 02 01 02 ...), tried first
 * when the first byte is 30, or PEM; only the first PEM certificate is
 * read. Trailing bytes after a DER certificate are refused. The classification is a label for
 * messages and for picking an issuer; trust comes from chain.c, never from a name.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snp-priv.h"

void snp__hex(char *out, size_t size, const uint8_t *buf, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < n && 2 * i + 2 < size; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * i] = '\0';
}

enum snp_product snp__product_from_prefix(const char *s, size_t len)
{
	static const struct {
		const char *name;
		enum snp_product p;
	} names[] = {
	    {"Milan", SNP_PRODUCT_MILAN},
	    {"Genoa", SNP_PRODUCT_GENOA},
	    {"Turin", SNP_PRODUCT_TURIN},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i].name);

		if (len >= n && memcmp(s, names[i].name, n) == 0 && (len == n || s[n] == '-'))
			return names[i].p;
	}
	return SNP_PRODUCT_UNKNOWN;
}

static void name_cn(char *buf, size_t size, const X509_NAME *name)
{
	const ASN1_STRING *s;
	int idx, n;

	buf[0] = '\0';
	idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	n = ASN1_STRING_length(s);
	if (n < 0 || (size_t)n >= size || memchr(ASN1_STRING_get0_data(s), '\0', (size_t)n))
		return;
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)n);
	buf[n] = '\0';
}

void snp__subject_cn(char *buf, size_t size, const X509 *x)
{
	name_cn(buf, size, X509_get_subject_name(x));
}

static void classify(struct snp_cert *c)
{
	char issuer[64];
	size_t n = strlen(c->cn);

	c->kind = SNP_CERT_OTHER;
	c->product = SNP_PRODUCT_UNKNOWN;
	if (strcmp(c->cn, "SEV-VCEK") == 0 || strcmp(c->cn, "SEV-VLEK") == 0) {
		c->kind = c->cn[5] == 'C' ? SNP_CERT_VCEK : SNP_CERT_VLEK;
		name_cn(issuer, sizeof(issuer), X509_get_issuer_name(c->x509));
		if (strncmp(issuer, "SEV-VLEK-", 9) == 0)
			c->product = snp__product_from_prefix(issuer + 9, strlen(issuer) - 9);
		else if (strncmp(issuer, "SEV-", 4) == 0)
			c->product = snp__product_from_prefix(issuer + 4, strlen(issuer) - 4);
	} else if (strncmp(c->cn, "ARK-", 4) == 0) {
		c->product = snp__product_from_prefix(c->cn + 4, n - 4);
		if (c->product != SNP_PRODUCT_UNKNOWN)
			c->kind = SNP_CERT_ARK;
	} else if (strncmp(c->cn, "SEV-VLEK-", 9) == 0) {
		c->product = snp__product_from_prefix(c->cn + 9, n - 9);
		if (c->product != SNP_PRODUCT_UNKNOWN)
			c->kind = SNP_CERT_ASVK;
	} else if (strncmp(c->cn, "SEV-", 4) == 0) {
		c->product = snp__product_from_prefix(c->cn + 4, n - 4);
		if (c->product != SNP_PRODUCT_UNKNOWN)
			c->kind = SNP_CERT_ASK;
	}
}

int snp__cert_wrap(snp_cert **out, X509 *x509, struct eph_err *err)
{
	struct snp_cert *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL) {
		X509_free(x509);
		return eph_err_set(err, EPH_ENOMEM, "out of memory for a certificate");
	}
	c->x509 = x509;
	snp__subject_cn(c->cn, sizeof(c->cn), x509);
	classify(c);
	*out = c;
	return 0;
}

int snp__is_pem(const uint8_t *buf, size_t len)
{
	static const char tag[] = "-----BEGIN ";
	size_t i;

	for (i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (memcmp(buf + i, tag, sizeof(tag) - 1) == 0)
			return 1;
	return 0;
}

int snp_cert_parse(snp_cert **out, const uint8_t *buf, size_t len, struct eph_err *err)
{
	const unsigned char *p = buf;
	X509 *x = NULL;
	BIO *bio = NULL;

	*out = NULL;
	if (len == 0 || len > (1u << 20))
		return eph_err_set(err, EPH_EFORMAT, "certificate of %zu bytes", len);
	if (buf[0] == 0x30) {
		x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && (size_t)(p - buf) == len)
			return snp__cert_wrap(out, x, err);
		if (x != NULL) {
			X509_free(x);
			return eph_err_set(err, EPH_EFORMAT,
			                   "DER certificate ends at byte %zu of %zu",
			                   (size_t)(p - buf), len);
		}
		ERR_clear_error();
	}
	if (snp__is_pem(buf, len)) {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (bio == NULL)
			return eph_err_set(err, EPH_ENOMEM,
			                   "out of memory reading a PEM certificate");
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (x == NULL) {
			ERR_clear_error();
			return eph_err_set(err, EPH_EFORMAT, "no PEM CERTIFICATE could be read");
		}
		return snp__cert_wrap(out, x, err);
	}
	return eph_err_set(err, EPH_EFORMAT,
	                   "certificate of %zu bytes is neither DER X.509 nor PEM", len);
}

void snp_cert_free(snp_cert *cert)
{
	if (cert == NULL)
		return;
	X509_free(cert->x509);
	free(cert);
}

enum snp_cert_kind snp_cert_kind(const snp_cert *cert) { return cert->kind; }

enum snp_product snp_cert_product(const snp_cert *cert) { return cert->product; }
