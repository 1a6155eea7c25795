/*
 * ima_extend_test.c - evlog_ima_extend carries a replay on from a stored PCR
 * value: a list replayed in two chunks (the second extended from the first's
 * result) gives the same PCR as the whole list replayed from zero.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "evlog.h"
#include "imatest.h"

/* Entry i of a small list: ima-ng entries in PCR 10, one violation, one in
 * PCR 11 that a PCR 10 replay must skip. */
static void add_entry(struct tu_buf *b, size_t i)
{
	uint8_t d[32];
	char name[32];
	int n;

	memset(d, (int)(0x40 + i), sizeof(d));
	n = snprintf(name, sizeof(name), "/usr/bin/prog%zu", i);
	cr_assert(n > 0 && (size_t)n < sizeof(name));
	it_bin_ng(b, i == 4 ? 11 : 10, "sha256", d, sizeof(d), name, NULL, 0, 0, i == 2);
}

static evlog_ima *parse(const struct tu_buf *b)
{
	struct eph_err err = {{0}};
	evlog_ima *ima = NULL;

	cr_assert_eq(evlog_ima_parse(&ima, b->p, b->n, EVLOG_IMA_BINARY, &err), 0, "%s",
		     err.msg);
	return ima;
}

static void check_split(uint16_t alg, size_t total, size_t split)
{
	struct tu_buf whole = {0}, first = {0}, rest = {0};
	struct eph_err err = {{0}};
	uint8_t want[EPH_HASH_MAX], got[EPH_HASH_MAX];
	size_t size = eph_hash_size(alg), i;
	evlog_ima *w = NULL, *a = NULL, *r = NULL;

	for (i = 0; i < total; i++) {
		add_entry(&whole, i);
		add_entry(i < split ? &first : &rest, i);
	}
	w = parse(&whole);
	a = parse(&first);
	r = parse(&rest);
	cr_assert_eq(evlog_ima_count(w), total);
	cr_assert_eq(evlog_ima_count(a) + evlog_ima_count(r), total);

	cr_assert_eq(evlog_ima_replay(want, w, alg, 10, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_ima_replay(got, a, alg, 10, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_ima_extend(got, r, alg, 10, &err), 0, "%s", err.msg);
	cr_assert_arr_eq(got, want, size, "alg 0x%04x split at %zu", (unsigned)alg, split);

	/* the chunk alone from zero is something else (unless the first is empty) */
	cr_assert_eq(evlog_ima_replay(got, r, alg, 10, &err), 0, "%s", err.msg);
	if (split > 0)
		cr_assert_arr_neq(got, want, size);

	evlog_ima_free(w);
	evlog_ima_free(a);
	evlog_ima_free(r);
	tu_free(&whole);
	tu_free(&first);
	tu_free(&rest);
}

Test(ima_extend, two_chunks_equal_whole_list_sha1)
{
	size_t split;

	for (split = 0; split <= 6; split++)
		check_split(EPH_ALG_SHA1, 6, split);
}

Test(ima_extend, two_chunks_equal_whole_list_sha256)
{
	size_t split;

	for (split = 0; split <= 6; split++)
		check_split(EPH_ALG_SHA256, 6, split);
}

Test(ima_extend, empty_chunk_leaves_pcr_unchanged)
{
	struct eph_err err = {{0}};
	uint8_t pcr[32], before[32];
	evlog_ima *ima = NULL;

	cr_assert_eq(evlog_ima_parse(&ima, NULL, 0, EVLOG_IMA_BINARY, &err), 0, "%s", err.msg);
	memset(pcr, 0x5a, sizeof(pcr));
	memcpy(before, pcr, sizeof(pcr));
	cr_assert_eq(evlog_ima_extend(pcr, ima, EPH_ALG_SHA256, 10, &err), 0, "%s", err.msg);
	cr_assert_arr_eq(pcr, before, sizeof(pcr));
	cr_assert_eq(evlog_ima_extend(pcr, ima, 0x1234, 10, &err), EPH_EUNSUPPORTED);
	cr_assert_eq(evlog_ima_extend(pcr, NULL, EPH_ALG_SHA256, 10, &err), EPH_EFAIL);
	evlog_ima_free(ima);
}
