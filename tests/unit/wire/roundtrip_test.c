/*
 * roundtrip_test.c - every message encodes, decodes to the same content,
 * re-encodes to the same bytes, in canonical key order, and every
 * truncation of it is refused; hand-written CBOR decodes (interop); the
 * encoder's output matches hand-computed bytes.
 */
#include <cbor.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hash.h"
#include "wt.h"

typedef int (*enc_fn)(uint8_t **, size_t *, const void *, struct eph_err *);
typedef int (*dec_fn)(void *, const uint8_t *, size_t, struct eph_err *);
typedef void (*free_fn)(void *);

struct kind {
	const char *name;
	size_t size;
	enc_fn enc;
	dec_fn dec;
	free_fn fre;
};

#define KIND(n)                                                                         \
	static int enc_##n(uint8_t **o, size_t *l, const void *m, struct eph_err *e)    \
	{                                                                               \
		return wire_##n##_encode(o, l, m, e);                                   \
	}                                                                               \
	static int dec_##n(void *m, const uint8_t *b, size_t l, struct eph_err *e)      \
	{                                                                               \
		return wire_##n##_decode(m, b, l, e);                                   \
	}                                                                               \
	static void free_##n(void *m)                                                   \
	{                                                                               \
		wire_##n##_free(m);                                                     \
	}                                                                               \
	static const struct kind kind_##n = {#n, sizeof(struct wire_##n), enc_##n, dec_##n, \
					     free_##n}

KIND(error);
KIND(register_req);
KIND(register_resp);
KIND(activate_req);
KIND(activate_resp);
KIND(challenge_resp);
KIND(attest_req);
KIND(attest_resp);
KIND(env_create_req);
KIND(env);

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

/* Keys of the top-level map: version first, then strictly ascending. */
static void check_canonical(const uint8_t *buf, size_t len)
{
	struct cbor_load_result res;
	cbor_item_t *root = cbor_load(buf, len, &res);
	struct cbor_pair *pairs;
	size_t i;

	cr_assert_not_null(root);
	cr_assert_eq(res.read, len);
	cr_assert(cbor_isa_map(root) && cbor_map_is_definite(root));
	pairs = cbor_map_handle(root);
	cr_assert_geq(cbor_map_size(root), 1);
	cr_assert_eq(cbor_get_int(pairs[0].key), WIRE_K_VERSION);
	cr_assert_eq(cbor_get_int(pairs[0].value), WIRE_VERSION);
	for (i = 1; i < cbor_map_size(root); i++)
		cr_assert_gt(cbor_get_int(pairs[i].key), cbor_get_int(pairs[i - 1].key));
	cbor_decref(&root);
}

/*
 * Encode msg, decode into out (left for the caller to compare and free),
 * check canonical order, re-encode, compare bytes, refuse every truncation.
 */
static void roundtrip(const struct kind *k, const void *msg, void *out)
{
	struct eph_err err = {{0}};
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0, cut;
	void *tmp = malloc(k->size);

	cr_assert_not_null(tmp);
	cr_assert_eq(k->enc(&b1, &l1, msg, &err), 0, "%s encode: %s", k->name, err.msg);
	check_canonical(b1, l1);
	cr_assert_eq(k->dec(out, b1, l1, &err), 0, "%s decode: %s", k->name, err.msg);
	cr_assert_eq(k->enc(&b2, &l2, out, &err), 0, "%s re-encode: %s", k->name, err.msg);
	cr_assert_eq(l1, l2, "%s: re-encoding is %zu bytes, not %zu", k->name, l2, l1);
	cr_assert_eq(memcmp(b1, b2, l1), 0, "%s: re-encoding differs", k->name);
	for (cut = 0; cut < l1; cut++) {
		memset(tmp, 0x5a, k->size);
		err.msg[0] = '\0';
		cr_assert_lt(k->dec(tmp, b1, cut, &err), 0, "%s: truncated to %zu bytes accepted",
			     k->name, cut);
		cr_assert_neq(err.msg[0], '\0');
		cr_assert(all_zero(tmp, k->size), "%s: failed decode left state", k->name);
	}
	free(tmp);
	free(b1);
	free(b2);
}

