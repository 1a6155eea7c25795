/*
 * ekcert_test.c - tpmq_ekcert_verify on a tiny PKI made here with
 * OpenSSL: a root, an intermediate and EK certificates shaped like TCG's
 * (empty subject, critical subjectAltName with a directoryName of TPM
 * manufacturer/model/version attributes, critical subjectDirectoryAttributes
 * with tpmSpecification), written as PEM into a temporary trust folder.
 */
#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tq.h"

#define DAY (24 * 3600L)

struct pki {
	char dir[64];
	char files[8][128];
	int nfiles;
};

/* Record dir/name as a file to remove later; returns its slot. */
static char *pki_path(struct pki *p, const char *name)
{
	char dir[sizeof(p->dir)];

	cr_assert_lt(p->nfiles, 8);
	memcpy(dir, p->dir, sizeof(dir));
	snprintf(p->files[p->nfiles], sizeof(p->files[0]), "%s/%s", dir, name);
	return p->files[p->nfiles++];
}

static void pki_write(struct pki *p, const char *name, X509 *x)
{
	FILE *f;

	f = fopen(pki_path(p, name), "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_X509(f, x), 1);
	fclose(f);
}

static void pki_init(struct pki *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/tpmq-ekcert-XXXXXX");
	cr_assert_not_null(mkdtemp(p->dir));
}

static void pki_clean(struct pki *p)
{
	int i;

	for (i = 0; i < p->nfiles; i++)
		unlink(p->files[i]);
	p->nfiles = 0;
}

static void pki_fini(struct pki *p)
{
	pki_clean(p);
	rmdir(p->dir);
}

static void add_raw_ext(X509 *x, const char *oid, int crit, const uint8_t *der, int len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	X509_EXTENSION *ext;

	ASN1_OCTET_STRING_set(os, der, len);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, os);
	cr_assert_not_null(ext);
	cr_assert_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
}

static void tcg_san(X509 *x)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	X509_NAME *dn = X509_NAME_new();

	X509_NAME_add_entry_by_txt(dn, "2.23.133.2.1", MBSTRING_UTF8,
				   (const unsigned char *)"id:49424D00", -1, -1, 0);
	X509_NAME_add_entry_by_txt(dn, "2.23.133.2.2", MBSTRING_UTF8,
				   (const unsigned char *)"swtpm", -1, -1, 0);
	X509_NAME_add_entry_by_txt(dn, "2.23.133.2.3", MBSTRING_UTF8,
				   (const unsigned char *)"id:20191023", -1, -1, 0);
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
	sk_GENERAL_NAME_push(gens, gn);
	cr_assert_eq(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 1, X509V3_ADD_DEFAULT), 1);
	GENERAL_NAMES_free(gens);
}

/* subjectDirectoryAttributes { tpmSpecification { "2.0", 0, 138 } } */
static const uint8_t sda[] = {
	0x30, 0x19, 0x30, 0x17, 0x06, 0x05, 0x67, 0x81, 0x05, 0x02, 0x10, 0x31, 0x0e, 0x30,
	0x0c, 0x0c, 0x03, 0x32, 0x2e, 0x30, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0x8a,
};

enum { EK_LEAF = 0, CA = 1 };

/* cn NULL: empty subject (EK style). issuer NULL: self-signed. */
static X509 *mkcert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int kind,
		    long from, long to, const char *odd_critical)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
					   -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, from, NULL);
	X509_time_adj_ex(X509_getm_notAfter(x), 0, to, NULL);
	X509_set_pubkey(x, key);
	bc->ca = kind == CA ? 0xff : 0;
	X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT);
	if (kind == EK_LEAF) {
		tcg_san(x);
		add_raw_ext(x, "2.5.29.9", 1, sda, sizeof(sda));
	}
	if (odd_critical != NULL) {
		static const uint8_t null_der[] = {0x05, 0x00};

		add_raw_ext(x, odd_critical, 1, null_der, sizeof(null_der));
	}
	cr_assert_gt(X509_sign(x, issuer_key, EVP_sha256()), 0);
	BASIC_CONSTRAINTS_free(bc);
	X509_NAME_free(name);
	return x;
}

