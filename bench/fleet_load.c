/*
 * fleet_load.c - thousands of simulated agents re-attesting against one
 * ephemera-broker: the fleet-size ramp of the hardening issue. Prints,
 * per fleet size, appraisals/s, the verdict latency distribution, errors,
 * and the broker's CPU, RSS and open descriptors read from /proc, then the
 * largest fleet held at the re-attestation period with p99 under the
 * limit.
 *
 * Each simulated agent is a software TPM identity (softtpm.c): its own EK
 * (P-256 or RSA-2048, TCG template) with an EK certificate from a CA this
 * program makes (--init-ca; the broker trusts it with --ek-trust), its own
 * restricted P-256 AK; it registers, answers the credential challenge by
 * doing ActivateCredential's work in software, then every PERIOD seconds
 * (+-10% jitter) runs a real round: GET /v1/challenge, a TPM2_Quote-shaped
 * TPMS_ATTEST over the fresh nonce signed by its AK, POST /v1/attest with
 * the PCR values (and the firmware event log they replay from, with
 * --eventlog), the wire_attest_req of proto/wire.h. Nothing is replayed or
 * cached on the broker's side: every round is a new nonce, a new quote, a
 * full appraisal and store writes.
 *
 * Transport: libcurl multi, one thread, HTTPS with TLS 1.3 and the
 * broker's pinned key. Two connection models, both measured:
 *   pool   transfers share a keep-alive pool (connections ~ requests in
 *          flight), like a few gateways relaying many agents;
 *   agent  one keep-alive connection per agent (each agent gets its own
 *          host name, a<i>.fleet, pointed at the broker with
 *          CURLOPT_CONNECT_TO, so curl never shares), like a real fleet.
 *
 * Latency is taken from the start of GET /v1/challenge to the verdict; the
 * generator's own lateness (start - due time) is printed as lag so that a
 * saturated generator cannot pass for a fast broker. Before any load, the
 * first agent sends a quote over a wrong nonce and one with a flipped
 * signature byte; both must be refused and a correct one accepted, or the
 * run stops (exit 3): the broker is really verifying these quotes.
 *
 * Usage: fleet_load --init-ca DIR
 *        fleet_load --broker URL --pin PIN --ca DIR [options]  (see usage())
 * bench/run-fleet-load.sh starts the broker and runs the ramp.
 *
 * Not here: starting or stopping the broker, building, the machine line
 * (the script); any TPM (softtpm.c is software by design).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "eph_file.h"
#include "eph_rng.h"
#include "evlog.h"
#include "softtpm.h"
#include "wire.h"

#define MAX_STEPS 16
#define MAX_RESP (64u << 10)
#define EVENTLOG_MAX (1u << 20)
#define QUOTE_PCRS 0x7ffu /* sha256:0-10, as the agent quotes by default */

enum state { ST_NEW, ST_REGISTER, ST_ACTIVATE, ST_READY, ST_CHALLENGE, ST_ATTEST, ST_FAILED };
enum bad { BAD_NONE, BAD_NONCE, BAD_SIG };
enum verdict { V_ACCEPTED, V_REFUSED, V_ERROR };

struct agent {
	unsigned idx;
	enum state st;
	char id[WIRE_MAX_TEXT];
	struct softtpm_ek *ek; /* until activated */
	struct softtpm_ak *ak;
	uint8_t *ek_cert;
	size_t ek_cert_len;
	uint64_t clock_base;   /* TPM clock (ms) at t = 0 of this run */
	uint32_t reset_count;
	CURL *easy;
	struct curl_slist *connect_to; /* one-connection-per-agent mode */
	uint8_t *body;                 /* request body in flight */
	size_t body_len;
	uint8_t *resp;
	size_t resp_len;
	int resp_over;
	double due, t_round, t_attest; /* s since start */
	uint8_t nonce[WIRE_NONCE_LEN];
	enum bad bad;
	enum verdict last;
	char last_code[64];
};

struct samples {
	double *v;
	size_t n, cap;
};

struct stats {
	size_t started, accepted, refused, errors;
	struct samples round, attest, lag;
	char first_err[320];
};

struct fleet {
	const char *pin;
	char base[128];      /* https://127.0.0.1:PORT */
	unsigned port;
	int per_agent;       /* connection model */
	CURLM *multi;
	struct curl_slist *hdrs;
	struct agent *ag;
	unsigned n_alloc, n_reg, n_fleet; /* allocated, registered, in the current fleet */
	unsigned *heap;
	size_t heap_n;
	double period, jitter;
	unsigned inflight;
	struct eph_rng rng;
	struct softtpm_ca *ca;
	enum softtpm_ek_alg ek_alg;
	struct softtpm_pcrs pcrs;
	uint8_t *eventlog;
	size_t eventlog_len;
	struct wire_attest_req *areq; /* scratch */
	/* phase */
	int schedule;                  /* start due rounds */
	double win_start, win_end;     /* rounds started in [start, end) are measured */
	struct stats st;
	unsigned reg_next, reg_end, reg_done, reg_ok, reg_cap, reg_inflight;
	char reg_err[320];
};

static double g_t0;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - g_t0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double urand(struct eph_rng *r)
{
	return (double)(eph_rng_next(r) >> 11) / 9007199254740992.0;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "fleet_load: %s: %s\n", what, msg);
	exit(1);
}

static void samples_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		double *p = realloc(s->v, cap * sizeof(*p));

		if (p == NULL)
			die("samples", "out of memory");
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

/* Percentile q (0..1) of sorted samples, ms. */
static double pct(const struct samples *s, double q)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = (size_t)(q * (double)s->n);
	return s->v[i < s->n ? i : s->n - 1] * 1e3;
}

