/*
 * test_agent_daemon.c - the ephemera-agent binary against a swtpm and the
 * real ephemera-broker on 127.0.0.1: its exit codes (bad configuration
 * key 2 naming file:line, no TPM 3, broker unreachable at start 4 after
 * logged backoff, tampered boot refused 5 with the reason, --once 0) and
 * the periodic loop (period 1 s, SIGTERM: exit 0, >= 3 accepted
 * attestations in the broker's store, read back with ephemeractl).
 *
 * Needs swtpm (ctest label "swtpm") and the binaries $EPH_BINARY_DIR/
 * agent/daemon/ephemera-agent, broker/daemon/ephemera-broker and
 * broker/ctl/ephemeractl. Each test starts its own TPM and broker.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../real_broker.h"
#include "../tpm/swtpm_fixture.h"
#include "testutil.h"

/* a syntactically valid pin for cases that never reach a broker */
#define FAKE_PIN "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static char logfile[700], bootid[700], statedir[700], agentlog[700];

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* A TCP port nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	cr_assert_geq(s, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(s);
	return port;
}

static pid_t agent_pid = -1;

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

static void setup_tpm(int tamper)
{
	FILE *f;

	fx_setup();
	boot(tamper);
	snprintf(bootid, sizeof(bootid), "%s", fx_path("boot_id"));
	snprintf(statedir, sizeof(statedir), "%s", fx_path("agent-state"));
	snprintf(agentlog, sizeof(agentlog), "%s", fx_path("agent.log"));
	f = fopen(bootid, "w");
	cr_assert_not_null(f);
	fputs("0f0f0f0f-1111-2222-3333-444444444444\n", f);
	fclose(f);
}

static void setup_good(void)
{
	setup_tpm(0);
	broker_start();
}

static void setup_tampered(void)
{
	setup_tpm(1);
	broker_start();
}

static void setup_no_broker(void)
{
	setup_tpm(0);
	snprintf(broker_url, sizeof(broker_url), "https://127.0.0.1:%d", closed_port());
	snprintf(broker_pin, sizeof(broker_pin), "%s", FAKE_PIN);
}

static void teardown(void)
{
	stop_pid(&agent_pid);
	stop_pid(&broker_pid);
	fx_teardown();
}

/* Start ephemera-agent with the common arguments plus extra (NULL-ended),
 * stderr to agentlog. */
static pid_t agent_spawn(const char *tcti, const char *const *extra)
{
	const char *args[64];
	int i = 0;
	pid_t pid;

	args[i++] = bin("agent/daemon/ephemera-agent");
	args[i++] = "--broker";
	args[i++] = broker_url;
	args[i++] = "--pin";
	args[i++] = broker_pin;
	args[i++] = "--tcti";
	args[i++] = tcti;
	args[i++] = "--state-dir";
	args[i++] = statedir;
	args[i++] = "--eventlog";
	args[i++] = logfile;
	args[i++] = "--ima=";
	args[i++] = "--boot-id";
	args[i++] = bootid;
	args[i++] = "--cvm";
	args[i++] = "none";
	args[i++] = "--ak-alg";
	args[i++] = "ecc";
	args[i++] = "--hostname";
	args[i++] = "guest-agentd";
	while (extra != NULL && *extra != NULL && i < 63)
		args[i++] = *extra++;
	args[i] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		FILE *f = freopen(agentlog, "w", stderr);

		(void)f;
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	return pid;
}

/* Wait up to timeout_s for pid; its exit status, or -1 (killed) on timeout. */
static int agent_wait(pid_t *pid, double timeout_s)
{
	double end = fx_ms() + timeout_s * 1000;
	int st;

	while (fx_ms() < end) {
		if (waitpid(*pid, &st, WNOHANG) == *pid) {
			*pid = -1;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(20 * 1000);
	}
	stop_pid(pid);
	return -1;
}

static int agent_run(const char *const *extra, double timeout_s)
{
	agent_pid = agent_spawn(fx_tpm[0].tcti, extra);
	return agent_wait(&agent_pid, timeout_s);
}

/* The agent id from an "enrolled agent=ID" line of the agent's log. */
static void agent_id(char *id, size_t size)
{
	const char *log = slurp(agentlog), *p = strstr(log, "enrolled agent=");
	size_t n = 0;

	cr_assert_not_null(p, "no enrolment in the log: %s", log);
	p += strlen("enrolled agent=");
	while (p[n] != '\0' && p[n] != ' ' && p[n] != '\n' && n + 1 < size)
		n++;
	memcpy(id, p, n);
	id[n] = '\0';
}

static int ctl(char **out, const char *args)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "'%s' --broker %s --pin '%s' %s 2>&1",
	         bin("broker/ctl/ephemeractl"), broker_url, broker_pin, args);
	return tu_run(cmd, out);
}

static unsigned accepted(const char *id)
{
	char args[400], *out = NULL;
	unsigned n;

	snprintf(args, sizeof(args), "--json attestations '%s'", id);
	cr_assert_eq(ctl(&out, args), 0, "%s", out);
	n = count(out, "\"accepted\": true");
	free(out);
	return n;
}

