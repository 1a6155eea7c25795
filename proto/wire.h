/*
 * wire.h - Ephemera's wire protocol between agents/requesters and the
 * broker (prefix wire_): the CBOR map keys, shared by both sides, and the
 * typed messages with their encoders and hostile-input-safe decoders.
 *
 * Transport (not here): HTTPS, TLS 1.3, bodies `application/cbor`.
 *   POST /v1/agents/register   wire_register_req   -> wire_register_resp
 *   POST /v1/agents/activate   wire_activate_req   -> wire_activate_resp
 *   GET  /v1/challenge?agent=ID                    -> wire_challenge_resp
 *   POST /v1/attest            wire_attest_req     -> wire_attest_resp
 *   POST /v1/environments      wire_env_create_req -> wire_env
 *   GET/DELETE /v1/environments/{id}               -> wire_env
 *   any refusal                                    -> wire_error (4xx/5xx)
 *
 * Every body is one CBOR map with small unsigned integer keys (below).
 * Decoders: the whole body is bounded (WIRE_MAX_BODY), each byte string
 * and text string by its own cap, a key may appear once, a required key
 * must be present, a key of the wrong CBOR type is refused naming the key;
 * unknown keys are ignored so that a newer peer can add fields. Decoded
 * messages own copies of their bytes; free them with the matching _free.
 * Text strings are NUL-terminated after decoding and must not contain NUL.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

#define WIRE_VERSION 1
#define WIRE_MAX_BODY (4u << 20)   /* a whole request body */
#define WIRE_MAX_BLOB (2u << 20)   /* one event log / IMA chunk / report */
#define WIRE_MAX_SMALL 4096        /* keys, quotes, signatures, certs */
#define WIRE_MAX_TEXT 256          /* ids, names, reasons */
#define WIRE_NONCE_LEN 32
#define WIRE_MAX_PCR_BANKS 4
#define WIRE_MAX_ATTRS 32

/* Map keys. Numbers never change meaning; new ones go at the end. */
enum wire_key {
	WIRE_K_VERSION = 1,     /* uint: WIRE_VERSION */
	WIRE_K_AGENT_ID = 2,    /* tstr: the id the broker assigned at register */
	WIRE_K_NONCE = 3,       /* bstr(32) */
	WIRE_K_ERROR = 4,       /* tstr: one line, what was refused and why */
	WIRE_K_ERROR_CODE = 5,  /* tstr: stable machine code, e.g. "nonce-replayed" */

	WIRE_K_EK_CERT = 10,    /* bstr: EK certificate, DER */
	WIRE_K_EK_PUB = 11,     /* bstr: EK TPM2B_PUBLIC (when no certificate) */
	WIRE_K_AK_PUB = 12,     /* bstr: AK TPM2B_PUBLIC */
	WIRE_K_HOSTNAME = 13,   /* tstr */
	WIRE_K_CVM = 14,        /* tstr: "none" | "sev-snp" | "tdx" */
	WIRE_K_CRED_BLOB = 15,  /* bstr: TPM2B_ID_OBJECT */
	WIRE_K_CRED_SECRET = 16, /* bstr: TPM2B_ENCRYPTED_SECRET */
	WIRE_K_SECRET = 17,     /* bstr: the activated credential secret */
	WIRE_K_EXPIRES = 18,    /* uint: unix seconds */
	WIRE_K_STATUS = 19,     /* tstr */

	WIRE_K_QUOTE = 20,      /* bstr: TPMS_ATTEST */
	WIRE_K_SIG = 21,        /* bstr: TPMT_SIGNATURE */
	WIRE_K_PCRS = 22,       /* map{uint alg: map{uint pcr: bstr value}} */
	WIRE_K_EVENTLOG = 23,   /* bstr: TCG firmware event log */
	WIRE_K_IMA = 24,        /* bstr: IMA list entries from IMA_OFFSET on */
	WIRE_K_IMA_OFFSET = 25, /* uint: entry number the IMA chunk starts at */
	WIRE_K_SNP_REPORT = 26, /* bstr: SEV-SNP ATTESTATION_REPORT */
	WIRE_K_SNP_CERTS = 27,  /* bstr: GHCB certificate table (configfs auxblob) */
	WIRE_K_TDX_QUOTE = 28,  /* bstr: TDX quote */

	WIRE_K_RESULT = 30,     /* map{uint claim (1..8): int tier}: AR4SI vector */
	WIRE_K_DIRECTIVE = 31,  /* tstr: "continue" | "shutdown" */
	WIRE_K_DEADLINE = 32,   /* uint: unix seconds of the next attestation deadline */
	WIRE_K_ATTRS = 33,      /* array of [tstr name, tstr value, float confidence] */

	WIRE_K_CLAIMS = 40,     /* bstr: COSE_Sign1 CWT from a trusted issuer */
	WIRE_K_REF_ENV = 41,    /* tstr: the requester's own attested environment */
	WIRE_K_ENV_ID = 42,     /* tstr */
	WIRE_K_SIZE = 43,       /* tstr: chosen size name */
	WIRE_K_COUNT = 44,      /* uint */
	WIRE_K_PREWARM = 45,    /* uint */
	WIRE_K_STATE = 46,      /* tstr: lifecycle state */
	WIRE_K_VCPU_MILLI = 47, /* uint: policy CPU limit */
	WIRE_K_MEM_MIB = 48,    /* uint: policy memory limit */
	WIRE_K_NETWORK = 49,    /* tstr: "none" | "allowlist" | "full" */
	WIRE_K_ENCRYPTION = 50, /* tstr: "none" | "at-rest" | "confidential-only" */
	WIRE_K_TTL = 51,        /* uint: seconds */
	WIRE_K_REATTEST = 52,   /* uint: re-attestation period, seconds */
	WIRE_K_REASON = 53,     /* tstr: why the state is what it is */
};

