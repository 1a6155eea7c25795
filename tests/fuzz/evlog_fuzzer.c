/*
 * evlog_fuzzer.c - libFuzzer target for the TCG firmware event log: parse,
 * walk every event, decode every event body the library knows, replay and
 * compare.
 *
 * Input layout: byte 0 selects the parse flags, the rest is the log.
 *   byte 0 & 0x3  ->  EVLOG_F_CCEL (0x1), EVLOG_F_ALLOW_PADDING (0x2)
 *   e.g. 00 | 00000000 03000000 <20 zero bytes> 2d000000 "Spec ID Event03\0" ...
 *   is a PC Client crypto-agile log parsed with flags 0; 03 | ... a CC event
 *   log with 0xFF fill allowed. Seeds: tests/fuzz/corpora/evlog/ (see
 *   tests/fuzz/make-seeds.py).
 *
 * Besides "no crash, no leak, no sanitizer report", the target checks the
 * library's contracts and aborts when one breaks: a failed call names the
 * problem in err and leaves *out NULL; every pointer handed back (event
 * data, digests, decoded fields) lies inside the bytes it was decoded from
 * (each byte is also read, so AddressSanitizer sees a bad one); a replay
 * compares equal to its own banks except on the PCRs it marks incomplete.
 *
 * Not here: the IMA list (ima_fuzzer.c), judging event contents.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "evlog_fuzzer: contract broken: %s (err: \"%s\")\n", what,
	        err != NULL ? err->msg : "");
	abort();
}

/* Read every byte so that ASan reports a pointer into freed or foreign memory. */
static void touch(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	if (n == 0)
		return;
	check(p != NULL, "non-empty range with a NULL pointer", NULL);
	for (i = 0; i < n; i++)
		acc ^= p[i];
	sink = acc;
}

/* [p, p+n) must lie inside [buf, buf+len); n is 64-bit in several structs. */
static int inside(const uint8_t *p, uint64_t n, const uint8_t *buf, size_t len)
{
	uintptr_t b = (uintptr_t)buf, q = (uintptr_t)p;

	if (n == 0)
		return 1;
	if (p == NULL || q < b || q - b > len)
		return 0;
	return n <= (uint64_t)(len - (q - b));
}

/* A failed call must say why, in a NUL-terminated line. */
static void check_failed(int rc, const struct eph_err *err, const char *call)
{
	check(rc < 0, call, err);
	check(memchr(err->msg, '\0', sizeof(err->msg)) != NULL, "err.msg not terminated", NULL);
	check(err->msg[0] != '\0', "failure without a message", err);
}

static void decode_efi_var(const uint8_t *buf, size_t len)
{
	struct evlog_efi_var v;
	struct eph_err err = {{0}};
	int rc;

	rc = evlog_decode_efi_var(&v, buf, len, &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_decode_efi_var");
		return;
	}
	check(v.name_len <= UINT64_MAX / 2 && inside(v.name, v.name_len * 2, buf, len),
	      "efi_var name outside the event data", NULL);
	check(inside(v.data, v.data_len, buf, len), "efi_var data outside the event data", NULL);
	/* GUID, two UINT64 lengths, name, data, then what the library ignored. */
	check(v.trailing <= len && 32 + v.name_len * 2 + v.data_len + v.trailing == len,
	      "efi_var fields do not add up to the event size", NULL);
	touch(v.name, (size_t)v.name_len * 2);
	touch(v.data, (size_t)v.data_len);
}

static void decode_efi_image(const uint8_t *buf, size_t len)
{
	struct evlog_efi_image im;
	struct eph_err err = {{0}};
	int rc;

	rc = evlog_decode_efi_image(&im, buf, len, &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_decode_efi_image");
		return;
	}
	check(inside(im.devpath, im.devpath_len, buf, len),
	      "efi_image device path outside the event data", NULL);
	/* Four UINT64 fields, the device path, then what the library ignored. */
	check(im.trailing <= len && 32 + im.devpath_len + im.trailing == len,
	      "efi_image fields do not add up to the event size", NULL);
	touch(im.devpath, (size_t)im.devpath_len);
}

