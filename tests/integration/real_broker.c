/*
 * real_broker.c - see real_broker.h. Included by the fixtures_link.c of the
 * tests that use it (eph_add_criterion globs one folder).
 */
#include "real_broker.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tpm/swtpm_fixture.h"
#include "testutil.h"

pid_t broker_pid = -1;
char broker_url[64], broker_pin[80], brokerdir[700];

const char *bin(const char *rel)
{
	static char p[4][600];
	static unsigned n;
	const char *b = getenv("EPH_BINARY_DIR");
	char *out = p[n++ % 4];

	snprintf(out, sizeof(p[0]), "%s/%s", b != NULL && *b ? b : EPH_BINARY_DIR, rel);
	return out;
}

const char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

void broker_start(void)
{
	static char cert[760], key[760], store[760];
	char cmd[2048], *out = NULL, portfile[760], log[760], *pin;
	const char *args[24];
	int st, i, port = 0;

	snprintf(brokerdir, sizeof(brokerdir), "%s", fx_path("broker"));
	snprintf(cmd, sizeof(cmd), "'%s' --gen-self-signed '%s' 2>&1",
	         bin("broker/daemon/ephemera-broker"), brokerdir);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "ephemera-broker --gen-self-signed: %s", out ? out : "");
	pin = strstr(out, "sha256//");
	cr_assert_not_null(pin, "no pin in: %s", out);
	snprintf(broker_pin, sizeof(broker_pin), "%.52s", pin);
	free(out);

	snprintf(portfile, sizeof(portfile), "%s/port", brokerdir);
	snprintf(log, sizeof(log), "%s/broker.log", brokerdir);
	snprintf(cert, sizeof(cert), "%s", fx_path("broker/broker-cert.pem"));
	snprintf(key, sizeof(key), "%s", fx_path("broker/broker-key.pem"));
	snprintf(store, sizeof(store), "%s", fx_path("broker/store.db"));
	i = 0;
	args[i++] = bin("broker/daemon/ephemera-broker");
	args[i++] = "--port";
	args[i++] = "0";
	args[i++] = "--port-file";
	args[i++] = portfile;
	args[i++] = "--tls-cert";
	args[i++] = cert;
	args[i++] = "--tls-key";
	args[i++] = key;
	args[i++] = "--store";
	args[i++] = store;
	args[i++] = "--ek-trust";
	args[i++] = fx_trust_dir();
	args[i++] = "-v";
	args[i] = NULL;
	broker_pid = fork();
	cr_assert_geq(broker_pid, 0);
	if (broker_pid == 0) {
		FILE *f = freopen(log, "w", stderr);

		(void)f;
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	for (i = 0; i < 100 && port == 0; i++) {
		const char *p = slurp(portfile);

		if (*p != '\0')
			port = (int)strtol(p, NULL, 10);
		else
			usleep(50 * 1000);
		cr_assert_eq(waitpid(broker_pid, &st, WNOHANG), 0, "broker exited: %s", slurp(log));
	}
	cr_assert_gt(port, 0, "broker did not write its port: %s", slurp(log));
	snprintf(broker_url, sizeof(broker_url), "https://127.0.0.1:%d", port);
}

void stop_pid(pid_t *pid)
{
	int st;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(*pid, &st, WNOHANG) == *pid) {
			*pid = -1;
			return;
		}
		usleep(50 * 1000);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, &st, 0);
	*pid = -1;
}

void broker_stop(void)
{
	stop_pid(&broker_pid);
}
