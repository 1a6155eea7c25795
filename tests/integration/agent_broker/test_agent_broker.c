/*
 * test_agent_broker.c - libagentc against the real ephemera-broker on
 * 127.0.0.1 and a swtpm: enrol -> attest accepted; a restart (new TPM
 * context, new client) reloads the AK and attests without enrolling again;
 * a tampered boot (PCR 8) is refused with a message naming PCR 8;
 * ephemeractl lists the agent and its attestations; and an IMA list sent in
 * chunks (the broker extends its stored PCR 10 by each new chunk) is
 * accepted while it matches the TPM and refused when an entry is edited.
 *
 * Needs swtpm (ctest label "swtpm") and the binaries $EPH_BINARY_DIR/
 * broker/daemon/ephemera-broker and broker/ctl/ephemeractl. Each test
 * starts its own TPM and its own broker (fresh store) and stops both.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../real_broker.h"
#include "../tpm/swtpm_fixture.h"
#include "agentc.h"
#include "eph_hash.h"
#include "testutil.h"
#include "tpmq.h"

static char logfile[700], bootid[700], statedir[700];

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

static void setup_common(int tamper)
{
	FILE *f;

	fx_setup();
	boot(tamper);
	snprintf(bootid, sizeof(bootid), "%s", fx_path("boot_id"));
	snprintf(statedir, sizeof(statedir), "%s", fx_path("agent-state"));
	f = fopen(bootid, "w");
	fputs("0f0f0f0f-1111-2222-3333-444444444444\n", f);
	fclose(f);
	broker_start();
}

static void setup_good(void) { setup_common(0); }

static void setup_tampered(void) { setup_common(1); }

static void teardown(void)
{
	broker_stop();
	fx_teardown();
}

static agentc *client(void)
{
	struct agentc_config cfg = {0};
	struct eph_err err = {{0}};
	agentc *a = NULL;

	cfg.broker_url = broker_url;
	cfg.pin = broker_pin;
	cfg.state_dir = statedir;
	cfg.hostname = "guest-it";
	cfg.cvm = AGENTC_CVM_NONE;
	cr_assert_eq(agentc_new(&a, &cfg, &err), 0, "%s", err.msg);
	return a;
}

static struct agentc_evidence evidence(void)
{
	struct agentc_evidence ev = {0};

	ev.eventlog = logfile;
	ev.ima = ""; /* PCR 10 is not extended by the fixture: send no IMA list */
	ev.boot_id = bootid;
	return ev;
}

static int ctl(char **out, const char *args)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "'%s' --broker %s --pin '%s' %s 2>&1",
	         bin("broker/ctl/ephemeractl"), broker_url, broker_pin, args);
	return tu_run(cmd, out);
}

Test(agent_broker, enrol_attest_restart_and_ctl, .init = setup_good, .fini = teardown)
{
	struct agentc_evidence ev = evidence();
	struct agentc_result res;
	struct agentc_refusal ref;
	enum agentc_enrolment how = 0;
	struct eph_err err = {{0}};
	agentc *a = client();
	tpmq_tpm *tpm = fx_open(0);
	char id[WIRE_MAX_TEXT], args[400], *out = NULL;
	int rc;

	rc = agentc_enrol(&how, &ref, a, tpm, 0, &err);
	cr_assert_eq(rc, 0, "enrol: %s | broker log: %s", err.msg,
	             slurp(fx_path("broker/broker.log")));
	cr_assert_eq(how, AGENTC_ENROLLED);
	snprintf(id, sizeof(id), "%s", agentc_agent_id(a));
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, 0, "attest: %s | broker log: %s", err.msg,
	             slurp(fx_path("broker/broker.log")));
	cr_assert_str_eq(res.resp.directive, "continue");
	cr_assert_eq(res.resp.result[WIRE_AR_INSTANCE_IDENTITY], WIRE_TIER_AFFIRMING);
	cr_assert_gt(res.resp.deadline, (uint64_t)time(NULL));

	/* restart: a new process would do exactly this */
	agentc_free(a);
	tpmq_close(tpm);
	a = client();
	tpm = fx_open(0);
	cr_assert_eq(agentc_enrol(&how, &ref, a, tpm, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(how, AGENTC_RELOADED);
	cr_assert_str_eq(agentc_agent_id(a), id);
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, 0, "attest after restart: %s", err.msg);
	cr_assert_str_eq(res.resp.directive, "continue");

	/* ephemeractl sees the agent and its two attestations */
	cr_assert_eq(ctl(&out, "agents list"), 0, "%s", out);
	cr_assert_not_null(strstr(out, id), "%s", out);
	cr_assert_not_null(strstr(out, "guest-it"), "%s", out);
	free(out);
	snprintf(args, sizeof(args), "--json attestations '%s'", id);
	cr_assert_eq(ctl(&out, args), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"attestations\""), "%s", out);
	free(out);
	snprintf(args, sizeof(args), "attestations '%s'", id);
	cr_assert_eq(ctl(&out, args), 0, "%s", out);
	cr_assert_not_null(strstr(out, "ACCEPTED"), "%s", out);
	cr_assert_not_null(strstr(out, "yes"), "%s", out);
	free(out);
	cr_assert_eq(ctl(&out, "attestations no-such-agent"), 6, "%s", out);
	free(out);

	agentc_free(a);
	tpmq_close(tpm);
}

