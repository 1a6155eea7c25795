/*
 * agents_test.c - agents (registration, single-use activation, deadlines),
 * challenge nonces (single use, expiry, wrong agent, purge) and attestation
 * verdicts (refusals kept, history, last accepted counters).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "store_tu.h"

static int count_agent(const struct store_agent *a, void *ctx)
{
	(void)a;
	(*(int *)ctx)++;
	return 0;
}

Test(store, agent_register_activate_once, .init = stu_setup, .fini = stu_teardown)
{
	uint8_t secret[32], wrong[32];
	char id[STORE_ID_SIZE], id2[STORE_ID_SIZE];
	struct store_agent *a = NULL;
	struct eph_err err = {{0}};
	store *st = stu_open(NULL);
	sqlite3 *db;
	int n = 0;

	memset(secret, 0x5a, sizeof(secret));
	memset(wrong, 0x5b, sizeof(wrong));
	stu_agent(id, st, secret);
	cr_assert_eq(strlen(id), 36);
	cr_assert_eq(id[14], '4', "UUID version 4: %s", id);
	stu_agent(id2, st, secret);
	cr_assert_str_neq(id, id2);

	/* The secret is not in the database, only its hash. */
	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM agents WHERE instr(cred_hash, "
				    "x'5a5a5a5a5a5a5a5a') > 0"),
		     0);
	cr_assert_eq(stu_raw_int(db, "SELECT length(cred_hash) FROM agents LIMIT 1"), 32);
	sqlite3_close(db);

	cr_assert_eq(store_agent_activate(st, id, wrong, 32, 2000, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "does not match") != NULL, "%s", err.msg);
	cr_assert_eq(store_agent_activate(st, id, secret, 32, 2000, &err), 0, "%s", err.msg);
	cr_assert_eq(store_agent_activate(st, id, secret, 32, 2001, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "already activated") != NULL, "%s", err.msg);
	cr_assert_eq(store_agent_activate(st, "nope", secret, 32, 2001, &err), EPH_ENOTFOUND);

	cr_assert_eq(store_agent_set_deadline(st, id, 5000, &err), 0, "%s", err.msg);
	cr_assert_eq(store_agent_set_deadline(st, "nope", 5000, &err), EPH_ENOTFOUND);
	cr_assert_eq(store_agent_get(&a, st, id, &err), 0, "%s", err.msg);
	cr_assert_eq(a->activated_at, 2000);
	cr_assert_eq(a->next_deadline, 5000);
	cr_assert_eq(a->last_attest_at, 0);
	cr_assert_eq(a->ek_cert.len, 5);
	cr_assert_eq(a->ek_cert.p[4], 0xaa);
	cr_assert_eq(a->ek_pub.len, 0);
	cr_assert_null(a->ek_pub.p);
	cr_assert_str_eq(a->cvm, "none");
	store_agent_free(a);
	cr_assert_eq(store_agent_get(&a, st, "nope", &err), EPH_ENOTFOUND);
	cr_assert_null(a);

	cr_assert_eq(store_agent_foreach(st, count_agent, &n, &err), 0);
	cr_assert_eq(n, 2);
	store_free(st);
}

Test(store, agent_register_rejects_incomplete, .init = stu_setup, .fini = stu_teardown)
{
	static const uint8_t ak[] = {1, 2};
	uint8_t secret[32] = {1};
	struct store_agent a = {.ak_pub = {ak, 2}, .ak_name = {ak, 2}, .hostname = "h",
				.cvm = "none"};
	char id[STORE_ID_SIZE];
	struct eph_err err = {{0}};
	store *st = stu_open(NULL);

	cr_assert_eq(store_agent_register(id, st, &a, secret, 32, &err), EPH_EFORMAT);
	cr_assert_str_eq(id, "");
	a.ek_pub = (struct store_blob){ak, 2};
	cr_assert_eq(store_agent_register(id, st, &a, NULL, 0, &err), EPH_EFORMAT);
	cr_assert_eq(store_agent_register(id, st, &a, secret, 32, &err), 0, "%s", err.msg);
	store_free(st);
}

