/*
 * test_vs_tpm2_eventlog.c - ephemera-eventlog against Debian's tpm2_eventlog
 * (tpm2-tools 5.4) on every firmware event log of the shared vectors.
 *
 * For each log that tpm2_eventlog prints successfully: our tool exits 0,
 * the "pcrs:" sections are identical and the events part is identical line
 * for line. Documented differences that are allowed (see
 * docs/ephemera-eventlog.md):
 *   - legacy SHA1 logs: our "- EventNum: N" lines (tpm2_eventlog has none);
 *   - logs with a StartupLocality EV_NO_ACTION event: PCR 0, which
 *     tpm2_eventlog 5.4 replays wrongly (it extends the EV_NO_ACTION digest
 *     and ignores the locality); our value is checked against the PCR 0
 *     recorded from the real TPM instead.
 * Where tpm2_eventlog fails or crashes, our tool must not crash and must
 * either succeed or fail with one line on stderr.
 * Vectors are read in place; nothing is copied into the repository.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_helpers.h"
#include "testutil.h"

/* Logs whose PCR 0 tpm2_eventlog 5.4 gets wrong (StartupLocality event). */
static const char *const locality_logs[] = {
    "eventlog/glinux-alex.bin",
    "eventlog/keylime/binary_bios_measurements",
};

/*
 * Logs that break the format in a way tpm2_eventlog reads past: the Spec ID
 * event's vendorInfo lies outside its EventSize. libevlog may refuse them
 * (exit 2, one line); if it accepts them the output must be identical.
 */
static const char *const malformed_logs[] = {
    "eventlog/tpm2-tools/specid-vendordata.bin",
};

/* Inputs that are not logs at all: checked in test_cli.c. */
static const char *const negative_logs[] = {
    "eventlog/keylime/binary_bios_measurements-bogus",
    "eventlog/keylime/binary_bios_measurements-empty",
    "eventlog/go-attestation/short_no_action_eventlog",
};

static const char *const patterns[] = {
    "eventlog/*.bin",
    "eventlog/tpm2-tools/*.bin",
    "eventlog/tpm2-tss/*.bin",
    "eventlog/go-attestation/*",
    "eventlog/keylime/binary_bios_measurements",
};

static int in_list(const char *rel, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rel, list[i]) == 0)
			return 1;
	return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Compare two pcrs: sections; PCR 0 lines may differ when allow_pcr0. */
static int pcrs_equal(const char *ref, const char *ours, int allow_pcr0)
{
	char *r = NULL, *o = NULL;
	int eq;

	if (!allow_pcr0)
		return strcmp(ref, ours) == 0;
	r = cli_drop_lines(ref, strlen(ref), "    0  : ");
	o = cli_drop_lines(ours, strlen(ours), "    0  : ");
	eq = strcmp(r, o) == 0 && cli_count_lines(ref) == cli_count_lines(ours);
	free(r);
	free(o);
	return eq;
}

/* Lines of the events part that are equal, position by position. */
static size_t equal_lines(const char *a, const char *b, size_t *total)
{
	size_t same = 0;
	const char *ea, *eb;

	*total = 0;
	while (*a != '\0') {
		ea = strchr(a, '\n');
		ea = ea != NULL ? ea + 1 : a + strlen(a);
		(*total)++;
		if (*b != '\0') {
			eb = strchr(b, '\n');
			eb = eb != NULL ? eb + 1 : b + strlen(b);
			if (ea - a == eb - b && memcmp(a, b, (size_t)(ea - a)) == 0)
				same++;
			b = eb;
		}
		a = ea;
	}
	return same;
}

static void check_one(const char *rel, const char *path, size_t *compared)
{
	struct cli_result ref, ours;
	const char *ref_pcrs, *our_pcrs;
	char *ref_ev = NULL, *our_ev = NULL;
	size_t same, total;

	cli_run(&ref, "tpm2_eventlog", NULL, path);
	cli_run(&ours, cli_binary(), NULL, path);
	cr_expect(!cli_crashed(&ours), "%s: ephemera-eventlog crashed (status %d)", rel,
	          ours.status);
	if (ref.status != 0) {
		cr_log_info("%s: tpm2_eventlog fails (status %d); ours exits %d", rel, ref.status,
		            ours.status);
		if (ours.status != 0)
			cr_expect_eq(cli_count_lines(ours.err), 1, "%s: stderr is not one line: %s",
			             rel, ours.err);
		goto out;
	}
	if (ours.status != 0 && in_list(rel, malformed_logs, COUNT(malformed_logs))) {
		cr_log_info("%s: refused by libevlog (tpm2_eventlog accepts it): %s", rel,
		            ours.err);
		cr_expect_eq(ours.status, 2);
		cr_expect_eq(cli_count_lines(ours.err), 1, "%s", ours.err);
		goto out;
	}
	cr_expect_eq(ours.status, 0, "%s: ephemera-eventlog exits %d: %s", rel, ours.status,
	             ours.err);
	if (ours.status != 0)
		goto out;
	ref_pcrs = cli_pcrs_section(ref.out);
	our_pcrs = cli_pcrs_section(ours.out);
	cr_assert_not_null(ref_pcrs, "%s: tpm2_eventlog printed no pcrs:", rel);
	cr_expect_not_null(our_pcrs, "%s: no pcrs: section", rel);
	if (our_pcrs == NULL)
		goto out;
	cr_expect(pcrs_equal(ref_pcrs, our_pcrs, in_list(rel, locality_logs, COUNT(locality_logs))),
	          "%s: pcrs differ\n--- tpm2_eventlog\n%s--- ephemera-eventlog\n%s", rel, ref_pcrs,
	          our_pcrs);

	ref_ev = strndup(ref.out, (size_t)(ref_pcrs - ref.out));
	if (strstr(ref_ev, "\n- EventNum: ") == NULL)
		our_ev = cli_drop_lines(ours.out, (size_t)(our_pcrs - ours.out), "- EventNum: ");
	else
		our_ev = strndup(ours.out, (size_t)(our_pcrs - ours.out));
	cr_assert_not_null(ref_ev);
	cr_assert_not_null(our_ev);
	same = equal_lines(ref_ev, our_ev, &total);
	cr_log_info("%s: %zu of %zu event lines identical to tpm2_eventlog", rel, same, total);
	cr_expect_eq(cli_count_lines(our_ev), total, "%s: %zu event lines, tpm2_eventlog has %zu",
	             rel, cli_count_lines(our_ev), total);
	cr_expect_eq(same, total, "%s: only %zu of %zu event lines identical", rel, same, total);
	(*compared)++;
out:
	free(ref_ev);
	free(our_ev);
	cli_result_free(&ref);
	cli_result_free(&ours);
}

