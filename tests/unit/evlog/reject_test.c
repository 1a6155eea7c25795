/*
 * reject_test.c - hostile and malformed event logs: every one refused with
 * a message naming what and where, never a crash or an out-of-bounds read
 * (the sanitizer build runs these too).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "testutil.h"

static const uint16_t sha1_256[] = {EPH_ALG_SHA1, EPH_ALG_SHA256};

/* A small well-formed crypto-agile log; event boundaries in bounds[]. */
static void build_log(struct tu_buf *b, size_t *bounds, size_t *nbounds)
{
	static const uint8_t locality[17] = "StartupLocality";
	static const char crtm[] = "1.0";
	static const uint8_t sep[4] = {0};
	size_t n = 0;

	tu_specid(b, sha1_256, 2);
	bounds[n++] = b->n;
	tu_event2(b, 0, EV_NO_ACTION, locality, sizeof(locality), sha1_256, 2);
	bounds[n++] = b->n;
	tu_event2(b, 0, EV_S_CRTM_VERSION, crtm, sizeof(crtm), sha1_256, 2);
	bounds[n++] = b->n;
	tu_event2(b, 7, EV_SEPARATOR, sep, 4, sha1_256, 2);
	bounds[n++] = b->n;
	tu_event2(b, 4, EV_EFI_ACTION, "Calling EFI Application", 23, sha1_256, 2);
	bounds[n++] = b->n;
	*nbounds = n;
}

static int parse(const struct tu_buf *b, unsigned flags, struct eph_err *err)
{
	evlog_log *log = NULL;
	int rc;

	memset(err, 0, sizeof(*err));
	rc = evlog_parse(&log, b->p, b->n, flags, err);
	if (rc == 0) {
		cr_assert_not_null(log);
		evlog_free(log);
	} else {
		cr_assert_null(log);
		cr_assert_neq(err->msg[0], '\0', "error without a message");
	}
	return rc;
}

Test(evlog_reject, truncated_at_every_offset)
{
	struct tu_buf full = {0};
	size_t bounds[8], nb, cut, i;

	build_log(&full, bounds, &nb);
	for (cut = 0; cut < full.n; cut++) {
		/* A copy of exactly cut bytes, so ASan sees any overrun. */
		struct tu_buf part = {0};
		struct eph_err err;
		int boundary = 0, rc;

		tu_put(&part, full.p, cut);
		for (i = 0; i < nb; i++)
			boundary |= bounds[i] == cut;
		rc = parse(&part, 0, &err);
		if (boundary)
			cr_assert_eq(rc, 0, "cut at %zu (event boundary): %s", cut, err.msg);
		else
			cr_assert_eq(rc, EPH_EFORMAT, "cut at %zu accepted", cut);
		tu_free(&part);
	}
	tu_free(&full);
}

/* The same on real logs: every prefix that is not an event boundary fails. */
Test(evlog_reject, real_logs_truncated_at_every_offset)
{
	static const char *const logs[] = {"eventlog/debian-10.bin",
					   "eventlog/tpm2-tools/event-sd-boot-fedora37.bin"};
	size_t k;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	for (k = 0; k < 2; k++) {
		struct eph_err err = {{0}};
		evlog_log *full = NULL;
		uint8_t *buf, *part;
		size_t len, cut, ev = 1;

		buf = tu_read(tu_vector_path(logs[k]), &len);
		cr_assert_eq(evlog_parse(&full, buf, len, 0, &err), 0, "%s", err.msg);
		for (cut = 0; cut < len; cut++) {
			evlog_log *log = NULL;
			const struct evlog_event *next = evlog_event_at(full, ev);
			int boundary = next != NULL && next->offset == cut;
			int rc;

			part = malloc(cut ? cut : 1);
			memcpy(part, buf, cut);
			rc = evlog_parse(&log, part, cut, 0, &err);
			free(part);
			if (boundary) {
				cr_assert_eq(rc, 0, "%s cut at %zu: %s", logs[k], cut, err.msg);
				cr_assert_eq(evlog_count(log), ev);
				ev++;
			} else {
				cr_assert_eq(rc, EPH_EFORMAT, "%s cut at %zu accepted", logs[k], cut);
			}
			evlog_free(log);
		}
		evlog_free(full);
		free(buf);
	}
}

