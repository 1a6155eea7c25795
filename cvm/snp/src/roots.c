/*
 * roots.c - the operator's AMD trust material: ARKs, ASKs, ASVKs and CRLs,
 * as AMD KDS serves them and the operator saves them into one folder
 * (cvm/snp/README.md says how):
 *
 *   .../vcek/v1/Milan/cert_chain   PEM: ASK "SEV-Milan", then ARK "ARK-Milan"
 *   .../vlek/v1/Milan/cert_chain   PEM: ASVK "SEV-VLEK-Milan", then ARK
 *   .../vcek/v1/Milan/crl          DER X.509 CRL signed by the ARK (RSA-PSS),
 *                                  listing revoked ASKs
 *
 * An ARK is refused at once unless it is its product's pinned ARK
 * (chain.c); ASKs are checked against their ARK when a chain is verified,
 * so files may come in any order. VCEK/VLEK certificates in a text are
 * skipped, so that a bundle "VCEK, ASK, ARK" (Azure's, or a GHCB
 * certificate table saved as PEM) can be given as it is.
 * CRLs are kept as given and checked on use: signature by their issuer,
 * thisUpdate <= at <= nextUpdate, serials of the ASK and the leaf.
 */
#include <dirent.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "snp-priv.h"

#define ROOTS_FILE_MAX (1u << 20)
#define ROOTS_DIR_MAX 256

int snp_roots_new(snp_roots **out, struct eph_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory for SNP roots");
	return 0;
}

void snp_roots_free(snp_roots *roots)
{
	size_t i;

	if (roots == NULL)
		return;
	for (i = 0; i < roots->n_certs; i++)
		snp_cert_free(roots->certs[i]);
	for (i = 0; i < roots->n_crls; i++)
		X509_CRL_free(roots->crls[i]);
	free(roots);
}

/* Takes x (freed on every path). */
static int add_cert(snp_roots *r, X509 *x, struct eph_err *err)
{
	struct snp_cert *c = NULL;
	size_t i;
	int rc;

	rc = snp__cert_wrap(&c, x, err);
	if (rc < 0)
		return rc;
	if (c->kind == SNP_CERT_VCEK || c->kind == SNP_CERT_VLEK)
		goto skip;
	if (c->kind == SNP_CERT_OTHER) {
		rc = eph_err_set(
		    err, EPH_EFORMAT,
		    "certificate \"%s\" is not an AMD ARK, ASK or ASVK of Milan, Genoa or Turin",
		    c->cn);
		goto skip;
	}
	if (c->kind == SNP_CERT_ARK) {
		rc = snp__check_ark(c, c->product, err);
		if (rc < 0)
			goto skip;
	}
	for (i = 0; i < r->n_certs; i++)
		if (X509_cmp(r->certs[i]->x509, c->x509) == 0)
			goto skip;
	if (r->n_certs == SNP_ROOTS_MAX_CERTS) {
		rc = eph_err_set(err, EPH_EFAIL, "more than %d SNP root certificates",
		                 SNP_ROOTS_MAX_CERTS);
		goto skip;
	}
	r->certs[r->n_certs++] = c;
	return 0;
skip:
	snp_cert_free(c);
	return rc;
}

/* Takes crl. */
static int add_crl(snp_roots *r, X509_CRL *crl, struct eph_err *err)
{
	if (r->n_crls == SNP_ROOTS_MAX_CRLS) {
		X509_CRL_free(crl);
		return eph_err_set(err, EPH_EFAIL, "more than %d SNP CRLs", SNP_ROOTS_MAX_CRLS);
	}
	r->crls[r->n_crls++] = crl;
	return 0;
}

static int add_pem(snp_roots *r, const uint8_t *buf, size_t len, struct eph_err *err)
{
	STACK_OF(X509_INFO) *infos = NULL;
	BIO *bio = NULL;
	int i, n, rc = 0, found = 0;

	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory reading PEM");
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (infos == NULL) {
		ERR_clear_error();
		return eph_err_set(err, EPH_EFORMAT, "unreadable PEM text");
	}
	n = sk_X509_INFO_num(infos);
	for (i = 0; i < n; i++) {
		X509_INFO *info = sk_X509_INFO_value(infos, i);

		if (rc == 0 && info->x509 != NULL) {
			rc = add_cert(r, info->x509, err);
			info->x509 = NULL;
			found++;
		}
		if (rc == 0 && info->crl != NULL) {
			rc = add_crl(r, info->crl, err);
			info->crl = NULL;
			found++;
		}
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (rc == 0 && found == 0)
		rc = eph_err_set(err, EPH_EFORMAT, "PEM text holds no certificate or CRL");
	return rc;
}

int snp_roots_add(snp_roots *roots, const uint8_t *buf, size_t len, struct eph_err *err)
{
	const unsigned char *p = buf;
	X509_CRL *crl = NULL;
	X509 *x = NULL;

	if (len == 0 || len > ROOTS_FILE_MAX)
		return eph_err_set(err, EPH_EFORMAT, "trust material of %zu bytes", len);
	if (buf[0] == 0x30) {
		x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && (size_t)(p - buf) == len)
			return add_cert(roots, x, err);
		X509_free(x);
		p = buf;
		crl = d2i_X509_CRL(NULL, &p, (long)len);
		if (crl != NULL && (size_t)(p - buf) == len)
			return add_crl(roots, crl, err);
		X509_CRL_free(crl);
		ERR_clear_error();
	}
	if (snp__is_pem(buf, len))
		return add_pem(roots, buf, len, err);
	return eph_err_set(err, EPH_EFORMAT,
	                   "%zu bytes are neither PEM nor one DER certificate or CRL", len);
}

