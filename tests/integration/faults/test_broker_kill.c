/*
 * test_broker_kill.c - fault case 1: kill -9 of the broker at seeded random
 * points while two real agents (each on its own swtpm) register and attest,
 * then a restart on the same store and port. Checked: every agent id an
 * agent was told is in the store, activated; every accepted verdict an agent
 * logged is in the store (and the store holds at most one more per kill per
 * agent: the verdict committed just before a kill whose response never left);
 * PRAGMA integrity_check after every kill; the agents attest again after
 * every restart through their own backoff; no nonce is used twice, and a
 * nonce consumed before a kill is refused (409) after it.
 *
 * Not here: kills of the agents (test_agent_kill.c).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../real_broker.h"
#include "../tpm/swtpm_fixture.h"
#include "faults.h"
#include "wire.h"

#define NAGENTS 2
#define KILLS 6

static struct fl_broker br;
static struct fl_agent ag[NAGENTS];

static void setup(void)
{
	fx_up(0, 0);
	fx_up(1, 0);
	fl_broker_init(&br, fx_path("broker"), fx_path("broker/store.db"));
	fl_agent_init(&ag[0], 0, "guest-a");
	fl_agent_init(&ag[1], 1, "guest-b");
}

static void teardown(void)
{
	for (int i = 0; i < NAGENTS; i++)
		fl_agent_stop(&ag[i]);
	fl_broker_stop(&br);
	fx_teardown();
}

/* POST /v1/attest with a consumed nonce: the broker must call it a replay. */
static void replay_refused(const char *agent_id, const uint8_t *nonce)
{
	struct wire_attest_req *req = calloc(1, sizeof(*req));
	struct eph_err err = {{0}};
	uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8}, *body = NULL;
	size_t len = 0;
	char *out = NULL;
	long st;

	cr_assert_not_null(req);
	snprintf(req->agent_id, sizeof(req->agent_id), "%s", agent_id);
	memcpy(req->nonce, nonce, sizeof(req->nonce));
	req->quote.p = junk;
	req->quote.len = sizeof(junk);
	req->sig.p = junk;
	req->sig.len = sizeof(junk);
	req->num_banks = 1;
	req->banks[0].alg = 0x000b;
	req->banks[0].mask = 1;
	req->banks[0].size = 32;
	cr_assert_eq(wire_attest_req_encode(&body, &len, req, &err), 0, "%s", err.msg);
	st = fl_https(&out, &br, "POST", "/v1/attest", body, len);
	cr_assert_eq(st, 409, "a consumed nonce answered %ld: %s", st, out);
	cr_assert_not_null(strstr(out, "already used"), "%s", out);
	free(out);
	free(body);
	free(req);
}

