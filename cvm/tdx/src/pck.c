/*
 * pck.c - verify the PCK certificate chain a quote carries (certification
 * data type 5: PEM, "PCK leaf, Intel SGX PCK Platform/Processor CA, Intel
 * SGX Root CA"; Intel SGX ECDSA Quote Library API A.4, "PCK Cert Chain")
 * and pull the PCK leaf's key and SGX extension out of it.
 *
 *   -----BEGIN CERTIFICATE-----   CN=Intel SGX PCK Certificate
 *   -----BEGIN CERTIFICATE-----   CN=Intel SGX PCK Platform CA
 *   -----BEGIN CERTIFICATE-----   CN=Intel SGX Root CA (untrusted copy)
 *
 * Trust: the X509_STORE holds the pinned root alone (trust.c); the quote's
 * certificates are untrusted intermediates. The verified chain must be
 * exactly leaf -> CA -> pinned root, the leaf no CA, its key P-256. A
 * self-issued certificate in the quote that is not the pinned root is
 * refused outright (the usual sign of a quote chained to another root).
 * CRLs: when the trust has any, every certificate must be covered by one
 * (X509_V_FLAG_CRL_CHECK_ALL).
 *
 * Not here: the signatures inside the quote (verify.c).
 */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "tdx-priv.h"

#define PCK_MAX_CERTS 8

static void cn_of(char *out, size_t n, const X509_NAME *name)
{
	out[0] = '\0';
	if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, out, (int)n) < 0)
		snprintf(out, n, "?");
}

static int read_chain(STACK_OF(X509) * *out, const struct tdx_quote *q, struct eph_err *err)
{
	STACK_OF(X509) *sk = NULL;
	BIO *bio = NULL;
	X509 *x;
	int rc;

	*out = NULL;
	sk = sk_X509_new_null();
	bio = BIO_new_mem_buf(q->pck_chain, (int)q->pck_chain_len);
	if (sk == NULL || bio == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "PCK chain: out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(sk) >= PCK_MAX_CERTS || !sk_X509_push(sk, x)) {
			X509_free(x);
			rc = eph_err_set(err, EPH_EFORMAT, "PCK chain: more than %d certificates",
			                 PCK_MAX_CERTS);
			goto out;
		}
	}
	if (sk_X509_num(sk) < 2) {
		rc = eph_err_set(
		    err, EPH_EFORMAT,
		    "PCK chain: %d PEM certificate(s), need at least the PCK and its CA",
		    sk_X509_num(sk));
		goto out;
	}
	*out = sk;
	sk = NULL;
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static int asn1_time(time_t *t, const ASN1_TIME *a)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(a, &tm))
		return -1;
	*t = timegm(&tm);
	return 0;
}

static int check_leaf(EVP_PKEY **key, struct tdx_verify_result *res, X509 *leaf,
                      struct eph_err *err)
{
	char group[32] = "";
	const ASN1_OCTET_STRING *data;
	X509_EXTENSION *ext;
	ASN1_OBJECT *obj = NULL;
	char cn[128];
	int idx, rc;