/* A byte string owned by a decoded message (or borrowed, when encoding). */
struct wire_bytes {
	uint8_t *p;
	size_t len;
};

/* AR4SI trustworthiness claims (IETF RATS AR4SI, draft-ietf-rats-ar4si). */
enum wire_ar4si_claim {
	WIRE_AR_INSTANCE_IDENTITY = 1,
	WIRE_AR_CONFIGURATION = 2,
	WIRE_AR_EXECUTABLES = 3,
	WIRE_AR_FILE_SYSTEM = 4,
	WIRE_AR_HARDWARE = 5,
	WIRE_AR_RUNTIME_OPAQUE = 6,
	WIRE_AR_STORAGE_OPAQUE = 7,
	WIRE_AR_SOURCED_DATA = 8,
};
#define WIRE_AR_NUM 8

/* AR4SI tiers: none 0, affirming 2..31, warning 32..95, contraindicated 96..127
 * (draft-ietf-rats-ar4si, 2.3.3); we use the representative values. */
enum wire_ar4si_tier {
	WIRE_TIER_NONE = 0,
	WIRE_TIER_AFFIRMING = 2,
	WIRE_TIER_WARNING = 32,
	WIRE_TIER_CONTRAINDICATED = 96,
};

struct wire_pcr_bank {
	uint16_t alg;     /* TPM_ALG_ID */
	uint32_t mask;    /* which PCRs are present */
	uint8_t size;     /* digest size of alg */
	uint8_t pcr[24][64];
};

struct wire_attr {
	char name[WIRE_MAX_TEXT];
	char value[WIRE_MAX_TEXT];
	float confidence; /* [0,1] */
};

struct wire_error {
	char code[64];            /* WIRE_K_ERROR_CODE */
	char message[WIRE_MAX_TEXT]; /* WIRE_K_ERROR */
};

struct wire_register_req {
	struct wire_bytes ek_cert; /* one of ek_cert / ek_pub */
	struct wire_bytes ek_pub;
	struct wire_bytes ak_pub;  /* required */
	char hostname[WIRE_MAX_TEXT];
	char cvm[16];
};

struct wire_register_resp {
	char agent_id[WIRE_MAX_TEXT];
	struct wire_bytes cred_blob;
	struct wire_bytes cred_secret;
};

struct wire_activate_req {
	char agent_id[WIRE_MAX_TEXT];
	struct wire_bytes secret;
};

struct wire_activate_resp {
	char status[WIRE_MAX_TEXT];
};

struct wire_challenge_resp {
	uint8_t nonce[WIRE_NONCE_LEN];
	uint64_t expires;
};

struct wire_attest_req {
	char agent_id[WIRE_MAX_TEXT];
	uint8_t nonce[WIRE_NONCE_LEN];
	struct wire_bytes quote;
	struct wire_bytes sig;
	uint32_t num_banks;
	struct wire_pcr_bank banks[WIRE_MAX_PCR_BANKS];
	struct wire_bytes eventlog;   /* optional */
	struct wire_bytes ima;        /* optional */
	uint64_t ima_offset;
	struct wire_bytes snp_report; /* optional */
	struct wire_bytes snp_certs;  /* optional */
	struct wire_bytes tdx_quote;  /* optional */
};

struct wire_attest_resp {
	uint8_t result[WIRE_AR_NUM + 1]; /* indexed by enum wire_ar4si_claim */
	char directive[16];
	uint64_t deadline;
	uint32_t num_attrs;
	struct wire_attr attrs[WIRE_MAX_ATTRS];
};

struct wire_env_create_req {
	struct wire_bytes claims; /* one of claims / ref_env */
	char ref_env[WIRE_MAX_TEXT];
};

struct wire_env {
	char env_id[WIRE_MAX_TEXT];
	char state[32];
	char reason[WIRE_MAX_TEXT];
	char size[32];
	uint32_t count;
	uint32_t prewarm;
	uint32_t vcpu_milli;
	uint32_t mem_mib;
	char network[16];
	char encryption[24];
	uint64_t ttl;
	uint64_t reattest;
	uint32_t num_attrs;
	struct wire_attr attrs[WIRE_MAX_ATTRS];
};

/*
 * Encoders write a new CBOR buffer (*out, *out_len; free with free()).
 * Decoders fill *msg from a body; on failure msg holds nothing to free and
 * err names the key and the problem ("key 21 (sig): byte string of 70000
 * bytes exceeds 4096").
 */
#define WIRE_MESSAGE(name)                                                              \
	int wire_##name##_encode(uint8_t **out, size_t *out_len, const struct wire_##name *msg, \
				 struct eph_err *err);                                 \
	int wire_##name##_decode(struct wire_##name *msg, const uint8_t *buf, size_t len,    \
				 struct eph_err *err);                                 \
	void wire_##name##_free(struct wire_##name *msg);

WIRE_MESSAGE(error)
WIRE_MESSAGE(register_req)
WIRE_MESSAGE(register_resp)
WIRE_MESSAGE(activate_req)
WIRE_MESSAGE(activate_resp)
WIRE_MESSAGE(challenge_resp)
WIRE_MESSAGE(attest_req)
WIRE_MESSAGE(attest_resp)
WIRE_MESSAGE(env_create_req)
WIRE_MESSAGE(env)

#undef WIRE_MESSAGE

#endif