static void stats_reset(struct stats *st)
{
	free(st->round.v);
	free(st->attest.v);
	free(st->lag.v);
	memset(st, 0, sizeof(*st));
}

/* ---------------------------------------------------------------------- */
/* Schedule: a min-heap of agents by due time                              */
/* ---------------------------------------------------------------------- */

static void heap_push(struct fleet *f, unsigned i)
{
	size_t k = f->heap_n++;

	while (k > 0) {
		size_t p = (k - 1) / 2;

		if (f->ag[f->heap[p]].due <= f->ag[i].due)
			break;
		f->heap[k] = f->heap[p];
		k = p;
	}
	f->heap[k] = i;
}

static unsigned heap_pop(struct fleet *f)
{
	unsigned top = f->heap[0], last = f->heap[--f->heap_n];
	size_t k = 0, c;

	while ((c = 2 * k + 1) < f->heap_n) {
		if (c + 1 < f->heap_n && f->ag[f->heap[c + 1]].due < f->ag[f->heap[c]].due)
			c++;
		if (f->ag[last].due <= f->ag[f->heap[c]].due)
			break;
		f->heap[k] = f->heap[c];
		k = c;
	}
	if (f->heap_n > 0)
		f->heap[k] = last;
	return top;
}

/* ---------------------------------------------------------------------- */
/* HTTP                                                                    */
/* ---------------------------------------------------------------------- */

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
	struct agent *a = ud;
	size_t len = size * n;
	uint8_t *q;

	if (a->resp_len + len > MAX_RESP) {
		a->resp_over = 1;
		return 0;
	}
	q = realloc(a->resp, a->resp_len + len);
	if (q == NULL)
		return 0;
	memcpy(q + a->resp_len, p, len);
	a->resp = q;
	a->resp_len += len;
	return len;
}

static void easy_setup(struct fleet *f, struct agent *a)
{
	CURL *c = curl_easy_init();
	CURLcode cc = CURLE_OK;

	if (c == NULL)
		die("curl", "curl_easy_init failed");
	cc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	cc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	cc |= curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, f->pin);
	/* The pin is the trust decision (self-signed broker), as in agentc. */
	cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	cc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	cc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	cc |= curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	cc |= curl_easy_setopt(c, CURLOPT_PRIVATE, a);
	cc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->hdrs);
	cc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "ephemera-fleet-load/" EPH_VERSION);
	if (cc != CURLE_OK)
		die("curl", "setting up a handle failed");
	a->easy = c;
}

/* Point the agent's handle at the broker in the current connection model. */
static void easy_model(struct fleet *f, struct agent *a)
{
	char map[160];

	curl_slist_free_all(a->connect_to);
	a->connect_to = NULL;
	if (f->per_agent) {
		if (snprintf(map, sizeof(map), "a%u.fleet:%u:127.0.0.1:%u", a->idx, f->port,
			     f->port) >= (int)sizeof(map))
			die("curl", "CONNECT_TO too long");
		a->connect_to = curl_slist_append(NULL, map);
		if (a->connect_to == NULL)
			die("curl", "out of memory");
	}
	curl_easy_setopt(a->easy, CURLOPT_CONNECT_TO, a->connect_to);
}

