/*
 * trust.c - the trust anchor of TDX verification: the Intel SGX Root CA,
 * loaded from the operator's PEM file and pinned by its SHA-256
 * fingerprint (TDX_INTEL_ROOT_SHA256), plus the operator's CRLs.
 *
 * Intel publishes the root at
 * https://certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.pem
 * (README.md). The quote carries a copy of the root at the end of its
 * PCK chain; that copy is never trusted, only this one.
 *
 * Not here: fetching CRLs, chain building (pck.c).
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "eph_hex.h"
#include "tdx-priv.h"

#define TRUST_FILE_MAX (1u << 20)

void tdx_trust_free(tdx_trust *t)
{
	if (t == NULL)
		return;
	X509_free(t->root);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t);
}

int tdx_trust_new(tdx_trust **out, const uint8_t *pem, size_t len, unsigned flags,
                  struct eph_err *err)
{
	char hex[2 * 32 + 1];
	unsigned char fp[32];
	unsigned fp_len = 0;
	tdx_trust *t = NULL;
	BIO *bio = NULL;
	int rc;

	*out = NULL;
	if (len == 0 || len > TRUST_FILE_MAX)
		return eph_err_set(err, EPH_EFORMAT, "TDX trust root: PEM of %zu bytes", len);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return eph_err_set(err, EPH_ENOMEM, "TDX trust root: out of memory");
	t->crls = sk_X509_CRL_new_null();
	bio = BIO_new_mem_buf(pem, (int)len);
	if (t->crls == NULL || bio == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "TDX trust root: out of memory");
		goto out;
	}
	t->root = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (t->root == NULL) {
		rc = eph_err_set(err, EPH_EFORMAT, "TDX trust root: no PEM certificate");
		goto out;
	}
	if (X509_check_issued(t->root, t->root) != X509_V_OK) {
		rc =
		    eph_err_set(err, EPH_EVERIFY, "TDX trust root: certificate is not self-issued");
		goto out;
	}
	if (!X509_digest(t->root, EVP_sha256(), fp, &fp_len) || fp_len != sizeof(fp)) {
		rc = eph_err_set(err, EPH_EFAIL, "TDX trust root: cannot hash the certificate");
		goto out;
	}
	eph_hex_encode(hex, sizeof(hex), fp, sizeof(fp));
	if (!(flags & TDX_TRUST_ANY_ROOT) && strcmp(hex, TDX_INTEL_ROOT_SHA256) != 0) {
		rc = eph_err_set(
		    err, EPH_EVERIFY,
		    "TDX trust root: SHA-256 %s is not the pinned Intel SGX Root CA %.16s...", hex,
		    TDX_INTEL_ROOT_SHA256);
		goto out;
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	tdx_trust_free(t);
	return rc;
}

int tdx_trust_load(tdx_trust **out, const char *path, unsigned flags, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = eph_file_read(&buf, &len, path, TRUST_FILE_MAX, err);
	if (rc < 0)
		return rc;
	rc = tdx_trust_new(out, buf, len, flags, err);
	if (rc < 0)
		eph_err_prefix(err, rc, "%s", path);
	free(buf);
	return rc;
}

int tdx_trust_add_crl(tdx_trust *t, const uint8_t *buf, size_t len, struct eph_err *err)
{
	const unsigned char *p = buf;
	X509_CRL *crl = NULL;
	BIO *bio = NULL;
	int rc;

	if (len == 0 || len > TRUST_FILE_MAX)
		return eph_err_set(err, EPH_EFORMAT, "TDX CRL: %zu bytes", len);
	if (buf[0] == 0x30) {
		crl = d2i_X509_CRL(NULL, &p, (long)len);
	} else {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (bio != NULL)
			crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	}
	if (crl == NULL) {
		rc = eph_err_set(err, EPH_EFORMAT, "TDX CRL: neither a DER nor a PEM CRL");
		goto out;
	}
	if (!sk_X509_CRL_push(t->crls, crl)) {
		rc = eph_err_set(err, EPH_ENOMEM, "TDX CRL: out of memory");
		goto out;
	}
	crl = NULL;
	rc = 0;
out:
	ERR_clear_error();
	X509_CRL_free(crl);
	BIO_free(bio);
	return rc;
}

int tdx_trust_add_crl_file(tdx_trust *t, const char *path, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = eph_file_read(&buf, &len, path, TRUST_FILE_MAX, err);
	if (rc < 0)
		return rc;
	rc = tdx_trust_add_crl(t, buf, len, err);
	if (rc < 0)
		eph_err_prefix(err, rc, "%s", path);
	free(buf);
	return rc;
}
