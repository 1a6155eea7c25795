/*
 * api-lc.h - the lifecycle thread of the API (api_lc.c): what handlers on
 * the loop thread hand to it, and the agent-to-environment binding.
 */
#ifndef API_LC_H
#define API_LC_H

#include "api-priv.h"

/* Start it (no-op without cfg.driver): reconcile, re-queue admitted ones. */
int api__lc_open(struct api *a, struct eph_err *err);
/* Stop the thread and free; queued commands are dropped (see api_lc.c). */
void api__lc_close(struct api *a);

/* Queue work for the thread; no-ops without a driver. */
void api__lc_provision(struct api *a, const char *env_id, int64_t decision_id);
void api__lc_attested(struct api *a, const char *env_id, int ok, const char *reason);
void api__lc_delete(struct api *a, const char *env_id, const char *reason);

/*
 * After registration: bind agent_id to claimed_env when its EK certificate
 * is the one the driver provisioned in that environment's vTPM. 1 bound,
 * 0 not (logged why), < 0 store error.
 */
int api__lc_bind(struct api *a, const char *agent_id, const char *claimed_env,
		 const uint8_t *ek_cert, size_t ek_cert_len);

/* Data-disk keys (api_diskkey.c): the broker's master secret (made 0600 on
 * first use) and HKDF-SHA256(master, env id). */
int api__diskkey_master(uint8_t master[32], const char *path, struct eph_err *err);
int api__diskkey_derive(uint8_t key[32], const uint8_t master[32], const char *env_id,
			struct eph_err *err);

#endif
