/*
 * test_rejection_matrix.c - the broker against every kind of bad evidence,
 * one row per line of a static table. Each row builds its bad input from
 * the good one (rm_client.c makes the good one), sends it to a real
 * ephemera-broker, and the table says what must come back: the HTTP
 * status, the wire error code and a substring of the reason naming the
 * fault. Then, for every row: the refusal is recorded (an attestation
 * verdict in the store, opened read-only, with that reason; or, for
 * requests that never become a verdict - registration, environments,
 * undecodable bodies - the broker's "refused" log line with status and
 * code), and no environment appeared in the store. Two good rows prove the
 * matrix can tell: the good attestation is accepted, the good CWT admits
 * one environment.
 *
 * The SEV-SNP debug and stale-TCB rows run against libsnp itself (kind
 * UNIT): libsnp pins AMD's ARKs by SHA-256, so no report the test could
 * sign reaches the broker's appraisal, and the one real report the shared
 * vectors hold cannot carry this test's nonce. See docs/security.md.
 *
 * One broker, one TPM, rows in order (~0.1-0.5 s each). A row that changes
 * the policy folder restores it in its .after hook.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "rm_fixture.h"
#include "rm_spoil.h"
#include "snp.h"
#include "testutil.h"

enum rec {
	REC_VERDICT,  /* a refused attestation in the store, with the reason */
	REC_ACCEPTED, /* an accepted attestation in the store */
	REC_LOG,      /* the broker's "refused" log line with status and code */
	REC_ENV,      /* an environment admitted (the good CWT) */
	REC_NONE,     /* UNIT rows: nothing is sent */
};

enum need { NEED_NONE = 0, NEED_SNP = 1, NEED_TDX = 2, NEED_VECTORS = 4 };

/* One request, as a row built it. */
struct rm_case {
	const char *method, *path, *ctype;
	char pathbuf[300];
	uint8_t *body;
	size_t len;
	char agent[WIRE_MAX_TEXT]; /* REC_VERDICT / REC_ACCEPTED: the agent id sent */
	void (*after)(void);       /* restore what the row changed */
	/* UNIT rows: what the library said */
	int unit_rc;
	char unit_msg[512];
};

struct row {
	const char *name;
	void (*build)(struct rm_case *c);
	long status;        /* HTTP status; UNIT rows: 0 */
	const char *code;   /* wire error code; UNIT rows: NULL */
	const char *reason; /* a substring of the message */
	enum rec rec;
	unsigned need;
};

/* ---- attestation rows ------------------------------------------------ */

static void attest_body(struct rm_case *c, struct wire_attest_req *req)
{
	snprintf(c->agent, sizeof(c->agent), "%s", req->agent_id);
	rm_attest_encode(&c->body, &c->len, req);
	rm_attest_free(req);
}

/* The good request of agent A over a fresh challenge. */
static struct wire_attest_req *good_req(void)
{
	uint8_t n[WIRE_NONCE_LEN];

	rm_use(&rm.a);
	rm_challenge(n, rm.a.id);
	return rm_attest_build(rm.a.id, n, n);
}

static void random_bytes(uint8_t *p, size_t n)
{
	FILE *f = fopen("/dev/urandom", "r");

	cr_assert_not_null(f);
	cr_assert_eq(fread(p, 1, n, f), n);
	fclose(f);
}

static void b_good(struct rm_case *c)
{
	attest_body(c, good_req());
}

static void b_nonce_never_issued(struct rm_case *c)
{
	uint8_t n[WIRE_NONCE_LEN];

	rm_use(&rm.a);
	random_bytes(n, sizeof(n));
	attest_body(c, rm_attest_build(rm.a.id, n, n));
}

static void b_quote_over_other_nonce(struct rm_case *c)
{
	uint8_t n[WIRE_NONCE_LEN], other[WIRE_NONCE_LEN];

	rm_use(&rm.a);
	rm_challenge(n, rm.a.id);
	random_bytes(other, sizeof(other));
	attest_body(c, rm_attest_build(rm.a.id, n, other));
}

