/*
 * tpmq_bench.c - how many TPM quotes libtpmq verifies per second on one
 * core, per AK type (RSA, ECDSA). Run by bench/run-tpmq-bench.sh, which also
 * times tpm2_checkquote on the same quotes.
 *
 *   tpmq_bench [-t SECONDS] DIR
 *
 * DIR is in the layout of ephemera-checkquote --batch: one subfolder per
 * quote with ak.pub (TPM2B_PUBLIC) or ak.pem, quote.msg, quote.sig,
 * optionally pcrs.bin (tpm2_quote -o) and nonce (raw) or nonce.hex. Every
 * quote must verify (a bench of failures measures nothing): one that does
 * not is named and the run exits 1.
 *
 * Everything is read into memory first. Two loops per AK type, each run
 * for >= SECONDS (default 1) in whole passes over that type's quotes:
 *   verify      tpmq_pcrs_from_tpm2tools(pcrs.bin) + tpmq_quote_verify()
 *               with the AK parsed once (a broker caches its agents' AKs)
 *   +key        the same plus tpmq_key_from_public()/tpmq_key_free() of the
 *               AK each time (a verifier that keeps nothing)
 * Output, one tab-separated line per loop:
 *   type quotes mode verifications seconds per_second us_each
 * Single thread, no warm-up beyond the first pass. Not here: process start,
 * file reading, YAML (the script times those through the CLIs).
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "eph_file.h"
#include "eph_hex.h"
#include "tpmq.h"

#define MAX_QUOTES 4096
#define MAX_FILE (1u << 20)

enum { T_RSA, T_ECC, T_COUNT };
static const char *type_name[T_COUNT] = {"rsa", "ecdsa"};

struct bq {
	char name[256];
	int type;
	uint8_t *ak_buf;
	size_t ak_len;
	int ak_pem;
	tpmq_key *ak;
	uint8_t *msg, *sig, *pcrs;
	size_t msg_len, sig_len, pcrs_len;
	uint8_t nonce[TPMQ_MAX_NONCE];
	size_t nonce_len;
	int has_nonce;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read dir/name/file; 1 if read, 0 if absent, -1 on error (printed). */
static int read_opt(uint8_t **out, size_t *len, const char *dir, const char *name, const char *file)
{
	struct eph_err err = {{0}};
	char path[4096];
	struct stat st;

	*out = NULL;
	*len = 0;
	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, name, file) >= (int)sizeof(path))
		return -1;
	if (stat(path, &st) != 0)
		return 0;
	if (eph_file_read(out, len, path, MAX_FILE, &err) < 0) {
		fprintf(stderr, "tpmq_bench: %s\n", err.msg);
		return -1;
	}
	return 1;
}

static int load_one(struct bq *q, const char *dir)
{
	struct eph_err err = {{0}};
	uint8_t *hex = NULL;
	size_t hex_len = 0;
	long n;
	int rc;

	rc = read_opt(&q->ak_buf, &q->ak_len, dir, q->name, "ak.pub");
	if (rc == 0) {
		rc = read_opt(&q->ak_buf, &q->ak_len, dir, q->name, "ak.pem");
		q->ak_pem = 1;
	}
	if (rc <= 0 || read_opt(&q->msg, &q->msg_len, dir, q->name, "quote.msg") <= 0 ||
	    read_opt(&q->sig, &q->sig_len, dir, q->name, "quote.sig") <= 0 ||
	    read_opt(&q->pcrs, &q->pcrs_len, dir, q->name, "pcrs.bin") < 0) {
		fprintf(stderr, "tpmq_bench: %s: missing or unreadable files\n", q->name);
		return -1;
	}
	rc = read_opt(&hex, &hex_len, dir, q->name, "nonce.hex");
	if (rc > 0) {
		while (hex_len > 0 && (hex[hex_len - 1] == '\n' || hex[hex_len - 1] == ' '))
			hex_len--;
		n = eph_hex_decode(q->nonce, sizeof(q->nonce), (const char *)hex, hex_len);
		free(hex);
		if (n < 0) {
			fprintf(stderr, "tpmq_bench: %s: bad nonce.hex\n", q->name);
			return -1;
		}
		q->nonce_len = (size_t)n;
		q->has_nonce = 1;
	} else {
		rc = read_opt(&hex, &hex_len, dir, q->name, "nonce");
		if (rc > 0) {
			if (hex_len > sizeof(q->nonce)) {
				free(hex);
				return -1;
			}
			memcpy(q->nonce, hex, hex_len);
			q->nonce_len = hex_len;
			q->has_nonce = 1;
			free(hex);
		}
	}
	if (q->ak_pem)
		rc = tpmq_key_from_pem(&q->ak, q->ak_buf, q->ak_len, &err);
	else
		rc = tpmq_key_from_public(&q->ak, q->ak_buf, q->ak_len, &err);
	if (rc < 0) {
		fprintf(stderr, "tpmq_bench: %s: %s\n", q->name, err.msg);
		return -1;
	}
	/* TPMT_SIGNATURE starts with sigAlg: 0x0018 ECDSA, else RSA. */
	q->type = q->sig_len >= 2 && q->sig[0] == 0x00 && q->sig[1] == 0x18 ? T_ECC : T_RSA;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct bq *)a)->name, ((const struct bq *)b)->name);
}

