/*
 * test_synthetic.c - ephemera-eventlog on logs built byte by byte: event
 * data that is too short for its structure, odd strings, unknown event
 * types, oversized hex, and every truncation of a real log. None of these
 * may crash the tool; the decoded output must stay one YAML line per field.
 * Needs neither the vectors (except the truncation test) nor tpm2_eventlog.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"
#include "evlog.h"
#include "testutil.h"

static const uint16_t algs[] = {EPH_ALG_SHA1, EPH_ALG_SHA256};

static void write_file(char *path, const void *buf, size_t n)
{
	FILE *f;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

/* Build a log with one event after the Spec ID header and print it. */
static void run_one(struct cli_result *r, uint32_t type, const void *data, uint32_t len)
{
	struct tu_buf b = {0};
	char path[] = "/tmp/eph-cli-syn-XXXXXX";

	tu_specid(&b, algs, 2);
	tu_event2(&b, 4, type, data, len, algs, 2);
	write_file(path, b.p, b.n);
	cli_run(r, cli_binary(), NULL, path);
	unlink(path);
	tu_free(&b);
	cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
}

Test(eventlog_cli_synthetic, short_efi_variable_prints_hex)
{
	struct cli_result r;

	run_one(&r, EV_EFI_VARIABLE_BOOT, "\x01\x02\x03", 3);
	cr_expect_not_null(strstr(r.out, "  EventSize: 3\n  Event: \"010203\"\n"), "%s", r.out);
	cli_result_free(&r);
}

Test(eventlog_cli_synthetic, efi_variable_name_past_end_prints_hex)
{
	uint8_t v[32 + 4] = {0};
	struct cli_result r;

	v[16] = 0xff; /* UnicodeNameLength 255: runs past the end */
	run_one(&r, EV_EFI_VARIABLE_DRIVER_CONFIG, v, sizeof(v));
	cr_expect_not_null(strstr(r.out, "  EventSize: 36\n  Event: \"0000"), "%s", r.out);
	cli_result_free(&r);
}

Test(eventlog_cli_synthetic, short_blob_prints_hex)
{
	struct cli_result r;

	run_one(&r, EV_EFI_PLATFORM_FIRMWARE_BLOB, "\xaa\xbb", 2);
	cr_expect_not_null(strstr(r.out, "  EventSize: 2\n  Event: \"aabb\"\n"), "%s", r.out);
	cli_result_free(&r);
}

Test(eventlog_cli_synthetic, short_image_load_prints_hex)
{
	struct cli_result r;

	run_one(&r, EV_EFI_BOOT_SERVICES_APPLICATION, "\x01", 1);
	cr_expect_not_null(strstr(r.out, "  EventSize: 1\n  Event: \"01\"\n"), "%s", r.out);
	cli_result_free(&r);
}

Test(eventlog_cli_synthetic, unknown_type_as_tpm2_eventlog)
{
	struct cli_result r;

	run_one(&r, 0x12345678, "\x00\x01", 2);
	cr_expect_not_null(strstr(r.out, "  EventType: Unknown event type\n"), "%s", r.out);
	cr_expect_not_null(strstr(r.out, "  Event: \"0001\"\n"), "%s", r.out);
	cli_result_free(&r);
	/* Known to the TCG spec but not to tpm2-tools 5.4: same spelling. */
	run_one(&r, EV_EFI_SPDM_FIRMWARE_BLOB, "\x00", 1);
	cr_expect_not_null(strstr(r.out, "  EventType: Unknown event type\n"), "%s", r.out);
	cli_result_free(&r);
}

Test(eventlog_cli_synthetic, hex_truncated_at_1024_bytes)
{
	static uint8_t big[3000];
	struct cli_result r;
	const char *p, *q;

	memset(big, 0xab, sizeof(big));
	run_one(&r, EV_EFI_HANDOFF_TABLES, big, sizeof(big));
	p = strstr(r.out, "  EventSize: 3000\n  Event: \"");
	cr_assert_not_null(p, "%s", r.out);
	p += strlen("  EventSize: 3000\n  Event: \"");
	q = strchr(p, '"');
	cr_assert_not_null(q);
	cr_expect_eq(q - p, 2048);
	cli_result_free(&r);
}

Test(eventlog_cli_synthetic, ipl_escapes)
{
	static const char ipl[] = "a\tb'c\\d\re\x01\nline2\n\"q\"";
	struct cli_result r;

	run_one(&r, EV_IPL, ipl, sizeof(ipl)); /* with the NUL */
	cr_expect_not_null(strstr(r.out, "  Event:\n    String: |-\n"
	                                 "      \"a\\tb\\'c\\\\d\\re\\x01\"\n"
	                                 "      \"line2\"\n"
	                                 "      \"\"q\"\\0\"\n"),
	                   "%s", r.out);
	cli_result_free(&r);
}

Test(eventlog_cli_synthetic, action_string_stops_at_nul_and_stays_indented)
{
	static const char act[] = "first\nsecond\0hidden";
	struct cli_result r;

	run_one(&r, EV_EFI_ACTION, act, sizeof(act) - 1);
	cr_expect_not_null(strstr(r.out, "  Event: |-\n    first\n    second\npcrs:\n"), "%s",
	                   r.out);
	cr_expect_null(strstr(r.out, "hidden"));
	cli_result_free(&r);
}

Test(eventlog_cli_synthetic, every_truncation_of_a_real_log)
{
	const char *vec = tu_vectors();
	struct cli_result r;
	uint8_t *buf;
	size_t len = 0, cut, step;

	if (vec == NULL)
		cr_skip_test("shared vectors missing");
	buf = tu_read(tu_vector_path("eventlog/tpm2-tools/event-sd-boot-fedora37.bin"), &len);
	step = len / 97 + 1;
	for (cut = 1; cut < len; cut += step) {
		char path[] = "/tmp/eph-cli-cut-XXXXXX";

		write_file(path, buf, cut);
		cli_run(&r, cli_binary(), NULL, path);
		unlink(path);
		cr_expect(!cli_crashed(&r), "cut at %zu: crashed", cut);
		cr_expect(r.status == 0 || r.status == 2, "cut at %zu: exit %d", cut, r.status);
		if (r.status != 0)
			cr_expect_eq(cli_count_lines(r.err), 1, "cut at %zu: %s", cut, r.err);
		cli_result_free(&r);
	}
	free(buf);
}