Test(agent_daemon, unknown_config_key_names_file_and_line)
{
	char dir[] = "/tmp/eph-agentd-XXXXXX", conf[300], cmd[1200], *out = NULL;
	FILE *f;
	int st;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/agent.conf", dir);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fputs("# sample\nbroker = https://127.0.0.1:1\npin = " FAKE_PIN "\n\nperiod_secs = 5\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s' --config '%s' 2>&1", bin("agent/daemon/ephemera-agent"),
	         conf);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 2, "exit %d: %s", st, out);
	cr_assert_not_null(strstr(out, "agent.conf:5"), "%s", out);
	cr_assert_not_null(strstr(out, "period_secs"), "%s", out);
	free(out);

	/* a bad value is refused the same way; on the command line it is usage (1) */
	f = fopen(conf, "w");
	fputs("broker = https://127.0.0.1:1\npin = " FAKE_PIN "\ncvm = maybe\n", f);
	fclose(f);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 2, "exit %d: %s", st, out);
	cr_assert_not_null(strstr(out, "agent.conf:3"), "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "'%s' --no-such-flag 2>&1", bin("agent/daemon/ephemera-agent"));
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 1, "exit %d: %s", st, out);
	free(out);
	unlink(conf);
	rmdir(dir);
}

Test(agent_daemon, no_tpm_exits_3_naming_the_tcti, .init = setup_no_broker, .fini = teardown)
{
	char tcti[80];
	const char *log;
	int st;

	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", closed_port());
	agent_pid = agent_spawn(tcti, NULL);
	st = agent_wait(&agent_pid, 30);
	log = slurp(agentlog);
	cr_assert_eq(st, 3, "exit %d: %s", st, log);
	cr_assert_not_null(strstr(log, "no-tpm"), "%s", log);
	cr_assert_not_null(strstr(log, tcti), "%s", log);
}

Test(agent_daemon, once_enrols_and_attests, .init = setup_good, .fini = teardown)
{
	static const char *const extra[] = {"--once", NULL};
	char id[256], *out = NULL;
	const char *log;
	int st;

	st = agent_run(extra, 90);
	log = slurp(agentlog);
	cr_assert_eq(st, 0, "exit %d: %s | broker: %s", st, log,
	             slurp(fx_path("broker/broker.log")));
	cr_assert_not_null(strstr(log, "attested agent="), "%s", log);
	cr_assert_not_null(strstr(log, "verdict=affirming"), "%s", log);
	cr_assert_not_null(strstr(log, "directive=continue"), "%s", log);
	agent_id(id, sizeof(id));
	cr_assert_eq(ctl(&out, "agents list"), 0, "%s", out);
	cr_assert_not_null(strstr(out, id), "%s", out);
	cr_assert_not_null(strstr(out, "guest-agentd"), "%s", out);
	free(out);
	cr_assert_eq(accepted(id), 1);

	/* a second run reloads the saved AK instead of enrolling again */
	st = agent_run(extra, 90);
	log = slurp(agentlog);
	cr_assert_eq(st, 0, "exit %d: %s", st, log);
	cr_assert_not_null(strstr(log, "reloaded agent="), "%s", log);
	cr_assert_eq(accepted(id), 2);
}

Test(agent_daemon, periodic_until_sigterm, .init = setup_good, .fini = teardown)
{
	static const char *const extra[] = {"--period-s", "1", NULL};
	char id[256];
	double end;
	int st;

	agent_pid = agent_spawn(fx_tpm[0].tcti, extra);
	end = fx_ms() + 60000;
	while (strstr(slurp(agentlog), "attested agent=") == NULL && fx_ms() < end) {
		cr_assert_eq(waitpid(agent_pid, &st, WNOHANG), 0, "agent exited: %s",
		             slurp(agentlog));
		usleep(50 * 1000);
	}
	cr_assert_not_null(strstr(slurp(agentlog), "attested agent="), "%s", slurp(agentlog));
	usleep(3500 * 1000);
	kill(agent_pid, SIGTERM);
	st = agent_wait(&agent_pid, 30);
	cr_assert_eq(st, 0, "exit %d: %s", st, slurp(agentlog));
	cr_assert_not_null(strstr(slurp(agentlog), "stopping signal=SIGTERM"), "%s",
	                   slurp(agentlog));
	agent_id(id, sizeof(id));
	cr_assert_geq(accepted(id), 3, "%s", slurp(agentlog));
	cr_log_info("agent log:\n%s", slurp(agentlog));
}

Test(agent_daemon, tampered_boot_refused_exit_5, .init = setup_tampered, .fini = teardown)
{
	const char *log;
	int st;

	st = agent_run(NULL, 90);
	log = slurp(agentlog);
	cr_assert_eq(st, 5, "exit %d: %s", st, log);
	cr_assert_not_null(strstr(log, "refused step=attest"), "%s", log);
	cr_assert_not_null(strstr(log, "http=403"), "%s", log);
	cr_assert_not_null(strstr(log, "PCR 8"), "%s", log);
	cr_log_info("agent log:\n%s", log);
}

Test(agent_daemon, broker_down_at_start_exit_4, .init = setup_no_broker, .fini = teardown)
{
	static const char *const extra[] = {"--start-timeout", "2", NULL};
	double t0 = fx_ms();
	const char *log;
	int st;

	st = agent_run(extra, 30);
	log = slurp(agentlog);
	cr_assert_eq(st, 4, "exit %d: %s", st, log);
	cr_assert_geq(fx_ms() - t0, 1900, "%s", log);
	cr_assert_geq(count(log, "broker-unreachable"), 2, "%s", log);
	cr_assert_geq(count(log, "backoff retry_ms="), 1, "%s", log);
	cr_assert_not_null(strstr(log, "giving-up"), "%s", log);
	cr_log_info("agent log:\n%s", log);
}
