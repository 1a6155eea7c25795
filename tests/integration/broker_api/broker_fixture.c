/*
 * broker_fixture.c - see broker_fixture.h. Starts swtpm through
 * swtpm-fixtures/, the broker by fork+exec, and talks HTTPS with libcurl
 * pinned to the broker's key.
 */
#include "broker_fixture.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "testutil.h"

struct bf bf;

static const char *fixtures(void)
{
	const char *f = getenv("EPH_FIXTURES");

	return f && *f ? f : EPH_SOURCE_DIR "/swtpm-fixtures";
}

static const char *broker_bin(void)
{
	static char p[1024];
	const char *b = getenv("EPH_BROKER");

	if (b && *b)
		return b;
	b = getenv("EPH_BINARY_DIR");
	snprintf(p, sizeof(p), "%s/broker/daemon/ephemera-broker", b && *b ? b : EPH_BINARY_DIR);
	return p;
}

static const char *root_for(pid_t runner)
{
	static char r[256];

	snprintf(r, sizeof(r), "/tmp/eph-brokertest.%ld", (long)runner);
	return r;
}

const char *bf_path(const char *name)
{
	static char paths[8][800];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", bf.dir, name);
	return p;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void swtpm_up(void)
{
	char cmd[3000], *out = NULL, *nl;
	int st;

	snprintf(bf.state, sizeof(bf.state), "%s/tpm", bf.dir);
	snprintf(cmd, sizeof(cmd), "'%s/swtpm-up.sh' --ca '%s/ca' '%s' 2>'%s/up.log'",
		 fixtures(), root_for(getppid()), bf.state, bf.dir);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "swtpm-up.sh failed (%d), see %s/up.log", st, bf.dir);
	bf.tpm_up = 1;
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	snprintf(bf.tcti, sizeof(bf.tcti), "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "'%s/swtpm-ca.sh' '%s/ca' '%s/ektrust' >/dev/null 2>&1",
		 fixtures(), root_for(getppid()), bf.dir);
	st = tu_run(cmd, &out);
	free(out);
	cr_assert_eq(st, 0, "swtpm-ca.sh failed");
}

