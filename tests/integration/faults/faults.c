/*
 * faults.c - see faults.h. Everything asserts (criterion): a helper that
 * cannot do its job ends the test with the reason.
 */
#include "faults.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "../real_broker.h"
#include "../tpm/swtpm_fixture.h"
#include "testutil.h"

void fl_rng(struct eph_rng *r, uint64_t def)
{
	const char *s = getenv("EPH_FAULT_SEED");
	uint64_t seed = def;

	if (s != NULL && *s != '\0') {
		char *end = NULL;

		errno = 0;
		seed = strtoull(s, &end, 0);
		cr_assert(errno == 0 && *end == '\0', "EPH_FAULT_SEED=%s is not a number", s);
	}
	cr_log_info("seed %llu (EPH_FAULT_SEED overrides)", (unsigned long long)seed);
	eph_rng_seed(r, seed);
}

unsigned fl_between(struct eph_rng *r, unsigned lo, unsigned hi)
{
	return lo + (unsigned)(eph_rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* ------------------------------------------------------------------ */

void fl_broker_init(struct fl_broker *b, const char *dir, const char *store)
{
	char cmd[2048], *out = NULL, *pin;
	int st;

	memset(b, 0, sizeof(*b));
	b->pid = -1;
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	snprintf(b->store, sizeof(b->store), "%s", store);
	snprintf(b->log, sizeof(b->log), "%s/broker.log", dir);
	snprintf(cmd, sizeof(cmd), "'%s' --gen-self-signed '%s' 2>&1",
	         bin("broker/daemon/ephemera-broker"), dir);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "ephemera-broker --gen-self-signed: %s", out ? out : "");
	pin = strstr(out, "sha256//");
	cr_assert_not_null(pin, "no pin in: %s", out);
	snprintf(b->pin, sizeof(b->pin), "%.52s", pin);
	free(out);
}

void fl_broker_start(struct fl_broker *b)
{
	char cert[760], key[760], portfile[760], port[16], timeout[16];
	const char *args[32];
	int i = 0, st, got = 0;

	snprintf(cert, sizeof(cert), "%s/broker-cert.pem", b->dir);
	snprintf(key, sizeof(key), "%s/broker-key.pem", b->dir);
	snprintf(portfile, sizeof(portfile), "%s/port", b->dir);
	snprintf(port, sizeof(port), "%d", b->port);
	snprintf(timeout, sizeof(timeout), "%u", b->timeout);
	unlink(portfile);
	args[i++] = bin("broker/daemon/ephemera-broker");
	args[i++] = "--port";
	args[i++] = port;
	args[i++] = "--port-file";
	args[i++] = portfile;
	args[i++] = "--tls-cert";
	args[i++] = cert;
	args[i++] = "--tls-key";
	args[i++] = key;
	args[i++] = "--store";
	args[i++] = b->store;
	args[i++] = "--ek-trust";
	args[i++] = fx_trust_dir();
	if (b->timeout > 0) {
		args[i++] = "--timeout";
		args[i++] = timeout;
	}
	args[i++] = "-v";
	args[i] = NULL;
	b->pid = fork();
	cr_assert_geq(b->pid, 0);
	if (b->pid == 0) {
		FILE *f = freopen(b->log, "a", stderr);

		(void)f;
		if (b->nofile > 0) {
			struct rlimit rl = {(rlim_t)b->nofile, (rlim_t)b->nofile};

			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				_exit(126);
		}
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	/* the port file appears once it listens (~0.1 s; ASan is slower) */
	for (i = 0; i < 400 && !got; i++) {
		const char *p = slurp(portfile);

		if (*p != '\0')
			got = (int)strtol(p, NULL, 10);
		else
			usleep(25 * 1000);
		cr_assert_eq(waitpid(b->pid, &st, WNOHANG), 0, "broker exited: %s", slurp(b->log));
	}
	cr_assert_gt(got, 0, "broker did not write its port: %s", slurp(b->log));
	cr_assert(b->port == 0 || b->port == got, "broker came back on port %d, not %d", got,
	          b->port);
	b->port = got;
	snprintf(b->url, sizeof(b->url), "https://127.0.0.1:%d", got);
}

void fl_broker_kill9(struct fl_broker *b)
{
	int st;

	if (b->pid <= 0)
		return;
	kill(b->pid, SIGKILL);
	waitpid(b->pid, &st, 0);
	b->pid = -1;
}

static int wait_exit(pid_t *pid, double timeout_s)
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
	kill(*pid, SIGKILL);
	waitpid(*pid, &st, 0);
	*pid = -1;
	return -1;
}

int fl_broker_stop(struct fl_broker *b)
{
	if (b->pid <= 0)
		return -1;
	kill(b->pid, SIGTERM);
	return wait_exit(&b->pid, 30);
}

/* ------------------------------------------------------------------ */

void fl_agent_reboot(struct fl_agent *g)
{
	char cmd[2048], *out = NULL;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s/swtpm-fixtures/firmware-boot.sh' '%s' '%s' 2>&1",
	         EPH_SOURCE_DIR, fx_tpm[g->tpm].state, g->bootlog);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "firmware-boot.sh: %s", out ? out : "");
	free(out);
}

