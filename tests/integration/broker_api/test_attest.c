/*
 * test_attest.c - enrolment and attestation against a real ephemera-broker
 * and swtpm: accepted with a matching firmware log (AR4SI configuration
 * affirming, recorded), refused with a tampered one (PCR 8 named, recorded
 * with the reason), nonce replay, another agent's nonce, another AK's quote,
 * an IMA chunk checked against the agent's stored IMA position.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "broker_fixture.h"
#include "eph_hash.h"
#include "testutil.h"

TestSuite(broker_attest, .init = bf_setup, .fini = bf_teardown);

/* The agent's history as JSON. */
static json_t *history(const char *agent_id)
{
	struct bf_resp r;
	char path[300];
	json_t *doc;

	snprintf(path, sizeof(path), "/v1/agents/%s/attestations", agent_id);
	bf_http(&r, "GET", path, NULL, NULL, 0, "application/json", 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.ctype, "application/json");
	doc = json_loadb((const char *)r.body, r.len, 0, NULL);
	cr_assert_not_null(doc);
	bf_resp_free(&r);
	return json_object_get(doc, "attestations") ? doc : NULL;
}

Test(broker_attest, enrol_challenge_attest_accepted_and_recorded)
{
	const char *log = bf_firmware_boot(0);
	struct bf_agent ag;
	struct wire_attest_resp resp;
	struct eph_err err = {{0}};
	struct bf_resp r;
	uint8_t nonce[WIRE_NONCE_LEN];
	json_t *h, *last;

	bf_enrol(&ag);
	bf_golden(ag.tpm, -1); /* reference values = this boot; SIGHUP reload */
	bf_challenge(nonce, ag.id);
	bf_attest(&r, ag.tpm, ag.id, nonce, log);
	cr_assert_eq(r.status, 200, "HTTP %ld, see %s", r.status, bf.log);
	cr_assert_eq(wire_attest_resp_decode(&resp, r.body, r.len, &err), 0, "%s", err.msg);
	cr_assert_str_eq(resp.directive, "continue");
	cr_assert_eq(resp.result[WIRE_AR_CONFIGURATION], WIRE_TIER_AFFIRMING);
	cr_assert_eq(resp.result[WIRE_AR_INSTANCE_IDENTITY], WIRE_TIER_AFFIRMING);
	cr_assert_geq((long long)resp.deadline, (long long)time(NULL) + 55);
	cr_assert_gt(resp.num_attrs, 0);
	wire_attest_resp_free(&resp);
	bf_resp_free(&r);

	/* a second round with a fresh nonce is accepted too (newer quote) */
	bf_challenge(nonce, ag.id);
	bf_attest(&r, ag.tpm, ag.id, nonce, log);
	cr_assert_eq(r.status, 200);
	bf_resp_free(&r);

	h = history(ag.id);
	cr_assert_not_null(h);
	cr_assert_eq(json_array_size(json_object_get(h, "attestations")), 2);
	last = json_array_get(json_object_get(h, "attestations"), 1);
	cr_assert(json_is_true(json_object_get(last, "accepted")));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(last, "ar4si"),
							 "configuration")),
		     WIRE_TIER_AFFIRMING);
	json_decref(h);
	cr_assert_eq(bf_metric("ephemera_attestations_total{result=\"accepted\"}"), 2);
	cr_assert_eq(bf_metric("ephemera_agents"), 1);
	bf_agent_close(&ag);
}

Test(broker_attest, tampered_log_refused_naming_pcr8_and_recorded)
{
	const char *log = bf_firmware_boot(1);
	struct bf_agent ag;
	struct bf_resp r;
	uint8_t nonce[WIRE_NONCE_LEN];
	json_t *h, *at;

	bf_enrol(&ag);
	bf_challenge(nonce, ag.id);
	bf_attest(&r, ag.tpm, ag.id, nonce, log);
	bf_expect_error(&r, 403, "eventlog-mismatch", "PCR 8");
	bf_resp_free(&r);
	h = history(ag.id);
	cr_assert_not_null(h);
	cr_assert_eq(json_array_size(json_object_get(h, "attestations")), 1);
	at = json_array_get(json_object_get(h, "attestations"), 0);
	cr_assert(json_is_false(json_object_get(at, "accepted")));
	cr_assert(strstr(json_string_value(json_object_get(at, "reason")), "PCR 8") != NULL);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(at, "ar4si"),
							 "configuration")),
		     WIRE_TIER_CONTRAINDICATED);
	json_decref(h);
	cr_assert_eq(bf_metric("ephemera_attestations_total{result=\"refused\"}"), 1);
	bf_agent_close(&ag);
}

