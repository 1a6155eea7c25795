/*
 * test_tls.c - libagentc's transport against a local TLS server: the pin
 * and the CA file are enforced, TLS 1.3 is required, responses are
 * bounded, and a broker's refusal (CBOR wire_error) becomes a readable
 * error with its code.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentc.h"
#include "tls_server.h"

static struct ts_server srv;

static void canned(int status, const char *ctype, const void *body, size_t len)
{
	srv.canned.status = status;
	snprintf(srv.canned.ctype, sizeof(srv.canned.ctype), "%s", ctype);
	srv.canned.body = (uint8_t *)body;
	srv.canned.len = len;
}

static agentc *client(const char *pin, const char *cacert, size_t max)
{
	struct agentc_config cfg = {0};
	struct eph_err err = {{0}};
	agentc *a = NULL;

	cfg.broker_url = srv.url;
	cfg.pin = pin;
	cfg.cacert = cacert;
	cfg.max_response = max;
	cfg.timeout_ms = 5000;
	cr_assert_eq(agentc_new(&a, &cfg, &err), 0, "%s", err.msg);
	return a;
}

static void start(void)
{
	memset(&srv, 0, sizeof(srv));
	canned(200, "text/plain", "ok\n", 3);
}

static void start12(void)
{
	start();
	srv.tls12_only = 1;
}

static void stop(void) { ts_stop(&srv); }

Test(agentc_tls, correct_pin_request_goes_out, .init = start, .fini = stop)
{
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;

	ts_start(&srv);
	a = client(srv.pin, NULL, 0);
	cr_assert_eq(agentc_call(&r, NULL, a, "GET", "/healthz", "text/plain", NULL, NULL, 0, &err),
	             0, "%s", err.msg);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.len, 3);
	cr_assert_str_eq((char *)r.body, "ok\n");
	cr_assert_str_eq(r.content_type, "text/plain");
	cr_assert_eq(srv.requests, 1);
	cr_assert_str_eq(srv.last_path, "/healthz");
	cr_assert_str_eq(srv.last_accept, "text/plain");
	agentc_response_clear(&r);
	agentc_free(a);
}

Test(agentc_tls, one_of_several_pins_matches, .init = start, .fini = stop)
{
	struct agentc_response r;
	struct eph_err err = {{0}};
	char pins[200];
	agentc *a;

	ts_start(&srv);
	snprintf(pins, sizeof(pins), "%s;%s", TS_WRONG_PIN, srv.pin);
	a = client(pins, NULL, 0);
	cr_assert_eq(agentc_call(&r, NULL, a, "GET", "/healthz", NULL, NULL, NULL, 0, &err), 0,
	             "%s", err.msg);
	agentc_response_clear(&r);
	agentc_free(a);
}

Test(agentc_tls, wrong_pin_refused_before_the_request, .init = start, .fini = stop)
{
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;
	int rc;

	ts_start(&srv);
	a = client(TS_WRONG_PIN, NULL, 0);
	rc = agentc_call(&r, NULL, a, "GET", "/healthz", NULL, NULL, NULL, 0, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "rc %d: %s", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, "does not match the pin"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "GET /healthz"), "%s", err.msg);
	cr_assert_null(r.body);
	cr_assert_eq(srv.requests, 0, "the request must not be sent");
	agentc_free(a);
}

Test(agentc_tls, ca_file_verifies, .init = start, .fini = stop)
{
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;

	ts_start(&srv);
	a = client(NULL, srv.certfile, 0);
	cr_assert_eq(agentc_call(&r, NULL, a, "GET", "/healthz", NULL, NULL, NULL, 0, &err), 0,
	             "%s", err.msg);
	agentc_response_clear(&r);
	agentc_free(a);
}

Test(agentc_tls, ca_file_and_wrong_pin_refused, .init = start, .fini = stop)
{
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;

	ts_start(&srv);
	a = client(TS_WRONG_PIN, srv.certfile, 0);
	cr_assert_eq(agentc_call(&r, NULL, a, "GET", "/healthz", NULL, NULL, NULL, 0, &err),
	             EPH_EVERIFY, "%s", err.msg);
	cr_assert_eq(srv.requests, 0);
	agentc_free(a);
}

Test(agentc_tls, other_ca_refused, .init = start, .fini = stop)
{
	struct ts_server other;
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;
	int rc;

	memset(&other, 0, sizeof(other));
	other.canned = srv.canned;
	ts_start(&srv);
	ts_start(&other); /* its certificate is another self-signed CA */
	a = client(NULL, other.certfile, 0);
	rc = agentc_call(&r, NULL, a, "GET", "/healthz", NULL, NULL, NULL, 0, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "rc %d: %s", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, "does not verify"), "%s", err.msg);
	cr_assert_eq(srv.requests, 0);
	agentc_free(a);
	ts_stop(&other);
}

