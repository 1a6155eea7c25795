/*
 * test_agent_kill.c - fault case 2: kill -9 of an agent at seeded random
 * points (in its enrolment: EK and AK creation, register, activation; in
 * its attestation rounds), then a restart with the same state folder.
 * Checked: the restarted agent reloads its AK (or enrols when the kill came
 * before its state was saved) and attests; what the dead one left loaded in
 * the swtpm (no resource manager: nothing else flushes it) is flushed by the
 * next start, so it never piles up (it used to: 0x902 "out of memory for
 * object contexts" on every later start); a graceful exit leaves no handle;
 * a half-written AK (ak.pub cut short, ak.priv cut short) is never used:
 * the agent says so and enrols again.
 *
 * tpm2_getcap runs only while no agent runs: the swtpm serves one
 * connection at a time.
 *
 * Not here: kills of the broker (test_broker_kill.c).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../real_broker.h"
#include "../tpm/swtpm_fixture.h"
#include "faults.h"
#include "testutil.h"

#define KILLS 6

static struct fl_broker br;
static struct fl_agent ag;

static void setup(void)
{
	fx_up(0, 0);
	fl_broker_init(&br, fx_path("broker"), fx_path("broker/store.db"));
	fl_agent_init(&ag, 0, "guest-k");
	fl_broker_start(&br);
}

static void teardown(void)
{
	fl_agent_stop(&ag);
	fl_broker_stop(&br);
	fx_teardown();
}

/* Cut a state file to half its length, in place. */
static void halve(const char *name)
{
	char path[800];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", ag.state, name);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	cr_assert_eq(truncate(path, st.st_size / 2), 0, "%s", path);
}

/* One --once run: exit 0 and a verdict; returns the agent log's text. */
static void once_ok(const char *why)
{
	static const char *const once[] = {"--once", NULL};
	unsigned before = fl_count(ag.log, "attested agent=");
	int st;

	fl_agent_start(&ag, &br, once);
	st = fl_agent_wait(&ag, 90);
	cr_assert_eq(st, 0, "%s: exit %d: %s", why, st, fl_read(ag.log));
	cr_assert_eq(fl_count(ag.log, "attested agent="), before + 1, "%s: %s", why,
	             fl_read(ag.log));
}

Test(faults, agent_kill9_reloads_and_leaks_nothing, .init = setup, .fini = teardown)
{
	static const char *const loop[] = {"--period-s", "1", NULL};
	struct eph_rng rng;
	unsigned k, flushed_lines, enrolments;
	int handles;

	fl_rng(&rng, 0x5eed0002);
	for (k = 0; k < KILLS; k++) {
		/* Even kills hit a fresh enrolment (state wiped; EK, AK,
		 * register, activate take ~0.1-0.3 s with an ECC AK), odd
		 * ones the rounds. */
		int fresh = k % 2 == 0;
		unsigned delay = fresh ? fl_between(&rng, 5, 300) : fl_between(&rng, 200, 2500);
		unsigned before = fl_count(ag.log, "attested agent=");
		char cmd[800], *out = NULL;

		if (fresh) {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ag.state);
			tu_run(cmd, &out);
			free(out);
		}
		fl_agent_start(&ag, &br, loop);
		usleep(delay * 1000);
		fl_agent_kill9(&ag);
		handles = fx_tpm_handles(0);
		cr_log_info("kill %u (%s) after %u ms: %u new verdicts, %d handles left in the TPM",
		            k, fresh ? "enrolment" : "rounds", delay,
		            fl_count(ag.log, "attested agent=") - before, handles);
		/* EK + AK + at most one session: what one process holds */
		cr_assert_leq(handles, 3, "handles pile up: %d", handles);
		/* the same state folder: reload or (if the kill came before
		 * the state was saved) enrol, and attest */
		once_ok("restart after kill -9");
		cr_assert_eq(fx_tpm_handles(0), 0, "a graceful exit left handles in the TPM");
	}
	flushed_lines = fl_count(ag.log, "tpm-flushed handles=");
	enrolments = fl_count(ag.log, "enrolled agent=");
	cr_log_info("%u starts flushed a dead agent's handles; %u enrolments, %u reloads",
	            flushed_lines, enrolments, fl_count(ag.log, "reloaded agent="));

	/* A half-written ak.pub: the agent file's hash no longer matches. */
	halve("ak.pub");
	once_ok("ak.pub cut short");
	cr_assert_geq(fl_count(ag.log, "state-damaged"), 1, "%s", fl_read(ag.log));
	cr_assert_eq(fl_count(ag.log, "enrolled agent="), enrolments + 1, "%s", fl_read(ag.log));
	cr_assert_eq(fx_tpm_handles(0), 0);

	/* A half-written ak.priv: the TPM refuses to load it. */
	halve("ak.priv");
	once_ok("ak.priv cut short");
	cr_assert_geq(fl_count(ag.log, "state-rejected"), 1, "%s", fl_read(ag.log));
	cr_assert_eq(fl_count(ag.log, "enrolled agent="), enrolments + 2, "%s", fl_read(ag.log));
	cr_assert_eq(fx_tpm_handles(0), 0);
	cr_assert_eq(fl_count(ag.log, "out of memory for object contexts"), 0, "%s",
	             fl_read(ag.log));
}
