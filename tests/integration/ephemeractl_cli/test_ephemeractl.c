/*
 * test_ephemeractl.c - the ephemeractl binary against a canned local TLS
 * server: YAML and JSON of an environment, tables of list documents, and
 * the documented exit codes (usage 2, unreachable 3, TLS verify 4,
 * refused 5, not found 6, broker failure 7, input 8).
 * Needs $EPH_BINARY_DIR/broker/ctl/ephemeractl.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../unit/agentc/tls_server.h"
#include "testutil.h"
#include "wire.h"

static struct ts_server srv;
static uint8_t *canned_body;

static void start(void)
{
	memset(&srv, 0, sizeof(srv));
	srv.canned.status = 200;
	snprintf(srv.canned.ctype, sizeof(srv.canned.ctype), "application/json");
	ts_start(&srv);
}

static void stop(void)
{
	ts_stop(&srv);
	free(canned_body);
	canned_body = NULL;
}

static void canned(int status, const char *ctype, const void *body, size_t len)
{
	free(canned_body);
	canned_body = malloc(len ? len : 1);
	memcpy(canned_body, body, len);
	srv.canned.status = status;
	snprintf(srv.canned.ctype, sizeof(srv.canned.ctype), "%s", ctype);
	srv.canned.body = canned_body;
	srv.canned.len = len;
}

static int ctl(char **out, const char *pin, const char *args)
{
	char cmd[2048];
	const char *b = getenv("EPH_BINARY_DIR");

	snprintf(cmd, sizeof(cmd), "'%s/broker/ctl/ephemeractl' --broker %s --pin '%s' %s 2>&1",
	         b != NULL && *b ? b : EPH_BINARY_DIR, srv.url, pin, args);
	*out = NULL;
	return tu_run(cmd, out);
}

static void canned_env(int status)
{
	struct wire_env e;
	struct eph_err err = {{0}};
	uint8_t *body = NULL;
	size_t len = 0;

	memset(&e, 0, sizeof(e));
	snprintf(e.env_id, sizeof(e.env_id), "env-42");
	snprintf(e.state, sizeof(e.state), "admitted");
	snprintf(e.reason, sizeof(e.reason), "policy: analyst: 2 rules matched");
	snprintf(e.size, sizeof(e.size), "small");
	e.count = 1;
	e.vcpu_milli = 1000;
	e.mem_mib = 1024;
	snprintf(e.network, sizeof(e.network), "none");
	snprintf(e.encryption, sizeof(e.encryption), "at-rest");
	e.ttl = 3600;
	e.reattest = 300;
	e.num_attrs = 1;
	snprintf(e.attrs[0].name, sizeof(e.attrs[0].name), "role");
	snprintf(e.attrs[0].value, sizeof(e.attrs[0].value), "analyst: \"x\"");
	e.attrs[0].confidence = 0.5f;
	cr_assert_eq(wire_env_encode(&body, &len, &e, &err), 0, "%s", err.msg);
	canned(status, "application/cbor", body, len);
	free(body);
}

Test(ephemeractl, env_get_yaml_and_json, .init = start, .fini = stop)
{
	char *out = NULL;

	canned_env(200);
	cr_assert_eq(ctl(&out, srv.pin, "environments get env-42"), 0, "%s", out);
	cr_assert_str_eq(srv.last_path, "/v1/environments/env-42");
	cr_assert_str_eq(srv.last_accept, "application/cbor");
	cr_assert_not_null(strstr(out, "env_id: env-42\nstate: admitted\n"), "%s", out);
	cr_assert_not_null(strstr(out, "reason: \"policy: analyst: 2 rules matched\"\n"), "%s",
	                   out);
	cr_assert_not_null(strstr(out, "attrs:\n  - name: role\n    value: \"analyst: \\\"x\\\"\"\n"
	                               "    confidence: 0.5\n"),
	                   "%s", out);
	free(out);
	cr_assert_eq(ctl(&out, srv.pin, "--json env get env-42"), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"env_id\": \"env-42\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"mem_mib\": 1024"), "%s", out);
	free(out);
}

Test(ephemeractl, env_create_sends_the_token, .init = start, .fini = stop)
{
	char *out = NULL, args[300], tok[200];
	FILE *f;

	canned_env(201);
	snprintf(tok, sizeof(tok), "/tmp/ephctl-token.%d", (int)getpid());
	f = fopen(tok, "wb");
	fwrite("\xd2\x84\x43\xa1\x01\x26", 1, 6, f); /* the start of a COSE_Sign1 */
	fclose(f);
	snprintf(args, sizeof(args), "environments create --token %s", tok);
	cr_assert_eq(ctl(&out, srv.pin, args), 0, "%s", out);
	cr_assert_str_eq(srv.last_method, "POST");
	cr_assert_str_eq(srv.last_path, "/v1/environments");
	cr_assert_not_null(strstr(out, "state: admitted"), "%s", out);
	free(out);
	cr_assert_eq(ctl(&out, srv.pin, "env create --token /nonexistent/t.cwt"), 8, "%s", out);
	free(out);
	cr_assert_eq(ctl(&out, srv.pin, "env create"), 2, "%s", out);
	free(out);
	snprintf(args, sizeof(args), "env create --token %s --ref-env e1", tok);
	cr_assert_eq(ctl(&out, srv.pin, args), 2, "%s", out);
	free(out);
	unlink(tok);
}

