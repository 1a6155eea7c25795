/*
 * test_ima_vectors.c - the IMA lists of the shared vectors folder, read in
 * place (see ../shared/vectors/README.md, rows "ima/"). Each test skips with
 * a visible message when the folder is missing.
 */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hex.h"
#include "evlog.h"
#include "imatest.h"

#define NEED_VECTORS()                                                        \
	do {                                                                  \
		if (tu_vectors() == NULL)                                     \
			cr_skip_test("shared vectors folder is missing");     \
	} while (0)

static evlog_ima *load(const char *rel, unsigned flags, int *rc, struct eph_err *err)
{
	evlog_ima *ima = NULL;
	uint8_t *buf;
	size_t len;

	buf = tu_read(tu_vector_path(rel), &len);
	*rc = evlog_ima_parse(&ima, buf, len, flags, err);
	free(buf);
	return ima;
}

static evlog_ima *load_ok(const char *rel, unsigned flags)
{
	struct eph_err err = {{0}};
	evlog_ima *ima;
	int rc;

	ima = load(rel, flags, &rc, &err);
	cr_assert_eq(rc, 0, "%s: %d %s", rel, rc, err.msg);
	cr_assert_not_null(ima);
	return ima;
}

static void assert_hashes(const evlog_ima *ima, const char *const *hex, size_t n)
{
	uint8_t h[20];
	size_t i;

	cr_assert_eq(evlog_ima_count(ima), n);
	for (i = 0; i < n; i++) {
		cr_assert_eq(eph_hex_decode(h, sizeof(h), hex[i], 40), 20);
		cr_assert_arr_eq(evlog_ima_entry_at(ima, i)->template_hash, h, 20, "entry %zu", i);
		cr_assert_eq(evlog_ima_entry_at(ima, i)->pcr, 10, "entry %zu", i);
	}
}

/* PCR value from the recorded template hashes through OpenSSL directly. */
static void sha1_chain(uint8_t pcr[20], const evlog_ima *ima, uint32_t idx)
{
	static const uint8_t ff[20] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t cat[40];
	size_t i;

	memset(pcr, 0, 20);
	for (i = 0; i < evlog_ima_count(ima); i++) {
		const struct evlog_ima_entry *e = evlog_ima_entry_at(ima, i);

		if (e->pcr != idx)
			continue;
		memcpy(cat, pcr, 20);
		memcpy(cat + 20, e->violation ? ff : e->template_hash, 20);
		it_sha1(pcr, cat, 40);
	}
}

Test(ima, vector_tss_legacy_ima_sha1)
{
	static const char *const hashes[] = {
		"719de8e521439498e9b77f6ed41e230b9821111e", "a3ff2672a129ea092ec2d41b88daafe632a8b65a",
		"11fdfd51127b2a3853c55136d0c76411f6246892", "7a89e5da2a7299c7b3d76fbbbd4727d13818cc9a",
		"6d644a6a36001decfbc93ae98734473adc807c98", "70ff9de3f9a80361cca4f13edc027150318116da",
		"082ab538004eb50f2c8cdcbc8467037b11436ed6", "0cf46ceded0ffc71df00612568f6679208bb43d1",
		"37d29d0dbcfcc9b90fcd1986e452ab27a017e61a", "b81750d408faeb879a02f14cd8f42253308686fa",
		"47a8d6956a06cecf639af074b264bd1338c0942e", "21044c1265a4b298dfd97ead49c355817b1a2493",
	};
	struct eph_err err = {{0}};
	uint8_t pcr[EPH_HASH_MAX], want[20];
	evlog_ima *ima;

	NEED_VECTORS();
	ima = load_ok("ima/tpm2-tss/sml-ima-sha1.bin", EVLOG_IMA_AUTO);
	assert_hashes(ima, hashes, 12);
	cr_assert_str_eq(evlog_ima_entry_at(ima, 0)->template_name, "ima");
	cr_assert_str_eq(evlog_ima_entry_at(ima, 0)->file_name, "boot_aggregate");
	cr_assert_str_eq(evlog_ima_entry_at(ima, 1)->file_name, "/init");
	cr_assert_str_eq(evlog_ima_entry_at(ima, 11)->file_name, "/scripts/init-top/blacklist");
	cr_assert_eq(evlog_ima_entry_at(ima, 11)->file_hash_alg, EPH_ALG_SHA1);
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA1, 10, &err), 0, "%s", err.msg);
	sha1_chain(want, ima, 10);
	cr_assert_arr_eq(pcr, want, 20);
	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA256, 10, &err), 0, "%s", err.msg);
	evlog_ima_free(ima);
}

