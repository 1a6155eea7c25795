/*
 * test_envs.c - environments against a real ephemera-broker: create with a
 * valid CWT (minted here with cwt_sign) -> admitted with a policy and a
 * baseline decision; an expired CWT -> 401; asking more than the policy
 * allows -> 422; GET, list, DELETE (destroyed), DELETE again -> 409;
 * ref_env to an unknown environment -> 404.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/pem.h>

#include "broker_fixture.h"

#ifdef TEST_HAVE_CWT
#include "cwt.h"
#endif

TestSuite(broker_envs, .init = bf_setup, .fini = bf_teardown);

static void post_env(struct bf_resp *r, const struct wire_env_create_req *q)
{
	struct eph_err err = {{0}};
	uint8_t *body = NULL;
	size_t len = 0;

	cr_assert_eq(wire_env_create_req_encode(&body, &len, q, &err), 0, "%s", err.msg);
	bf_http(r, "POST", "/v1/environments", "application/cbor", body, len, NULL, 0);
	free(body);
}

Test(broker_envs, ref_env_unknown_is_404)
{
	struct wire_env_create_req q;
	struct bf_resp r;

	memset(&q, 0, sizeof(q));
	snprintf(q.ref_env, sizeof(q.ref_env), "00000000-0000-4000-8000-000000000000");
	post_env(&r, &q);
	bf_expect_error(&r, 404, "not-found", NULL);
	bf_resp_free(&r);
}

#ifdef TEST_HAVE_CWT
static void mint(uint8_t **tok, size_t *len, int64_t exp, uint32_t vcpu_milli, uint32_t mem)
{
	struct cwt_claims c;
	struct eph_err err = {{0}};
	FILE *f = fopen(bf_path("issuer-key.pem"), "r");
	EVP_PKEY *k;

	cr_assert_not_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(k);
	memset(&c, 0, sizeof(c));
	c.present = CWT_REQUIRED_EPHEMERA | CWT_HAS_IAT | CWT_HAS_APP_CLASS;
	snprintf(c.iss, sizeof(c.iss), "test-issuer");
	snprintf(c.sub, sizeof(c.sub), "alice");
	snprintf(c.role, sizeof(c.role), "analyst");
	c.clearance = 2;
	c.sensitivity = CWT_SENS_INTERNAL;
	c.iat = exp - 3600;
	c.exp = exp;
	c.app.vcpu_milli = vcpu_milli;
	c.app.mem_mib = mem;
	c.app.duration_s = 600;
	snprintf(c.app.cls, sizeof(c.app.cls), "batch");
	cr_assert_eq(cwt_sign(tok, len, &c, k, 0, &err), 0, "cwt_sign: %s", err.msg);
	EVP_PKEY_free(k);
}

Test(broker_envs, create_get_list_delete_with_a_valid_cwt)
{
	struct wire_env_create_req q;
	struct wire_env env;
	struct eph_err err = {{0}};
	struct bf_resp r;
	uint8_t *tok = NULL;
	size_t tok_len = 0;
	char path[300], id[WIRE_MAX_TEXT];
	json_t *doc;

	mint(&tok, &tok_len, (int64_t)time(NULL) + 3600, 1500, 2048);
	memset(&q, 0, sizeof(q));
	q.claims.p = tok;
	q.claims.len = tok_len;
	post_env(&r, &q);
	cr_assert_eq(r.status, 201, "HTTP %ld, see %s", r.status, bf.log);
	cr_assert_eq(wire_env_decode(&env, r.body, r.len, &err), 0, "%s", err.msg);
	bf_resp_free(&r);
	cr_assert_str_eq(env.state, "admitted");
	cr_assert_str_eq(env.size, "m"); /* smallest allowed covering 1500 mCPU / 2 GiB */
	cr_assert_eq(env.count, 1);
	cr_assert_eq(env.prewarm, 0);
	cr_assert_eq(env.vcpu_milli, 2000);
	cr_assert_str_eq(env.network, "none");
	cr_assert_str_eq(env.encryption, "at-rest");
	cr_assert_eq(env.ttl, 600);
	cr_assert_eq(env.reattest, 60);
	cr_assert(strstr(env.reason, "baseline") != NULL, "%s", env.reason);
	cr_assert(strstr(env.reason, "not provisioned") != NULL, "%s", env.reason);
	cr_assert_gt(env.num_attrs, 3);
	snprintf(id, sizeof(id), "%s", env.env_id);
	wire_env_free(&env);

	snprintf(path, sizeof(path), "/v1/environments/%s", id);
	bf_http(&r, "GET", path, NULL, NULL, 0, NULL, 0);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(wire_env_decode(&env, r.body, r.len, &err), 0, "%s", err.msg);
	cr_assert_str_eq(env.env_id, id);
	cr_assert_str_eq(env.state, "admitted");
	wire_env_free(&env);
	bf_resp_free(&r);

	bf_http(&r, "GET", "/v1/environments", NULL, NULL, 0, "application/json", 0);
	cr_assert_eq(r.status, 200);
	doc = json_loadb((const char *)r.body, r.len, 0, NULL);
	cr_assert_eq(json_array_size(json_object_get(doc, "environments")), 1);
	json_decref(doc);
	bf_resp_free(&r);
	cr_assert_eq(bf_metric("ephemera_environments{state=\"admitted\"}"), 1);

	bf_http(&r, "DELETE", path, NULL, NULL, 0, NULL, 0);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(wire_env_decode(&env, r.body, r.len, &err), 0, "%s", err.msg);
	cr_assert_str_eq(env.state, "destroyed");
	wire_env_free(&env);
	bf_resp_free(&r);
	bf_http(&r, "DELETE", path, NULL, NULL, 0, NULL, 0);
	bf_expect_error(&r, 409, "already-ended", NULL);
	bf_resp_free(&r);
	cr_assert_eq(bf_metric("ephemera_environments{state=\"destroyed\"}"), 1);
	free(tok);
}

Test(broker_envs, expired_cwt_refused_401)
{
	struct wire_env_create_req q;
	struct bf_resp r;
	uint8_t *tok = NULL;
	size_t tok_len = 0;

	mint(&tok, &tok_len, (int64_t)time(NULL) - 3600, 1000, 1024);
	memset(&q, 0, sizeof(q));
	q.claims.p = tok;
	q.claims.len = tok_len;
	post_env(&r, &q);
	bf_expect_error(&r, 401, "claims-refused", "expired");
	bf_resp_free(&r);
	free(tok);
}

Test(broker_envs, more_than_the_policy_allows_is_422)
{
	struct wire_env_create_req q;
	struct bf_resp r;
	uint8_t *tok = NULL;
	size_t tok_len = 0;

	/* the xl size would cover it, but the policy caps at 4000 mCPU */
	mint(&tok, &tok_len, (int64_t)time(NULL) + 3600, 12000, 1024);
	memset(&q, 0, sizeof(q));
	q.claims.p = tok;
	q.claims.len = tok_len;
	post_env(&r, &q);
	bf_expect_error(&r, 422, "policy-refused", "12000 mCPU");
	bf_resp_free(&r);
	free(tok);
}
#endif