#ifdef TEST_HAVE_CWT
/* A P-256 CWT issuer: private key for the test, public key for the broker. */
static void make_issuer(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	FILE *f;

	cr_assert_not_null(k);
	mkdir(bf_path("cwt"), 0700);
	f = fopen(bf_path("issuer-key.pem"), "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	f = fopen(bf_path("cwt/test-issuer.pem"), "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	EVP_PKEY_free(k);
}
#endif

static void broker_up(void)
{
	char cmd[2000], *out = NULL, *p;
	char a_cert[800], a_key[800], a_store[800], a_ek[800], a_pol[800], a_pf[800], a_cwt[800];
	int st, fd;
	pid_t pid;
	double waited = 0;

	snprintf(cmd, sizeof(cmd), "'%s' --gen-self-signed '%s/tls'", broker_bin(), bf.dir);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "--gen-self-signed failed (%d)", st);
	p = strstr(out, "pin  ");
	cr_assert_not_null(p, "no pin in \"%s\"", out);
	p += 5;
	p[strcspn(p, "\n")] = '\0';
	snprintf(bf.pin, sizeof(bf.pin), "%s", p);
	free(out);

	mkdir(bf_path("policy"), 0700);
	write_file(bf_path("policy/broker.json"),
		   "{\"reattest_s\": 60, \"nonce_ttl_s\": 60,\n"
		   " \"environments\": {\"sizes\": [{\"name\": \"s\", \"vcpu_milli\": 1000, "
		   "\"mem_mib\": 1024}, {\"name\": \"m\", \"vcpu_milli\": 2000, \"mem_mib\": 4096}, "
		   "{\"name\": \"xl\", \"vcpu_milli\": 16000, \"mem_mib\": 65536}],\n"
		   "  \"max_vcpu_milli\": 4000, \"max_mem_mib\": 8192, \"network\": \"none\", "
		   "\"encryption\": \"at-rest\", \"max_ttl_s\": 7200}}\n");
	snprintf(a_cert, sizeof(a_cert), "%s/tls/broker-cert.pem", bf.dir);
	snprintf(a_key, sizeof(a_key), "%s/tls/broker-key.pem", bf.dir);
	snprintf(a_store, sizeof(a_store), "%s/store.db", bf.dir);
	snprintf(a_ek, sizeof(a_ek), "%s/ektrust", bf.dir);
	snprintf(a_pol, sizeof(a_pol), "%s/policy", bf.dir);
	snprintf(a_pf, sizeof(a_pf), "%s/port", bf.dir);
	snprintf(a_cwt, sizeof(a_cwt), "%s/cwt", bf.dir);
	snprintf(bf.log, sizeof(bf.log), "%s/broker.log", bf.dir);
#ifdef TEST_HAVE_CWT
	make_issuer();
#endif
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char *argv[] = {(char *)broker_bin(), "--port", "0", "--port-file", a_pf,
				"--tls-cert", a_cert, "--tls-key", a_key, "--store", a_store,
				"--ek-trust", a_ek, "--policy", a_pol, "--verbose",
#ifdef TEST_HAVE_CWT
				"--cwt-trust", a_cwt,
#endif
				NULL};

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(bf.log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	bf.broker_pid = pid;
	while (waited < 10000) {
		FILE *f = fopen(a_pf, "r");
		unsigned port = 0;

		if (f != NULL) {
			char line[32] = "";

			if (fgets(line, sizeof(line), f) != NULL)
				port = (unsigned)strtoul(line, NULL, 10);
			fclose(f);
		}
		if (port != 0) {
			bf.port = port;
			return;
		}
		cr_assert_eq(waitpid(pid, &st, WNOHANG), 0, "ephemera-broker exited, see %s",
			     bf.log);
		usleep(20000);
		waited += 20;
	}
	cr_assert_fail("ephemera-broker did not write its port file within 10 s");
}

void bf_setup(void)
{
	const char *root = root_for(getppid());

	memset(&bf, 0, sizeof(bf));
	mkdir(root, 0700);
	snprintf(bf.dir, sizeof(bf.dir), "%s/t.XXXXXX", root);
	cr_assert_not_null(mkdtemp(bf.dir));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	swtpm_up();
	broker_up();
}

static void stop_pid(pid_t pid)
{
	int st, i;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

void bf_teardown(void)
{
	char cmd[2000], *out = NULL;

	stop_pid(bf.broker_pid);
	bf.broker_pid = 0;
	if (bf.tpm_up) {
		snprintf(cmd, sizeof(cmd), "'%s/swtpm-down.sh' --wipe '%s' >/dev/null 2>&1",
			 fixtures(), bf.state);
		tu_run(cmd, &out);
		free(out);
		bf.tpm_up = 0;
	}
	if (getenv("EPH_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bf.dir);
		tu_run(cmd, &out);
		free(out);
	}
}

/* In the runner: stop what a crashed test left, then remove the run's folder. */
ReportHook(POST_ALL)(CR_UNUSED struct criterion_global_stats *stats)
{
	const char *root = root_for(getpid());
	char cmd[2000], *out = NULL;
	DIR *d = opendir(root);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "t.", 2) != 0)
			continue;
		/* (brokers die with their test process: PR_SET_PDEATHSIG) */
		snprintf(cmd, sizeof(cmd),
			 "'%s/swtpm-down.sh' --wipe '%s/%s/tpm' >/dev/null 2>&1", fixtures(), root,
			 e->d_name);
		tu_run(cmd, &out);
		free(out);
		out = NULL;
	}
	closedir(d);
	if (getenv("EPH_KEEP") != NULL) {
		fprintf(stderr, "broker_fixture: EPH_KEEP: %s kept\n", root);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	tu_run(cmd, &out);
	free(out);
}

const char *bf_firmware_boot(int tamper)
{
	static char log[1024];
	char cmd[4096], *out = NULL;
	int st;

	snprintf(log, sizeof(log), "%s/boot.log", bf.dir);
	snprintf(cmd, sizeof(cmd), "'%s/firmware-boot.sh' %s '%s' '%s' >/dev/null 2>'%s/boot.err'",
		 fixtures(), tamper ? "--tamper" : "", bf.state, log, bf.dir);
	st = tu_run(cmd, &out);
	free(out);
	cr_assert_eq(st, 0, "firmware-boot.sh failed (%d)", st);
	return log;
}