Test(ima, vector_tss_ima_ng_sha1)
{
	static const char *const hashes[] = {
		"1d8d532d463c9f8c205d0df7787669a85f93e260", "972d62ff5b3a74e89952e0980b2099eed49bf8f0",
		"c76ee54d77352bee745ce43829247ff1706886df", "ef885dd41140c5fb993188f60a298c5a9b31d038",
		"a8fe19f5a9773edebf7b7df90bf9ce38b071e684", "0801daa94a2c43f41200143b319f19b28b43f745",
	};
	struct eph_err err = {{0}};
	const struct evlog_ima_entry *e;
	evlog_ima *ima;

	NEED_VECTORS();
	ima = load_ok("ima/tpm2-tss/sml-ima-ng-sha1.bin", EVLOG_IMA_BINARY);
	assert_hashes(ima, hashes, 6);
	e = evlog_ima_entry_at(ima, 5);
	cr_assert_str_eq(e->template_name, "ima-ng");
	cr_assert_eq(e->file_hash_alg, EPH_ALG_SHA1);
	cr_assert_eq(e->file_hash_len, 20);
	cr_assert_str_eq(e->file_name, "/usr/lib/x86_64-linux-gnu/libc-2.31.so");
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), 0, "%s", err.msg);
	evlog_ima_free(ima);
}

Test(ima, vector_tss_legacy_invalidated_entry_is_a_violation)
{
	uint8_t pcr[20], want[20], cat[40];
	struct eph_err err = {{0}};
	const struct evlog_ima_entry *e;
	evlog_ima *ima;

	NEED_VECTORS();
	memset(cat, 0, 20);
	memset(cat + 20, 0xff, 20);
	it_sha1(want, cat, 40);
	ima = load_ok("ima/tpm2-tss/sml-ima-sha1-invalidated.bin", EVLOG_IMA_AUTO);
	cr_assert_eq(evlog_ima_count(ima), 1);
	e = evlog_ima_entry_at(ima, 0);
	cr_assert(e->violation);
	cr_assert_eq(e->pcr, 10);
	cr_assert_str_eq(e->file_name, "boot_aggregate");
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA1, 10, &err), 0);
	cr_assert_arr_eq(pcr, want, 20);
	evlog_ima_free(ima);
}

/*
 * This file (its upstream test is disabled) records PCR 13 and a template
 * data length of 49 with only 48 bytes left: the NUL of "boot_aggregate" is
 * missing. A strict parser must refuse it and say where.
 */
Test(ima, vector_tss_ima_ng_invalidated_is_one_byte_short)
{
	struct eph_err err = {{0}};
	evlog_ima *ima;
	int rc;

	NEED_VECTORS();
	ima = load("ima/tpm2-tss/sml-ima-ng-sha1-invalidated.bin", EVLOG_IMA_AUTO, &rc, &err);
	cr_assert_null(ima);
	cr_assert_eq(rc, EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "entry 0 (offset 0): truncated: template data at "
					   "offset 38 needs 49 bytes, 48 left"),
			   "%s", err.msg);
}

