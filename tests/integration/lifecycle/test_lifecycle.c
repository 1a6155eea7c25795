/*
 * test_lifecycle.c - provision, attest, TTL, missed re-attestation, drift,
 * completion and operator delete with a real store and the real sandbox
 * driver (root; skips visibly otherwise).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lc_fixture.h"

static char *const sleep30[] = { "/bin/sleep", "30", NULL };
static char *const truecmd[] = { "/bin/true", NULL };

#define T0 1000000

static void provision(char id[STORE_ID_SIZE], int64_t *dec, int64_t ttl, int64_t period,
		      char *const *argv)
{
	struct driver_spec s = lc_spec(argv);
	struct eph_err err = { { 0 } };

	lc_env(id, dec, ttl, period, T0);
	cr_assert_eq(lifecycle_provision(fx.lc, id, &s, *dec, T0, &err), 0, "%s", err.msg);
}

static void assert_ended(const char *id, const char *reason, int64_t dec)
{
	char usage[1024] = "";
	float r = 1;

	cr_assert_eq(lc_state(id), STORE_ENV_DESTROYED, "state %s",
		     store_env_state_name(lc_state(id)));
	cr_assert_str_eq(lc_last_reason(id), reason);
	cr_assert_not(lc_cgroup_exists(id), "cgroup of %s left behind", id);
	cr_assert(lc_outcome(dec, id, &r, usage, sizeof(usage)), "no outcome for %s", id);
	cr_log_info("%s: reward %g usage %s", reason, (double)r, usage);
	cr_assert_leq(r, 0.0f, "reward %f", r);
	cr_assert_not_null(strstr(usage, reason), "usage %s", usage);
	cr_assert_not_null(strstr(usage, "\"end\":\"destroyed\""), "usage %s", usage);
}

TestSuite(lifecycle, .init = lc_fx_setup, .fini = lc_fx_teardown);

Test(lifecycle, provision_writes_handle_before_start)
{
	char id[STORE_ID_SIZE];
	struct eph_err err = { { 0 } };
	int64_t dec;

	provision(id, &dec, 0, 0, sleep30);
	cr_assert_eq(lc_state(id), STORE_ENV_ATTESTING);
	cr_assert_str_eq(lc_history(id), "requested>admitted>provisioning>attesting");
	cr_assert_neq(lc_handle(id)[0], '\0', "no handle stored");
	cr_assert_eq(fx.spy.starts, 1);
	cr_assert(fx.spy.handle_in_store_at_start, "start ran before the handle was stored");
	cr_assert(lc_cgroup_exists(id));

	cr_assert_eq(lifecycle_attested(fx.lc, id, 1, "ok", T0 + 1, &err), 0, "%s", err.msg);
	cr_assert_eq(lc_state(id), STORE_ENV_RUNNING);
	/* A second verdict while running is a re-attestation round trip. */
	cr_assert_eq(lifecycle_attested(fx.lc, id, 1, "ok", T0 + 2, &err), 0, "%s", err.msg);
	cr_assert_str_eq(lc_history(id), "requested>admitted>provisioning>attesting>running>"
					 "re-attesting>running");

	cr_assert_eq(lifecycle_delete(fx.lc, id, "operator", T0 + 3, &err), 0, "%s", err.msg);
	assert_ended(id, "operator", dec);
	cr_assert_eq(lifecycle_delete(fx.lc, id, "operator", T0 + 4, &err), EPH_EVERIFY);
}

Test(lifecycle, provision_refuses_unadmitted)
{
	char id[STORE_ID_SIZE];
	struct driver_spec s = lc_spec(sleep30);
	struct eph_err err = { { 0 } };
	int64_t dec;

	lc_env(id, &dec, 0, 0, T0);
	cr_assert_eq(store_env_transition(fx.st, id, STORE_ENV_ADMITTED, STORE_ENV_DESTROYED,
					  "cancelled", T0, &err), 0, "%s", err.msg);
	cr_assert_lt(lifecycle_provision(fx.lc, id, &s, dec, T0, &err), 0);
	cr_assert_eq(fx.spy.starts, 0);
}

Test(lifecycle, provision_failure_fails_and_cleans_up)
{
	static char *const bad[] = { "relative/path", NULL };
	char id[STORE_ID_SIZE];
	struct driver_spec s = lc_spec(bad);
	struct eph_err err = { { 0 } };
	int64_t dec;

	lc_env(id, &dec, 0, 0, T0);
	cr_assert_lt(lifecycle_provision(fx.lc, id, &s, dec, T0, &err), 0);
	cr_assert_not_null(strstr(err.msg, "provision failed"), "%s", err.msg);
	cr_assert_eq(lc_state(id), STORE_ENV_FAILED);
	cr_assert_not(lc_cgroup_exists(id));
}