Test(evlog_reject, empty_log)
{
	struct tu_buf b = {0};
	struct eph_err err;

	tu_u8(&b, 0);
	b.n = 0;
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "empty event log");
	tu_free(&b);
}

Test(evlog_reject, digest_count_larger_than_specid_table)
{
	struct tu_buf b = {0};
	struct eph_err err;
	uint8_t digest[32] = {0};

	tu_specid(&b, sha1_256, 2);
	tu_u32(&b, 0);
	tu_u32(&b, EV_POST_CODE);
	tu_u32(&b, 3); /* three digests, the table has two */
	tu_u16(&b, EPH_ALG_SHA1);
	tu_put(&b, digest, 20);
	tu_u16(&b, EPH_ALG_SHA256);
	tu_put(&b, digest, 32);
	tu_u16(&b, EPH_ALG_SHA256);
	tu_put(&b, digest, 32);
	tu_u32(&b, 0);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "digest count 3 exceeds the 2 algorithms") != NULL, "%s",
		  err.msg);
	cr_assert(strstr(err.msg, "event 1 at offset 69") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, huge_digest_count)
{
	struct tu_buf b = {0};
	struct eph_err err;

	tu_specid(&b, sha1_256, 2);
	tu_u32(&b, 0);
	tu_u32(&b, EV_POST_CODE);
	tu_u32(&b, 0xffffffff);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "digest count 4294967295") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, digest_algorithm_not_in_table)
{
	struct tu_buf b = {0};
	struct eph_err err;
	uint8_t digest[48] = {0};

	tu_specid(&b, sha1_256, 2);
	tu_u32(&b, 0);
	tu_u32(&b, EV_POST_CODE);
	tu_u32(&b, 1);
	tu_u16(&b, EPH_ALG_SHA384);
	tu_put(&b, digest, 48);
	tu_u32(&b, 0);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "digest algorithm 0x000c is not in the Spec ID") != NULL, "%s",
		  err.msg);
	tu_free(&b);
}

Test(evlog_reject, duplicate_digest_in_event)
{
	struct tu_buf b = {0};
	struct eph_err err;
	uint8_t digest[20] = {0};

	tu_specid(&b, sha1_256, 2);
	tu_u32(&b, 0);
	tu_u32(&b, EV_POST_CODE);
	tu_u32(&b, 2);
	tu_u16(&b, EPH_ALG_SHA1);
	tu_put(&b, digest, 20);
	tu_u16(&b, EPH_ALG_SHA1);
	tu_put(&b, digest, 20);
	tu_u32(&b, 0);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "two sha1 digests") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, unknown_algorithm_in_specid)
{
	static const uint16_t algs[] = {EPH_ALG_SHA1, 0x1234};
	struct tu_buf b = {0};
	struct eph_err err;

	tu_specid(&b, algs, 2);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "unknown algorithm id 0x1234") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, specid_digest_size_lies)
{
	struct tu_buf b = {0};
	struct eph_err err;

	tu_specid(&b, sha1_256, 2);
	/* sha256's digestSize: 32 (header) + 28 (fixed part) + 4 (sha1 entry) + 2. */
	b.p[32 + 28 + 4 + 2] = 20;
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "sha256 digest size 20, must be 32") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, specid_without_algorithms_or_too_many)
{
	static const uint16_t many[] = {EPH_ALG_SHA1,     EPH_ALG_SHA256,   EPH_ALG_SHA384,
					EPH_ALG_SHA512,   EPH_ALG_SM3_256,  EPH_ALG_SHA3_256,
					EPH_ALG_SHA3_384, EPH_ALG_SHA3_512, EPH_ALG_SHA1};
	struct tu_buf b = {0};
	struct eph_err err;

	tu_specid(&b, sha1_256, 0);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "no algorithms") != NULL, "%s", err.msg);
	tu_free(&b);
	tu_specid(&b, many, 9);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "9 algorithms, at most 8") != NULL, "%s", err.msg);
	tu_free(&b);
	tu_specid(&b, many, 8);
	memcpy(b.p + 32 + 28 + 4 * 7, "\x04\x00\x14\x00", 4); /* sha1 again */
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "lists sha1 twice") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, event_size_past_end)
{
	struct tu_buf b = {0};
	struct eph_err err;

	tu_specid(&b, sha1_256, 2);
	tu_event2(&b, 0, EV_POST_CODE, "abcd", 4, sha1_256, 2);
	/* Rewrite eventSize (4 bytes before the data) to 5. */
	b.p[b.n - 8] = 5;
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "eventSize 5 runs past the end") != NULL, "%s", err.msg);
	b.p[b.n - 8] = 0xff;
	b.p[b.n - 7] = 0xff;
	b.p[b.n - 6] = 0xff;
	b.p[b.n - 5] = 0xff;
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "exceeds the") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, pcr_index_out_of_range)
{
	struct tu_buf b = {0};
	struct eph_err err;

	tu_specid(&b, sha1_256, 2);
	tu_event2(&b, 24, EV_POST_CODE, "x", 1, sha1_256, 2);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "PCR index 24 out of range") != NULL, "%s", err.msg);
	tu_free(&b);
	tu_event1(&b, 0, EV_POST_CODE, "x", 1);
	tu_event1(&b, 31, EV_POST_CODE, "x", 1);
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "event 1 at offset 33: PCR index 31") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, first_event_no_action_without_specid)
{
	static const uint8_t locality[17] = "StartupLocality";
	struct tu_buf b = {0};
	struct eph_err err;

	tu_event1(&b, 0, EV_NO_ACTION, locality, sizeof(locality));
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "not a Spec ID event") != NULL, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, specid_outside_pcr0_unless_ccel)
{
	struct tu_buf b = {0};
	struct eph_err err;

	tu_specid(&b, sha1_256, 2);
	b.p[0] = 1;
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert_eq(parse(&b, EVLOG_F_CCEL, &err), 0, "%s", err.msg);
	tu_free(&b);
}