static void b_replayed_nonce(struct rm_case *c)
{
	struct wire_attest_req *req = good_req();
	uint8_t *body = NULL, n[WIRE_NONCE_LEN];
	size_t len = 0;
	struct rm_resp r;

	rm_attest_encode(&body, &len, req);
	rm_http(&r, "POST", "/v1/attest", "application/cbor", body, len, NULL);
	free(body);
	cr_assert_eq(r.status, 200, "replayed nonce: the first use must be accepted (HTTP %ld)",
		     r.status);
	rm_resp_free(&r);
	memcpy(n, req->nonce, sizeof(n));
	rm_attest_free(req);
	/* a new quote over the nonce already consumed */
	attest_body(c, rm_attest_build(rm.a.id, n, n));
}

static void b_other_ak(struct rm_case *c)
{
	uint8_t n[WIRE_NONCE_LEN];

	rm_use(&rm.a);
	rm_challenge(n, rm.a.id);
	rm_use(&rm.b); /* B's AK signs, the request says A */
	attest_body(c, rm_attest_build(rm.a.id, n, n));
}

static void b_flip_sig(struct rm_case *c)
{
	struct wire_attest_req *req = good_req();

	req->sig.p[req->sig.len / 2] ^= 0x01;
	attest_body(c, req);
}

static void b_flip_quote(struct rm_case *c)
{
	struct wire_attest_req *req = good_req();

	req->quote.p[req->quote.len - 1] ^= 0x01; /* inside pcrDigest */
	attest_body(c, req);
}

static void b_pcr_mismatch(struct rm_case *c)
{
	struct wire_attest_req *req = good_req();
	uint32_t b;

	for (b = 0; b < req->num_banks; b++)
		if (req->banks[b].alg == EPH_ALG_SHA256)
			req->banks[b].pcr[7][0] ^= 0x01;
	attest_body(c, req);
}

static void unset_golden(void)
{
	rm_policy_file("policy/golden-pcrs.json", NULL);
}

static void b_pcr_not_golden(struct rm_case *c)
{
	rm_golden(7); /* the operator expects another Secure Boot configuration */
	c->after = unset_golden;
	attest_body(c, good_req());
}

static void b_evlog_tampered(struct rm_case *c)
{
	struct wire_attest_req *req = good_req();

	rm_evlog_spoil(req->eventlog.p, req->eventlog.len);
	attest_body(c, req);
}

static void unset_allowlist(void)
{
	rm_policy_file("policy/ima-allowlist.json", NULL);
}

static void b_ima_not_allowed(struct rm_case *c)
{
	/* the allowlist knows RM_IMA_ALLOWED (digest 11..11), not RM_IMA_ROGUE */
	static const char allowlist[] =
		"{\"digests\": {\"" RM_IMA_ALLOWED "\": "
		"[\"1111111111111111111111111111111111111111111111111111111111111111\"]}}\n";
	struct wire_attest_req *req;
	uint8_t *list;
	size_t len;

	rm_policy_file("policy/ima-allowlist.json", allowlist);
	c->after = unset_allowlist;
	rm_use(&rm.a);
	rm_ima_list(&list, &len, 0); /* measured into PCR 10 before the quote */
	free(list);
	req = good_req();
	rm_ima_list(&req->ima.p, &req->ima.len, 0);
	attest_body(c, req);
}

static void b_ima_edited(struct rm_case *c)
{
	struct wire_attest_req *req = NULL;
	uint8_t *list;
	size_t len;

	rm_use(&rm.a);
	rm_ima_list(&list, &len, 0); /* measured into PCR 10 before the quote */
	free(list);
	req = good_req();
	rm_ima_list(&req->ima.p, &req->ima.len, 1);
	attest_body(c, req);
}