Test(lifecycle, ttl_expiry)
{
	char id[STORE_ID_SIZE];
	struct eph_err err = { { 0 } };
	unsigned ended = 9;
	int64_t dec;

	provision(id, &dec, 60, 0, sleep30);
	cr_assert_eq(lifecycle_attested(fx.lc, id, 1, "ok", T0 + 1, &err), 0, "%s", err.msg);
	cr_assert_eq(lifecycle_tick(fx.lc, T0 + 59, &ended, &err), 0, "%s", err.msg);
	cr_assert_eq(ended, 0);
	cr_assert_eq(lc_state(id), STORE_ENV_RUNNING);
	cr_assert_eq(lifecycle_tick(fx.lc, T0 + 60, &ended, &err), 0, "%s", err.msg);
	cr_assert_eq(ended, 1);
	assert_ended(id, "ttl", dec);
	cr_assert_str_eq(lc_history(id), "requested>admitted>provisioning>attesting>running>"
					 "draining>destroyed");
}

Test(lifecycle, missed_reattestation)
{
	char id[STORE_ID_SIZE];
	struct eph_err err = { { 0 } };
	unsigned ended = 9;
	int64_t dec;

	provision(id, &dec, 0, 10, sleep30);
	cr_assert_eq(lifecycle_attested(fx.lc, id, 1, "ok", T0 + 1, &err), 0, "%s", err.msg);
	/* Due at T0+11: re-attesting; attested in time: running again. */
	cr_assert_eq(lifecycle_tick(fx.lc, T0 + 11, &ended, &err), 0, "%s", err.msg);
	cr_assert_eq(lc_state(id), STORE_ENV_REATTESTING);
	cr_assert_eq(lifecycle_attested(fx.lc, id, 1, "ok", T0 + 12, &err), 0, "%s", err.msg);
	cr_assert_eq(lc_state(id), STORE_ENV_RUNNING);
	/* Due at T0+22, grace 5: still alive at T0+27, gone at T0+28. */
	cr_assert_eq(lifecycle_tick(fx.lc, T0 + 22, &ended, &err), 0, "%s", err.msg);
	cr_assert_eq(lc_state(id), STORE_ENV_REATTESTING);
	cr_assert_eq(lifecycle_tick(fx.lc, T0 + 27, &ended, &err), 0, "%s", err.msg);
	cr_assert_eq(ended, 0);
	cr_assert_eq(lifecycle_tick(fx.lc, T0 + 28, &ended, &err), 0, "%s", err.msg);
	cr_assert_eq(ended, 1);
	assert_ended(id, "missed re-attestation", dec);
}

Test(lifecycle, drift)
{
	char id[STORE_ID_SIZE];
	struct eph_err err = { { 0 } };
	int64_t dec;

	provision(id, &dec, 0, 0, sleep30);
	cr_assert_eq(lifecycle_attested(fx.lc, id, 1, "ok", T0 + 1, &err), 0, "%s", err.msg);
	cr_assert_eq(lifecycle_attested(fx.lc, id, 0, "PCR 8", T0 + 5, &err), 0, "%s", err.msg);
	assert_ended(id, "drift: PCR 8", dec);
}

Test(lifecycle, completion)
{
	char id[STORE_ID_SIZE];
	char handle[DRIVER_HANDLE_MAX];
	struct eph_err err = { { 0 } };
	unsigned ended = 9;
	int64_t dec;

	provision(id, &dec, 0, 0, truecmd);
	snprintf(handle, sizeof(handle), "%s", lc_handle(id));
	cr_assert_eq(lc_wait_exit(handle, 10000), 0, "/bin/true did not exit");
	cr_assert_eq(lifecycle_tick(fx.lc, T0 + 2, &ended, &err), 0, "%s", err.msg);
	cr_assert_eq(ended, 1);
	assert_ended(id, "completed", dec);
}

Test(lifecycle, oom_is_shortfall)
{
	static char *const hog[] = { "/bin/sh", "-c",
				     "x=$(head -c 100000000 /dev/zero | tr '\\000' a); echo ${#x}",
				     NULL };
	char id[STORE_ID_SIZE], handle[DRIVER_HANDLE_MAX], usage[1024] = "";
	struct driver_spec s = lc_spec(hog);
	struct eph_err err = { { 0 } };
	unsigned ended = 0;
	int64_t dec;
	float r = 0;

	s.mem_mib = 32;
	lc_env(id, &dec, 0, 0, T0);
	cr_assert_eq(lifecycle_provision(fx.lc, id, &s, dec, T0, &err), 0, "%s", err.msg);
	cr_assert_eq(lifecycle_attested(fx.lc, id, 1, "ok", T0 + 1, &err), 0, "%s", err.msg);
	snprintf(handle, sizeof(handle), "%s", lc_handle(id));
	cr_assert_eq(lc_wait_exit(handle, 20000), 0, "memory hog did not end");
	cr_assert_eq(lifecycle_tick(fx.lc, T0 + 2, &ended, &err), 0, "%s", err.msg);
	cr_assert_eq(ended, 1);
	cr_assert(lc_outcome(dec, id, &r, usage, sizeof(usage)));
	cr_log_info("oom: reward %g usage %s", (double)r, usage);
	cr_assert_null(strstr(usage, "\"oom_events\":0,"), "no OOM kill seen: %s", usage);
	/* lambda 1 x oom_weight 10 per kill dominates the reward. */
	cr_assert_lt(r, -9.0f, "reward %f", r);
}