Test(eventlog_cli, same_as_tpm2_eventlog)
{
	const char *vec = tu_vectors();
	size_t p, i, compared = 0, seen = 0;
	char pattern[4096];

	if (vec == NULL)
		cr_skip_test("shared vectors missing");
	if (!cli_have_tpm2_eventlog())
		cr_skip_test("tpm2_eventlog is not installed");
	for (p = 0; p < COUNT(patterns); p++) {
		glob_t g;

		snprintf(pattern, sizeof(pattern), "%s/%s", vec, patterns[p]);
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (i = 0; i < g.gl_pathc; i++) {
			const char *rel = g.gl_pathv[i] + strlen(vec) + 1;
			size_t n = strlen(rel);

			if (n > 4 && strcmp(rel + n - 4, ".txt") == 0)
				continue;
			if (in_list(rel, negative_logs, COUNT(negative_logs)))
				continue;
			seen++;
			check_one(rel, g.gl_pathv[i], &compared);
		}
		globfree(&g);
	}
	cr_log_info("%zu logs run, %zu compared with tpm2_eventlog", seen, compared);
	cr_expect_geq(seen, 20, "only %zu event logs found under %s", seen, vec);
	cr_expect_geq(compared, 20, "only %zu logs compared", compared);
}

/* The tpm2-tools fixtures: full output equal to tpm2-tools' .yaml files. */
static void check_fixture(const char *rel)
{
	struct cli_result ours;
	char yaml_rel[512];
	size_t len = 0;
	char *yaml;

	snprintf(yaml_rel, sizeof(yaml_rel), "%s.yaml", rel);
	yaml = (char *)tu_read(tu_vector_path(yaml_rel), &len);
	cli_run(&ours, cli_binary(), NULL, tu_vector_path(rel));
	cr_expect_eq(ours.status, 0, "%s: exit %d: %s", rel, ours.status, ours.err);
	cr_expect_str_eq(ours.out, yaml, "%s: output differs from %s", rel, yaml_rel);
	free(yaml);
	cli_result_free(&ours);
}

Test(eventlog_cli, fixture_event)
{
	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	check_fixture("eventlog/tpm2-tools/event.bin");
}

Test(eventlog_cli, fixture_uefiaction)
{
	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	check_fixture("eventlog/tpm2-tools/event-uefiaction.bin");
}

Test(eventlog_cli, fixture_uefivar)
{
	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	check_fixture("eventlog/tpm2-tools/event-uefivar.bin");
}

/*
 * specid-vendordata.bin declares EventSize 37 for its Spec ID event but
 * puts the 4 vendorInfo bytes after it; tpm2_eventlog reads past the event.
 * Whether libevlog accepts that is the library's decision; the tool must
 * either print exactly the fixture or refuse with one line.
 */
Test(eventlog_cli, fixture_specid_vendordata)
{
	const char *rel = "eventlog/tpm2-tools/specid-vendordata.bin";
	struct cli_result ours;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	cli_run(&ours, cli_binary(), NULL, tu_vector_path(rel));
	if (ours.status == 0) {
		cli_result_free(&ours);
		check_fixture(rel);
		return;
	}
	cr_log_info("%s: refused by libevlog: %s", rel, ours.err);
	cr_expect_eq(ours.status, 2);
	cr_expect_eq(cli_count_lines(ours.err), 1);
	cli_result_free(&ours);
}

/* Our PCR 0 for the StartupLocality logs: the value read from the TPM. */
Test(eventlog_cli, startup_locality_pcr0)
{
	struct cli_result ours;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	/* glinux-alex.expected.json, sha1 and sha256 PCR 0. */
	cli_run(&ours, cli_binary(), "--pcrs-only", tu_vector_path("eventlog/glinux-alex.bin"));
	cr_assert_eq(ours.status, 0, "%s", ours.err);
	cr_expect_not_null(
	    strstr(ours.out, "  sha1:\n    0  : 0x29d236609a5f9cc6912af44ba5f57b13a17c8a84\n"),
	    "%s", ours.out);
	cr_expect_not_null(strstr(ours.out, "  sha256:\n    0  : 0x0e5ea849d7647a1ac1becc096fee4df9"
	                                    "8f00f8015f934afadaab0b8aa20b38a5\n"),
	                   "%s", ours.out);
	cli_result_free(&ours);
}
