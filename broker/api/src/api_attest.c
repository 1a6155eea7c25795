/*
 * api_attest.c - POST /v1/attest: one attestation, in this order, stopping
 * at the first refusal:
 *   1. decode the wire_attest_req (400);
 *   2. use the nonce up: single use, not expired, issued to this agent
 *      (409 "nonce already used", 403 otherwise; 404 "agent-unknown" when
 *      the nonce is refused and the agent id is not registered at all);
 *   3. the agent exists and activated its credential (404 / 403);
 *   4. the quote: AK signature, nonce, PCR digest; newer than the last
 *      accepted quote (403 / 409);
 *   5. the firmware event log against the quoted PCRs (403 names the PCR);
 *   6. the IMA list (a whole one, or a chunk following on from the agent's
 *      stored IMA position) against the quoted PCR 10;
 *   7. the SEV-SNP report or TDX quote, bound to nonce and AK name;
 *   8. reference values (broker/appraise, api_appraise.c): the AR4SI vector
 *      and attributes; a contraindicated claim refuses (422). Every verdict that got past decoding, accepted or
 * refused, is written to the store with its reason BEFORE the response;
 * if that write fails the agent gets 503, never an unrecorded verdict.
 * An accepted attestation gets {result, "continue", deadline = now + the
 * re-attestation period, attributes}; when it carried an IMA list, the
 * agent's new IMA position is stored in the same transaction as the
 * verdict. A refusal gets a wire_error whose code names the failed check
 * (the agent treats a 403/409/422 of /v1/attest as "shut down": wire_error
 * has no directive key yet).
 *
 * Not here: the checks themselves (api_evidence.c, api_cvm.c), reference
 * values (broker/appraise when it lands).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-attest.h"
#include "api-lc.h"

int api__appraise(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		  const struct store_agent *ag);

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int record(struct api *a, const char *agent_id, const uint8_t *nonce,
		  const struct api__verdict *v, struct eph_err *err)
{
	struct store_attestation sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.agent_id = agent_id;
	sa.at = api__now();
	sa.nonce.p = nonce;
	sa.nonce.len = nonce ? WIRE_NONCE_LEN : 0;
	sa.accepted = v->status == 0;
	memcpy(sa.ar4si, v->ar4si, sizeof(sa.ar4si));
	sa.reason = v->reason;
	sa.has_counters = v->has_counters;
	sa.counters = v->counters;
	sa.quote_digest.p = v->has_counters ? v->quote_digest : NULL;
	sa.quote_digest.len = v->has_counters ? 32 : 0;
	sa.eventlog_digest.p = v->eventlog_digest;
	sa.eventlog_digest.len = v->has_eventlog ? 32 : 0;
	sa.ima_digest.p = v->ima_digest;
	sa.ima_digest.len = v->has_ima ? 32 : 0;
	sa.cvm_digest.p = v->cvm_digest;
	sa.cvm_digest.len = v->has_cvm ? 32 : 0;
	if (!sa.accepted || !v->has_ima_state)
		return store_attest_record(NULL, a->st, &sa, err);
	/* Accepted with an IMA list: the verdict and the agent's new IMA
	 * position go in together, or neither does. */
	rc = store_tx_begin(a->st, err);
	if (rc < 0)
		return rc;
	rc = store_attest_record(NULL, a->st, &sa, err);
	if (rc == 0)
		rc = store_ima_set(a->st, agent_id, &v->ima_state, err);
	if (rc == 0)
		return store_tx_commit(a->st, err);
	store_tx_rollback(a->st);
	return rc;
}

