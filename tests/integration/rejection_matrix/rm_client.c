/*
 * rm_client.c - the matrix's agent and requester: HTTPS through libcurl
 * (TLS 1.3, the broker's key pinned), bodies through the wire encoders,
 * evidence through libtpmq against the swtpm, tokens through cwt_sign.
 * Everything here builds GOOD input; the rows spoil it.
 *
 * Not here: starting anything (rm_fixture.c), judging answers (the rows).
 */
#include "rm_fixture.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "cwt.h"
#include "testutil.h"

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct rm_resp *r = ctx;
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

void rm_http(struct rm_resp *out, const char *method, const char *path, const char *ctype,
	     const uint8_t *body, size_t len, const char *accept)
{
	static const uint8_t none[1];
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[512], hdr[256];
	char *ct = NULL;

	memset(out, 0, sizeof(*out));
	cr_assert_not_null(c);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u%s", rm.port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, rm.pin);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
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
	if (strcmp(method, "POST") == 0) {
		/* an empty POST is still a POST with Content-Length: 0 */
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : none);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	out->curl_rc = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		snprintf(out->ctype, sizeof(out->ctype), "%s", ct);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

void rm_resp_free(struct rm_resp *r)
{
	free(r->body);
	r->body = NULL;
}

void rm_register(struct rm_resp *out, const uint8_t *ek_cert, size_t ek_cert_len,
		 const uint8_t *ak_pub, size_t ak_pub_len)
{
	struct eph_err err = {{0}};
	struct wire_register_req req;
	uint8_t *body = NULL;
	size_t body_len = 0;

	memset(&req, 0, sizeof(req));
	req.ek_cert.p = (uint8_t *)ek_cert;
	req.ek_cert.len = ek_cert_len;
	req.ek_pub.p = rm.ek_pub;
	req.ek_pub.len = rm.ek_pub_len;
	req.ak_pub.p = (uint8_t *)ak_pub;
	req.ak_pub.len = ak_pub_len;
	snprintf(req.hostname, sizeof(req.hostname), "rejection-matrix");
	snprintf(req.cvm, sizeof(req.cvm), "none");
	cr_assert_eq(wire_register_req_encode(&body, &body_len, &req, &err), 0, "%s", err.msg);
	rm_http(out, "POST", "/v1/agents/register", "application/cbor", body, body_len, NULL);
	free(body);
}

void rm_challenge(uint8_t nonce[WIRE_NONCE_LEN], const char *agent_id)
{
	struct wire_challenge_resp ch;
	struct eph_err err = {{0}};
	struct rm_resp r;
	char path[300];

	snprintf(path, sizeof(path), "/v1/challenge?agent=%s", agent_id);
	rm_http(&r, "GET", path, NULL, NULL, 0, NULL);
	cr_assert_eq(r.status, 200, "challenge: HTTP %ld", r.status);
	cr_assert_eq(wire_challenge_resp_decode(&ch, r.body, r.len, &err), 0, "%s", err.msg);
	memcpy(nonce, ch.nonce, WIRE_NONCE_LEN);
	wire_challenge_resp_free(&ch);
	rm_resp_free(&r);
}

struct wire_attest_req *rm_attest_build(const char *agent_id, const uint8_t *req_nonce,
					const uint8_t *quote_nonce)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs pcrs;
	struct wire_attest_req *req = calloc(1, sizeof(*req));
	uint8_t *quote = NULL, *sig = NULL;
	size_t quote_len = 0, sig_len = 0, log_len = 0;
	uint32_t b, p;

	cr_assert_not_null(req);
	cr_assert_eq(tpmq_pcrsel_parse(&sel, "sha1:0,1,2,3,4,5,6,7,8,9,10+"
					     "sha256:0,1,2,3,4,5,6,7,8,9,10",
				       &err),
		     0, "%s", err.msg);
	cr_assert_eq(tpmq_quote(&quote, &quote_len, &sig, &sig_len, rm.tpm, &sel, quote_nonce,
				WIRE_NONCE_LEN, &err),
		     0, "quote: %s", err.msg);
	cr_assert_eq(tpmq_pcr_read(&pcrs, rm.tpm, &sel, &err), 0, "%s", err.msg);
	snprintf(req->agent_id, sizeof(req->agent_id), "%s", agent_id);
	memcpy(req->nonce, req_nonce, WIRE_NONCE_LEN);
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
	req->eventlog.p = tu_read(rm.evlog, &log_len);
	req->eventlog.len = log_len;
	return req;
}

/* Every buffer of a request built here is the test's own malloc. */
void rm_attest_free(struct wire_attest_req *req)
{
	if (req == NULL)
		return;
	free(req->quote.p);
	free(req->sig.p);
	free(req->eventlog.p);
	free(req->ima.p);
	free(req->snp_report.p);
	free(req->snp_certs.p);
	free(req->tdx_quote.p);
	free(req);
}

void rm_attest_encode(uint8_t **body, size_t *len, const struct wire_attest_req *req)
{
	struct eph_err err = {{0}};

	cr_assert_eq(wire_attest_req_encode(body, len, req, &err), 0, "%s", err.msg);
}

long long rm_metric(const char *series)
{
	struct rm_resp r;
	const char *p;
	long long v = -1;

	rm_http(&r, "GET", "/metrics", NULL, NULL, 0, NULL);
	cr_assert_eq(r.status, 200);
	for (p = r.body ? strstr((const char *)r.body, series) : NULL; p != NULL;
	     p = strstr(p + 1, series)) {
		if ((p == (const char *)r.body || p[-1] == '\n') && p[strlen(series)] == ' ') {
			v = strtoll(p + strlen(series) + 1, NULL, 10);
			break;
		}
	}
	rm_resp_free(&r);
	return v;
}

void rm_cwt(uint8_t **tok, size_t *len, const char *key_pem, const char *iss, int64_t exp)
{
	struct cwt_claims c;
	struct eph_err err = {{0}};
	FILE *f = fopen(key_pem, "r");
	EVP_PKEY *k;

	cr_assert_not_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(k);
	memset(&c, 0, sizeof(c));
	c.present = CWT_REQUIRED_EPHEMERA | CWT_HAS_IAT | CWT_HAS_APP_CLASS;
	snprintf(c.iss, sizeof(c.iss), "%s", iss);
	snprintf(c.sub, sizeof(c.sub), "alice");
	snprintf(c.role, sizeof(c.role), "analyst");
	c.clearance = 2;
	c.sensitivity = CWT_SENS_INTERNAL;
	c.iat = exp - 3600;
	c.exp = exp;
	c.app.vcpu_milli = 1000;
	c.app.mem_mib = 1024;
	c.app.duration_s = 600;
	snprintf(c.app.cls, sizeof(c.app.cls), "batch");
	cr_assert_eq(cwt_sign(tok, len, &c, k, 0, &err), 0, "cwt_sign: %s", err.msg);
	EVP_PKEY_free(k);
}
