/*
 * envs_fixture.h - a real ephemera-broker with the sandbox driver for the
 * environment lifecycle tests: scripts/envs-setup.sh makes the folder (TLS,
 * vTPM CA as EK trust, CWT issuer, docs/examples/sandbox-policy), the
 * broker runs as a child (so a test can kill -9 it), requests go through
 * ephemeractl, states are read from the store.
 */
#ifndef ENVS_FIXTURE_H
#define ENVS_FIXTURE_H

#include <sys/types.h>

#include "store.h"

extern char ef_dir[512];   /* the work folder */
extern pid_t ef_broker;    /* -1 when not running */
extern const char *ef_sensitivity; /* requests' data sensitivity ("internal") */
extern unsigned ef_mem_mib;        /* requests' asked memory (128) */

/* Make the folder (once per test). */
void ef_setup(void);
/* Stop the broker if running, destroy every sandbox left, remove the folder. */
void ef_teardown(void);

/* Start the broker (same store and env root as before); waits for its port. */
void ef_broker_start(void);
/* The same with other driver options (replacing "--driver sandbox") and a
 * fixed port (0: ephemeral). */
void ef_broker_start_with(const char *driver_args, unsigned fixed_port);
/* SIGTERM and wait / SIGKILL and reap. */
void ef_broker_stop(void);
void ef_broker_kill9(void);

/* Mint a token (sub, clearance, duration s) and request an environment;
 * id gets its env id. Returns ephemeractl's exit status. */
int ef_env_create(char id[STORE_ID_SIZE], const char *sub, unsigned clearance,
		  unsigned duration_s);
/* ephemeractl env delete ID; its exit status. */
int ef_env_delete(const char *id);

/* The environment's state (a store_env_state) and last reason; -1 unknown. */
int ef_env_state(const char *id, char *reason, size_t reason_len);
/* Wait up to timeout_ms for state; returns the state reached last. */
int ef_wait_state(const char *id, int state, unsigned timeout_ms);
/* The handle the driver gave it ("" if none). */
void ef_env_handle(const char *id, char *out, size_t len);

/* Run cmd through sh; its status; out (may be NULL) gets stdout+stderr. */
int ef_sh(const char *cmd, char **out);

/* Leaks: processes (swtpm, agents) naming the work folder, and sandboxes
 * (cgroups) of the given ids that the driver still lists. */
unsigned ef_leaked_processes(void);
unsigned ef_leaked_sandboxes(char (*ids)[STORE_ID_SIZE], size_t n);

/* The broker's log so far (static buffer). */
const char *ef_log(void);

#endif
