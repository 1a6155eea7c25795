/*
 * test_cli.c - the command line of ephemera-eventlog: exit codes, the
 * one-line errors, hostile and negative inputs, CC event logs, stdin,
 * --pcrs-only, --compare and --ima. Needs the shared vectors but not
 * tpm2_eventlog.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"
#include "testutil.h"

#define SKIP_WITHOUT_VECTORS()                                                                     \
	do {                                                                                       \
		if (tu_vectors() == NULL)                                                          \
			cr_skip_test("shared vectors missing");                                    \
	} while (0)

static void expect_refused(const char *rel, const char *args, int code)
{
	struct cli_result r;

	cli_run(&r, cli_binary(), args, tu_vector_path(rel));
	cr_expect(!cli_crashed(&r), "%s: crashed (status %d)", rel, r.status);
	cr_expect_eq(r.status, code, "%s: exit %d, want %d; stderr: %s", rel, r.status, code,
	             r.err);
	cr_expect_eq(cli_count_lines(r.err), 1, "%s: stderr is not one line: [%s]", rel, r.err);
	cr_expect_eq(strncmp(r.err, "ephemera-eventlog: ", 19), 0, "%s: %s", rel, r.err);
	cr_expect_str_empty(r.out, "%s: printed on a failure: %s", rel, r.out);
	cli_result_free(&r);
}

Test(eventlog_cli, rejects_bogus)
{
	SKIP_WITHOUT_VECTORS();
	expect_refused("eventlog/keylime/binary_bios_measurements-bogus", NULL, 2);
}

Test(eventlog_cli, rejects_empty)
{
	SKIP_WITHOUT_VECTORS();
	expect_refused("eventlog/keylime/binary_bios_measurements-empty", NULL, 2);
}

Test(eventlog_cli, rejects_short_no_action)
{
	SKIP_WITHOUT_VECTORS();
	expect_refused("eventlog/go-attestation/short_no_action_eventlog", NULL, 2);
}

/* tpm2_eventlog segfaults on this one (event with PCR index 0xFFFFFFFF). */
Test(eventlog_cli, option_rom_no_crash)
{
	struct cli_result r;

	SKIP_WITHOUT_VECTORS();
	cli_run(&r, cli_binary(), NULL,
	        tu_vector_path("eventlog/go-attestation/option_rom_eventlog"));
	cr_expect(!cli_crashed(&r));
	if (r.status != 0)
		cr_expect_eq(cli_count_lines(r.err), 1, "%s", r.err);
	cli_result_free(&r);
}

static const char *const ccel_logs[] = {
    "eventlog/ccel/CCEL_AAEL_alibabacloud",
    "eventlog/ccel/CCEL_data_grub",
    "eventlog/ccel/CCEL_data_ovmf",
    "eventlog/ccel/go-eventlog-CCEL_unpadded.data.bin",
    "eventlog/ccel/go-eventlog-cos-113-intel-tdx-dupe-separator-unpadded.bin",
    "eventlog/ccel/go-eventlog-cos-113-intel-tdx-dupe-separator.bin",
    "eventlog/ccel/go-eventlog-event_log.bin",
};

/* tpm2_eventlog refuses these ("bad pcrIndex for EV_NO_ACTION event"). */
Test(eventlog_cli, ccel_logs_parse)
{
	struct cli_result r;
	size_t i;

	SKIP_WITHOUT_VECTORS();
	for (i = 0; i < sizeof(ccel_logs) / sizeof(ccel_logs[0]); i++) {
		cli_run(&r, cli_binary(), "--ccel", tu_vector_path(ccel_logs[i]));
		cr_expect_eq(r.status, 0, "%s: exit %d: %s", ccel_logs[i], r.status, r.err);
		cr_expect_not_null(cli_pcrs_section(r.out), "%s: no pcrs:", ccel_logs[i]);
		cli_result_free(&r);
	}
}

