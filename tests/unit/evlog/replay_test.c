/*
 * replay_test.c - PCR replay semantics on synthesised logs, checked against
 * values computed independently here with the hash primitive.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "evlog.h"
#include "testutil.h"

static const uint16_t banks3[] = {EPH_ALG_SHA1, EPH_ALG_SHA256, EPH_ALG_SHA384};

static evlog_log *must_parse(const struct tu_buf *b)
{
	struct eph_err err = {{0}};
	evlog_log *log = NULL;

	cr_assert_eq(evlog_parse(&log, b->p, b->n, 0, &err), 0, "%s", err.msg);
	return log;
}

/* expected = extend(extend(init, H(a)), H(b)) */
static void expect_two(uint16_t alg, uint8_t *out, uint8_t init_last, const char *a,
		       const char *bb)
{
	uint8_t d[EPH_HASH_MAX];
	size_t size = eph_hash_size(alg);

	memset(out, 0, size);
	out[size - 1] = init_last;
	cr_assert_eq(eph_hash(alg, a, strlen(a), d), 0);
	cr_assert_eq(eph_hash_extend(alg, out, d), 0);
	cr_assert_eq(eph_hash(alg, bb, strlen(bb), d), 0);
	cr_assert_eq(eph_hash_extend(alg, out, d), 0);
}

Test(evlog_replay, extends_every_bank_in_order)
{
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct eph_err err = {{0}};
	evlog_log *log;
	unsigned i;

	tu_specid(&b, banks3, 3);
	tu_event2(&b, 2, EV_POST_CODE, "first", 5, banks3, 3);
	tu_event2(&b, 2, EV_POST_CODE, "second", 6, banks3, 3);
	log = must_parse(&b);
	cr_assert_eq(evlog_count(log), 3);
	cr_assert_eq(evlog_replay(&r, log, &err), 0, "%s", err.msg);
	cr_assert_eq(r.num_banks, 3);
	for (i = 0; i < 3; i++) {
		uint8_t want[EPH_HASH_MAX];
		const struct evlog_bank *bank = evlog_replay_bank(&r, banks3[i]);

		cr_assert_not_null(bank);
		expect_two(banks3[i], want, 0, "first", "second");
		cr_assert_eq(memcmp(bank->pcr[2], want, bank->size), 0, "bank %u", i);
		cr_assert_eq(bank->extended, 1u << 2);
		cr_assert_eq(bank->incomplete, 0);
	}
	cr_assert_null(evlog_replay_bank(&r, EPH_ALG_SHA512));
	evlog_free(log);
	tu_free(&b);
}

Test(evlog_replay, startup_locality_sets_pcr0_initial_value)
{
	uint8_t loc[17] = "StartupLocality";
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct eph_err err = {{0}};
	uint8_t want[EPH_HASH_MAX];
	evlog_log *log;

	loc[16] = 3;
	tu_specid(&b, banks3, 2);
	tu_event2(&b, 0, EV_NO_ACTION, loc, sizeof(loc), banks3, 2);
	tu_event2(&b, 0, EV_S_CRTM_VERSION, "a", 1, banks3, 2);
	tu_event2(&b, 0, EV_POST_CODE, "b", 1, banks3, 2);
	log = must_parse(&b);
	cr_assert_eq(evlog_replay(&r, log, &err), 0, "%s", err.msg);
	cr_assert_eq(r.startup_locality, 3);
	expect_two(EPH_ALG_SHA256, want, 3, "a", "b");
	cr_assert_eq(memcmp(evlog_replay_bank(&r, EPH_ALG_SHA256)->pcr[0], want, 32), 0);
	evlog_free(log);
	tu_free(&b);
}

Test(evlog_replay, startup_locality_after_pcr0_extend_is_refused)
{
	uint8_t loc[17] = "StartupLocality";
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct eph_err err = {{0}};
	evlog_log *log;

	loc[16] = 3;
	tu_specid(&b, banks3, 2);
	tu_event2(&b, 0, EV_S_CRTM_VERSION, "a", 1, banks3, 2);
	tu_event2(&b, 0, EV_NO_ACTION, loc, sizeof(loc), banks3, 2);
	log = must_parse(&b);
	cr_assert_eq(evlog_replay(&r, log, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "event 2") && strstr(err.msg, "after PCR 0"), "%s", err.msg);
	evlog_free(log);
	tu_free(&b);
}

Test(evlog_replay, startup_locality_must_be_0_3_or_4)
{
	uint8_t loc[17] = "StartupLocality";
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct eph_err err = {{0}};
	evlog_log *log;

	loc[16] = 2;
	tu_specid(&b, banks3, 2);
	tu_event2(&b, 0, EV_NO_ACTION, loc, sizeof(loc), banks3, 2);
	log = must_parse(&b);
	cr_assert_eq(evlog_replay(&r, log, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "StartupLocality 2") != NULL, "%s", err.msg);
	evlog_free(log);
	tu_free(&b);
}