	*key = NULL;
	if (X509_check_ca(leaf) != 0)
		return eph_err_set(err, EPH_EVERIFY, "PCK chain: the leaf certificate is a CA");
	cn_of(cn, sizeof(cn), X509_get_issuer_name(leaf));
	if (strcmp(cn, "Intel SGX PCK Platform CA") == 0)
		res->pck_ca = TDX_PCK_CA_PLATFORM;
	else if (strcmp(cn, "Intel SGX PCK Processor CA") == 0)
		res->pck_ca = TDX_PCK_CA_PROCESSOR;
	obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
	if (obj == NULL)
		return eph_err_set(err, EPH_ENOMEM, "PCK chain: out of memory");
	idx = X509_get_ext_by_OBJ(leaf, obj, -1);
	ASN1_OBJECT_free(obj);
	if (idx < 0)
		return eph_err_set(err, EPH_EFORMAT,
		                   "PCK certificate: no SGX extension (1.2.840.113741.1.13.1)");
	ext = X509_get_ext(leaf, idx);
	data = X509_EXTENSION_get_data(ext);
	rc = tdx__pck_ext_parse(&res->pck, ASN1_STRING_get0_data(data),
	                        (size_t)ASN1_STRING_length(data), err);
	if (rc < 0)
		return rc;
	*key = X509_get_pubkey(leaf);
	if (*key == NULL || !EVP_PKEY_is_a(*key, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(*key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                    NULL) ||
	    strcmp(group, "prime256v1") != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
		ERR_clear_error();
		return eph_err_set(err, EPH_EVERIFY, "PCK certificate: key is not EC P-256");
	}
	return 0;
}

int tdx__pck_verify(EVP_PKEY **leaf_key, struct tdx_verify_result *res, const struct tdx_quote *q,
                    const tdx_trust *t, time_t at, struct eph_err *err)
{
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	char cn[128];
	X509 *leaf;
	time_t na;
	int i, rc, vrc;

	*leaf_key = NULL;
	rc = read_chain(&certs, q, err);
	if (rc < 0)
		return rc;
	for (i = 1; i < sk_X509_num(certs); i++) {
		X509 *c = sk_X509_value(certs, i);

		if (X509_check_issued(c, c) == X509_V_OK && X509_cmp(c, t->root) != 0) {
			cn_of(cn, sizeof(cn), X509_get_subject_name(c));
			rc = eph_err_set(
			    err, EPH_EVERIFY,
			    "PCK chain: root \"%s\" in the quote is not the pinned root", cn);
			goto out;
		}
	}
	leaf = sk_X509_value(certs, 0);
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, t->root)) {
		rc = eph_err_set(err, EPH_ENOMEM, "PCK chain: out of memory");
		goto out;
	}
	for (i = 0; i < sk_X509_CRL_num(t->crls); i++)
		X509_STORE_add_crl(store, sk_X509_CRL_value(t->crls, i));
	if (sk_X509_CRL_num(t->crls) > 0)
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	if (!X509_STORE_CTX_init(ctx, store, leaf, certs)) {
		rc = eph_err_set(err, EPH_ENOMEM, "PCK chain: out of memory");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, at);
	vrc = X509_verify_cert(ctx);
	if (vrc != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		X509 *cur = X509_STORE_CTX_get_current_cert(ctx);

		if (cur != NULL)
			cn_of(cn, sizeof(cn), X509_get_subject_name(cur));
		else
			snprintf(cn, sizeof(cn), "?");
		rc = eph_err_set(err, EPH_EVERIFY, "PCK chain: %s at depth %d (\"%s\")",
		                 X509_verify_cert_error_string(e),
		                 X509_STORE_CTX_get_error_depth(ctx), cn);
		goto out;
	}
	chain = X509_STORE_CTX_get1_chain(ctx);
	if (chain == NULL || sk_X509_num(chain) != 3 ||
	    X509_cmp(sk_X509_value(chain, 2), t->root) != 0) {
		rc = eph_err_set(
		    err, EPH_EVERIFY,
		    "PCK chain: %d certificates up to the root, expected PCK -> CA -> root",
		    chain != NULL ? sk_X509_num(chain) : 0);
		goto out;
	}
	res->chain_not_after = 0;
	for (i = 0; i < sk_X509_num(chain); i++) {
		if (asn1_time(&na, X509_get0_notAfter(sk_X509_value(chain, i))) == 0 &&
		    (res->chain_not_after == 0 || na < res->chain_not_after))
			res->chain_not_after = na;
	}
	res->crl_checked = sk_X509_CRL_num(t->crls) > 0;
	rc = check_leaf(leaf_key, res, leaf, err);
out:
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

int tdx_quote_pck_info(struct tdx_pck_info *out, const struct tdx_quote *q, struct eph_err *err)
{
	struct tdx_verify_result res;
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&res, 0, sizeof(res));
	if (q->pck_chain == NULL)
		return eph_err_set(err, EPH_EFAIL, "PCK chain: quote not parsed");
	rc = read_chain(&certs, q, err);
	if (rc < 0)
		return rc;
	rc = check_leaf(&key, &res, sk_X509_value(certs, 0), err);
	if (rc == 0)
		*out = res.pck;
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}