/* Start method path on a's handle; body (owned, may be NULL) for POST. */
static void http_start(struct fleet *f, struct agent *a, const char *path, uint8_t *body,
		       size_t len)
{
	char url[256];
	int n;

	if (f->per_agent)
		n = snprintf(url, sizeof(url), "https://a%u.fleet:%u%s", a->idx, f->port, path);
	else
		n = snprintf(url, sizeof(url), "%s%s", f->base, path);
	if (n < 0 || (size_t)n >= sizeof(url))
		die("url", "too long");
	free(a->body);
	a->body = body;
	a->body_len = len;
	free(a->resp);
	a->resp = NULL;
	a->resp_len = 0;
	a->resp_over = 0;
	curl_easy_setopt(a->easy, CURLOPT_URL, url);
	if (body == NULL) {
		curl_easy_setopt(a->easy, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(a->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (curl_multi_add_handle(f->multi, a->easy) != CURLM_OK)
		die("curl", "curl_multi_add_handle failed");
	f->inflight++;
}

/* The broker's wire_error of a refusal, or what went wrong on the way. */
static void describe(char *out, size_t cap, struct agent *a, CURLcode cc, long status)
{
	struct wire_error we;

	if (cc != CURLE_OK) {
		snprintf(out, cap, "transport: %s", curl_easy_strerror(cc));
		return;
	}
	memset(&we, 0, sizeof(we));
	if (a->resp_len > 0 && wire_error_decode(&we, a->resp, a->resp_len, NULL) == 0) {
		snprintf(out, cap, "HTTP %ld %.60s: %.200s", status, we.code, we.message);
		wire_error_free(&we);
		return;
	}
	snprintf(out, cap, "HTTP %ld (%zu-byte body)", status, a->resp_len);
}

/* ---------------------------------------------------------------------- */
/* Registration: register, ActivateCredential in software, activate        */
/* ---------------------------------------------------------------------- */

static void prepare(struct fleet *f, struct agent *a)
{
	struct eph_err err = {{0}};

	if (softtpm_ek_new(&a->ek, f->ek_alg, &err) < 0 ||
	    softtpm_ek_certify(&a->ek_cert, &a->ek_cert_len, f->ca, a->ek, 1000u + a->idx, &err) <
		    0 ||
	    softtpm_ak_new(&a->ak, a->ek, &err) < 0)
		die("softtpm", err.msg);
	/* A TPM that has been up for up to ~11 days, booted up to 50 times. */
	a->clock_base = eph_rng_next(&f->rng) % 1000000000u;
	a->reset_count = (uint32_t)(eph_rng_next(&f->rng) % 50u);
	easy_setup(f, a);
	easy_model(f, a);
}

static void reg_fail(struct fleet *f, struct agent *a, const char *msg)
{
	a->st = ST_FAILED;
	f->reg_done++;
	if (f->reg_err[0] == '\0')
		snprintf(f->reg_err, sizeof(f->reg_err), "agent %u: %.280s", a->idx, msg);
}

static void start_register(struct fleet *f, struct agent *a)
{
	struct wire_register_req req;
	struct eph_err err = {{0}};
	uint8_t *body = NULL;
	size_t len = 0;

	memset(&req, 0, sizeof(req));
	req.ek_cert.p = a->ek_cert;
	req.ek_cert.len = a->ek_cert_len;
	req.ek_pub.p = (uint8_t *)softtpm_ek_public(a->ek, &req.ek_pub.len);
	req.ak_pub.p = (uint8_t *)softtpm_ak_public(a->ak, &req.ak_pub.len);
	snprintf(req.hostname, sizeof(req.hostname), "fleet-%u", a->idx);
	memcpy(req.cvm, "none", 5);
	if (wire_register_req_encode(&body, &len, &req, &err) < 0)
		die("encode register", err.msg);
	a->st = ST_REGISTER;
	f->reg_inflight++;
	http_start(f, a, "/v1/agents/register", body, len);
}

static void on_register(struct fleet *f, struct agent *a, CURLcode cc, long status)
{
	struct wire_register_resp resp;
	struct wire_activate_req act;
	struct eph_err err = {{0}};
	uint8_t secret[64], *body = NULL;
	size_t slen = 0, len = 0;
	char msg[320];

	if (cc != CURLE_OK || status != 201) {
		describe(msg, sizeof(msg), a, cc, status);
		reg_fail(f, a, msg);
		return;
	}
	memset(&resp, 0, sizeof(resp));
	if (wire_register_resp_decode(&resp, a->resp, a->resp_len, &err) < 0) {
		reg_fail(f, a, err.msg);
		return;
	}
	snprintf(a->id, sizeof(a->id), "%s", resp.agent_id);
	if (softtpm_activate(secret, &slen, sizeof(secret), a->ek, softtpm_ak_name(a->ak),
			     SOFTTPM_NAME_LEN, resp.cred_blob.p, resp.cred_blob.len,
			     resp.cred_secret.p, resp.cred_secret.len, &err) < 0) {
		wire_register_resp_free(&resp);
		reg_fail(f, a, err.msg);
		return;
	}
	wire_register_resp_free(&resp);
	memset(&act, 0, sizeof(act));
	snprintf(act.agent_id, sizeof(act.agent_id), "%s", a->id);
	act.secret.p = secret;
	act.secret.len = slen;
	if (wire_activate_req_encode(&body, &len, &act, &err) < 0)
		die("encode activate", err.msg);
	explicit_bzero(secret, sizeof(secret));
	a->st = ST_ACTIVATE;
	http_start(f, a, "/v1/agents/activate", body, len);
}

static void on_activate(struct fleet *f, struct agent *a, CURLcode cc, long status)
{
	char msg[320];

	if (a->body != NULL)
		explicit_bzero(a->body, a->body_len); /* held the secret */
	if (cc != CURLE_OK || status != 200) {
		describe(msg, sizeof(msg), a, cc, status);
		reg_fail(f, a, msg);
		return;
	}
	a->st = ST_READY;
	f->reg_done++;
	f->reg_ok++;
	/* The EK's work is done; a real agent keeps it in the TPM. */
	softtpm_ek_free(a->ek);
	a->ek = NULL;
	softtpm_free(a->ek_cert);
	a->ek_cert = NULL;
}

/* ---------------------------------------------------------------------- */
/* Attestation rounds                                                      */
/* ---------------------------------------------------------------------- */

static void start_round(struct fleet *f, struct agent *a, double now)
{
	char path[WIRE_MAX_TEXT + 32];

	a->t_round = now;
	a->st = ST_CHALLENGE;
	if (now >= f->win_start && now < f->win_end) {
		f->st.started++;
		samples_add(&f->st.lag, now - a->due);
	}
	if (snprintf(path, sizeof(path), "/v1/challenge?agent=%s", a->id) >= (int)sizeof(path))
		die("url", "agent id too long");
	http_start(f, a, path, NULL, 0);
}

static void round_done(struct fleet *f, struct agent *a, enum verdict v, const char *code,
		       const char *msg)
{
	double now = now_s();
	int measured = a->t_round >= f->win_start && a->t_round < f->win_end;

	a->last = v;
	snprintf(a->last_code, sizeof(a->last_code), "%s", code ? code : "");
	a->st = ST_READY;
	if (measured) {
		if (v == V_ACCEPTED) {
			f->st.accepted++;
			samples_add(&f->st.round, now - a->t_round);
			samples_add(&f->st.attest, now - a->t_attest);
		} else {
			if (v == V_REFUSED)
				f->st.refused++;
			else
				f->st.errors++;
			if (f->st.first_err[0] == '\0')
				snprintf(f->st.first_err, sizeof(f->st.first_err), "agent %u: %.280s",
					 a->idx, msg);
		}
	}
	if (a->bad != BAD_NONE || a->idx >= f->n_fleet)
		return;
	/* The next round: one period after this one started, +-jitter. */
	a->due = a->t_round + f->period * (1.0 + f->jitter * (2.0 * urand(&f->rng) - 1.0));
	heap_push(f, a->idx);
}

static void on_challenge(struct fleet *f, struct agent *a, CURLcode cc, long status)
{
	struct wire_challenge_resp ch;
	struct wire_attest_req *req = f->areq;
	struct softtpm_clock clk;
	struct eph_err err = {{0}};
	uint8_t quote[SOFTTPM_ATTEST_MAX], sig[SOFTTPM_SIG_MAX], qnonce[WIRE_NONCE_LEN];
	uint8_t *body = NULL;
	size_t qlen = 0, slen = 0, len = 0;
	char msg[320];
	unsigned i;

	if (cc != CURLE_OK || status != 200) {
		describe(msg, sizeof(msg), a, cc, status);
		round_done(f, a, cc == CURLE_OK && status < 500 ? V_REFUSED : V_ERROR, NULL, msg);
		return;
	}
	memset(&ch, 0, sizeof(ch));
	if (wire_challenge_resp_decode(&ch, a->resp, a->resp_len, &err) < 0) {
		round_done(f, a, V_ERROR, NULL, err.msg);
		return;
	}
	memcpy(a->nonce, ch.nonce, WIRE_NONCE_LEN);
	wire_challenge_resp_free(&ch);
	memcpy(qnonce, a->nonce, WIRE_NONCE_LEN);
	if (a->bad == BAD_NONCE)
		qnonce[0] ^= 0x01; /* quote over another nonce than the one sent */
	clk.clock_ms = a->clock_base + (uint64_t)(now_s() * 1e3);
	clk.reset_count = a->reset_count;
	clk.restart_count = 0;
	clk.firmware_version = 0x2019102300163636ull;
	if (softtpm_quote(quote, &qlen, sig, &slen, a->ak, &clk, qnonce, sizeof(qnonce), &f->pcrs,
			  &err) < 0)
		die("softtpm quote", err.msg);
	if (a->bad == BAD_SIG)
		sig[slen - 1] ^= 0x01; /* the last byte of s */

	memset(req, 0, sizeof(*req));
	snprintf(req->agent_id, sizeof(req->agent_id), "%s", a->id);
	memcpy(req->nonce, a->nonce, WIRE_NONCE_LEN);
	req->quote.p = quote;
	req->quote.len = qlen;
	req->sig.p = sig;
	req->sig.len = slen;
	req->num_banks = 1;
	req->banks[0].alg = 0x000b; /* sha256 */
	req->banks[0].size = 32;
	req->banks[0].mask = f->pcrs.mask;
	for (i = 0; i < 24; i++)
		if (f->pcrs.mask & (1u << i))
			memcpy(req->banks[0].pcr[i], f->pcrs.pcr[i], 32);
	req->eventlog.p = f->eventlog;
	req->eventlog.len = f->eventlog_len;
	if (wire_attest_req_encode(&body, &len, req, &err) < 0)
		die("encode attest", err.msg);
	a->st = ST_ATTEST;
	a->t_attest = now_s();
	http_start(f, a, "/v1/attest", body, len);
}

static void on_attest(struct fleet *f, struct agent *a, CURLcode cc, long status)
{
	struct wire_attest_resp *resp;
	struct wire_error we;
	struct eph_err err = {{0}};
	char msg[320];

	if (cc != CURLE_OK || status != 200) {
		describe(msg, sizeof(msg), a, cc, status);
		memset(&we, 0, sizeof(we));
		if (cc == CURLE_OK && a->resp_len > 0 &&
		    wire_error_decode(&we, a->resp, a->resp_len, NULL) == 0) {
			round_done(f, a, status < 500 ? V_REFUSED : V_ERROR, we.code, msg);
			wire_error_free(&we);
		} else {
			round_done(f, a, V_ERROR, NULL, msg);
		}
		return;
	}
	resp = calloc(1, sizeof(*resp));
	if (resp == NULL)
		die("attest", "out of memory");
	if (wire_attest_resp_decode(resp, a->resp, a->resp_len, &err) < 0)
		round_done(f, a, V_ERROR, NULL, err.msg);
	else if (strcmp(resp->directive, "continue") != 0)
		round_done(f, a, V_REFUSED, resp->directive, "directive is not continue");
	else
		round_done(f, a, V_ACCEPTED, NULL, NULL);
	wire_attest_resp_free(resp);
	free(resp);
}

/* ---------------------------------------------------------------------- */
/* The loop                                                                */
/* ---------------------------------------------------------------------- */

static void on_done(struct fleet *f, CURL *e, CURLcode cc)
{
	struct agent *a = NULL;
	long status = 0;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&a);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(f->multi, e);
	f->inflight--;
	if (a->resp_over)
		cc = CURLE_FILESIZE_EXCEEDED;
	switch (a->st) {
	case ST_REGISTER:
		f->reg_inflight--;
		on_register(f, a, cc, status);
		if (a->st != ST_ACTIVATE)
			break;
		f->reg_inflight++;
		break;
	case ST_ACTIVATE:
		f->reg_inflight--;
		on_activate(f, a, cc, status);
		break;
	case ST_CHALLENGE:
		on_challenge(f, a, cc, status);
		break;
	case ST_ATTEST:
		on_attest(f, a, cc, status);
		break;
	default:
		die("loop", "a transfer finished for an idle agent");
	}
	if (a->st != ST_REGISTER && a->st != ST_ACTIVATE && a->st != ST_CHALLENGE &&
	    a->st != ST_ATTEST) {
		free(a->body);
		a->body = NULL;
		free(a->resp);
		a->resp = NULL;
		a->resp_len = 0;
	}
}

/*
 * Run until t_end (s since start) and, if drain, until nothing is in
 * flight; registrations are started while reg_next < reg_end, at most
 * reg_cap at a time, and the loop also ends once they are all done.
 */
static void run(struct fleet *f, double t_end, int drain)
{
	for (;;) {
		double now = now_s(), wait;
		CURLMsg *m;
		int running = 0, left = 0, ms;

		while (f->reg_next < f->reg_end && f->reg_inflight < f->reg_cap)
			start_register(f, &f->ag[f->reg_next++]);
		while (f->schedule && f->heap_n > 0 && f->ag[f->heap[0]].due <= now)
			start_round(f, &f->ag[heap_pop(f)], now);
		if (f->reg_end > 0 && f->reg_next == f->reg_end && f->reg_inflight == 0)
			break;
		if (now >= t_end && (!drain || f->inflight == 0))
			break;
		if (curl_multi_perform(f->multi, &running) != CURLM_OK)
			die("curl", "curl_multi_perform failed");
		while ((m = curl_multi_info_read(f->multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE)
				on_done(f, m->easy_handle, m->data.result);
		wait = t_end - now_s();
		if (f->schedule && f->heap_n > 0 && f->ag[f->heap[0]].due - now_s() < wait)
			wait = f->ag[f->heap[0]].due - now_s();
		ms = wait <= 0 ? 0 : wait > 0.1 ? 100 : (int)(wait * 1e3);
		if (curl_multi_poll(f->multi, NULL, 0, ms, NULL) != CURLM_OK)
			die("curl", "curl_multi_poll failed");
	}
}

/* ---------------------------------------------------------------------- */
/* The broker's process, from /proc                                        */
/* ---------------------------------------------------------------------- */

struct proc_sample {
	double cpu_s;       /* utime + stime */
	double wait_s;      /* time runnable but waiting for a CPU (schedstat) */
	unsigned long rss_kb, hwm_kb;
	unsigned fds;
};

/* Read a small /proc file into buf as a C string; -1 when unreadable. */
static int proc_text(char *buf, size_t cap, const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return -1;
	n = fread(buf, 1, cap - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return 0;
}

static int proc_read(struct proc_sample *ps, long pid)
{
	char path[64], buf[4096], *p, *end;
	unsigned long long ut = 0, st = 0;
	struct dirent *de;
	int field;
	DIR *d;

	memset(ps, 0, sizeof(*ps));
	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (proc_text(buf, sizeof(buf), path) < 0)
		return -1;
	/* Fields after "(comm)": 3 state ... 14 utime, 15 stime. */
	p = strrchr(buf, ')');
	for (field = 3; p != NULL && field <= 15; field++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			break;
		if (field == 14)
			ut = strtoull(p + 1, &end, 10);
		if (field == 15)
			st = strtoull(p + 1, &end, 10);
	}
	ps->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	/* schedstat: on-CPU ns, run-queue wait ns, timeslices. The wait shows
	 * what the other work on these cores costs the broker. */
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	if (proc_text(buf, sizeof(buf), path) == 0) {
		p = strchr(buf, ' ');
		if (p != NULL)
			ps->wait_s = (double)strtoull(p + 1, &end, 10) / 1e9;
	}
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (proc_text(buf, sizeof(buf), path) == 0) {
		p = strstr(buf, "VmRSS:");
		if (p != NULL)
			ps->rss_kb = strtoul(p + 6, &end, 10);
		p = strstr(buf, "VmHWM:");
		if (p != NULL)
			ps->hwm_kb = strtoul(p + 6, &end, 10);
	}
	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL)
			ps->fds += de->d_name[0] != '.';
		closedir(d);
	}
	return 0;
}

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------------- */
/* Phases                                                                  */
/* ---------------------------------------------------------------------- */

static void new_multi(struct fleet *f)
{
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi); /* closes the cached connections */
	f->multi = curl_multi_init();
	if (f->multi == NULL)
		die("curl", "curl_multi_init failed");
	/* Keep every agent's connection in "agent" mode; a pool otherwise. */
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)(f->n_alloc + 64));
}

