/*
 * evlog_parse.c - splitting a TCG firmware event log into events
 * (TCG PC Client Platform Firmware Profile 1.05, sections 10.2 and 10.4).
 *
 * The first event always has the legacy TCG_PCR_EVENT layout:
 *
 *   pcrIndex   u32le   00000000
 *   eventType  u32le   03000000               (EV_NO_ACTION)
 *   digest     [20]    00 * 20                (SHA1)
 *   eventSize  u32le   2d000000
 *   event      [eventSize]  "Spec ID Event03\0" ...
 *
 * If it carries a "Spec ID Event03" the log is crypto-agile and every later
 * event is a TCG_PCR_EVENT2:
 *
 *   pcrIndex   u32le   00000000
 *   eventType  u32le   08000000               (EV_S_CRTM_VERSION)
 *   count      u32le   02000000
 *   digests    {u16le algId, digest[size from the Spec ID table]} * count
 *              0400 <20 bytes> 0b00 <32 bytes>
 *   eventSize  u32le   10000000
 *   event      [eventSize]
 *
 * Otherwise the whole log is legacy SHA1 TCG_PCR_EVENTs (TPM 1.2 style).
 *
 * Confidential-computing logs (UEFI 2.10 section 38, TDX CCEL) share the
 * layout; their index is a measurement register and the ACPI area after the
 * last event is filled with 0xFF, which EVLOG_F_ALLOW_PADDING accepts.
 *
 * Parsing only splits and bounds-checks; replay (evlog_replay.c) and event
 * data decoding (evlog_eventdata.c) are separate so that each can be fuzzed
 * and reused alone. Every length is checked against what is left before it
 * is used, and an event's data is capped at EVLOG_MAX_EVENT_DATA.
 */
#include <stdlib.h>
#include <string.h>

#include "eph_cur.h"
#include "evlog-priv.h"

#define LEGACY_HDR_LEN 32 /* pcr + type + sha1 + size */

static int push_event(struct evlog_log *log, struct evlog_event **out, struct eph_err *err)
{
	if (log->count == log->cap) {
		size_t ncap = log->cap ? log->cap * 2 : 64;
		struct evlog_event *n;

		if (ncap > SIZE_MAX / sizeof(*n))
			return eph_err_set(err, EPH_ENOMEM, "too many events");
		n = realloc(log->events, ncap * sizeof(*n));
		if (n == NULL)
			return eph_err_set(err, EPH_ENOMEM, "out of memory after %zu events",
					   log->count);
		log->events = n;
		log->cap = ncap;
	}
	*out = &log->events[log->count];
	memset(*out, 0, sizeof(**out));
	(*out)->num = (uint32_t)log->count;
	log->count++;
	return 0;
}

/* True when every byte from pos to the end equals fill. */
static int rest_is(const struct eph_cur *c, uint8_t fill)
{
	size_t i;

	for (i = c->pos; i < c->len; i++)
		if (c->base[i] != fill)
			return 0;
	return 1;
}

/*
 * Where firmware hands over a fixed-size buffer, the log ends in fill: all
 * 0xFF (TDX CCEL areas), all 0x00, or an event whose index is 0xFFFFFFFF,
 * the end marker that go-attestation also honours. Only with
 * EVLOG_F_ALLOW_PADDING; the ignored byte count is kept for callers.
 */
static int at_padding(const struct eph_cur *c)
{
	static const uint8_t end_marker[4] = {0xff, 0xff, 0xff, 0xff};

	if (eph_cur_left(c) >= 4 && memcmp(c->base + c->pos, end_marker, 4) == 0)
		return 1;
	return rest_is(c, 0xff) || rest_is(c, 0x00);
}

static int check_pcr(const struct evlog_event *ev, struct eph_err *err)
{
	if (ev->pcr >= EVLOG_NUM_PCRS)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: PCR index %u out of range 0..%u",
				   ev->num, ev->offset, ev->pcr, EVLOG_NUM_PCRS - 1);
	return 0;
}