Test(agentc_tls, tls12_only_server_refused, .init = start12, .fini = stop)
{
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;
	int rc;

	ts_start(&srv);
	a = client(srv.pin, NULL, 0);
	rc = agentc_call(&r, NULL, a, "GET", "/healthz", NULL, NULL, NULL, 0, &err);
	cr_assert_eq(rc, EPH_EIO, "rc %d: %s", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, "TLS 1.3 required"), "%s", err.msg);
	cr_assert_eq(srv.requests, 0);
	agentc_free(a);
}

Test(agentc_tls, no_pin_no_ca_refused)
{
	struct agentc_config cfg = {0};
	struct eph_err err = {{0}};
	agentc *a = (agentc *)1;

	cfg.broker_url = "https://127.0.0.1:1";
	cr_assert_eq(agentc_new(&a, &cfg, &err), EPH_EPOLICY);
	cr_assert_null(a);
	cr_assert_not_null(strstr(err.msg, "no broker pin and no CA file"), "%s", err.msg);
}

Test(agentc_tls, bad_config_refused)
{
	struct agentc_config cfg = {0};
	struct eph_err err = {{0}};
	agentc *a = NULL;

	cfg.broker_url = "http://127.0.0.1:1";
	cfg.pin = TS_WRONG_PIN;
	cr_assert_eq(agentc_new(&a, &cfg, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "https://"), "%s", err.msg);
	cfg.broker_url = "https://127.0.0.1:1";
	cfg.pin = "sha256//tooshort=";
	cr_assert_eq(agentc_new(&a, &cfg, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "pin"), "%s", err.msg);
	cfg.pin = "/etc/broker.pem"; /* curl would take a key file; we do not */
	cr_assert_eq(agentc_new(&a, &cfg, &err), EPH_EFORMAT);
	cfg.pin = NULL;
	cfg.cacert = "/nonexistent/ca.pem";
	cr_assert_eq(agentc_new(&a, &cfg, &err), EPH_EIO);
	cr_assert_not_null(strstr(err.msg, "/nonexistent/ca.pem"), "%s", err.msg);
}

Test(agentc_tls, response_over_bound_with_length, .init = start, .fini = stop)
{
	static uint8_t big[5000];
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;
	int rc;

	canned(200, "application/cbor", big, sizeof(big));
	ts_start(&srv);
	a = client(srv.pin, NULL, 1000);
	rc = agentc_call(&r, NULL, a, "GET", "/big", NULL, NULL, NULL, 0, &err);
	cr_assert_eq(rc, EPH_EIO, "rc %d: %s", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, "exceeds the 1000-byte bound"), "%s", err.msg);
	agentc_free(a);
}

Test(agentc_tls, response_over_bound_without_length, .init = start, .fini = stop)
{
	static uint8_t big[5000];
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;
	int rc;

	canned(200, "application/cbor", big, sizeof(big));
	srv.canned.no_length = 1;
	ts_start(&srv);
	a = client(srv.pin, NULL, 1000);
	rc = agentc_call(&r, NULL, a, "GET", "/big", NULL, NULL, NULL, 0, &err);
	cr_assert_eq(rc, EPH_EIO, "rc %d: %s", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, "exceeds the 1000-byte bound"), "%s", err.msg);
	agentc_free(a);
}