/* Grow the registered fleet to n agents; prints the rates. */
static int grow(struct fleet *f, unsigned n, long broker_pid)
{
	struct proc_sample b0, b1;
	double t0, t1, t2;
	unsigned i, from = f->n_reg;

	if (n <= from)
		return 0;
	t0 = now_s();
	for (i = from; i < n; i++)
		prepare(f, &f->ag[i]);
	t1 = now_s();
	proc_read(&b0, broker_pid);
	f->reg_next = from;
	f->reg_end = n;
	f->reg_done = from;
	f->reg_ok = 0;
	f->schedule = 0;
	run(f, 1e18, 1);
	t2 = now_s();
	proc_read(&b1, broker_pid);
	f->reg_end = f->reg_next = 0;
	f->n_reg = n;
	printf("register  +%u agents: EK+cert+AK made in %.2f s (%.0f/s); register+activate "
	       "%.2f s: %.0f agents/s, broker CPU %.0f%%; %u ok\n",
	       n - from, t1 - t0, (n - from) / (t1 - t0 > 0 ? t1 - t0 : 1e-9), t2 - t1,
	       (n - from) / (t2 - t1 > 0 ? t2 - t1 : 1e-9),
	       t2 > t1 ? 100.0 * (b1.cpu_s - b0.cpu_s) / (t2 - t1) : 0.0, f->reg_ok);
	fflush(stdout);
	if (f->reg_ok != n - from) {
		fprintf(stderr, "fleet_load: registration failed: %s\n", f->reg_err);
		return -1;
	}
	return 0;
}

