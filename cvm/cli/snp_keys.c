/*
 * snp_keys.c - the trust material and the signing key of verify --snp,
 * from the operator's files only:
 *   roots: every certificate and CRL of --certs DIR (snp_roots_add_dir),
 *          the ASK and ARK of --certtable, any ASK/ARK bundled in the
 *          --vcek file, and each --crl file; an ARK counts only when it is
 *          the one pinned for its product (libsnp refuses the others);
 *   key:   --vcek FILE, else the VCEK or VLEK of --certtable (whichever the
 *          report's SIGNING_KEY names), else a VCEK/VLEK file in --certs
 *          DIR, preferring one whose hwID and TCB match the report.
 * Not here: the verification itself (snp_cmd.c).
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cvmcli-priv.h"
#include "eph_file.h"

#define DIR_MAX_FILES 256
#define CERT_FILE_MAX (1u << 20)

static int add_file(snp_roots *roots, const char *path, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = eph_file_read(&buf, &len, path, CERT_FILE_MAX, err);
	if (rc == 0) {
		rc = snp_roots_add(roots, buf, len, err);
		if (rc < 0)
			eph_err_prefix(err, rc, "%s", path);
	}
	free(buf);
	return rc;
}

int cvm_snp_load_roots(snp_roots **out, const struct cvm_opts *o, const struct snp_certtable *t,
                       struct eph_err *err)
{
	snp_roots *roots = NULL;
	size_t i;
	int rc;

	*out = NULL;
	rc = snp_roots_new(&roots, err);
	if (rc < 0)
		return rc;
	if (o->certs_dir != NULL)
		rc = snp_roots_add_dir(roots, o->certs_dir, err);
	if (rc == 0 && t != NULL && t->ask != NULL) {
		rc = snp_roots_add(roots, t->ask, t->ask_len, err);
		if (rc < 0)
			eph_err_prefix(err, rc, "%s: ASK entry", o->certtable);
	}
	if (rc == 0 && t != NULL && t->ark != NULL) {
		rc = snp_roots_add(roots, t->ark, t->ark_len, err);
		if (rc < 0)
			eph_err_prefix(err, rc, "%s: ARK entry", o->certtable);
	}
	if (rc == 0 && o->vcek != NULL)
		rc = add_file(roots, o->vcek, err); /* a "VCEK, ASK, ARK" bundle; VCEK skipped */
	for (i = 0; rc == 0 && i < o->n_crls; i++)
		rc = add_file(roots, o->crls[i], err);
	if (rc < 0) {
		snp_roots_free(roots);
		return rc;
	}
	*out = roots;
	return 0;
}

static int parse_key(snp_cert **out, const uint8_t *buf, size_t len, const char *what,
                     struct eph_err *err)
{
	enum snp_cert_kind k;
	int rc;

	rc = snp_cert_parse(out, buf, len, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "%s", what);
	k = snp_cert_kind(*out);
	if (k != SNP_CERT_VCEK && k != SNP_CERT_VLEK) {
		snp_cert_free(*out);
		*out = NULL;
		return eph_err_set(err, EPH_EFORMAT, "%s: not a VCEK or VLEK certificate", what);
	}
	return 0;
}

static int wanted_name(const char *name)
{
	static const char *const exts[] = {".pem", ".crt", ".cer", ".der"};
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

/* Does cert match the report (kind, hwID, TCB)? */
static int matches(const snp_cert *cert, const struct snp_report *rep)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info vi;

	return snp_vcek_tcb(&vi, cert, &err) == 0 && snp_check_vcek(rep, &vi, &err) == 0;
}

/* Try one file of the folder: keep it in *best if it is a better key. */
static void consider(snp_cert **best, int *best_match, char *src, size_t srclen, const char *path,
                     const struct snp_report *rep)
{
	struct eph_err err = {{0}};
	enum snp_cert_kind want =
	    rep->signing_key == SNP_SIGNING_KEY_VLEK ? SNP_CERT_VLEK : SNP_CERT_VCEK;
	snp_cert *c = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int m;

	if (eph_file_read(&buf, &len, path, CERT_FILE_MAX, &err) < 0 ||
	    snp_cert_parse(&c, buf, len, &err) < 0 || snp_cert_kind(c) != want) {
		snp_cert_free(c);
		free(buf);
		return; /* ARKs, ASKs, CRLs: the roots' business */
	}
	free(buf);
	m = matches(c, rep);
	if (*best == NULL || (m && !*best_match)) {
		snp_cert_free(*best);
		*best = c;
		*best_match = m;
		snprintf(src, srclen, "%s", path);
		return;
	}
	snp_cert_free(c);
}

static int key_from_dir(snp_cert **out, char *src, size_t srclen, const char *dir,
                        const struct snp_report *rep, struct eph_err *err)
{
	char *names[DIR_MAX_FILES];
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0, i;
	int best_match = 0, rc = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return eph_err_set(err, EPH_EIO, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL && n < DIR_MAX_FILES) {
		if (!wanted_name(de->d_name))
			continue;
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = eph_err_set(err, EPH_ENOMEM, "out of memory listing %s", dir);
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n && rc == 0; i++)
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) < sizeof(path))
			consider(out, &best_match, src, srclen, path, rep);
	for (i = 0; i < n; i++)
		free(names[i]);
	if (rc == 0 && *out == NULL)
		rc = eph_err_set(err, EPH_ENOTFOUND,
		                 "no %s certificate in %s (give --vcek or --certtable)",
		                 rep->signing_key == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK", dir);
	return rc;
}

int cvm_snp_load_key(snp_cert **out, char *src, size_t srclen, const struct cvm_opts *o,
                     const struct snp_certtable *t, const struct snp_report *rep,
                     struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int vlek = rep->signing_key == SNP_SIGNING_KEY_VLEK;
	int rc;

	*out = NULL;
	if (o->vcek != NULL) {
		snprintf(src, srclen, "%s", o->vcek);
		rc = eph_file_read(&buf, &len, o->vcek, CERT_FILE_MAX, err);
		if (rc == 0)
			rc = parse_key(out, buf, len, o->vcek, err);
		free(buf);
		return rc;
	}
	if (t != NULL) {
		snprintf(src, srclen, "%s (%s entry)", o->certtable, vlek ? "VLEK" : "VCEK");
		if ((vlek ? t->vlek : t->vcek) == NULL)
			return eph_err_set(err, EPH_ENOTFOUND,
			                   "%s: the certificate table has no %s entry", o->certtable,
			                   vlek ? "VLEK" : "VCEK");
		return parse_key(out, vlek ? t->vlek : t->vcek, vlek ? t->vlek_len : t->vcek_len,
		                 src, err);
	}
	return key_from_dir(out, src, srclen, o->certs_dir, rep, err);
}
