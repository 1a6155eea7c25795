/*
 * test_qemu_vm.c - one real VM through the qemu driver: the guest image of
 * packaging/guest (built into $EPH_BINARY_DIR/qemu-guest when missing or
 * older than the agent), a real ephemera-broker on 127.0.0.1 with a golden
 * value for PCR 15 (all zeros: nothing extends it at boot), and a driver
 * with accel "auto" (KVM if it really runs, else TCG: the reason is
 * logged). The VM's agent must enrol through the vTPM and be accepted;
 * then the test extends PCR 15 inside the guest through its ttyS1 shell
 * (packaging/guest/guest-shell.py) and the broker's next verdict for that
 * agent must be a refusal. Then the guest powers off (stats: not running,
 * usage kept), and destroy() by a second driver instance (as after a broker
 * restart) must leave no qemu, no swtpm and no folder.
 *
 * Skips with a visible "SKIP:" line (not a pass) when qemu, swtpm or the
 * guest image cannot be had. TCG timings here: ~10 s from start to the
 * first accepted attestation.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu-priv.h"
#include "qemu.h"
#include "qvm_util.h"
#include "testutil.h"

#define ENV_ID "qvm-test-1"
#define PCR15_ZERO "0000000000000000000000000000000000000000000000000000000000000000"
#define DRIFT_HEX "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"

static char work[64], url[64], pin[80], guest[600];
static pid_t broker = -1;
static struct driver *drv;

/* Shared helpers: qvm_util.c. */
static const char *wp(const char *name)
{
	return qvm_path(work, name);
}

static void guest_image(void)
{
	qvm_guest_image(guest, sizeof(guest), "qemu-guest", NULL);
}



static const char *fixtures(void)
{
	const char *f = getenv("EPH_FIXTURES");

	return f && *f ? f : EPH_SOURCE_DIR "/swtpm-fixtures";
}







static void broker_up(void)
{
	char *out = NULL, port[32] = "";
	const char *p;
	FILE *f;
	int i, st;

	cr_assert_eq(qvm_run(&out, "'%s/swtpm-ca.sh' --create '%s' >'%s' 2>&1 && "
			       "'%s/swtpm-ca.sh' '%s' '%s' >>'%s' 2>&1",
			 fixtures(), wp("ca"), wp("ca.log"), fixtures(), wp("ca"), wp("trust"),
			 wp("ca.log")),
		     0, "swtpm-ca.sh: %s", qvm_tail_of(wp("ca.log")));
	free(out);
	cr_assert_eq(qvm_run(&out, "'%s' --gen-self-signed '%s' 2>&1",
			 qvm_bp("broker/daemon/ephemera-broker"), wp("broker")),
		     0, "%s", out ? out : "");
	p = out ? strstr(out, "sha256//") : NULL;
	cr_assert_not_null(p, "no pin in %s", out ? out : "");
	snprintf(pin, sizeof(pin), "%.52s", p);
	free(out);
	mkdir(wp("pol"), 0700);
	f = fopen(wp("pol/policy.json"), "w");
	cr_assert_not_null(f);
	fputs("{\"version\": 1, \"sizes\": [{\"name\": \"small\", \"vcpu_milli\": 1000, "
	      "\"mem_mib\": 512}], \"rules\": [{\"name\": \"all\", \"match\": {}, "
	      "\"constraints\": {\"network\": \"none\"}}]}\n",
	      f);
	fclose(f);
	f = fopen(wp("pol/golden-pcrs.json"), "w");
	cr_assert_not_null(f);
	fputs("{\"sha256\": {\"15\": \"" PCR15_ZERO "\"}}\n", f);
	fclose(f);
	broker = fork();
	cr_assert_geq(broker, 0);
	if (broker == 0) {
		const char *argv[] = { qvm_bp("broker/daemon/ephemera-broker"), "--port", "0",
				       "--port-file", wp("broker/port"), "--tls-cert",
				       wp("broker/broker-cert.pem"), "--tls-key",
				       wp("broker/broker-key.pem"), "--store", wp("broker/store.db"),
				       "--ek-trust", wp("trust"), "--policy", wp("pol"), "-v",
				       NULL };

		if (!freopen(wp("broker/broker.log"), "w", stderr))
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 200 && !port[0]; i++) {
		driver__read_str(port, sizeof(port), wp("broker/port"));
		cr_assert_eq(waitpid(broker, &st, WNOHANG), 0, "broker exited: %s",
			     qvm_tail_of(wp("broker/broker.log")));
		if (!port[0])
			usleep(50000);
	}
	cr_assert(port[0], "broker wrote no port: %s", qvm_tail_of(wp("broker/broker.log")));
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", atoi(port));
}

