/*
 * warmpool.h - warm pools of environments per class (prefix warmpool_).
 *
 * A member is an environment that driver create() has fully made (cgroups
 * with limits, namespaces, network, vTPM provisioned and running) whose
 * first process waits, idle, for its command. warmpool_claim() hands one
 * over: a state change (it leaves the pool), not a creation; the claimer
 * then calls driver_start() with the workload's command. The pool is filled
 * only by warmpool_resize(), whose target is the Q-network's pre-warm
 * choice for the class; idle members older than the class TTL are
 * destroyed by warmpool_expire() and skipped by claims.
 *
 * A claimed member keeps its pool-made env id (hostname, cgroup, state
 * folder names): the store maps the broker's environment to the handle.
 * Not here: choosing sizes (qnet), persisting the pool (members are
 * environments; after a restart list() finds them and reconciliation
 * destroys them, since only the creating instance can start them).
 */
#ifndef EPH_WARMPOOL_H
#define EPH_WARMPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "driver.h"

#define WARMPOOL_CLASS_MAX 24 /* class names: 1..24 of [A-Za-z0-9-] */

struct warmpool;

/* A pool set over driver d (not owned; must outlive the pool). */
int warmpool_new(struct warmpool **out, struct driver *d, struct eph_err *err);

/* Destroys every idle member, then frees. NULL is fine. */
void warmpool_free(struct warmpool *wp);

/*
 * Define (or redefine) a class: what its members look like. tmpl->env_id is
 * ignored (the pool names members); its command is what driver_start()
 * runs when given no command. Copied. ttl_ms 0: members never expire.
 */
int warmpool_set_class(struct warmpool *wp, const char *cls, const struct driver_spec *tmpl,
		       uint64_t ttl_ms, struct eph_err *err);

/*
 * Make the class hold n idle members: creates the missing ones (slow: a
 * full create each, outside the pool's lock so claims go on meanwhile) or
 * destroys the oldest extra ones. On a failed creation, the members made so
 * far stay and the error is returned.
 */
int warmpool_resize(struct warmpool *wp, const char *cls, size_t n, struct eph_err *err);

/*
 * Take the oldest live idle member of the class: writes its handle and env
 * id. EPH_ENOTFOUND when the class has none (the pool does not refill).
 */
int warmpool_claim(struct warmpool *wp, char handle[DRIVER_HANDLE_MAX],
		   char env_id[DRIVER_ID_MAX + 1], const char *cls, struct eph_err *err);

/* Destroy idle members past their class TTL; returns how many, or < 0. */
int warmpool_expire(struct warmpool *wp, struct eph_err *err);

/* Idle members of the class now (0 for an unknown class). */
size_t warmpool_size(struct warmpool *wp, const char *cls);

#endif
