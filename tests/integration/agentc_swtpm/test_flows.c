/*
 * test_flows.c - libagentc's enrol and attest flows end to end against a
 * software TPM (swtpm-fixtures) and a mock broker that verifies with the
 * broker-side libtpmq/libevlog: EK cert chain, credential activation,
 * quote over the nonce, event log replay; restart reloads the AK; IMA
 * resumes where the broker stopped; a tampered boot is refused naming
 * PCR 8; a wrong pin stops enrolment before anything is sent.
 * (The same flows against the real ephemera-broker: tests/integration/
 * agent_broker.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tpm/swtpm_fixture.h"
#include "agentc.h"
#include "mock_broker.h"
#include "testutil.h"
#include "tpmq.h"

static struct ts_server srv;
static struct mock_broker mock;
static char logfile[700], imafile[700], bootid[700], statedir[700];

static void boot(int tamper)
{
	char cmd[2048], *out = NULL;
	int st;

	snprintf(logfile, sizeof(logfile), "%s", fx_path("boot.log"));
	snprintf(cmd, sizeof(cmd), "'%s/swtpm-fixtures/firmware-boot.sh' %s '%s' '%s' 2>&1",
	         EPH_SOURCE_DIR, tamper ? "--tamper" : "", fx_tpm[0].state, logfile);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "firmware-boot.sh: %s", out ? out : "");
	free(out);
}

/* Append one ima-ng entry (not extended into PCR 10: the mock does not
 * check IMA against the TPM). */
static void ima_append(const char *fname)
{
	struct tu_buf b = {0}, d = {0};
	uint8_t h[20] = {7};
	FILE *f;

	tu_u32(&d, 8 + 32);
	tu_put(&d, "sha256:", 8);
	for (int i = 0; i < 32; i++)
		tu_u8(&d, (uint8_t)(i * 3));
	tu_u32(&d, (uint32_t)strlen(fname) + 1);
	tu_put(&d, fname, strlen(fname) + 1);
	tu_u32(&b, 10);
	tu_put(&b, h, 20);
	tu_u32(&b, 6);
	tu_put(&b, "ima-ng", 6);
	tu_u32(&b, (uint32_t)d.n);
	tu_put(&b, d.p, d.n);
	f = fopen(imafile, "ab");
	cr_assert_not_null(f);
	fwrite(b.p, 1, b.n, f);
	fclose(f);
	tu_free(&b);
	tu_free(&d);
}

static void setup_common(int tamper)
{
	FILE *f;

	fx_setup();
	boot(tamper);
	snprintf(imafile, sizeof(imafile), "%s", fx_path("ima.bin"));
	snprintf(bootid, sizeof(bootid), "%s", fx_path("boot_id"));
	snprintf(statedir, sizeof(statedir), "%s", fx_path("agent-state"));
	f = fopen(bootid, "w");
	fputs("0f0f0f0f-1111-2222-3333-444444444444\n", f);
	fclose(f);
	f = fopen(imafile, "w"); /* an empty list: IMA measured nothing yet */
	fclose(f);
	memset(&mock, 0, sizeof(mock));
	mock.trust_dir = fx_trust_dir();
	memset(&srv, 0, sizeof(srv));
	srv.handler = mock_broker_handle;
	srv.handler_arg = &mock;
	ts_start(&srv);
}

static void setup_good(void) { setup_common(0); }

static void setup_tampered(void) { setup_common(1); }

static void teardown(void)
{
	ts_stop(&srv);
	mock_broker_free(&mock);
	fx_teardown();
}

static agentc *client(const char *pin)
{
	struct agentc_config cfg = {0};
	struct eph_err err = {{0}};
	agentc *a = NULL;

	cfg.broker_url = srv.url;
	cfg.pin = pin;
	cfg.state_dir = statedir;
	cfg.hostname = "guest-1";
	cfg.cvm = AGENTC_CVM_AUTO; /* no configfs-tsm here: "none" */
	cr_assert_eq(agentc_new(&a, &cfg, &err), 0, "%s", err.msg);
	return a;
}

static struct agentc_evidence evidence(void)
{
	struct agentc_evidence ev = {0};

	ev.eventlog = logfile;
	ev.ima = imafile;
	ev.boot_id = bootid;
	return ev;
}