/* One round of agent 0 with the given defect; returns its verdict. */
static enum verdict one_round(struct fleet *f, enum bad bad, char *code, size_t cap)
{
	struct agent *a = &f->ag[0];

	a->bad = bad;
	f->schedule = 0;
	f->win_start = f->win_end = -1;
	start_round(f, a, now_s());
	run(f, 0, 1);
	a->bad = BAD_NONE;
	snprintf(code, cap, "%s", a->last_code);
	return a->last;
}

static int self_check(struct fleet *f)
{
	static const char *const vname[] = {"accepted", "refused", "error"};
	char code[64];
	enum verdict v;
	int bad = 0;

	v = one_round(f, BAD_NONCE, code, sizeof(code));
	printf("check     quote over a wrong nonce: %s%s%s (must be refused)\n", vname[v],
	       code[0] ? " " : "", code);
	bad |= v != V_REFUSED;
	v = one_round(f, BAD_SIG, code, sizeof(code));
	printf("check     quote with a flipped signature byte: %s%s%s (must be refused)\n",
	       vname[v], code[0] ? " " : "", code);
	bad |= v != V_REFUSED;
	v = one_round(f, BAD_NONE, code, sizeof(code));
	printf("check     correct quote: %s%s%s (must be accepted)\n", vname[v],
	       code[0] ? " " : "", code);
	bad |= v != V_ACCEPTED;
	fflush(stdout);
	return bad ? -1 : 0;
}

