/*
 * policy.h - the dynamic policy engine (prefix policy_): attested
 * attributes in, a resource policy and the Q-network's action mask out.
 *
 * What this module does:
 *   - load and fully validate policy.json from a policy folder (format in
 *     docs/policy-format.md and below); every refusal names the file, the
 *     line, the rule and the reason;
 *   - evaluate: every rule whose match holds contributes its constraints,
 *     and the contributions compose by the most restrictive value;
 *   - the action mask for the Q-network (policy_mask);
 *   - reload (SIGHUP): a new file replaces the old only after it validated
 *     completely; evaluations in flight keep the policy they started with;
 *   - explain: the human text of `ephemeractl policy explain --attrs FILE`.
 *
 * What it does not do: appraise evidence or read reference values
 * (broker/appraise loads golden-pcrs.json etc. from the same folder: the
 * broker reloads both on SIGHUP), verify requester tokens (broker/cwt),
 * pick an action (broker/qnet), apply limits (drivers), catch signals
 * (the daemon calls policy_reload from its own loop).
 *
 * ---------------------------------------------------------------------------
 * policy.json
 *   {"version": 1,
 *    "sizes": [{"name": "small", "vcpu_milli": 1000, "mem_mib": 1024}, ...],
 *    "confidence": {"hardware": 1.0, ..., "per_attribute": {...}},   (attrs.h)
 *    "defaults": {constraints},                                       (optional)
 *    "rules": [{"name": "...", "description": "...",
 *               "match": {"min_confidence": 0.5,
 *                         "role": "analyst",                  (= equals)
 *                         "clearance": {">=": 2, "min_confidence": 0.8},
 *                         "platform": {"in": ["sev-snp", "tdx"]},
 *                         "debug_token": {"present": false}},
 *               "constraints": {"max_vcpu_milli": 4000, "max_mem_mib": 8192,
 *                               "sizes": ["small", "medium"],
 *                               "network": "none" | "allowlist" | "full",
 *                               "allowlist": ["pypi.org:443", "10.0.0.0/8"],
 *                               "encryption": "none" | "at-rest" | "confidential-only",
 *                               "max_ttl_s": 3600, "reattest_s": 300,
 *                               "dedicated": true, "deny": false}}, ...]}
 *
 * Matching: a rule matches when every condition holds. A condition on an
 * attribute fails when the attribute is absent (unless "present": false),
 * when its confidence (computed with this policy's "confidence" rules from
 * its source and warnings) is below the condition's min_confidence or else
 * the match's, above max_confidence, or when its value fails equals / in /
 * >= / <= (>= and <= need integer attributes). An empty match matches every
 * request.
 *
 * Composition over ALL matching rules: min of max_vcpu_milli, max_mem_mib,
 * max_ttl_s, reattest_s; intersection of sizes and of allowlists; the
 * strictest network (none < allowlist < full) and encryption
 * (confidential-only > at-rest > none); dedicated and deny are ORed. A
 * field no matching rule sets takes "defaults", else the built-in value:
 * no vCPU or memory cap, every size, network none, encryption none, TTL
 * 3600 s, re-attestation 300 s, not dedicated. An allowlist intersection
 * that comes out empty is network none.
 *
 * Nothing matched => implicit deny: allowed is false and the mask is
 * empty. Write a catch-all rule ("match": {}) to admit by default; since
 * rules only narrow, the catch-all holds the loosest limits.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attrs.h"
#include "eph_err.h"

#define POLICY_VERSION 1
#define POLICY_FILE "policy.json"
#define POLICY_FILE_MAX (1u << 20)  /* policy.json, bytes */
#define POLICY_MAX_RULES 64
#define POLICY_MAX_SIZES 16
#define POLICY_MAX_ACTIONS 64       /* masks are uint64_t bit sets */
#define POLICY_NAME_MAX 64          /* rule and size names, with the NUL */
#define POLICY_MAX_ALLOW 16         /* allowlist entries */
#define POLICY_HOST_MAX 128         /* one allowlist entry, with the NUL */
#define POLICY_WHY_MAX 512          /* why a rule matched / did not */
#define POLICY_UNLIMITED UINT32_MAX /* no cap */

enum policy_network {
	POLICY_NET_NONE = 0,      /* no network */
	POLICY_NET_ALLOWLIST = 1, /* only the allowlist's destinations */
	POLICY_NET_FULL = 2,
};

enum policy_encryption {
	POLICY_ENC_NONE = 0,
	POLICY_ENC_AT_REST = 1,      /* encrypted disks */
	POLICY_ENC_CONFIDENTIAL = 2, /* confidential VMs only (SEV-SNP / TDX) */
};

/* Bits of policy_constraints.set: which fields a rule sets. */
#define POLICY_C_VCPU (1u << 0)
#define POLICY_C_MEM (1u << 1)
#define POLICY_C_SIZES (1u << 2)
#define POLICY_C_NETWORK (1u << 3)
#define POLICY_C_ALLOWLIST (1u << 4)
#define POLICY_C_ENCRYPTION (1u << 5)
#define POLICY_C_TTL (1u << 6)
#define POLICY_C_REATTEST (1u << 7)
#define POLICY_C_DEDICATED (1u << 8)
#define POLICY_C_DENY (1u << 9)

