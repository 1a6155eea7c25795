/*
 * real_broker.h - a real ephemera-broker for integration tests: a
 * self-signed certificate, a fresh store, the swtpm fixture CA as EK trust,
 * an ephemeral port on 127.0.0.1. Shared by the agent_broker and
 * agent_daemon tests (each includes real_broker.c from its fixtures_link.c).
 */
#ifndef REAL_BROKER_H
#define REAL_BROKER_H

#include <sys/types.h>

extern pid_t broker_pid;
extern char broker_url[64];   /* https://127.0.0.1:PORT */
extern char broker_pin[80];   /* sha256//... of the broker's key */
extern char brokerdir[700];   /* certificate, store, port file, broker.log */

/* $EPH_BINARY_DIR/rel (four rotating static buffers). */
const char *bin(const char *rel);
/* The file's first 64 KiB as a string ("" when unreadable); static buffer. */
const char *slurp(const char *path);
/* SIGTERM, then SIGKILL after 2.5 s; *pid = -1. */
void stop_pid(pid_t *pid);
/* Start the broker (asserts it came up) / stop it. */
void broker_start(void);
void broker_stop(void);

#endif