struct step_result {
	unsigned agents;
	int held;
	double rate, p50, p99, max;
};

/* Run the fleet of n agents: warm-up, then the measured window. */
static void step(struct step_result *out, struct fleet *f, unsigned n, double warmup,
		 double window, double p99_limit, long broker_pid)
{
	struct proc_sample b0, b1;
	double now, c0, c1, target, lag99;
	unsigned i;
	int held;

	/* Everyone's next round somewhere in the coming period, as a fleet that
	 * has been running a while would be spread. */
	f->n_fleet = n;
	f->heap_n = 0;
	now = now_s();
	for (i = 0; i < n; i++) {
		f->ag[i].due = now + f->period * urand(&f->rng);
		heap_push(f, i);
	}
	stats_reset(&f->st);
	f->schedule = 1;
	f->win_start = now + warmup;
	f->win_end = f->win_start + window;
	run(f, f->win_start, 0);
	proc_read(&b0, broker_pid);
	c0 = self_cpu();
	run(f, f->win_end, 0);
	proc_read(&b1, broker_pid);
	c1 = self_cpu();
	/* Rounds started in the window finish (and count); no new ones start. */
	f->schedule = 0;
	run(f, 0, 1);

	qsort(f->st.round.v, f->st.round.n, sizeof(double), cmp_double);
	qsort(f->st.attest.v, f->st.attest.n, sizeof(double), cmp_double);
	qsort(f->st.lag.v, f->st.lag.n, sizeof(double), cmp_double);
	target = n / f->period;
	lag99 = pct(&f->st.lag, 0.99);
	out->agents = n;
	out->rate = f->st.accepted / window;
	out->p50 = pct(&f->st.round, 0.50);
	out->p99 = pct(&f->st.round, 0.99);
	out->max = f->st.round.n ? f->st.round.v[f->st.round.n - 1] * 1e3 : 0;
	/* Held: no refusal or error, p99 under the limit, the whole fleet served
	 * (within jitter), and the generator on time. */
	held = f->st.refused == 0 && f->st.errors == 0 && f->st.accepted > 0 &&
	       out->p99 < p99_limit && out->rate >= 0.9 * target && lag99 < p99_limit;
	out->held = held;
	printf("%-5s %7u %8.1f %7zu %8zu %7zu %6zu %8.1f %6.1f %6.1f %6.1f %7.1f %7.1f %7.1f "
	       "%7.0f%% %7.0f%% %8.1f %6u %6.0f%%  %s\n",
	       f->per_agent ? "agent" : "pool", n, target, f->st.started, f->st.accepted,
	       f->st.refused, f->st.errors, out->rate, out->p50, pct(&f->st.round, 0.90),
	       out->p99, out->max, pct(&f->st.attest, 0.99), lag99,
	       100.0 * (b1.cpu_s - b0.cpu_s) / window, 100.0 * (b1.wait_s - b0.wait_s) / window,
	       b1.rss_kb / 1024.0, b1.fds,
	       100.0 * (c1 - c0) / window, held ? "yes" : "NO");
	if (f->st.first_err[0] != '\0')
		printf("          first failure: %s\n", f->st.first_err);
	fflush(stdout);
}

static void header(void)
{
	printf("%-5s %7s %8s %7s %8s %7s %6s %8s %6s %6s %6s %7s %7s %7s %8s %8s %8s %6s %7s  "
	       "%s\n",
	       "conn", "agents", "target/s", "rounds", "accepted", "refused", "errors",
	       "apprs/s", "p50", "p90", "p99", "max", "att_p99", "lag_p99", "brk_cpu", "brk_wait",
	       "brk_rssMB", "brkfds", "gen_cpu", "held");
	fflush(stdout);
}

/* The ramp in one connection model; returns the largest fleet held. */
static unsigned ramp(struct fleet *f, const unsigned *steps, unsigned nsteps, double warmup,
		     double window, double p99_limit, long broker_pid, struct step_result *best)
{
	struct step_result r;
	unsigned s, held = 0, i;

	new_multi(f);
	for (i = 0; i < f->n_reg; i++)
		easy_model(f, &f->ag[i]);
	memset(best, 0, sizeof(*best));
	for (s = 0; s < nsteps; s++) {
		if (grow(f, steps[s], broker_pid) < 0)
			break;
		step(&r, f, steps[s], warmup, window, p99_limit, broker_pid);
		if (!r.held)
			break;
		held = steps[s];
		*best = r;
	}
	return held;
}