static int load_dir(struct bq **out, size_t *n, const char *dir)
{
	struct bq *v = calloc(MAX_QUOTES, sizeof(*v));
	struct dirent *d;
	struct stat st;
	char path[4096];
	size_t k = 0, i;
	DIR *dp;

	if (v == NULL)
		return -1;
	dp = opendir(dir);
	if (dp == NULL) {
		fprintf(stderr, "tpmq_bench: cannot open %s: %s\n", dir, strerror(errno));
		free(v);
		return -1;
	}
	while ((d = readdir(dp)) != NULL && k < MAX_QUOTES) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= sizeof(v[k].name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		memcpy(v[k].name, d->d_name, strlen(d->d_name) + 1);
		k++;
	}
	closedir(dp);
	qsort(v, k, sizeof(*v), cmp_name);
	for (i = 0; i < k; i++) {
		if (load_one(&v[i], dir) < 0) {
			*out = v;
			*n = k;
			return -1;
		}
	}
	*out = v;
	*n = k;
	return 0;
}

/* One verification of q; with_key: parse the AK afresh. 0 or -1 (printed). */
static int verify_one(const struct bq *q, struct tpmq_pcrs *pcrs, int with_key)
{
	struct eph_err err = {{0}};
	tpmq_key *fresh = NULL;
	const tpmq_key *ak = q->ak;
	int rc;

	if (with_key) {
		rc = q->ak_pem ? tpmq_key_from_pem(&fresh, q->ak_buf, q->ak_len, &err)
		               : tpmq_key_from_public(&fresh, q->ak_buf, q->ak_len, &err);
		if (rc < 0)
			goto fail;
		ak = fresh;
	}
	if (q->pcrs != NULL) {
		rc = tpmq_pcrs_from_tpm2tools(pcrs, NULL, q->pcrs, q->pcrs_len, &err);
		if (rc < 0)
			goto fail;
	}
	rc = tpmq_quote_verify(NULL, ak, q->msg, q->msg_len, q->sig, q->sig_len, q->nonce,
	                       q->nonce_len, q->pcrs != NULL ? pcrs : NULL, &err);
	if (rc < 0)
		goto fail;
	tpmq_key_free(fresh);
	return 0;
fail:
	fprintf(stderr, "tpmq_bench: %s: %s\n", q->name, err.msg);
	tpmq_key_free(fresh);
	return -1;
}

static int run(const struct bq *v, size_t n, int type, int with_key, double secs,
               struct tpmq_pcrs *pcrs)
{
	size_t i, count = 0, quotes = 0;
	double t0, t;

	for (i = 0; i < n; i++)
		quotes += v[i].type == type;
	if (quotes == 0)
		return 0;
	t0 = now_s();
	do {
		for (i = 0; i < n; i++) {
			if (v[i].type != type)
				continue;
			if (verify_one(&v[i], pcrs, with_key) < 0)
				return -1;
			count++;
		}
		t = now_s() - t0;
	} while (t < secs);
	printf("%s\t%zu\t%s\t%zu\t%.3f\t%.0f\t%.2f\n", type_name[type], quotes,
	       with_key ? "+key" : "verify", count, t, (double)count / t, t * 1e6 / (double)count);
	return 0;
}

int main(int argc, char **argv)
{
	struct tpmq_pcrs *pcrs = NULL;
	struct bq *v = NULL;
	size_t n = 0, i;
	double secs = 1.0;
	char *end;
	int rc = 1, t, k, argi = 1;

	if (argc == 4 && strcmp(argv[1], "-t") == 0) {
		errno = 0;
		secs = strtod(argv[2], &end);
		if (errno != 0 || *end != '\0' || !(secs > 0 && secs <= 3600)) {
			fputs("tpmq_bench: -t takes seconds, 0 < t <= 3600\n", stderr);
			return 2;
		}
		argi = 3;
	} else if (argc != 2 || argv[1][0] == '-') {
		fputs("usage: tpmq_bench [-t SECONDS] DIR   (ephemera-checkquote --batch layout)\n",
		      stderr);
		return 2;
	}
	pcrs = calloc(1, sizeof(*pcrs));
	if (pcrs == NULL || load_dir(&v, &n, argv[argi]) < 0)
		goto out;
	if (n == 0) {
		fprintf(stderr, "tpmq_bench: %s: no quote folders\n", argv[argi]);
		goto out;
	}
	printf("type\tquotes\tmode\tverifications\tseconds\tper_second\tus_each\n");
	for (t = 0; t < T_COUNT; t++)
		for (k = 0; k < 2; k++)
			if (run(v, n, t, k, secs, pcrs) < 0)
				goto out;
	rc = 0;
out:
	for (i = 0; v != NULL && i < n; i++) {
		tpmq_key_free(v[i].ak);
		free(v[i].ak_buf);
		free(v[i].msg);
		free(v[i].sig);
		free(v[i].pcrs);
	}
	free(v);
	free(pcrs);
	return rc;
}

