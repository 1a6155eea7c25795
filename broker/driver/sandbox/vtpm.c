/*
 * vtpm.c - a sandbox's own swtpm, through swtpm-fixtures/: swtpm-up.sh
 * --ca CA STATE/tpm provisions it (EK certs signed by the shared CA) and
 * starts it, and swtpm-down.sh --wipe stops it and deletes its state.
 *
 * Where it runs: swtpm listens on 127.0.0.1 and the sandbox has a network
 * namespace of its own, so swtpm-up.sh is run with its network namespace
 * set to the sandbox's (setns on /proc/PID/ns/net) while staying in the
 * broker's pid, mount and cgroup namespaces: the TPM is reachable from
 * inside at the TCTI printed (swtpm:host=127.0.0.1,port=P), the workload
 * cannot see or signal the swtpm process, and the swtpm's memory is not
 * charged to the sandbox. swtpm-down.sh runs in the swtpm's network
 * namespace too (or a fresh empty one when no swtpm runs), so its control
 * command can never reach another TPM on the host's 127.0.0.1.
 * Known gap: swtpm-up.sh puts the control channel on TCP 127.0.0.1 as well,
 * which the workload can reach (it could reset its own TPM); a unix-socket
 * control channel would need a change in swtpm-fixtures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox-priv.h"

#define TCTI_PREFIX "swtpm:host=127.0.0.1,port="

int sbx__vtpm_up(char *tcti, size_t cap, const char *fixtures, const char *ca,
		 const char *tpmdir, pid_t nspid, struct eph_err *err)
{
	char script[PATH_MAX], log[PATH_MAX], out[512];
	const char *argv[] = { script, "--ca", ca, tpmdir, NULL };
	struct sbx_run r = { .argv = argv, .netns = nspid, .log_path = log, .out = out,
			     .out_cap = sizeof(out), .timeout_ms = 60000 };
	size_t l;
	uint64_t port;
	int rc;

	if (driver__path(script, sizeof(script), fixtures, "swtpm-up.sh") < 0 ||
	    snprintf(log, sizeof(log), "%s.log", tpmdir) >= (int)sizeof(log))
		return eph_err_set(err, EPH_EFAIL, "vtpm: path too long");
	rc = sbx__run(&r, err);
	if (rc < 0)
		return rc;
	if (rc != 0)
		return eph_err_set(err, EPH_EFAIL, "swtpm-up.sh exit %d (see %s)", rc, log);
	l = strcspn(out, "\n");
	out[l] = '\0';
	if (strncmp(out, TCTI_PREFIX, strlen(TCTI_PREFIX)) != 0 ||
	    sbx__parse_u64(&port, out + strlen(TCTI_PREFIX), NULL) < 0 || l + 1 > cap)
		return eph_err_set(err, EPH_EFORMAT, "swtpm-up.sh printed '%.64s', not a TCTI", out);
	memcpy(tcti, out, l + 1);
	return 0;
}

pid_t sbx__vtpm_pid(const char *tpmdir)
{
	char f[PATH_MAX], buf[4096];
	uint64_t pid;
	ssize_t n, i;
	size_t tl = strlen(tpmdir);

	if (driver__path(f, sizeof(f), tpmdir, "swtpm.pid") < 0 ||
	    driver__read_str(buf, sizeof(buf), f) <= 0 || sbx__parse_u64(&pid, buf, NULL) < 0 ||
	    pid == 0 || pid > INT32_MAX)
		return 0;
	snprintf(f, sizeof(f), "/proc/%d/cmdline", (int)pid);
	n = driver__read_str(buf, sizeof(buf), f);
	/* Only a swtpm whose command line names this state folder counts. */
	for (i = 0; n > 0 && i + (ssize_t)tl <= n; i++)
		if (memcmp(buf + i, tpmdir, tl) == 0)
			return (pid_t)pid;
	return 0;
}

int sbx__vtpm_down(const char *fixtures, const char *tpmdir, struct eph_err *err)
{
	char script[PATH_MAX];
	const char *argv[] = { script, "--wipe", tpmdir, NULL };
	struct sbx_run r = { .argv = argv, .netns = SBX_NETNS_EMPTY, .timeout_ms = 20000 };
	pid_t pid;
	int rc;

	if (access(tpmdir, F_OK) < 0)
		return 0;
	if (driver__path(script, sizeof(script), fixtures, "swtpm-down.sh") < 0)
		return eph_err_set(err, EPH_EFAIL, "vtpm: path too long");
	pid = sbx__vtpm_pid(tpmdir);
	if (pid > 0)
		r.netns = pid;
	rc = sbx__run(&r, err);
	if (rc == EPH_ENOTFOUND && pid > 0) { /* it exited meanwhile */
		r.netns = SBX_NETNS_EMPTY;
		rc = sbx__run(&r, err);
	}
	if (rc > 0)
		return eph_err_set(err, EPH_EFAIL, "swtpm-down.sh --wipe %s: exit %d", tpmdir, rc);
	return rc;
}
