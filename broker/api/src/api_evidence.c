/*
 * api_evidence.c - the TPM side of one attestation: the quote (AK
 * signature, the challenge nonce, the digest of the PCR values sent with
 * it), its freshness against the agent's last accepted quote (clock,
 * resetCount, restartCount only go forward), the firmware event log
 * replayed and compared with the quoted PCRs it touches, and the IMA list
 * (template hashes, replay into PCR 10, compared with the quoted PCR 10).
 * Each check fills the AR4SI claims it vouches for.
 *
 * IMA arrives in chunks: the agent sends the entries after those the broker
 * accepted (ima_offset = number of the first one). Offset 0 is a whole list,
 * replayed from zero. A later chunk must start where the agent's stored IMA
 * position (store_ima_get) ends, in the same boot (quote resetCount);
 * otherwise it is refused, 422 "ima-offset", naming the entry expected. It
 * is then extended from the stored PCR 10 of each quoted bank and compared
 * with the quoted PCR 10 as a whole list is. The new position (entries so
 * far, resetCount, the quoted PCR 10 per bank) goes into the verdict; the
 * handler (api_attest.c) stores it only when the attestation is accepted.
 *
 * Not here: reference values (golden PCRs, IMA allowlist: broker/appraise
 * with the policy folder; it sees only the chunk's entries, the earlier ones
 * were appraised when they arrived), SEV-SNP / TDX (api_cvm.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "api-attest.h"
#include "evlog.h"

int api__verdict_refuse(struct api__verdict *v, int status, const char *code, const char *fmt,
			...)
{
	va_list ap;

	if (v->status != 0)
		return -1;
	v->status = status;
	snprintf(v->code, sizeof(v->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	return -1;
}

void api__verdict_attr(struct api__verdict *v, const char *name, const char *value,
		       float confidence)
{
	struct wire_attr *at;

	if (v->num_attrs >= WIRE_MAX_ATTRS)
		return;
	at = &v->attrs[v->num_attrs++];
	snprintf(at->name, sizeof(at->name), "%s", name);
	snprintf(at->value, sizeof(at->value), "%s", value);
	at->confidence = confidence;
}

static void sha256(uint8_t out[32], const uint8_t *p, size_t n)
{
	EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

static int build_pcrs(struct api__verdict *v, const struct wire_attest_req *req)
{
	uint32_t i;

	memset(&v->pcrs, 0, sizeof(v->pcrs));
	if (req->num_banks > TPMQ_MAX_BANKS)
		return api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "malformed",
					   "%u PCR banks, at most %u", req->num_banks,
					   TPMQ_MAX_BANKS);
	for (i = 0; i < req->num_banks; i++) {
		const struct wire_pcr_bank *b = &req->banks[i];
		struct tpmq_pcr_bank *o = &v->pcrs.banks[i];
		size_t ds = eph_hash_size(b->alg);
		unsigned p;

		if (ds == 0 || ds != b->size || ds > TPMQ_MAX_DIGEST)
			return api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "malformed",
						   "PCR bank 0x%04x: unknown algorithm or %u-byte "
						   "values", b->alg, b->size);
		o->alg = b->alg;
		o->mask = b->mask & 0xffffffu;
		for (p = 0; p < TPMQ_NUM_PCRS; p++)
			if (o->mask & (1u << p))
				memcpy(o->pcr[p], b->pcr[p], ds);
	}
	v->pcrs.num_banks = req->num_banks;
	return 0;
}

int api__check_quote(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		     const char *agent_id, const tpmq_key *ak)
{
	struct store_quote_counters last;
	struct tpmq_attest prev;
	struct eph_err err = {{0}};
	int rc;

	if (build_pcrs(v, req) < 0)
		return -1;
	sha256(v->quote_digest, req->quote.p, req->quote.len);
	rc = tpmq_quote_verify(&v->quote, ak, req->quote.p, req->quote.len, req->sig.p,
			       req->sig.len, req->nonce, sizeof(req->nonce), &v->pcrs, &err);
	if (rc == EPH_EFORMAT)
		return api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "malformed", "quote: %s",
					   err.msg);
	if (rc < 0)
		return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "quote-refused", "quote: %s",
					   err.msg);
	v->has_counters = 1;
	v->counters.clock = v->quote.clock;
	v->counters.reset_count = v->quote.reset_count;
	v->counters.restart_count = v->quote.restart_count;
	rc = store_attest_last_accepted(&last, a->st, agent_id, &err);
	if (rc == 0) {
		memset(&prev, 0, sizeof(prev));
		prev.clock = last.clock;
		prev.reset_count = last.reset_count;
		prev.restart_count = last.restart_count;
		rc = tpmq_attest_check_newer(&prev, &v->quote, &err);
		if (rc < 0)
			return api__verdict_refuse(v, API_HTTP_CONFLICT, "quote-replayed",
						   "quote older than the last accepted one: %s",
						   err.msg);
	} else if (rc != EPH_ENOTFOUND) {
		return api__verdict_refuse(v, API_HTTP_UNAVAILABLE, "store-unavailable",
					   "store: %s", err.msg);
	}
	v->ar4si[WIRE_AR_INSTANCE_IDENTITY - 1] = WIRE_TIER_AFFIRMING;
	v->quote_ok = 1;
	api__verdict_attr(v, "platform", "tpm2", 1.0f);
	return 0;
}

/* The quoted values of one bank in libevlog's shape. */
static const struct tpmq_pcr_bank *quoted_bank(const struct api__verdict *v, uint16_t alg)
{
	uint32_t i;

	for (i = 0; i < v->pcrs.num_banks; i++)
		if (v->pcrs.banks[i].alg == alg)
			return &v->pcrs.banks[i];
	return NULL;
}