static void check_freed(const struct kind *k, void *m)
{
	k->fre(m);
	cr_assert(all_zero(m, k->size), "%s: _free left bytes behind", k->name);
	k->fre(m); /* a second free of a zeroed message is harmless */
}

Test(wire_roundtrip, error)
{
	struct wire_error a, b;

	wt_error(&a);
	roundtrip(&kind_error, &a, &b);
	cr_assert_str_eq(a.code, b.code);
	cr_assert_str_eq(a.message, b.message);
	check_freed(&kind_error, &b);
}

Test(wire_roundtrip, register_req)
{
	struct wire_register_req a, b;

	wt_register_req(&a);
	roundtrip(&kind_register_req, &a, &b);
	wt_eq_bytes(&a.ek_cert, &b.ek_cert, "ek_cert");
	wt_eq_bytes(&a.ek_pub, &b.ek_pub, "ek_pub");
	wt_eq_bytes(&a.ak_pub, &b.ak_pub, "ak_pub");
	cr_assert_str_eq(a.hostname, b.hostname);
	cr_assert_str_eq(a.cvm, b.cvm);
	check_freed(&kind_register_req, &b);
	wt_release();
}

Test(wire_roundtrip, register_resp)
{
	struct wire_register_resp a, b;

	wt_register_resp(&a);
	roundtrip(&kind_register_resp, &a, &b);
	cr_assert_str_eq(a.agent_id, b.agent_id);
	wt_eq_bytes(&a.cred_blob, &b.cred_blob, "cred_blob");
	wt_eq_bytes(&a.cred_secret, &b.cred_secret, "cred_secret");
	check_freed(&kind_register_resp, &b);
	wt_release();
}

Test(wire_roundtrip, activate)
{
	struct wire_activate_req a, b;
	struct wire_activate_resp c, d;

	wt_activate_req(&a);
	roundtrip(&kind_activate_req, &a, &b);
	cr_assert_str_eq(a.agent_id, b.agent_id);
	wt_eq_bytes(&a.secret, &b.secret, "secret");
	check_freed(&kind_activate_req, &b);
	wt_activate_resp(&c);
	roundtrip(&kind_activate_resp, &c, &d);
	cr_assert_str_eq(c.status, d.status);
	check_freed(&kind_activate_resp, &d);
	wt_release();
}

Test(wire_roundtrip, challenge_resp)
{
	struct wire_challenge_resp a, b;

	wt_challenge_resp(&a);
	roundtrip(&kind_challenge_resp, &a, &b);
	cr_assert_eq(memcmp(a.nonce, b.nonce, sizeof(a.nonce)), 0);
	cr_assert_eq(a.expires, b.expires);
	check_freed(&kind_challenge_resp, &b);
}

Test(wire_roundtrip, attest_req_20k_eventlog_3_banks)
{
	struct wire_attest_req *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	cr_assert(a && b);
	wt_attest_req(a, 1);
	cr_assert_eq(a->eventlog.len, 20 * 1024);
	roundtrip(&kind_attest_req, a, b);
	wt_eq_attest_req(a, b);
	check_freed(&kind_attest_req, b);
	wt_release();
	free(a);
	free(b);
}

