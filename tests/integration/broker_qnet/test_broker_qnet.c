/*
 * test_broker_qnet.c - a real ephemera-broker (--driver sandbox, the
 * docs/examples/sandbox-policy) serving the shipped int8 Q-network
 * (--qnet-model broker/qnet/models/default.cbor): every decision is read
 * back from the broker's store and checked: decider "qnet-int8", a state
 * of 32 finite floats, the model file's SHA-256, an action inside the
 * policy mask (a forbidden size is never chosen; when no model action is
 * allowed the baseline decides and says so), and the pre-warm the model
 * chose turned into warm pool members by the lifecycle thread.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "envs_fixture.h"
#include "store.h"

#define MODEL EPH_QNET_MODELS_DIR "/default.cbor"

static void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (cgroups, namespaces)");
}

static void start(void)
{
	require_root();
	ef_setup();
	ef_broker_start_with("--driver sandbox --qnet-model " MODEL, 0);
}

/* Stop the broker; under ASan its log must hold no sanitizer report. */
static void stop_clean(void)
{
	ef_broker_stop();
	cr_assert_null(strstr(ef_log(), "Sanitizer"), "%s", ef_log());
}

struct rec {
	unsigned action;
	unsigned long long mask;
	float state[32];
	char hash[65];
	char decider[64];
	char size[32];
	unsigned count, prewarm;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The decision recorded for env id, from the store (sqlite3 CLI). */
static void read_decision(struct rec *r, const char *id)
{
	char cmd[1200], *out = NULL, *f[5], *p;
	json_t *pol;
	int i, st;

	memset(r, 0, sizeof(*r));
	snprintf(cmd, sizeof(cmd),
		 "sqlite3 -separator '|' '%s/store.db' \"SELECT d.action, d.mask, hex(d.state), "
		 "lower(hex(d.model_hash)), e.policy FROM decisions d JOIN environments e ON "
		 "e.id = d.env_id WHERE d.env_id = '%s'\"",
		 ef_dir, id);
	st = ef_sh(cmd, &out);
	cr_assert_eq(st, 0, "sqlite3: %s", out ? out : "");
	p = out;
	for (i = 0; i < 5; i++) {
		f[i] = p;
		p = i < 4 ? strchr(p, '|') : strchr(p, '\n');
		cr_assert_not_null(p, "decision row of %s: %s", id, out);
		*p++ = '\0';
	}
	r->action = (unsigned)strtoul(f[0], NULL, 10);
	r->mask = strtoull(f[1], NULL, 10);
	cr_assert_eq(strlen(f[2]), 256, "state blob of %s", id);
	for (i = 0; i < 32; i++) {
		uint32_t u = 0;
		int b;

		for (b = 3; b >= 0; b--) /* little-endian binary32 */
			u = u << 8 | (uint32_t)(hexval(f[2][8 * i + 2 * b]) << 4 |
						hexval(f[2][8 * i + 2 * b + 1]));
		memcpy(&r->state[i], &u, sizeof(u));
	}
	snprintf(r->hash, sizeof(r->hash), "%s", f[3]);
	pol = json_loads(f[4], 0, NULL);
	cr_assert_not_null(pol, "policy of %s: %s", id, f[4]);
	snprintf(r->decider, sizeof(r->decider), "%s",
		 json_string_value(json_object_get(pol, "decider")));
	snprintf(r->size, sizeof(r->size), "%s", json_string_value(json_object_get(pol, "size")));
	r->count = (unsigned)json_integer_value(json_object_get(pol, "count"));
	r->prewarm = (unsigned)json_integer_value(json_object_get(pol, "prewarm"));
	json_decref(pol);
	free(out);
}

static void model_sha256(char hex[65])
{
	FILE *f = fopen(MODEL, "rb");
	static uint8_t buf[1 << 20];
	uint8_t md[32];
	unsigned mdlen = 0, i;
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_eq(EVP_Digest(buf, n, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The broker's "decision" log lines: decide time in microseconds. */
static unsigned decide_times(double *us, unsigned max)
{
	const char *p = ef_log(), *q;
	unsigned n = 0;

	while (n < max && (p = strstr(p, "chose size")) != NULL) {
		q = strstr(p, " us");
		if (q == NULL)
			break;
		while (q > p && q[-1] != ' ')
			q--;
		us[n++] = strtod(q, NULL);
		p = q + 3;
	}
	return n;
}

static void check_qnet(const struct rec *r, const char *want_hash)
{
	unsigned i;

	cr_assert_str_eq(r->decider, "qnet-int8");
	for (i = 0; i < 32; i++)
		cr_assert(isfinite(r->state[i]), "state[%u] = %g", i, r->state[i]);
	cr_assert_str_eq(r->hash, want_hash, "model hash recorded");
	cr_assert_lt(r->action, 42);
	cr_assert(r->mask >> r->action & 1, "action %u outside mask 0x%llx", r->action, r->mask);
	/* docs/examples/sandbox-policy: the simulator's 250m/256Mi maps to
	 * small, 500m/512Mi to medium; nothing maps to xs (128 MiB) */
	cr_assert(strcmp(r->size, "small") == 0 || strcmp(r->size, "medium") == 0, "size %s",
		  r->size);
	cr_assert(r->count >= 1 && r->count <= 2);
	cr_assert_leq(r->prewarm, 2);
}

Test(broker_qnet, decides_with_the_default_model, .fini = ef_teardown)
{
	char hash[65], id[STORE_ID_SIZE], first[STORE_ID_SIZE], ids[5][STORE_ID_SIZE];
	struct rec r;
	double us[16], sum = 0, mx = 0;
	unsigned i, n, prewarm = 0;

	start();
	model_sha256(hash);
	cr_assert_eq(ef_env_create(first, "alice", 3, 60), 0, "%s", ef_log());
	read_decision(&r, first);
	check_qnet(&r, hash);
	cr_log_info("first request (no history, no arrivals): action %u size %s count %u "
		    "prewarm %u", r.action, r.size, r.count, r.prewarm);
	prewarm = r.prewarm;
	if (r.prewarm > 0) {
		/* the lifecycle thread makes that many idle members of the
		 * class's pool ("batch-<size>") in its idle time */
		char want[96];
		int t;

		snprintf(want, sizeof(want), "batch-%s: %u of %u idle", r.size, r.prewarm,
			 r.prewarm);
		for (t = 0; t < 600 && strstr(ef_log(), want) == NULL; t++)
			usleep(100000);
		cr_assert_not_null(strstr(ef_log(), want), "pool never reached '%s': %s", want,
				   ef_log());
		cr_log_info("warm pool filled: %s", want);
	}
	/* more arrivals of the class: the rate and warm features move */
	for (i = 0; i < 5; i++) {
		cr_assert_eq(ef_env_create(id, "alice", 3, 60), 0, "%s", ef_log());
		memcpy(ids[i], id, sizeof(ids[i]));
		read_decision(&r, id);
		check_qnet(&r, hash);
		cr_log_info("request %u: action %u size %s count %u prewarm %u", i + 2, r.action,
			    r.size, r.count, r.prewarm);
	}
	/* every one comes up, claimed pool members too: their agents name the
	 * member, and the broker binds them by their vTPM EK */
	for (i = 0; i < 5; i++) {
		int s = ef_wait_state(ids[i], STORE_ENV_RUNNING, 60000);

		cr_assert_eq(s, STORE_ENV_RUNNING, "request %u is %d, not running: %s", i + 2, s,
			     ef_log());
	}
	{
		const char *p = ef_log();
		unsigned claims = 0;

		while ((p = strstr(p, "warm, claimed pool member")) != NULL) {
			claims++;
			p++;
		}
		cr_log_info("%u of 6 environments were warm-pool claims", claims);
		if (prewarm > 0)
			cr_assert_gt(claims, 0, "a pool was filled but nothing claimed: %s", ef_log());
	}
	n = decide_times(us, 16);
	cr_assert_eq(n, 6, "one decision line per request: %s", ef_log());
	for (i = 0; i < n; i++) {
		sum += us[i];
		mx = us[i] > mx ? us[i] : mx;
	}
	cr_log_info("decide path (state from the store + int8 argmax): mean %.0f us, max %.0f us "
		    "over %u requests", sum / n, mx, n);
	if (prewarm == 0)
		cr_log_info("the default model chose no pre-warm for the first request");
	stop_clean();
}

Test(broker_qnet, forbidden_sizes_are_never_chosen, .fini = ef_teardown)
{
	char id[STORE_ID_SIZE];
	struct rec r;

	start();
	/* clearance 1: the policy's "interns" rule allows xs only; no size of
	 * the model's table maps onto xs, so no model action is allowed */
	cr_assert_eq(ef_env_create(id, "intern", 1, 60), 0, "%s", ef_log());
	read_decision(&r, id);
	cr_assert_str_eq(r.decider, "baseline (no allowed qnet action)");
	cr_assert_str_eq(r.size, "xs");
	cr_assert_eq(r.prewarm, 0);
	cr_assert_str_eq(r.hash, "", "no model hash when the baseline decided");
	stop_clean();
}
