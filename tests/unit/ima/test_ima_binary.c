/*
 * test_ima_binary.c - binary_runtime_measurements: synthesised lists of each
 * template, decoded fields, and the rejection of hostile bytes (truncation
 * at every offset, huge lengths, bad names).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "imatest.h"

static const uint8_t d20[20] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
				0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05};
static const uint8_t d32[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t sig[6] = {0x03, 0x02, 0x04, 0xaa, 0xbb, 0xcc};

/* Four entries of different templates; ends[i] = offset after entry i. */
static void build_mixed(struct tu_buf *b, size_t ends[4])
{
	static const uint8_t raw[5] = {'r', 'a', 'w', 0, 1};

	it_bin_old(b, 10, d20, "boot_aggregate", 0);
	ends[0] = b->n;
	it_bin_ng(b, 10, "sha256", d32, 32, "/usr/bin/sh", NULL, 0, 0, 0);
	ends[1] = b->n;
	it_bin_ng(b, 10, "sha256", d32, 32, "/lib/libc.so", sig, sizeof(sig), 1, 0);
	ends[2] = b->n;
	it_bin_raw(b, 11, NULL, "my-template", raw, sizeof(raw));
	ends[3] = b->n;
}

static evlog_ima *parse_ok(const struct tu_buf *b, unsigned flags)
{
	struct eph_err err = {{0}};
	evlog_ima *ima = NULL;
	int rc = evlog_ima_parse(&ima, b->p, b->n, flags, &err);

	cr_assert_eq(rc, 0, "parse failed: %d %s", rc, err.msg);
	cr_assert_not_null(ima);
	return ima;
}

static int parse_err(const struct tu_buf *b, struct eph_err *err)
{
	evlog_ima *ima = NULL;
	int rc = evlog_ima_parse(&ima, b->p, b->n, EVLOG_IMA_BINARY, err);

	cr_assert_null(ima);
	return rc;
}

Test(ima, binary_decodes_each_template)
{
	struct tu_buf b = {0};
	const struct evlog_ima_entry *e;
	evlog_ima *ima = NULL;
	size_t ends[4], bad = 99;
	struct eph_err err = {{0}};

	build_mixed(&b, ends);
	ima = parse_ok(&b, EVLOG_IMA_AUTO);
	cr_assert_eq(evlog_ima_count(ima), 4);

	e = evlog_ima_entry_at(ima, 0);
	cr_assert_str_eq(e->template_name, "ima");
	cr_assert_eq(e->offset, 0);
	cr_assert_eq(e->pcr, 10);
	cr_assert_eq(e->template_data_len, 276);
	cr_assert_eq(e->file_hash_alg, EPH_ALG_SHA1);
	cr_assert_eq(e->file_hash_len, 20);
	cr_assert_arr_eq(e->file_hash, d20, 20);
	cr_assert_str_eq(e->file_name, "boot_aggregate");
	cr_assert_eq(e->file_name_len, 14);
	cr_assert_null(e->sig);

	e = evlog_ima_entry_at(ima, 1);
	cr_assert_str_eq(e->template_name, "ima-ng");
	cr_assert_eq(e->num, 1);
	cr_assert_eq(e->offset, ends[0]);
	cr_assert_eq(e->file_hash_alg, EPH_ALG_SHA256);
	cr_assert_eq(e->file_hash_len, 32);
	cr_assert_arr_eq(e->file_hash, d32, 32);
	cr_assert_str_eq(e->file_name, "/usr/bin/sh");
	cr_assert_eq(e->sig_len, 0);

	e = evlog_ima_entry_at(ima, 2);
	cr_assert_str_eq(e->template_name, "ima-sig");
	cr_assert_str_eq(e->file_name, "/lib/libc.so");
	cr_assert_eq(e->sig_len, sizeof(sig));
	cr_assert_arr_eq(e->sig, sig, sizeof(sig));

	e = evlog_ima_entry_at(ima, 3);
	cr_assert_str_eq(e->template_name, "my-template");
	cr_assert_eq(e->pcr, 11);
	cr_assert_eq(e->template_data_len, 5);
	cr_assert_null(e->file_hash);
	cr_assert_null(e->file_name);
	cr_assert_eq(e->file_hash_alg, 0);

	cr_assert_null(evlog_ima_entry_at(ima, 4));
	cr_assert_eq(evlog_ima_check_template_hashes(ima, &bad, &err), 0, "%s", err.msg);
	evlog_ima_free(ima);
	tu_free(&b);
}

Test(ima, binary_sha1_with_and_without_prefix)
{
	struct tu_buf b = {0};
	const struct evlog_ima_entry *e;
	evlog_ima *ima = NULL;

	it_bin_ng(&b, 10, "sha1", d20, 20, "/prefixed", NULL, 0, 0, 0);
	it_bin_ng(&b, 10, NULL, d20, 20, "/bare", NULL, 0, 0, 0);
	ima = parse_ok(&b, EVLOG_IMA_BINARY);
	e = evlog_ima_entry_at(ima, 0);
	cr_assert_eq(e->file_hash_alg, EPH_ALG_SHA1);
	cr_assert_arr_eq(e->file_hash, d20, 20);
	e = evlog_ima_entry_at(ima, 1);
	cr_assert_eq(e->file_hash_alg, EPH_ALG_SHA1);
	cr_assert_eq(e->file_hash_len, 20);
	cr_assert_arr_eq(e->file_hash, d20, 20);
	cr_assert_str_eq(e->file_name, "/bare");
	evlog_ima_free(ima);
	tu_free(&b);
}

