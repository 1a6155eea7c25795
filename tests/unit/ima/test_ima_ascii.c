/*
 * test_ima_ascii.c - ascii_runtime_measurements: the same entries written as
 * binary and as text must give the same template data; malformed lines are
 * rejected naming the line and the problem.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hex.h"
#include "evlog.h"
#include "imatest.h"

static const uint8_t d20[20] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6,
				7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t d32[32] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
				0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5,
				0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};
static const uint8_t sig[4] = {0x03, 0x02, 0xca, 0xfe};

static void hex(char *out, size_t size, const uint8_t *p, size_t n)
{
	cr_assert_eq(eph_hex_encode(out, size, p, n), 0);
}

/* Append one ima-ng/ima-sig line to text and the same entry to bin. */
static void both_ng(struct tu_buf *text, struct tu_buf *bin, const char *algo, const uint8_t *dig,
		    size_t dlen, const char *fname, const uint8_t *s, size_t slen, int with_sig,
		    const char *tail)
{
	struct tu_buf d = {0};
	char line[1024], th[41], dh[129], sh[129];
	uint8_t h[20];

	it_ng_data(&d, algo, dig, dlen, fname, s, slen, with_sig);
	it_sha1(h, d.p, d.n);
	hex(th, sizeof(th), h, 20);
	hex(dh, sizeof(dh), dig, dlen);
	hex(sh, sizeof(sh), s ? s : (const uint8_t *)"", slen);
	snprintf(line, sizeof(line), "10 %s %s %s%s%s %s%s%s%s\n", th,
		 with_sig ? "ima-sig" : "ima-ng", algo ? algo : "", algo ? ":" : "", dh, fname,
		 with_sig && tail == NULL ? " " : "", with_sig && tail == NULL ? sh : "",
		 tail ? tail : "");
	tu_put(text, line, strlen(line));
	it_bin_raw(bin, 10, h, with_sig ? "ima-sig" : "ima-ng", d.p, d.n);
	tu_free(&d);
}

static void both_old(struct tu_buf *text, struct tu_buf *bin, const uint8_t dig[20],
		     const char *fname)
{
	uint8_t hashed[276] = {0}, h[20];
	char line[512], th[41], dh[41];

	memcpy(hashed, dig, 20);
	memcpy(hashed + 20, fname, strlen(fname));
	it_sha1(h, hashed, sizeof(hashed));
	hex(th, sizeof(th), h, 20);
	hex(dh, sizeof(dh), dig, 20);
	snprintf(line, sizeof(line), "10 %s ima %s %s\n", th, dh, fname);
	tu_put(text, line, strlen(line));
	it_bin_old(bin, 10, dig, fname, 0);
}

static evlog_ima *parse(const struct tu_buf *b, unsigned flags)
{
	struct eph_err err = {{0}};
	evlog_ima *ima = NULL;
	int rc = evlog_ima_parse(&ima, b->p, b->n, flags, &err);

	cr_assert_eq(rc, 0, "%d %s", rc, err.msg);
	return ima;
}