/* ---------------------------------------------------------------------- */
/* Setup                                                                   */
/* ---------------------------------------------------------------------- */

static int init_ca(const char *dir)
{
	struct softtpm_ca *ca = NULL;
	struct eph_err err = {{0}};
	char trust[512], cert[600], key[600];

	snprintf(trust, sizeof(trust), "%s/trust", dir);
	if (snprintf(cert, sizeof(cert), "%s/fleet-ek-ca.pem", trust) >= (int)sizeof(cert) ||
	    snprintf(key, sizeof(key), "%s/fleet-ek-ca.key", dir) >= (int)sizeof(key))
		die("--init-ca", "path too long");
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || (mkdir(trust, 0700) < 0 && errno != EEXIST))
		die("--init-ca", "cannot make the folder");
	if (softtpm_ca_new(&ca, &err) < 0 || softtpm_ca_write(ca, cert, key, &err) < 0)
		die("--init-ca", err.msg);
	softtpm_ca_free(ca);
	printf("EK CA: %s (the broker's --ek-trust %s), key %s\n", cert, trust, key);
	return 0;
}

/* PCR values: the SHA-256 bank the event log replays to, else zeros. */
static void load_pcrs(struct fleet *f, const char *path)
{
	static struct evlog_replay rp;
	const struct evlog_bank *b;
	struct eph_err err = {{0}};
	evlog_log *log = NULL;
	unsigned i;

	memset(&f->pcrs, 0, sizeof(f->pcrs));
	f->pcrs.mask = QUOTE_PCRS;
	if (path == NULL)
		return;
	if (eph_file_read(&f->eventlog, &f->eventlog_len, path, EVENTLOG_MAX, &err) < 0 ||
	    evlog_parse(&log, f->eventlog, f->eventlog_len, EVLOG_F_ALLOW_PADDING, &err) < 0 ||
	    evlog_replay(&rp, log, &err) < 0)
		die("--eventlog", err.msg);
	evlog_free(log);
	b = evlog_replay_bank(&rp, 0x000b);
	if (b == NULL)
		die("--eventlog", "the log has no sha256 bank");
	for (i = 0; i < 24; i++)
		memcpy(f->pcrs.pcr[i], b->pcr[i], 32);
}

static void usage(void)
{
	fputs("usage: fleet_load --init-ca DIR\n"
	      "       fleet_load --broker https://127.0.0.1:PORT --pin sha256//... --ca DIR\n"
	      "                  [--broker-pid PID] [--eventlog FILE] [--ek p256|rsa]\n"
	      "                  [--steps 100,250,...] [--period S] [--warmup S] [--window S]\n"
	      "                  [--p99-limit MS] [--conn pool|agent|both] [--seed N]\n",
	      stderr);
	exit(2);
}

static double num(const char *s, double lo, double hi)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
		usage();
	return v;
}