Test(wire_roundtrip, attest_req_banks_come_back_sorted)
{
	struct wire_attest_req a, b;
	struct wire_pcr_bank t;
	struct eph_err err = {{0}};
	uint8_t *buf = NULL;
	size_t len = 0;

	wt_attest_req(&a, 0);
	t = a.banks[0]; /* sha1, sha256, sha384 -> sha384, sha256, sha1 */
	a.banks[0] = a.banks[2];
	a.banks[2] = t;
	cr_assert_eq(wire_attest_req_encode(&buf, &len, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(wire_attest_req_decode(&b, buf, len, &err), 0, "%s", err.msg);
	cr_assert_eq(b.banks[0].alg, EPH_ALG_SHA1);
	cr_assert_eq(b.banks[1].alg, EPH_ALG_SHA256);
	cr_assert_eq(b.banks[2].alg, EPH_ALG_SHA384);
	cr_assert_eq(memcmp(b.banks[2].pcr, a.banks[0].pcr, sizeof(b.banks[2].pcr)), 0);
	wire_attest_req_free(&b);
	free(buf);
	wt_release();
}

Test(wire_roundtrip, attest_resp_8_attrs)
{
	struct wire_attest_resp a, b;

	wt_attest_resp(&a);
	roundtrip(&kind_attest_resp, &a, &b);
	cr_assert_eq(memcmp(a.result, b.result, sizeof(a.result)), 0);
	cr_assert_str_eq(a.directive, b.directive);
	cr_assert_eq(a.deadline, b.deadline);
	cr_assert_eq(b.num_attrs, 8);
	wt_eq_attrs(a.attrs, b.attrs, 8);
	check_freed(&kind_attest_resp, &b);
}

Test(wire_roundtrip, env_create_req)
{
	struct wire_env_create_req a, b;

	wt_env_create_req(&a);
	roundtrip(&kind_env_create_req, &a, &b);
	wt_eq_bytes(&a.claims, &b.claims, "claims");
	cr_assert_str_eq(b.ref_env, "");
	check_freed(&kind_env_create_req, &b);
	memset(&a, 0, sizeof(a));
	memcpy(a.ref_env, "env-20240430-0001", 18);
	roundtrip(&kind_env_create_req, &a, &b);
	cr_assert_str_eq(b.ref_env, "env-20240430-0001");
	cr_assert_eq(b.claims.len, 0);
	check_freed(&kind_env_create_req, &b);
	wt_release();
}

Test(wire_roundtrip, env)
{
	struct wire_env a, b;

	wt_env(&a);
	roundtrip(&kind_env, &a, &b);
	cr_assert_str_eq(a.env_id, b.env_id);
	cr_assert_str_eq(a.state, b.state);
	cr_assert_str_eq(a.reason, b.reason);
	cr_assert_str_eq(a.size, b.size);
	cr_assert_eq(a.count, b.count);
	cr_assert_eq(a.prewarm, b.prewarm);
	cr_assert_eq(a.vcpu_milli, b.vcpu_milli);
	cr_assert_eq(a.mem_mib, b.mem_mib);
	cr_assert_str_eq(a.network, b.network);
	cr_assert_str_eq(a.encryption, b.encryption);
	cr_assert_eq(a.ttl, b.ttl);
	cr_assert_eq(a.reattest, b.reattest);
	cr_assert_eq(b.num_attrs, 8);
	wt_eq_attrs(a.attrs, b.attrs, 8);
	check_freed(&kind_env, &b);
}

Test(wire_roundtrip, optional_empty_fields_are_left_out)
{
	struct wire_env a;
	struct eph_err err = {{0}};
	uint8_t *buf = NULL;
	size_t len = 0, elen = 0;
	uint8_t *exp;

	memset(&a, 0, sizeof(a));
	memcpy(a.env_id, "e1", 3);
	memcpy(a.state, "requested", 10);
	/* {1: 1, 42: "e1", 46: "requested"} */
	exp = wt_hex("a3 01 01 18 2a 62 6531 18 2e 69 726571756573746564", &elen);
	cr_assert_eq(wire_env_encode(&buf, &len, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(len, elen);
	cr_assert_eq(memcmp(buf, exp, len), 0);
	free(buf);
	free(exp);
}

/* The encoder's bytes, computed by hand from RFC 8949: shortest forms. */
Test(wire_interop, challenge_resp_encodes_to_known_bytes)
{
	struct wire_challenge_resp m;
	struct eph_err err = {{0}};
	uint8_t *buf = NULL, *exp;
	size_t len = 0, elen, i;

	for (i = 0; i < sizeof(m.nonce); i++)
		m.nonce[i] = (uint8_t)i;
	m.expires = 1700000000;
	exp = wt_hex("a3 01 01 03 5820 000102030405060708090a0b0c0d0e0f"
		     "101112131415161718191a1b1c1d1e1f 12 1a 6553f100",
		     &elen);
	cr_assert_eq(wire_challenge_resp_encode(&buf, &len, &m, &err), 0, "%s", err.msg);
	cr_assert_eq(len, elen);
	cr_assert_eq(memcmp(buf, exp, len), 0);
	free(buf);
	free(exp);
}

/*
 * Hand-written: keys out of order, a non-shortest integer (key 1 as
 * 0x18 0x01), a half-precision confidence, an unknown key 99 holding a
 * tagged array. Any RFC 8949 encoder may produce this.
 */
Test(wire_interop, handwritten_attest_resp_decodes)
{
	static const char hex[] =
		"a6"
		"18 1f 68 636f6e74696e7565"      /* 31: "continue" */
		"18 01 01"                       /* 1: 1 (key in 2 bytes) */
		"18 1e a2 05 18 60 02 02"        /* 30: {5: 96, 2: 2} */
		"18 63 c1 82 01 02"              /* 99: 1([1, 2]) */
		"18 21 82 83 64 726f6c65 65 61646d696e f9 3a00" /* 33: [["role","admin",0.75], */
		"83 62 6f73 65 6c696e7578 fb 3ff0000000000000" /*  ["os","linux",1.0]] */
		"18 20 1a 6553f100";             /* 32: 1700000000 */
	struct wire_attest_resp m;
	struct eph_err err = {{0}};
	uint8_t *buf;
	size_t len;

	buf = wt_hex(hex, &len);
	cr_assert_eq(wire_attest_resp_decode(&m, buf, len, &err), 0, "%s", err.msg);
	cr_assert_str_eq(m.directive, "continue");
	cr_assert_eq(m.result[WIRE_AR_CONFIGURATION], WIRE_TIER_AFFIRMING);
	cr_assert_eq(m.result[WIRE_AR_HARDWARE], WIRE_TIER_CONTRAINDICATED);
	cr_assert_eq(m.result[WIRE_AR_EXECUTABLES], WIRE_TIER_NONE);
	cr_assert_eq(m.deadline, 1700000000);
	cr_assert_eq(m.num_attrs, 2);
	cr_assert_str_eq(m.attrs[0].name, "role");
	cr_assert_str_eq(m.attrs[0].value, "admin");
	cr_assert_eq(m.attrs[0].confidence, 0.75f);
	cr_assert_str_eq(m.attrs[1].name, "os");
	cr_assert_eq(m.attrs[1].confidence, 1.0f);
	wire_attest_resp_free(&m);
	free(buf);
}

/* An activate_req as the agent's peers would write it by hand. */
Test(wire_interop, handwritten_activate_req_decodes)
{
	struct wire_activate_req m;
	struct eph_err err = {{0}};
	uint8_t *buf;
	size_t len;

	/* {1: 1, 2: "a-1", 17: h'00112233'} */
	buf = wt_hex("a3 01 01 02 63 612d31 11 44 00112233", &len);
	cr_assert_eq(wire_activate_req_decode(&m, buf, len, &err), 0, "%s", err.msg);
	cr_assert_str_eq(m.agent_id, "a-1");
	cr_assert_eq(m.secret.len, 4);
	cr_assert_eq(m.secret.p[3], 0x33);
	wire_activate_req_free(&m);
	cr_assert_null(m.secret.p);
	free(buf);
}
