/*
 * messages.c - the ten wire messages of proto/wire.h as field tables, and
 * their public wire_<msg>_encode / _decode / _free, which only hand the
 * table to encode.c / decode.c.
 *
 * A table row is {key, name, type, offset, cap, count offset, required,
 * nested handler}; rows are in ascending key order (the encoder writes them
 * in that order after WIRE_K_VERSION). Example, a register_resp:
 *   a4 01 01 02 62 6131 0f 42 aabb 10 42 ccdd
 *   {1: 1, 2: "a1", 15: h'aabb', 16: h'ccdd'}
 *
 * Rules beyond the rows: a register_req names its EK by ek_cert, ek_pub or
 * both; an env_create_req carries exactly one of claims / ref_env.
 * Requests and responses must carry version WIRE_VERSION; wire_error is
 * read whatever its version (see decode.c).
 *
 * Not here: what the values mean (the broker and the agent decide).
 */
#include <stddef.h>

#include "wire-priv.h"

#define MEMBER_SIZE(s, fld) sizeof(((s *)0)->fld)
#define TEXT(k, n, s, fld, req) \
	{k, n, WIRE_T_TEXT, offsetof(s, fld), MEMBER_SIZE(s, fld), 0, req, NULL}
#define BYTES(k, n, s, fld, cap, req) \
	{k, n, WIRE_T_BYTES, offsetof(s, fld), cap, 0, req, NULL}
#define FIXED(k, n, s, fld, req) \
	{k, n, WIRE_T_FIXED, offsetof(s, fld), MEMBER_SIZE(s, fld), 0, req, NULL}
#define U64(k, n, s, fld, req) {k, n, WIRE_T_UINT64, offsetof(s, fld), 0, 0, req, NULL}
#define U32(k, n, s, fld, req) {k, n, WIRE_T_UINT32, offsetof(s, fld), 0, 0, req, NULL}
#define NESTED(k, n, s, fld, cnt, req, ops) \
	{k, n, WIRE_T_CUSTOM, offsetof(s, fld), 0, cnt, req, ops}

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct wire__field error_fields[] = {
	TEXT(WIRE_K_ERROR, "error", struct wire_error, message, true),
	TEXT(WIRE_K_ERROR_CODE, "error_code", struct wire_error, code, true),
};

static const struct wire__field register_req_fields[] = {
	BYTES(WIRE_K_EK_CERT, "ek_cert", struct wire_register_req, ek_cert, WIRE_MAX_SMALL,
	      false),
	BYTES(WIRE_K_EK_PUB, "ek_pub", struct wire_register_req, ek_pub, WIRE_MAX_SMALL, false),
	BYTES(WIRE_K_AK_PUB, "ak_pub", struct wire_register_req, ak_pub, WIRE_MAX_SMALL, true),
	TEXT(WIRE_K_HOSTNAME, "hostname", struct wire_register_req, hostname, false),
	TEXT(WIRE_K_CVM, "cvm", struct wire_register_req, cvm, false),
};

static const struct wire__field register_resp_fields[] = {
	TEXT(WIRE_K_AGENT_ID, "agent_id", struct wire_register_resp, agent_id, true),
	BYTES(WIRE_K_CRED_BLOB, "cred_blob", struct wire_register_resp, cred_blob, WIRE_MAX_SMALL,
	      true),
	BYTES(WIRE_K_CRED_SECRET, "cred_secret", struct wire_register_resp, cred_secret,
	      WIRE_MAX_SMALL, true),
};

static const struct wire__field activate_req_fields[] = {
	TEXT(WIRE_K_AGENT_ID, "agent_id", struct wire_activate_req, agent_id, true),
	BYTES(WIRE_K_SECRET, "secret", struct wire_activate_req, secret, WIRE_MAX_SMALL, true),
};

static const struct wire__field activate_resp_fields[] = {
	TEXT(WIRE_K_STATUS, "status", struct wire_activate_resp, status, true),
};

static const struct wire__field challenge_resp_fields[] = {
	FIXED(WIRE_K_NONCE, "nonce", struct wire_challenge_resp, nonce, true),
	U64(WIRE_K_EXPIRES, "expires", struct wire_challenge_resp, expires, true),
};

static const struct wire__field attest_req_fields[] = {
	TEXT(WIRE_K_AGENT_ID, "agent_id", struct wire_attest_req, agent_id, true),
	FIXED(WIRE_K_NONCE, "nonce", struct wire_attest_req, nonce, true),
	BYTES(WIRE_K_QUOTE, "quote", struct wire_attest_req, quote, WIRE_MAX_SMALL, true),
	BYTES(WIRE_K_SIG, "sig", struct wire_attest_req, sig, WIRE_MAX_SMALL, true),
	NESTED(WIRE_K_PCRS, "pcrs", struct wire_attest_req, banks,
	       offsetof(struct wire_attest_req, num_banks), true, &wire__pcrs_ops),
	BYTES(WIRE_K_EVENTLOG, "eventlog", struct wire_attest_req, eventlog, WIRE_MAX_BLOB, false),
	BYTES(WIRE_K_IMA, "ima", struct wire_attest_req, ima, WIRE_MAX_BLOB, false),
	U64(WIRE_K_IMA_OFFSET, "ima_offset", struct wire_attest_req, ima_offset, false),
	BYTES(WIRE_K_SNP_REPORT, "snp_report", struct wire_attest_req, snp_report, WIRE_MAX_BLOB,
	      false),
	BYTES(WIRE_K_SNP_CERTS, "snp_certs", struct wire_attest_req, snp_certs, WIRE_MAX_BLOB,
	      false),
	BYTES(WIRE_K_TDX_QUOTE, "tdx_quote", struct wire_attest_req, tdx_quote, WIRE_MAX_BLOB,
	      false),
};