static size_t der_of(uint8_t **der, X509 *x)
{
	int n;

	*der = NULL;
	n = i2d_X509(x, der);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

Test(tpmq_ekcert, tcg_shaped_ek_cert_verifies_and_binds_the_key)
{
	struct eph_err err = {{0}};
	EVP_PKEY *rk = tq_gen_ec("P-256"), *ekk = tq_gen_rsa(2048), *other = tq_gen_rsa(2048);
	X509 *root = mkcert(rk, "Test TPM Root", NULL, rk, CA, -DAY, 3650 * DAY, NULL);
	X509 *ekc = mkcert(ekk, NULL, root, rk, EK_LEAF, -DAY, 365 * DAY, NULL);
	tpmq_key *ek = tq_key(ekk, TQ_EK_ATTRS, TPM2_ALG_NULL, 0, 1);
	tpmq_key *ok = tq_key(other, TQ_EK_ATTRS, TPM2_ALG_NULL, 0, 1);
	uint8_t *der = NULL, *longer;
	size_t n = der_of(&der, ekc);
	struct pki p;

	pki_init(&p);
	pki_write(&p, "root.pem", root);
	cr_assert_eq(tpmq_ekcert_verify(der, n, p.dir, ek, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_ekcert_verify(der, n, p.dir, NULL, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_ekcert_verify(der, n, p.dir, ok, 0, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "not the EK's"), "%s", err.msg);

	/* Not yet valid / expired at `at`. */
	cr_assert_eq(tpmq_ekcert_verify(der, n, p.dir, ek, (long long)time(NULL) - 2 * DAY, &err),
		     EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "not yet valid"), "%s", err.msg);
	cr_assert_eq(tpmq_ekcert_verify(der, n, p.dir, ek, (long long)time(NULL) + 400 * DAY, &err),
		     EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "expired"), "%s", err.msg);

	/* Malformed DER, trailing bytes. */
	cr_assert_eq(tpmq_ekcert_verify(der, n - 1, p.dir, ek, 0, &err), EPH_EFORMAT);
	longer = calloc(n + 1, 1);
	memcpy(longer, der, n);
	cr_assert_eq(tpmq_ekcert_verify(longer, n + 1, p.dir, ek, 0, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "1 trailing"), "%s", err.msg);

	free(longer);
	OPENSSL_free(der);
	pki_fini(&p);
	X509_free(root);
	X509_free(ekc);
	tpmq_key_free(ek);
	tpmq_key_free(ok);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ekk);
	EVP_PKEY_free(other);
}