Test(agentc_flows, enrol_attest_restart_reloads, .init = setup_good, .fini = teardown)
{
	struct agentc_evidence ev = evidence();
	struct agentc_result res;
	struct agentc_refusal ref;
	enum agentc_enrolment how = 0;
	struct eph_err err = {{0}};
	char id[64];
	agentc *a = client(srv.pin);
	tpmq_tpm *tpm = fx_open(0);
	struct stat st;
	char p[800];

	ima_append("/usr/bin/bash");
	ima_append("/usr/lib/libc.so.6");
	cr_assert_eq(agentc_enrol(&how, &ref, a, tpm, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(how, AGENTC_ENROLLED);
	cr_assert_eq(mock.registers, 1);
	cr_assert(mock.activated);
	cr_assert_gt(mock.ek_cert_len, 0, "the RSA EK certificate was sent");
	cr_assert_str_eq(mock.hostname, "guest-1");
	cr_assert_str_eq(mock.cvm, "none");
	snprintf(id, sizeof(id), "%s", agentc_agent_id(a));
	cr_assert_str_eq(id, mock.agent_id);
	snprintf(p, sizeof(p), "%s/ak.priv", statedir);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);

	cr_assert_eq(agentc_attest(&res, a, tpm, &ev, &err), 0, "%s (%s)", err.msg,
	             mock.last_refusal);
	cr_assert_str_eq(res.resp.directive, "continue");
	cr_assert_eq(res.resp.result[WIRE_AR_HARDWARE], WIRE_TIER_AFFIRMING);
	cr_assert_eq(res.ima_offset, 0);
	cr_assert_eq(res.ima_entries, 2);
	cr_assert_gt(res.eventlog_len, 0);
	cr_assert_str_eq(res.cvm, "none");
	cr_assert_eq(mock.attests, 1);
	/* a second round sends no IMA entries: none are new */
	cr_assert_eq(agentc_attest(&res, a, tpm, &ev, &err), 0, "%s", err.msg);
	cr_assert_eq(res.ima_offset, 2);
	cr_assert_eq(res.ima_entries, 0);
	cr_assert_eq(mock.last_ima_len, 0);

	/* restart: new TPM context, new client; the AK is reloaded */
	agentc_free(a);
	tpmq_close(tpm);
	ima_append("/usr/bin/python3");
	a = client(srv.pin);
	tpm = fx_open(0);
	cr_assert_eq(agentc_enrol(&how, &ref, a, tpm, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(how, AGENTC_RELOADED);
	cr_assert_eq(mock.registers, 1, "no second registration");
	cr_assert_str_eq(agentc_agent_id(a), id);
	cr_assert_eq(agentc_attest(&res, a, tpm, &ev, &err), 0, "%s (%s)", err.msg,
	             mock.last_refusal);
	cr_assert_eq(res.ima_offset, 2);
	cr_assert_eq(res.ima_entries, 1);
	cr_assert_eq(mock.attests, 3);
	agentc_free(a);
	tpmq_close(tpm);
}

Test(agentc_flows, tampered_boot_refused_naming_pcr8, .init = setup_tampered, .fini = teardown)
{
	struct agentc_evidence ev = evidence();
	struct agentc_result res;
	enum agentc_enrolment how = 0;
	struct eph_err err = {{0}};
	agentc *a = client(srv.pin);
	tpmq_tpm *tpm = fx_open(0);
	int rc;

	ima_append("/usr/bin/bash");
	cr_assert_eq(agentc_enrol(&how, NULL, a, tpm, 0, &err), 0, "%s", err.msg);
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, EPH_EPOLICY, "rc %d: %s", rc, err.msg);
	cr_assert_eq(res.refusal.http_status, 403);
	cr_assert_str_eq(res.refusal.code, "pcr-mismatch");
	cr_assert_not_null(strstr(res.refusal.message, "PCR 8"), "%s", res.refusal.message);
	cr_assert_not_null(strstr(err.msg, "POST /v1/attest: HTTP 403 pcr-mismatch: PCR 8"), "%s",
	                   err.msg);
	/* refused: the IMA entries go again next time */
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, EPH_EPOLICY);
	cr_assert_eq(res.ima_offset, 0);
	cr_assert_eq(res.ima_entries, 1);
	agentc_free(a);
	tpmq_close(tpm);
}

Test(agentc_flows, wrong_pin_stops_enrolment, .init = setup_good, .fini = teardown)
{
	enum agentc_enrolment how = 0;
	struct eph_err err = {{0}};
	agentc *a = client(TS_WRONG_PIN);
	tpmq_tpm *tpm = fx_open(0);
	struct stat st;
	int rc;

	rc = agentc_enrol(&how, NULL, a, tpm, 0, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "rc %d: %s", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, "does not match the pin"), "%s", err.msg);
	cr_assert_eq(srv.requests, 0);
	cr_assert_eq(mock.registers, 0);
	cr_assert_null(agentc_agent_id(a));
	{
		char p[800];

		snprintf(p, sizeof(p), "%s/agent", statedir);
		cr_assert_neq(stat(p, &st), 0, "no state after a failed enrolment");
	}
	agentc_free(a);
	tpmq_close(tpm);
}

Test(agentc_flows, forgotten_agent_enrols_again_with_force, .init = setup_good, .fini = teardown)
{
	struct agentc_evidence ev = evidence();
	struct agentc_result res;
	enum agentc_enrolment how = 0;
	struct eph_err err = {{0}};
	agentc *a = client(srv.pin);
	tpmq_tpm *tpm = fx_open(0);
	int rc;

	cr_assert_eq(agentc_enrol(&how, NULL, a, tpm, 0, &err), 0, "%s", err.msg);
	mock.activated = 0; /* the broker lost its database */
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, EPH_ENOTFOUND, "rc %d: %s", rc, err.msg);
	cr_assert_str_eq(res.refusal.code, "unknown-agent");
	cr_assert_eq(agentc_enrol(&how, NULL, a, tpm, AGENTC_ENROL_FORCE, &err), 0, "%s", err.msg);
	cr_assert_eq(how, AGENTC_ENROLLED);
	cr_assert_str_eq(agentc_agent_id(a), "mock-2");
	cr_assert_eq(agentc_attest(&res, a, tpm, &ev, &err), 0, "%s (%s)", err.msg,
	             mock.last_refusal);
	agentc_free(a);
	tpmq_close(tpm);
}