Test(faults, broker_kill9_loses_no_verdict, .init = setup, .fini = teardown)
{
	static const char *const extra[] = {"--period-s", "1", "--start-timeout", "0", NULL};
	struct eph_rng rng;
	unsigned told_at_kill[NAGENTS], restarts = 0, orphans;
	char ids[NAGENTS][8][64], sql[512], hex[65];
	unsigned nids[NAGENTS];
	int k, i, j;

	fl_rng(&rng, 0x5eed0001);
	fl_broker_start(&br);
	for (i = 0; i < NAGENTS; i++)
		fl_agent_start(&ag[i], &br, extra);

	for (k = 0; k < KILLS; k++) {
		/* The first kill lands in the agents' enrolment (register,
		 * activate: ~0.1-1 s after start); later ones between and
		 * inside attestation rounds (period 1 s). */
		unsigned delay = k == 0 ? fl_between(&rng, 20, 500) : fl_between(&rng, 50, 1500);
		unsigned down = fl_between(&rng, 0, 400);

		usleep(delay * 1000);
		fl_broker_kill9(&br);
		for (i = 0; i < NAGENTS; i++)
			told_at_kill[i] = fl_count(ag[i].log, "attested agent=");
		cr_log_info("kill %d after %u ms, down %u ms, agents had %u/%u verdicts", k, delay,
		            down, told_at_kill[0], told_at_kill[1]);
		fl_assert_integrity(br.store);
		usleep(down * 1000);
		fl_broker_start(&br);
		restarts++;
		/* each agent carries on by itself: backoff, reconnect, verdict */
		for (i = 0; i < NAGENTS; i++)
			cr_assert(fl_wait_count(ag[i].log, "attested agent=", told_at_kill[i] + 1,
			                        45, ag[i].pid),
			          "agent %d did not attest after restart %d: %s | broker: %s", i, k,
			          fl_read(ag[i].log), slurp(br.log));
	}
	for (i = 0; i < NAGENTS; i++)
		cr_assert_eq(fl_agent_stop(&ag[i]), 0, "%s", fl_read(ag[i].log));

	/* What each agent was told is what the store holds. */
	for (i = 0; i < NAGENTS; i++) {
		nids[i] = fl_enrolled_ids(ids[i], 8, ag[i].log);
		cr_assert_geq(nids[i], 1, "%s", fl_read(ag[i].log));
		for (j = 0; j < (int)nids[i]; j++) {
			const char *id = ids[i][j];
			char needle[128];
			unsigned told;
			int64_t stored;

			snprintf(sql, sizeof(sql),
			         "SELECT count(*) FROM agents WHERE id = '%.64s' AND activated_at > 0",
			         id);
			cr_assert_eq(fl_sql_int(br.store, sql), 1,
			             "agent %s told enrolled, not in the store", id);
			snprintf(needle, sizeof(needle), "attested agent=%.64s ", id);
			told = fl_count(ag[i].log, needle);
			snprintf(sql, sizeof(sql),
			         "SELECT count(*) FROM attestations WHERE agent_id = '%.64s' AND "
			         "accepted = 1",
			         id);
			stored = fl_sql_int(br.store, sql);
			cr_log_info("agent %s: told %u accepted verdicts, store holds %lld", id,
			            told, (long long)stored);
			cr_assert_geq(stored, (int64_t)told,
			              "a verdict agent %s received is missing", id);
			cr_assert_leq(stored, (int64_t)told + restarts,
			              "the store holds verdicts nobody asked for");
		}
	}
	fl_assert_integrity(br.store);
	cr_assert_eq(
	    fl_sql_int(br.store,
	               "SELECT count(*) FROM (SELECT nonce FROM attestations WHERE nonce IS "
	               "NOT NULL GROUP BY nonce HAVING count(*) > 1)"),
	    0, "a nonce was used by two attestations");
	cr_assert_eq(fl_sql_int(br.store,
	                        "SELECT count(*) FROM attestations a JOIN nonces n ON n.nonce = "
	                        "a.nonce WHERE a.accepted = 1 AND n.used_at IS NULL"),
	             0, "an accepted attestation's nonce is not marked used");
	orphans = (unsigned)fl_sql_int(br.store,
	                               "SELECT count(*) FROM agents WHERE activated_at IS NULL");
	cr_log_info("%u registrations never activated (a kill between register and activate)",
	            orphans);

	/* The oldest accepted verdict came before the second kill at the
	 * latest (every restart waits for a verdict): its nonce is still
	 * spent for the restarted broker. */
	{
		char agent[64];
		uint8_t nonce[32];
		size_t n;

		fl_sql_text(
		    agent, sizeof(agent), br.store,
		    "SELECT agent_id FROM attestations WHERE accepted = 1 ORDER BY id LIMIT 1");
		fl_sql_text(hex, sizeof(hex), br.store,
		            "SELECT hex(nonce) FROM attestations WHERE accepted = 1 ORDER BY id "
		            "LIMIT 1");
		cr_assert_eq(strlen(hex), 64, "%s", hex);
		for (n = 0; n < 32; n++) {
			char b[3] = {hex[2 * n], hex[2 * n + 1], 0};

			nonce[n] = (uint8_t)strtoul(b, NULL, 16);
		}
		replay_refused(agent, nonce);
	}
	cr_assert_eq(fl_broker_stop(&br), 0, "%s", slurp(br.log));
	fl_assert_integrity(br.store);
}
