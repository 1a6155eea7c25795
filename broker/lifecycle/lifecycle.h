/*
 * lifecycle.h - environment lifecycle (prefix lifecycle_): the states of
 * DESIGN.md, each written to the store before it is acted on, driving one
 * driver (driver.h).
 *
 *   requested -> admitted -> provisioning -> attesting -> running
 *   running <-> re-attesting -> draining -> destroyed (or failed)
 *
 * An environment ends on completion (its workload exited), TTL, operator
 * delete, a missed re-attestation deadline (period + grace) or drift; the
 * reason is written with the draining and destroyed steps. Every end reads
 * the driver's usage (CPU, memory peak, OOM kills) before destroying, turns
 * it into a reward and stores it as the outcome of the decision that created
 * the environment, in the same transaction as the last step.
 *
 * On start, lifecycle_reconcile() checks the store against the driver: it
 * finishes or undoes half-done work and destroys what the store does not own.
 *
 * Time is passed in (Unix seconds): the broker has one clock, tests a fake
 * one. A lifecycle handle belongs to one thread, like its store handle.
 *
 * Deliberately not here: admission (requested -> admitted), choosing the
 * configuration (qnet), appraising evidence (appraise: lifecycle is told the
 * verdict), the warm pool, and more than one driver per handle.
 */
#ifndef EPH_LIFECYCLE_H
#define EPH_LIFECYCLE_H

#include <stdint.h>

#include "driver.h"
#include "eph_err.h"
#include "store.h"

typedef struct lifecycle lifecycle;

struct lifecycle_config {
	int64_t grace_s;        /* after a re-attestation deadline, seconds */
	int64_t boot_s;         /* the first attestation's deadline is at least
				 * this long after the start (boot time) */
	double lambda;          /* reward: cost units per unit of shortfall */
	double mu;              /* reward: cost units per second of cold start */
	double oom_weight;      /* shortfall units per OOM kill (sim: 10) */
	double cost_vcpu_s;     /* cost units per CPU-second used */
	double cost_gib_s;      /* cost units per GiB-second of memory peak held */
	/*
	 * Which driver entries this broker answers for in reconciliation:
	 * nonzero to consider env_id (a foreign one is destroyed as "not
	 * owned"), 0 to leave it alone. NULL: every entry the driver lists
	 * (the broker owns the machine). Tests sharing a host use it.
	 */
	int (*in_scope)(const char *env_id, void *ctx);
	void *scope_ctx;
};

/* Defaults: grace 30 s, boot 0 (the period alone) and the sim's defaults (lambda 1, mu 0.01, oom
 * weight 10, (vCPU + GiB)/2 cu per hour). */
void lifecycle_config_default(struct lifecycle_config *c);

/*
 * A lifecycle over store and driver (both borrowed: they must outlive it).
 * cfg is copied; NULL means the defaults. Free with lifecycle_free().
 */
int lifecycle_new(lifecycle **out, store *st, struct driver *drv,
		  const struct lifecycle_config *cfg, struct eph_err *err);
void lifecycle_free(lifecycle *lc);

/*
 * Provision an admitted environment: write admitted -> provisioning (and
 * which decision created it, decision_id > 0, or 0 for none), create it
 * with the driver, write the handle, start it, write -> attesting. spec's
 * env_id is ignored (env_id is used). On a failure after the first write the
 * environment is failed with the reason and whatever the driver made is
 * destroyed. EPH_EVERIFY if env_id is not in admitted.
 */
int lifecycle_provision(lifecycle *lc, const char *env_id, const struct driver_spec *spec,
			int64_t decision_id, int64_t now, struct eph_err *err);

/*
 * The same with an environment the caller already has (a warm pool member
 * it claimed, made with the right limits): write admitted -> provisioning,
 * the handle, start its command, -> attesting. A claim is a state change,
 * not a creation. On failure after the first write, as lifecycle_provision;
 * if env_id is not admitted the member is destroyed (nobody else owns it).
 */
int lifecycle_provision_claimed(lifecycle *lc, const char *env_id, const char *handle,
				int64_t decision_id, int64_t now, struct eph_err *err);

/*
 * An attestation verdict for env_id. ok: attesting -> running, or running ->
 * re-attesting -> running, or re-attesting -> running; the next deadline is
 * now + the environment's re-attestation period. Not ok is drift: the
 * environment is destroyed with reason "drift: <reason>". EPH_EVERIFY if
 * it is in no state that attests.
 */
int lifecycle_attested(lifecycle *lc, const char *env_id, int ok, const char *reason,
		       int64_t now, struct eph_err *err);

/* Operator delete: destroy env_id with reason (NULL: "deleted"). */
int lifecycle_delete(lifecycle *lc, const char *env_id, const char *reason, int64_t now,
		     struct eph_err *err);

/*
 * One pass over the live environments: TTL expired (created_at + ttl_s) ->
 * destroyed "ttl"; running past its deadline -> re-attesting; past deadline
 * + grace -> destroyed "missed re-attestation"; workload exited -> destroyed
 * "completed". *ended (may be NULL) gets how many ended. Keeps going after
 * a failure with one environment and returns the first error.
 */
int lifecycle_tick(lifecycle *lc, int64_t now, unsigned *ended, struct eph_err *err);

struct lifecycle_reconcile_report {
	unsigned failed;     /* live environments marked failed (lost, interrupted) */
	unsigned finished;   /* draining environments whose destroy was finished */
	unsigned not_owned;  /* driver entries destroyed: no live environment */
};

/*
 * Reconcile the store against the driver (on start, before serving):
 * provisioning without a handle -> failed, destroying anything the driver
 * has under that id; provisioning with a handle (interrupted before
 * attesting) -> failed and destroyed; attesting, running or re-attesting
 * missing from the driver -> failed "lost"; draining -> destroy finished;
 * every driver entry (in scope) without a live environment -> destroyed and
 * audited "not owned". rep may be NULL. Keeps going after a failure and
 * returns the first error.
 */
int lifecycle_reconcile(lifecycle *lc, int64_t now, struct lifecycle_reconcile_report *rep,
			struct eph_err *err);

#endif