Test(broker_attest, same_nonce_twice_refused_as_replay)
{
	const char *log = bf_firmware_boot(0);
	struct bf_agent ag;
	struct bf_resp r;
	uint8_t nonce[WIRE_NONCE_LEN];
	json_t *h;

	bf_enrol(&ag);
	bf_challenge(nonce, ag.id);
	bf_attest(&r, ag.tpm, ag.id, nonce, log);
	cr_assert_eq(r.status, 200);
	bf_resp_free(&r);
	bf_attest(&r, ag.tpm, ag.id, nonce, log);
	bf_expect_error(&r, 409, "nonce-replayed", "nonce already used");
	bf_resp_free(&r);
	h = history(ag.id);
	cr_assert_eq(json_array_size(json_object_get(h, "attestations")), 2);
	json_decref(h);
	bf_agent_close(&ag);
}

Test(broker_attest, nonce_of_another_agent_and_quote_of_another_ak_refused)
{
	const char *log = bf_firmware_boot(0);
	struct bf_agent a, b;
	struct bf_resp r;
	uint8_t nonce_b[WIRE_NONCE_LEN], nonce_a[WIRE_NONCE_LEN];
	char a_id[WIRE_MAX_TEXT];

	/* agent A, then agent B on the same TPM with another AK (one ESYS
	 * context at a time: swtpm serves one connection) */
	bf_enrol(&a);
	snprintf(a_id, sizeof(a_id), "%s", a.id);
	bf_agent_close(&a);
	bf_enrol(&b);

	/* B's nonce presented as A's */
	bf_challenge(nonce_b, b.id);
	bf_attest(&r, b.tpm, a_id, nonce_b, log);
	bf_expect_error(&r, 403, "nonce-refused", "another agent");
	bf_resp_free(&r);

	/* A's nonce, quoted by B's AK, claiming to be A */
	bf_challenge(nonce_a, a_id);
	bf_attest(&r, b.tpm, a_id, nonce_a, log);
	bf_expect_error(&r, 403, "quote-refused", NULL);
	bf_resp_free(&r);

	/* B's nonce is still good for B */
	bf_attest(&r, b.tpm, b.id, nonce_b, log);
	cr_assert_eq(r.status, 200, "HTTP %ld", r.status);
	bf_resp_free(&r);
	cr_assert_eq(bf_metric("ephemera_agents"), 2);
	bf_agent_close(&b);
}

Test(broker_attest, unactivated_agent_gets_no_challenge)
{
	struct bf_resp r;

	bf_http(&r, "GET", "/v1/challenge?agent=00000000-0000-4000-8000-000000000000", NULL,
		NULL, 0, NULL, 0);
	bf_expect_error(&r, 404, "not-found", NULL);
	bf_resp_free(&r);
	bf_http(&r, "GET", "/v1/challenge?agent=../../etc", NULL, NULL, 0, NULL, 0);
	bf_expect_error(&r, 400, "malformed", NULL);
	bf_resp_free(&r);
}

Test(broker_attest, golden_pcr_mismatch_after_sighup_is_a_policy_refusal)
{
	const char *log = bf_firmware_boot(0);
	struct bf_agent ag;
	struct bf_resp r;
	uint8_t nonce[WIRE_NONCE_LEN];
	FILE *f;

	bf_enrol(&ag);
	bf_golden(ag.tpm, 7); /* the operator expects another Secure Boot config */
	bf_challenge(nonce, ag.id);
	bf_attest(&r, ag.tpm, ag.id, nonce, log);
	bf_expect_error(&r, 422, "policy-refused", "configuration");
	bf_resp_free(&r);

	/* a broken policy is refused on SIGHUP and the old one stays */
	f = fopen(bf_path("policy/broker.json"), "w");
	cr_assert_not_null(f);
	fputs("{\"reattest_s\": \"soon\"}", f);
	fclose(f);
	cr_assert_eq(kill(bf.broker_pid, SIGHUP), 0);
	usleep(300000);
	bf_challenge(nonce, ag.id);
	bf_attest(&r, ag.tpm, ag.id, nonce, log);
	bf_expect_error(&r, 422, "policy-refused", "configuration");
	bf_resp_free(&r);
	bf_agent_close(&ag);
}

