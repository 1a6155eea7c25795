/*
 * broker_client.c - the tests' minimal agent and requester: HTTPS through
 * libcurl (TLS 1.3, the broker's key pinned), bodies through the wire
 * encoders, evidence through libtpmq's agent functions. See
 * broker_fixture.h.
 */
#include "broker_fixture.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct bf_resp *r = ctx;
	size_t add = size * n;
	uint8_t *nb = realloc(r->body, r->len + add + 1);

	if (nb == NULL)
		return 0;
	memcpy(nb + r->len, p, add);
	r->len += add;
	nb[r->len] = '\0';
	r->body = nb;
	return add;
}

void bf_http(struct bf_resp *out, const char *method, const char *path, const char *ctype,
	     const uint8_t *body, size_t len, const char *accept, int tls_max12)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[512], hdr[256];
	char *ct = NULL;

	memset(out, 0, sizeof(*out));
	cr_assert_not_null(c);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u%s", bf.port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	/* The agent pins the broker's key instead of trusting a CA. */
	curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, bf.pin);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION,
			 tls_max12 ? (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2)
				   : (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (ctype != NULL) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
		h = curl_slist_append(h, hdr);
	}
	if (accept != NULL) {
		snprintf(hdr, sizeof(hdr), "Accept: %s", accept);
		h = curl_slist_append(h, hdr);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	out->curl_rc = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		snprintf(out->ctype, sizeof(out->ctype), "%s", ct);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

void bf_resp_free(struct bf_resp *r)
{
	free(r->body);
	r->body = NULL;
}

void bf_expect_error(const struct bf_resp *r, long status, const char *code,
		     const char *msg_part)
{
	struct wire_error we;
	struct eph_err err = {{0}};

	cr_assert_eq(r->status, status, "HTTP %ld, expected %ld: %.*s", r->status, status,
		     (int)r->len, r->body ? (const char *)r->body : "");
	cr_assert_str_eq(r->ctype, "application/cbor");
	cr_assert_eq(wire_error_decode(&we, r->body, r->len, &err), 0, "not a wire_error: %s",
		     err.msg);
	if (code != NULL)
		cr_assert_str_eq(we.code, code, "code %s (%s)", we.code, we.message);
	if (msg_part != NULL)
		cr_assert(strstr(we.message, msg_part) != NULL, "\"%s\" not in \"%s\"", msg_part,
			  we.message);
	cr_assert(we.message[0] != '\0');
	wire_error_free(&we);
}

void bf_enrol(struct bf_agent *ag)
{
	struct eph_err err = {{0}};
	struct wire_register_req req;
	struct wire_register_resp resp;
	struct wire_activate_req act;
	struct bf_resp r;
	uint8_t *ek_cert = NULL, *ek_pub = NULL, *ak_pub = NULL, *ak_priv = NULL, *body = NULL;
	size_t ek_cert_len = 0, ek_pub_len = 0, ak_pub_len = 0, ak_priv_len = 0, body_len = 0;
	uint8_t secret[64];
	size_t secret_len = 0;

	memset(ag, 0, sizeof(*ag));
	cr_assert_eq(tpmq_open(&ag->tpm, bf.tcti, &err), 0, "tpmq_open: %s", err.msg);
	cr_assert_eq(tpmq_read_ek_cert(&ek_cert, &ek_cert_len, ag->tpm, TPMQ_RSA2048, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(tpmq_create_ek(&ek_pub, &ek_pub_len, ag->tpm, TPMQ_RSA2048, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(tpmq_create_ak(&ak_pub, &ak_pub_len, &ak_priv, &ak_priv_len, ag->tpm,
				    TPMQ_RSA2048, &err),
		     0, "%s", err.msg);
	memset(&req, 0, sizeof(req));
	req.ek_cert.p = ek_cert;
	req.ek_cert.len = ek_cert_len;
	req.ek_pub.p = ek_pub;
	req.ek_pub.len = ek_pub_len;
	req.ak_pub.p = ak_pub;
	req.ak_pub.len = ak_pub_len;
	snprintf(req.hostname, sizeof(req.hostname), "test-host");
	snprintf(req.cvm, sizeof(req.cvm), "none");
	cr_assert_eq(wire_register_req_encode(&body, &body_len, &req, &err), 0, "%s", err.msg);
	bf_http(&r, "POST", "/v1/agents/register", "application/cbor", body, body_len, NULL, 0);
	free(body);
	cr_assert_eq(r.status, 201, "register: HTTP %ld %.*s", r.status, (int)r.len,
		     r.body ? (char *)r.body : "");
	cr_assert_eq(wire_register_resp_decode(&resp, r.body, r.len, &err), 0, "%s", err.msg);
	bf_resp_free(&r);
	snprintf(ag->id, sizeof(ag->id), "%s", resp.agent_id);
	cr_assert_eq(tpmq_activate_credential(secret, &secret_len, ag->tpm, resp.cred_blob.p,
					      resp.cred_blob.len, resp.cred_secret.p,
					      resp.cred_secret.len, &err),
		     0, "activate credential: %s", err.msg);
	wire_register_resp_free(&resp);
	memset(&act, 0, sizeof(act));
	snprintf(act.agent_id, sizeof(act.agent_id), "%s", ag->id);
	act.secret.p = secret;
	act.secret.len = secret_len;
	cr_assert_eq(wire_activate_req_encode(&body, &body_len, &act, &err), 0, "%s", err.msg);
	bf_http(&r, "POST", "/v1/agents/activate", "application/cbor", body, body_len, NULL, 0);
	free(body);
	cr_assert_eq(r.status, 200, "activate: HTTP %ld", r.status);
	bf_resp_free(&r);
	free(ek_cert);
	free(ek_pub);
	free(ak_pub);
	free(ak_priv);
}

void bf_agent_close(struct bf_agent *ag)
{
	tpmq_close(ag->tpm);
	ag->tpm = NULL;
}

void bf_challenge(uint8_t nonce[WIRE_NONCE_LEN], const char *agent_id)
{
	struct wire_challenge_resp ch;
	struct eph_err err = {{0}};
	struct bf_resp r;
	char path[300];

	snprintf(path, sizeof(path), "/v1/challenge?agent=%s", agent_id);
	bf_http(&r, "GET", path, NULL, NULL, 0, NULL, 0);
	cr_assert_eq(r.status, 200, "challenge: HTTP %ld", r.status);
	cr_assert_eq(wire_challenge_resp_decode(&ch, r.body, r.len, &err), 0, "%s", err.msg);
	cr_assert_geq((long long)ch.expires, (long long)time(NULL) + 55);
	memcpy(nonce, ch.nonce, WIRE_NONCE_LEN);
	wire_challenge_resp_free(&ch);
	bf_resp_free(&r);
}

void bf_attest(struct bf_resp *out, tpmq_tpm *tpm, const char *agent_id,
	       const uint8_t nonce[WIRE_NONCE_LEN], const char *log_path)
{
	bf_attest_ima(out, tpm, agent_id, nonce, log_path, NULL, 0, 0);
}

void bf_attest_ima(struct bf_resp *out, tpmq_tpm *tpm, const char *agent_id,
		   const uint8_t nonce[WIRE_NONCE_LEN], const char *log_path,
		   const uint8_t *ima, size_t ima_len, uint64_t ima_offset)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs pcrs;
	struct wire_attest_req *req = calloc(1, sizeof(*req));
	uint8_t *quote = NULL, *sig = NULL, *body = NULL, *log = NULL;
	size_t quote_len = 0, sig_len = 0, body_len = 0, log_len = 0;
	uint32_t b, p;

	cr_assert_not_null(req);
	cr_assert_eq(tpmq_pcrsel_parse(&sel, "sha1:0,1,2,3,4,5,6,7,8,9,10+"
					     "sha256:0,1,2,3,4,5,6,7,8,9,10",
				       &err),
		     0, "%s", err.msg);
	cr_assert_eq(tpmq_quote(&quote, &quote_len, &sig, &sig_len, tpm, &sel, nonce,
				WIRE_NONCE_LEN, &err),
		     0, "quote: %s", err.msg);
	cr_assert_eq(tpmq_pcr_read(&pcrs, tpm, &sel, &err), 0, "%s", err.msg);
	snprintf(req->agent_id, sizeof(req->agent_id), "%s", agent_id);
	memcpy(req->nonce, nonce, WIRE_NONCE_LEN);
	req->quote.p = quote;
	req->quote.len = quote_len;
	req->sig.p = sig;
	req->sig.len = sig_len;
	req->num_banks = pcrs.num_banks;
	for (b = 0; b < pcrs.num_banks; b++) {
		req->banks[b].alg = pcrs.banks[b].alg;
		req->banks[b].mask = pcrs.banks[b].mask;
		req->banks[b].size = (uint8_t)eph_hash_size(pcrs.banks[b].alg);
		for (p = 0; p < 24; p++)
			if (pcrs.banks[b].mask & (1u << p))
				memcpy(req->banks[b].pcr[p], pcrs.banks[b].pcr[p],
				       req->banks[b].size);
	}
	if (log_path != NULL) {
		log = tu_read(log_path, &log_len);
		req->eventlog.p = log;
		req->eventlog.len = log_len;
	}
	if (ima_len > 0) {
		req->ima.p = malloc(ima_len);
		cr_assert_not_null(req->ima.p);
		memcpy(req->ima.p, ima, ima_len);
		req->ima.len = ima_len;
	}
	req->ima_offset = ima_offset;
	cr_assert_eq(wire_attest_req_encode(&body, &body_len, req, &err), 0, "%s", err.msg);
	bf_http(out, "POST", "/v1/attest", "application/cbor", body, body_len, NULL, 0);
	free(body);
	free(log);
	free(req->ima.p);
	free(quote);
	free(sig);
	free(req);
}

long long bf_metric(const char *series)
{
	struct bf_resp r;
	const char *p;
	long long v = -1;

	bf_http(&r, "GET", "/metrics", NULL, NULL, 0, NULL, 0);
	cr_assert_eq(r.status, 200);
	cr_assert(strncmp(r.ctype, "text/plain", 10) == 0);
	/* a sample line: at the start of a line, the series, a blank, the value */
	for (p = r.body ? strstr((const char *)r.body, series) : NULL; p != NULL;
	     p = strstr(p + 1, series)) {
		if ((p == (const char *)r.body || p[-1] == '\n') && p[strlen(series)] == ' ') {
			v = strtoll(p + strlen(series) + 1, NULL, 10);
			break;
		}
	}
	bf_resp_free(&r);
	return v;
}

void bf_golden(tpmq_tpm *tpm, int corrupt)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs pcrs;
	char hex[65], *text = NULL;
	size_t len = 0, before;
	FILE *f;
	unsigned p, i;
	int waited;

	cr_assert_eq(tpmq_pcrsel_parse(&sel, "sha256:0,1,2,3,4,5,6,7,8", &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_pcr_read(&pcrs, tpm, &sel, &err), 0, "%s", err.msg);
	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	fprintf(f, "{\"sha256\": {");
	for (p = 0; p <= 8; p++) {
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x",
				 (unsigned)(pcrs.banks[0].pcr[p][i] ^ ((int)p == corrupt ? 0xff : 0)));
		fprintf(f, "%s\"%u\": \"%s\"", p ? ", " : "", p, hex);
	}
	fprintf(f, "}}\n");
	fclose(f);
	f = fopen(bf_path("policy/golden-pcrs.json"), "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
	/* reload: count "policy reloaded" lines before and after */
	text = (char *)tu_read(bf.log, &before);
	free(text);
	cr_assert_eq(kill(bf.broker_pid, SIGHUP), 0);
	for (waited = 0; waited < 5000; waited += 20) {
		text = (char *)tu_read(bf.log, &len);
		if (len > before && strstr(text + before, "policy reload") != NULL) {
			cr_assert(strstr(text + before, "policy reloaded") != NULL,
				  "reload refused: %s", text + before);
			free(text);
			return;
		}
		free(text);
		usleep(20000);
	}
	cr_assert_fail("the broker did not log a policy reload within 5 s");
}