Test(agentc_tls, response_at_bound_accepted, .init = start, .fini = stop)
{
	static uint8_t body[1000];
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a;

	canned(200, "application/cbor", body, sizeof(body));
	srv.canned.no_length = 1;
	ts_start(&srv);
	a = client(srv.pin, NULL, 1000);
	cr_assert_eq(agentc_call(&r, NULL, a, "GET", "/x", NULL, NULL, NULL, 0, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(r.len, 1000);
	agentc_response_clear(&r);
	agentc_free(a);
}

Test(agentc_tls, broker_error_body_mapped, .init = start, .fini = stop)
{
	struct wire_error we;
	struct agentc_response r;
	struct agentc_refusal ref;
	struct eph_err err = {{0}};
	uint8_t *body = NULL;
	size_t len = 0;
	agentc *a;
	int rc;

	memset(&we, 0, sizeof(we));
	snprintf(we.code, sizeof(we.code), "pcr-mismatch");
	snprintf(we.message, sizeof(we.message), "PCR 8 differs from the event log replay");
	cr_assert_eq(wire_error_encode(&body, &len, &we, &err), 0, "%s", err.msg);
	canned(403, "application/cbor", body, len);
	ts_start(&srv);
	a = client(srv.pin, NULL, 0);
	rc = agentc_call(&r, &ref, a, "POST", "/v1/attest", "application/cbor", "application/cbor",
	                 (const uint8_t *)"\xa0", 1, &err);
	cr_assert_eq(rc, EPH_EPOLICY, "rc %d: %s", rc, err.msg);
	cr_assert_eq(ref.http_status, 403);
	cr_assert_str_eq(ref.code, "pcr-mismatch");
	cr_assert_str_eq(ref.message, "PCR 8 differs from the event log replay");
	cr_assert_str_eq(err.msg,
	                 "POST /v1/attest: HTTP 403 pcr-mismatch: PCR 8 differs from the event log "
	                 "replay");
	cr_assert_str_eq(srv.last_method, "POST");
	agentc_free(a);
	free(body);
}

Test(agentc_tls, not_found_and_server_errors, .init = start, .fini = stop)
{
	struct agentc_response r;
	struct agentc_refusal ref;
	struct eph_err err = {{0}};
	agentc *a;
	int rc;

	canned(404, "application/json", "{\"error\":\"no such agent\"}", 25);
	ts_start(&srv);
	a = client(srv.pin, NULL, 0);
	rc = agentc_call(&r, &ref, a, "GET", "/v1/challenge?agent=x", NULL, NULL, NULL, 0, &err);
	cr_assert_eq(rc, EPH_ENOTFOUND, "%s", err.msg);
	cr_assert_eq(ref.http_status, 404);
	cr_assert_not_null(strstr(err.msg, "HTTP 404"), "%s", err.msg);
	cr_assert_str_eq(ref.message, "no such agent");
	canned(409, "application/json",
	       "{\"error_code\": \"nonce-replayed\", \"error\": \"nonce \\\"x\\\" used\"}",
	       strlen("{\"error_code\": \"nonce-replayed\", \"error\": \"nonce \\\"x\\\" used\"}"));
	rc = agentc_call(&r, &ref, a, "POST", "/v1/attest", NULL, NULL, NULL, 0, &err);
	cr_assert_eq(rc, EPH_EPOLICY, "%s", err.msg);
	cr_assert_str_eq(ref.code, "nonce-replayed");
	cr_assert_str_eq(ref.message, "nonce \"x\" used");
	canned(500, "application/cbor", "\xff\x00", 2); /* not a wire_error */
	rc = agentc_call(&r, &ref, a, "GET", "/v1/x", NULL, NULL, NULL, 0, &err);
	cr_assert_eq(rc, EPH_EIO, "%s", err.msg);
	cr_assert_not_null(strstr(ref.message, "undecodable"), "%s", ref.message);
	agentc_free(a);
}

Test(agentc_tls, connection_refused_names_url)
{
	struct agentc_config cfg = {0};
	struct agentc_response r;
	struct eph_err err = {{0}};
	agentc *a = NULL;

	cfg.broker_url = "https://127.0.0.1:1";
	cfg.pin = TS_WRONG_PIN;
	cr_assert_eq(agentc_new(&a, &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(agentc_call(&r, NULL, a, "GET", "/healthz", NULL, NULL, NULL, 0, &err),
	             EPH_EIO);
	cr_assert_not_null(strstr(err.msg, "cannot connect to https://127.0.0.1:1"), "%s", err.msg);
	agentc_free(a);
}