/* Measure an ima-ng entry into PCR 10 (every bank, H_bank(data)) and append
 * it to a binary list: u32 10 | SHA1(data) | u32 6 "ima-ng" | u32 len data. */
static void ima_measure(struct tu_buf *list, tpmq_tpm *tpm, const char *path, uint8_t fill)
{
	static const char algo[] = "sha256:";
	struct tu_buf d = {0};
	struct eph_err err = {{0}};
	uint8_t dig[32], h[20];

	memset(dig, fill, sizeof(dig));
	tu_u32(&d, (uint32_t)(sizeof(algo) + sizeof(dig)));
	tu_put(&d, algo, sizeof(algo));
	tu_put(&d, dig, sizeof(dig));
	tu_u32(&d, (uint32_t)strlen(path) + 1);
	tu_put(&d, path, strlen(path) + 1);
	cr_assert_eq(tpmq_pcr_extend_data(tpm, 10, d.p, d.n, &err), 0, "%s", err.msg);
	cr_assert_eq(eph_hash(EPH_ALG_SHA1, d.p, d.n, h), 0);
	tu_u32(list, 10);
	tu_put(list, h, sizeof(h));
	tu_u32(list, 6);
	tu_put(list, "ima-ng", 6);
	tu_u32(list, (uint32_t)d.n);
	tu_put(list, d.p, d.n);
	tu_free(&d);
}

Test(broker_attest, ima_chunk_must_follow_the_brokers_position)
{
	const char *log = bf_firmware_boot(0);
	struct tu_buf list = {0};
	struct bf_agent ag;
	struct bf_resp r;
	uint8_t nonce[WIRE_NONCE_LEN];
	size_t first;

	bf_enrol(&ag);
	ima_measure(&list, ag.tpm, "/usr/bin/a", 0x11);
	ima_measure(&list, ag.tpm, "/usr/bin/b", 0x22);
	first = list.n;

	/* a chunk before any whole list: nothing to extend from */
	bf_challenge(nonce, ag.id);
	bf_attest_ima(&r, ag.tpm, ag.id, nonce, log, list.p, list.n, 2);
	bf_expect_error(&r, 422, "ima-offset", "expected entry 0");
	bf_resp_free(&r);

	/* the whole list, both banks replayed from zero */
	bf_challenge(nonce, ag.id);
	bf_attest_ima(&r, ag.tpm, ag.id, nonce, log, list.p, list.n, 0);
	cr_assert_eq(r.status, 200, "HTTP %ld, see %s", r.status, bf.log);
	bf_resp_free(&r);

	/* one new entry, claimed at the wrong place */
	ima_measure(&list, ag.tpm, "/usr/bin/c", 0x33);
	bf_challenge(nonce, ag.id);
	bf_attest_ima(&r, ag.tpm, ag.id, nonce, log, list.p + first, list.n - first, 5);
	bf_expect_error(&r, 422, "ima-offset", "expected entry 2");
	bf_resp_free(&r);

	/* at the right place: extended from the stored PCR 10 */
	bf_challenge(nonce, ag.id);
	bf_attest_ima(&r, ag.tpm, ag.id, nonce, log, list.p + first, list.n - first, 2);
	cr_assert_eq(r.status, 200, "HTTP %ld, see %s", r.status, bf.log);
	bf_resp_free(&r);

	/* the same chunk again: the broker has moved on to entry 3 */
	bf_challenge(nonce, ag.id);
	bf_attest_ima(&r, ag.tpm, ag.id, nonce, log, list.p + first, list.n - first, 2);
	bf_expect_error(&r, 422, "ima-offset", "expected entry 3");
	bf_resp_free(&r);

	/* a whole list again re-initialises the position */
	bf_challenge(nonce, ag.id);
	bf_attest_ima(&r, ag.tpm, ag.id, nonce, log, list.p, list.n, 0);
	cr_assert_eq(r.status, 200, "HTTP %ld, see %s", r.status, bf.log);
	bf_resp_free(&r);

	tu_free(&list);
	bf_agent_close(&ag);
}
