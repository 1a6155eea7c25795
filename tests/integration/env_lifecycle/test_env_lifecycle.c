/*
 * test_env_lifecycle.c - the whole loop on one machine, with a real broker
 * (--driver sandbox), real sandboxes (cgroups + namespaces), a real swtpm
 * vTPM in each and the real ephemera-agent inside: requested -> admitted ->
 * provisioning -> attesting -> running, then every way an environment ends
 * (drift within one period, missed re-attestation, TTL, delete), with the
 * reward of each stored; and kill -9 of the broker at random points while it
 * provisions, after which the restarted broker's reconciliation leaves no
 * cgroup, process or swtpm behind and loses no record.
 *
 * The policy is docs/examples/sandbox-policy: re-attestation every 5 s,
 * PCRs 8 and 9 of a sandbox's vTPM must stay zero; the broker runs with
 * --grace 2.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "envs_fixture.h"
#include "store.h"

#define PERIOD_MS 5000
#define GRACE_MS 2000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (cgroups, namespaces)");
}

/* Extend PCR 8 of the environment's vTPM from inside its network
 * namespace, where its swtpm listens: what a tampered workload would do. */
static void make_drift(const char *id)
{
	char handle[128], cmd[1200], *out = NULL;
	const char *pid;
	int st;

	ef_env_handle(id, handle, sizeof(handle));
	pid = strrchr(handle, ':');
	cr_assert_not_null(pid, "handle %s", handle);
	snprintf(cmd, sizeof(cmd),
		 ". '%s/envs/ephemera-%s/tpm/env' && nsenter -t %s -n tpm2_pcrextend "
		 "8:sha256=0101010101010101010101010101010101010101010101010101010101010101 2>&1",
		 ef_dir, id, pid + 1);
	st = ef_sh(cmd, &out);
	cr_assert_eq(st, 0, "tpm2_pcrextend in %s: %s", id, out ? out : "");
	free(out);
}

/* Freeze the environment's agent: it stays alive but stops attesting. */
static void freeze_agent(const char *id)
{
	char cmd[300];

	/* [e]: the pattern must not match the shell running pkill itself */
	snprintf(cmd, sizeof(cmd), "pkill -STOP -f -- '--hostnam[e] %s'", id);
	cr_assert_eq(ef_sh(cmd, NULL), 0, "no agent process for %s", id);
}

static unsigned count_outcomes(void)
{
	char cmd[700], *out = NULL;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s/store.db' 'SELECT count(*) FROM outcomes'",
		 ef_dir);
	if (ef_sh(cmd, &out) == 0 && out)
		n = (unsigned)strtoul(out, NULL, 10);
	free(out);
	return n;
}

static unsigned bound_agents(void)
{
	char cmd[700], *out = NULL;
	unsigned n = 0;

	snprintf(cmd, sizeof(cmd),
		 "sqlite3 '%s/store.db' 'SELECT count(*) FROM agents WHERE env_id IS NOT NULL'",
		 ef_dir);
	if (ef_sh(cmd, &out) == 0 && out)
		n = (unsigned)strtoul(out, NULL, 10);
	free(out);
	return n;
}

TestSuite(env_lifecycle, .init = ef_setup, .fini = ef_teardown);

