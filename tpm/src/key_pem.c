/*
 * key_pem.c - tpmq keys to and from PEM SubjectPublicKeyInfo (RFC 5280,
 * 4.1.2.7; RFC 7468 "PUBLIC KEY"), e.g. what tpm2_createak -f pem writes:
 *
 *   -----BEGIN PUBLIC KEY-----
 *   MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAq4iI1AAAdodISVpqVChZ ...
 *   -----END PUBLIC KEY-----
 *
 * A PEM key is only a key: no TPM attributes, no name, no scheme. It can
 * verify quotes but tpmq_key_check_ak, tpmq_key_name and MakeCredential
 * refuse it. Only RSA and EC keys are accepted; RSA-PSS-only keys and
 * Ed25519 are not TPM keys.
 */
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "tpmq-priv.h"

int tpmq_key_from_pem(tpmq_key **out, const uint8_t *pem, size_t len, struct eph_err *err)
{
	tpmq_key *key = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int rc, id;

	*out = NULL;
	if (len == 0 || len > INT_MAX)
		return eph_err_set(err, EPH_EFORMAT, "PEM public key: %zu bytes", len);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return eph_err_set(err, EPH_ENOMEM, "PEM public key: out of memory");
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pkey == NULL) {
		rc = eph_err_set(err, EPH_EFORMAT, "PEM public key: no PUBLIC KEY block parses");
		goto out;
	}
	id = EVP_PKEY_get_base_id(pkey);
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC) {
		rc = eph_err_set(err, EPH_EUNSUPPORTED, "PEM public key: type %s is neither RSA nor EC",
				 OBJ_nid2sn(id));
		goto out;
	}
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "PEM public key: out of memory");
		goto out;
	}
	key->pkey = pkey;
	key->pkey_id = id;
	pkey = NULL;
	*out = key;
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return rc;
}

int tpmq_key_to_pem(char **out, const tpmq_key *key, struct eph_err *err)
{
	BIO *bio = NULL;
	char *data = NULL, *s = NULL;
	long n;
	int rc;

	*out = NULL;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return eph_err_set(err, EPH_ENOMEM, "PEM encoding: out of memory");
	if (PEM_write_bio_PUBKEY(bio, key->pkey) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "PEM encoding: OpenSSL cannot encode the key");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || data == NULL) {
		rc = eph_err_set(err, EPH_EFAIL, "PEM encoding: empty output");
		goto out;
	}
	s = calloc((size_t)n + 1, 1);
	if (s == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "PEM encoding: out of memory");
		goto out;
	}
	memcpy(s, data, (size_t)n);
	*out = s;
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}
