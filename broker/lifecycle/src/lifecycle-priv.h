/*
 * lifecycle-priv.h - what the files of the lifecycle module share.
 */
#ifndef EPH_LIFECYCLE_PRIV_H
#define EPH_LIFECYCLE_PRIV_H

#include "lifecycle.h"

struct lifecycle {
	store *st;
	struct driver *drv;
	struct lifecycle_config cfg;
};

/* Times of an environment's steps, from its history (0: never). */
struct lifecycle__times {
	int64_t provisioning;  /* first step into provisioning */
	int64_t first_running; /* first step into running */
	int64_t last_running;  /* last step into running */
	int64_t last_attesting; /* last step into attesting */
	char last_reason[128]; /* reason of the newest step */
};

int lifecycle__times(struct lifecycle__times *t, lifecycle *lc, const char *env_id,
		     struct eph_err *err);

/*
 * End env_id: write -> draining with reason (unless already draining or
 * nothing exists yet), read the driver's usage, destroy (by handle, or
 * whatever the driver lists under env_id when there is none), then write
 * -> final (destroyed or failed; failed if the destroy failed) together
 * with the outcome of the creating decision, in one transaction.
 * EPH_EVERIFY if the environment has already ended.
 */
int lifecycle__end(lifecycle *lc, const char *env_id, const char *reason,
		   enum store_env_state final, int64_t now, struct eph_err *err);

/* Destroy every driver entry named env_id (undo of a half-made create). */
int lifecycle__destroy_by_id(lifecycle *lc, const char *env_id, struct eph_err *err);

/* The decision that created env_id, 0 if none was recorded. */
int lifecycle__decision(int64_t *id, lifecycle *lc, const char *env_id, struct eph_err *err);

#define LIFECYCLE__DECISION_ACTION "env.decision"

#endif