static void decode_blob(const uint8_t *buf, size_t len, int blob2)
{
	struct evlog_blob b;
	struct eph_err err = {{0}};
	int rc;

	rc = evlog_decode_blob(&b, buf, len, blob2, &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_decode_blob");
		return;
	}
	if (blob2) {
		check(inside(b.desc, b.desc_len, buf, len), "blob2 description outside the data",
		      NULL);
		touch(b.desc, b.desc_len);
	}
}

static void decode_tagged(const uint8_t *buf, size_t len)
{
	struct evlog_tagged t;
	struct eph_err err = {{0}};
	int rc;

	rc = evlog_decode_tagged(&t, buf, len, &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_decode_tagged");
		return;
	}
	check(inside(t.data, t.data_len, buf, len), "tagged data outside the event data", NULL);
	touch(t.data, t.data_len);
}

static void decode_separator(const uint8_t *buf, size_t len)
{
	struct eph_err err = {{0}};
	int is_error = -1, rc;

	rc = evlog_decode_separator(&is_error, buf, len, &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_decode_separator");
		return;
	}
	check(is_error == 0 || is_error == 1, "separator is_error not 0/1", NULL);
}

static void decode_noaction(const uint8_t *buf, size_t len)
{
	enum evlog_noaction_kind kind;
	uint8_t locality = 0xA5;

	kind = evlog_noaction_kind(buf, len, &locality);
	check(kind >= EVLOG_NOACTION_OTHER && kind <= EVLOG_NOACTION_NV_DYNAMIC,
	      "unknown EV_NO_ACTION kind", NULL);
}

/* Run the decoder that belongs to the event's type, if there is one. */
static void decode_event(const struct evlog_event *ev)
{
	const uint8_t *d = ev->data;
	size_t n = ev->data_size;

	switch (ev->type) {
	case EV_EFI_VARIABLE_DRIVER_CONFIG:
	case EV_EFI_VARIABLE_BOOT:
	case EV_EFI_VARIABLE_BOOT2:
	case EV_EFI_VARIABLE_AUTHORITY:
		decode_efi_var(d, n);
		break;
	case EV_EFI_BOOT_SERVICES_APPLICATION:
	case EV_EFI_BOOT_SERVICES_DRIVER:
	case EV_EFI_RUNTIME_SERVICES_DRIVER:
		decode_efi_image(d, n);
		break;
	case EV_POST_CODE:
	case EV_EFI_PLATFORM_FIRMWARE_BLOB:
		decode_blob(d, n, 0);
		break;
	case EV_EFI_PLATFORM_FIRMWARE_BLOB2:
		decode_blob(d, n, 1);
		break;
	case EV_EVENT_TAG:
		decode_tagged(d, n);
		break;
	case EV_SEPARATOR:
		decode_separator(d, n);
		break;
	case EV_NO_ACTION:
		decode_noaction(d, n);
		break;
	default:
		break;
	}
}

static void walk_events(const evlog_log *log)
{
	size_t i, count = evlog_count(log);
	uint32_t j;

	check(count > 0, "parsed log without events", NULL);
	check(evlog_event_at(log, count) == NULL, "evlog_event_at past the end", NULL);
	for (i = 0; i < count; i++) {
		const struct evlog_event *ev = evlog_event_at(log, i);

		check(ev != NULL, "evlog_event_at in range returned NULL", NULL);
		check(ev->num == i, "event number differs from its position", NULL);
		check(ev->num_digests <= EVLOG_MAX_ALGS, "more digests than EVLOG_MAX_ALGS", NULL);
		check(ev->data_size <= EVLOG_MAX_EVENT_DATA, "event data above the cap", NULL);
		touch(ev->data, ev->data_size);
		for (j = 0; j < ev->num_digests; j++) {
			const struct evlog_digest *dg = &ev->digests[j];

			check(dg->size <= EVLOG_MAX_DIGEST, "digest larger than EVLOG_MAX_DIGEST",
			      NULL);
			touch(dg->bytes, dg->size);
			check(evlog_event_digest(ev, dg->alg) != NULL,
			      "evlog_event_digest misses a digest the event has", NULL);
		}
		(void)evlog_event_type_name(ev->type);
		decode_event(ev);
	}
}

