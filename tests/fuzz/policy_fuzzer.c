/*
 * policy_fuzzer.c - libFuzzer target for policy.json (broker/policy):
 * policy__parse, the engine's own from-buffer parser behind
 * policy_engine_new / policy_reload (which only take a folder), then what
 * the broker does with a policy that loaded: evaluate fixed attribute sets
 * (confidence rules applied, every rule matched or not, composition) and
 * build the Q-network action mask.
 *
 * Input: the policy.json text, e.g.
 *   {"version": 1, "sizes": [{"name": "s", "vcpu_milli": 250, "mem_mib": 256}],
 *    "rules": [{"name": "all", "match": {}, "constraints": {"sizes": ["s"]}}]}
 * Seeds: tests/fuzz/corpora/policy/ (docs/examples/policy/policy.json and
 * the shapes tests/unit/policy/ loads and refuses; tests/fuzz/make-json-seeds.py).
 *
 * Contracts checked (abort when broken): a refusal is EPH_EFORMAT (or
 * EPH_ENOMEM) with a message naming the file, and leaves *out NULL; a
 * loaded policy has at most POLICY_MAX_RULES rules and POLICY_MAX_SIZES
 * sizes; each evaluation succeeds with one verdict per rule, terminated
 * texts, allowed sizes inside the size table, composed values in range,
 * confidences in [0,1]; a refused request (allowed false) has an empty
 * mask, and a mask never sets a bit past the actions given.
 *
 * Not here: the folder and reload machinery (tests/unit/policy), explain's
 * text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "fuzz/policy.json"

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "policy_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* Requesters the broker sees: attested, issuer-signed, self-asserted. */
static attrs_set *sets[3];

static void add(int rc, const struct eph_err *err)
{
	check(rc == 0, "building a fixed attribute set", err);
}

static void init(void)
{
	struct eph_err err = {{0}};
	int i;

	for (i = 0; i < 3; i++)
		add(attrs_new(&sets[i], &err), &err);
	add(attrs_set_str(sets[0], "platform", "sev-snp", ATTRS_SRC_HW_FRESH, &err), &err);
	add(attrs_set_bool(sets[0], "secure_boot", true, ATTRS_SRC_HW_FRESH, &err), &err);
	add(attrs_set_str(sets[0], "tcb_status", "UpToDate", ATTRS_SRC_HW_STALE, &err), &err);
	add(attrs_warn(sets[0], "tcb_status", "stale collateral", &err), &err);
	add(attrs_set_str(sets[1], "role", "analyst", ATTRS_SRC_ISSUER, &err), &err);
	add(attrs_set_int(sets[1], "clearance", 3, ATTRS_SRC_ISSUER, &err), &err);
	add(attrs_set_str(sets[1], "user_id", "alice", ATTRS_SRC_ISSUER, &err), &err);
	add(attrs_set_str(sets[1], "class", "batch", ATTRS_SRC_ISSUER, &err), &err);
	add(attrs_set_str(sets[2], "role", "admin", ATTRS_SRC_SELF, &err), &err);
	add(attrs_set_int(sets[2], "clearance", -1, ATTRS_SRC_SELF, &err), &err);
	add(attrs_set_bool(sets[2], "debug_token", true, ATTRS_SRC_SELF, &err), &err);
}

/* Every (size, count, prewarm) the broker's default action table might hold. */
static void actions(struct policy_action *a, unsigned *n)
{
	unsigned s, c;

	*n = 0;
	for (s = 0; s < 18; s++)
		for (c = 1; c <= 3; c++) {
			a[*n].size = (uint8_t)s;
			a[*n].count = (uint8_t)c;
			a[*n].prewarm = (uint8_t)(c - 1);
			(*n)++;
		}
}

static void evaluate(const struct policy__pol *p, attrs_set *attrs)
{
	static struct policy_action acts[18 * 3];
	static const struct policy_size broker_sizes[2] = {
		{"small", 500, 512},
		{"xs", 250, 256},
	};
	struct eph_err err = {{0}};
	struct policy_result *r = NULL;
	unsigned nacts, i;
	uint64_t mask;
	int rc;

	attrs_conf_apply(&p->conf, attrs);
	for (i = 0; i < attrs_count(attrs); i++) {
		double c = attrs_at(attrs, i)->confidence;

		check(c >= 0.0 && c <= 1.0, "confidence outside [0,1]", NULL);
	}
	rc = policy__evaluate(&r, p, attrs, &err);
	check(rc == 0 && r != NULL, "evaluate failed", &err);
	check(r->nrules == p->nrules, "one verdict per rule", NULL);
	check(r->nsizes == p->nsizes, "size table copied", NULL);
	check(terminated(r->reason, sizeof(r->reason)), "reason terminated", NULL);
	for (i = 0; i < r->nrules; i++)
		check(terminated(r->rules[i].why, sizeof(r->rules[i].why)) &&
			      terminated(r->rules[i].name, sizeof(r->rules[i].name)),
		      "rule verdict terminated", NULL);
	check(r->c.nallow <= POLICY_MAX_ALLOW, "allowlist bound", NULL);
	for (i = 0; i < r->c.nallow; i++)
		check(terminated(r->c.allow[i], sizeof(r->c.allow[i])), "allowlist entry", NULL);
	check(r->nsizes >= 32 || (r->c.sizes >> r->nsizes) == 0, "allowed size outside the table",
	      NULL);
	check(r->c.network <= POLICY_NET_FULL && r->c.encryption <= POLICY_ENC_CONFIDENTIAL,
	      "composed enum out of range", NULL);
	(void)policy_network_name(r->c.network);
	(void)policy_encryption_name(r->c.encryption);

	actions(acts, &nacts);
	mask = policy_mask(r, acts, nacts, NULL, 0);
	check(r->allowed || mask == 0, "denied request with a non-empty mask", NULL);
	mask = policy_mask(r, acts, 5, broker_sizes, 2);
	check((mask >> 5) == 0, "mask bit past the actions given", NULL);
	check(r->allowed || mask == 0, "denied request with a non-empty mask (broker sizes)", NULL);
	policy_result_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	struct policy__pol *p = (struct policy__pol *)&err; /* must become NULL on failure */
	int i, rc;

	if (sets[0] == NULL)
		init();
	rc = policy__parse(&p, FILE_NAME, (const char *)data, size, &err);
	if (rc < 0) {
		check(p == NULL, "failed parse left *out set", &err);
		check(rc == EPH_EFORMAT || rc == EPH_ENOMEM, "refusal code", &err);
		check(strncmp(err.msg, FILE_NAME ":", sizeof(FILE_NAME)) == 0,
		      "refusal does not name file:line", &err);
		return 0;
	}
	check(rc == 0 && p != NULL, "success without a policy", &err);
	check(p->nrules <= POLICY_MAX_RULES && p->nsizes <= POLICY_MAX_SIZES, "table bounds",
	      NULL);
	for (i = 0; i < 3; i++)
		evaluate(p, sets[i]);
	policy__pol_free(p);
	return 0;
}
