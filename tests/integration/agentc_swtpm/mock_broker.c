/*
 * mock_broker.c - a minimal broker for libagentc's swtpm tests: the wire
 * protocol endpoints over the test TLS server, with the real broker-side
 * checks of libtpmq (EK certificate chain, AK attributes, MakeCredential,
 * quote signature/nonce/PCR digest) and libevlog (event log replay against
 * the quoted sha256 PCRs 0-9). Not an appraisal: it says "continue" to
 * anything that verifies, and refuses with "pcr-mismatch" naming the first
 * PCR whose replay differs.
 *
 * One agent at a time; state lives in struct mock_broker (one thread).
 */
#include "mock_broker.h"

#include <criterion/criterion.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evlog.h"
#include "tpmq.h"
#include "wire.h"

static void reply_cbor(struct ts_reply *rep, int status, uint8_t *body, size_t len)
{
	rep->status = status;
	snprintf(rep->ctype, sizeof(rep->ctype), "application/cbor");
	rep->body = body;
	rep->len = len;
}

static void refuse(struct mock_broker *m, struct ts_reply *rep, int status, const char *code,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void refuse(struct mock_broker *m, struct ts_reply *rep, int status, const char *code,
                   const char *fmt, ...)
{
	struct wire_error we;
	struct eph_err err;
	uint8_t *body = NULL;
	size_t len = 0;
	va_list ap;

	memset(&we, 0, sizeof(we));
	snprintf(we.code, sizeof(we.code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(we.message, sizeof(we.message), fmt, ap);
	va_end(ap);
	snprintf(m->last_refusal, sizeof(m->last_refusal), "%s: %s", code, we.message);
	if (wire_error_encode(&body, &len, &we, &err) < 0)
		len = 0;
	reply_cbor(rep, status, body, len);
}

static void on_register(struct mock_broker *m, const uint8_t *b, size_t n, struct ts_reply *rep)
{
	struct wire_register_req req;
	struct wire_register_resp resp;
	struct eph_err err = {{0}};
	tpmq_key *ek = NULL, *ak = NULL;
	uint8_t name[TPMQ_NAME_MAX], *body = NULL;
	size_t name_len = 0, len = 0;

	if (wire_register_req_decode(&req, b, n, &err) < 0) {
		refuse(m, rep, 400, "malformed", "%s", err.msg);
		return;
	}
	memset(&resp, 0, sizeof(resp));
	if (tpmq_key_from_public(&ek, req.ek_pub.p, req.ek_pub.len, &err) < 0 ||
	    tpmq_key_check_ek(ek, &err) < 0) {
		refuse(m, rep, 403, "ek-invalid", "%s", err.msg);
		goto out;
	}
	if (req.ek_cert.len == 0 ||
	    tpmq_ekcert_verify(req.ek_cert.p, req.ek_cert.len, m->trust_dir, ek, 0, &err) < 0) {
		refuse(m, rep, 403, "ek-untrusted", "%s", req.ek_cert.len ? err.msg : "no EK cert");
		goto out;
	}
	if (tpmq_key_from_public(&ak, req.ak_pub.p, req.ak_pub.len, &err) < 0 ||
	    tpmq_key_check_ak(ak, &err) < 0 || tpmq_key_name(name, &name_len, ak, &err) < 0) {
		refuse(m, rep, 403, "ak-invalid", "%s", err.msg);
		goto out;
	}
	RAND_bytes(m->secret, sizeof(m->secret));
	m->registers++;
	snprintf(m->agent_id, sizeof(m->agent_id), "mock-%d", m->registers);
	snprintf(m->hostname, sizeof(m->hostname), "%s", req.hostname);
	snprintf(m->cvm, sizeof(m->cvm), "%s", req.cvm);
	m->ek_cert_len = req.ek_cert.len;
	m->activated = 0;
	m->ima_next = 0;
	free(m->ak_pub);
	m->ak_pub = malloc(req.ak_pub.len);
	memcpy(m->ak_pub, req.ak_pub.p, req.ak_pub.len);
	m->ak_pub_len = req.ak_pub.len;
	snprintf(resp.agent_id, sizeof(resp.agent_id), "%s", m->agent_id);
	if (tpmq_make_credential(&resp.cred_blob.p, &resp.cred_blob.len, &resp.cred_secret.p,
	                         &resp.cred_secret.len, ek, name, name_len, m->secret,
	                         sizeof(m->secret), &err) < 0 ||
	    wire_register_resp_encode(&body, &len, &resp, &err) < 0) {
		refuse(m, rep, 500, "internal", "%s", err.msg);
		goto out;
	}
	reply_cbor(rep, 200, body, len);
out:
	free(resp.cred_blob.p);
	free(resp.cred_secret.p);
	tpmq_key_free(ek);
	tpmq_key_free(ak);
	wire_register_req_free(&req);
}

static void on_activate(struct mock_broker *m, const uint8_t *b, size_t n, struct ts_reply *rep)
{
	struct wire_activate_req req;
	struct wire_activate_resp resp;
	struct eph_err err = {{0}};
	uint8_t *body = NULL;
	size_t len = 0;

	if (wire_activate_req_decode(&req, b, n, &err) < 0) {
		refuse(m, rep, 400, "malformed", "%s", err.msg);
		return;
	}
	if (strcmp(req.agent_id, m->agent_id) != 0 || req.secret.len != sizeof(m->secret) ||
	    memcmp(req.secret.p, m->secret, sizeof(m->secret)) != 0) {
		refuse(m, rep, 403, "activation-failed", "wrong secret for %s", req.agent_id);
	} else {
		m->activated = 1;
		memset(&resp, 0, sizeof(resp));
		snprintf(resp.status, sizeof(resp.status), "active");
		wire_activate_resp_encode(&body, &len, &resp, &err);
		reply_cbor(rep, 200, body, len);
	}
	wire_activate_req_free(&req);
}

static void on_challenge(struct mock_broker *m, const char *path, struct ts_reply *rep)
{
	struct wire_challenge_resp ch;
	struct eph_err err;
	uint8_t *body = NULL;
	size_t len = 0;
	const char *q = strstr(path, "?agent=");

	if (q == NULL || strcmp(q + 7, m->agent_id) != 0 || !m->activated) {
		refuse(m, rep, 404, "unknown-agent", "no activated agent '%s'", q ? q + 7 : "");
		return;
	}
	RAND_bytes(m->nonce, sizeof(m->nonce));
	memcpy(ch.nonce, m->nonce, sizeof(ch.nonce));
	ch.expires = (uint64_t)time(NULL) + 60;
	m->nonce_live = 1;
	wire_challenge_resp_encode(&body, &len, &ch, &err);
	reply_cbor(rep, 200, body, len);
}

/* Replay the event log against the quoted sha256 PCRs 0..9. */
static int check_log(struct mock_broker *m, const struct wire_attest_req *req, struct ts_reply *rep)
{
	struct evlog_replay *rp = calloc(1, sizeof(*rp));
	struct evlog_bank exp;
	struct eph_err err = {{0}};
	evlog_log *log = NULL;
	unsigned bad = 0;
	uint32_t b, i;
	int rc = -1;

	if (req->eventlog.len == 0) {
		refuse(m, rep, 403, "no-eventlog", "no firmware event log");
		goto out;
	}
	if (evlog_parse(&log, req->eventlog.p, req->eventlog.len, 0, &err) < 0 ||
	    evlog_replay(rp, log, &err) < 0) {
		refuse(m, rep, 400, "eventlog-malformed", "%s", err.msg);
		goto out;
	}
	for (b = 0; b < req->num_banks && req->banks[b].alg != EPH_ALG_SHA256; b++)
		;
	if (b == req->num_banks) {
		refuse(m, rep, 403, "no-sha256", "no sha256 PCRs");
		goto out;
	}
	memset(&exp, 0, sizeof(exp));
	exp.alg = EPH_ALG_SHA256;
	exp.size = 32;
	for (i = 0; i < 24; i++)
		memcpy(exp.pcr[i], req->banks[b].pcr[i], 32);
	if (evlog_replay_compare(rp, &exp, req->banks[b].mask & 0x3ffu & rp->banks[0].extended,
	                         &bad, &err) < 0) {
		refuse(m, rep, 403, "pcr-mismatch", "PCR %u differs from the event log replay",
		       bad);
		goto out;
	}
	rc = 0;
out:
	evlog_free(log);
	free(rp);
	return rc;
}

static void on_attest(struct mock_broker *m, const uint8_t *b, size_t n, struct ts_reply *rep)
{
	struct wire_attest_req *req = calloc(1, sizeof(*req));
	struct wire_attest_resp *resp = calloc(1, sizeof(*resp));
	struct tpmq_pcrs *pcrs = calloc(1, sizeof(*pcrs));
	struct eph_err err = {{0}};
	tpmq_key *ak = NULL;
	uint8_t *body = NULL;
	size_t len = 0;
	uint32_t i;
	int decoded = 0;

	if (wire_attest_req_decode(req, b, n, &err) < 0) {
		refuse(m, rep, 400, "malformed", "%s", err.msg);
		goto out;
	}
	decoded = 1;
	if (strcmp(req->agent_id, m->agent_id) != 0 || !m->activated) {
		refuse(m, rep, 404, "unknown-agent", "no agent '%s'", req->agent_id);
		goto out;
	}
	if (!m->nonce_live || memcmp(req->nonce, m->nonce, sizeof(m->nonce)) != 0) {
		refuse(m, rep, 403, "nonce-unknown", "nonce not issued or already used");
		goto out;
	}
	m->nonce_live = 0;
	pcrs->num_banks = req->num_banks;
	for (i = 0; i < req->num_banks; i++) {
		pcrs->banks[i].alg = req->banks[i].alg;
		pcrs->banks[i].mask = req->banks[i].mask;
		memcpy(pcrs->banks[i].pcr, req->banks[i].pcr, sizeof(pcrs->banks[i].pcr));
	}
	if (tpmq_key_from_public(&ak, m->ak_pub, m->ak_pub_len, &err) < 0 ||
	    tpmq_quote_verify(NULL, ak, req->quote.p, req->quote.len, req->sig.p, req->sig.len,
	                      req->nonce, sizeof(req->nonce), pcrs, &err) < 0) {
		refuse(m, rep, 403, "quote-invalid", "%s", err.msg);
		goto out;
	}
	if (check_log(m, req, rep) < 0)
		goto out;
	if (req->ima_offset != m->ima_next) {
		refuse(m, rep, 409, "ima-offset", "IMA chunk starts at %llu, expected %llu",
		       (unsigned long long)req->ima_offset, (unsigned long long)m->ima_next);
		goto out;
	}
	if (req->ima.len > 0) {
		evlog_ima *ima = NULL;

		if (evlog_ima_parse(&ima, req->ima.p, req->ima.len, EVLOG_IMA_BINARY, &err) < 0) {
			refuse(m, rep, 400, "ima-malformed", "%s", err.msg);
			goto out;
		}
		m->ima_next = req->ima_offset + evlog_ima_count(ima);
		evlog_ima_free(ima);
	}
	m->ima_bytes_seen += req->ima.len;
	m->last_ima_offset = req->ima_offset;
	m->last_ima_len = req->ima.len;
	m->last_eventlog_len = req->eventlog.len;
	m->attests++;
	for (i = 1; i <= WIRE_AR_NUM; i++)
		resp->result[i] = WIRE_TIER_NONE;
	resp->result[WIRE_AR_INSTANCE_IDENTITY] = WIRE_TIER_AFFIRMING;
	resp->result[WIRE_AR_CONFIGURATION] = WIRE_TIER_AFFIRMING;
	resp->result[WIRE_AR_HARDWARE] = WIRE_TIER_AFFIRMING;
	snprintf(resp->directive, sizeof(resp->directive), "continue");
	resp->deadline = (uint64_t)time(NULL) + 300;
	resp->num_attrs = 1;
	snprintf(resp->attrs[0].name, sizeof(resp->attrs[0].name), "secure_boot");
	snprintf(resp->attrs[0].value, sizeof(resp->attrs[0].value), "true");
	resp->attrs[0].confidence = 1.0f;
	if (wire_attest_resp_encode(&body, &len, resp, &err) < 0) {
		refuse(m, rep, 500, "internal", "%s", err.msg);
		goto out;
	}
	reply_cbor(rep, 200, body, len);
out:
	if (decoded)
		wire_attest_req_free(req);
	tpmq_key_free(ak);
	free(req);
	free(resp);
	free(pcrs);
}

void mock_broker_handle(void *arg, const char *method, const char *path, const uint8_t *body,
                        size_t len, struct ts_reply *rep)
{
	struct mock_broker *m = arg;

	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/agents/register") == 0)
		on_register(m, body, len, rep);
	else if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/agents/activate") == 0)
		on_activate(m, body, len, rep);
	else if (strcmp(method, "GET") == 0 && strncmp(path, "/v1/challenge", 13) == 0)
		on_challenge(m, path, rep);
	else if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/attest") == 0)
		on_attest(m, body, len, rep);
	else
		refuse(m, rep, 404, "no-route", "%s %s", method, path);
}

void mock_broker_free(struct mock_broker *m)
{
	free(m->ak_pub);
	m->ak_pub = NULL;
}