static void check_specid(const evlog_log *log)
{
	const struct evlog_specid *sid = evlog_get_specid(log);
	enum evlog_format fmt = evlog_get_format(log);
	uint32_t i, n;

	check(fmt == EVLOG_FMT_SHA1 || fmt == EVLOG_FMT_CRYPTO_AGILE, "unknown log format", NULL);
	if (sid == NULL)
		return;
	check(memchr(sid->signature, '\0', sizeof(sid->signature)) != NULL,
	      "Spec ID signature not terminated", NULL);
	n = sid->num_algs < EVLOG_MAX_ALGS ? sid->num_algs : EVLOG_MAX_ALGS;
	for (i = 0; i < n; i++)
		check(sid->algs[i].size <= EVLOG_MAX_DIGEST, "Spec ID digest size too large", NULL);
	touch(sid->vendor_info, sid->vendor_info_size);
}

static void replay_and_compare(const evlog_log *log)
{
	static struct evlog_replay r; /* 12 KiB; one input at a time */
	static struct evlog_bank zero;
	struct eph_err err = {{0}};
	unsigned first_bad;
	uint32_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = evlog_replay(&r, log, &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_replay");
		return;
	}
	check(r.num_banks <= EVLOG_MAX_ALGS, "more banks than EVLOG_MAX_ALGS", NULL);
	for (i = 0; i < r.num_banks; i++) {
		const struct evlog_bank *b = &r.banks[i];

		check(b->size <= EVLOG_MAX_DIGEST, "bank digest size too large", NULL);
		check(evlog_replay_bank(&r, b->alg) != NULL, "evlog_replay_bank misses a bank",
		      NULL);

		/* Against a zero bank: either all equal or a PCR in range differs. */
		memset(&zero, 0, sizeof(zero));
		zero.alg = b->alg;
		zero.size = b->size;
		first_bad = 0xFFFFFFFFu;
		memset(&err, 0, sizeof(err));
		rc = evlog_replay_compare(&r, &zero, 0xFFFFFFu, &first_bad, &err);
		check(rc == 0 || rc == EPH_EVERIFY, "compare with a zero bank: unexpected code",
		      &err);
		if (rc == EPH_EVERIFY) {
			check_failed(rc, &err, "evlog_replay_compare");
			check(first_bad < EVLOG_NUM_PCRS, "first_bad out of range", NULL);
		}

		/*
		 * Against itself: equal on every PCR, except that a PCR the log
		 * left incomplete in this bank is refused, lowest first. (With a
		 * duplicate algorithm the lookup finds the first bank: skip.)
		 */
		if (evlog_replay_bank(&r, b->alg) != b)
			continue;
		first_bad = 0xFFFFFFFFu;
		memset(&err, 0, sizeof(err));
		rc = evlog_replay_compare(&r, b, 0xFFFFFFu, &first_bad, &err);
		if ((b->incomplete & 0xFFFFFFu) == 0) {
			check(rc == 0, "a replay differs from its own bank", &err);
		} else {
			check(rc == EPH_EVERIFY, "an incomplete PCR was vouched for", &err);
			check(first_bad < EVLOG_NUM_PCRS && (b->incomplete & (1u << first_bad)) &&
			          (b->incomplete & ((1u << first_bad) - 1)) == 0,
			      "first_bad is not the lowest incomplete PCR", &err);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evlog_log *log = (evlog_log *)(uintptr_t)1; /* must become NULL on failure */
	struct eph_err err = {{0}};
	unsigned flags;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0] & (EVLOG_F_CCEL | EVLOG_F_ALLOW_PADDING);
	rc = evlog_parse(&log, data + 1, size - 1, flags, &err);
	if (rc < 0) {
		check_failed(rc, &err, "evlog_parse");
		check(log == NULL, "failed evlog_parse left *out set", &err);
		return 0;
	}
	check(log != NULL, "evlog_parse succeeded without a log", NULL);
	check_specid(log);
	walk_events(log);
	replay_and_compare(log);
	evlog_free(log);
	return 0;
}
