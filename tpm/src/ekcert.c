/*
 * ekcert.c - verify an EK certificate (DER X.509, RFC 5280; TCG EK
 * Credential Profile 2.3, 3.2) against a folder of trusted PEM
 * certificates, and bind it to the EK's public key.
 *
 *   30 82 03 72 30 82 02 5a ...      Certificate, tbsCertificate, ...
 *   the subjectAltName extension of a TCG EK certificate:
 *   30 .. 06 03 55 1d 11             extnID 2.5.29.17 subjectAltName
 *         01 01 ff                   critical TRUE
 *         04 .. 30 .. a4 .. 30 ..    directoryName {
 *         31 .. 30 .. 06 05 67 81 05 02 01 0c 0b "id:49424D00"
 *                                      tcg-at-tpmManufacturer 2.23.133.2.1,
 *         ... 2.23.133.2.2 tpmModel, 2.23.133.2.3 tpmVersion }
 *
 * Trust: every certificate in every *.pem file of trust_dir goes into one
 * X509_STORE; nothing else (no system store). X509_V_FLAG_PARTIAL_CHAIN
 * is set: vendors publish intermediate CAs whose roots are offline or not
 * published (and swtpm's local CA is an intermediate under a root that
 * may be left out), and an operator who puts an intermediate into the
 * folder trusts it. The flag can only make a certificate from the folder
 * the anchor, so it widens trust to nothing outside the folder.
 *
 * Critical extensions: TCG EK certificates mark subjectAltName critical
 * (the subject is empty); OpenSSL handles SAN itself. Some vendors also
 * mark subjectDirectoryAttributes (2.5.29.9, TPM spec/security assertions)
 * critical, which OpenSSL 3.0 does not know. A verify callback accepts
 * X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION only when every critical
 * extension of that certificate is one OpenSSL handles or one of those
 * TCG ones; X509_V_FLAG_IGNORE_CRITICAL is not used, as it would accept
 * any unknown critical extension (say, a constraint we cannot enforce).
 *
 * Not here: revocation (no CRL/OCSP fetching), the EK's template check
 * (key_check.c), reading the certificate from NV (esys side).
 */
#include <dirent.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "tpmq-priv.h"

#define TRUST_FILE_MAX (4u << 20)

/* Critical extensions a TCG EK certificate or its CA may carry that
 * OpenSSL 3.0 does not process itself (see the top of this file). */
static const char *const tcg_critical_ok[] = {
	"2.5.29.9",  /* subjectDirectoryAttributes: TPM spec, security assertions */
	"2.5.29.17", /* subjectAltName: OpenSSL handles it; listed for clarity */
};

static int ext_is_ok(X509_EXTENSION *ext)
{
	char oid[80];
	size_t i;

	if (X509_supported_extension(ext))
		return 1;
	if (OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1) <= 0)
		return 0;
	for (i = 0; i < sizeof(tcg_critical_ok) / sizeof(tcg_critical_ok[0]); i++)
		if (strcmp(oid, tcg_critical_ok[i]) == 0)
			return 1;
	return 0;
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	X509 *c;
	int i, n;

	if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION)
		return ok;
	c = X509_STORE_CTX_get_current_cert(ctx);
	if (c == NULL)
		return 0;
	n = X509_get_ext_count(c);
	for (i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_get_ext(c, i);

		if (X509_EXTENSION_get_critical(ext) && !ext_is_ok(ext))
			return 0;
	}
	X509_STORE_CTX_set_error(ctx, X509_V_OK);
	return 1;
}

static int has_pem_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && name[0] != '.' && strcmp(name + n - 4, ".pem") == 0;
}

/* Add every certificate of one PEM file; *added counts them. */
static int add_file(X509_STORE *store, const char *path, unsigned *added, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned n = 0;
	int rc;

	rc = eph_file_read(&buf, &len, path, TRUST_FILE_MAX, err);
	if (rc < 0)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "EK trust store: out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		/* A certificate already present (same cert in two files) is fine. */
		X509_STORE_add_cert(store, x);
		X509_free(x);
		n++;
	}
	if (n == 0) {
		rc = eph_err_set(err, EPH_EFORMAT, "EK trust store: %s holds no certificate", path);
		goto out;
	}
	*added += n;
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	free(buf);
	return rc;
}

static int load_store(X509_STORE **out, const char *dir, struct eph_err *err)
{
	char path[PATH_MAX];
	X509_STORE *store = NULL;
	struct dirent *de;
	unsigned added = 0;
	DIR *d = NULL;
	int rc = 0, n;

	*out = NULL;
	d = opendir(dir);
	if (d == NULL)
		return eph_err_set(err, EPH_EIO, "EK trust store: cannot open folder %s", dir);
	store = X509_STORE_new();
	if (store == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "EK trust store: out of memory");
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (!has_pem_suffix(de->d_name))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			rc = eph_err_set(err, EPH_EIO, "EK trust store: path too long in %s", dir);
			goto out;
		}
		rc = add_file(store, path, &added, err);
		if (rc < 0)
			goto out;
	}
	if (added == 0) {
		rc = eph_err_set(err, EPH_ENOTFOUND, "EK trust store: no *.pem certificate in %s",
				 dir);
		goto out;
	}
	*out = store;
	store = NULL;
out:
	X509_STORE_free(store);
	closedir(d);
	return rc;
}

int tpmq_ekcert_verify(const uint8_t *der, size_t der_len, const char *trust_dir,
		       const tpmq_key *ek, long long at, struct eph_err *err)
{
	const unsigned char *p = der;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	X509_STORE *store = NULL;
	X509 *cert = NULL;
	EVP_PKEY *ckey;
	int rc, verr;

	if (der_len == 0 || der_len > LONG_MAX)
		return eph_err_set(err, EPH_EFORMAT, "EK certificate: %zu bytes", der_len);
	cert = d2i_X509(NULL, &p, (long)der_len);
	if (cert == NULL) {
		rc = eph_err_set(err, EPH_EFORMAT, "EK certificate: not a DER X.509 certificate");
		goto out;
	}
	if ((size_t)(p - der) != der_len) {
		rc = eph_err_set(err, EPH_EFORMAT, "EK certificate: %zu trailing bytes",
				 der_len - (size_t)(p - der));
		goto out;
	}
	rc = load_store(&store, trust_dir, err);
	if (rc < 0)
		goto out;
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, store, cert, NULL) != 1) {
		rc = eph_err_set(err, EPH_ENOMEM, "EK certificate: out of memory");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	if (at != 0)
		X509_VERIFY_PARAM_set_time(param, (time_t)at);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	if (X509_verify_cert(ctx) != 1) {
		verr = X509_STORE_CTX_get_error(ctx);
		rc = eph_err_set(err, EPH_EVERIFY, "EK certificate: %s (depth %d)",
				 X509_verify_cert_error_string(verr),
				 X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	if (ek != NULL) {
		ckey = X509_get0_pubkey(cert);
		if (ckey == NULL || EVP_PKEY_eq(ckey, ek->pkey) != 1) {
			rc = eph_err_set(err, EPH_EVERIFY,
					 "EK certificate: its public key is not the EK's");
			goto out;
		}
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(cert);
	return rc;
}