static int wanted_name(const char *name)
{
	static const char *const exts[] = {".pem", ".crt", ".cer", ".der", ".crl"};
	size_t n = strlen(name), i;

	if (name[0] == '.')
		return 0;
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (n > 4 && strcmp(name + n - 4, exts[i]) == 0)
			return 1;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int snp_roots_add_dir(snp_roots *roots, const char *dir, struct eph_err *err)
{
	char *names[ROOTS_DIR_MAX];
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0, i, len = 0;
	uint8_t *buf = NULL;
	DIR *d = NULL;
	int rc = 0;

	d = opendir(dir);
	if (d == NULL)
		return eph_err_set(err, EPH_EIO, "cannot open SNP trust folder %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (!wanted_name(de->d_name))
			continue;
		if (n == ROOTS_DIR_MAX) {
			rc = eph_err_set(err, EPH_EFAIL, "more than %d files in %s", ROOTS_DIR_MAX,
			                 dir);
			goto out;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = eph_err_set(err, EPH_ENOMEM, "out of memory listing %s", dir);
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n && rc == 0; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			rc = eph_err_set(err, EPH_EFAIL, "path too long in %s", dir);
			break;
		}
		rc = eph_file_read(&buf, &len, path, ROOTS_FILE_MAX, err);
		if (rc == 0)
			rc = snp_roots_add(roots, buf, len, err);
		if (rc < 0)
			eph_err_prefix(err, rc, "%s", path);
		free(buf);
		buf = NULL;
	}
	if (rc == 0 && n == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "no .pem/.crt/.cer/.der/.crl file in %s", dir);
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	closedir(d);
	return rc;
}

int snp_roots_verify(const snp_roots *roots, const snp_cert *leaf, enum snp_product product,
                     time_t at, struct eph_err *err)
{
	enum snp_cert_kind want = leaf->kind == SNP_CERT_VLEK ? SNP_CERT_ASVK : SNP_CERT_ASK;
	const struct snp_cert *ark = NULL;
	size_t i;
	int rc = EPH_ENOTFOUND, tried = 0;

	if (product == SNP_PRODUCT_UNKNOWN)
		product = leaf->product;
	if (product == SNP_PRODUCT_UNKNOWN)
		return eph_err_set(
		    err, EPH_EUNSUPPORTED,
		    "\"%s\" names no product (its issuer is not SEV-Milan, -Genoa or -Turin)",
		    leaf->cn);
	for (i = 0; i < roots->n_certs; i++)
		if (roots->certs[i]->kind == SNP_CERT_ARK && roots->certs[i]->product == product)
			ark = roots->certs[i];
	if (ark == NULL)
		return eph_err_set(err, EPH_ENOTFOUND, "no ARK of %s among the SNP roots",
		                   snp_product_name(product));
	for (i = 0; i < roots->n_certs; i++) {
		const struct snp_cert *ask = roots->certs[i];

		if (ask->kind != want || ask->product != product)
			continue;
		if (X509_NAME_cmp(X509_get_subject_name(ask->x509),
		                  X509_get_issuer_name(leaf->x509)) != 0)
			continue;
		tried++;
		rc = snp_verify_chain(leaf, ask, ark, product, at, err);
		if (rc == 0)
			rc = snp__check_crls(roots->crls, roots->n_crls, ask, ark, at, err);
		if (rc == 0)
			rc = snp__check_crls(roots->crls, roots->n_crls, leaf, ask, at, err);
		if (rc == 0 || rc != EPH_EVERIFY)
			break;
	}
	if (tried == 0)
		return eph_err_set(err, EPH_ENOTFOUND, "no %s of %s among the SNP roots for \"%s\"",
		                   want == SNP_CERT_ASK ? "ASK" : "ASVK", snp_product_name(product),
		                   leaf->cn);
	return rc;
}

size_t snp_roots_count(const snp_roots *roots, enum snp_cert_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < roots->n_certs; i++)
		n += roots->certs[i]->kind == kind;
	if (kind == SNP_CERT_OTHER)
		n = roots->n_crls;
	return n;
}

int snp_roots_check(const snp_roots *roots, time_t at, struct eph_err *err)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < roots->n_certs && rc == 0; i++) {
		const struct snp_cert *c = roots->certs[i], *ark = NULL;
		const char *role = c->kind == SNP_CERT_ASVK ? "ASVK" : "ASK";

		if (c->kind == SNP_CERT_ARK) {
			rc = snp__check_ark(c, c->product, err);
			if (rc == 0)
				rc = snp__check_time(c, "ARK", at, err);
			continue;
		}
		for (j = 0; j < roots->n_certs; j++)
			if (roots->certs[j]->kind == SNP_CERT_ARK &&
			    roots->certs[j]->product == c->product)
				ark = roots->certs[j];
		if (ark == NULL)
			return eph_err_set(err, EPH_ENOTFOUND,
			                   "%s %s has no ARK-%s among the roots", role, c->cn,
			                   snp_product_name(c->product));
		rc = snp__check_signed(c, role, ark, "ARK", err);
		if (rc == 0 && X509_check_ca(c->x509) < 1)
			rc = eph_err_set(err, EPH_EVERIFY, "%s %s is not a CA", role, c->cn);
		if (rc == 0)
			rc = snp__check_time(c, role, at, err);
		if (rc == 0)
			rc = snp__check_crls(roots->crls, roots->n_crls, c, ark, at, err);
	}
	return rc;
}