Test(agent_broker, tampered_boot_refused_naming_pcr8, .init = setup_tampered, .fini = teardown)
{
	struct agentc_evidence ev = evidence();
	struct agentc_result res;
	enum agentc_enrolment how = 0;
	struct eph_err err = {{0}};
	agentc *a = client();
	tpmq_tpm *tpm = fx_open(0);
	char args[400], *out = NULL;
	int rc;

	cr_assert_eq(agentc_enrol(&how, NULL, a, tpm, 0, &err), 0, "%s", err.msg);
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	/* e.g. "POST /v1/attest: HTTP 403 eventlog-mismatch: agent ...: PCR 8 (sha256):
	 * the firmware event log does not replay to the quoted value" */
	cr_assert_eq(rc, EPH_EPOLICY, "rc %d: %s", rc, err.msg);
	cr_assert_eq(res.refusal.http_status, 403);
	cr_assert_neq(res.refusal.code[0], '\0');
	cr_assert_not_null(strstr(res.refusal.message, "PCR 8"), "%s", res.refusal.message);
	cr_assert_not_null(strstr(err.msg, "PCR 8"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "HTTP 403"), "%s", err.msg);
	snprintf(args, sizeof(args), "--json attestations '%s'", agentc_agent_id(a));
	cr_assert_eq(ctl(&out, args), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"accepted\": false"), "%s", out);
	free(out);
	agentc_free(a);
	tpmq_close(tpm);
}

/*
 * IMA, as the kernel does it for the ima-ng template: template data =
 * [u32 len]["sha256:\0" digest] [u32 len][path\0]; the list records
 * SHA1(data); PCR 10 gets H_bank(data) in every bank (tpmq_pcr_extend_data).
 * Binary list entry: u32 pcr | hash[20] | u32 6 | "ima-ng" | u32 len | data.
 */
static void ng_data(struct tu_buf *d, const char *path, uint8_t fill)
{
	static const char algo[] = "sha256:"; /* sent with its NUL */
	uint8_t dig[32];

	memset(dig, fill, sizeof(dig));
	tu_u32(d, (uint32_t)(sizeof(algo) + sizeof(dig)));
	tu_put(d, algo, sizeof(algo));
	tu_put(d, dig, sizeof(dig));
	tu_u32(d, (uint32_t)strlen(path) + 1);
	tu_put(d, path, strlen(path) + 1);
}

static void ima_append(struct tu_buf *list, const struct tu_buf *d)
{
	uint8_t h[20];

	cr_assert_eq(eph_hash(EPH_ALG_SHA1, d->p, d->n, h), 0);
	tu_u32(list, 10);
	tu_put(list, h, sizeof(h));
	tu_u32(list, 6);
	tu_put(list, "ima-ng", 6);
	tu_u32(list, (uint32_t)d->n);
	tu_put(list, d->p, d->n);
}