static int read_data(struct eph_cur *c, struct evlog_event *ev, struct eph_err *err)
{
	if (eph_cur_u32le(c, &ev->data_size) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: truncated before eventSize", ev->num,
				   ev->offset);
	if (ev->data_size > EVLOG_MAX_EVENT_DATA)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: eventSize %u exceeds the %u byte limit",
				   ev->num, ev->offset, ev->data_size, EVLOG_MAX_EVENT_DATA);
	if (eph_cur_bytes(c, ev->data_size, &ev->data) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: eventSize %u runs past the end of the "
				   "log (%zu bytes left)",
				   ev->num, ev->offset, ev->data_size, eph_cur_left(c));
	return 0;
}

/* One legacy TCG_PCR_EVENT: the header of every log, all events of SHA1 logs. */
static int parse_legacy(struct evlog_log *log, struct eph_cur *c, struct eph_err *err)
{
	struct evlog_event *ev = NULL;
	const uint8_t *digest;
	int rc;

	rc = push_event(log, &ev, err);
	if (rc < 0)
		return rc;
	ev->offset = c->pos;
	if (eph_cur_u32le(c, &ev->pcr) < 0 || eph_cur_u32le(c, &ev->type) < 0 ||
	    eph_cur_bytes(c, 20, &digest) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: truncated header (%zu bytes left, need "
				   "%d)",
				   ev->num, ev->offset, c->len - ev->offset, LEGACY_HDR_LEN);
	ev->num_digests = 1;
	ev->digests[0].alg = EPH_ALG_SHA1;
	ev->digests[0].size = 20;
	ev->digests[0].bytes = digest;
	return read_data(c, ev, err);
}

static int parse_event2(struct evlog_log *log, struct eph_cur *c, struct eph_err *err)
{
	const struct evlog_specid *sid = &log->specid;
	struct evlog_event *ev = NULL;
	uint32_t i, j, k;
	int rc;

	rc = push_event(log, &ev, err);
	if (rc < 0)
		return rc;
	ev->offset = c->pos;
	if (eph_cur_u32le(c, &ev->pcr) < 0 || eph_cur_u32le(c, &ev->type) < 0 ||
	    eph_cur_u32le(c, &ev->num_digests) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: truncated header (%zu bytes left)",
				   ev->num, ev->offset, c->len - ev->offset);
	if (ev->num_digests > sid->num_algs)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: digest count %u exceeds the %u "
				   "algorithms of the Spec ID event",
				   ev->num, ev->offset, ev->num_digests, sid->num_algs);
	for (i = 0; i < ev->num_digests; i++) {
		struct evlog_digest *d = &ev->digests[i];

		if (eph_cur_u16le(c, &d->alg) < 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "event %u at offset %zu: truncated in digest %u",
					   ev->num, ev->offset, i);
		for (j = 0; j < sid->num_algs; j++)
			if (sid->algs[j].alg == d->alg)
				break;
		if (j == sid->num_algs)
			return eph_err_set(err, EPH_EFORMAT,
					   "event %u at offset %zu: digest algorithm 0x%04x is not "
					   "in the Spec ID event's table",
					   ev->num, ev->offset, d->alg);
		for (k = 0; k < i; k++)
			if (ev->digests[k].alg == d->alg)
				return eph_err_set(err, EPH_EFORMAT,
						   "event %u at offset %zu: two %s digests",
						   ev->num, ev->offset, eph_hash_name(d->alg));
		d->size = sid->algs[j].size;
		if (eph_cur_bytes(c, d->size, &d->bytes) < 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "event %u at offset %zu: %s digest runs past the end",
					   ev->num, ev->offset, eph_hash_name(d->alg));
	}
	rc = read_data(c, ev, err);
	if (rc < 0)
		return rc;
	return check_pcr(ev, err);
}

/*
 * The first event decides the format. An EV_NO_ACTION first event must be
 * a Spec ID event: PFP allows no other (a bare StartupLocality event there
 * means the header was lost, as in truncated captures).
 */
