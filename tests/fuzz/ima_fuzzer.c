/*
 * ima_fuzzer.c - libFuzzer target for the IMA measurement list: parse with
 * EVLOG_IMA_AUTO, walk every entry, check the template hashes, replay the
 * sha1 and sha256 banks.
 *
 * Input: the list itself, binary or ascii, e.g.
 *   0a000000 <20-byte hash> 06000000 "ima-ng" 1f000000 1a000000 "sha1:\0" ...
 *   "10 1d8d...e260 ima-ng sha1:0000...0000 boot_aggregate\n"
 * Seeds in tests/fuzz/corpora/ima/ are small synthesised lists (ima, ima-ng,
 * ima-sig, ima-buf, an unknown template, violations, both formats).
 *
 * Besides "no crash, no leak, no sanitizer report", the target checks the
 * contracts and aborts when one breaks: a failure names the problem and
 * leaves *out NULL; every decoded field lies inside its entry's template
 * data and every byte handed back is readable; file names are terminated;
 * check and replay only return their documented codes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "ima_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

static void touch(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	if (n == 0)
		return;
	check(p != NULL, "non-empty range with a NULL pointer", NULL);
	for (i = 0; i < n; i++)
		acc ^= p[i];
	sink = acc;
}

static int inside(const void *ptr, size_t n, const uint8_t *buf, size_t len)
{
	uintptr_t b = (uintptr_t)buf, q = (uintptr_t)ptr;

	if (n == 0)
		return 1;
	if (ptr == NULL || buf == NULL || q < b || q - b > len)
		return 0;
	return n <= len - (q - b);
}

static void check_failed(int rc, const struct eph_err *err, const char *call)
{
	check(rc < 0, call, err);
	check(memchr(err->msg, '\0', sizeof(err->msg)) != NULL, "err.msg not terminated", NULL);
	check(err->msg[0] != '\0', "failure without a message", err);
}

static void walk(const evlog_ima *ima)
{
	static const uint8_t zero[EVLOG_IMA_TEMPLATE_HASH_LEN];
	size_t i, count = evlog_ima_count(ima);

	check(evlog_ima_entry_at(ima, count) == NULL, "evlog_ima_entry_at past the end", NULL);
	for (i = 0; i < count; i++) {
		const struct evlog_ima_entry *e = evlog_ima_entry_at(ima, i);
		const uint8_t *d;
		size_t n;

		check(e != NULL, "evlog_ima_entry_at in range returned NULL", NULL);
		check(e->num == i, "entry number differs from its position", NULL);
		check(memchr(e->template_name, '\0', sizeof(e->template_name)) != NULL &&
			      e->template_name[0] != '\0',
		      "template name empty or not terminated", NULL);
		check(e->violation == !memcmp(e->template_hash, zero, sizeof(zero)),
		      "violation flag disagrees with the template hash", NULL);
		d = e->template_data;
		n = e->template_data_len;
		touch(d, n);
		check(inside(e->file_hash, e->file_hash_len, d, n), "file hash outside the data",
		      NULL);
		touch(e->file_hash, e->file_hash_len);
		check(inside(e->sig, e->sig_len, d, n), "sig outside the data", NULL);
		touch(e->sig, e->sig_len);
		if (e->file_name != NULL) {
			check(inside(e->file_name, (size_t)e->file_name_len + 1, d, n),
			      "file name outside the data", NULL);
			check(e->file_name[e->file_name_len] == '\0' &&
				      strlen(e->file_name) == e->file_name_len,
			      "file name length or NUL wrong", NULL);
		} else {
			check(e->file_name_len == 0, "file name length without a name", NULL);
		}
		if (e->file_hash_alg != 0)
			check(e->file_hash_len == eph_hash_size(e->file_hash_alg),
			      "file hash length differs from its algorithm's", NULL);
	}
}

static void verify(const evlog_ima *ima)
{
	static const uint16_t algs[] = {EPH_ALG_SHA1, EPH_ALG_SHA256};
	uint8_t pcr[EPH_HASH_MAX];
	struct eph_err err = {{0}};
	size_t bad = (size_t)-1, i, count = evlog_ima_count(ima);
	uint32_t idx[2] = {10, 10};
	int rc;
	unsigned a, p;

	rc = evlog_ima_check_template_hashes(ima, &bad, &err);
	check(rc == 0 || rc == EPH_EVERIFY || rc == EPH_EUNSUPPORTED,
	      "check_template_hashes: unexpected code", &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_ima_check_template_hashes");
		check(bad < count, "first_bad out of range", &err);
	}
	if (count > 0)
		idx[1] = evlog_ima_entry_at(ima, 0)->pcr;
	for (a = 0; a < 2; a++) {
		for (p = 0; p < 2; p++) {
			memset(&err, 0, sizeof(err));
			rc = evlog_ima_replay(pcr, ima, algs[a], idx[p], &err);
			check(rc == 0 || rc == EPH_EUNSUPPORTED, "replay: unexpected code", &err);
			if (rc < 0)
				check_failed(rc, &err, "evlog_ima_replay");
			for (i = 0; rc == 0 && i < eph_hash_size(algs[a]); i++)
				sink = pcr[i];
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evlog_ima *ima = (evlog_ima *)(uintptr_t)1; /* must become NULL on failure */
	struct eph_err err = {{0}};
	int rc;

	rc = evlog_ima_parse(&ima, data, size, EVLOG_IMA_AUTO, &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_ima_parse");
		check(ima == NULL, "failed evlog_ima_parse left *out set", &err);
		return 0;
	}
	check(ima != NULL, "evlog_ima_parse succeeded without a list", NULL);
	walk(ima);
	verify(ima);
	evlog_ima_free(ima);
	return 0;
}
