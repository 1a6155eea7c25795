/*
 * api_lcbind.c - binding an agent to the environment it runs in (loop
 * thread, at registration): by the EK certificate the driver provisioned in
 * the environment's vTPM, byte for byte; the hostname the agent sends only
 * picks which environment to compare first (a claimed warm-pool member's
 * agent names the member, so the live environments are scanned then).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-lcpriv.h"

/* ---------------------------------------------------------------------- */
/* Binding (loop thread)                                                   */
/* ---------------------------------------------------------------------- */

/* Is der the EK certificate the driver provisioned in handle's vTPM? */
static int ek_is(struct api__lc *l, const char *handle, const uint8_t *der, size_t len)
{
	struct eph_err err = {{0}};
	uint8_t *mine = NULL;
	size_t mine_len = 0;
	int same;

	if (handle == NULL || driver_vtpm_ek(l->drv, &mine, &mine_len, handle, &err) < 0)
		return 0;
	same = len != 0 && len == mine_len && memcmp(der, mine, len) == 0;
	free(mine);
	return same;
}

struct bind_scan {
	struct api__lc *l;
	const uint8_t *der;
	size_t len;
	char found[STORE_ID_SIZE];
};

/* A claimed warm-pool member's agent names the member, not the
 * environment: find the environment by its vTPM instead. */
static int bind_scan_cb(const struct store_env *e, void *ctx)
{
	struct bind_scan *b = ctx;

	if ((e->state == STORE_ENV_PROVISIONING || e->state == STORE_ENV_ATTESTING) &&
	    ek_is(b->l, e->handle, b->der, b->len)) {
		snprintf(b->found, sizeof(b->found), "%s", e->id);
		return 1;
	}
	return 0;
}

int api__lc_bind(struct api *a, const char *agent_id, const char *claimed_env,
		 const uint8_t *ek_cert, size_t ek_cert_len)
{
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	struct bind_scan b;
	int rc;

	if (a->lc == NULL || ek_cert_len == 0)
		return 0;
	memset(&b, 0, sizeof(b));
	b.l = a->lc;
	b.der = ek_cert;
	b.len = ek_cert_len;
	/* fast path: the environment the agent names (its hostname) */
	if (claimed_env != NULL && api__valid_id(claimed_env) &&
	    store_env_get(&e, a->st, claimed_env, &err) == 0) {
		if (!store_env_state_terminal(e->state) && ek_is(a->lc, e->handle, ek_cert, ek_cert_len))
			snprintf(b.found, sizeof(b.found), "%s", e->id);
		else
			api__log(a, API_LOG_WARN, "agent not bound",
				 "%s names environment %s (%s) but its EK certificate is not that "
				 "environment's vTPM EK",
				 agent_id, claimed_env, store_env_state_name(e->state));
		store_env_free(e);
	}
	if (b.found[0] == '\0' &&
	    store_env_foreach_live(a->st, bind_scan_cb, &b, &err) < 0 && b.found[0] == '\0') {
		api__log(a, API_LOG_ERROR, "agent not bound", "%s: %s", agent_id, err.msg);
		return -1;
	}
	if (b.found[0] == '\0')
		return 0; /* a machine the broker did not make */
	rc = store_agent_bind_env(a->st, agent_id, b.found, &err);
	if (rc < 0) {
		api__log(a, API_LOG_ERROR, "agent not bound", "%s: %s", agent_id, err.msg);
		return rc;
	}
	api__log(a, API_LOG_INFO, "agent bound", "%s is environment %s's agent (vTPM EK matches)",
		 agent_id, b.found);
	return 1;
}
