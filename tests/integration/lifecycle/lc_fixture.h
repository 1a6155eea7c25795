/*
 * lc_fixture.h - what the lifecycle tests share: a visible skip when not
 * root or without a cgroup memory controller, a fresh store and the real
 * sandbox driver under a temp folder, a lifecycle whose reconciliation only
 * looks at this process's sandboxes, a spy driver that records whether the
 * handle was in the store when start() ran, and a teardown that destroys
 * every sandbox the test made.
 */
#ifndef LC_FIXTURE_H
#define LC_FIXTURE_H

#include <stdint.h>

#include "driver.h"
#include "lifecycle.h"
#include "sandbox.h"
#include "store.h"

/* Wraps the sandbox driver: start() checks the store for the handle first
 * and, with kill_at_start, SIGKILLs the process instead of starting. */
struct lc_spy {
	struct driver base;
	struct driver *inner;
	store *st;
	int starts;
	int handle_in_store_at_start; /* every start so far saw its handle stored */
	int kill_at_start;
};

struct lc_fx {
	char root[64];      /* temp folder: store.db, sbx/ */
	char db[96];
	char prefix[24];    /* "lc<pid>": ids of sandboxes made outside the store */
	store *st;
	struct lc_spy spy;  /* over the sandbox driver; the lifecycle uses it */
	struct driver *sbx;
	lifecycle *lc;
	struct lifecycle_config cfg;
};

extern struct lc_fx fx;
extern char *const lc_envp[];

void lc_fx_setup(void);
void lc_fx_teardown(void);

/* A fresh admitted environment (and its decision, *decision). */
void lc_env(char id[STORE_ID_SIZE], int64_t *decision, int64_t ttl_s, int64_t reattest_s,
	    int64_t now);
/* A spec running argv, 256 MiB, 25% CPU, no network, no vTPM. */
struct driver_spec lc_spec(char *const *argv);

enum store_env_state lc_state(const char *id);
/* Reason of the newest step (static buffer). */
const char *lc_last_reason(const char *id);
/* "a>b>c" of the history's to-states (static buffer). */
const char *lc_history(const char *id);
/* Handle in the store, "" if none (static buffer). */
const char *lc_handle(const char *id);
/* 1 if any cgroup folder of env id exists. */
int lc_cgroup_exists(const char *id);
/* The outcome of decision: 1 found (reward and usage set), 0 none. */
int lc_outcome(int64_t decision, const char *klass, float *reward, char *usage, size_t len);
/* Poll until nothing runs in handle; 0, or -1 after timeout_ms. */
int lc_wait_exit(const char *handle, int timeout_ms);

#endif
