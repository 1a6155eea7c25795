/*
 * evlog_replay.c - recomputing PCR values from a parsed event log.
 *
 * Each measuring event extends its digest into its PCR in every bank:
 * PCR := H(PCR || digest) (TPM 2.0 Part 1, 17.3). EV_NO_ACTION events are
 * informational and never extended (PFP 1.05, 10.4.1). The initial value of
 * PCR 0 carries the locality of TPM2_Startup, which firmware records in a
 * StartupLocality EV_NO_ACTION event (PFP 1.05, 10.4.5.3): 00..00<loc>.
 * PCRs 17..22 reset to all-ones at TPM2_Startup (PFP 1.05, 3.3.4 table 3).
 *
 * Not here: deciding whether the values are good (the broker's appraisal),
 * and the digest-vs-data consistency of individual events.
 */
#include <string.h>

#include "eph_hex.h"
#include "evlog-priv.h"

static void init_banks(struct evlog_replay *r)
{
	uint32_t b;
	unsigned i;

	for (b = 0; b < r->num_banks; b++)
		for (i = 17; i <= 22; i++)
			memset(r->banks[b].pcr[i], 0xff, r->banks[b].size);
}

static int set_locality(struct evlog_replay *r, const struct evlog_event *ev, uint8_t loc,
			struct eph_err *err)
{
	uint32_t b;

	if (r->banks[0].extended & 1u)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: StartupLocality after PCR 0 was "
				   "extended",
				   ev->num, ev->offset);
	if (loc != 0 && loc != 3 && loc != 4)
		return eph_err_set(err, EPH_EFORMAT,
				   "event %u at offset %zu: StartupLocality %u, must be 0, 3 or 4",
				   ev->num, ev->offset, loc);
	r->startup_locality = loc;
	for (b = 0; b < r->num_banks; b++)
		r->banks[b].pcr[0][r->banks[b].size - 1] = loc;
	return 0;
}

int evlog_replay(struct evlog_replay *out, const evlog_log *log, struct eph_err *err)
{
	const struct evlog_specid *sid = evlog_get_specid(log);
	size_t i;
	uint32_t b;

	memset(out, 0, sizeof(*out));
	if (sid != NULL) {
		out->num_banks = sid->num_algs;
		for (b = 0; b < sid->num_algs; b++) {
			out->banks[b].alg = sid->algs[b].alg;
			out->banks[b].size = sid->algs[b].size;
		}
	} else {
		out->num_banks = 1;
		out->banks[0].alg = EPH_ALG_SHA1;
		out->banks[0].size = 20;
	}
	init_banks(out);

	/* Event 0 is the log header (Spec ID, or the first legacy event). */
	for (i = sid != NULL ? 1 : 0; i < log->count; i++) {
		const struct evlog_event *ev = &log->events[i];
		uint8_t loc = 0;

		if (ev->type == EV_NO_ACTION) {
			if (ev->pcr == 0 &&
			    evlog_noaction_kind(ev->data, ev->data_size, &loc) ==
				    EVLOG_NOACTION_STARTUP_LOCALITY) {
				int rc = set_locality(out, ev, loc, err);

				if (rc < 0)
					return rc;
			}
			continue;
		}
		for (b = 0; b < out->num_banks; b++) {
			struct evlog_bank *bank = &out->banks[b];
			const struct evlog_digest *d = evlog_event_digest(ev, bank->alg);

			if (d == NULL) {
				bank->incomplete |= 1u << ev->pcr;
				continue;
			}
			if (eph_hash_extend(bank->alg, bank->pcr[ev->pcr], d->bytes) < 0)
				return eph_err_set(err, EPH_EUNSUPPORTED,
						   "%s is not available in this OpenSSL",
						   eph_hash_name(bank->alg));
			bank->extended |= 1u << ev->pcr;
		}
	}
	return 0;
}

const struct evlog_bank *evlog_replay_bank(const struct evlog_replay *r, uint16_t alg)
{
	uint32_t b;

	for (b = 0; b < r->num_banks; b++)
		if (r->banks[b].alg == alg)
			return &r->banks[b];
	return NULL;
}

int evlog_replay_compare(const struct evlog_replay *r, const struct evlog_bank *expected,
			 uint32_t mask, unsigned *first_bad, struct eph_err *err)
{
	const struct evlog_bank *bank = evlog_replay_bank(r, expected->alg);
	char got[2 * EVLOG_MAX_DIGEST + 1], want[2 * EVLOG_MAX_DIGEST + 1];
	unsigned i;

	if (bank == NULL)
		return eph_err_set(err, EPH_ENOTFOUND, "the event log has no %s bank",
				   eph_hash_name(expected->alg) ? eph_hash_name(expected->alg)
								: "such");
	for (i = 0; i < EVLOG_NUM_PCRS; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (bank->incomplete & (1u << i)) {
			if (first_bad != NULL)
				*first_bad = i;
			return eph_err_set(err, EPH_EVERIFY,
					   "PCR %u (%s): the event log lacks %s digests for some of "
					   "its events, so it cannot vouch for this PCR",
					   i, eph_hash_name(bank->alg), eph_hash_name(bank->alg));
		}
		if (memcmp(bank->pcr[i], expected->pcr[i], bank->size) == 0)
			continue;
		if (first_bad != NULL)
			*first_bad = i;
		/* Enough hex to tell the values apart while fitting one line. */
		eph_hex_encode(got, sizeof(got), bank->pcr[i], bank->size < 24 ? bank->size : 24);
		eph_hex_encode(want, sizeof(want), expected->pcr[i],
			       bank->size < 24 ? bank->size : 24);
		return eph_err_set(err, EPH_EVERIFY,
				   "PCR %u (%s) differs: event log replays to %s..., expected "
				   "%s...",
				   i, eph_hash_name(bank->alg), got, want);
	}
	return 0;
}
