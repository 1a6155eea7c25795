/*
 * tsm_test.c - libtsm against a kernel-like configfs-tsm tree (FUSE, see
 * fake_tsm.c): the report carries our report_data, the entry is removed,
 * concurrent writers are detected and retried, a lying provider is refused,
 * and a machine with neither interface is told apart from a failure.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eph_hash.h"
#include "fake_tsm.h"
#include "testutil.h"
#include "tsm.h"

static char mnt[] = "/tmp/eph-fake-tsm-XXXXXX";
static int mounted;

static void start(const char *provider, unsigned bump, int lie)
{
	struct fake_tsm_knobs k = {.provider = provider, .bump_on_read = bump, .lie = lie};

	cr_assert_not_null(mkdtemp(mnt));
	if (fake_tsm_start(mnt, &k) != 0) {
		rmdir(mnt);
		fprintf(stderr, "SKIP: cannot mount a FUSE file system here (/dev/fuse, root)\n");
		cr_skip_test("FUSE unavailable");
	}
	mounted = 1;
}

static void stop(void)
{
	if (mounted) {
		fake_tsm_stop();
		rmdir(mnt);
		mounted = 0;
	}
}

TestSuite(tsm, .fini = stop);

static void nonce_binding(uint8_t rd[64])
{
	static const uint8_t nonce[32] = {1, 2, 3};
	static const uint8_t ak_name[34] = {0x00, 0x0b, 0xaa};

	cr_assert_eq(eph_bind_report_data(rd, nonce, sizeof(nonce), ak_name, sizeof(ak_name)), 0);
}

Test(tsm, snp_report_carries_our_report_data_and_certs)
{
	struct tsm_options o = {.root = NULL, .sev_dev = "", .privlevel = 2};
	struct tsm_evidence ev;
	struct eph_err err = {{0}};
	uint8_t rd[64];

	start("sev_guest", 0, 0);
	o.root = mnt;
	nonce_binding(rd);
	cr_assert_eq(tsm_collect(&ev, &o, rd, &err), 0, "%s", err.msg);
	cr_assert_eq(ev.provider, TSM_PROVIDER_SEV_GUEST);
	cr_assert_str_eq(ev.provider_name, "sev_guest");
	cr_assert_eq(ev.outblob_len, 1184);
	cr_assert_eq(memcmp(ev.outblob + 0x50, rd, 64), 0);
	cr_assert_eq(ev.outblob[0x30], 2, "privlevel was not written");
	cr_assert_eq(ev.generation, 2, "inblob and privlevel each bump generation");
	cr_assert_eq(ev.attempts, 1);
	cr_assert_not_null(ev.auxblob);
	cr_assert_eq(ev.auxblob_len, 64);
	cr_assert_eq(fake_tsm_entries(), 0, "the report entry was not removed");
	tsm_evidence_clear(&ev);
}

Test(tsm, tdx_quote_carries_our_report_data)
{
	struct tsm_options o = {.sev_dev = "", .privlevel = -1};
	struct tsm_evidence ev;
	struct eph_err err = {{0}};
	uint8_t rd[64];

	start("tdx_guest", 0, 0);
	o.root = mnt;
	nonce_binding(rd);
	cr_assert_eq(tsm_collect(&ev, &o, rd, &err), 0, "%s", err.msg);
	cr_assert_eq(ev.provider, TSM_PROVIDER_TDX_GUEST);
	cr_assert_eq(memcmp(ev.outblob + 48 + 520, rd, 64), 0);
	cr_assert_null(ev.auxblob, "TDX has no auxblob");
	cr_assert_eq(fake_tsm_entries(), 0);
	tsm_evidence_clear(&ev);
}

/* Another writer bumps generation during our first two reads: we retry. */
Test(tsm, concurrent_writer_is_detected_and_retried)
{
	struct tsm_options o = {.sev_dev = "", .privlevel = -1};
	struct tsm_evidence ev;
	struct eph_err err = {{0}};
	uint8_t rd[64];

	start("sev_guest", 2, 0);
	o.root = mnt;
	nonce_binding(rd);
	cr_assert_eq(tsm_collect(&ev, &o, rd, &err), 0, "%s", err.msg);
	cr_assert_eq(ev.attempts, 3);
	cr_assert_eq(memcmp(ev.outblob + 0x50, rd, 64), 0);
	tsm_evidence_clear(&ev);
}

Test(tsm, writer_that_never_stops_gives_up_cleanly)
{
	struct tsm_options o = {.sev_dev = "", .privlevel = -1, .max_attempts = 3};
	struct tsm_evidence ev;
	struct eph_err err = {{0}};
	uint8_t rd[64];

	start("sev_guest", 100, 0);
	o.root = mnt;
	nonce_binding(rd);
	cr_assert_eq(tsm_collect(&ev, &o, rd, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "no consistent report after 3 attempts") != NULL, "%s", err.msg);
	cr_assert_null(ev.outblob);
	cr_assert_eq(fake_tsm_entries(), 0, "entry left behind on failure");
}

Test(tsm, report_with_foreign_report_data_is_refused)
{
	struct tsm_options o = {.sev_dev = "", .privlevel = -1, .max_attempts = 2};
	struct tsm_evidence ev;
	struct eph_err err = {{0}};
	uint8_t rd[64];

	start("tdx_guest", 0, 1);
	o.root = mnt;
	nonce_binding(rd);
	cr_assert_eq(tsm_collect(&ev, &o, rd, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "does not carry our report_data") != NULL, "%s", err.msg);
}

Test(tsm, not_a_confidential_guest)
{
	struct tsm_options o = {.root = "/nonexistent/tsm/report",
				.sev_dev = "/nonexistent/sev-guest",
				.privlevel = -1};
	struct tsm_evidence ev;
	struct eph_err err = {{0}};
	uint8_t rd[64] = {0};

	cr_assert_eq(tsm_collect(&ev, &o, rd, &err), EPH_ENOTFOUND);
	cr_assert(strstr(err.msg, "not a confidential guest") != NULL, "%s", err.msg);
}

Test(tsm, report_data_offsets)
{
	uint8_t q5[48 + 6 + 584] = {5, 0};
	uint8_t q4[48 + 584] = {4, 0};
	struct eph_err err = {{0}};
	size_t off = 0;

	static const uint8_t snp[1184];

	cr_assert_eq(tsm_report_data_offset(&off, TSM_PROVIDER_SEV_GUEST, snp, sizeof(snp), &err),
		     0);
	cr_assert_eq(off, 0x50);
	cr_assert_eq(tsm_report_data_offset(&off, TSM_PROVIDER_SEV_GUEST, snp, 0x8f, &err),
		     EPH_EFORMAT);
	cr_assert_eq(tsm_report_data_offset(&off, TSM_PROVIDER_TDX_GUEST, q4, sizeof(q4), &err), 0);
	cr_assert_eq(off, 568);
	cr_assert_eq(tsm_report_data_offset(&off, TSM_PROVIDER_TDX_GUEST, q5, sizeof(q5), &err), 0);
	cr_assert_eq(off, 574);
	cr_assert_eq(tsm_report_data_offset(&off, TSM_PROVIDER_TDX_GUEST, q4, 100, &err),
		     EPH_EFORMAT);
	cr_assert_eq(tsm_provider_from_name("sev_guest"), TSM_PROVIDER_SEV_GUEST);
	cr_assert_eq(tsm_provider_from_name("arm_cca_guest"), TSM_PROVIDER_UNKNOWN);
}
