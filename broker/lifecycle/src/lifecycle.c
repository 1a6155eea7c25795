/*
 * lifecycle.c - the lifecycle handle and the steps the broker asks for:
 * provision an admitted environment, take an attestation verdict, delete.
 *
 * Every step is written to the store before the driver is asked to act, and
 * the handle is written between create and start, so that a crash at any
 * point leaves the store saying enough for lifecycle_reconcile() to finish
 * or undo it.
 *
 * Deliberately not here: ending an environment (end.c) and the periodic
 * checks and reconciliation (tick.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle-priv.h"

void lifecycle_config_default(struct lifecycle_config *c)
{
	memset(c, 0, sizeof(*c));
	c->grace_s = 30;
	c->boot_s = 0;
	c->lambda = 1.0;
	c->mu = 0.01;
	c->oom_weight = 10.0;
	c->cost_vcpu_s = 0.5 / 3600.0;
	c->cost_gib_s = 0.5 / 3600.0;
}

int lifecycle_new(lifecycle **out, store *st, struct driver *drv,
		  const struct lifecycle_config *cfg, struct eph_err *err)
{
	lifecycle *lc = NULL;

	*out = NULL;
	if (st == NULL || drv == NULL)
		return eph_err_set(err, EPH_EFAIL, "lifecycle: no store or no driver");
	if (cfg != NULL && (cfg->grace_s < 0 || cfg->lambda < 0 || cfg->mu < 0 ||
			    cfg->oom_weight < 0 || cfg->cost_vcpu_s < 0 || cfg->cost_gib_s < 0))
		return eph_err_set(err, EPH_EFORMAT, "lifecycle: negative grace, weight or cost");
	lc = calloc(1, sizeof(*lc));
	if (lc == NULL)
		return eph_err_set(err, EPH_ENOMEM, "lifecycle: out of memory");
	lc->st = st;
	lc->drv = drv;
	if (cfg != NULL)
		lc->cfg = *cfg;
	else
		lifecycle_config_default(&lc->cfg);
	*out = lc;
	return 0;
}

void lifecycle_free(lifecycle *lc)
{
	free(lc);
}

/* admitted -> provisioning, with the creating decision, in one transaction. */
static int begin_provisioning(lifecycle *lc, const char *env_id, int64_t decision_id,
			      int64_t now, struct eph_err *err)
{
	struct store_audit a = { 0 };
	char detail[32];
	int rc, n;

	rc = store_tx_begin(lc->st, err);
	if (rc < 0)
		return rc;
	rc = store_env_transition(lc->st, env_id, STORE_ENV_ADMITTED, STORE_ENV_PROVISIONING,
				  "provisioning", now, err);
	if (rc < 0)
		goto fail;
	if (decision_id > 0) {
		n = snprintf(detail, sizeof(detail), "%lld", (long long)decision_id);
		if (n < 0 || (size_t)n >= sizeof(detail)) {
			rc = eph_err_set(err, EPH_EFAIL, "lifecycle: decision id too long");
			goto fail;
		}
		a.at = now;
		a.actor = "broker";
		a.action = LIFECYCLE__DECISION_ACTION;
		a.object = env_id;
		a.detail = detail;
		rc = store_audit_append(NULL, lc->st, &a, err);
		if (rc < 0)
			goto fail;
	}
	return store_tx_commit(lc->st, err);
fail:
	store_tx_rollback(lc->st);
	return rc;
}

/* A provisioning failure: end as failed with the driver's message. */
static int provision_failed(lifecycle *lc, const char *env_id, int rc, const char *what,
			    const struct eph_err *cause, int64_t now, struct eph_err *err)
{
	char reason[EPH_ERR_MSG_MAX + 64];
	struct eph_err e2 = { { 0 } };

	snprintf(reason, sizeof(reason), "provision failed: %s: %.200s", what, cause->msg);
	if (lifecycle__end(lc, env_id, reason, STORE_ENV_FAILED, now, &e2) < 0)
		return eph_err_set(err, rc, "%s (and ending it: %s)", reason, e2.msg);
	return eph_err_set(err, rc, "%s", reason);
}

/* Both provisioning paths once the environment exists: the handle, start,
 * -> attesting. On failure the environment is failed and destroyed. */
