/*
 * agent_env_test.c - binding an agent to the environment it attests for
 * (schema version 4): the binding is read back, survives a reopen, and
 * unknown agents or environments are refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "store.h"
#include "store_tu.h"

Test(store_agent_env, binds_and_reads_back)
{
	struct eph_err err = {{0}};
	char agent[STORE_ID_SIZE], env[STORE_ID_SIZE];
	uint8_t secret[32] = {1};
	struct store_agent *a = NULL;
	store *st = stu_open(NULL);

	stu_agent(agent, st, secret);
	stu_env(env, st, 1000);
	cr_assert_eq(store_agent_get(&a, st, agent, &err), 0, "%s", err.msg);
	cr_assert_null(a->env_id, "a fresh agent is bound to nothing");
	store_agent_free(a);
	cr_assert_eq(store_agent_bind_env(st, agent, env, &err), 0, "%s", err.msg);
	store_free(st);

	st = stu_open(NULL);
	cr_assert_eq(store_agent_get(&a, st, agent, &err), 0, "%s", err.msg);
	cr_assert_not_null(a->env_id);
	cr_assert_str_eq(a->env_id, env);
	store_agent_free(a);
	store_free(st);
}

Test(store_agent_env, refuses_unknown_agent_and_environment)
{
	struct eph_err err = {{0}};
	char agent[STORE_ID_SIZE], env[STORE_ID_SIZE];
	uint8_t secret[32] = {2};
	store *st = stu_open(NULL);

	stu_agent(agent, st, secret);
	stu_env(env, st, 1000);
	cr_assert_eq(store_agent_bind_env(st, "00000000-0000-4000-8000-000000000000", env, &err),
		     EPH_ENOTFOUND);
	/* A foreign key: no binding to an environment that does not exist. */
	cr_assert_lt(store_agent_bind_env(st, agent, "no-such-env", &err), 0);
	store_free(st);
}