static void b_unknown_agent(struct rm_case *c)
{
	uint8_t n[WIRE_NONCE_LEN];

	rm_use(&rm.a);
	rm_challenge(n, rm.a.id); /* a genuine nonce, but of A */
	attest_body(c, rm_attest_build("00000000-0000-4000-8000-0000000000aa", n, n));
}

/* ---- confidential-VM rows ---------------------------------------------- */

static void b_snp_unbound(struct rm_case *c)
{
	struct wire_attest_req *req = good_req();
	size_t vlen = 0;
	uint8_t *vcek = tu_read(tu_vector_path("snp/go-sev-guest/vcek.der"), &vlen);

	/* a genuine Milan report, verified through AMD's ARK; its REPORT_DATA
	 * is not SHA-512(this nonce || A's AK name) */
	req->snp_report.p = tu_read(tu_vector_path("snp/go-sev-guest/attestation.bin"),
				    &req->snp_report.len);
	req->snp_certs.p = rm_snp_certtable(&req->snp_certs.len, vcek, vlen);
	free(vcek);
	attest_body(c, req);
}

static void b_tdx_unbound(struct rm_case *c)
{
	struct wire_attest_req *req = good_req();

	req->tdx_quote.p = tu_read(tu_vector_path("tdx/trustee/tdx_quote_4.dat"),
				   &req->tdx_quote.len);
	attest_body(c, req);
}

/* libsnp on the genuine report: chain through AMD's pinned ARK, signature,
 * then appraisal with everything right but the one policy item. */
