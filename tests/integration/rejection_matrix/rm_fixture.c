/*
 * rm_fixture.c - see rm_fixture.h. Starts swtpm through swtpm-fixtures/,
 * makes the two non-attestation keys with tpm2-tools (they must come from a
 * real TPM, not from edited bytes), starts the broker by fork+exec, enrols
 * two agents, and reads the store read-only with SQLite.
 *
 * Not here: HTTP (rm_client.c), the rows (test_rejection_matrix.c).
 */
#include "rm_fixture.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "eph_hex.h"
#include "tdx.h"
#include "testutil.h"

struct rm rm;

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

	snprintf(r, sizeof(r), "/tmp/eph-rejmatrix.%ld", (long)runner);
	return r;
}

const char *rm_path(const char *name)
{
	static char paths[8][800];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", rm.dir, name);
	return p;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void run(const char *cmd, const char *what)
{
	char *out = NULL;
	int st = tu_run(cmd, &out);

	free(out);
	cr_assert_eq(st, 0, "%s failed (%d): %s", what, st, cmd);
}

static void swtpm_up(void)
{
	char cmd[3000], *out = NULL, *nl;
	int st;

	snprintf(rm.state, sizeof(rm.state), "%s/tpm", rm.dir);
	snprintf(cmd, sizeof(cmd), "'%s/swtpm-up.sh' --ca '%s/ca' '%s' 2>'%s/up.log'", fixtures(),
		 root_for(getppid()), rm.state, rm.dir);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "swtpm-up.sh failed (%d), see %s/up.log", st, rm.dir);
	rm.tpm_up = 1;
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	snprintf(rm.tcti, sizeof(rm.tcti), "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "'%s/swtpm-ca.sh' '%s/ca' '%s/ektrust' >/dev/null 2>&1",
		 fixtures(), root_for(getppid()), rm.dir);
	run(cmd, "swtpm-ca.sh");
	snprintf(rm.evlog, sizeof(rm.evlog), "%s/boot.log", rm.dir);
	snprintf(cmd, sizeof(cmd), "'%s/firmware-boot.sh' '%s' '%s' >/dev/null 2>'%s/boot.err'",
		 fixtures(), rm.state, rm.evlog, rm.dir);
	run(cmd, "firmware-boot.sh");
}

/*
 * Two signing keys the TPM makes under an owner primary, each missing one
 * attestation-key attribute: one not restricted (it would sign any digest,
 * so a forged TPMS_ATTEST), one duplicable (no fixedTPM/fixedParent: its
 * private part may leave the TPM). ECC, because RSA key generation in
 * swtpm costs ~0.4 s each. No resource manager: each tool's transient
 * objects are flushed before the next one loads more.
 */
static void bad_aks(void)
{
	char cmd[4000];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && export TPM2TOOLS_TCTI='%s' && "
		 "tpm2_createprimary -Q -C o -G ecc256 -c prim.ctx && tpm2_flushcontext -t && "
		 "tpm2_create -Q -C prim.ctx -G ecc256:ecdsa-sha256:null "
		 "-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' "
		 "-u unrestricted.pub -r unrestricted.priv && tpm2_flushcontext -t && "
		 "tpm2_create -Q -C prim.ctx -G ecc256:ecdsa-sha256:null "
		 "-a 'sensitivedataorigin|userwithauth|restricted|sign' "
		 "-u unfixed.pub -r unfixed.priv && "
		 "tpm2_flushcontext -t >tools.log 2>&1",
		 rm.dir, rm.tcti);
	run(cmd, "tpm2-tools (non-AK keys)");
	rm.ak_unrestricted = tu_read(rm_path("unrestricted.pub"), &rm.ak_unrestricted_len);
	rm.ak_unfixed = tu_read(rm_path("unfixed.pub"), &rm.ak_unfixed_len);
}

/* The MRTD of the TDX vector quote, for the policy (so that only the
 * binding is wrong in the TDX row). */
static void tdx_mrtd(char out[97], const char *quote_path)
{
	struct tdx_quote *q = calloc(1, sizeof(*q));
	struct eph_err err = {{0}};
	uint8_t *buf;
	size_t len;

	cr_assert_not_null(q);
	buf = tu_read(quote_path, &len);
	cr_assert_eq(tdx_quote_parse(q, buf, len, &err), 0, "%s", err.msg);
	cr_assert_eq(eph_hex_encode(out, 97, q->body.mrtd, 48), 0);
	free(buf);
	free(q);
}