static const struct wire__field attest_resp_fields[] = {
	NESTED(WIRE_K_RESULT, "result", struct wire_attest_resp, result, 0, false,
	       &wire__result_ops),
	TEXT(WIRE_K_DIRECTIVE, "directive", struct wire_attest_resp, directive, true),
	U64(WIRE_K_DEADLINE, "deadline", struct wire_attest_resp, deadline, false),
	NESTED(WIRE_K_ATTRS, "attrs", struct wire_attest_resp, attrs,
	       offsetof(struct wire_attest_resp, num_attrs), false, &wire__attrs_ops),
};

static const struct wire__field env_create_req_fields[] = {
	BYTES(WIRE_K_CLAIMS, "claims", struct wire_env_create_req, claims, WIRE_MAX_SMALL, false),
	TEXT(WIRE_K_REF_ENV, "ref_env", struct wire_env_create_req, ref_env, false),
};

static const struct wire__field env_fields[] = {
	NESTED(WIRE_K_ATTRS, "attrs", struct wire_env, attrs, offsetof(struct wire_env, num_attrs),
	       false, &wire__attrs_ops),
	TEXT(WIRE_K_ENV_ID, "env_id", struct wire_env, env_id, true),
	TEXT(WIRE_K_SIZE, "size", struct wire_env, size, false),
	U32(WIRE_K_COUNT, "count", struct wire_env, count, false),
	U32(WIRE_K_PREWARM, "prewarm", struct wire_env, prewarm, false),
	TEXT(WIRE_K_STATE, "state", struct wire_env, state, true),
	U32(WIRE_K_VCPU_MILLI, "vcpu_milli", struct wire_env, vcpu_milli, false),
	U32(WIRE_K_MEM_MIB, "mem_mib", struct wire_env, mem_mib, false),
	TEXT(WIRE_K_NETWORK, "network", struct wire_env, network, false),
	TEXT(WIRE_K_ENCRYPTION, "encryption", struct wire_env, encryption, false),
	U64(WIRE_K_TTL, "ttl", struct wire_env, ttl, false),
	U64(WIRE_K_REATTEST, "reattest", struct wire_env, reattest, false),
	TEXT(WIRE_K_REASON, "reason", struct wire_env, reason, false),
};

static int register_req_check(const void *msg, struct eph_err *err)
{
	const struct wire_register_req *m = msg;

	if (m->ek_cert.len == 0 && m->ek_pub.len == 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "neither key 10 (ek_cert) nor key 11 (ek_pub) present");
	return 0;
}

static int env_create_req_check(const void *msg, struct eph_err *err)
{
	const struct wire_env_create_req *m = msg;

	if (m->claims.len == 0 && m->ref_env[0] == '\0')
		return eph_err_set(err, EPH_EFORMAT,
				   "neither key 40 (claims) nor key 41 (ref_env) present");
	if (m->claims.len != 0 && m->ref_env[0] != '\0')
		return eph_err_set(err, EPH_EFORMAT,
				   "both key 40 (claims) and key 41 (ref_env) present, expected one");
	return 0;
}

#define MSG(n, vrule, chk) \
	static const struct wire__msg n##_msg = {#n, sizeof(struct wire_##n), vrule, n##_fields, \
						 NFIELDS(n##_fields), chk}

MSG(error, WIRE_V_ANY, NULL);
MSG(register_req, WIRE_V_EXACT, register_req_check);
MSG(register_resp, WIRE_V_EXACT, NULL);
MSG(activate_req, WIRE_V_EXACT, NULL);
MSG(activate_resp, WIRE_V_EXACT, NULL);
MSG(challenge_resp, WIRE_V_EXACT, NULL);
MSG(attest_req, WIRE_V_EXACT, NULL);
MSG(attest_resp, WIRE_V_EXACT, NULL);
MSG(env_create_req, WIRE_V_EXACT, env_create_req_check);
MSG(env, WIRE_V_EXACT, NULL);

/* The public functions: each is one call into the generic code. */
#define WIRE_IMPL(n)                                                                        \
	int wire_##n##_encode(uint8_t **out, size_t *out_len, const struct wire_##n *msg,   \
			      struct eph_err *err)                                          \
	{                                                                                   \
		return wire__encode(out, out_len, &n##_msg, msg, err);                      \
	}                                                                                   \
	int wire_##n##_decode(struct wire_##n *msg, const uint8_t *buf, size_t len,         \
			      struct eph_err *err)                                          \
	{                                                                                   \
		return wire__decode(&n##_msg, msg, buf, len, err);                          \
	}                                                                                   \
	void wire_##n##_free(struct wire_##n *msg)                                          \
	{                                                                                   \
		wire__free(&n##_msg, msg);                                                  \
	}

WIRE_IMPL(error)
WIRE_IMPL(register_req)
WIRE_IMPL(register_resp)
WIRE_IMPL(activate_req)
WIRE_IMPL(activate_resp)
WIRE_IMPL(challenge_resp)
WIRE_IMPL(attest_req)
WIRE_IMPL(attest_resp)
WIRE_IMPL(env_create_req)
WIRE_IMPL(env)