Test(evlog_replay, no_action_events_are_not_extended)
{
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct eph_err err = {{0}};
	evlog_log *log;

	tu_specid(&b, banks3, 2);
	tu_event2(&b, 5, EV_NO_ACTION, "anything at all!", 16, banks3, 2);
	log = must_parse(&b);
	cr_assert_eq(evlog_replay(&r, log, &err), 0);
	cr_assert_eq(r.banks[0].extended, 0);
	cr_assert_eq(r.banks[1].extended, 0);
	evlog_free(log);
	tu_free(&b);
}

Test(evlog_replay, pcrs_17_to_22_start_at_all_ones)
{
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct eph_err err = {{0}};
	uint8_t want[32], d[32];
	evlog_log *log;

	tu_specid(&b, banks3 + 1, 1);
	tu_event2(&b, 17, EV_POST_CODE, "drtm", 4, banks3 + 1, 1);
	log = must_parse(&b);
	cr_assert_eq(evlog_replay(&r, log, &err), 0);
	memset(want, 0xff, 32);
	eph_hash(EPH_ALG_SHA256, "drtm", 4, d);
	eph_hash_extend(EPH_ALG_SHA256, want, d);
	cr_assert_eq(memcmp(r.banks[0].pcr[17], want, 32), 0);
	memset(want, 0xff, 32);
	cr_assert_eq(memcmp(r.banks[0].pcr[18], want, 32), 0);
	evlog_free(log);
	tu_free(&b);
}

Test(evlog_replay, legacy_log_has_one_sha1_bank)
{
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct eph_err err = {{0}};
	uint8_t want[20];
	evlog_log *log;

	tu_event1(&b, 0, EV_S_CRTM_VERSION, "a", 1);
	tu_event1(&b, 0, EV_POST_CODE, "b", 1);
	log = must_parse(&b);
	cr_assert_eq(evlog_get_format(log), EVLOG_FMT_SHA1);
	cr_assert_eq(evlog_count(log), 2);
	cr_assert_eq(evlog_replay(&r, log, &err), 0);
	cr_assert_eq(r.num_banks, 1);
	expect_two(EPH_ALG_SHA1, want, 0, "a", "b");
	cr_assert_eq(memcmp(r.banks[0].pcr[0], want, 20), 0);
	evlog_free(log);
	tu_free(&b);
}

Test(evlog_replay, compare_names_first_differing_pcr)
{
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct evlog_bank want;
	struct eph_err err = {{0}};
	unsigned bad = 99;
	evlog_log *log;

	tu_specid(&b, banks3, 2);
	tu_event2(&b, 3, EV_POST_CODE, "a", 1, banks3, 2);
	tu_event2(&b, 5, EV_POST_CODE, "b", 1, banks3, 2);
	log = must_parse(&b);
	cr_assert_eq(evlog_replay(&r, log, &err), 0);
	want = *evlog_replay_bank(&r, EPH_ALG_SHA256);
	cr_assert_eq(evlog_replay_compare(&r, &want, 0xffffff, &bad, &err), 0);
	want.pcr[5][0] ^= 1;
	want.pcr[7][0] ^= 1;
	cr_assert_eq(evlog_replay_compare(&r, &want, 0xffffff, &bad, &err), EPH_EVERIFY);
	cr_assert_eq(bad, 5);
	cr_assert(strstr(err.msg, "PCR 5 (sha256) differs") != NULL, "%s", err.msg);
	/* A mask without PCR 5 finds PCR 7. */
	cr_assert_eq(evlog_replay_compare(&r, &want, 0xffffff & ~(1u << 5), &bad, &err),
		     EPH_EVERIFY);
	cr_assert_eq(bad, 7);
	want.alg = EPH_ALG_SHA512;
	cr_assert_eq(evlog_replay_compare(&r, &want, 1, &bad, &err), EPH_ENOTFOUND);
	evlog_free(log);
	tu_free(&b);
}

/* An event without a bank's digest leaves that PCR unverifiable in the bank. */
Test(evlog_replay, missing_bank_digest_makes_pcr_incomplete)
{
	struct tu_buf b = {0};
	struct evlog_replay r;
	struct evlog_bank want;
	struct eph_err err = {{0}};
	unsigned bad = 99;
	evlog_log *log;

	tu_specid(&b, banks3, 2);
	tu_event2(&b, 4, EV_POST_CODE, "a", 1, banks3, 1); /* sha1 only */
	log = must_parse(&b);
	cr_assert_eq(evlog_replay(&r, log, &err), 0);
	cr_assert_eq(evlog_replay_bank(&r, EPH_ALG_SHA256)->incomplete, 1u << 4);
	want = *evlog_replay_bank(&r, EPH_ALG_SHA256);
	cr_assert_eq(evlog_replay_compare(&r, &want, 1u << 4, &bad, &err), EPH_EVERIFY);
	cr_assert_eq(bad, 4);
	cr_assert(strstr(err.msg, "cannot vouch") != NULL, "%s", err.msg);
	want = *evlog_replay_bank(&r, EPH_ALG_SHA1);
	cr_assert_eq(evlog_replay_compare(&r, &want, 1u << 4, &bad, &err), 0);
	evlog_free(log);
	tu_free(&b);
}