static void make_issuer(const char *key_file, const char *pub_file)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	FILE *f;

	cr_assert_not_null(k);
	f = fopen(key_file, "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	if (pub_file != NULL) {
		f = fopen(pub_file, "w");
		cr_assert_not_null(f);
		cr_assert_eq(PEM_write_PUBKEY(f, k), 1);
		fclose(f);
	}
	EVP_PKEY_free(k);
}

static void broker_up(void)
{
	char cmd[2000], *out = NULL, *p, pol[2048];
	char a_cert[800], a_key[800], a_ek[800], a_pol[800], a_pf[800], a_cwt[800];
	char a_amd[800], a_intel[800];
	char tdxq[800];
	struct stat sb;
	int st, fd, n;
	pid_t pid;
	double waited = 0;

	snprintf(cmd, sizeof(cmd), "'%s' --gen-self-signed '%s/tls'", broker_bin(), rm.dir);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "--gen-self-signed failed (%d)", st);
	p = strstr(out, "pin  ");
	cr_assert_not_null(p, "no pin in \"%s\"", out);
	p += 5;
	p[strcspn(p, "\n")] = '\0';
	snprintf(rm.pin, sizeof(rm.pin), "%s", p);
	free(out);

	/* tu_vector_path returns a static buffer: copy each at once */
	snprintf(a_amd, sizeof(a_amd), "%s", tu_vector_path("snp/amd-roots"));
	snprintf(a_intel, sizeof(a_intel), "%s", tu_vector_path("tdx/intel-root/trusted_root.pem"));
	snprintf(tdxq, sizeof(tdxq), "%s", tu_vector_path("tdx/trustee/tdx_quote_4.dat"));
	rm.have_snp = stat(a_amd, &sb) == 0 && S_ISDIR(sb.st_mode);
	rm.have_tdx = stat(a_intel, &sb) == 0 && stat(tdxq, &sb) == 0;
	if (rm.have_tdx)
		tdx_mrtd(rm.tdx_mrtd, tdxq);
	/* CVM policy: accept what the vector reports show (their launch
	 * measurement, their debug bit) so that the only fault left in the
	 * CVM rows is the REPORT_DATA binding. */
	n = snprintf(pol, sizeof(pol),
		     "{\"reattest_s\": 60, \"nonce_ttl_s\": 60,\n"
		     " \"snp\": {\"any_measurement\": true, \"allow_debug\": true},\n"
		     " \"tdx\": {\"mrtd\": [\"%s\"], \"allow_debug\": true},\n"
		     " \"environments\": {\"sizes\": [{\"name\": \"s\", \"vcpu_milli\": 1000, "
		     "\"mem_mib\": 1024}, {\"name\": \"m\", \"vcpu_milli\": 2000, \"mem_mib\": 4096}],\n"
		     "  \"max_vcpu_milli\": 4000, \"max_mem_mib\": 8192, \"network\": \"none\", "
		     "\"encryption\": \"at-rest\", \"max_ttl_s\": 7200}}\n",
		     rm.have_tdx ? rm.tdx_mrtd : "00");
	cr_assert(n > 0 && (size_t)n < sizeof(pol));
	mkdir(rm_path("policy"), 0700);
	write_file(rm_path("policy/broker.json"), pol, (size_t)n);
	mkdir(rm_path("cwt"), 0700);
	make_issuer(rm_path("issuer-key.pem"), rm_path("cwt/test-issuer.pem"));
	make_issuer(rm_path("rogue-key.pem"), NULL); /* an issuer the broker never heard of */

	snprintf(a_cert, sizeof(a_cert), "%s/tls/broker-cert.pem", rm.dir);
	snprintf(a_key, sizeof(a_key), "%s/tls/broker-key.pem", rm.dir);
	snprintf(rm.store, sizeof(rm.store), "%s/store.db", rm.dir);
	snprintf(a_ek, sizeof(a_ek), "%s/ektrust", rm.dir);
	snprintf(a_pol, sizeof(a_pol), "%s/policy", rm.dir);
	snprintf(a_pf, sizeof(a_pf), "%s/port", rm.dir);
	snprintf(a_cwt, sizeof(a_cwt), "%s/cwt", rm.dir);
	snprintf(rm.log, sizeof(rm.log), "%s/broker.log", rm.dir);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char *argv[24] = {(char *)broker_bin(), "--port", "0", "--port-file", a_pf,
				  "--tls-cert", a_cert, "--tls-key", a_key, "--store", rm.store,
				  "--ek-trust", a_ek, "--policy", a_pol, "--verbose",
				  "--cwt-trust", a_cwt, NULL};
		int i = 18;

		if (rm.have_snp) {
			argv[i++] = "--amd-roots";
			argv[i++] = a_amd;
		}
		if (rm.have_tdx) {
			argv[i++] = "--intel-root";
			argv[i++] = a_intel;
		}
		argv[i] = NULL;
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(rm.log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	rm.broker_pid = pid;
	while (waited < 15000) {
		FILE *f = fopen(a_pf, "r");
		unsigned port = 0;

		if (f != NULL) {
			char line[32] = "";

			if (fgets(line, sizeof(line), f) != NULL)
				port = (unsigned)strtoul(line, NULL, 10);
			fclose(f);
		}
		if (port != 0) {
			rm.port = port;
			return;
		}
		cr_assert_eq(waitpid(pid, &st, WNOHANG), 0, "ephemera-broker exited, see %s",
			     rm.log);
		usleep(20000);
		waited += 20;
	}
	cr_assert_fail("ephemera-broker did not write its port file within 15 s");
}

