/*
 * ts.c - see ts.h.
 */
#include "ts.h"

#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

uint8_t *ts_vec(const char *rel, size_t *len) { return tu_read(tu_vector_path(rel), len); }

snp_cert *ts_cert(const char *rel)
{
	struct eph_err err = {{0}};
	snp_cert *c = NULL;
	size_t len;
	uint8_t *buf = ts_vec(rel, &len);

	cr_assert_eq(snp_cert_parse(&c, buf, len, &err), 0, "%s: %s", rel, err.msg);
	free(buf);
	return c;
}

snp_cert *ts_cert_nth(const char *rel, int n)
{
	BIO *bio = BIO_new_file(tu_vector_path(rel), "r");
	X509 *x = NULL;
	snp_cert *c;
	int i;

	cr_assert_not_null(bio, "%s", rel);
	for (i = 0; i <= n; i++) {
		X509_free(x);
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		cr_assert_not_null(x, "%s has no certificate %d", rel, i);
	}
	BIO_free(bio);
	c = ts_wrap(x);
	X509_free(x);
	return c;
}

snp_roots *ts_roots(const char *rel)
{
	struct eph_err err = {{0}};
	snp_roots *r = NULL;
	size_t len;
	uint8_t *buf = ts_vec(rel, &len);

	cr_assert_eq(snp_roots_new(&r, &err), 0);
	cr_assert_eq(snp_roots_add(r, buf, len, &err), 0, "%s: %s", rel, err.msg);
	free(buf);
	return r;
}

time_t ts_day(int year, int month, int day)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = 12;
	return timegm(&tm);
}

void ts_report(uint8_t *out, const char *rel)
{
	size_t len;
	uint8_t *buf = ts_vec(rel, &len);

	cr_assert_eq(len, SNP_REPORT_SIZE, "%s is %zu bytes", rel, len);
	memcpy(out, buf, len);
	free(buf);
}

EVP_PKEY *ts_rsa(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	cr_assert_not_null(k);
	return k;
}

EVP_PKEY *ts_p384(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");

	cr_assert_not_null(k);
	return k;
}

static void amd_name(X509_NAME *n, const char *cn)
{
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)"Engineering", -1,
	                           -1, 0);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "L", MBSTRING_ASC, (const unsigned char *)"Santa Clara", -1,
	                           -1, 0);
	X509_NAME_add_entry_by_txt(n, "ST", MBSTRING_ASC, (const unsigned char *)"CA", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	                           (const unsigned char *)"Advanced Micro Devices", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
}

void ts_sign(X509 *x, EVP_PKEY *signer)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	cr_assert_eq(EVP_DigestSignInit(ctx, &pctx, EVP_sha384(), NULL, signer), 1);
	if (EVP_PKEY_is_a(signer, "RSA")) {
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		cr_assert_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48), 1);
	}
	cr_assert_gt(X509_sign_ctx(x, ctx), 0);
	EVP_MD_CTX_free(ctx);
}

X509 *ts_x509(const char *cn, const char *issuer_cn, EVP_PKEY *pub, EVP_PKEY *signer, int ca)
{
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();

	cr_assert_not_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
	amd_name(subj, cn);
	amd_name(iss, issuer_cn);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, iss);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z");
	ASN1_TIME_set_string(X509_getm_notAfter(x), "20400101000000Z");
	X509_set_pubkey(x, pub);
	if (ca) {
		X509_EXTENSION *e =
		    X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	ts_sign(x, signer);
	return x;
}

void ts_ext(X509 *x, const char *oid, const void *der, size_t len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	X509_EXTENSION *ext;

	cr_assert_not_null(obj, "bad OID %s", oid);
	ASN1_OCTET_STRING_set(os, der, (int)len);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	cr_assert_not_null(ext);
	cr_assert_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
}

static void spl(X509 *x, const char *oid, uint8_t v)
{
	uint8_t der[4] = {0x02, 0x01, v};
	size_t n = 3;

	if (v & 0x80) {
		der[1] = 2;
		der[2] = 0;
		der[3] = v;
		n = 4;
	}
	ts_ext(x, oid, der, n);
}

void ts_vcek_exts(X509 *x, const char *product_name, uint8_t bl, uint8_t tee, uint8_t snp,
                  uint8_t ucode, const uint8_t *hwid, size_t hwid_len)
{
	uint8_t name[40];
	size_t n = strlen(product_name);

	cr_assert_lt(n, sizeof(name) - 2);
	name[0] = 0x16;
	name[1] = (uint8_t)n;
	memcpy(name + 2, product_name, n);
	spl(x, "1.3.6.1.4.1.3704.1.1", 0);
	ts_ext(x, "1.3.6.1.4.1.3704.1.2", name, n + 2);
	spl(x, "1.3.6.1.4.1.3704.1.3.1", bl);
	spl(x, "1.3.6.1.4.1.3704.1.3.2", tee);
	spl(x, "1.3.6.1.4.1.3704.1.3.3", snp);
	spl(x, "1.3.6.1.4.1.3704.1.3.8", ucode);
	if (strncmp(product_name, "Turin", 5) == 0)
		spl(x, "1.3.6.1.4.1.3704.1.3.9", 1);
	if (hwid != NULL)
		ts_ext(x, "1.3.6.1.4.1.3704.1.4", hwid, hwid_len);
}

uint8_t *ts_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	cr_assert_gt(n, 0);
	*len = (size_t)n;
	return der;
}

snp_cert *ts_wrap(X509 *x)
{
	struct eph_err err = {{0}};
	snp_cert *c = NULL;
	size_t len;
	uint8_t *der = ts_der(x, &len);

	cr_assert_eq(snp_cert_parse(&c, der, len, &err), 0, "%s", err.msg);
	OPENSSL_free(der);
	return c;
}