static void setup(void)
{
	char q[256], s[256];

	if (qv__which(q, sizeof(q), "qemu-system-x86_64") < 0)
		qvm_skip("qemu-system-x86_64 not installed (apt-get install -y qemu-system-x86)");
	if (qv__which(s, sizeof(s), "swtpm") < 0 || qv__which(s, sizeof(s), "swtpm_setup") < 0)
		qvm_skip("swtpm/swtpm_setup not installed (apt-get install -y swtpm swtpm-tools)");
	guest_image(); /* may skip: before anything needs cleaning up */
	snprintf(work, sizeof(work), "/tmp/eph-qvm.XXXXXX");
	cr_assert_not_null(mkdtemp(work));
	broker_up();
}

static void teardown(void)
{
	struct eph_err err = {{0}};

	if (drv) {
		driver_destroy(drv, "vm:" ENV_ID, &err);
		driver_free(drv);
		drv = NULL;
	}
	if (broker > 0) {
		kill(broker, SIGTERM);
		waitpid(broker, NULL, 0);
		broker = -1;
	}
	if (work[0])
		qv__rm_rf(work);
}

/* ephemeractl --json ARGS, parsed; NULL on failure. */
static json_t *ctl(const char *args)
{
	char *out = NULL;
	json_t *j = NULL;

	if (qvm_run(&out, "'%s' --broker %s --pin '%s' --json %s 2>/dev/null",
		qvm_bp("broker/ctl/ephemeractl"), url, pin, args) == 0 && out)
		j = json_loads(out, 0, NULL);
	free(out);
	return j;
}

/* The broker's agent id for hostname ENV_ID ("" while none). */
static void agent_of_env(char *id, size_t cap)
{
	json_t *j = ctl("agents list"), *a;
	size_t i;

	id[0] = '\0';
	json_array_foreach(json_object_get(j, "agents"), i, a)
	{
		const char *h = json_string_value(json_object_get(a, "hostname"));
		const char *x = json_string_value(json_object_get(a, "id"));

		if (h && x && strcmp(h, ENV_ID) == 0)
			snprintf(id, cap, "%s", x);
	}
	json_decref(j);
}

/* Accepted and refused verdicts of agent id; the last refusal's reason. */
static void verdicts(const char *id, unsigned *ok, unsigned *refused, char *reason, size_t cap)
{
	char args[200];
	json_t *j, *a;
	size_t i;

	*ok = *refused = 0;
	snprintf(args, sizeof(args), "attestations '%s'", id);
	j = ctl(args);
	json_array_foreach(json_object_get(j, "attestations"), i, a)
	{
		if (json_is_true(json_object_get(a, "accepted"))) {
			(*ok)++;
		} else {
			const char *r = json_string_value(json_object_get(a, "reason"));

			(*refused)++;
			snprintf(reason, cap, "%s", r ? r : "?");
		}
	}
	json_decref(j);
}

static pid_t pid_in(const char *path)
{
	char buf[32];

	if (driver__read_str(buf, sizeof(buf), path) <= 0)
		return 0;
	return (pid_t)atoi(buf);
}