/* PCRs the quote covers in bank alg. */
static uint32_t quoted_mask(const struct api__verdict *v, uint16_t alg)
{
	uint32_t i;

	for (i = 0; i < v->quote.sel.num_banks; i++)
		if (v->quote.sel.banks[i].alg == alg)
			return v->quote.sel.banks[i].mask;
	return 0;
}

int api__check_eventlog(struct api__verdict *v, struct api *a, const struct wire_attest_req *req)
{
	static struct evlog_replay rp; /* 1.6 kB; one request at a time on the loop */
	evlog_log *log = NULL;
	struct eph_err err = {{0}};
	uint32_t i, compared = 0;
	int rc;

	if (req->eventlog.len == 0) {
		if (a->pol.require_eventlog)
			return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "eventlog-required",
						   "no firmware event log and the policy "
						   "requires one");
		v->ar4si[WIRE_AR_CONFIGURATION - 1] = WIRE_TIER_NONE;
		return 0;
	}
	v->has_eventlog = 1;
	sha256(v->eventlog_digest, req->eventlog.p, req->eventlog.len);
	rc = evlog_parse(&log, req->eventlog.p, req->eventlog.len, EVLOG_F_ALLOW_PADDING, &err);
	if (rc == 0)
		rc = evlog_replay(&rp, log, &err);
	if (rc < 0) {
		evlog_free(log);
		return api__verdict_refuse(v, rc == EPH_EUNSUPPORTED ? API_HTTP_UNPROCESSABLE
								     : API_HTTP_BAD_REQUEST,
					   "eventlog-malformed", "event log: %s", err.msg);
	}
	for (i = 0; i < rp.num_banks; i++) {
		const struct evlog_bank *lb = &rp.banks[i];
		const struct tpmq_pcr_bank *qb = quoted_bank(v, lb->alg);
		struct evlog_bank exp;
		uint32_t mask = quoted_mask(v, lb->alg) & lb->extended;
		unsigned bad = 0, p;

		if (qb == NULL || mask == 0)
			continue;
		memset(&exp, 0, sizeof(exp));
		exp.alg = lb->alg;
		exp.size = lb->size;
		for (p = 0; p < EVLOG_NUM_PCRS; p++)
			if (mask & (1u << p))
				memcpy(exp.pcr[p], qb->pcr[p], lb->size);
		rc = evlog_replay_compare(&rp, &exp, mask, &bad, &err);
		if (rc < 0) {
			evlog_free(log);
			v->ar4si[WIRE_AR_CONFIGURATION - 1] = WIRE_TIER_CONTRAINDICATED;
			return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "eventlog-mismatch",
						   "PCR %u (%s): the firmware event log does not "
						   "replay to the quoted value",
						   bad, eph_hash_name(lb->alg));
		}
		compared |= mask;
	}
	evlog_free(log);
	if (compared == 0)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "eventlog-uncovered",
					   "the event log extends no PCR the quote covers");
	v->ar4si[WIRE_AR_CONFIGURATION - 1] = WIRE_TIER_AFFIRMING;
	api__verdict_attr(v, "eventlog", "matches-quote", 1.0f);
	return 0;
}

/* The stored PCR 10 of bank alg, NULL if the agent's state has none. */
static const struct store_ima_bank *stored_bank(const struct store_ima_state *s, uint16_t alg)
{
	unsigned i;

	for (i = 0; i < s->num_banks; i++)
		if (s->banks[i].alg == alg)
			return &s->banks[i];
	return NULL;
}

/*
 * A chunk from entry ima_offset > 0 follows on only from the position the
 * broker accepted last, in the same boot (the quote's resetCount: a reboot
 * restarts the list at entry 0).
 */
static int ima_position(struct store_ima_state *prev, struct api__verdict *v, struct api *a,
			const struct wire_attest_req *req, const char *agent_id)
{
	struct eph_err err = {{0}};
	unsigned long long off = (unsigned long long)req->ima_offset;
	int rc;

	rc = store_ima_get(prev, a->st, agent_id, &err);
	if (rc == EPH_ENOTFOUND)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "ima-offset",
					   "IMA chunk from entry %llu, but the broker holds no IMA "
					   "list of this agent: expected entry 0",
					   off);
	if (rc < 0)
		return api__verdict_refuse(v, API_HTTP_UNAVAILABLE, "store-unavailable",
					   "store: %s", err.msg);
	if (prev->reset_count != v->quote.reset_count)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "ima-offset",
					   "IMA chunk from entry %llu, but the TPM was reset since "
					   "the broker's list (resetCount %u, was %u): expected "
					   "entry 0",
					   off, (unsigned)v->quote.reset_count,
					   (unsigned)prev->reset_count);
	if (prev->entries != req->ima_offset)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "ima-offset",
					   "IMA chunk from entry %llu: the broker expected entry "
					   "%llu",
					   off, (unsigned long long)prev->entries);
	return 0;
}

