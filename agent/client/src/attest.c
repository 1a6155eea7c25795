/*
 * attest.c - agentc_attest: one challenge/attest round.
 *
 *   GET /v1/challenge?agent=ID -> {nonce, expires}
 *   PCR read, TPM2_Quote(selection, nonce), PCR read again: the two reads
 *   must agree (IMA extends PCR 10 at any time), else the round is taken
 *   again, up to three times, so that the values sent are the ones quoted;
 *   the IMA list is read after the quote, so it covers at least what the
 *   quote saw (the broker replays up to the quoted PCR 10).
 *   firmware event log, IMA chunk, SEV-SNP/TDX report over
 *   SHA-512(nonce || AK name)
 *   POST /v1/attest -> {result, directive, deadline, attrs}
 * When the broker answers with a result the IMA progress advances and is
 * saved; when it refuses, the same entries go again next time.
 *
 * Not here: scheduling the next round, obeying the directive (the daemon).
 */
#include <stdlib.h>
#include <string.h>

#include "agentc-priv.h"

#define QUOTE_TRIES 3

static int get_challenge(struct wire_challenge_resp *out, struct agentc_refusal *refusal, agentc *a,
                         struct eph_err *err)
{
	struct agentc_response resp = {0};
	char path[WIRE_MAX_TEXT * 3 + 32];
	char *esc = NULL;
	int rc;

	esc = curl_easy_escape(a->curl, a->agent_id, 0);
	if (esc == NULL)
		return eph_err_set(err, EPH_ENOMEM, "GET /v1/challenge: out of memory");
	snprintf(path, sizeof(path), "/v1/challenge?agent=%s", esc);
	curl_free(esc);
	rc = agentc__cbor_call(&resp, refusal, a, "GET", path, NULL, 0, err);
	if (rc < 0)
		return rc;
	rc = wire_challenge_resp_decode(out, resp.body, resp.len, err);
	agentc_response_clear(&resp);
	if (rc < 0)
		return eph_err_prefix(err, rc, "GET /v1/challenge: response");
	return 0;
}

static int pcrs_equal(const struct tpmq_pcrs *x, const struct tpmq_pcrs *y)
{
	uint32_t b, i;

	if (x->num_banks != y->num_banks)
		return 0;
	for (b = 0; b < x->num_banks; b++) {
		size_t sz = eph_hash_size(x->banks[b].alg);

		if (x->banks[b].alg != y->banks[b].alg || x->banks[b].mask != y->banks[b].mask)
			return 0;
		for (i = 0; i < TPMQ_NUM_PCRS; i++)
			if ((x->banks[b].mask & (1u << i)) &&
			    memcmp(x->banks[b].pcr[i], y->banks[b].pcr[i], sz) != 0)
				return 0;
	}
	return 1;
}

/* Quote with PCR reads on both sides that agree. */
static int quote_stable(struct wire_attest_req *req, tpmq_tpm *tpm, const struct tpmq_pcrsel *sel,
                        struct eph_err *err)
{
	struct tpmq_pcrs *before = NULL, *after = NULL;
	uint32_t b;
	int rc = 0, tries;

	before = calloc(1, sizeof(*before));
	after = calloc(1, sizeof(*after));
	if (before == NULL || after == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "quote: out of memory");
		goto out;
	}
	for (tries = 0; tries < QUOTE_TRIES; tries++) {
		free(req->quote.p);
		free(req->sig.p);
		memset(&req->quote, 0, sizeof(req->quote));
		memset(&req->sig, 0, sizeof(req->sig));
		rc = tpmq_pcr_read(before, tpm, sel, err);
		if (rc == 0)
			rc = tpmq_quote(&req->quote.p, &req->quote.len, &req->sig.p, &req->sig.len,
			                tpm, sel, req->nonce, sizeof(req->nonce), err);
		if (rc == 0)
			rc = tpmq_pcr_read(after, tpm, sel, err);
		if (rc < 0) {
			eph_err_prefix(err, rc, "TPM: quote");
			goto out;
		}
		if (pcrs_equal(before, after))
			break;
	}
	/* After QUOTE_TRIES changes in a row, send the last: the broker says why. */
	if (after->num_banks > WIRE_MAX_PCR_BANKS) {
		rc = eph_err_set(err, EPH_EUNSUPPORTED, "quote: %u PCR banks, the wire holds %u",
		                 after->num_banks, WIRE_MAX_PCR_BANKS);
		goto out;
	}
	req->num_banks = after->num_banks;
	for (b = 0; b < after->num_banks; b++) {
		size_t sz = eph_hash_size(after->banks[b].alg);
		uint32_t i;

		req->banks[b].alg = after->banks[b].alg;
		req->banks[b].mask = after->banks[b].mask;
		req->banks[b].size = (uint8_t)sz;
		for (i = 0; i < TPMQ_NUM_PCRS; i++)
			if (after->banks[b].mask & (1u << i))
				memcpy(req->banks[b].pcr[i], after->banks[b].pcr[i], sz);
	}