/* Register with the good EK and a fresh AK, activate; keeps the AK. */
static void enrol(struct rm_agent *ag)
{
	struct eph_err err = {{0}};
	struct wire_register_resp resp;
	struct wire_activate_req act;
	struct rm_resp r;
	uint8_t secret[64], *body = NULL;
	size_t secret_len = 0, body_len = 0;

	memset(ag, 0, sizeof(*ag));
	cr_assert_eq(tpmq_create_ak(&ag->ak_pub, &ag->ak_pub_len, &ag->ak_priv, &ag->ak_priv_len,
				    rm.tpm, TPMQ_RSA2048, &err),
		     0, "%s", err.msg);
	rm.loaded = ag;
	rm_register(&r, rm.ek_cert, rm.ek_cert_len, ag->ak_pub, ag->ak_pub_len);
	cr_assert_eq(r.status, 201, "register: HTTP %ld, see %s", r.status, rm.log);
	cr_assert_eq(wire_register_resp_decode(&resp, r.body, r.len, &err), 0, "%s", err.msg);
	rm_resp_free(&r);
	snprintf(ag->id, sizeof(ag->id), "%s", resp.agent_id);
	cr_assert_eq(tpmq_activate_credential(secret, &secret_len, rm.tpm, resp.cred_blob.p,
					      resp.cred_blob.len, resp.cred_secret.p,
					      resp.cred_secret.len, &err),
		     0, "activate credential: %s", err.msg);
	wire_register_resp_free(&resp);
	memset(&act, 0, sizeof(act));
	snprintf(act.agent_id, sizeof(act.agent_id), "%s", ag->id);
	act.secret.p = secret;
	act.secret.len = secret_len;
	cr_assert_eq(wire_activate_req_encode(&body, &body_len, &act, &err), 0, "%s", err.msg);
	rm_http(&r, "POST", "/v1/agents/activate", "application/cbor", body, body_len, NULL);
	free(body);
	cr_assert_eq(r.status, 200, "activate: HTTP %ld", r.status);
	rm_resp_free(&r);
}

