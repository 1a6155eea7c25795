/*
 * test_http.c - the HTTP and TLS edges of a real ephemera-broker: body
 * limits (413), garbage CBOR (400 with a message), wrong content type
 * (415), unknown path (404) and method (405), TLS 1.2 refused, /healthz,
 * /metrics counters moving, JSON for humans.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "broker_fixture.h"

TestSuite(broker_http, .init = bf_setup, .fini = bf_teardown);

Test(broker_http, oversized_body_is_413_with_an_error_body)
{
	size_t n = WIRE_MAX_BODY + 1;
	uint8_t *big = calloc(1, n);
	struct bf_resp r;

	cr_assert_not_null(big);
	bf_http(&r, "POST", "/v1/attest", "application/cbor", big, n, NULL, 0);
	bf_expect_error(&r, 413, "body-too-large", "exceeds");
	bf_resp_free(&r);
	free(big);
	/* far beyond: libevent itself refuses before buffering it all */
	n = WIRE_MAX_BODY + (2u << 20);
	big = calloc(1, n);
	cr_assert_not_null(big);
	bf_http(&r, "POST", "/v1/attest", "application/cbor", big, n, NULL, 0);
	cr_assert(r.status == 413 || r.curl_rc != CURLE_OK, "HTTP %ld", r.status);
	bf_resp_free(&r);
	free(big);
}

Test(broker_http, garbage_cbor_is_400_with_a_message)
{
	static const uint8_t junk[] = {0xa1, 0x01, 0xff, 0x13, 0x37};
	struct bf_resp r;

	bf_http(&r, "POST", "/v1/attest", "application/cbor", junk, sizeof(junk), NULL, 0);
	bf_expect_error(&r, 400, "malformed", "attest request");
	bf_resp_free(&r);
	bf_http(&r, "POST", "/v1/agents/register", "application/cbor", junk, sizeof(junk), NULL,
		0);
	bf_expect_error(&r, 400, "malformed", "register request");
	bf_resp_free(&r);
}

Test(broker_http, wrong_content_type_is_415)
{
	static const uint8_t body[] = "{\"agent\": 1}";
	struct bf_resp r;

	bf_http(&r, "POST", "/v1/attest", "application/json", body, sizeof(body) - 1, NULL, 0);
	bf_expect_error(&r, 415, "unsupported-media-type", "application/cbor");
	bf_resp_free(&r);
}

Test(broker_http, unknown_path_404_wrong_method_405_json_errors)
{
	struct bf_resp r;

	bf_http(&r, "GET", "/v1/nothing", NULL, NULL, 0, NULL, 0);
	bf_expect_error(&r, 404, "not-found", NULL);
	bf_resp_free(&r);
	bf_http(&r, "GET", "/v1/attest", NULL, NULL, 0, NULL, 0);
	bf_expect_error(&r, 405, "method-not-allowed", "POST");
	bf_resp_free(&r);
	bf_http(&r, "GET", "/v1/nothing", NULL, NULL, 0, "application/json", 0);
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(r.ctype, "application/json");
	cr_assert(strstr((char *)r.body, "\"error_code\": \"not-found\"") != NULL, "%s",
		  (char *)r.body);
	bf_resp_free(&r);
}

Test(broker_http, tls12_client_refused)
{
	struct bf_resp r;

	bf_http(&r, "GET", "/healthz", NULL, NULL, 0, NULL, 1);
	cr_assert_neq(r.curl_rc, CURLE_OK, "a TLS 1.2 client got HTTP %ld", r.status);
	cr_assert_eq(r.status, 0);
	bf_resp_free(&r);
}

Test(broker_http, healthz_ok_and_metrics_counters_move)
{
	static const uint8_t junk[] = {0x01};
	struct bf_resp r;
	long long before, after;

	bf_http(&r, "GET", "/healthz", NULL, NULL, 0, NULL, 0);
	cr_assert_eq(r.status, 200);
	cr_assert(r.len >= 2 && memcmp(r.body, "ok", 2) == 0);
	bf_resp_free(&r);
	before = bf_metric("ephemera_attestations_total{result=\"refused\"}");
	cr_assert_eq(before, 0);
	bf_http(&r, "POST", "/v1/attest", "application/cbor", junk, sizeof(junk), NULL, 0);
	cr_assert_eq(r.status, 400);
	bf_resp_free(&r);
	after = bf_metric("ephemera_attestations_total{result=\"refused\"}");
	cr_assert_eq(after, before + 1);
	cr_assert_eq(bf_metric("ephemera_http_requests_total{path=\"/v1/attest\",code=\"400\"}"),
		     1);
	cr_assert_eq(bf_metric("ephemera_http_requests_total{path=\"/healthz\",code=\"200\"}"),
		     1);
	cr_assert_eq(bf_metric("ephemera_attest_seconds_count"), 1);
	cr_assert_eq(bf_metric("ephemera_environments{state=\"admitted\"}"), 0);
	cr_assert_eq(bf_metric("ephemera_agents"), 0);
}
