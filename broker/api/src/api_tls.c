/*
 * api_tls.c - the broker's TLS: an OpenSSL server context that speaks
 * TLS 1.3 only, with the key and certificate the operator configured; a
 * self-signed P-256 certificate for first setup and tests; the SPKI SHA-256
 * pin agents are configured with.
 *
 * Not here: client authentication (agents prove themselves by the TPM, not
 * by TLS), certificate rotation without a restart, OCSP.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "api-priv.h"

/* Server SSL_CTX for api_server.c. */
int api__tls_ctx(SSL_CTX **out, const char *cert, const char *key, struct eph_err *err);

static int ossl_fail(struct eph_err *err, int code, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return eph_err_set(err, code, "%s: %s", what, e ? buf : "unknown OpenSSL error");
}

int api__tls_ctx(SSL_CTX **out, const char *cert, const char *key, struct eph_err *err)
{
	SSL_CTX *ctx = NULL;
	int rc = EPH_EFAIL;

	*out = NULL;
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL)
		return ossl_fail(err, EPH_EFAIL, "SSL_CTX_new");
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		rc = ossl_fail(err, EPH_EFAIL, "TLS 1.3 only");
		goto out;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		rc = ossl_fail(err, EPH_EIO, cert);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		rc = ossl_fail(err, EPH_EIO, key);
		goto out;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		rc = ossl_fail(err, EPH_EVERIFY, "TLS key does not match the certificate");
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	rc = 0;
out:
	SSL_CTX_free(ctx);
	return rc;
}

/* "sha256//" + base64(SHA-256(DER SubjectPublicKeyInfo)). */
static int spki_pin(char *pin, size_t pin_len, X509 *x, struct eph_err *err)
{
	unsigned char *der = NULL;
	unsigned char md[32];
	unsigned char b64[64];
	int n, rc = EPH_EFAIL;

	n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	if (n <= 0)
		return ossl_fail(err, EPH_EFAIL, "i2d_PUBKEY");
	if (EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL) != 1) {
		rc = ossl_fail(err, EPH_EFAIL, "SHA-256");
		goto out;
	}
	n = EVP_EncodeBlock(b64, md, sizeof(md));
	if (n <= 0 || (size_t)n + 9 > pin_len) {
		rc = eph_err_set(err, EPH_EFAIL, "pin buffer too small");
		goto out;
	}
	snprintf(pin, pin_len, "sha256//%s", (const char *)b64);
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

int api_tls_pin(char *pin, size_t pin_len, const char *cert_path, struct eph_err *err)
{
	FILE *f = fopen(cert_path, "r");
	X509 *x = NULL;
	int rc;

	if (f == NULL)
		return eph_err_set(err, EPH_EIO, "%s: cannot open", cert_path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		return ossl_fail(err, EPH_EFORMAT, cert_path);
	rc = spki_pin(pin, pin_len, x, err);
	X509_free(x);
	return rc;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *x, struct eph_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return eph_err_set(err, EPH_EIO, "%s: cannot create", path);
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return eph_err_set(err, EPH_EIO, "%s: fdopen failed", path);
	}
	if (key != NULL)
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_X509(f, x);
	if (fclose(f) != 0 || ok != 1)
		return eph_err_set(err, EPH_EIO, "%s: write failed", path);
	return 0;
}

int api_tls_self_signed(char *pin, size_t pin_len, const char *key_path, const char *cert_path,
			unsigned days, struct eph_err *err)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int rc = EPH_EFAIL;

	key = EVP_EC_gen("P-256");
	if (key == NULL)
		return ossl_fail(err, EPH_EFAIL, "P-256 key generation");
	x = X509_new();
	if (x == NULL || api__random(serial, sizeof(serial)) < 0)
		goto ossl;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto ossl;
	if (X509_set_version(x, 2) != 1 || X509_gmtime_adj(X509_getm_notBefore(x), -300) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		goto ossl;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)"ephemera-broker", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto ossl;
	if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") < 0 ||
	    add_ext(x, NID_subject_key_identifier, "hash") < 0)
		goto ossl;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto ossl;
	rc = write_pem(key_path, 0600, key, NULL, err);
	if (rc < 0)
		goto out;
	rc = write_pem(cert_path, 0644, NULL, x, err);
	if (rc < 0)
		goto out;
	rc = spki_pin(pin, pin_len, x, err);
	goto out;
ossl:
	rc = ossl_fail(err, EPH_EFAIL, "self-signed certificate");
out:
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}