int api__check_ima(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		   const char *agent_id)
{
	struct store_ima_state prev;
	struct store_ima_state *next = &v->ima_state;
	evlog_ima *ima = NULL;
	struct eph_err err = {{0}};
	uint8_t pcr10[EPH_HASH_MAX];
	size_t bad = 0, count;
	uint32_t i, covered = 0;
	int rc;

	if (req->ima.len == 0)
		return 0;
	v->has_ima = 1;
	sha256(v->ima_digest, req->ima.p, req->ima.len);
	memset(&prev, 0, sizeof(prev));
	if (req->ima_offset != 0 && ima_position(&prev, v, a, req, agent_id) < 0)
		return -1;
	rc = evlog_ima_parse(&ima, req->ima.p, req->ima.len, EVLOG_IMA_AUTO, &err);
	if (rc < 0)
		return api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "ima-malformed", "IMA: %s",
					   err.msg);
	count = evlog_ima_count(ima);
	if (count > UINT64_MAX - req->ima_offset) {
		evlog_ima_free(ima);
		return api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "malformed",
					   "IMA chunk from entry %llu: offset out of range",
					   (unsigned long long)req->ima_offset);
	}
	rc = evlog_ima_check_template_hashes(ima, &bad, &err);
	if (rc < 0) {
		evlog_ima_free(ima);
		v->ar4si[WIRE_AR_EXECUTABLES - 1] = WIRE_TIER_CONTRAINDICATED;
		return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "ima-mismatch",
					   "IMA entry %llu: template hash does not match its data",
					   (unsigned long long)(req->ima_offset + bad));
	}
	memset(next, 0, sizeof(*next));
	for (i = 0; i < v->pcrs.num_banks; i++) {
		const struct tpmq_pcr_bank *qb = &v->pcrs.banks[i];
		const struct store_ima_bank *sb = NULL;
		size_t ds = eph_hash_size(qb->alg);

		if (!(quoted_mask(v, qb->alg) & (1u << 10)))
			continue;
		covered++;
		if (req->ima_offset == 0) {
			rc = evlog_ima_replay(pcr10, ima, qb->alg, 10, &err);
		} else {
			/* A bank the broker has no running value of cannot be
			 * checked from a chunk; the others still are. */
			sb = stored_bank(&prev, qb->alg);
			if (sb == NULL || sb->size != ds)
				continue;
			memcpy(pcr10, sb->pcr10, ds);
			rc = evlog_ima_extend(pcr10, ima, qb->alg, 10, &err);
		}
		if (rc < 0 || memcmp(pcr10, qb->pcr[10], ds) != 0) {
			evlog_ima_free(ima);
			v->ar4si[WIRE_AR_EXECUTABLES - 1] = WIRE_TIER_CONTRAINDICATED;
			if (req->ima_offset != 0)
				return api__verdict_refuse(
					v, API_HTTP_FORBIDDEN, "ima-mismatch",
					"PCR 10 (%s): the IMA chunk from entry %llu does not "
					"extend the broker's value to the quoted one",
					eph_hash_name(qb->alg),
					(unsigned long long)req->ima_offset);
			return api__verdict_refuse(v, API_HTTP_FORBIDDEN, "ima-mismatch",
						   "PCR 10 (%s): the IMA list does not replay to "
						   "the quoted value", eph_hash_name(qb->alg));
		}
		if (next->num_banks < STORE_IMA_BANKS && ds <= STORE_IMA_DIGEST_MAX) {
			struct store_ima_bank *nb = &next->banks[next->num_banks++];

			nb->alg = qb->alg;
			nb->size = (uint8_t)ds;
			memcpy(nb->pcr10, qb->pcr[10], ds);
		}
	}
	evlog_ima_free(ima);
	if (covered == 0)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "ima-uncovered",
					   "an IMA list was sent but the quote does not cover PCR 10");
	if (next->num_banks == 0)
		return api__verdict_refuse(v, API_HTTP_UNPROCESSABLE, "ima-offset",
					   "IMA chunk from entry %llu: the broker holds PCR 10 of "
					   "none of the quoted banks: expected entry 0",
					   (unsigned long long)req->ima_offset);
	next->reset_count = v->quote.reset_count;
	next->entries = req->ima_offset + count;
	v->has_ima_state = 1;
	/* Consistent with the TPM; judging the files needs an allowlist (appraise),
	 * which sees only this chunk's entries: the earlier ones were appraised
	 * when they arrived. */
	v->ar4si[WIRE_AR_EXECUTABLES - 1] = WIRE_TIER_WARNING;
	api__verdict_attr(v, "ima", "matches-quote", 0.8f);
	return 0;
}