struct policy_constraints {
	unsigned set;             /* POLICY_C_* (a composed result sets them all) */
	uint32_t max_vcpu_milli;  /* per request: size vCPU x count; POLICY_UNLIMITED */
	uint32_t max_mem_mib;     /* per request: size memory x count */
	uint32_t sizes;           /* bit i: size i of the policy's "sizes" allowed */
	enum policy_network network;
	size_t nallow;
	char allow[POLICY_MAX_ALLOW][POLICY_HOST_MAX]; /* network allowlist */
	enum policy_encryption encryption;
	uint32_t max_ttl_s;
	uint32_t reattest_s;      /* re-attestation period */
	bool dedicated;           /* a host of its own */
	bool deny;
};

/* One entry of a size table: the policy's "sizes", or the broker's. */
struct policy_size {
	char name[POLICY_NAME_MAX];
	uint32_t vcpu_milli;
	uint32_t mem_mib;
};

/*
 * One Q-network action: the same fields as struct sim_action (sim.h), so
 * that this module does not depend on the simulator; the broker copies
 * the three bytes.
 */
struct policy_action {
	uint8_t size;    /* index into the size table given to policy_mask */
	uint8_t count;   /* environments, >= 1 */
	uint8_t prewarm; /* warm environments kept for the class (not counted
	                  * against this request's limits) */
};

struct policy_rule_verdict {
	char name[POLICY_NAME_MAX];
	unsigned line;             /* line of the rule in policy.json */
	bool matched;
	char why[POLICY_WHY_MAX];  /* matched: each condition and its value;
	                            * not matched: the first failing condition */
};

struct policy_result {
	bool allowed;              /* false: nothing matched, or a deny rule matched */
	char reason[POLICY_WHY_MAX]; /* one line: what was composed, or why denied */
	struct policy_constraints c; /* composed; every field set */
	size_t nsizes;             /* the policy's size table (names of c.sizes bits) */
	struct policy_size sizes[POLICY_MAX_SIZES];
	size_t nrules;             /* every rule, in file order */
	struct policy_rule_verdict rules[POLICY_MAX_RULES];
	unsigned long generation;  /* which load of the policy decided */
};

typedef struct policy_engine policy_engine; /* opaque; thread-safe */

/* Load dir/policy.json. On failure *out is NULL and err names file, line,
 * rule and reason (EPH_EFORMAT), or the I/O problem. */
int policy_engine_new(policy_engine **out, const char *dir, struct eph_err *err);
/* Free the engine; no other thread may still be using it. NULL is fine. */
void policy_engine_free(policy_engine *e);

/*
 * Load and validate dir/policy.json; only when it is entirely valid, swap
 * it in (generation + 1). On any failure the current policy stays, the
 * error is returned, and err names file, line, rule and reason.
 */
int policy_reload(policy_engine *e, const char *dir, struct eph_err *err);

/* Validate dir/policy.json without an engine (`ephemeractl policy check`). */
int policy_validate(const char *dir, struct eph_err *err);

/* Incremented by each successful load (1 after policy_engine_new). */
unsigned long policy_generation(policy_engine *e);

/* Stamp every attribute of attrs with its confidence under the current
 * policy's rules (what the broker hands on). */
void policy_confidence_apply(policy_engine *e, attrs_set *attrs);

/*
 * Evaluate attrs against the current policy: *out is a new result (free
 * with policy_result_free). Denial is a result (allowed false), not an
 * error; errors are resource failures only.
 */
int policy_evaluate(struct policy_result **out, policy_engine *e, const attrs_set *attrs,
		    struct eph_err *err);
void policy_result_free(struct policy_result *r);

/*
 * The Q-network mask: bit i set when actions[i] is allowed: the result
 * allows, the size index is in the table, the size's name is in the
 * allowed sizes, and size x count fits max_vcpu_milli and max_mem_mib.
 * sizes/nsizes is the broker's size table (matched by name); NULL uses
 * the policy's own. Actions past POLICY_MAX_ACTIONS are ignored.
 */
uint64_t policy_mask(const struct policy_result *r, const struct policy_action *actions,
		     unsigned n, const struct policy_size *sizes, unsigned nsizes);

/*
 * Write the explanation for attrs to out: each attribute with source,
 * warnings and confidence; each rule, matched or not, with why; the
 * composed policy; and, when actions is not NULL, the mask and the
 * allowed actions. sizes as for policy_mask.
 */
int policy_explain(FILE *out, policy_engine *e, const attrs_set *attrs,
		   const struct policy_action *actions, unsigned nactions,
		   const struct policy_size *sizes, unsigned nsizes, struct eph_err *err);

/* "none"/"allowlist"/"full", "none"/"at-rest"/"confidential-only". */
const char *policy_network_name(enum policy_network n);
const char *policy_encryption_name(enum policy_encryption e);

#endif