Test(evlog_reject, padding_only_when_allowed)
{
	struct tu_buf b = {0};
	struct eph_err err;
	uint8_t ff[100];

	memset(ff, 0xff, sizeof(ff));
	tu_specid(&b, sha1_256, 2);
	tu_event2(&b, 0, EV_POST_CODE, "x", 1, sha1_256, 2);
	tu_put(&b, ff, sizeof(ff));
	cr_assert_eq(parse(&b, 0, &err), EPH_EFORMAT);
	cr_assert_eq(parse(&b, EVLOG_F_ALLOW_PADDING, &err), 0, "%s", err.msg);
	/* Fill that is not all fill is not padding. */
	b.p[b.n - 1] = 0;
	cr_assert_eq(parse(&b, EVLOG_F_ALLOW_PADDING, &err), 0, "end marker 0xffffffff");
	b.p[b.n - 100] = 0xfe;
	cr_assert_eq(parse(&b, EVLOG_F_ALLOW_PADDING, &err), EPH_EFORMAT);
	tu_free(&b);
}

/* Random bytes, and random single-byte corruptions of a good log. */
Test(evlog_reject, random_bytes_never_crash)
{
	struct tu_buf good = {0};
	size_t bounds[8], nb, i, j;
	unsigned seed = 12345;

	build_log(&good, bounds, &nb);
	for (i = 0; i < 3000; i++) {
		struct tu_buf b = {0};
		struct eph_err err;
		struct evlog_replay replay;
		evlog_log *log = NULL;

		if (i % 2 == 0) {
			size_t len = (size_t)(rand_r(&seed) % 512);

			for (j = 0; j < len; j++)
				tu_u8(&b, (uint8_t)rand_r(&seed));
		} else {
			tu_put(&b, good.p, good.n);
			for (j = 0; j < 3; j++)
				b.p[rand_r(&seed) % b.n] = (uint8_t)rand_r(&seed);
		}
		memset(&err, 0, sizeof(err));
		if (evlog_parse(&log, b.p, b.n, (unsigned)i & 3, &err) == 0) {
			(void)evlog_replay(&replay, log, &err);
			evlog_free(log);
		} else {
			cr_assert_neq(err.msg[0], '\0');
		}
		tu_free(&b);
	}
	tu_free(&good);
}