/* Steps 3-7 on a consumed nonce. */
static void appraise(struct api__verdict *v, struct api *a, const struct wire_attest_req *req)
{
	struct store_agent *ag = NULL;
	struct eph_err err = {{0}};
	const tpmq_key *ak = NULL;
	int rc;

	rc = store_agent_get(&ag, a->st, req->agent_id, &err);
	if (rc < 0) {
		api__verdict_refuse(v, rc == EPH_ENOTFOUND ? API_HTTP_NOT_FOUND
							   : API_HTTP_UNAVAILABLE,
				    rc == EPH_ENOTFOUND ? "agent-unknown" : "store-unavailable",
				    "agent %s: %s", req->agent_id, err.msg);
		return;
	}
	if (ag->activated_at == 0) {
		api__verdict_refuse(v, API_HTTP_FORBIDDEN, "agent-not-activated",
				    "agent %s has not activated its credential", req->agent_id);
		goto out;
	}
	if (ag->ak_name.len > sizeof(v->ak_name)) {
		api__verdict_refuse(v, API_HTTP_INTERNAL, "internal", "stored AK name too long");
		goto out;
	}
	memcpy(v->ak_name, ag->ak_name.p, ag->ak_name.len);
	if (ag->env_id != NULL)
		snprintf(v->env_id, sizeof(v->env_id), "%s", ag->env_id);
	v->ak_name_len = ag->ak_name.len;
	rc = api__akcache_get(&ak, a->akc, ag->id, ag->ak_pub.p, ag->ak_pub.len, &err);
	if (rc < 0) {
		api__verdict_refuse(v, API_HTTP_INTERNAL, "internal", "stored AK: %s", err.msg);
		goto out;
	}
	if (api__check_quote(v, a, req, ag->id, ak) < 0 || api__check_eventlog(v, a, req) < 0 ||
	    api__check_ima(v, a, req, ag->id) < 0 || api__check_cvm(v, a, req, ag) < 0)
		goto out;
	if (v->cvm_kind == NULL)
		v->ar4si[WIRE_AR_HARDWARE - 1] =
			ag->ek_cert.len ? WIRE_TIER_AFFIRMING : WIRE_TIER_WARNING;
	api__verdict_attr(v, "ek", ag->ek_cert.len ? "certified" : "uncertified",
			  ag->ek_cert.len ? 1.0f : 0.5f);
	if (ag->hostname && ag->hostname[0])
		api__verdict_attr(v, "hostname", ag->hostname, 0.3f);
	/* reference values: broker/appraise when built in (api_appraise.c) */
	if (api__appraise(v, a, req, ag) < 0)
		goto out;
	snprintf(v->reason, sizeof(v->reason), "accepted: quote%s%s%s",
		 v->has_eventlog ? " + event log" : "", v->has_ima ? " + IMA" : "",
		 v->cvm_kind ? (strcmp(v->cvm_kind, "tdx") == 0 ? " + TDX" : " + SEV-SNP") : "");
out:
	store_agent_free(ag);
}

/* The re-attestation period: the environment's own (its policy) when the
 * agent is bound to one, else the broker's. */
static int64_t env_period(struct api *a, const char *env_id)
{
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	int64_t p = a->pol.reattest_s;

	if (env_id[0] && store_env_get(&e, a->st, env_id, &err) == 0) {
		if (e->reattest_s > 0)
			p = e->reattest_s;
		store_env_free(e);
	}
	return p;
}

/*
 * A refused nonce of an agent id the store does not know: the real fault
 * is the id, and "nonce unknown" / "issued to another agent" would hide it.
 * Looked up only on that refusal, so the accepted path pays nothing.
 */
static int agent_unknown(struct api *a, const char *agent_id)
{
	struct store_agent *ag = NULL;
	struct eph_err err = {{0}};
	int rc = store_agent_get(&ag, a->st, agent_id, &err);

	store_agent_free(ag);
	return rc == EPH_ENOTFOUND;
}

