/*
 * envstate.c - the environment state machine of DESIGN.md as data: state
 * names as stored in the database, and the allowed edges.
 *
 *   requested -> admitted -> provisioning -> attesting -> running
 *   running <-> re-attesting;  provisioning|attesting|running|re-attesting
 *   -> draining -> destroyed;  requested|admitted -> destroyed (cancelled
 *   before anything exists, nothing to drain);  any live state -> failed.
 *
 * destroyed and failed are terminal: whatever a failed environment left
 * behind is not owned by the store any more and reconciliation destroys it.
 *
 * Deliberately not here: acting on a transition (lifecycle does) and the
 * database (envs.c).
 */
#include <string.h>

#include "store-priv.h"

static const char *const names[STORE_ENV_NSTATES] = {
	[STORE_ENV_REQUESTED] = "requested",
	[STORE_ENV_ADMITTED] = "admitted",
	[STORE_ENV_PROVISIONING] = "provisioning",
	[STORE_ENV_ATTESTING] = "attesting",
	[STORE_ENV_RUNNING] = "running",
	[STORE_ENV_REATTESTING] = "re-attesting",
	[STORE_ENV_DRAINING] = "draining",
	[STORE_ENV_DESTROYED] = "destroyed",
	[STORE_ENV_FAILED] = "failed",
};

#define BIT(s) (1u << (s))

/* edges[from] = set of states reachable in one step. */
static const unsigned edges[STORE_ENV_NSTATES] = {
	[STORE_ENV_REQUESTED] = BIT(STORE_ENV_ADMITTED) | BIT(STORE_ENV_DESTROYED) |
				BIT(STORE_ENV_FAILED),
	[STORE_ENV_ADMITTED] = BIT(STORE_ENV_PROVISIONING) | BIT(STORE_ENV_DESTROYED) |
			       BIT(STORE_ENV_FAILED),
	[STORE_ENV_PROVISIONING] = BIT(STORE_ENV_ATTESTING) | BIT(STORE_ENV_DRAINING) |
				   BIT(STORE_ENV_FAILED),
	[STORE_ENV_ATTESTING] = BIT(STORE_ENV_RUNNING) | BIT(STORE_ENV_DRAINING) |
				BIT(STORE_ENV_FAILED),
	[STORE_ENV_RUNNING] = BIT(STORE_ENV_REATTESTING) | BIT(STORE_ENV_DRAINING) |
			      BIT(STORE_ENV_FAILED),
	[STORE_ENV_REATTESTING] = BIT(STORE_ENV_RUNNING) | BIT(STORE_ENV_DRAINING) |
				  BIT(STORE_ENV_FAILED),
	[STORE_ENV_DRAINING] = BIT(STORE_ENV_DESTROYED) | BIT(STORE_ENV_FAILED),
	[STORE_ENV_DESTROYED] = 0,
	[STORE_ENV_FAILED] = 0,
};

const char *store_env_state_name(enum store_env_state s)
{
	if ((unsigned)s >= STORE_ENV_NSTATES)
		return NULL;
	return names[s];
}

int store_env_state_parse(enum store_env_state *out, const char *name)
{
	unsigned i;

	if (name == NULL)
		return -1;
	for (i = 0; i < STORE_ENV_NSTATES; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = (enum store_env_state)i;
			return 0;
		}
	}
	return -1;
}

int store_env_transition_allowed(enum store_env_state from, enum store_env_state to)
{
	if ((unsigned)from >= STORE_ENV_NSTATES || (unsigned)to >= STORE_ENV_NSTATES)
		return 0;
	return (edges[from] & BIT(to)) != 0;
}

int store_env_state_terminal(enum store_env_state s)
{
	return s == STORE_ENV_DESTROYED || s == STORE_ENV_FAILED;
}