/* RTMR0..2 = MR 1..3, SHA384 (go-eventlog-cos-113-...expected.json). */
Test(eventlog_cli, ccel_rtmrs)
{
	static const char want[] =
	    "pcrs:\n  sha384:\n"
	    "    1  : 0xa4de2df23e9611299123ba4359c42a5e578b0f8488bf1bba8ef5606d9ea5d81c97c0"
	    "64b482a5eac537d166bd0f0f752d\n"
	    "    2  : 0x0ee9366c928a77092f55e9e114c7394181fd264699155f0df77d23577618d5f65056"
	    "8a17d379355a07bd846e552f4e20\n"
	    "    3  : 0x4969684dc87381fc3b3134176c8d8806eaf0a901859f5f70cfae8d17714b46c10a8d"
	    "e219048c9fc09f11f381a6fbe7c1\n";
	struct cli_result r;

	SKIP_WITHOUT_VECTORS();
	cli_run(&r, cli_binary(), "--ccel --pcrs-only",
	        tu_vector_path("eventlog/ccel/go-eventlog-cos-113-intel-tdx-dupe-separator.bin"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(cli_pcrs_section(r.out), want);
	cli_result_free(&r);
}

/* The padded CCEL log must be refused when padding is not allowed. */
Test(eventlog_cli, ccel_padding_needs_flag)
{
	SKIP_WITHOUT_VECTORS();
	expect_refused("eventlog/ccel/go-eventlog-cos-113-intel-tdx-dupe-separator.bin", NULL, 2);
}

Test(eventlog_cli, help_and_version)
{
	struct cli_result r;

	cli_run(&r, cli_binary(), "--help", NULL);
	cr_expect_eq(r.status, 0);
	cr_expect_not_null(strstr(r.out, "Usage: ephemera-eventlog"));
	cr_expect_not_null(strstr(r.out, "Exit status:"));
	cli_result_free(&r);
	cli_run(&r, cli_binary(), "-h", NULL);
	cr_expect_eq(r.status, 0);
	cli_result_free(&r);
	cli_run(&r, cli_binary(), "--version", NULL);
	cr_expect_eq(r.status, 0);
	cr_expect_eq(strncmp(r.out, "ephemera-eventlog ", 18), 0, "%s", r.out);
	cli_result_free(&r);
}

Test(eventlog_cli, usage_errors)
{
	static const char *const bad[] = {
	    "",
	    "--no-such-option x",
	    "--eventlog-version=2 x",
	    "--ima-bank=md4 x",
	    "--ima-pcr=24 x",
	    "a b",
	    "--ima --ccel x",
	};
	struct cli_result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cli_run(&r, cli_binary(), bad[i], NULL);
		cr_expect_eq(r.status, 1, "'%s': exit %d", bad[i], r.status);
		cr_expect_eq(cli_count_lines(r.err), 1, "'%s': %s", bad[i], r.err);
		cli_result_free(&r);
	}
}

Test(eventlog_cli, missing_file)
{
	struct cli_result r;

	cli_run(&r, cli_binary(), NULL, "/nonexistent/eph-no-such-log");
	cr_expect_eq(r.status, 3);
	cr_expect_eq(cli_count_lines(r.err), 1, "%s", r.err);
	cli_result_free(&r);
}

Test(eventlog_cli, stdin_same_as_file)
{
	const char *path;
	struct cli_result a, b;
	char args[4200];

	SKIP_WITHOUT_VECTORS();
	path = tu_vector_path("eventlog/tpm2-tools/event-bootorder.bin");
	cli_run(&a, cli_binary(), NULL, path);
	/* tu_vector_path has no quote characters in the default layout. */
	cr_assert_null(strchr(path, '\''));
	snprintf(args, sizeof(args), "- < '%s'", path);
	cli_run(&b, cli_binary(), args, NULL);
	cr_expect_eq(a.status, 0);
	cr_expect_eq(b.status, 0, "%s", b.err);
	cr_expect_str_eq(a.out, b.out);
	cli_result_free(&a);
	cli_result_free(&b);
}

Test(eventlog_cli, pcrs_only)
{
	struct cli_result a, b;
	const char *path;

	SKIP_WITHOUT_VECTORS();
	path = tu_vector_path("eventlog/ubuntu-2104-no-dbx.bin");
	cli_run(&a, cli_binary(), NULL, path);
	cli_run(&b, cli_binary(), "--pcrs-only", path);
	cr_assert_eq(b.status, 0, "%s", b.err);
	cr_expect_eq(strncmp(b.out, "---\nversion: 1\npcrs:\n", 21), 0, "%s", b.out);
	cr_expect_str_eq(cli_pcrs_section(a.out), cli_pcrs_section(b.out));
	cli_result_free(&a);
	cli_result_free(&b);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/eph-cli-pcrs-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(eventlog_cli, compare)
{
	struct cli_result a, r;
	const char *log;
	char args[256], *pcrs, *p;

	SKIP_WITHOUT_VECTORS();
	log = tu_vector_path("eventlog/tpm2-tools/event-bootorder.bin");
	cli_run(&a, cli_binary(), "--pcrs-only", log);
	cr_assert_eq(a.status, 0);

	/* Our own pcrs: section compares equal. */
	pcrs = write_tmp(a.out);
	snprintf(args, sizeof(args), "--pcrs-only --compare=%s", pcrs);
	cli_run(&r, cli_binary(), args, log);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cli_result_free(&r);

	/* Flip one hex digit of PCR 4 in the sha256 bank. */
	p = strstr(a.out, "  sha256:\n");
	cr_assert_not_null(p);
	p = strstr(p, "    4  : 0x");
	cr_assert_not_null(p);
	p[11] = p[11] == '0' ? '1' : '0';
	unlink(pcrs);
	pcrs = write_tmp(a.out);
	snprintf(args, sizeof(args), "--pcrs-only --compare=%s", pcrs);
	cli_run(&r, cli_binary(), args, log);
	cr_expect_eq(r.status, 4, "exit %d: %s", r.status, r.err);
	cr_expect_eq(cli_count_lines(r.err), 1, "%s", r.err);
	cli_result_free(&r);
	unlink(pcrs);

	pcrs = write_tmp("  sha1:\n    0 : 0xZZ\n");
	snprintf(args, sizeof(args), "--compare=%s", pcrs);
	cli_run(&r, cli_binary(), args, log);
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cli_result_free(&r);
	unlink(pcrs);
	cli_result_free(&a);
}

Test(eventlog_cli, ima_ascii)
{
	struct cli_result r;

	SKIP_WITHOUT_VECTORS();
	cli_run(&r, cli_binary(), "--ima", tu_vector_path("ima/rust-keylime/ima_log.txt"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(strncmp(r.out, "---\nversion: 1\nentries:\n- EntryNum: 0\n", 38), 0, "%s",
	             r.out);
	cr_expect_not_null(strstr(r.out, "\npcrs:\n  sha1:\n    10 : 0x"), "%s", r.out);
	cr_expect_not_null(strstr(r.out, "\n  sha256:\n    10 : 0x"), "%s", r.out);
	cli_result_free(&r);
}

Test(eventlog_cli, ima_empty_and_invalid)
{
	struct cli_result r;

	SKIP_WITHOUT_VECTORS();
	cli_run(&r, cli_binary(), "--ima", tu_vector_path("ima/rust-keylime/empty_ima_log.txt"));
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* Nothing extended: PCR 10 stays zero. */
	cr_expect_not_null(strstr(r.out, "    10 : 0x0000000000000000000000000000000000000000\n"),
	                   "%s", r.out);
	cli_result_free(&r);
	expect_refused("ima/rust-keylime/invalid_ima_log.txt", "--ima", 2);
}
