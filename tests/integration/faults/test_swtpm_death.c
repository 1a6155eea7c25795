/*
 * test_swtpm_death.c - fault case 4: the agent's swtpm is killed (SIGKILL)
 * while the agent re-attests every second, right after a verdict: the next
 * round gets its challenge and then has no TPM to quote with. Checked:
 *   - the agent logs a TPM error that says so ("TPM: ... IO failure", then
 *     "no-tpm" while it stays down), keeps running and backs off (after its
 *     first verdict TPM failures are retried: agent/daemon/main.c);
 *   - the broker records nothing while the TPM is gone: the agent never
 *     gets to POST /v1/attest, so no attestation row at all appears;
 *   - the swtpm comes back on the same port and the machine "reboots"
 *     (firmware-boot.sh measures the same boot again): the agent opens a
 *     new TPM context, reloads its AK and is accepted again, with a quote
 *     whose resetCount went up (it used to stay stuck for ever: ESAPI
 *     answers "called in the wrong order" once its TCTI broke);
 *   - the swtpm comes back without the boot measured again (PCRs reset):
 *     the broker refuses with 403 naming the PCR, records that refusal,
 *     and the agent exits 5 (refused) saying why.
 *
 * Not here: a TPM whose AK is gone (cleared): the agent's state-rejected
 * path, covered by test_agent_kill.c with a damaged ak.priv.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../real_broker.h"
#include "../tpm/swtpm_fixture.h"
#include "faults.h"
#include "testutil.h"

static struct fl_broker br;
static struct fl_agent ag;

static void setup(void)
{
	fx_up(0, 0);
	fl_broker_init(&br, fx_path("broker"), fx_path("broker/store.db"));
	fl_agent_init(&ag, 0, "guest-tpm");
	fl_broker_start(&br);
}

static void teardown(void)
{
	fl_agent_stop(&ag);
	fl_broker_stop(&br);
	fx_teardown();
}

static pid_t swtpm_pid(void)
{
	char path[700];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/swtpm.pid", fx_tpm[0].state);
	pid = (pid_t)strtol(slurp(path), NULL, 10);
	cr_assert_gt(pid, 1, "no swtpm pid in %s", path);
	return pid;
}

static void swtpm_kill9(void)
{
	pid_t pid = swtpm_pid();
	int i;

	cr_assert_eq(kill(pid, SIGKILL), 0);
	/* not our child (swtpm --daemon): wait until it is gone */
	for (i = 0; i < 250 && kill(pid, 0) == 0; i++)
		usleep(20 * 1000);
	cr_assert_neq(kill(pid, 0), 0, "swtpm %d survived SIGKILL", (int)pid);
}

/* Start swtpm again on the port the agent's TCTI names, as swtpm-up.sh does. */
static void swtpm_restart(void)
{
	const char *port = strstr(fx_tpm[0].tcti, "port=");
	char cmd[2048], *out = NULL;
	long p;
	int st;

	cr_assert_not_null(port);
	p = strtol(port + 5, NULL, 10);
	snprintf(cmd, sizeof(cmd),
	         "swtpm socket --tpm2 --tpmstate dir='%s' "
	         "--server type=tcp,port=%ld,bindaddr=127.0.0.1 "
	         "--ctrl type=tcp,port=%ld,bindaddr=127.0.0.1 "
	         "--flags not-need-init,startup-clear --daemon --pid file='%s/swtpm.pid' "
	         "--log file='%s/swtpm.log' 2>&1",
	         fx_tpm[0].state, p, p + 1, fx_tpm[0].state, fx_tpm[0].state);
	/* the old sockets may linger a moment: a few tries */
	for (int i = 0; i < 50; i++) {
		free(out);
		out = NULL;
		st = tu_run(cmd, &out);
		if (st == 0)
			break;
		usleep(100 * 1000);
	}
	cr_assert_eq(st, 0, "swtpm restart: %s", out ? out : "");
	free(out);
}

static int64_t rows(const char *where)
{
	char sql[300];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM attestations WHERE %s", where);
	return fl_sql_int(br.store, sql);
}