static void snp_unit(struct rm_case *c, int allow_debug, uint8_t min_snp)
{
	struct eph_err err = {{0}};
	struct snp_report rep;
	struct snp_policy pol;
	snp_roots *roots = NULL;
	snp_cert *vcek = NULL;
	uint8_t *raw, *der;
	size_t raw_len, der_len;

	raw = tu_read(tu_vector_path("snp/go-sev-guest/attestation.bin"), &raw_len);
	der = tu_read(tu_vector_path("snp/go-sev-guest/vcek.der"), &der_len);
	cr_assert_eq(snp_roots_new(&roots, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_roots_add_dir(roots, tu_vector_path("snp/amd-roots"), &err), 0, "%s",
		     err.msg);
	cr_assert_eq(snp_cert_parse(&vcek, der, der_len, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_verify(&rep, NULL, raw, raw_len, vcek, roots, time(NULL), &err), 0,
		     "the vector report must verify: %s", err.msg);
	memset(&pol, 0, sizeof(pol));
	pol.any_measurement = true;
	pol.allow_debug = allow_debug;
	pol.min_tcb.snp = min_snp;
	/* the report's own REPORT_DATA as the expected binding: bound */
	c->unit_rc = snp_appraise(NULL, &rep, &pol, rep.report_data, &err);
	snprintf(c->unit_msg, sizeof(c->unit_msg), "%s", err.msg);
	snp_cert_free(vcek);
	snp_roots_free(roots);
	free(raw);
	free(der);
}

static void u_snp_debug(struct rm_case *c)
{
	snp_unit(c, 0, 0); /* the vector guest's policy 0xb0000 has DEBUG set */
}

static void u_snp_stale_tcb(struct rm_case *c)
{
	snp_unit(c, 1, 6); /* its reported SNP firmware SPL is 5 */
}

/* ---- registration rows ------------------------------------------------- */

static void reg_body(struct rm_case *c, const uint8_t *ek_cert, size_t ek_cert_len,
		     const uint8_t *ak_pub, size_t ak_pub_len)
{
	struct eph_err err = {{0}};
	struct wire_register_req req;

	memset(&req, 0, sizeof(req));
	req.ek_cert.p = (uint8_t *)ek_cert;
	req.ek_cert.len = ek_cert_len;
	req.ek_pub.p = rm.ek_pub;
	req.ek_pub.len = rm.ek_pub_len;
	req.ak_pub.p = (uint8_t *)ak_pub;
	req.ak_pub.len = ak_pub_len;
	snprintf(req.hostname, sizeof(req.hostname), "rejection-matrix");
	snprintf(req.cvm, sizeof(req.cvm), "none");
	cr_assert_eq(wire_register_req_encode(&c->body, &c->len, &req, &err), 0, "%s", err.msg);
	c->path = "/v1/agents/register";
}

static void b_ek_other_ca(struct rm_case *c)
{
	size_t len = 0;
	uint8_t *cert = rm_ek_cert_other_ca(&len);

	reg_body(c, cert, len, rm.a.ak_pub, rm.a.ak_pub_len);
	free(cert);
}

static void b_ak_unrestricted(struct rm_case *c)
{
	reg_body(c, rm.ek_cert, rm.ek_cert_len, rm.ak_unrestricted, rm.ak_unrestricted_len);
}

static void b_ak_not_fixed(struct rm_case *c)
{
	reg_body(c, rm.ek_cert, rm.ek_cert_len, rm.ak_unfixed, rm.ak_unfixed_len);
}

static void b_not_activated(struct rm_case *c)
{
	struct eph_err err = {{0}};
	struct wire_register_resp resp;
	struct rm_resp r;
	uint8_t *pub = NULL, *priv = NULL;
	size_t pub_len = 0, priv_len = 0;

	/* registered (a genuine AK of this TPM) but never activated */
	cr_assert_eq(tpmq_create_ak(&pub, &pub_len, &priv, &priv_len, rm.tpm, TPMQ_ECC_P256,
				    &err),
		     0, "%s", err.msg);
	rm.loaded = NULL;
	rm_register(&r, rm.ek_cert, rm.ek_cert_len, pub, pub_len);
	cr_assert_eq(r.status, 201, "not activated: register HTTP %ld", r.status);
	cr_assert_eq(wire_register_resp_decode(&resp, r.body, r.len, &err), 0, "%s", err.msg);
	snprintf(c->pathbuf, sizeof(c->pathbuf), "/v1/challenge?agent=%s", resp.agent_id);
	wire_register_resp_free(&resp);
	rm_resp_free(&r);
	free(pub);
	free(priv);
	c->method = "GET";
	c->path = c->pathbuf;
}

/* ---- environment rows ------------------------------------------------- */

static void env_body(struct rm_case *c, const uint8_t *tok, size_t tok_len)
{
	struct eph_err err = {{0}};
	struct wire_env_create_req q;

	memset(&q, 0, sizeof(q));
	q.claims.p = (uint8_t *)tok;
	q.claims.len = tok_len;
	cr_assert_eq(wire_env_create_req_encode(&c->body, &c->len, &q, &err), 0, "%s", err.msg);
	c->path = "/v1/environments";
}

static void cwt_row(struct rm_case *c, const char *key, const char *iss, int64_t exp,
		    int flip_sig)
{
	uint8_t *tok = NULL;
	size_t len = 0;

	rm_cwt(&tok, &len, rm_path(key), iss, exp);
	if (flip_sig)
		tok[len - 1] ^= 0x01; /* the last byte of the ES256 signature */
	env_body(c, tok, len);
	free(tok);
}

static void b_cwt_good(struct rm_case *c)
{
	cwt_row(c, "issuer-key.pem", "test-issuer", (int64_t)time(NULL) + 3600, 0);
}

static void b_cwt_expired(struct rm_case *c)
{
	cwt_row(c, "issuer-key.pem", "test-issuer", (int64_t)time(NULL) - 3600, 0);
}

static void b_cwt_unknown_issuer(struct rm_case *c)
{
	cwt_row(c, "rogue-key.pem", "rogue-issuer", (int64_t)time(NULL) + 3600, 0);
}

static void b_cwt_bad_sig(struct rm_case *c)
{
	cwt_row(c, "issuer-key.pem", "test-issuer", (int64_t)time(NULL) + 3600, 1);
}

/* ---- body rows -------------------------------------------------------- */

static void b_oversized(struct rm_case *c)
{
	c->len = WIRE_MAX_BODY + 1;
	c->body = calloc(1, c->len);
	cr_assert_not_null(c->body);
}

static void b_truncated(struct rm_case *c)
{
	attest_body(c, good_req());
	c->len /= 2;
	c->agent[0] = '\0';
}

static void b_wrong_type(struct rm_case *c)
{
	attest_body(c, good_req());
	rm_cbor_wrong_type(c->body, c->len);
	c->agent[0] = '\0';
}

static void b_empty(struct rm_case *c)
{
	c->body = NULL;
	c->len = 0;
}

/* ---- the matrix ------------------------------------------------------- */

/* clang-format off */
static const struct row rows[] = {
	/* name                        build                      status code                    reason                                   recorded      needs */
	{"good attestation",           b_good,                    200, NULL,                     "accepted",                              REC_ACCEPTED, 0},
	{"wrong nonce (never issued)", b_nonce_never_issued,      403, "nonce-refused",          "nonce unknown",                         REC_VERDICT,  0},
	{"quote over another nonce",   b_quote_over_other_nonce,  403, "quote-refused",          "does not match the nonce",              REC_VERDICT,  0},
	{"replayed nonce",             b_replayed_nonce,          409, "nonce-replayed",         "nonce already used",                    REC_VERDICT,  0},
	{"quote from another AK",      b_other_ak,                403, "quote-refused",          "signature does not verify",             REC_VERDICT,  0},
	{"flipped signature byte",     b_flip_sig,                403, "quote-refused",          "signature does not verify",                             REC_VERDICT,  0},
	{"flipped quote byte",         b_flip_quote,              403, "quote-refused",          "signature does not verify",                             REC_VERDICT,  0},
	{"PCR values differ from quote", b_pcr_mismatch,          403, "quote-refused",          "pcrDigest does not match",              REC_VERDICT,  0},
	{"PCR outside golden values",  b_pcr_not_golden,          422, "policy-refused",         "PCR 7 = ",                              REC_VERDICT,  0},
	{"tampered event log",         b_evlog_tampered,          403, "eventlog-mismatch",      "does not replay",                       REC_VERDICT,  0},
	{"IMA entry not in allowlist", b_ima_not_allowed,         422, "policy-refused",         RM_IMA_ROGUE,                            REC_VERDICT,  0},
	{"IMA list edited",            b_ima_edited,              403, "ima-mismatch",           "template hash",                         REC_VERDICT,  0},
	{"unknown agent id",           b_unknown_agent,           404, "agent-unknown",          "not registered",                        REC_VERDICT,  0},
	{"SNP report_data not bound",  b_snp_unbound,             403, "snp-refused",            "report_data",                           REC_VERDICT,  NEED_SNP},
	{"TDX report_data not bound",  b_tdx_unbound,             403, "tdx-refused",            "nonce/AK not bound",                        REC_VERDICT,  NEED_TDX},
	{"SNP debug policy bit (libsnp)", u_snp_debug,            0,   NULL,                     "DEBUG",                                 REC_NONE,     NEED_VECTORS},
	{"SNP stale TCB (libsnp)",     u_snp_stale_tcb,           0,   NULL,                     "below the policy minimum",              REC_NONE,     NEED_VECTORS},
	{"EK cert from untrusted CA",  b_ek_other_ca,             403, "ek-cert-refused",        "local issuer",                              REC_LOG,      0},
	{"AK not restricted",          b_ak_unrestricted,         422, "policy-refused",         "restricted is missing",                          REC_LOG,      0},
	{"AK not fixedTPM",            b_ak_not_fixed,            422, "policy-refused",         "fixedTPM is missing",                            REC_LOG,      0},
	{"agent not activated",        b_not_activated,           403, "agent-not-activated",    "has not activated",                     REC_LOG,      0},
	{"good CWT",                   b_cwt_good,                201, NULL,                     "admitted",                              REC_ENV,      0},
	{"expired CWT",                b_cwt_expired,             401, "claims-refused",         "expired",                               REC_LOG,      0},
	{"CWT from unknown issuer",    b_cwt_unknown_issuer,      401, "claims-refused",         "is not trusted",                              REC_LOG,      0},
	{"CWT with bad signature",     b_cwt_bad_sig,             401, "claims-refused",         "signature does not verify",                           REC_LOG,      0},
	{"oversized body",             b_oversized,               413, "body-too-large",         "exceeds the limit",                     REC_LOG,      0},
	{"truncated CBOR",             b_truncated,               400, "malformed",              "truncated",                        REC_LOG,      0},
	{"CBOR wrong type for a key",  b_wrong_type,              400, "malformed",              "key 2 (agent_id): expected text",                              REC_LOG,      0},
	{"empty body",                 b_empty,                   400, "malformed",              "empty request body",                    REC_LOG,      0},
};
/* clang-format on */
#define NROWS (sizeof(rows) / sizeof(rows[0]))

TestSuite(rejection_matrix, .init = rm_setup, .fini = rm_teardown);

static int skipped(const struct row *row)
{
	if ((row->need & NEED_SNP) && !rm.have_snp)
		return 1;
	if ((row->need & NEED_TDX) && !rm.have_tdx)
		return 1;
	if ((row->need & NEED_VECTORS) && !rm.have_snp)
		return 1;
	return 0;
}

/* What a refusal looked like: the wire_error, or why it is not one. */
static int error_of(struct wire_error *we, const struct rm_resp *r, char *why, size_t n)
{
	struct eph_err err = {{0}};

	memset(we, 0, sizeof(*we));
	if (strcmp(r->ctype, "application/cbor") != 0) {
		snprintf(why, n, "content type \"%s\"", r->ctype);
		return -1;
	}
	if (wire_error_decode(we, r->body, r->len, &err) < 0) {
		snprintf(why, n, "not a wire_error: %s", err.msg);
		return -1;
	}
	return 0;
}

static void check_unit(const struct row *row, const struct rm_case *c)
{
	cr_log_info("[%s] libsnp %d: %s", row->name, c->unit_rc, c->unit_msg);
	cr_expect_eq(c->unit_rc, EPH_EPOLICY, "[%s] libsnp returned %d (%s), expected EPH_EPOLICY",
		     row->name, c->unit_rc, c->unit_msg);
	cr_expect(strstr(c->unit_msg, row->reason) != NULL, "[%s] \"%s\" not in \"%s\"",
		  row->name, row->reason, c->unit_msg);
}

static void check_reply(const struct row *row, const struct rm_resp *r)
{
	struct wire_error we;
	char why[300];

	cr_expect_eq(r->status, row->status, "[%s] HTTP %ld, expected %ld (see %s)", row->name,
		     r->status, row->status, rm.log);
	if (row->code == NULL)
		return;
	if (error_of(&we, r, why, sizeof(why)) < 0) {
		cr_expect_fail("[%s] the refusal is no wire_error: %s", row->name, why);
		return;
	}
	cr_log_info("[%s] %ld %s: %s", row->name, r->status, we.code, we.message);
	cr_expect_str_eq(we.code, row->code, "[%s] code \"%s\", expected \"%s\" (%s)", row->name,
			 we.code, row->code, we.message);
	cr_expect(strstr(we.message, row->reason) != NULL, "[%s] \"%s\" not in \"%s\"", row->name,
		  row->reason, we.message);
	wire_error_free(&we);
}

static void check_recorded(const struct row *row, const struct rm_case *c, long long verdicts0,
			   size_t log0)
{
	long long verdicts = rm_sql_int("SELECT count(*) FROM attestations", NULL);
	char pat[160], *log;

	switch (row->rec) {
	case REC_VERDICT:
	case REC_ACCEPTED:
		cr_expect_eq(verdicts, verdicts0 + 1, "[%s] %lld verdicts recorded, expected 1",
			     row->name, verdicts - verdicts0);
		cr_expect_str_eq(rm_sql_text("SELECT agent_id FROM attestations ORDER BY id DESC "
					     "LIMIT 1",
					     NULL),
				 c->agent, "[%s] the last verdict is not of agent %s", row->name,
				 c->agent);
		cr_expect_eq(rm_sql_int("SELECT accepted FROM attestations ORDER BY id DESC LIMIT 1",
					NULL),
			     row->rec == REC_ACCEPTED,
			     "[%s] the recorded verdict says accepted=%lld", row->name,
			     rm_sql_int("SELECT accepted FROM attestations ORDER BY id DESC LIMIT 1",
					NULL));
		if (row->rec == REC_VERDICT) {
			const char *reason = rm_sql_text("SELECT reason FROM attestations ORDER BY "
							 "id DESC LIMIT 1",
							 NULL);

			cr_expect(strstr(reason, row->reason) != NULL,
				  "[%s] recorded reason \"%s\" lacks \"%s\"", row->name, reason,
				  row->reason);
		}
		break;
	case REC_LOG:
		cr_expect_eq(verdicts, verdicts0, "[%s] %lld attestation verdicts appeared",
			     row->name, verdicts - verdicts0);
		snprintf(pat, sizeof(pat), " %ld %s: ", row->status, row->code);
		log = rm_log_since(log0);
		cr_expect(strstr(log, "refused") != NULL && strstr(log, pat) != NULL,
			  "[%s] no \"refused ...%s\" line in the broker log: %s", row->name, pat,
			  log);
		free(log);
		break;
	case REC_ENV:
	case REC_NONE:
		break;
	}
}

/* Every row must leave the broker running: a crash is a finding. */
static void broker_alive(const struct row *row)
{
	int st = 0;
	pid_t p = waitpid(rm.broker_pid, &st, WNOHANG);

	if (p == rm.broker_pid) {
		rm.broker_pid = 0;
		cr_assert_fail("[%s] the broker died (%s %d), see %s", row->name,
			       WIFSIGNALED(st) ? "signal" : "exit status",
			       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), rm.log);
	}
}

Test(rejection_matrix, every_bad_input_refused_with_its_reason_recorded_no_environment)
{
	size_t i, ran = 0, skip = 0;

	for (i = 0; i < NROWS; i++) {
		const struct row *row = &rows[i];
		struct rm_case c;
		struct rm_resp r;
		long long envs0, envs, verdicts0;
		size_t log0;

		if (skipped(row)) {
			cr_log_warn("SKIP [%s]: shared vectors folder %s is missing", row->name,
				    tu_vectors());
			skip++;
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.method = "POST";
		c.path = "/v1/attest";
		c.ctype = "application/cbor";
		envs0 = rm_sql_int("SELECT count(*) FROM environments", NULL);
		row->build(&c); /* may attest first (the replay row) */
		verdicts0 = rm_sql_int("SELECT count(*) FROM attestations", NULL);
		log0 = rm_log_size();
		if (row->rec == REC_NONE) {
			check_unit(row, &c);
		} else {
			rm_http(&r, c.method, c.path, strcmp(c.method, "GET") ? c.ctype : NULL,
				c.body, c.len, NULL);
			check_reply(row, &r);
			rm_resp_free(&r);
			check_recorded(row, &c, verdicts0, log0);
		}
		envs = rm_sql_int("SELECT count(*) FROM environments", NULL);
		cr_expect_eq(envs, envs0 + (row->rec == REC_ENV),
			     "[%s] environments %lld -> %lld", row->name, envs0, envs);
		if (row->rec == REC_ENV)
			cr_expect_str_eq(rm_sql_text("SELECT state FROM environments ORDER BY "
						     "created_at DESC LIMIT 1",
						     NULL),
					 "admitted", "[%s] the environment is not admitted",
					 row->name);
		free(c.body);
		broker_alive(row);
		if (c.after != NULL)
			c.after();
		ran++;
	}
	cr_log_info("rejection matrix: %zu rows run, %zu skipped", ran, skip);
	cr_assert_eq(ran + skip, NROWS);
}