void rm_setup(void)
{
	const char *root = root_for(getppid());
	struct eph_err err = {{0}};

	memset(&rm, 0, sizeof(rm));
	mkdir(root, 0700);
	snprintf(rm.dir, sizeof(rm.dir), "%s/t.XXXXXX", root);
	cr_assert_not_null(mkdtemp(rm.dir));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	swtpm_up();
	bad_aks();
	broker_up();
	cr_assert_eq(tpmq_open(&rm.tpm, rm.tcti, &err), 0, "tpmq_open: %s", err.msg);
	cr_assert_eq(tpmq_read_ek_cert(&rm.ek_cert, &rm.ek_cert_len, rm.tpm, TPMQ_RSA2048, &err),
		     0, "%s", err.msg);
	cr_assert_eq(tpmq_create_ek(&rm.ek_pub, &rm.ek_pub_len, rm.tpm, TPMQ_RSA2048, &err), 0,
		     "%s", err.msg);
	enrol(&rm.a);
	enrol(&rm.b);
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

static void agent_free(struct rm_agent *ag)
{
	free(ag->ak_pub);
	free(ag->ak_priv);
	memset(ag, 0, sizeof(*ag));
}

void rm_teardown(void)
{
	char cmd[2000], *out = NULL;

	tpmq_close(rm.tpm);
	rm.tpm = NULL;
	stop_pid(rm.broker_pid);
	rm.broker_pid = 0;
	if (rm.tpm_up) {
		snprintf(cmd, sizeof(cmd), "'%s/swtpm-down.sh' --wipe '%s' >/dev/null 2>&1",
			 fixtures(), rm.state);
		tu_run(cmd, &out);
		free(out);
		rm.tpm_up = 0;
	}
	agent_free(&rm.a);
	agent_free(&rm.b);
	free(rm.ek_cert);
	free(rm.ek_pub);
	free(rm.ak_unrestricted);
	free(rm.ak_unfixed);
	if (getenv("EPH_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rm.dir);
		tu_run(cmd, &out);
		free(out);
	}
	curl_global_cleanup();
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
		snprintf(cmd, sizeof(cmd), "'%s/swtpm-down.sh' --wipe '%s/%s/tpm' >/dev/null 2>&1",
			 fixtures(), root, e->d_name);
		tu_run(cmd, &out);
		free(out);
		out = NULL;
	}
	closedir(d);
	if (getenv("EPH_KEEP") != NULL) {
		fprintf(stderr, "rm_fixture: EPH_KEEP: %s kept\n", root);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	tu_run(cmd, &out);
	free(out);
}

void rm_use(const struct rm_agent *ag)
{
	struct eph_err err = {{0}};

	if (rm.loaded == ag)
		return;
	cr_assert_eq(tpmq_load_ak(rm.tpm, ag->ak_pub, ag->ak_pub_len, ag->ak_priv,
				  ag->ak_priv_len, &err),
		     0, "load AK: %s", err.msg);
	rm.loaded = ag;
}

static sqlite3_stmt *sql_prepare(sqlite3 **db, const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;

	cr_assert_eq(sqlite3_open_v2(rm.store, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK,
		     "open %s read-only", rm.store);
	sqlite3_busy_timeout(*db, 2000);
	cr_assert_eq(sqlite3_prepare_v2(*db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(*db));
	if (arg != NULL)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	return s;
}

long long rm_sql_int(const char *sql, const char *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = sql_prepare(&db, sql, arg);
	long long v = -1;

	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

const char *rm_sql_text(const char *sql, const char *arg)
{
	static char text[2048];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = sql_prepare(&db, sql, arg);

	text[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		snprintf(text, sizeof(text), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return text;
}

size_t rm_log_size(void)
{
	struct stat sb;

	return stat(rm.log, &sb) == 0 ? (size_t)sb.st_size : 0;
}

char *rm_log_since(size_t from)
{
	size_t len = 0;
	char *text = (char *)tu_read(rm.log, &len);
	char *out;

	if (from > len)
		from = len;
	out = strndup(text + from, len - from);
	cr_assert_not_null(out);
	free(text);
	return out;
}

void rm_policy_file(const char *name, const char *text)
{
	size_t before = rm_log_size(), len;
	char *log;
	int waited;

	if (text != NULL)
		write_file(rm_path(name), text, strlen(text));
	else
		unlink(rm_path(name));
	cr_assert_eq(kill(rm.broker_pid, SIGHUP), 0);
	for (waited = 0; waited < 5000; waited += 20) {
		log = rm_log_since(before);
		len = strlen(log);
		if (len > 0 && strstr(log, "policy reload") != NULL) {
			cr_assert(strstr(log, "policy reloaded") != NULL, "reload refused: %s", log);
			free(log);
			return;
		}
		free(log);
		usleep(20000);
	}
	cr_assert_fail("the broker did not log a policy reload within 5 s");
}

void rm_golden(int corrupt)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs pcrs;
	char hex[65], *text = NULL;
	size_t len = 0;
	FILE *f;
	unsigned p, i;

	cr_assert_eq(tpmq_pcrsel_parse(&sel, "sha256:0,1,2,3,4,5,6,7,8", &err), 0, "%s", err.msg);
	cr_assert_eq(tpmq_pcr_read(&pcrs, rm.tpm, &sel, &err), 0, "%s", err.msg);
	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	fprintf(f, "{\"sha256\": {");
	for (p = 0; p <= 8; p++) {
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x",
				 (unsigned)(pcrs.banks[0].pcr[p][i] ^ ((int)p == corrupt ? 0xff : 0)));
		fprintf(f, "%s\"%u\": \"%s\"", p ? ", " : "", p, hex);
	}
	fprintf(f, "}}\n");
	fclose(f);
	rm_policy_file("policy/golden-pcrs.json", text);
	free(text);
}
