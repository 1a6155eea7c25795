/*
 * store.h - the broker's durable store (prefix store_): one SQLite database
 * in WAL mode holding agents, challenge nonces, attestation verdicts,
 * environments with their state transitions, Q-network decisions with their
 * outcomes (the RL transitions), each agent's position in its IMA list, and
 * an append-only audit log. The schema is
 * versioned and migrated on open. docs/store-schema.md describes the tables.
 *
 * Rules every function follows: 0 on success or a negative EPH_E* code with
 * one line in err; every SQLite failure is EPH_EIO carrying sqlite3_errmsg
 * ("disk full" for SQLITE_FULL); every write is one transaction (or a
 * savepoint inside the caller's store_tx_begin), so a crash leaves either all
 * of it or none. Times are Unix seconds supplied by the caller: the broker has
 * one clock and the tests a fake one.
 *
 * Threads: a store handle belongs to one thread at a time. Open one handle
 * per thread (or per process); WAL lets them read concurrently and
 * busy_timeout queues their writers.
 *
 * Deliberately not here: deciding anything (which transition to take, when
 * an agent is overdue, what a reward is: lifecycle, appraise and qnet do),
 * talking to drivers, retention or pruning (nothing is deleted except expired
 * nonces), and tamper evidence against someone who can write the file (the
 * append-only triggers stop bugs, not an attacker with the database).
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

#define STORE_SCHEMA_VERSION 4 /* newest schema this build knows */
#define STORE_ID_SIZE 37       /* a UUID in text form with its NUL */
#define STORE_NONCE_SIZE 32    /* challenge nonce, bytes */
#define STORE_STATE_DIM 32     /* Q-network state vector, floats */
#define STORE_AR4SI_N 8        /* AR4SI trustworthiness claims */
#define STORE_BUSY_MS_DEFAULT 5000

typedef struct store store;

/* Bytes owned by someone else; len 0 means absent (stored as NULL). */
struct store_blob {
	const uint8_t *p;
	size_t len;
};

/* ---------------------------------------------------------------------- */
/* Opening, migrations, transactions                                       */
/* ---------------------------------------------------------------------- */

struct store_opts {
	int busy_timeout_ms;     /* how long a writer waits for another; 0 = default */
	int sync_normal;         /* 1: synchronous=NORMAL (survives a process crash,
				    may lose the last commits on power loss); 0: FULL */
	unsigned target_version; /* migrate up to this version only; 0 = newest.
				    For tests and tools that check an upgrade */
	uint64_t max_bytes;      /* refuse to grow the file past this ("disk full");
				    0 = no cap. A quota for the broker's disk share */
};

/*
 * Open (creating if needed) the database at path, set WAL, synchronous=FULL,
 * foreign keys and a busy timeout, and apply every pending migration, each in
 * its own transaction. Refuses (EPH_EUNSUPPORTED) a database written by a
 * newer build and (EPH_EFORMAT) an SQLite file that is not an Ephemera store.
 * opts may be NULL. Free with store_free().
 */
int store_open(store **out, const char *path, const struct store_opts *opts, struct eph_err *err);
void store_free(store *st);

/* Schema version of the open database (after migrations). */
unsigned store_schema_version(const store *st);

/*
 * Group several writes into one transaction (BEGIN IMMEDIATE: this handle
 * takes the write lock now, waiting up to the busy timeout). Calls nest as
 * savepoints. Every begin needs exactly one commit or rollback. If SQLite
 * had to roll the transaction back itself (disk full), commit fails.
 */
int store_tx_begin(store *st, struct eph_err *err);
int store_tx_commit(store *st, struct eph_err *err);
void store_tx_rollback(store *st);

/* ---------------------------------------------------------------------- */
/* Agents                                                                  */
/* ---------------------------------------------------------------------- */

/* Text and blob pointers are valid for the callback, or until store_agent_free. */
struct store_agent {
	char id[STORE_ID_SIZE];
	struct store_blob ek_cert; /* EK certificate, DER; absent if only ek_pub */
	struct store_blob ek_pub;  /* EK TPM2B_PUBLIC; absent if only ek_cert */
	struct store_blob ak_pub;  /* AK TPM2B_PUBLIC */
	struct store_blob ak_name; /* AK TPM name (nameAlg || digest) */
	const char *hostname;
	const char *cvm;           /* "none", "sev-snp", "tdx" */
	int64_t created_at;
	int64_t activated_at;      /* 0 until the credential was activated */
	int64_t last_attest_at;    /* last accepted attestation, 0 if none */
	int64_t next_deadline;     /* must re-attest before this, 0 if unset */
	const char *env_id;        /* environment it attests for, NULL if none */
};