static void respond_accepted(struct api__req *r, const struct api__verdict *v, int64_t now,
			     int64_t period)
{
	struct wire_attest_resp *resp = calloc(1, sizeof(*resp));
	struct eph_err err = {{0}};
	uint8_t *out = NULL;
	size_t out_len = 0;
	unsigned i;

	if (resp == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	for (i = 1; i <= WIRE_AR_NUM; i++)
		resp->result[i] = (uint8_t)v->ar4si[i - 1];
	memcpy(resp->directive, "continue", sizeof("continue"));
	resp->deadline = (uint64_t)(now + period);
	resp->num_attrs = v->num_attrs;
	memcpy(resp->attrs, v->attrs, sizeof(v->attrs[0]) * v->num_attrs);
	if (wire_attest_resp_encode(&out, &out_len, resp, &err) < 0)
		api__refuse_rc(r, EPH_EFAIL, "encode", &err);
	else
		api__send_cbor(r, API_HTTP_OK, out, out_len);
	free(out);
	free(resp);
}

void api__attest(struct api__req *r)
{
	struct api *a = r->api;
	struct wire_attest_req *req = calloc(1, sizeof(*req));
	struct api__verdict *v = calloc(1, sizeof(*v));
	struct eph_err err = {{0}};
	const uint8_t *body;
	size_t body_len;
	double t0 = mono();
	int64_t now = api__now();
	int64_t period = 0;
	int rc;

	if (req == NULL || v == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		goto out_nofree;
	}
	if (api__body(&body, &body_len, r) < 0)
		goto out_nofree;
	rc = wire_attest_req_decode(req, body, body_len, &err);
	if (rc < 0) {
		api__metrics_attest(&a->metrics, 0, mono() - t0);
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "attest request: %s", err.msg);
		goto out_nofree;
	}
	/* One transaction (one WAL fsync under synchronous=FULL) for the nonce,
	 * the verdict and the deadline instead of three. */
	if (store_tx_begin(a->st, &err) < 0) {
		api__refuse(r, API_HTTP_UNAVAILABLE, "store-unavailable", "store: %s", err.msg);
		goto out;
	}
	if (!api__valid_id(req->agent_id)) {
		api__verdict_refuse(v, API_HTTP_BAD_REQUEST, "malformed", "agent id is not an id");
	} else {
		rc = store_nonce_consume(a->st, req->agent_id, req->nonce, now, &err);
		if (rc == EPH_EVERIFY && agent_unknown(a, req->agent_id))
			api__verdict_refuse(v, API_HTTP_NOT_FOUND, "agent-unknown",
					    "agent %s is not registered (%s)", req->agent_id,
					    err.msg);
		else if (rc == EPH_EVERIFY)
			api__verdict_refuse(v, strstr(err.msg, "already used") ? API_HTTP_CONFLICT
									       : API_HTTP_FORBIDDEN,
					    strstr(err.msg, "already used") ? "nonce-replayed"
									    : "nonce-refused",
					    "%s", err.msg);
		else if (rc < 0)
			api__verdict_refuse(v, API_HTTP_UNAVAILABLE, "store-unavailable",
					    "store: %s", err.msg);
		else
			appraise(v, a, req);
	}
	rc = record(a, req->agent_id, req->nonce, v, &err);
	if (rc == 0 && v->status == 0) {
		period = env_period(a, v->env_id);
		if (store_agent_set_deadline(a->st, req->agent_id, now + period, &err) < 0)
			api__log(a, API_LOG_WARN, "deadline", "agent %s: %s", req->agent_id,
				 err.msg);
	}
	if (rc == 0)
		rc = store_tx_commit(a->st, &err);
	else
		store_tx_rollback(a->st);
	api__metrics_attest(&a->metrics, v->status == 0, mono() - t0);
	if (rc < 0) {
		api__refuse(r, API_HTTP_UNAVAILABLE, "store-unavailable",
			    "the verdict could not be recorded: %s", err.msg);
		goto out;
	}
	if (v->status != 0) {
		/* api__refuse logs the one line: route, status, code, reason */
		api__refuse(r, v->status, v->code, "agent %s: %s", req->agent_id, v->reason);
		/* Only the environment's own evidence (a verified quote) is drift;
		 * a stranger's bytes under its agent id move nothing, and a
		 * broker-side failure is not the environment's fault. */
		if (v->env_id[0] && v->quote_ok && v->status != API_HTTP_UNAVAILABLE &&
		    v->status != API_HTTP_INTERNAL) {
			char why[WIRE_MAX_TEXT + 80];

			snprintf(why, sizeof(why), "%s: %s", v->code, v->reason);
			api__lc_attested(a, v->env_id, 0, why);
		}
		goto out;
	}
	api__log(a, API_LOG_INFO, "attestation accepted", "agent %s%s%s: %s", req->agent_id,
		 v->env_id[0] ? " of environment " : "", v->env_id, v->reason);
	if (v->env_id[0])
		api__lc_attested(a, v->env_id, 1, v->reason);
	respond_accepted(r, v, now, period);
out:
	wire_attest_req_free(req);
out_nofree:
	if (v != NULL)
		explicit_bzero(v, sizeof(*v));
	free(req);
	free(v);
}
