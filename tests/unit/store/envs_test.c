/*
 * envs_test.c - environments: the full lifecycle path, illegal transitions,
 * compare-and-set conflicts, the driver handle, history and the listings
 * reconciliation uses.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "store_tu.h"

static void step(store *st, const char *id, enum store_env_state from, enum store_env_state to,
		 int64_t at)
{
	struct eph_err err = {{0}};
	int rc = store_env_transition(st, id, from, to, "test", at, &err);

	cr_assert_eq(rc, 0, "%s -> %s: %s", store_env_state_name(from), store_env_state_name(to),
		     err.msg);
}

static int collect_steps(const struct store_env_step *s, void *ctx)
{
	enum store_env_state *seen = ctx;
	int i = 0;

	while (seen[i] != STORE_ENV_NSTATES)
		i++;
	seen[i] = s->to;
	seen[i + 1] = STORE_ENV_NSTATES;
	cr_assert_eq(s->has_from, i > 0);
	return 0;
}

Test(store, env_lifecycle_and_history, .init = stu_setup, .fini = stu_teardown)
{
	static const enum store_env_state want[] = {
		STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, STORE_ENV_PROVISIONING,
		STORE_ENV_ATTESTING, STORE_ENV_RUNNING, STORE_ENV_REATTESTING,
		STORE_ENV_RUNNING, STORE_ENV_DRAINING, STORE_ENV_DESTROYED,
	};
	enum store_env_state seen[16] = {STORE_ENV_NSTATES};
	char id[STORE_ID_SIZE];
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	store *st = stu_open(NULL);
	unsigned i;

	stu_env(id, st, 100);
	for (i = 1; i < sizeof(want) / sizeof(want[0]); i++) {
		if (want[i] == STORE_ENV_PROVISIONING) {
			/* Written before the driver acts. */
			cr_assert_eq(store_env_set_handle(st, id, "/sys/fs/cgroup/eph/x", 101,
							  &err),
				     0, "%s", err.msg);
		}
		step(st, id, want[i - 1], want[i], 100 + (int64_t)i);
	}
	cr_assert_eq(store_env_get(&e, st, id, &err), 0, "%s", err.msg);
	cr_assert_eq(e->state, STORE_ENV_DESTROYED);
	cr_assert_str_eq(e->handle, "/sys/fs/cgroup/eph/x");
	cr_assert_str_eq(e->driver, "sandbox");
	cr_assert_str_eq(e->requester, "alice@example.org");
	cr_assert(strstr(e->attrs, "analyst") != NULL);
	cr_assert_eq(e->ttl_s, 3600);
	cr_assert_eq(e->updated_at, 108);
	store_env_free(e);
	cr_assert_eq(store_env_history_foreach(st, id, collect_steps, seen, &err), 0, "%s",
		     err.msg);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_eq(seen[i], want[i], "step %u", i);
	cr_assert_eq(seen[i], STORE_ENV_NSTATES);
	/* Terminal: no handle changes, no transitions out. */
	cr_assert_eq(store_env_set_handle(st, id, "x", 200, &err), EPH_EPOLICY);
	cr_assert_eq(store_env_transition(st, id, STORE_ENV_DESTROYED, STORE_ENV_FAILED, "",
					  200, &err),
		     EPH_EPOLICY);
	store_free(st);
}

Test(store, illegal_transitions_are_refused, .init = stu_setup, .fini = stu_teardown)
{
	char id[STORE_ID_SIZE];
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	store *st = stu_open(NULL);
	sqlite3 *db;

	stu_env(id, st, 100);
	cr_assert_eq(store_env_transition(st, id, STORE_ENV_REQUESTED, STORE_ENV_RUNNING, "skip",
					  101, &err),
		     EPH_EPOLICY);
	cr_assert(strstr(err.msg, "illegal transition requested -> running") != NULL, "%s",
		  err.msg);
	step(st, id, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, 101);
	cr_assert_eq(store_env_transition(st, id, STORE_ENV_ADMITTED, STORE_ENV_REQUESTED, "back",
					  102, &err),
		     EPH_EPOLICY);
	cr_assert(strstr(err.msg, "admitted -> requested") != NULL, "%s", err.msg);
	cr_assert_eq(store_env_transition(st, id, STORE_ENV_ADMITTED, STORE_ENV_DRAINING, "",
					  102, &err),
		     EPH_EPOLICY);
	cr_assert_eq(store_env_transition(st, id, STORE_ENV_ADMITTED, (enum store_env_state)42,
					  "", 102, &err),
		     EPH_EFORMAT);
	cr_assert_eq(store_env_get(&e, st, id, &err), 0);
	cr_assert_eq(e->state, STORE_ENV_ADMITTED);
	store_env_free(e);

	/* The state machine table, spot checks. */
	cr_assert(store_env_transition_allowed(STORE_ENV_REATTESTING, STORE_ENV_RUNNING));
	cr_assert(store_env_transition_allowed(STORE_ENV_RUNNING, STORE_ENV_FAILED));
	cr_assert_not(store_env_transition_allowed(STORE_ENV_FAILED, STORE_ENV_DESTROYED));
	cr_assert_not(store_env_transition_allowed(STORE_ENV_DRAINING, STORE_ENV_RUNNING));

	/* Refused transitions leave no history behind. */
	db = stu_raw();
	cr_assert_eq(stu_raw_int(db, "SELECT count(*) FROM env_transitions"), 2);
	sqlite3_close(db);
	store_free(st);
}