Test(ima, binary_unknown_algo_keeps_raw_digest)
{
	struct tu_buf b = {0};
	const struct evlog_ima_entry *e;
	evlog_ima *ima = NULL;

	it_bin_ng(&b, 10, "unknown", d20, 7, "/rootfs_data", NULL, 0, 0, 0);
	it_bin_ng(&b, 10, "streebog256", d32, 32, "/x", NULL, 0, 0, 0);
	ima = parse_ok(&b, EVLOG_IMA_BINARY);
	e = evlog_ima_entry_at(ima, 0);
	cr_assert_eq(e->file_hash_alg, 0);
	cr_assert_eq(e->file_hash_len, 7);
	cr_assert_arr_eq(e->file_hash, d20, 7);
	cr_assert_str_eq(e->file_name, "/rootfs_data");
	e = evlog_ima_entry_at(ima, 1);
	cr_assert_eq(e->file_hash_alg, 0);
	cr_assert_eq(e->file_hash_len, 32);
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, NULL), 0);
	evlog_ima_free(ima);
	tu_free(&b);
}

Test(ima, empty_binary_is_empty_list)
{
	struct eph_err err = {{0}};
	evlog_ima *ima = NULL;

	cr_assert_eq(evlog_ima_parse(&ima, NULL, 0, EVLOG_IMA_BINARY, &err), 0);
	cr_assert_eq(evlog_ima_count(ima), 0);
	cr_assert_null(evlog_ima_entry_at(ima, 0));
	evlog_ima_free(ima);
	cr_assert_eq(evlog_ima_parse(&ima, (const uint8_t *)"", 0, EVLOG_IMA_AUTO, &err), 0);
	cr_assert_eq(evlog_ima_count(ima), 0);
	evlog_ima_free(ima);
	evlog_ima_free(NULL);
	cr_assert_eq(evlog_ima_count(NULL), 0);
}

Test(ima, rejects_truncated_entry)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	size_t ends[4], len, k, start;
	evlog_ima *ima = NULL;
	uint8_t *copy;
	int rc;

	build_mixed(&b, ends);
	for (len = 0; len <= b.n; len++) {
		/* An exact-size heap copy so that ASan sees any over-read. */
		copy = malloc(len ? len : 1);
		cr_assert_not_null(copy);
		memcpy(copy, b.p, len);
		memset(&err, 0, sizeof(err));
		rc = evlog_ima_parse(&ima, copy, len, EVLOG_IMA_BINARY, &err);
		/* k complete entries fit in len bytes; the next starts at start */
		for (k = 0; k < 4 && ends[k] <= len; k++)
			;
		start = k ? ends[k - 1] : 0;
		if (len == start || (k > 0 && len == start + 1 && copy[start] == '\n')) {
			/* a cut between entries, or one trailing newline byte */
			cr_assert_eq(rc, 0, "len %zu: %s", len, err.msg);
			cr_assert_eq(evlog_ima_count(ima), k, "len %zu", len);
			evlog_ima_free(ima);
		} else {
			char want[48];

			snprintf(want, sizeof(want), "entry %zu (offset %zu)", k, start);
			cr_assert_eq(rc, EPH_EFORMAT, "len %zu: rc %d", len, rc);
			cr_assert_null(ima);
			cr_assert_not_null(strstr(err.msg, want), "len %zu: %s", len, err.msg);
			cr_assert_not_null(strstr(err.msg, "truncated"), "len %zu: %s", len,
					   err.msg);
		}
		free(copy);
	}
	tu_free(&b);
}

Test(ima, rejects_huge_template_name_length)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	uint8_t h[20] = {1};

	it_bin_ng(&b, 10, "sha1", d20, 20, "/ok", NULL, 0, 0, 0);
	tu_u32(&b, 10);
	tu_put(&b, h, 20);
	tu_u32(&b, 0xfffffff0u);
	tu_put(&b, "ima-ng", 6);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "entry 1 (offset "), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "template name length 4294967280"), "%s", err.msg);
	tu_free(&b);

	/* 256 is over the kernel's cap even when the bytes are there. */
	tu_u32(&b, 10);
	tu_put(&b, h, 20);
	tu_u32(&b, 256);
	for (int i = 0; i < 256; i++)
		tu_u8(&b, 'a');
	tu_u32(&b, 0);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "not in 1..255"), "%s", err.msg);
	tu_free(&b);
}