void fl_agent_init(struct fl_agent *g, int tpm, const char *host)
{
	FILE *f;

	memset(g, 0, sizeof(*g));
	g->pid = -1;
	g->tpm = tpm;
	snprintf(g->host, sizeof(g->host), "%s", host);
	snprintf(g->state, sizeof(g->state), "%s/agent-state", fx_tpm[tpm].dir);
	snprintf(g->log, sizeof(g->log), "%s/agent.log", fx_tpm[tpm].dir);
	snprintf(g->bootlog, sizeof(g->bootlog), "%s/boot.log", fx_tpm[tpm].dir);
	snprintf(g->bootid, sizeof(g->bootid), "%s/boot_id", fx_tpm[tpm].dir);
	fl_agent_reboot(g);
	f = fopen(g->bootid, "w");
	cr_assert_not_null(f);
	fputs("0f0f0f0f-1111-2222-3333-444444444444\n", f);
	fclose(f);
}

void fl_agent_start(struct fl_agent *g, const struct fl_broker *b, const char *const *extra)
{
	const char *args[64];
	int i = 0;

	args[i++] = bin("agent/daemon/ephemera-agent");
	args[i++] = "--broker";
	args[i++] = b->url;
	args[i++] = "--pin";
	args[i++] = b->pin;
	args[i++] = "--tcti";
	args[i++] = fx_tpm[g->tpm].tcti;
	args[i++] = "--state-dir";
	args[i++] = g->state;
	args[i++] = "--eventlog";
	args[i++] = g->bootlog;
	args[i++] = "--ima=";
	args[i++] = "--boot-id";
	args[i++] = g->bootid;
	args[i++] = "--cvm";
	args[i++] = "none";
	args[i++] = "--ak-alg";
	args[i++] = "ecc";
	args[i++] = "--hostname";
	args[i++] = g->host;
	while (extra != NULL && *extra != NULL && i < 63)
		args[i++] = *extra++;
	args[i] = NULL;
	g->pid = fork();
	cr_assert_geq(g->pid, 0);
	if (g->pid == 0) {
		FILE *f = freopen(g->log, "a", stderr);

		(void)f;
		execv(args[0], (char *const *)args);
		_exit(127);
	}
}

int fl_agent_wait(struct fl_agent *g, double timeout_s)
{
	if (g->pid <= 0)
		return -1;
	return wait_exit(&g->pid, timeout_s);
}

int fl_agent_stop(struct fl_agent *g)
{
	if (g->pid <= 0)
		return -1;
	kill(g->pid, SIGTERM);
	return wait_exit(&g->pid, 40);
}

void fl_agent_kill9(struct fl_agent *g)
{
	int st;

	if (g->pid <= 0)
		return;
	kill(g->pid, SIGKILL);
	waitpid(g->pid, &st, 0);
	g->pid = -1;
}

/* ------------------------------------------------------------------ */