Test(store, transition_is_compare_and_set, .init = stu_setup, .fini = stu_teardown)
{
	char id[STORE_ID_SIZE];
	struct eph_err err = {{0}};
	store *st1 = stu_open(NULL);
	store *st2 = stu_open(NULL);

	stu_env(id, st1, 100);
	step(st1, id, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, 101);
	step(st1, id, STORE_ENV_ADMITTED, STORE_ENV_PROVISIONING, 102);
	step(st1, id, STORE_ENV_PROVISIONING, STORE_ENV_ATTESTING, 103);
	step(st1, id, STORE_ENV_ATTESTING, STORE_ENV_RUNNING, 104);
	/* Both handles saw "running"; the lifecycle on st1 starts draining, the
	 * re-attestation on st2 then tries running -> re-attesting. */
	step(st1, id, STORE_ENV_RUNNING, STORE_ENV_DRAINING, 105);
	cr_assert_eq(store_env_transition(st2, id, STORE_ENV_RUNNING, STORE_ENV_REATTESTING,
					  "period", 105, &err),
		     EPH_EVERIFY);
	cr_assert(strstr(err.msg, "is 'draining', not 'running'") != NULL, "%s", err.msg);
	cr_assert_eq(store_env_transition(st2, "no-such-env", STORE_ENV_RUNNING,
					  STORE_ENV_DRAINING, "", 105, &err),
		     EPH_ENOTFOUND);
	store_free(st2);
	store_free(st1);
}

struct ids {
	int n;
	char id[8][STORE_ID_SIZE];
};

static int collect_env(const struct store_env *e, void *ctx)
{
	struct ids *ids = ctx;

	cr_assert_lt(ids->n, 8);
	memcpy(ids->id[ids->n++], e->id, STORE_ID_SIZE);
	return 0;
}

static int stop_at_first(const struct store_env *e, void *ctx)
{
	(void)e;
	(void)ctx;
	return 7;
}

Test(store, env_listing_by_state_and_live, .init = stu_setup, .fini = stu_teardown)
{
	char a[STORE_ID_SIZE], b[STORE_ID_SIZE], c[STORE_ID_SIZE];
	struct store_env bad = {.requester = "r", .driver = "d", .attrs = "{oops", .policy = "{}"};
	struct eph_err err = {{0}};
	struct ids ids = {0};
	store *st = stu_open(NULL);
	char id[STORE_ID_SIZE];

	stu_env(a, st, 100);
	stu_env(b, st, 101);
	stu_env(c, st, 102);
	step(st, b, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, 103);
	step(st, c, STORE_ENV_REQUESTED, STORE_ENV_FAILED, 103);

	cr_assert_eq(store_env_foreach(st, STORE_ENV_ANY, collect_env, &ids, &err), 0);
	cr_assert_eq(ids.n, 3);
	memset(&ids, 0, sizeof(ids));
	cr_assert_eq(store_env_foreach(st, STORE_ENV_ADMITTED, collect_env, &ids, &err), 0);
	cr_assert_eq(ids.n, 1);
	cr_assert_str_eq(ids.id[0], b);
	memset(&ids, 0, sizeof(ids));
	cr_assert_eq(store_env_foreach_live(st, collect_env, &ids, &err), 0);
	cr_assert_eq(ids.n, 2);
	cr_assert_str_eq(ids.id[0], a);
	cr_assert_str_eq(ids.id[1], b);
	cr_assert_eq(store_env_foreach_live(st, stop_at_first, NULL, &err), 7);
	cr_assert_eq(store_env_foreach(st, 99, collect_env, &ids, &err), EPH_EFORMAT);

	cr_assert_eq(store_env_create(id, st, &bad, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "not valid JSON") != NULL, "%s", err.msg);
	store_free(st);
}