static int parse_header(struct evlog_log *log, struct eph_cur *c, unsigned flags,
			struct eph_err *err)
{
	const struct evlog_event *ev;
	int rc;

	rc = parse_legacy(log, c, err);
	if (rc < 0)
		return rc;
	ev = &log->events[0];
	if (ev->type == EV_NO_ACTION && ev->data_size >= EVLOG__SPECID_SIG_LEN &&
	    memcmp(ev->data, EVLOG__SPECID_SIG_AGILE, EVLOG__SPECID_SIG_LEN) == 0) {
		if (ev->pcr != 0 && !(flags & EVLOG_F_CCEL))
			return eph_err_set(err, EPH_EFORMAT,
					   "event 0: Spec ID event in PCR %u, must be PCR 0 "
					   "(use the CC event log mode for CCEL logs)",
					   ev->pcr);
		rc = evlog__parse_specid(&log->specid, ev->data, ev->data_size, err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "event 0 at offset 0");
		log->has_specid = 1;
		log->format = EVLOG_FMT_CRYPTO_AGILE;
		return 0;
	}
	if (ev->type == EV_NO_ACTION &&
	    evlog_noaction_kind(ev->data, ev->data_size, NULL) != EVLOG_NOACTION_SPECID)
		return eph_err_set(err, EPH_EFORMAT,
				   "event 0: EV_NO_ACTION that is not a Spec ID event; the log "
				   "header is missing or corrupt");
	rc = check_pcr(ev, err);
	if (rc < 0)
		return rc;
	log->format = EVLOG_FMT_SHA1;
	return 0;
}

int evlog_parse(evlog_log **out, const uint8_t *buf, size_t len, unsigned flags,
		struct eph_err *err)
{
	struct evlog_log *log = NULL;
	struct eph_cur c;
	int rc;

	*out = NULL;
	if (len == 0)
		return eph_err_set(err, EPH_EFORMAT, "empty event log");
	log = calloc(1, sizeof(*log));
	if (log == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory");
	log->buf = malloc(len);
	if (log->buf == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory for a %zu byte log", len);
		goto out;
	}
	memcpy(log->buf, buf, len);
	log->len = len;
	eph_cur_init(&c, log->buf, len);

	rc = parse_header(log, &c, flags, err);
	if (rc < 0)
		goto out;
	while (eph_cur_left(&c) > 0) {
		if ((flags & EVLOG_F_ALLOW_PADDING) && at_padding(&c)) {
			log->trailing = eph_cur_left(&c);
			break;
		}
		if (log->format == EVLOG_FMT_CRYPTO_AGILE)
			rc = parse_event2(log, &c, err);
		else
			rc = parse_legacy(log, &c, err);
		if (rc < 0)
			goto out;
		if (log->format == EVLOG_FMT_SHA1) {
			rc = check_pcr(&log->events[log->count - 1], err);
			if (rc < 0)
				goto out;
		}
	}
	*out = log;
	log = NULL;
	rc = 0;
out:
	evlog_free(log);
	return rc;
}

void evlog_free(evlog_log *log)
{
	if (log == NULL)
		return;
	free(log->events);
	free(log->buf);
	free(log);
}

enum evlog_format evlog_get_format(const evlog_log *log)
{
	return log->format;
}

const struct evlog_specid *evlog_get_specid(const evlog_log *log)
{
	return log->has_specid ? &log->specid : NULL;
}

size_t evlog_trailing_bytes(const evlog_log *log)
{
	return log->trailing;
}

size_t evlog_count(const evlog_log *log)
{
	return log->count;
}

const struct evlog_event *evlog_event_at(const evlog_log *log, size_t i)
{
	return i < log->count ? &log->events[i] : NULL;
}

const struct evlog_digest *evlog_event_digest(const struct evlog_event *ev, uint16_t alg)
{
	uint32_t i;

	for (i = 0; i < ev->num_digests; i++)
		if (ev->digests[i].alg == alg)
			return &ev->digests[i];
	return NULL;
}