static int record_and_start(lifecycle *lc, const char *env_id, const char *handle,
			    const char *how, int64_t now, struct eph_err *err)
{
	struct eph_err de = { { 0 } };
	int rc = store_env_set_handle(lc->st, env_id, handle, now, &de);

	if (rc < 0) {
		/* The store does not know the handle: undo by name now. */
		driver_destroy(lc->drv, handle, NULL);
		return provision_failed(lc, env_id, rc, "recording the handle", &de, now, err);
	}
	rc = driver_start(lc->drv, handle, NULL, &de);
	if (rc < 0)
		return provision_failed(lc, env_id, rc, "start", &de, now, err);
	rc = store_env_transition(lc->st, env_id, STORE_ENV_PROVISIONING, STORE_ENV_ATTESTING,
				  how, now, &de);
	if (rc < 0)
		return provision_failed(lc, env_id, rc, "recording the start", &de, now, err);
	return 0;
}

int lifecycle_provision_claimed(lifecycle *lc, const char *env_id, const char *handle,
				int64_t decision_id, int64_t now, struct eph_err *err)
{
	int rc;

	if (env_id == NULL || handle == NULL || !driver_id_valid(env_id))
		return eph_err_set(err, EPH_EFORMAT, "provision: bad environment id");
	rc = begin_provisioning(lc, env_id, decision_id, now, err);
	if (rc < 0) {
		/* the member is ours alone now: nobody else will start it */
		driver_destroy(lc->drv, handle, NULL);
		return rc;
	}
	return record_and_start(lc, env_id, handle, "started (warm pool claim)", now, err);
}

int lifecycle_provision(lifecycle *lc, const char *env_id, const struct driver_spec *spec,
			int64_t decision_id, int64_t now, struct eph_err *err)
{
	char handle[DRIVER_HANDLE_MAX] = "";
	struct driver_spec s;
	struct eph_err de = { { 0 } };
	int rc;

	if (env_id == NULL || spec == NULL || !driver_id_valid(env_id))
		return eph_err_set(err, EPH_EFORMAT, "provision: bad environment id");
	rc = begin_provisioning(lc, env_id, decision_id, now, err);
	if (rc < 0)
		return rc;

	s = *spec;
	s.env_id = env_id;
	rc = driver_create(lc->drv, handle, &s, &de);
	if (rc < 0)
		return provision_failed(lc, env_id, rc, "create", &de, now, err);
	return record_and_start(lc, env_id, handle, "started", now, err);
}

int lifecycle_attested(lifecycle *lc, const char *env_id, int ok, const char *reason,
		       int64_t now, struct eph_err *err)
{
	char why[256];
	struct store_env *e = NULL;
	enum store_env_state state;
	int rc;

	rc = store_env_get(&e, lc->st, env_id, err);
	if (rc < 0)
		return rc;
	state = e->state;
	store_env_free(e);

	if (!ok) {
		snprintf(why, sizeof(why), "drift: %s", reason != NULL ? reason : "refused");
		return lifecycle__end(lc, env_id, why, STORE_ENV_DESTROYED, now, err);
	}
	switch (state) {
	case STORE_ENV_ATTESTING:
	case STORE_ENV_REATTESTING:
		return store_env_transition(lc->st, env_id, state, STORE_ENV_RUNNING, "attested",
					    now, err);
	case STORE_ENV_RUNNING:
		/* Attested before tick marked it due: record the round trip. */
		rc = store_tx_begin(lc->st, err);
		if (rc < 0)
			return rc;
		rc = store_env_transition(lc->st, env_id, STORE_ENV_RUNNING, STORE_ENV_REATTESTING,
					  "re-attestation", now, err);
		if (rc == 0)
			rc = store_env_transition(lc->st, env_id, STORE_ENV_REATTESTING,
						  STORE_ENV_RUNNING, "attested", now, err);
		if (rc < 0) {
			store_tx_rollback(lc->st);
			return rc;
		}
		return store_tx_commit(lc->st, err);
	default:
		return eph_err_set(err, EPH_EVERIFY, "attested: environment %s is %s", env_id,
				   store_env_state_name(state));
	}
}

int lifecycle_delete(lifecycle *lc, const char *env_id, const char *reason, int64_t now,
		     struct eph_err *err)
{
	return lifecycle__end(lc, env_id, reason != NULL ? reason : "deleted",
			      STORE_ENV_DESTROYED, now, err);
}