Test(ima, ascii_rebuilds_binary_template_data)
{
	struct tu_buf text = {0}, bin = {0};
	evlog_ima *a = NULL, *b = NULL;
	struct eph_err err = {{0}};
	size_t i;

	both_old(&text, &bin, d20, "boot_aggregate");
	both_ng(&text, &bin, "sha256", d32, 32, "/usr/bin/bash", NULL, 0, 0, NULL);
	both_ng(&text, &bin, "sha1", d20, 20, "/path with spaces/a b", NULL, 0, 0, NULL);
	both_ng(&text, &bin, NULL, d20, 20, "/bare-sha1", NULL, 0, 0, NULL);
	both_ng(&text, &bin, "sha256", d32, 32, "/signed file", sig, sizeof(sig), 1, NULL);
	both_ng(&text, &bin, "sha256", d32, 32, "/unsigned", NULL, 0, 1, NULL); /* "name " */
	both_ng(&text, &bin, "unknown", d32, 29, "/rootfs_data", NULL, 0, 0, NULL);
	both_ng(&text, &bin, "sha3-256", d32, 32, "/sha3", NULL, 0, 0, NULL);
	a = parse(&text, EVLOG_IMA_AUTO);
	b = parse(&bin, EVLOG_IMA_AUTO);
	cr_assert_eq(evlog_ima_count(a), 8);
	cr_assert_eq(evlog_ima_count(b), 8);
	for (i = 0; i < 8; i++) {
		const struct evlog_ima_entry *x = evlog_ima_entry_at(a, i);
		const struct evlog_ima_entry *y = evlog_ima_entry_at(b, i);

		cr_assert_eq(x->offset, i, "ascii offset is line - 1");
		cr_assert_str_eq(x->template_name, y->template_name);
		cr_assert_arr_eq(x->template_hash, y->template_hash, 20);
		cr_assert_eq(x->template_data_len, y->template_data_len, "entry %zu", i);
		cr_assert_arr_eq(x->template_data, y->template_data, x->template_data_len,
				 "entry %zu", i);
		cr_assert_eq(x->file_hash_alg, y->file_hash_alg);
		cr_assert_eq(x->file_hash_len, y->file_hash_len);
		cr_assert_str_eq(x->file_name, y->file_name);
		cr_assert_eq(x->sig_len, y->sig_len);
	}
	cr_assert_str_eq(evlog_ima_entry_at(a, 2)->file_name, "/path with spaces/a b");
	cr_assert_arr_eq(evlog_ima_entry_at(a, 4)->sig, sig, sizeof(sig));
	cr_assert_eq(evlog_ima_entry_at(a, 5)->sig_len, 0);
	cr_assert_eq(evlog_ima_entry_at(a, 6)->file_hash_alg, 0);
	cr_assert_eq(evlog_ima_entry_at(a, 7)->file_hash_alg, EPH_ALG_SHA3_256);
	cr_assert_eq(evlog_ima_check_template_hashes(a, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_ima_check_template_hashes(b, NULL, &err), 0, "%s", err.msg);
	evlog_ima_free(a);
	evlog_ima_free(b);
	tu_free(&text);
	tu_free(&bin);
}

Test(ima, ascii_sig_token_rules)
{
	struct tu_buf text = {0}, bin = {0};
	evlog_ima *a = NULL;

	/* Trailing space stripped, last token not hex: all of it is the name. */
	both_ng(&text, &bin, "sha256", d32, 32, "/etc/a name", NULL, 0, 1, "");
	a = parse(&text, EVLOG_IMA_ASCII);
	cr_assert_str_eq(evlog_ima_entry_at(a, 0)->file_name, "/etc/a name");
	cr_assert_eq(evlog_ima_entry_at(a, 0)->sig_len, 0);
	cr_assert_eq(evlog_ima_check_template_hashes(a, NULL, NULL), 0);
	evlog_ima_free(a);
	tu_free(&text);
	tu_free(&bin);
}

Test(ima, ascii_pcr_with_leading_space_and_no_final_newline)
{
	static const char text[] =
		" 9 0000000000000000000000000000000000000000 ima-ng sha1:"
		"0000000000000000000000000000000000000000 boot_aggregate\n\n\n";
	static const char text2[] =
		"10 0000000000000000000000000000000000000000 ima-ng sha1:"
		"0000000000000000000000000000000000000000 boot_aggregate";
	evlog_ima *a = NULL;
	char msg[256];

	cr_assert_eq(it_parse_str(&a, text, EVLOG_IMA_AUTO, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(evlog_ima_count(a), 1);
	cr_assert_eq(evlog_ima_entry_at(a, 0)->pcr, 9);
	cr_assert(evlog_ima_entry_at(a, 0)->violation);
	evlog_ima_free(a);
	cr_assert_eq(it_parse_str(&a, text2, EVLOG_IMA_AUTO, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(evlog_ima_count(a), 1);
	evlog_ima_free(a);
}

struct bad_line {
	const char *text;
	size_t len; /* 0: strlen(text) */
	int rc;
	const char *msg;
};

#define H40 "1d8d532d463c9f8c205d0df7787669a85f93e260"
#define GOOD "10 " H40 " ima-ng sha1:" H40 " /init\n"

static const char nul_line[] = "10 " H40 " ima-ng sha1:" H40 " /a\0b\n";

static const struct bad_line bad_lines[] = {
	{GOOD "10 1d8d532d463c9f8c205d0df7787669a85f93e26g ima-ng sha1:" H40 " /x\n", 0,
	 EPH_EFORMAT, "entry 1 (line 2): bad hex in template hash at column 4"},
	{GOOD "10 " H40 " ima-ng sha1:zz8d532d463c9f8c205d0df7787669a85f93e260 /x\n", 0,
	 EPH_EFORMAT, "line 2): bad hex in file digest at column 57"},
	{"10 " H40 "00 ima-ng sha1:" H40 " /x\n", 0, EPH_EFORMAT, "has 42 characters"},
	{"10 " H40 "\n", 0, EPH_EFORMAT, "line ends after the template hash"},
	{"10 " H40 " ima-ng\n", 0, EPH_EFORMAT, "line ends after the template name"},
	{"10 " H40 " ima-ng sha1:" H40 "\n", 0, EPH_EFORMAT, "line ends after the file digest"},
	{"10 " H40 " ima-ng sha256:" H40 " /x\n", 0, EPH_EFORMAT,
	 "sha256 file digest has 40 hex digits, expected 64"},
	{"10 " H40 " ima-ng :" H40 " /x\n", 0, EPH_EFORMAT, "bad hash algorithm name"},
	{"10 " H40 " ima-ng sha1: /x\n", 0, EPH_EFORMAT, "has 0 hex digits"},
	{"10 " H40 " ima-ng SHA1:" H40 " /x\n", 0, EPH_EFORMAT, "bad hash algorithm name"},
	{"10 " H40 " ima-ng ab:00112233445566778899aabbccddeeff /x\n", 0, EPH_EFORMAT,
	 "cannot be told from a bare sha1 digest"},
	{"10 " H40 " ima-ng sha1:" H40 H40 H40 H40 " /x\n", 0, EPH_EFORMAT,
	 "sha1 file digest has 160 hex digits, expected 40"},
	{"10 " H40 " ima-ng whirlpool:" H40 H40 H40 H40 " /x\n", 0, EPH_EFORMAT,
	 "has 160 hex digits"},
	{"10 " H40 " ima " H40 "0 /x\n", 0, EPH_EFORMAT, "ima file digest at column"},
	{"x10 " H40 " ima-ng sha1:" H40 " /x\n", 0, EPH_EFORMAT, "expected a decimal PCR"},
	{"99999999999 " H40 " ima-ng sha1:" H40 " /x\n", 0, EPH_EFORMAT,
	 "PCR index is too large"},
	{"10  " H40 " ima-ng sha1:" H40 " /x\n", 0, EPH_EFORMAT, "has 0 characters"},
	{"10 " H40 "  ima-ng sha1:" H40 " /x\n", 0, EPH_EFORMAT, "empty template name"},
	{GOOD "\n" GOOD, 0, EPH_EFORMAT, "entry 1 (line 2): empty line"},
	{nul_line, sizeof(nul_line) - 1, EPH_EFORMAT, "entry 0 (line 1): NUL byte at column 100"},
	{"10 " H40 "abcdefabcdefabcdefabcdef ima-ng sha1:" H40 " /x\n", 0, EPH_EUNSUPPORTED,
	 "only SHA1 template hashes"},
	{"this-is-an-invalid-ima-log-file\n", 0, EPH_EFORMAT, "expected a decimal PCR"},
};

Test(ima, rejects_malformed_ascii_lines)
{
	size_t i;

	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct bad_line *t = &bad_lines[i];
		size_t len = t->len ? t->len : strlen(t->text);
		struct eph_err err = {{0}};
		evlog_ima *a = NULL;
		int rc;

		rc = evlog_ima_parse(&a, (const uint8_t *)t->text, len, EVLOG_IMA_ASCII, &err);
		cr_assert_eq(rc, t->rc, "case %zu: rc %d: %s", i, rc, err.msg);
		cr_assert_null(a);
		cr_assert_not_null(strstr(err.msg, t->msg), "case %zu: %s", i, err.msg);
	}
}

Test(ima, ascii_sig_that_is_not_hex_is_part_of_the_name)
{
	static const char text[] = "10 " H40 " ima-sig sha1:" H40 " /x 0g\n";
	struct eph_err err = {{0}};
	evlog_ima *a = NULL;
	size_t bad = 9;
	char msg[256];

	cr_assert_eq(it_parse_str(&a, text, EVLOG_IMA_ASCII, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_str_eq(evlog_ima_entry_at(a, 0)->file_name, "/x 0g");
	cr_assert_eq(evlog_ima_entry_at(a, 0)->sig_len, 0);
	/* H40 is not the hash of that data */
	cr_assert_eq(evlog_ima_check_template_hashes(a, &bad, &err), EPH_EVERIFY);
	cr_assert_eq(bad, 0);
	cr_assert_not_null(strstr(err.msg, "entry 0 (line 1): template hash " H40), "%s", err.msg);
	evlog_ima_free(a);
}

Test(ima, ascii_unknown_template_kept_but_unchecked)
{
	static const char text[] = "10 0000000000000000000000000000000000000000 ima-ng sha1:" H40
				   " /violation\n"
				   "10 " H40 " ima-modsig sha256:aa /x 03 sha256:bb 0302\n";
	struct eph_err err = {{0}};
	uint8_t pcr[EPH_HASH_MAX];
	evlog_ima *a = NULL;
	size_t bad = 0;
	char msg[256];

	cr_assert_eq(it_parse_str(&a, text, EVLOG_IMA_AUTO, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(evlog_ima_count(a), 2);
	cr_assert_str_eq(evlog_ima_entry_at(a, 1)->template_name, "ima-modsig");
	cr_assert_null(evlog_ima_entry_at(a, 1)->template_data);
	cr_assert_null(evlog_ima_entry_at(a, 1)->file_name);
	cr_assert_eq(evlog_ima_check_template_hashes(a, &bad, &err), EPH_EUNSUPPORTED);
	cr_assert_eq(bad, 1);
	cr_assert_not_null(strstr(err.msg, "entry 1 (line 2)"), "%s", err.msg);
	cr_assert_eq(evlog_ima_replay(pcr, a, EPH_ALG_SHA1, 10, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_ima_replay(pcr, a, EPH_ALG_SHA256, 10, &err), EPH_EUNSUPPORTED);
	cr_assert_not_null(strstr(err.msg, "entry 1 (line 2)"), "%s", err.msg);
	evlog_ima_free(a);
}

Test(ima, ascii_truncated_anywhere_never_crashes)
{
	struct tu_buf text = {0}, bin = {0};
	struct eph_err err = {{0}};
	evlog_ima *a = NULL;
	size_t len;
	uint8_t *copy;
	int rc;

	both_old(&text, &bin, d20, "boot_aggregate");
	both_ng(&text, &bin, "sha256", d32, 32, "/signed file", sig, sizeof(sig), 1, NULL);
	both_ng(&text, &bin, "sha1", d20, 20, "/x", NULL, 0, 0, NULL);
	for (len = 0; len <= text.n; len++) {
		copy = malloc(len ? len : 1);
		cr_assert_not_null(copy);
		memcpy(copy, text.p, len);
		rc = evlog_ima_parse(&a, copy, len, EVLOG_IMA_ASCII, &err);
		cr_assert(rc == 0 || rc == EPH_EFORMAT || rc == EPH_EUNSUPPORTED, "len %zu", len);
		if (rc == 0) {
			(void)evlog_ima_check_template_hashes(a, NULL, &err);
			evlog_ima_free(a);
		}
		free(copy);
	}
	tu_free(&text);
	tu_free(&bin);
}

Test(ima, ima_buf_in_both_formats)
{
	static const char cmdline[] = "root=/dev/vda1 ro";
	struct tu_buf d = {0}, bin = {0};
	char line[512], th[41], dh[65], bh[64];
	const struct evlog_ima_entry *x, *y;
	evlog_ima *a = NULL, *b = NULL;
	uint8_t h[20];
	char msg[256];

	it_ng_data(&d, "sha256", d32, 32, "kexec-cmdline", (const uint8_t *)cmdline,
		   strlen(cmdline), 1);
	it_sha1(h, d.p, d.n);
	it_bin_raw(&bin, 10, h, "ima-buf", d.p, d.n);
	hex(th, sizeof(th), h, 20);
	hex(dh, sizeof(dh), d32, 32);
	hex(bh, sizeof(bh), (const uint8_t *)cmdline, strlen(cmdline));
	snprintf(line, sizeof(line), "10 %s ima-buf sha256:%s kexec-cmdline %s\n", th, dh, bh);
	cr_assert_eq(it_parse_str(&a, line, EVLOG_IMA_AUTO, msg, sizeof(msg)), 0, "%s", msg);
	b = parse(&bin, EVLOG_IMA_AUTO);
	x = evlog_ima_entry_at(a, 0);
	y = evlog_ima_entry_at(b, 0);
	cr_assert_str_eq(x->file_name, "kexec-cmdline");
	cr_assert_eq(x->file_hash_alg, EPH_ALG_SHA256);
	cr_assert_null(x->sig, "ima-buf does not expose its buffer as a signature");
	cr_assert_eq(x->template_data_len, y->template_data_len);
	cr_assert_arr_eq(x->template_data, y->template_data, x->template_data_len);
	cr_assert_eq(evlog_ima_check_template_hashes(a, NULL, NULL), 0);
	cr_assert_eq(evlog_ima_check_template_hashes(b, NULL, NULL), 0);
	evlog_ima_free(a);
	evlog_ima_free(b);
	tu_free(&d);
	tu_free(&bin);
}