/*
 * Register a new agent (a->id is ignored; a fresh UUID is written to id).
 * cred_secret is the secret sealed into the MakeCredential blob: only its
 * SHA-256 is stored, for store_agent_activate to compare against. At least
 * one of ek_cert, ek_pub must be present, and ak_pub, ak_name.
 */
int store_agent_register(char id[STORE_ID_SIZE], store *st, const struct store_agent *a,
			 const uint8_t *cred_secret, size_t secret_len, struct eph_err *err);

/*
 * The agent returned the activated secret: compare its hash with the stored
 * one (constant time) and mark the agent activated, forgetting the hash so
 * that activation is single use. EPH_EVERIFY on a mismatch or when nothing is
 * pending; EPH_ENOTFOUND for an unknown agent.
 */
int store_agent_activate(store *st, const char *id, const uint8_t *secret, size_t secret_len,
			 int64_t now, struct eph_err *err);

/* Set when the agent must next attest (lifecycle computes it). */
int store_agent_set_deadline(store *st, const char *id, int64_t next_deadline,
			     struct eph_err *err);

/*
 * Bind the agent to the environment it runs in: its verdicts are then the
 * environment's attestations. The caller has checked the binding (the
 * agent's EK is the environment's vTPM EK). EPH_ENOTFOUND: no such agent.
 */
int store_agent_bind_env(store *st, const char *id, const char *env_id, struct eph_err *err);

/* A copy of one agent; free with store_agent_free(). EPH_ENOTFOUND if none. */
int store_agent_get(struct store_agent **out, store *st, const char *id, struct eph_err *err);
void store_agent_free(struct store_agent *a);

/*
 * Callbacks of every foreach: return 0 to go on; anything else stops the
 * iteration and foreach returns that value. The callback must not write to
 * the table it iterates.
 */