Test(env_lifecycle, full_loop_drift_deadline_ttl_delete)
{
	enum { ENVS = 4 };
	char ids[ENVS][STORE_ID_SIZE], why[512];
	/* 0 stays until deleted, 1 lives 12 s (TTL), 2 is frozen, 3 drifts */
	static const unsigned duration[ENVS] = {300, 12, 300, 300};
	long t0;
	int i, s;

	require_root();
	ef_broker_start();
	for (i = 0; i < ENVS; i++) {
		char sub[16];

		snprintf(sub, sizeof(sub), "user%d", i);
		cr_assert_eq(ef_env_create(ids[i], sub, 2, duration[i]), 0, "create %d", i);
		cr_assert_neq(ids[i][0], '\0');
	}
	for (i = 0; i < ENVS; i++) {
		s = ef_wait_state(ids[i], STORE_ENV_RUNNING, 30000);
		cr_assert_eq(s, STORE_ENV_RUNNING, "env %d is %d, not running; log:\n%s", i, s,
			     ef_log());
	}
	cr_assert_eq(bound_agents(), ENVS, "each environment's agent bound by its vTPM EK");

	/* drift: destroyed within one period (+1 s: the tick and the quote) */
	t0 = now_ms();
	make_drift(ids[3]);
	s = ef_wait_state(ids[3], STORE_ENV_DESTROYED, PERIOD_MS + 1500);
	cr_assert_eq(s, STORE_ENV_DESTROYED, "drifted env still %d after %ld ms", s,
		     now_ms() - t0);
	ef_env_state(ids[3], why, sizeof(why));
	cr_assert(strstr(why, "drift") && strstr(why, "PCR 8"), "reason: %s", why);

	/* missed re-attestation: at most period + grace (+ tick) after freezing */
	t0 = now_ms();
	freeze_agent(ids[2]);
	s = ef_wait_state(ids[2], STORE_ENV_DESTROYED, PERIOD_MS + GRACE_MS + 2500);
	cr_assert_eq(s, STORE_ENV_DESTROYED, "frozen env still %d after %ld ms", s,
		     now_ms() - t0);
	ef_env_state(ids[2], why, sizeof(why));
	cr_assert(strstr(why, "missed re-attestation") != NULL, "reason: %s", why);

	/* TTL (12 s from creation) */
	s = ef_wait_state(ids[1], STORE_ENV_DESTROYED, 15000);
	cr_assert_eq(s, STORE_ENV_DESTROYED, "TTL env still %d", s);
	ef_env_state(ids[1], why, sizeof(why));
	cr_assert_str_eq(why, "ttl");

	/* the first one survived all that, re-attesting; then delete */
	cr_assert_eq(ef_env_state(ids[0], NULL, 0), STORE_ENV_RUNNING);
	cr_assert_eq(ef_env_delete(ids[0]), 0);
	s = ef_wait_state(ids[0], STORE_ENV_DESTROYED, 10000);
	cr_assert_eq(s, STORE_ENV_DESTROYED);
	ef_env_state(ids[0], why, sizeof(why));
	cr_assert(strstr(why, "deleted") != NULL, "reason: %s", why);

	cr_assert_eq(count_outcomes(), ENVS, "one reward per ended environment");
	cr_assert_eq(ef_leaked_sandboxes(ids, ENVS), 0);
	ef_broker_stop();
	cr_assert_eq(ef_leaked_processes(), 0);
}

Test(env_lifecycle, kill9_while_provisioning_leaks_nothing_loses_nothing)
{
	enum { PER_ROUND = 2, MAX_ROUNDS = 20 };
	char ids[MAX_ROUNDS * PER_ROUND][STORE_ID_SIZE];
	const char *r = getenv("EPH_CRASH_ROUNDS");
	unsigned rounds = r ? (unsigned)strtoul(r, NULL, 10) : 5, seed = 20261125;
	size_t n = 0, i;
	unsigned k;

	require_root();
	if (rounds == 0 || rounds > MAX_ROUNDS)
		rounds = 5;
	for (k = 0; k < rounds; k++) {
		unsigned delay;
		int j;

		ef_broker_start();
		for (j = 0; j < PER_ROUND; j++) {
			char sub[16];

			snprintf(sub, sizeof(sub), "crash%u", k);
			cr_assert_eq(ef_env_create(ids[n], sub, 2, 300), 0, "round %u create", k);
			n++;
		}
		/* 0..1.5 s: before, during or after the sandboxes and vTPMs are made */
		delay = (unsigned)(rand_r(&seed) % 1500);
		usleep(delay * 1000);
		ef_broker_kill9();
		cr_log_info("round %u: broker killed %u ms after two requests", k, delay);
	}
	/* One restart: reconcile, re-queue what was still admitted. */
	ef_broker_start();
	for (i = 0; i < n; i++) {
		int s = ef_env_state(ids[i], NULL, 0);

		cr_assert_geq(s, 0, "environment %s lost from the store", ids[i]);
	}
	/* Everything settles: running (its sandbox survived or was made now),
	 * or failed (interrupted mid-provisioning: destroyed by reconcile). */
	for (i = 0; i < n; i++) {
		long t0 = now_ms();
		int s;

		do {
			s = ef_env_state(ids[i], NULL, 0);
			if (s == STORE_ENV_RUNNING || s == STORE_ENV_FAILED ||
			    s == STORE_ENV_DESTROYED)
				break;
			usleep(100000);
		} while (now_ms() - t0 < 30000);
		cr_assert(s == STORE_ENV_RUNNING || s == STORE_ENV_FAILED ||
				  s == STORE_ENV_DESTROYED,
			  "environment %s stuck in %d; log:\n%s", ids[i], s, ef_log());
		if (s == STORE_ENV_RUNNING)
			cr_assert_eq(ef_env_delete(ids[i]), 0);
	}
	for (i = 0; i < n; i++) {
		int s = ef_wait_state(ids[i], STORE_ENV_DESTROYED, 15000);

		cr_assert(s == STORE_ENV_DESTROYED || s == STORE_ENV_FAILED, "%s is %d", ids[i],
			  s);
	}
	cr_assert_eq(ef_leaked_sandboxes(ids, n), 0);
	ef_broker_stop();
	cr_assert_eq(ef_leaked_processes(), 0, "processes left; log:\n%s", ef_log());
}