Test(store, nonce_single_use_expiry_and_owner, .init = stu_setup, .fini = stu_teardown)
{
	uint8_t secret[32] = {1}, n1[32], n2[32], n3[32];
	char a1[STORE_ID_SIZE], a2[STORE_ID_SIZE];
	struct eph_err err = {{0}};
	store *st = stu_open(NULL);
	uint64_t purged = 0;

	memset(n1, 1, 32);
	memset(n2, 2, 32);
	memset(n3, 3, 32);
	stu_agent(a1, st, secret);
	stu_agent(a2, st, secret);
	cr_assert_eq(store_nonce_issue(st, a1, n1, 100, 160, &err), 0, "%s", err.msg);
	cr_assert_eq(store_nonce_issue(st, a1, n2, 100, 160, &err), 0, "%s", err.msg);
	cr_assert_eq(store_nonce_issue(st, a1, n1, 100, 160, &err), EPH_EPOLICY);
	cr_assert_eq(store_nonce_issue(st, "ghost", n3, 100, 160, &err), EPH_ENOTFOUND);
	cr_assert_eq(store_nonce_issue(st, a1, n3, 100, 100, &err), EPH_EFORMAT);

	/* Another agent's nonce is refused and not burnt. */
	cr_assert_eq(store_nonce_consume(st, a2, n1, 110, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "nonce issued to another agent");
	cr_assert_eq(store_nonce_consume(st, a1, n1, 110, &err), 0, "%s", err.msg);
	cr_assert_eq(store_nonce_consume(st, a1, n1, 111, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "nonce already used");
	cr_assert_eq(store_nonce_consume(st, a1, n2, 160, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "nonce expired");
	cr_assert_eq(store_nonce_consume(st, a1, n3, 110, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "nonce unknown");

	cr_assert_eq(store_nonce_issue(st, a1, n3, 150, 300, &err), 0, "%s", err.msg);
	cr_assert_eq(store_nonce_purge(st, 200, &purged, &err), 0, "%s", err.msg);
	cr_assert_eq(purged, 2);
	cr_assert_eq(store_nonce_consume(st, a1, n3, 250, &err), 0, "%s", err.msg);
	/* A purged nonce stays refused. */
	cr_assert_eq(store_nonce_consume(st, a1, n1, 250, &err), EPH_EVERIFY);
	store_free(st);
}

struct hist {
	int n;
	int accepted;
	int64_t last_id;
};

static int count_attest(const struct store_attestation *a, void *ctx)
{
	struct hist *h = ctx;

	cr_assert(a->id > h->last_id, "oldest first");
	h->last_id = a->id;
	h->n++;
	h->accepted += a->accepted;
	if (!a->accepted) {
		cr_assert_str_eq(a->reason, "PCR 7 does not match the reference");
		cr_assert_eq(a->ar4si[1], 96);
		cr_assert_eq(a->has_counters, 1);
	} else {
		cr_assert_eq(a->quote_digest.len, 32);
		cr_assert_eq(a->eventlog_digest.len, 0);
		cr_assert_eq(a->counters.clock, UINT64_MAX - 5, "clock round-trips");
	}
	return 0;
}

Test(store, attestations_history_and_last_counters, .init = stu_setup, .fini = stu_teardown)
{
	static const uint8_t digest[32] = {9};
	uint8_t secret[32] = {1}, nonce[32] = {4};
	char id[STORE_ID_SIZE];
	struct store_attestation ok = {
		.at = 200, .nonce = {nonce, 32}, .accepted = 1,
		.ar4si = {2, 2, 2, 2, 2, 0, 0, 0}, .reason = "accepted",
		.has_counters = 1, .counters = {UINT64_MAX - 5, 3, 1},
		.quote_digest = {digest, 32},
	};
	struct store_attestation bad = {
		.at = 300, .accepted = 0, .ar4si = {2, 96, 0, 0, 0, 0, 0, 0},
		.reason = "PCR 7 does not match the reference",
		.has_counters = 1, .counters = {500, 4, 0},
	};
	struct store_quote_counters c;
	struct store_agent *a = NULL;
	struct eph_err err = {{0}};
	struct hist h = {0};
	store *st = stu_open(NULL);
	int64_t rid = 0;

	stu_agent(id, st, secret);
	ok.agent_id = id;
	bad.agent_id = id;
	cr_assert_eq(store_attest_last_accepted(&c, st, id, &err), EPH_ENOTFOUND);
	cr_assert_eq(store_attest_record(&rid, st, &ok, &err), 0, "%s", err.msg);
	cr_assert(rid > 0);
	cr_assert_eq(store_attest_record(NULL, st, &bad, &err), 0, "%s", err.msg);
	/* Refusals of agents nobody registered are kept too. */
	bad.agent_id = "unknown-agent";
	cr_assert_eq(store_attest_record(NULL, st, &bad, &err), 0, "%s", err.msg);

	cr_assert_eq(store_attest_foreach(st, id, count_attest, &h, &err), 0, "%s", err.msg);
	cr_assert_eq(h.n, 2);
	cr_assert_eq(h.accepted, 1);
	cr_assert_eq(store_attest_last_accepted(&c, st, id, &err), 0, "%s", err.msg);
	cr_assert_eq(c.clock, UINT64_MAX - 5);
	cr_assert_eq(c.reset_count, 3);
	cr_assert_eq(c.restart_count, 1);
	cr_assert_eq(store_agent_get(&a, st, id, &err), 0);
	cr_assert_eq(a->last_attest_at, 200, "only accepted verdicts count");
	store_agent_free(a);
	memset(&h, 0, sizeof(h));
	cr_assert_eq(store_attest_foreach(st, "unknown-agent", count_attest, &h, &err), 0);
	cr_assert_eq(h.n, 1);
	store_free(st);
}
