/*
 * faults.h - what the fault tests share (prefix fl_): a real ephemera-broker
 * that can be killed and started again on the same port and store, real
 * ephemera-agent processes on the swtpm fixture TPMs, and bounded polling
 * of their logs, their store (read with SQLite directly) and /proc.
 *
 * Not here: the cases themselves (test_*.c), the swtpm fixture
 * (../tpm/swtpm_fixture.c) and bin()/slurp()/stop_pid() (../real_broker.c).
 */
#ifndef FAULTS_H
#define FAULTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "eph_rng.h"

struct fl_broker {
	pid_t pid;        /* -1 when not running */
	int port;         /* 0 until the first start picked one */
	unsigned timeout; /* --timeout S; 0: the broker's default */
	int nofile;       /* RLIMIT_NOFILE for the broker; 0: inherited */
	char dir[700];    /* certificate, key, port file */
	char store[760];  /* the SQLite store */
	char log[760];    /* stderr of every run, appended */
	char url[64];
	char pin[80];
};

struct fl_agent {
	pid_t pid;         /* -1 when not running */
	int tpm;           /* index into fx_tpm */
	char state[700];   /* --state-dir */
	char log[700];     /* stderr of every run, appended */
	char bootlog[700]; /* the firmware event log firmware-boot.sh wrote */
	char bootid[700];
	char host[32];
};

/* A seeded generator; the seed is EPH_FAULT_SEED or def, logged. */
void fl_rng(struct eph_rng *r, uint64_t def);
/* Uniform in [lo, hi]. */
unsigned fl_between(struct eph_rng *r, unsigned lo, unsigned hi);

/* Broker: key and certificate in dir, store at store (asserts). */
void fl_broker_init(struct fl_broker *b, const char *dir, const char *store);
/* Start it (the first time on a new port, then on the same one); asserts it listens. */
void fl_broker_start(struct fl_broker *b);
/* SIGKILL and reap. */
void fl_broker_kill9(struct fl_broker *b);
/* SIGTERM; its exit status (128+signal when killed, -1 on timeout). */
int fl_broker_stop(struct fl_broker *b);

/* Agent on fx_tpm[tpm]: measured boot (firmware-boot.sh) into the TPM. */
void fl_agent_init(struct fl_agent *g, int tpm, const char *host);
/* Measure the boot again (after the TPM was reset). */
void fl_agent_reboot(struct fl_agent *g);
/* Start ephemera-agent (ECC AK, no IMA, no CVM) plus extra (NULL-ended). */
void fl_agent_start(struct fl_agent *g, const struct fl_broker *b, const char *const *extra);
/* Wait up to timeout_s; the exit status (128+signal), -1 on timeout (then killed). */
int fl_agent_wait(struct fl_agent *g, double timeout_s);
/* SIGTERM and wait: the exit status. */
int fl_agent_stop(struct fl_agent *g);
/* SIGKILL and reap. */
void fl_agent_kill9(struct fl_agent *g);

/* Occurrences of needle in the file (whole file, up to 8 MiB). */
unsigned fl_count(const char *path, const char *needle);
/* Poll (20 ms) until fl_count(path, needle) >= n or timeout_s; 1 when reached.
 * A pid > 0 that exits meanwhile ends the wait (0). */
int fl_wait_count(const char *path, const char *needle, unsigned n, double timeout_s, pid_t pid);
/* The file's first MiB as a string in a static buffer ("" when missing):
 * for assertion messages. */
const char *fl_read(const char *path);
/* The agent ids of "enrolled agent=ID" lines in order, up to max; their count. */
unsigned fl_enrolled_ids(char ids[][64], unsigned max, const char *log);

/* First column of the first row of sql on the store (asserts); int / text. */
int64_t fl_sql_int(const char *db, const char *sql);
void fl_sql_text(char *out, size_t size, const char *db, const char *sql);
/* PRAGMA integrity_check == "ok" (asserts, with what it said). */
void fl_assert_integrity(const char *db);

/* Open descriptors of pid; its user+system CPU seconds. */
int fl_fd_count(pid_t pid);
double fl_cpu_s(pid_t pid);
/* Size of a file (0 if missing). */
long long fl_size(const char *path);

/* A TLS 1.3 request to the broker (no certificate check: tests only) with a
 * CBOR body; returns the HTTP status, body (new string) in *out. */
long fl_https(char **out, const struct fl_broker *b, const char *method, const char *path,
              const uint8_t *body, size_t len);

#endif
