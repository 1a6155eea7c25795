/*
 * crl_test.c - revocation from operator-provided CRLs. AMD's own CRLs are
 * not among the vectors and only the ARK can sign one, so the revocation
 * logic (crl.c) is driven directly with a CA made here; through the public
 * API, a CRL that claims to be ARK-Milan's but is not signed by it makes
 * the real Milan chain fail rather than be ignored.
 *
 * This file reaches into libsnp's private header for snp__check_crls and
 * struct snp_cert: there is no other way to get a CRL signed by an issuer
 * that the pinned chain would also accept.
 */
#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <string.h>

#include "../../../cvm/snp/src/snp-priv.h"
#include "ts.h"

static X509_CRL *make_crl(const X509 *issuer, EVP_PKEY *key, const char *last, const char *next,
                          long revoked_serial)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	cr_assert_not_null(crl);
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
	ASN1_TIME_set_string(t, last);
	X509_CRL_set1_lastUpdate(crl, t);
	if (next != NULL) {
		ASN1_TIME_set_string(t, next);
		X509_CRL_set1_nextUpdate(crl, t);
	}
	if (revoked_serial >= 0) {
		X509_REVOKED *rev = X509_REVOKED_new();
		ASN1_INTEGER *serial = ASN1_INTEGER_new();

		ASN1_INTEGER_set(serial, revoked_serial);
		X509_REVOKED_set_serialNumber(rev, serial);
		ASN1_TIME_set_string(t, "20230601000000Z");
		X509_REVOKED_set_revocationDate(rev, t);
		X509_CRL_add0_revoked(crl, rev);
		ASN1_INTEGER_free(serial);
	}
	X509_CRL_sort(crl);
	cr_assert_gt(X509_CRL_sign(crl, key, EVP_sha384()), 0);
	ASN1_TIME_free(t);
	return crl;
}

struct pki {
	EVP_PKEY *ca_key, *leaf_key, *other_key;
	X509 *ca, *leaf;
	snp_cert *cca, *cleaf;
};

static void pki_init(struct pki *p)
{
	p->ca_key = ts_rsa();
	p->leaf_key = ts_p384();
	p->other_key = ts_rsa();
	p->ca = ts_x509("SEV-Milan", "ARK-Milan", p->ca_key, p->ca_key, 1);
	p->leaf = ts_x509("SEV-VCEK", "SEV-Milan", p->leaf_key, p->ca_key, 0); /* serial 0x1234 */
	p->cca = ts_wrap(p->ca);
	p->cleaf = ts_wrap(p->leaf);
}

static void pki_fini(struct pki *p)
{
	snp_cert_free(p->cca);
	snp_cert_free(p->cleaf);
	X509_free(p->ca);
	X509_free(p->leaf);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->leaf_key);
	EVP_PKEY_free(p->other_key);
}

static int check(struct pki *p, X509_CRL *crl, time_t at, struct eph_err *err)
{
	int rc = snp__check_crls(&crl, 1, p->cleaf, p->cca, at, err);

	X509_CRL_free(crl);
	return rc;
}

Test(snp_crl, revoked_serial_is_refused)
{
	struct eph_err err = {{0}};
	struct pki p;

	pki_init(&p);
	cr_assert_eq(check(&p,
	                   make_crl(p.ca, p.ca_key, "20240101000000Z", "20240201000000Z", 0x1234),
	                   ts_day(2024, 1, 15), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "SEV-VCEK is revoked by the CRL of SEV-Milan since 2023-06-01 "
	                          "00:00:00 UTC");
	cr_assert_eq(check(&p, make_crl(p.ca, p.ca_key, "20240101000000Z", "20240201000000Z", 0x99),
	                   ts_day(2024, 1, 15), &err),
	             0, "%s", err.msg);
	cr_assert_eq(check(&p, make_crl(p.ca, p.ca_key, "20240101000000Z", NULL, -1),
	                   ts_day(2030, 1, 15), &err),
	             0, "%s", err.msg);
	pki_fini(&p);
}

Test(snp_crl, stale_future_and_forged_crls_are_refused)
{
	struct eph_err err = {{0}};
	struct pki p;

	pki_init(&p);
	cr_assert_eq(check(&p, make_crl(p.ca, p.ca_key, "20240101000000Z", "20240201000000Z", -1),
	                   ts_day(2024, 3, 1), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "CRL of SEV-Milan expired at 2024-02-01 00:00:00 UTC: fetch a "
	                          "fresh one from AMD KDS");
	cr_assert_eq(check(&p, make_crl(p.ca, p.ca_key, "20240101000000Z", "20240201000000Z", -1),
	                   ts_day(2023, 12, 1), &err),
	             EPH_EVERIFY);
	cr_assert(strstr(err.msg, "issued in the future") != NULL, "%s", err.msg);
	cr_assert_eq(check(&p,
	                   make_crl(p.ca, p.other_key, "20240101000000Z", "20240201000000Z", -1),
	                   ts_day(2024, 1, 15), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "CRL of SEV-Milan: signature does not verify");
	/* Another issuer's CRL says nothing about this chain. */
	cr_assert_eq(
	    check(&p, make_crl(p.leaf, p.other_key, "20240101000000Z", "20240201000000Z", 0x1234),
	          ts_day(2024, 1, 15), &err),
	    0, "%s", err.msg);
	pki_fini(&p);
}

Test(snp_crl, forged_ark_crl_in_roots_fails_the_real_chain)
{
	struct eph_err err = {{0}};
	EVP_PKEY *k = ts_rsa();
	snp_cert *ark, *vcek;
	X509_CRL *crl;
	snp_roots *r;
	unsigned char *der = NULL;
	BIO *bio;
	char *pem = NULL;
	long pem_len;
	int len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	r = ts_roots("snp/amd-roots/ask_ark_milan.pem");
	vcek = ts_cert("snp/go-sev-guest/vcek.der");
	cr_assert_eq(snp_roots_verify(r, vcek, SNP_PRODUCT_MILAN, ts_day(2024, 1, 15), &err), 0,
	             "%s", err.msg);
	ark = ts_cert_nth("snp/amd-roots/ask_ark_milan.pem", 1);
	crl = make_crl(ark->x509, k, "20240101000000Z", "20240201000000Z", -1);

	/* As DER, the way KDS serves .../crl. */
	len = i2d_X509_CRL(crl, &der);
	cr_assert_gt(len, 0);
	cr_assert_eq(snp_roots_add(r, der, (size_t)len, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_roots_count(r, SNP_CERT_OTHER), 1);
	cr_assert_eq(snp_roots_verify(r, vcek, SNP_PRODUCT_MILAN, ts_day(2024, 1, 15), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "CRL of ARK-Milan: signature does not verify");
	cr_assert_eq(snp_roots_check(r, ts_day(2024, 1, 15), &err), EPH_EVERIFY);
	snp_roots_free(r);

	/* As PEM, in the same text as the chain. */
	r = ts_roots("snp/amd-roots/ask_ark_milan.pem");
	bio = BIO_new(BIO_s_mem());
	cr_assert_eq(PEM_write_bio_X509_CRL(bio, crl), 1);
	pem_len = BIO_get_mem_data(bio, &pem);
	cr_assert_eq(snp_roots_add(r, (const uint8_t *)pem, (size_t)pem_len, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(snp_roots_verify(r, vcek, SNP_PRODUCT_MILAN, ts_day(2024, 1, 15), &err),
	             EPH_EVERIFY);
	BIO_free(bio);
	snp_roots_free(r);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	snp_cert_free(ark);
	snp_cert_free(vcek);
	EVP_PKEY_free(k);
}
