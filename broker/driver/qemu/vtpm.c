/*
 * vtpm.c - a VM's own swtpm (TPM 2.0) as qemu's TPM emulator backend.
 *
 * Provisioning follows swtpm-fixtures/: the CA folder is made (once, shared
 * by every VM so all EK certificates chain to one root the broker trusts)
 * by swtpm-ca.sh --create, and the state is provisioned by swtpm_setup with
 * that CA's swtpm_setup.conf exactly as swtpm-up.sh does (RSA-2048 and
 * P-384 EK certificates, platform certificate, NV locked, sha1+sha256
 * banks). swtpm-up.sh itself is not used because it starts swtpm with TCP
 * data and control ports on 127.0.0.1, and qemu's tpm emulator backend
 * wants the control channel on a unix socket (qemu hands the data channel
 * over it, CMD_SET_DATAFD). So swtpm is started here as
 *   swtpm socket --tpm2 --tpmstate dir=D --ctrl type=unixio,path=D/swtpm.sock,mode=0600
 *         --pid file=D/swtpm.pid --log file=D/swtpm.log --terminate --daemon
 * (--terminate: swtpm exits when qemu's connection goes away, so a VM that
 * dies leaves no TPM behind even before destroy). Nothing listens on TCP:
 * no other process on the host can reach, reset or read this TPM, which
 * closes the gap the sandbox driver's TCP control port has.
 *
 * Not here: wiping the state (destroy removes the VM folder that holds it),
 * TPM 1.2, ECC P-256 EK certificates (ek-p256.sh needs a TCP TPM).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu-priv.h"

static int run_logged(const char *const *argv, const char *log, int timeout_ms,
		      struct eph_err *err)
{
	int rc = qv__run(argv, log, timeout_ms, err);

	if (rc > 0)
		return eph_err_set(err, EPH_EFAIL, "%s exit %d (see %s)", argv[0], rc, log);
	return rc;
}

int qv__vtpm_up(const char *fixtures, const char *ca, const char *tpmdir, struct eph_err *err)
{
	char script[PATH_MAX], setup[PATH_MAX], swtpm[PATH_MAX], log[PATH_MAX], f[PATH_MAX];
	char conf[PATH_MAX], state[PATH_MAX + 8], ctrl[PATH_MAX + 48], pid[PATH_MAX + 8];
	char slog[PATH_MAX + 8], setuplog[PATH_MAX];
	long end;
	int rc;

	if (driver__path(script, sizeof(script), fixtures, "swtpm-ca.sh") < 0 ||
	    driver__path(conf, sizeof(conf), ca, "swtpm_setup.conf") < 0 ||
	    driver__path(log, sizeof(log), tpmdir, "vtpm.log") < 0 ||
	    driver__path(setuplog, sizeof(setuplog), tpmdir, "setup.log") < 0 ||
	    driver__path(f, sizeof(f), tpmdir, "tpm2-00.permall") < 0 ||
	    snprintf(state, sizeof(state), "dir=%s", tpmdir) >= (int)sizeof(state) ||
	    snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s/swtpm.sock,mode=0600", tpmdir) >=
		    (int)sizeof(ctrl) ||
	    snprintf(pid, sizeof(pid), "file=%s/swtpm.pid", tpmdir) >= (int)sizeof(pid) ||
	    snprintf(slog, sizeof(slog), "file=%s/swtpm.log", tpmdir) >= (int)sizeof(slog))
		return eph_err_set(err, EPH_EFORMAT, "vtpm: path too long");
	if (strpbrk(tpmdir, ",'\" \t\n") || strpbrk(ca, ",'\" \t\n"))
		return eph_err_set(err, EPH_EFORMAT,
				   "vtpm: state and CA folders must not contain commas, quotes "
				   "or blanks (swtpm's option syntax)");
	if (qv__which(setup, sizeof(setup), "swtpm_setup") < 0 ||
	    qv__which(swtpm, sizeof(swtpm), "swtpm") < 0)
		return eph_err_set(err, EPH_EUNSUPPORTED,
				   "vtpm: swtpm or swtpm_setup not found: apt-get install -y swtpm "
				   "swtpm-tools");
	if (mkdir(tpmdir, 0700) < 0 && errno != EEXIST)
		return eph_err_set(err, EPH_EIO, "mkdir %s: %s", tpmdir, strerror(errno));
	{
		const char *argv[] = { script, "--create", ca, NULL };

		rc = run_logged(argv, log, 60000, err);
		if (rc < 0)
			return rc;
	}
	if (access(f, F_OK) < 0) {
		const char *argv[] = { setup, "--tpm2", "--tpmstate", tpmdir, "--config", conf,
				       "--create-ek-cert", "--create-platform-cert",
				       "--lock-nvram", "--overwrite", "--pcr-banks", "sha1,sha256",
				       /* the host keeps the EK certificates: the broker
				        * binds the VM's agent to this VM by them */
				       "--write-ek-cert-files", tpmdir,
				       "--logfile", setuplog, NULL };

		rc = run_logged(argv, log, 60000, err);
		if (rc < 0)
			return rc;
	}
	if (qv__vtpm_pid(tpmdir) == 0) {
		const char *argv[] = { swtpm, "socket", "--tpm2", "--tpmstate", state, "--ctrl", ctrl,
				       "--pid", pid, "--log", slog, "--terminate", "--daemon",
				       NULL };

		rc = run_logged(argv, log, 10000, err);
		if (rc < 0)
			return rc;
	}
	/* --daemon returns once the socket is bound; check, bounded. */
	if (driver__path(f, sizeof(f), tpmdir, "swtpm.sock") < 0)
		return eph_err_set(err, EPH_EFORMAT, "vtpm: path too long");
	for (end = qv__now_ms() + 5000; qv__now_ms() < end; usleep(10000))
		if (access(f, F_OK) == 0 && qv__vtpm_pid(tpmdir) > 0)
			return 0;
	return eph_err_set(err, EPH_EFAIL, "vtpm: swtpm for %s did not come up (see %s)", tpmdir,
			   log);
}

pid_t qv__vtpm_pid(const char *tpmdir)
{
	char f[PATH_MAX], needle[PATH_MAX + 8];

	if (driver__path(f, sizeof(f), tpmdir, "swtpm.pid") < 0 ||
	    snprintf(needle, sizeof(needle), "dir=%s", tpmdir) >= (int)sizeof(needle))
		return 0;
	return qv__pid_check(f, needle);
}

int qv__vtpm_stop(const char *tpmdir, struct eph_err *err)
{
	pid_t pid = qv__vtpm_pid(tpmdir);

	if (pid > 0 && qv__stop_pid(pid, 2000) < 0)
		return eph_err_set(err, EPH_EFAIL, "vtpm: swtpm %d of %s survived SIGKILL", (int)pid,
				   tpmdir);
	return 0;
}