Test(ima, vector_keylime_ima_ng_logs)
{
	static const struct {
		const char *file;
		uint16_t alg;
		int first_violation;
	} logs[] = {
		{"ima/keylime/ima-log-sha1", EPH_ALG_SHA1, 1},
		{"ima/keylime/ima-log-sha256", EPH_ALG_SHA256, 0},
		{"ima/keylime/ima-log-sha384", EPH_ALG_SHA384, 1},
	};
	struct eph_err err = {{0}};
	const struct evlog_ima_entry *e;
	evlog_ima *ima;
	size_t i;

	NEED_VECTORS();
	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		ima = load_ok(logs[i].file, EVLOG_IMA_AUTO);
		cr_assert_eq(evlog_ima_count(ima), 2);
		e = evlog_ima_entry_at(ima, 0);
		cr_assert_eq(e->violation, logs[i].first_violation, "%s", logs[i].file);
		cr_assert_str_eq(e->file_name, "boot_aggregate");
		e = evlog_ima_entry_at(ima, 1);
		cr_assert_str_eq(e->file_name, "/data");
		cr_assert_eq(e->file_hash_alg, logs[i].alg, "%s", logs[i].file);
		cr_assert_eq(e->file_hash_len, eph_hash_size(logs[i].alg));
		cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), 0, "%s: %s",
			     logs[i].file, err.msg);
		evlog_ima_free(ima);
	}
}

Test(ima, vector_keylime_unknown_algo_is_unsupported)
{
	struct eph_err err = {{0}};
	evlog_ima *ima;
	int rc;

	NEED_VECTORS();
	/* Its template hashes are 64 hex digits: not a SHA1 list. */
	ima = load("ima/keylime/ima-log-unknown", EVLOG_IMA_AUTO, &rc, &err);
	cr_assert_null(ima);
	cr_assert_eq(rc, EPH_EUNSUPPORTED, "%d %s", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, "entry 0 (line 1)"), "%s", err.msg);
}

Test(ima, vector_rust_keylime_ascii_measurements)
{
	struct eph_err err = {{0}};
	uint8_t pcr[EPH_HASH_MAX], want[20];
	const struct evlog_ima_entry *e;
	size_t len, lines = 0, i;
	evlog_ima *ima;
	uint8_t *buf;

	NEED_VECTORS();
	buf = tu_read(tu_vector_path("ima/rust-keylime/ascii_runtime_measurements"), &len);
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	free(buf);
	ima = load_ok("ima/rust-keylime/ascii_runtime_measurements", EVLOG_IMA_AUTO);
	cr_assert_eq(evlog_ima_count(ima), lines);
	cr_assert_gt(lines, 500);
	for (i = 0; i < lines; i++) {
		e = evlog_ima_entry_at(ima, i);
		cr_assert_str_eq(e->template_name, "ima-ng");
		cr_assert_not_null(e->file_name);
		cr_assert_eq(e->file_hash_alg, EPH_ALG_SHA1, "entry %zu", i);
	}
	cr_assert_str_eq(evlog_ima_entry_at(ima, 1)->file_name, "/init");
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA1, 10, &err), 0, "%s", err.msg);
	sha1_chain(want, ima, 10);
	cr_assert_arr_eq(pcr, want, 20);
	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA256, 10, &err), 0, "%s", err.msg);
	evlog_ima_free(ima);
}

Test(ima, vector_rust_keylime_small_logs)
{
	struct eph_err err = {{0}};
	evlog_ima *ima;
	int rc;

	NEED_VECTORS();
	ima = load_ok("ima/rust-keylime/empty_ima_log.txt", EVLOG_IMA_AUTO);
	cr_assert_eq(evlog_ima_count(ima), 0);
	evlog_ima_free(ima);

	ima = load_ok("ima/rust-keylime/ima_log.txt", EVLOG_IMA_AUTO);
	cr_assert_eq(evlog_ima_count(ima), 1);
	cr_assert_eq(evlog_ima_entry_at(ima, 0)->file_hash_alg, EPH_ALG_SHA256);
	cr_assert_str_eq(evlog_ima_entry_at(ima, 0)->file_name, "boot_aggregate");
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), 0, "%s", err.msg);
	evlog_ima_free(ima);

	ima = load("ima/rust-keylime/invalid_ima_log.txt", EVLOG_IMA_AUTO, &rc, &err);
	cr_assert_null(ima);
	cr_assert_eq(rc, EPH_EFORMAT, "%d %s", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, "line 1"), "%s", err.msg);
	ima = load("ima/rust-keylime/invalid_ima_log.txt", EVLOG_IMA_ASCII, &rc, &err);
	cr_assert_eq(rc, EPH_EFORMAT, "%d %s", rc, err.msg);
}