Test(faults, swtpm_death_is_a_clear_tpm_error_then_recovers, .init = setup, .fini = teardown)
{
	static const char *const loop[] = {"--period-s", "1", NULL};
	int64_t before, reset0, reset1;
	unsigned told;
	int st;

	fl_agent_start(&ag, &br, loop);
	cr_assert(fl_wait_count(ag.log, "attested agent=", 2, 60, ag.pid), "%s", fl_read(ag.log));
	reset0 = fl_sql_int(
	    br.store, "SELECT reset_count FROM attestations WHERE accepted = 1 ORDER BY id DESC "
	              "LIMIT 1");

	/* 1. the TPM dies under the agent, right after a verdict: while the
	 * agent sleeps, so its next round gets its challenge (the broker
	 * issues a nonce) and then finds no TPM to quote with */
	told = fl_count(ag.log, "attested agent=");
	cr_assert(fl_wait_count(ag.log, "attested agent=", told + 1, 30, ag.pid), "%s",
	          fl_read(ag.log));
	swtpm_kill9();
	before = rows("1");
	cr_assert(fl_wait_count(ag.log, "attest-failed agent=", 1, 30, ag.pid), "no TPM error: %s",
	          fl_read(ag.log));
	cr_assert_not_null(strstr(fl_read(ag.log), "reason=\"TPM: quote: "), "%s", fl_read(ag.log));
	cr_assert_geq(fl_sql_int(br.store, "SELECT count(*) FROM nonces WHERE used_at IS NULL"), 1,
	              "no challenge was issued before the quote failed");
	/* the next rounds cannot even open it */
	cr_assert(fl_wait_count(ag.log, "no-tpm tcti=", 1, 30, ag.pid), "%s", fl_read(ag.log));
	cr_assert_geq(fl_count(ag.log, "backoff retry_ms="), 1, "%s", fl_read(ag.log));
	usleep(1500 * 1000);
	cr_assert_eq(waitpid(ag.pid, &st, WNOHANG), 0, "the agent exited: %s", fl_read(ag.log));
	/* nothing at all was recorded without a TPM */
	cr_assert_eq(rows("1"), before, "the broker recorded attestations without a TPM");
	before = rows("1");

	/* 2. the TPM comes back and the boot is measured again: accepted */
	told = fl_count(ag.log, "attested agent=");
	kill(ag.pid, SIGSTOP); /* so that it cannot quote half-measured PCRs */
	swtpm_restart();
	fl_agent_reboot(&ag);
	kill(ag.pid, SIGCONT);
	cr_assert(fl_wait_count(ag.log, "attested agent=", told + 1, 60, ag.pid),
	          "no recovery: %s | %s", fl_read(ag.log), slurp(br.log));
	cr_assert_geq(fl_count(ag.log, "reloaded agent="), 1, "%s", fl_read(ag.log));
	cr_assert_eq(rows("accepted = 0"), 0, "refusals while recovering: %s", slurp(br.log));
	reset1 = fl_sql_int(
	    br.store, "SELECT reset_count FROM attestations WHERE accepted = 1 ORDER BY id DESC "
	              "LIMIT 1");
	cr_assert_gt(reset1, reset0, "the new quote's resetCount did not go up");
	cr_log_info("recovered: resetCount %lld -> %lld", (long long)reset0, (long long)reset1);

	/* 3. the TPM comes back, but nothing measured the boot: refused, exit 5 */
	swtpm_kill9();
	cr_assert(
	    fl_wait_count(ag.log, "no-tpm tcti=", fl_count(ag.log, "no-tpm tcti=") + 1, 30, ag.pid),
	    "%s", fl_read(ag.log));
	swtpm_restart();
	st = fl_agent_wait(&ag, 60);
	cr_assert_eq(st, 5, "exit %d: %s", st, fl_read(ag.log));
	cr_assert_not_null(strstr(fl_read(ag.log), "refused step=attest"), "%s", fl_read(ag.log));
	cr_assert_not_null(strstr(fl_read(ag.log), "http=403"), "%s", fl_read(ag.log));
	cr_assert_not_null(strstr(fl_read(ag.log), "PCR "), "%s", fl_read(ag.log));
	cr_assert_eq(rows("accepted = 0 AND reason LIKE '%PCR%'"), 1, "%s", slurp(br.log));
	cr_assert_eq(fx_tpm_handles(0), 0, "the refused agent left handles in the TPM");
}
