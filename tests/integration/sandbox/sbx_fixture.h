/*
 * sbx_fixture.h - what the sandbox driver tests share: a visible skip when
 * not root or without a usable cgroup memory controller, a driver over a
 * fresh state folder, names unique to the test process, bounded waits, and a
 * teardown that destroys every sandbox the test made even when it failed.
 */
#ifndef SBX_FIXTURE_H
#define SBX_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "driver.h"
#include "sandbox.h"

struct sbx_fx {
	struct driver *d;
	char root[64];   /* state root, a fresh folder under /tmp */
	char prefix[24]; /* "t<pid>": every env id (and warm class) starts with it */
};

extern struct sbx_fx fx;

/* Make fx (and skip the test with a SKIP line when it cannot run). */
void sbx_fx_setup(void);
/* Destroy every sandbox whose id contains fx.prefix; remove the folder. */
void sbx_fx_teardown(void);
/* "<prefix>-<name>" in a static buffer (one per call site: copy it). */
const char *sbx_id(const char *name);
/* Poll stats until nothing runs inside; returns 0, or -1 after timeout_ms. */
int sbx_wait_exit(const char *handle, int timeout_ms);
/* The sandbox's console.log, NUL-terminated; free(). */
char *sbx_console(const char *env_id);
double sbx_now_ms(void);

/* A spec with the brief's limits: 256 MiB, 25% CPU, 64 pids, no network. */
struct driver_spec sbx_spec(const char *id, char *const *argv);
extern char *const sbx_env[];

#endif