/* Measure path into PCR 10 of the TPM and append an entry to the list:
 * the true one, or with tamper an edited one (another path, hash redone). */
static void measure(struct tu_buf *list, tpmq_tpm *tpm, const char *path, uint8_t fill,
                    int tamper)
{
	struct tu_buf d = {0}, shown = {0};
	struct eph_err err = {{0}};

	ng_data(&d, path, fill);
	cr_assert_eq(tpmq_pcr_extend_data(tpm, 10, d.p, d.n, &err), 0, "%s", err.msg);
	if (tamper) {
		ng_data(&shown, "/usr/bin/innocent", fill);
		ima_append(list, &shown);
	} else {
		ima_append(list, &d);
	}
	tu_free(&d);
	tu_free(&shown);
}

Test(agent_broker, ima_list_sent_in_chunks, .init = setup_good, .fini = teardown)
{
	struct agentc_evidence ev = evidence();
	struct agentc_result res;
	enum agentc_enrolment how = 0;
	struct eph_err err = {{0}};
	struct tu_buf list = {0};
	agentc *a = client();
	tpmq_tpm *tpm = fx_open(0);
	char imapath[700];
	size_t before;
	int rc;

	snprintf(imapath, sizeof(imapath), "%s", fx_path("binary_runtime_measurements"));
	ev.ima = imapath;
	cr_assert_eq(agentc_enrol(&how, NULL, a, tpm, 0, &err), 0, "%s", err.msg);

	/* 1. the whole list, from entry 0 */
	measure(&list, tpm, "/usr/bin/a", 0x11, 0);
	measure(&list, tpm, "/usr/lib/b.so", 0x22, 0);
	measure(&list, tpm, "/etc/c.conf", 0x33, 0);
	fx_write(imapath, list.p, list.n);
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, 0, "attest 1: %s | broker log: %s", err.msg,
	             slurp(fx_path("broker/broker.log")));
	cr_assert_str_eq(res.resp.directive, "continue");
	cr_assert_eq(res.ima_offset, 0);
	cr_assert_eq(res.ima_entries, 3);

	/* 2. two new entries: only they are sent, from entry 3 */
	measure(&list, tpm, "/usr/bin/d", 0x44, 0);
	measure(&list, tpm, "/usr/bin/e", 0x55, 0);
	fx_write(imapath, list.p, list.n);
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, 0, "attest 2: %s | broker log: %s", err.msg,
	             slurp(fx_path("broker/broker.log")));
	cr_assert_str_eq(res.resp.directive, "continue");
	cr_assert_eq(res.ima_offset, 3);
	cr_assert_eq(res.ima_entries, 2);

	/* 3. the file shows another entry than the one measured: refused */
	before = list.n;
	measure(&list, tpm, "/usr/bin/f", 0x66, 1);
	fx_write(imapath, list.p, list.n);
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, EPH_EPOLICY, "rc %d: %s", rc, err.msg);
	cr_assert_eq(res.ima_offset, 5);
	cr_assert_eq(res.ima_entries, 1);
	cr_assert_eq(res.refusal.http_status, 403);
	cr_assert_str_eq(res.refusal.code, "ima-mismatch");
	cr_assert_not_null(strstr(res.refusal.message, "PCR 10"), "%s", res.refusal.message);

	/* 4. the true entry: the refusal did not move the broker's position */
	list.n = before;
	{
		struct tu_buf d = {0};

		ng_data(&d, "/usr/bin/f", 0x66);
		ima_append(&list, &d);
		tu_free(&d);
	}
	fx_write(imapath, list.p, list.n);
	rc = agentc_attest(&res, a, tpm, &ev, &err);
	cr_assert_eq(rc, 0, "attest 4: %s | broker log: %s", err.msg,
	             slurp(fx_path("broker/broker.log")));
	cr_assert_eq(res.ima_offset, 5);
	cr_assert_eq(res.ima_entries, 1);

	tu_free(&list);
	agentc_free(a);
	tpmq_close(tpm);
}