Test(ima, rejects_empty_and_unprintable_template_name)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	uint8_t h[20] = {1};

	tu_u32(&b, 10);
	tu_put(&b, h, 20);
	tu_u32(&b, 0);
	tu_u32(&b, 0);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "template name length 0"), "%s", err.msg);
	tu_free(&b);

	it_bin_raw(&b, 10, NULL, "ima\nng", (const uint8_t *)"x", 1);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "byte 0x0a"), "%s", err.msg);
	tu_free(&b);

	/* A custom ima_template_fmt name of 40 bytes is kept whole. */
	it_bin_raw(&b, 10, NULL, "a-template-name-of-forty-bytes-long-xxxx", (const uint8_t *)"x",
		   1);
	{
		evlog_ima *ima = parse_ok(&b, EVLOG_IMA_BINARY);

		cr_assert_str_eq(evlog_ima_entry_at(ima, 0)->template_name,
				 "a-template-name-of-forty-bytes-long-xxxx");
		evlog_ima_free(ima);
	}
	tu_free(&b);
}

Test(ima, rejects_template_data_length_past_end)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	uint8_t h[20] = {1};

	tu_u32(&b, 10);
	tu_put(&b, h, 20);
	tu_u32(&b, 6);
	tu_put(&b, "ima-ng", 6);
	tu_u32(&b, 1000);
	tu_put(&b, "short", 5);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "entry 0 (offset 0)"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "template data at offset 38 needs 1000 bytes, 5 left"),
			   "%s", err.msg);
	tu_free(&b);

	/* Over the 64 KiB cap: refused before looking for the bytes. */
	tu_u32(&b, 10);
	tu_put(&b, h, 20);
	tu_u32(&b, 6);
	tu_put(&b, "ima-ng", 6);
	tu_u32(&b, 0x7fffffff);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "exceeds 65536"), "%s", err.msg);
	tu_free(&b);
}

Test(ima, rejects_bad_fields_in_known_template)
{
	struct tu_buf b = {0}, d = {0};
	struct eph_err err = {{0}};

	/* n-ng without its NUL */
	it_ng_data(&d, "sha1", d20, 20, "/x", NULL, 0, 0);
	d.p[d.n - 1] = 'y';
	it_bin_raw(&b, 10, NULL, "ima-ng", d.p, d.n);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "entry 0 (offset 0): n-ng field"), "%s", err.msg);
	tu_free(&b);

	/* a field length past the template data */
	d.p[0] = 0xff;
	it_bin_raw(&b, 10, NULL, "ima-ng", d.p, d.n);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "runs past the template data"), "%s", err.msg);
	tu_free(&b);
	tu_free(&d);

	/* bytes after the last field */
	it_ng_data(&d, "sha1", d20, 20, "/x", NULL, 0, 0);
	tu_u8(&d, 0);
	it_bin_raw(&b, 10, NULL, "ima-ng", d.p, d.n);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "1 bytes after field 2"), "%s", err.msg);
	tu_free(&b);
	tu_free(&d);

	/* ima-sig missing its sig field */
	it_ng_data(&d, "sha1", d20, 20, "/x", NULL, 0, 0);
	it_bin_raw(&b, 10, NULL, "ima-sig", d.p, d.n);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "before field 3"), "%s", err.msg);
	tu_free(&b);
	tu_free(&d);

	/* sha256 with a 20-byte digest */
	it_ng_data(&d, "sha256", d20, 20, "/x", NULL, 0, 0);
	it_bin_raw(&b, 10, NULL, "ima-ng", d.p, d.n);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "sha256 digest has 20 bytes, expected 32"), "%s",
			   err.msg);
	tu_free(&b);
	tu_free(&d);
}

Test(ima, rejects_bad_legacy_ima_entry)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	uint8_t h[20] = {1};

	tu_u32(&b, 10);
	tu_put(&b, h, 20);
	tu_u32(&b, 3);
	tu_put(&b, "ima", 3);
	tu_put(&b, d20, 20);
	tu_u32(&b, 300);
	for (int i = 0; i < 300; i++)
		tu_u8(&b, 'f');
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "ima file name length 300"), "%s", err.msg);
	tu_free(&b);

	tu_u32(&b, 10);
	tu_put(&b, h, 20);
	tu_u32(&b, 3);
	tu_put(&b, "ima", 3);
	tu_put(&b, d20, 20);
	tu_u32(&b, 3);
	tu_put(&b, "a\0b", 3);
	cr_assert_eq(parse_err(&b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "holds a NUL"), "%s", err.msg);
	tu_free(&b);
}

Test(ima, big_endian_list_gets_a_hint)
{
	static const uint8_t be[] = {0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
				     15, 16, 17, 18, 19, 20, 0, 0, 0, 6, 'i', 'm', 'a', '-', 'n', 'g'};
	struct eph_err err = {{0}};
	evlog_ima *ima = NULL;

	cr_assert_eq(evlog_ima_parse(&ima, be, sizeof(be), EVLOG_IMA_BINARY, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "big-endian"), "%s", err.msg);
}

Test(ima, rejects_bad_flags)
{
	struct eph_err err = {{0}};
	evlog_ima *ima = NULL;

	cr_assert_lt(evlog_ima_parse(&ima, (const uint8_t *)"", 0, 0, &err), 0);
	cr_assert_lt(evlog_ima_parse(&ima, (const uint8_t *)"", 0, 7, &err), 0);
	cr_assert_null(ima);
}
