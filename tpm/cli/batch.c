/*
 * batch.c - ephemera-checkquote --batch DIR: verify every quote of a folder
 * in one process, optionally many times over (--batch-repeat) to measure
 * how many quotes per second libtpmq verifies.
 *
 * Layout (also in --help): one subfolder per quote holding ak.pub or
 * ak.pem, quote.msg, quote.sig, and optionally pcrs.bin (tpm2_quote -o) and
 * nonce (raw) or nonce.hex (hex text). Subfolders are taken in strcmp
 * order of their names; names starting with '.' and plain files are
 * skipped. Everything is read and every AK parsed before the first
 * verification; what is timed per quote is cq_verify(): parsing pcrs.bin
 * and tpmq_quote_verify().
 *
 * Output: "NAME: ok" or "NAME: FAILED: reason" per quote (a quote whose
 * files cannot be loaded fails too), then "N verified, M failed", then with
 * --batch-repeat the rate. Printed after all rounds so that writing to a
 * terminal is not timed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cq-priv.h"

#define CQ_MAX_QUOTES 100000

struct entry {
	char *name; /* subfolder name */
	struct cq_quote q;
	int loaded;         /* every file read: q can be verified */
	int rc;             /* 0, or the first failure (load or verify) */
	struct eph_err err; /* its message */
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* dir/name/file into out; -1 when it does not fit. */
static int join(char *out, size_t outlen, const char *dir, const char *name, const char *file)
{
	int n = snprintf(out, outlen, "%s/%s/%s", dir, name, file);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Read the files of one subfolder into e->q. */
static int load_entry(struct entry *e, const char *dir, int require_ak)
{
	char path[4096], alt[4096];
	struct cq_quote *q = &e->q;
	struct eph_err *err = &e->err;
	int rc, has_pub, has_pem, has_raw, has_hex;

	if (join(path, sizeof(path), dir, e->name, "ak.pub") < 0 ||
	    join(alt, sizeof(alt), dir, e->name, "ak.pem") < 0)
		return eph_err_set(err, EPH_EIO, "path too long");
	has_pub = exists(path);
	has_pem = exists(alt);
	if (has_pub == has_pem)
		return eph_err_set(err, EPH_EFORMAT, "%s",
		                   has_pub ? "both ak.pub and ak.pem"
		                           : "neither ak.pub nor ak.pem");
	rc = cq_load_key(q, has_pub ? path : alt, err);
	if (rc < 0)
		return rc;
	if (join(path, sizeof(path), dir, e->name, "quote.msg") < 0)
		return eph_err_set(err, EPH_EIO, "path too long");
	rc = cq_read(&q->msg, &q->msg_len, path, err);
	if (rc < 0)
		return rc;
	if (join(path, sizeof(path), dir, e->name, "quote.sig") < 0)
		return eph_err_set(err, EPH_EIO, "path too long");
	rc = cq_read(&q->sig, &q->sig_len, path, err);
	if (rc < 0)
		return rc;
	if (join(path, sizeof(path), dir, e->name, "pcrs.bin") < 0)
		return eph_err_set(err, EPH_EIO, "path too long");
	if (exists(path)) {
		rc = cq_read(&q->pcr_file, &q->pcr_file_len, path, err);
		if (rc < 0)
			return rc;
	}
	if (join(path, sizeof(path), dir, e->name, "nonce") < 0 ||
	    join(alt, sizeof(alt), dir, e->name, "nonce.hex") < 0)
		return eph_err_set(err, EPH_EIO, "path too long");
	has_raw = exists(path);
	has_hex = exists(alt);
	if (has_raw && has_hex)
		return eph_err_set(err, EPH_EFORMAT, "both nonce and nonce.hex");
	if (has_raw || has_hex) {
		rc = cq_nonce_from_file(q, has_raw ? path : alt, has_hex, err);
		if (rc < 0)
			return rc;
	}
	q->require_ak = require_ak;
	return 0;
}

/* The quote subfolders of dir, sorted; *n of them. */
static int list_dir(struct entry **out, size_t *n, const char *dir, struct eph_err *err)
{
	struct entry *v = NULL, *nv;
	size_t cap = 0, k = 0;
	struct dirent *d;
	struct stat st;
	char path[4096];
	DIR *dp;
	int rc = 0;

	*out = NULL;
	*n = 0;
	dp = opendir(dir);
	if (dp == NULL)
		return eph_err_set(err, EPH_EIO, "cannot open %s: %s", dir, strerror(errno));
	for (;;) {
		errno = 0;
		d = readdir(dp);
		if (d == NULL) {
			if (errno != 0)
				rc = eph_err_set(err, EPH_EIO, "reading %s: %s", dir,
				                 strerror(errno));
			break;
		}
		if (d->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (k == CQ_MAX_QUOTES) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: more than %d quote folders", dir,
			                 CQ_MAX_QUOTES);
			break;
		}
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		memset(&v[k], 0, sizeof(v[k]));
		v[k].name = strdup(d->d_name);
		if (v[k].name == NULL) {
			rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
			break;
		}
		k++;
	}
	closedir(dp);
	if (rc == 0 && k == 0)
		rc = eph_err_set(err, EPH_EFORMAT, "%s: no quote folders", dir);
	if (rc < 0) {
		while (k > 0)
			free(v[--k].name);
		free(v);
		return rc;
	}
	qsort(v, k, sizeof(*v), cmp_entry);
	*out = v;
	*n = k;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cq_batch_run(const struct cq_batch_opts *o)
{
	struct eph_err err = {{0}};
	struct cq_result *res = NULL;
	struct entry *v = NULL;
	size_t n = 0, i, ok = 0, verified = 0;
	unsigned long r;
	double t0, t1;
	char name[512];
	int rc;

	rc = list_dir(&v, &n, o->dir, &err);
	if (rc < 0) {
		cq_report(NULL, err.msg);
		return cq_exit_for(rc);
	}
	res = calloc(1, sizeof(*res));
	if (res == NULL) {
		cq_report(NULL, "out of memory");
		rc = CQ_EXIT_INTERNAL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		v[i].rc = load_entry(&v[i], o->dir, o->require_ak);
		v[i].loaded = v[i].rc == 0;
	}

	t0 = now_s();
	for (r = 0; r < o->repeat; r++) {
		for (i = 0; i < n; i++) {
			if (!v[i].loaded)
				continue;
			rc = cq_verify(res, NULL, &v[i].q, r == 0 ? &v[i].err : &err);
			verified++;
			if (r == 0) {
				v[i].rc = rc;
			} else if (rc != v[i].rc) {
				cq_report(v[i].name, "verification result changed between rounds");
				rc = CQ_EXIT_INTERNAL;
				goto out;
			}
		}
	}
	t1 = now_s();

	for (i = 0; i < n; i++) {
		cq_printable(name, sizeof(name), v[i].name);
		if (v[i].rc == 0) {
			printf("%s: ok\n", name);
			ok++;
		} else {
			cq_printable(err.msg, sizeof(err.msg), v[i].err.msg);
			printf("%s: FAILED: %s\n", name, err.msg);
		}
	}
	printf("%zu verified, %zu failed\n", ok, n - ok);
	if (o->repeat > 1)
		printf("repeat: %lu rounds, %zu verifications in %.3f s: %.0f quotes/s\n",
		       o->repeat, verified, t1 - t0, t1 > t0 ? (double)verified / (t1 - t0) : 0.0);
	rc = ok == n ? CQ_EXIT_OK : CQ_EXIT_FAILED;
out:
	for (i = 0; i < n; i++) {
		free(v[i].name);
		cq_quote_clear(&v[i].q);
	}
	free(v);
	free(res);
	return rc;
}