out:
	free(before);
	free(after);
	return rc;
}

static int post_attest(struct wire_attest_resp *out, struct agentc_refusal *refusal, agentc *a,
                       const struct wire_attest_req *req, struct eph_err *err)
{
	struct agentc_response resp = {0};
	uint8_t *body = NULL;
	size_t len = 0;
	int rc;

	rc = wire_attest_req_encode(&body, &len, req, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "encoding the attest request");
	rc = agentc__cbor_call(&resp, refusal, a, "POST", "/v1/attest", body, len, err);
	free(body);
	if (rc < 0)
		return rc;
	rc = wire_attest_resp_decode(out, resp.body, resp.len, err);
	agentc_response_clear(&resp);
	if (rc < 0)
		return eph_err_prefix(err, rc, "POST /v1/attest: response");
	return 0;
}

int agentc_attest(struct agentc_result *out, agentc *a, tpmq_tpm *tpm,
                  const struct agentc_evidence *ev, struct eph_err *err)
{
	static const struct agentc_evidence defaults;
	struct wire_challenge_resp ch;
	struct wire_attest_req *req = NULL;
	struct agentc__ima_chunk ima;
	struct tsm_evidence tev;
	struct tpmq_pcrsel sel;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&ima, 0, sizeof(ima));
	memset(&tev, 0, sizeof(tev));
	memset(&ch, 0, sizeof(ch));
	if (ev == NULL)
		ev = &defaults;
	if (!a->have_state || a->ready_tpm != tpm)
		return eph_err_set(err, EPH_EFAIL,
		                   "agentc_attest: not enrolled on this TPM context (agentc_enrol "
		                   "first)");
	rc = tpmq_pcrsel_parse(&sel, ev->pcrs != NULL ? ev->pcrs : AGENTC_DEFAULT_PCRS, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "PCR selection");
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return eph_err_set(err, EPH_ENOMEM, "agentc_attest: out of memory");

	rc = get_challenge(&ch, &out->refusal, a, err);
	if (rc < 0)
		goto out;
	memcpy(req->agent_id, a->agent_id, sizeof(req->agent_id));
	memcpy(req->nonce, ch.nonce, sizeof(req->nonce));
	rc = quote_stable(req, tpm, &sel, err);
	if (rc < 0)
		goto out;
	rc = agentc__read_optional(&req->eventlog.p, &req->eventlog.len, ev->eventlog,
	                           AGENTC_DEFAULT_EVENTLOG, WIRE_MAX_BLOB, "firmware event log",
	                           err);
	if (rc < 0)
		goto out;
	rc = agentc__ima_read(&ima, a, ev->ima, ev->boot_id, err);
	if (rc < 0)
		goto out;
	req->ima.p = ima.buf;
	req->ima.len = ima.len;
	req->ima_offset = ima.start;
	rc = agentc__cvm_collect(&tev, out->cvm, a, ch.nonce, sizeof(ch.nonce), err);
	if (rc < 0)
		goto out;
	if (tev.provider == TSM_PROVIDER_SEV_GUEST) {
		req->snp_report.p = tev.outblob;
		req->snp_report.len = tev.outblob_len;
		req->snp_certs.p = tev.auxblob;
		req->snp_certs.len = tev.auxblob_len;
	} else if (tev.provider == TSM_PROVIDER_TDX_GUEST) {
		req->tdx_quote.p = tev.outblob;
		req->tdx_quote.len = tev.outblob_len;
	}
	out->ima_offset = ima.start;
	out->ima_entries = ima.entries;
	out->eventlog_len = req->eventlog.len;

	rc = post_attest(&out->resp, &out->refusal, a, req, err);
	if (rc < 0)
		goto out;
	/* Accepted: the broker has these entries now. */
	memcpy(a->boot_id, ima.boot_id, sizeof(a->boot_id));
	a->ima_entries = ima.start + ima.entries;
	a->ima_bytes = ima.start_bytes + ima.len;
	rc = agentc__ima_save(a, err);
	if (rc < 0)
		eph_err_prefix(err, rc, "attested, but the IMA progress was not saved");
out:
	explicit_bzero(&ch, sizeof(ch));
	tsm_evidence_clear(&tev);
	free(ima.buf);
	if (req != NULL) {
		free(req->quote.p);
		free(req->sig.p);
		free(req->eventlog.p);
		free(req);
	}
	return rc;
}