Test(ephemeractl, lists_as_tables, .init = start, .fini = stop)
{
	static const char agents[] =
	    "{\"agents\": [{\"id\": \"a1\", \"hostname\": \"guest\\u0007x\", \"cvm\": \"none\","
	    " \"ek_certified\": true, \"activated_at\": 0, \"last_attest_at\": 1795613220,"
	    " \"next_deadline\": 1795613280}]}";
	char *out = NULL;

	canned(200, "application/json", agents, strlen(agents));
	cr_assert_eq(ctl(&out, srv.pin, "agents list"), 0, "%s", out);
	cr_assert_str_eq(srv.last_accept, "application/json");
	cr_assert_str_eq(srv.last_path, "/v1/agents");
	cr_assert_not_null(strstr(out, "ID  HOST     CVM   EK CERT  ACTIVATED  LAST ATTEST"), "%s",
	                   out);
	cr_assert_not_null(strstr(out, "a1  guest?x  none  yes      -          2026-"), "%s", out);
	free(out);
	canned(200, "application/json", "{\"environments\": []}", 20);
	cr_assert_eq(ctl(&out, srv.pin, "env list --state running"), 0, "%s", out);
	cr_assert_str_eq(srv.last_path, "/v1/environments?state=running");
	cr_assert_str_eq(out, "(none)\n");
	free(out);
	cr_assert_eq(ctl(&out, srv.pin, "attestations 'a 1/x'"), 0, "%s", out);
	cr_assert_str_eq(srv.last_path, "/v1/agents/a%201%2Fx/attestations");
	free(out);
}

Test(ephemeractl, exit_codes, .init = start, .fini = stop)
{
	static const char nf[] = "{\"error_code\": \"not-found\", \"error\": \"no agent x\"}";
	char *out = NULL;
	struct wire_error we;
	struct eph_err err = {{0}};
	uint8_t *body = NULL;
	size_t len = 0;

	canned(404, "application/json", nf, strlen(nf));
	cr_assert_eq(ctl(&out, srv.pin, "attestations x"), 6, "%s", out);
	cr_assert_str_eq(out, "ephemeractl: GET /v1/agents/x/attestations: HTTP 404 not-found: "
	                      "no agent x\n");
	free(out);
	memset(&we, 0, sizeof(we));
	snprintf(we.code, sizeof(we.code), "claims-untrusted");
	snprintf(we.message, sizeof(we.message), "issuer not trusted");
	wire_error_encode(&body, &len, &we, &err);
	canned(403, "application/cbor", body, len);
	free(body);
	cr_assert_eq(ctl(&out, srv.pin, "env create --ref-env e1"), 5, "%s", out);
	cr_assert_not_null(strstr(out, "HTTP 403 claims-untrusted: issuer not trusted"), "%s", out);
	free(out);
	canned(500, "text/plain", "boom", 4);
	cr_assert_eq(ctl(&out, srv.pin, "agents list"), 7, "%s", out);
	free(out);
	canned(200, "application/json", "not json", 8);
	cr_assert_eq(ctl(&out, srv.pin, "agents list"), 7, "%s", out);
	free(out);
	cr_assert_eq(ctl(&out, TS_WRONG_PIN, "agents list"), 4, "%s", out);
	cr_assert_not_null(strstr(out, "does not match the pin"), "%s", out);
	free(out);
	cr_assert_eq(ctl(&out, srv.pin, "frobnicate"), 2, "%s", out);
	free(out);
	cr_assert_eq(ctl(&out, srv.pin, "agents list --state x"), 2, "%s", out);
	free(out);
	cr_assert_eq(
	    tu_run("EPHEMERA_BROKER= EPHEMERA_PIN= '" EPH_BINARY_DIR
	           "/broker/ctl/ephemeractl' --broker https://127.0.0.1:1 --pin " TS_WRONG_PIN
	           " agents list 2>/dev/null",
	           &out),
	    3);
	free(out);
	cr_assert_eq(tu_run("'" EPH_BINARY_DIR "/broker/ctl/ephemeractl' --help", &out), 0);
	cr_assert_not_null(strstr(out, "Exit status:"));
	free(out);
}

Test(ephemeractl, policy_explain_local)
{
	char cmd[1024], attrs[64], *out = NULL;
	int st;

	snprintf(attrs, sizeof(attrs), "/tmp/ephctl-attrs.%d.json", (int)getpid());
	snprintf(cmd, sizeof(cmd),
	         "'%s/broker/ctl/ephemeractl' policy explain --attrs '%s/attrs.json' --policy "
	         "'%s/docs/examples/policy' 2>&1",
	         EPH_BINARY_DIR, "/nonexistent", EPH_SOURCE_DIR);
	st = tu_run(cmd, &out);
	if (out != NULL && strstr(out, "built without the policy engine") != NULL) {
		free(out);
		cr_skip_test("ephemeractl built without broker/policy");
	}
	cr_assert_eq(st, 8, "%s", out);
	free(out);
	{
		FILE *f = fopen(attrs, "w");

		fputs("{\"role\": {\"value\": \"analyst\", \"source\": \"issuer\"}}\n", f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd),
	         "'%s/broker/ctl/ephemeractl' --json policy explain --attrs '%s' "
	         "--policy '%s/docs/examples/policy' 2>&1",
	         EPH_BINARY_DIR, attrs, EPH_SOURCE_DIR);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"allowed\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"rules\""), "%s", out);
	free(out);
	unlink(attrs);
}