Test(tpmq_ekcert, wrong_ca_expired_cert_unknown_critical_extension)
{
	struct eph_err err = {{0}};
	EVP_PKEY *rk = tq_gen_ec("P-256"), *rk2 = tq_gen_ec("P-256"), *ekk = tq_gen_ec("P-256");
	X509 *root = mkcert(rk, "Root", NULL, rk, CA, -10 * DAY, 3650 * DAY, NULL);
	X509 *other = mkcert(rk2, "Other Root", NULL, rk2, CA, -DAY, 3650 * DAY, NULL);
	X509 *twin = mkcert(rk2, "Root", NULL, rk2, CA, -DAY, 3650 * DAY, NULL);
	X509 *good = mkcert(ekk, NULL, root, rk, EK_LEAF, -DAY, DAY, NULL);
	X509 *old = mkcert(ekk, NULL, root, rk, EK_LEAF, -3 * DAY, -DAY, NULL);
	X509 *odd = mkcert(ekk, NULL, root, rk, EK_LEAF, -DAY, DAY, "1.3.6.1.4.1.99999.1");
	uint8_t *dg = NULL, *dold = NULL, *dodd = NULL;
	size_t ng = der_of(&dg, good), nold = der_of(&dold, old), nodd = der_of(&dodd, odd);
	struct pki p;

	pki_init(&p);
	pki_write(&p, "other.pem", other);
	cr_assert_eq(tpmq_ekcert_verify(dg, ng, p.dir, NULL, 0, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "unable to get local issuer certificate"), "%s", err.msg);
	pki_clean(&p);
	/* A root with the right name but another key. */
	pki_write(&p, "twin.pem", twin);
	cr_assert_eq(tpmq_ekcert_verify(dg, ng, p.dir, NULL, 0, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "certificate signature failure"), "%s", err.msg);
	pki_clean(&p);

	pki_write(&p, "root.pem", root);
	cr_assert_eq(tpmq_ekcert_verify(dg, ng, p.dir, NULL, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_ekcert_verify(dold, nold, p.dir, NULL, 0, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "certificate has expired"), "%s", err.msg);
	cr_assert_eq(tpmq_ekcert_verify(dold, nold, p.dir, NULL, (long long)time(NULL) - 2 * DAY,
					&err),
		     0, "%s", err.msg);
	/* A critical extension that is neither OpenSSL's nor TCG's. */
	cr_assert_eq(tpmq_ekcert_verify(dodd, nodd, p.dir, NULL, 0, &err), EPH_EVERIFY);
	cr_assert(tq_has(err.msg, "unhandled critical extension"), "%s", err.msg);

	OPENSSL_free(dg);
	OPENSSL_free(dold);
	OPENSSL_free(dodd);
	pki_fini(&p);
	X509_free(root);
	X509_free(other);
	X509_free(twin);
	X509_free(good);
	X509_free(old);
	X509_free(odd);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(rk2);
	EVP_PKEY_free(ekk);
}

Test(tpmq_ekcert, intermediates_and_trust_folder)
{
	struct eph_err err = {{0}};
	EVP_PKEY *rk = tq_gen_ec("P-256"), *ik = tq_gen_ec("P-256"), *ekk = tq_gen_rsa(2048);
	X509 *root = mkcert(rk, "Root", NULL, rk, CA, -DAY, 3650 * DAY, NULL);
	X509 *inter = mkcert(ik, "Intermediate", root, rk, CA, -DAY, 3650 * DAY, NULL);
	X509 *leaf = mkcert(ekk, NULL, inter, ik, EK_LEAF, -DAY, DAY, NULL);
	uint8_t *d = NULL;
	size_t n = der_of(&d, leaf);
	struct pki p;
	FILE *f;

	pki_init(&p);
	/* Root and intermediate: full chain. */
	pki_write(&p, "root.pem", root);
	pki_write(&p, "inter.pem", inter);
	cr_assert_eq(tpmq_ekcert_verify(d, n, p.dir, NULL, 0, &err), 0, "%s", err.msg);
	pki_clean(&p);
	/* Intermediate only: the folder makes it an anchor (partial chain). */
	pki_write(&p, "inter.pem", inter);
	cr_assert_eq(tpmq_ekcert_verify(d, n, p.dir, NULL, 0, &err), 0, "%s", err.msg);
	pki_clean(&p);
	/* Root only: the intermediate is missing. */
	pki_write(&p, "root.pem", root);
	cr_assert_eq(tpmq_ekcert_verify(d, n, p.dir, NULL, 0, &err), EPH_EVERIFY);
	/* A .pem without certificates is a configuration error. */
	f = fopen(pki_path(&p, "junk.pem"), "w");
	fputs("not a certificate\n", f);
	fclose(f);
	cr_assert_eq(tpmq_ekcert_verify(d, n, p.dir, NULL, 0, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "holds no certificate"), "%s", err.msg);
	pki_clean(&p);
	cr_assert_eq(tpmq_ekcert_verify(d, n, p.dir, NULL, 0, &err), EPH_ENOTFOUND);
	cr_assert_eq(tpmq_ekcert_verify(d, n, "/nonexistent/tpmq", NULL, 0, &err), EPH_EIO);

	OPENSSL_free(d);
	pki_fini(&p);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(ekk);
}