/* A whole file (up to 8 MiB) as a new string. */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 8u << 20, n = 0;
	char *buf = malloc(cap + 1);

	cr_assert_not_null(buf);
	if (f != NULL) {
		n = fread(buf, 1, cap, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

const char *fl_read(const char *path)
{
	/* static: it is called in assertion messages, which nobody frees */
	static char buf[1u << 20];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

unsigned fl_count(const char *path, const char *needle)
{
	char *text = read_all(path);
	unsigned n = 0;

	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	free(text);
	return n;
}

int fl_wait_count(const char *path, const char *needle, unsigned n, double timeout_s, pid_t pid)
{
	double end = fx_ms() + timeout_s * 1000;

	for (;;) {
		if (fl_count(path, needle) >= n)
			return 1;
		if (fx_ms() > end)
			return 0;
		if (pid > 0) {
			siginfo_t si;

			memset(&si, 0, sizeof(si));
			/* WNOWAIT: the caller still reaps it and reads its status */
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == pid)
				return fl_count(path, needle) >= n;
		}
		usleep(20 * 1000);
	}
}

unsigned fl_enrolled_ids(char ids[][64], unsigned max, const char *log)
{
	static const char key[] = "enrolled agent=";
	char *text = read_all(log);
	unsigned n = 0;

	for (const char *p = strstr(text, key); p != NULL && n < max; p = strstr(p + 1, key)) {
		const char *v = p + strlen(key);
		size_t l = strcspn(v, " \n");

		cr_assert_lt(l, 64);
		memcpy(ids[n], v, l);
		ids[n][l] = '\0';
		n++;
	}
	free(text);
	return n;
}

/* ------------------------------------------------------------------ */

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);

	cr_assert_eq(rc, SQLITE_OK, "sqlite3_open %s: %s", path, sqlite3_errstr(rc));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static sqlite3_stmt *db_row(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	rc = sqlite3_step(s);
	cr_assert_eq(rc, SQLITE_ROW, "%s: no row (%s)", sql, sqlite3_errmsg(db));
	return s;
}

int64_t fl_sql_int(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *s = db_row(db, sql);
	int64_t v = sqlite3_column_int64(s, 0);

	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

void fl_sql_text(char *out, size_t size, const char *path, const char *sql)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *s = db_row(db, sql);
	const unsigned char *t = sqlite3_column_text(s, 0);

	snprintf(out, size, "%s", t != NULL ? (const char *)t : "");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

void fl_assert_integrity(const char *db)
{
	char res[512];

	fl_sql_text(res, sizeof(res), db, "PRAGMA integrity_check");
	cr_assert_str_eq(res, "ok", "PRAGMA integrity_check of %s: %s", db, res);
}

/* ------------------------------------------------------------------ */

int fl_fd_count(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	d = opendir(path);
	cr_assert_not_null(d, "%s: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

double fl_cpu_s(pid_t pid)
{
	char path[64], *p;
	const char *text;
	unsigned long long ut = 0, stime = 0;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	text = slurp(path);
	p = strrchr(text, ')'); /* the command name may hold blanks */
	cr_assert_not_null(p, "%s: %s", path, text);
	/* ") S ppid ...": the 12th blank after ')' precedes field 14, utime */
	for (i = 0; i < 12 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	cr_assert_not_null(p);
	ut = strtoull(p + 1, &p, 10);
	stime = strtoull(p + 1, NULL, 10);
	return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

long long fl_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* ------------------------------------------------------------------ */

struct body {
	char *p;
	size_t n;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *q;

	if (b->n + n > (1u << 20))
		return 0;
	q = realloc(b->p, b->n + n + 1);
	if (q == NULL)
		return 0;
	memcpy(q + b->n, ptr, n);
	b->p = q;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

long fl_https(char **out, const struct fl_broker *b, const char *method, const char *path,
              const uint8_t *body, size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct body resp = {NULL, 0};
	char url[512];
	long status = 0;
	CURLcode rc;

	cr_assert_not_null(c);
	snprintf(url, sizeof(url), "%s%s", b->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, b->pin);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	h = curl_slist_append(h, "Content-Type: application/cbor");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, url, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	*out = resp.p != NULL ? resp.p : strdup("");
	return status;
}
