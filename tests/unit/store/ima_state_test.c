/*
 * ima_state_test.c - each agent's IMA position (migration 3): an upgrade
 * from version 2 keeps the data and adds the table, get/set round trip and
 * upsert, unknown agents and malformed states refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "store_tu.h"

static void sample(struct store_ima_state *s, uint64_t entries, uint32_t reset_count)
{
	memset(s, 0, sizeof(*s));
	s->reset_count = reset_count;
	s->entries = entries;
	s->num_banks = 2;
	s->banks[0].alg = 0x0004;
	s->banks[0].size = 20;
	memset(s->banks[0].pcr10, 0xa1, 20);
	s->banks[1].alg = 0x000b;
	s->banks[1].size = 32;
	memset(s->banks[1].pcr10, 0xb2, 32);
	s->banks[1].pcr10[31] = (uint8_t)entries;
}

static void assert_same(const struct store_ima_state *a, const struct store_ima_state *b)
{
	unsigned i;

	cr_assert_eq(a->reset_count, b->reset_count);
	cr_assert_eq(a->entries, b->entries);
	cr_assert_eq(a->num_banks, b->num_banks);
	for (i = 0; i < a->num_banks; i++) {
		cr_assert_eq(a->banks[i].alg, b->banks[i].alg);
		cr_assert_eq(a->banks[i].size, b->banks[i].size);
		cr_assert_arr_eq(a->banks[i].pcr10, b->banks[i].pcr10, a->banks[i].size);
	}
}

Test(store_ima, upgrade_from_v2_keeps_data_and_adds_the_table, .init = stu_setup,
     .fini = stu_teardown)
{
	struct store_opts v2 = {.target_version = 2};
	struct store_decision d = {.class = "c", .at = 5, .policy = "{}", .action = 1};
	struct store_ima_state s, got;
	uint8_t secret[32] = {9};
	char agent[STORE_ID_SIZE];
	struct store_agent *a = NULL;
	struct eph_err err = {{0}};
	int64_t id = 0;
	store *st;
	sqlite3 *db;

	st = stu_open(&v2);
	cr_assert_eq(store_schema_version(st), 2);
	stu_agent(agent, st, secret);
	cr_assert_eq(store_decision_record(&id, st, &d, &err), 0, "%s", err.msg);
	sample(&s, 3, 1);
	/* Version 2 has no ima_state table: a clean error, not a crash. */
	cr_assert_eq(store_ima_set(st, agent, &s, &err), EPH_EIO);
	cr_assert(strstr(err.msg, "no such table") != NULL, "%s", err.msg);
	store_free(st);

	st = stu_open(NULL);
	cr_assert_eq(store_schema_version(st), STORE_SCHEMA_VERSION);
	cr_assert_eq(store_agent_get(&a, st, agent, &err), 0, "%s", err.msg);
	cr_assert_str_eq(a->hostname, "guest-1");
	store_agent_free(a);
	cr_assert_eq(store_ima_get(&got, st, agent, &err), EPH_ENOTFOUND);
	cr_assert_eq(store_ima_set(st, agent, &s, &err), 0, "%s", err.msg);
	store_free(st);

	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT max(version) FROM schema_version"), STORE_SCHEMA_VERSION);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM decisions"), 1);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM ima_state"), 1);
	cr_assert_eq(stu_raw_int(db, "SELECT length(pcr10) FROM ima_state"), 3 + 20 + 3 + 32);
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = "
				     "'ima_state' AND sql LIKE '%STRICT%'"),
		     1);
	sqlite3_close(db);
}

Test(store_ima, get_set_round_trip_and_upsert, .init = stu_setup, .fini = stu_teardown)
{
	struct store_ima_state s, got;
	uint8_t secret[32] = {1};
	char agent[STORE_ID_SIZE], other[STORE_ID_SIZE];
	struct eph_err err = {{0}};
	store *st = stu_open(NULL);
	sqlite3 *db;

	stu_agent(agent, st, secret);
	stu_agent(other, st, secret);
	cr_assert_eq(store_ima_get(&got, st, agent, &err), EPH_ENOTFOUND);
	cr_assert(strstr(err.msg, agent) != NULL, "%s", err.msg);

	sample(&s, 7, 2);
	cr_assert_eq(store_ima_set(st, agent, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(store_ima_get(&got, st, agent, &err), 0, "%s", err.msg);
	assert_same(&got, &s);
	cr_assert_eq(store_ima_get(&got, st, other, &err), EPH_ENOTFOUND);

	/* A later acceptance replaces the row. */
	sample(&s, 9, 3);
	s.num_banks = 1;
	s.banks[0].alg = 0x000c;
	s.banks[0].size = 48;
	memset(s.banks[0].pcr10, 0xc3, 48);
	cr_assert_eq(store_ima_set(st, agent, &s, &err), 0, "%s", err.msg);
	cr_assert_eq(store_ima_get(&got, st, agent, &err), 0, "%s", err.msg);
	assert_same(&got, &s);
	store_free(st);

	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM ima_state"), 1);
	/* A damaged packed value is reported, not read past. */
	cr_assert_eq(sqlite3_exec(db, "UPDATE ima_state SET pcr10 = x'000b20aabb'", NULL, NULL,
				  NULL),
		     SQLITE_OK);
	sqlite3_close(db);
	st = stu_open(NULL);
	cr_assert_eq(store_ima_get(&got, st, agent, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "damaged") != NULL, "%s", err.msg);
	cr_assert_eq(got.num_banks, 0);
	store_free(st);
}

Test(store_ima, unknown_agent_and_bad_states_refused, .init = stu_setup, .fini = stu_teardown)
{
	struct store_ima_state s, got;
	uint8_t secret[32] = {2};
	char agent[STORE_ID_SIZE];
	struct eph_err err = {{0}};
	store *st = stu_open(NULL);
	sqlite3 *db;

	sample(&s, 1, 1);
	cr_assert_eq(store_ima_set(st, "00000000-0000-4000-8000-000000000000", &s, &err),
		     EPH_ENOTFOUND);
	cr_assert(strstr(err.msg, "not registered") != NULL, "%s", err.msg);
	cr_assert_eq(store_ima_get(&got, st, "00000000-0000-4000-8000-000000000000", &err),
		     EPH_ENOTFOUND);
	cr_assert_eq(store_ima_set(st, NULL, &s, &err), EPH_EFORMAT);

	stu_agent(agent, st, secret);
	s.num_banks = 0;
	cr_assert_eq(store_ima_set(st, agent, &s, &err), EPH_EFORMAT);
	s.num_banks = STORE_IMA_BANKS + 1;
	cr_assert_eq(store_ima_set(st, agent, &s, &err), EPH_EFORMAT);
	sample(&s, 1, 1);
	s.banks[1].size = STORE_IMA_DIGEST_MAX + 1;
	cr_assert_eq(store_ima_set(st, agent, &s, &err), EPH_EFORMAT);
	s.banks[1].size = 0;
	cr_assert_eq(store_ima_set(st, agent, &s, &err), EPH_EFORMAT);
	cr_assert_eq(store_ima_get(&got, st, agent, &err), EPH_ENOTFOUND, "nothing written");
	store_free(st);

	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM ima_state"), 0);
	sqlite3_close(db);
}