typedef int (*store_agent_cb)(const struct store_agent *a, void *ctx);
int store_agent_foreach(store *st, store_agent_cb cb, void *ctx, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Nonces                                                                  */
/* ---------------------------------------------------------------------- */

/* Remember a challenge nonce for agent_id, valid while now < expires_at. */
int store_nonce_issue(store *st, const char *agent_id, const uint8_t nonce[STORE_NONCE_SIZE],
		      int64_t issued_at, int64_t expires_at, struct eph_err *err);

/*
 * Use a nonce up, atomically (one UPDATE; two processes racing see one
 * winner). EPH_EVERIFY with "nonce unknown", "nonce issued to another agent"
 * (left usable for its owner), "nonce already used" or "nonce expired".
 */
int store_nonce_consume(store *st, const char *agent_id, const uint8_t nonce[STORE_NONCE_SIZE],
			int64_t now, struct eph_err *err);

/* Delete nonces with expires_at <= now; *purged (may be NULL) gets the count. */
int store_nonce_purge(store *st, int64_t now, uint64_t *purged, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Attestation verdicts                                                    */
/* ---------------------------------------------------------------------- */

/* TPMS_CLOCK_INFO of a quote: replay and reboot detection across quotes. */
struct store_quote_counters {
	uint64_t clock;
	uint32_t reset_count;
	uint32_t restart_count;
};

struct store_attestation {
	int64_t id;                /* assigned by the store */
	const char *agent_id;      /* as claimed: refusals of unknown agents are kept */
	int64_t at;
	struct store_blob nonce;   /* absent if the evidence carried none */
	int accepted;              /* 1 accepted, 0 refused */
	int8_t ar4si[STORE_AR4SI_N]; /* instance, configuration, executables,
					file system, hardware, runtime opaque,
					storage opaque, sourced data */
	const char *reason;        /* one line: why refused, or what was accepted */
	int has_counters;          /* 0 if no quote was parsed */
	struct store_quote_counters counters;
	struct store_blob quote_digest;    /* digests of the evidence, each optional */
	struct store_blob eventlog_digest;
	struct store_blob ima_digest;
	struct store_blob cvm_digest;      /* SNP report / TDX quote */
};

/*
 * Record one verdict, accepted or not; an accepted one also sets the agent's
 * last_attest_at. *id (may be NULL) gets the row id.
 */
int store_attest_record(int64_t *id, store *st, const struct store_attestation *a,
			struct eph_err *err);

/* An agent's verdicts, oldest first. */
typedef int (*store_attest_cb)(const struct store_attestation *a, void *ctx);
int store_attest_foreach(store *st, const char *agent_id, store_attest_cb cb, void *ctx,
			 struct eph_err *err);

/* Counters of the agent's newest accepted quote; EPH_ENOTFOUND if none. */
int store_attest_last_accepted(struct store_quote_counters *out, store *st, const char *agent_id,
			       struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* IMA position                                                            */
/* ---------------------------------------------------------------------- */

#define STORE_IMA_BANKS 4       /* PCR 10 banks kept per agent */
#define STORE_IMA_DIGEST_MAX 64 /* largest PCR value, bytes */

struct store_ima_bank {
	uint16_t alg;                        /* TPM_ALG_ID */
	uint8_t size;                        /* bytes of pcr10, 1..STORE_IMA_DIGEST_MAX */
	uint8_t pcr10[STORE_IMA_DIGEST_MAX];
};

/*
 * How far the broker has followed an agent's IMA list: the entries accepted
 * so far in the current boot and the PCR 10 they replay to, so that the
 * agent can send only the entries after them. Written only when an
 * attestation is accepted.
 */
struct store_ima_state {
	uint32_t reset_count; /* TPM resetCount of the accepting quote: which boot */
	uint64_t entries;     /* list entries accepted (the next chunk starts here) */
	unsigned num_banks;   /* 1..STORE_IMA_BANKS */
	struct store_ima_bank banks[STORE_IMA_BANKS];
};

/* The agent's IMA position; EPH_ENOTFOUND if it has none (or is unknown). */
int store_ima_get(struct store_ima_state *out, store *st, const char *agent_id,
		  struct eph_err *err);

/*
 * Insert or replace the agent's IMA position. EPH_ENOTFOUND for an agent
 * that is not registered, EPH_EFORMAT for a state without banks or with a
 * bank size out of range.
 */
int store_ima_set(store *st, const char *agent_id, const struct store_ima_state *s,
		  struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Environments                                                            */
/* ---------------------------------------------------------------------- */

/*
 * requested -> admitted -> provisioning -> attesting -> running <-> re-attesting
 * -> draining -> destroyed; failed from any live state. Terminal: destroyed,
 * failed. store_env_transition_allowed() is the table.
 */
enum store_env_state {
	STORE_ENV_REQUESTED,
	STORE_ENV_ADMITTED,
	STORE_ENV_PROVISIONING,
	STORE_ENV_ATTESTING,
	STORE_ENV_RUNNING,
	STORE_ENV_REATTESTING,
	STORE_ENV_DRAINING,
	STORE_ENV_DESTROYED,
	STORE_ENV_FAILED,
	STORE_ENV_NSTATES,
};
#define STORE_ENV_ANY (-1) /* store_env_foreach: no state filter */

/* "re-attesting" for STORE_ENV_REATTESTING; NULL if out of range. */
const char *store_env_state_name(enum store_env_state s);
/* Parse a state name; -1 if unknown. */
int store_env_state_parse(enum store_env_state *out, const char *name);
/* 1 if from -> to is an edge of the state machine, else 0. */
int store_env_transition_allowed(enum store_env_state from, enum store_env_state to);
/* 1 for destroyed and failed. */
int store_env_state_terminal(enum store_env_state s);

struct store_env {
	char id[STORE_ID_SIZE];
	const char *requester;   /* subject of the requester's claims */
	const char *attrs;       /* attested attributes, JSON text */
	const char *policy;      /* resource policy, JSON text */
	unsigned size;           /* chosen configuration: size, count, pre-warm */
	unsigned count;
	unsigned prewarm;
	const char *driver;      /* "sandbox", "qemu" */
	const char *handle;      /* driver handle (cgroup path, pid), NULL until set */
	enum store_env_state state;
	int64_t ttl_s;           /* lifetime, seconds */
	int64_t reattest_s;      /* re-attestation period, seconds */
	int64_t created_at;
	int64_t updated_at;      /* last transition or handle change */
};

/*
 * Create an environment in state requested (e->state, e->handle, e->id and
 * e->updated_at are ignored) and log its first transition. attrs and policy
 * must be valid JSON (EPH_EFORMAT otherwise). The new UUID goes to id.
 */
int store_env_create(char id[STORE_ID_SIZE], store *st, const struct store_env *e,
		     struct eph_err *err);

/*
 * Compare-and-set the state from -> to and append to the history, in one
 * transaction. EPH_EPOLICY if the edge is not in the state machine;
 * EPH_EVERIFY if the environment is no longer in `from` (someone else moved
 * it: re-read and decide again); EPH_ENOTFOUND if it does not exist.
 */
int store_env_transition(store *st, const char *id, enum store_env_state from,
			 enum store_env_state to, const char *reason, int64_t now,
			 struct eph_err *err);

/*
 * Record the driver's handle before the driver acts on it, so that a crash
 * between the two leaves a handle for reconciliation to destroy. NULL clears.
 * Refused (EPH_EPOLICY) for a terminal environment.
 */
int store_env_set_handle(store *st, const char *id, const char *handle, int64_t now,
			 struct eph_err *err);

/* A copy of one environment; free with store_env_free(). */
int store_env_get(struct store_env **out, store *st, const char *id, struct eph_err *err);
void store_env_free(struct store_env *e);

/* Environments in one state (or STORE_ENV_ANY), oldest first. */
typedef int (*store_env_cb)(const struct store_env *e, void *ctx);
int store_env_foreach(store *st, int state, store_env_cb cb, void *ctx, struct eph_err *err);
/* Every environment not destroyed or failed: what reconciliation checks. */
int store_env_foreach_live(store *st, store_env_cb cb, void *ctx, struct eph_err *err);

struct store_env_step {
	int64_t at;
	int has_from;             /* 0 for the creation step */
	enum store_env_state from;
	enum store_env_state to;
	const char *reason;
};
/* An environment's transitions, oldest first. */
typedef int (*store_env_step_cb)(const struct store_env_step *s, void *ctx);
int store_env_history_foreach(store *st, const char *id, store_env_step_cb cb, void *ctx,
			      struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Decisions and outcomes: the RL transitions                              */
/* ---------------------------------------------------------------------- */

struct store_decision {
	const char *env_id;       /* environment decided for; NULL if none */
	const char *class;        /* class of work: successive decisions of a
				     class are successive steps of an episode */
	int64_t at;
	float state[STORE_STATE_DIM];
	unsigned action;          /* index into the action table, < 64 */
	uint64_t mask;            /* allowed actions when deciding */
	const char *policy;       /* resource policy in force, JSON text */
	struct store_blob model_hash; /* SHA-256 of the model file that decided */
};

/* Record one decision; *id (may be NULL) gets its id for the outcome. */
int store_decision_record(int64_t *id, store *st, const struct store_decision *d,
			  struct eph_err *err);

struct store_outcome {
	int64_t at;
	float reward;
	const char *usage;        /* observed usage, JSON text */
	int done;                 /* the episode ended with this step */
};

/* The outcome of a decision, once; EPH_EPOLICY if it already has one. */
int store_decision_outcome(store *st, int64_t decision_id, const struct store_outcome *o,
			   struct eph_err *err);

/*
 * A complete transition (s, a, r, s', mask', done): a decision with an
 * outcome, and s' and mask' from the next decision of the same class. With
 * done set, s' is zero and mask' 0. A decision without an outcome, or not
 * done and without a successor yet, is not complete and not exported.
 */
struct store_transition {
	int64_t decision_id;
	const char *class;
	const char *env_id;       /* NULL if none */
	int64_t at;
	float s[STORE_STATE_DIM];
	unsigned a;
	uint64_t mask;            /* mask a was chosen under */
	float r;
	float s_next[STORE_STATE_DIM];
	uint64_t mask_next;
	int done;
	const char *policy;
	struct store_blob model_hash;
	const char *usage;
};
/*
 * The newest outcomes of one class (decisions of the class that have an
 * outcome), newest first, at most limit: what the broker's Q-network
 * featurizes as the class's usage history (api_qstate.c). Walks the
 * decisions_class index backwards, so the cost is bounded by limit plus
 * the class's decisions still without an outcome.
 */
struct store_class_outcome {
	int64_t decision_id;
	int64_t at;               /* when the outcome was recorded */
	const char *usage;        /* observed usage, JSON text */
	const char *env_attrs;    /* the environment's attrs JSON, NULL if none */
};
typedef int (*store_class_outcome_cb)(const struct store_class_outcome *o, void *ctx);
int store_class_outcomes(store *st, const char *class, unsigned limit,
			 store_class_outcome_cb cb, void *ctx, struct eph_err *err);

/* Every complete transition, by class, then in time order. */
typedef int (*store_transition_cb)(const struct store_transition *t, void *ctx);
int store_decisions_foreach(store *st, store_transition_cb cb, void *ctx, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Audit log (append only: the database refuses UPDATE and DELETE)         */
/* ---------------------------------------------------------------------- */

struct store_audit {
	int64_t id;               /* assigned by the store, increasing */
	int64_t at;
	const char *actor;        /* who: requester subject, agent id, "broker" */
	const char *action;       /* what: "env.create", "agent.activate", ... */
	const char *object;       /* on what: an id, or "" */
	const char *detail;       /* free text or JSON, may be "" */
};

/* Append one entry; *id (may be NULL) gets its id. */
int store_audit_append(int64_t *id, store *st, const struct store_audit *a, struct eph_err *err);

/* Entries with at >= since, about object (NULL: all), oldest first. */
typedef int (*store_audit_cb)(const struct store_audit *a, void *ctx);
int store_audit_foreach(store *st, const char *object, int64_t since, store_audit_cb cb,
			void *ctx, struct eph_err *err);

#endif