static unsigned parse_steps(unsigned *steps, const char *s)
{
	unsigned n = 0;
	char *end = NULL;

	while (*s != '\0') {
		unsigned long v;

		if (n == MAX_STEPS || *s < '0' || *s > '9')
			usage();
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno != 0 || v == 0 || v > 200000 || (n > 0 && v <= steps[n - 1]))
			usage();
		steps[n++] = (unsigned)v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			usage();
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"init-ca", required_argument, NULL, 'I'}, {"broker", required_argument, NULL, 'b'},
		{"pin", required_argument, NULL, 'p'},     {"ca", required_argument, NULL, 'c'},
		{"broker-pid", required_argument, NULL, 'P'},
		{"eventlog", required_argument, NULL, 'e'}, {"ek", required_argument, NULL, 'k'},
		{"steps", required_argument, NULL, 's'},   {"period", required_argument, NULL, 'T'},
		{"warmup", required_argument, NULL, 'u'},  {"window", required_argument, NULL, 'w'},
		{"p99-limit", required_argument, NULL, 'l'}, {"conn", required_argument, NULL, 'C'},
		{"seed", required_argument, NULL, 'S'},    {NULL, 0, NULL, 0}};
	static struct fleet fl;
	struct fleet *f = &fl;
	struct step_result best_pool, best_agent;
	struct eph_err err = {{0}};
	unsigned steps[MAX_STEPS] = {100, 250, 500, 1000, 2000, 4000, 8000};
	unsigned nsteps = 7, held_pool = 0, held_agent = 0, i;
	const char *broker = NULL, *cadir = NULL, *eventlog = NULL, *conn = "both";
	double warmup = 5, window = 15, p99_limit = 50;
	long broker_pid = 0;
	uint64_t seed = 1;
	char cert[600], key[600], *end = NULL;
	int opt, rc = 0;

	f->period = 10;
	f->jitter = 0.1;
	f->ek_alg = SOFTTPM_EK_P256;
	f->reg_cap = 16;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'I':
			return init_ca(optarg);
		case 'b':
			broker = optarg;
			break;
		case 'p':
			f->pin = optarg;
			break;
		case 'c':
			cadir = optarg;
			break;
		case 'P':
			broker_pid = (long)num(optarg, 1, 4194304);
			break;
		case 'e':
			eventlog = optarg;
			break;
		case 'k':
			if (strcmp(optarg, "p256") == 0)
				f->ek_alg = SOFTTPM_EK_P256;
			else if (strcmp(optarg, "rsa") == 0)
				f->ek_alg = SOFTTPM_EK_RSA2048;
			else
				usage();
			break;
		case 's':
			nsteps = parse_steps(steps, optarg);
			break;
		case 'T':
			f->period = num(optarg, 0.5, 3600);
			break;
		case 'u':
			warmup = num(optarg, 0, 600);
			break;
		case 'w':
			window = num(optarg, 1, 3600);
			break;
		case 'l':
			p99_limit = num(optarg, 1, 1e6);
			break;
		case 'C':
			if (strcmp(optarg, "pool") != 0 && strcmp(optarg, "agent") != 0 &&
			    strcmp(optarg, "both") != 0)
				usage();
			conn = optarg;
			break;
		case 'S':
			seed = (uint64_t)num(optarg, 0, 1e15);
			break;
		default:
			usage();
		}
	}
	if (broker == NULL || f->pin == NULL || cadir == NULL || nsteps == 0 || optind != argc)
		usage();
	/* https://127.0.0.1:PORT: the per-agent host names need the port. */
	if (strncmp(broker, "https://127.0.0.1:", 18) != 0)
		die("--broker", "expected https://127.0.0.1:PORT");
	f->port = (unsigned)strtoul(broker + 18, &end, 10);
	if (end == broker + 18 || (*end != '\0' && strcmp(end, "/") != 0) || f->port == 0 ||
	    f->port > 65535)
		die("--broker", "expected https://127.0.0.1:PORT");
	snprintf(f->base, sizeof(f->base), "https://127.0.0.1:%u", f->port);
	if (snprintf(cert, sizeof(cert), "%s/trust/fleet-ek-ca.pem", cadir) >= (int)sizeof(cert) ||
	    snprintf(key, sizeof(key), "%s/fleet-ek-ca.key", cadir) >= (int)sizeof(key))
		die("--ca", "path too long");
	if (softtpm_ca_load(&f->ca, cert, key, &err) < 0)
		die("--ca", err.msg);

	g_t0 = 0;
	g_t0 = now_s();
	eph_rng_seed(&f->rng, seed);
	load_pcrs(f, eventlog);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	f->hdrs = curl_slist_append(NULL, "Content-Type: application/cbor");
	f->hdrs = curl_slist_append(f->hdrs, "Accept: application/cbor");
	f->hdrs = curl_slist_append(f->hdrs, "Expect:");
	f->n_alloc = steps[nsteps - 1];
	f->ag = calloc(f->n_alloc, sizeof(*f->ag));
	f->heap = calloc(f->n_alloc, sizeof(*f->heap));
	f->areq = calloc(1, sizeof(*f->areq));
	if (f->hdrs == NULL || f->ag == NULL || f->heap == NULL || f->areq == NULL)
		die("setup", "out of memory");
	for (i = 0; i < f->n_alloc; i++)
		f->ag[i].idx = i;

	printf("fleet     EK %s with a certificate from the bench CA, AK ECDSA P-256 "
	       "(restricted), quote sha256:0-10%s; period %.1f s +-%.0f%%, warm-up %.0f s, "
	       "window %.0f s, limit p99 < %.0f ms\n",
	       f->ek_alg == SOFTTPM_EK_P256 ? "P-256" : "RSA-2048",
	       eventlog ? " + firmware event log" : "", f->period, f->jitter * 100, warmup,
	       window, p99_limit);
	new_multi(f);
	if (grow(f, 1, broker_pid) < 0 || self_check(f) < 0) {
		fprintf(stderr, "fleet_load: the correctness check failed: the broker does not "
				"verify these quotes as it should; no figures\n");
		rc = 3;
		goto out;
	}
	printf("latency ms: round = GET /v1/challenge start -> verdict; att_p99 = POST "
	       "/v1/attest alone; lag = how late the generator started rounds\n");
	header();
	memset(&best_pool, 0, sizeof(best_pool));
	memset(&best_agent, 0, sizeof(best_agent));
	if (strcmp(conn, "agent") != 0) {
		f->per_agent = 0;
		held_pool = ramp(f, steps, nsteps, warmup, window, p99_limit, broker_pid,
				 &best_pool);
	}
	if (strcmp(conn, "pool") != 0) {
		f->per_agent = 1;
		held_agent = ramp(f, steps, nsteps, warmup, window, p99_limit, broker_pid,
				  &best_agent);
	}
	if (strcmp(conn, "agent") != 0)
		printf("figure    pool connections: largest fleet held at a %.0f s period with "
		       "p99 < %.0f ms: %u agents (%.0f appraisals/s, p50 %.1f ms, p99 %.1f ms)%s\n",
		       f->period, p99_limit, held_pool, best_pool.rate, best_pool.p50,
		       best_pool.p99, held_pool == steps[nsteps - 1] ? " - the largest step, "
		       "not a limit" : "");
	if (strcmp(conn, "pool") != 0)
		printf("figure    one connection per agent: largest fleet held at a %.0f s period "
		       "with p99 < %.0f ms: %u agents (%.0f appraisals/s, p50 %.1f ms, p99 %.1f "
		       "ms)%s\n",
		       f->period, p99_limit, held_agent, best_agent.rate, best_agent.p50,
		       best_agent.p99, held_agent == steps[nsteps - 1] ? " - the largest step, "
		       "not a limit" : "");
out:
	for (i = 0; i < f->n_alloc; i++) {
		struct agent *a = &f->ag[i];

		if (a->easy != NULL) {
			curl_multi_remove_handle(f->multi, a->easy);
			curl_easy_cleanup(a->easy);
		}
		curl_slist_free_all(a->connect_to);
		softtpm_ek_free(a->ek);
		softtpm_ak_free(a->ak);
		softtpm_free(a->ek_cert);
		free(a->body);
		free(a->resp);
	}
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->hdrs);
	curl_global_cleanup();
	stats_reset(&f->st);
	softtpm_ca_free(f->ca);
	free(f->eventlog);
	free(f->ag);
	free(f->heap);
	free(f->areq);
	return rc;
}