Test(qemu_vm, boots_attests_drifts_is_refused_and_destroyed, .init = setup, .fini = teardown)
{
	struct driver_qemu_config c = { 0 };
	struct driver_spec sp = { .env_id = ENV_ID, .vcpu_milli = 1000, .mem_mib = 512,
				  .net = DRIVER_NET_NONE, .vtpm = 1 };
	struct driver_stats stt;
	struct driver_entry *v = NULL;
	struct eph_err err = {{0}};
	char h[DRIVER_HANDLE_MAX], dir[300], kern[700], initrd[700], agent[80] = "";
	char reason[400] = "", *out = NULL;
	const char *accel = getenv("EPH_QEMU_ACCEL");
	unsigned ok = 0, refused = 0, ok_before;
	pid_t qpid, tpid;
	size_t n = 9;
	long t0, t_attest, deadline;
	int rc;

	snprintf(kern, sizeof(kern), "%s/vmlinuz", guest);
	snprintf(initrd, sizeof(initrd), "%s/initrd-base.cpio.gz", guest);
	c.state_root = wp("vms");
	c.kernel = kern;
	c.initrd = initrd;
	c.accel = accel && *accel ? accel : "auto";
	c.fixtures_dir = fixtures();
	c.ca_dir = wp("ca");
	c.forwarder = qvm_bp("broker/driver/qemu/ephemera-vmfwd");
	c.broker_port = (uint16_t)atoi(strrchr(url, ':') + 1);
	c.broker_pin = pin;
	c.broker_cert = wp("broker/broker-cert.pem");
	c.agent_period_s = 3;
	c.agent_pcrs = "sha256:0,1,2,3,4,5,6,7,8,9,10,15";
	c.debug_shell = 1;
	rc = driver_qemu_new(&drv, &c, &err);
	cr_assert_eq(rc, 0, "driver_qemu_new: %s", err.msg);
	cr_log_info("accelerator: %s", driver_qemu_accel(drv));
	fprintf(stderr, "qemu_vm: accelerator: %s\n", driver_qemu_accel(drv));

	t0 = qv__now_ms();
	rc = driver_create(drv, h, &sp, &err);
	cr_assert_eq(rc, 0, "create: %s", err.msg);
	cr_assert_str_eq(h, "vm:" ENV_ID);
	cr_assert_eq(driver_qemu_state_dir(drv, dir, sizeof(dir), ENV_ID), 0);
	cr_assert_eq(driver_list(drv, &v, &n, &err), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].handle, h);
	free(v);
	cr_assert_eq(driver_start(drv, h, NULL, &err), 0, "start: %s", err.msg);
	cr_assert_eq(driver_start(drv, h, NULL, &err), 0, "second start: %s", err.msg);

	/* Enrolment and a first accepted attestation: TCG is slow, be generous. */
	deadline = qv__now_ms() + 300000;
	while (qv__now_ms() < deadline) {
		if (!agent[0])
			agent_of_env(agent, sizeof(agent));
		if (agent[0]) {
			verdicts(agent, &ok, &refused, reason, sizeof(reason));
			if (ok > 0 || refused > 0)
				break;
		}
		sleep(1);
	}
	t_attest = qv__now_ms();
	if (!agent[0])
		cr_log_error("broker log:\n%s", qvm_tail_of(wp("broker/broker.log")));
	cr_assert(agent[0], "no agent named " ENV_ID " enrolled; console:\n%s",
		  qvm_tail_of(wp("vms/vm-" ENV_ID "/console.log")));
	cr_assert_gt(ok, 0, "first attestation refused (%s); console:\n%s", reason,
		     qvm_tail_of(wp("vms/vm-" ENV_ID "/console.log")));
	cr_assert_eq(refused, 0, "%s", reason);
	cr_log_info("boot to first accepted attestation: %.1f s (%s)", (t_attest - t0) / 1000.0,
		    driver_qemu_accel(drv));
	fprintf(stderr, "qemu_vm: create+start to first accepted attestation: %.1f s\n",
		(t_attest - t0) / 1000.0);

	cr_assert_eq(driver_stats(drv, &stt, h, &err), 0, "%s", err.msg);
	cr_assert(stt.running);
	cr_assert_gt(stt.cpu_usage_ns, 0);
	cr_assert_gt(stt.mem_peak_bytes, 16u << 20);

	/* Drift: extend PCR 15 inside the guest. */
	verdicts(agent, &ok_before, &refused, reason, sizeof(reason));
	rc = qvm_run(&out, "python3 '%s/packaging/guest/guest-shell.py' '%s/" QV_F_SHELL
		       "' 'tpm2_pcrextend 15:sha256=" DRIFT_HEX "' --timeout 120 2>&1",
		 EPH_SOURCE_DIR, dir);
	cr_assert_eq(rc, 0, "tpm2_pcrextend in the guest (exit %d): %s", rc, out ? out : "");
	free(out);
	deadline = qv__now_ms() + 120000;
	while (qv__now_ms() < deadline) {
		verdicts(agent, &ok, &refused, reason, sizeof(reason));
		if (refused > 0)
			break;
		sleep(1);
	}
	cr_assert_gt(refused, 0, "no refusal after the PCR 15 extend; %u accepted", ok);
	cr_log_info("refused after drift: %s", reason);
	fprintf(stderr, "qemu_vm: refused after drift: %s\n", reason);
	cr_assert(strstr(reason, "15") || strstr(reason, "configuration"), "%s", reason);

	/* A guest that powers off: qemu ends (-no-reboot), stats says not
	 * running and still reports the last usage it read. */
	qpid = pid_in(wp("vms/vm-" ENV_ID "/" QV_F_PID));
	tpid = pid_in(wp("vms/vm-" ENV_ID "/tpm/swtpm.pid"));
	cr_assert_gt(qpid, 0);
	cr_assert_gt(tpid, 0);
	cr_assert_eq(driver_stats(drv, &stt, h, &err), 0, "%s", err.msg);
	rc = qvm_run(&out, "python3 '%s/packaging/guest/guest-shell.py' '%s/" QV_F_SHELL
		       "' 'poweroff -f' --timeout 10 >/dev/null 2>&1",
		 EPH_SOURCE_DIR, dir);
	free(out);
	deadline = qv__now_ms() + 60000;
	while (qv__now_ms() < deadline && stt.running) {
		cr_assert_eq(driver_stats(drv, &stt, h, &err), 0, "%s", err.msg);
		usleep(200000);
	}
	cr_assert(!stt.running, "still running 60 s after poweroff -f");
	cr_assert_gt(stt.cpu_usage_ns, 0, "usage lost once qemu ended");
	cr_assert(!qv__alive(qpid), "qemu %d alive after the guest powered off", (int)qpid);

	/* destroy by another driver instance (a restarted broker): nothing left */
	{
		struct driver *d2 = NULL;

		c.accel = "tcg";
		cr_assert_eq(driver_qemu_new(&d2, &c, &err), 0, "%s", err.msg);
		cr_assert_eq(driver_list(d2, &v, &n, &err), 0);
		cr_assert_eq(n, 1);
		cr_assert_str_eq(v[0].handle, h);
		free(v);
		t0 = qv__now_ms();
		cr_assert_eq(driver_destroy(d2, h, &err), 0, "destroy: %s", err.msg);
		driver_free(d2);
	}
	cr_log_info("destroy took %ld ms", qv__now_ms() - t0);
	cr_assert(!qv__alive(qpid), "qemu %d still alive", (int)qpid);
	cr_assert(!qv__alive(tpid), "swtpm %d still alive", (int)tpid);
	cr_assert_eq(access(dir, F_OK), -1, "%s still there", dir);
	cr_assert_eq(driver_list(drv, &v, &n, &err), 0);
	cr_assert_eq(n, 0);
	free(v);
	cr_assert_eq(driver_destroy(drv, h, &err), 0, "second destroy: %s", err.msg);
	cr_assert_eq(driver_stats(drv, &stt, h, &err), EPH_ENOTFOUND);
}
