/*
 * agentc.h - libagentc: the agent's side of the broker conversation
 * (prefix agentc_). HTTPS to the broker with libcurl, TLS 1.3 only, the
 * broker's certificate pinned (SPKI SHA-256 pin and/or a CA file), bounded
 * responses and timeouts; CBOR bodies through proto/wire.h. Two flows:
 *
 *   enrol:  EK cert (RSA, then ECC P-256, P-384; else the EK public) and
 *           EK + AK from the TPM -> POST /v1/agents/register -> the TPM
 *           activates the credential -> POST /v1/agents/activate; the agent
 *           id and the AK (public + TPM-wrapped private) go to the state
 *           folder, so that a restart reloads the AK instead of enrolling
 *           again.
 *   attest: GET /v1/challenge -> TPM quote over the nonce, PCR values,
 *           firmware event log, IMA entries since the last accepted
 *           attestation, SEV-SNP/TDX report over SHA-512(nonce || AK name)
 *           -> POST /v1/attest -> the broker's result or its refusal.
 *
 * The generic request (agentc_call) is public too, so that operator tools
 * (ephemeractl) share the one TLS/pinning implementation.
 *
 * Not here: when to attest and what to do with a directive (the agent
 * daemon), appraisal (the broker), TPM commands (libtpmq), report
 * collection (libtsm).
 *
 * A client is used by one thread at a time. Programs that make clients on
 * several threads call curl_global_init(CURL_GLOBAL_DEFAULT) first.
 *
 * Errors (return value, err names what failed):
 *   EPH_EIO        transport: connect, TLS handshake (e.g. a TLS 1.2-only
 *                  peer), timeout, response over the size bound, HTTP 5xx
 *   EPH_EVERIFY    the broker's certificate: pin mismatch or CA verification
 *   EPH_EPOLICY    the broker refused (HTTP 4xx other than 404); the
 *                  broker's code and message are in the refusal
 *   EPH_ENOTFOUND  HTTP 404 (e.g. an agent id the broker does not know:
 *                  enrol again with AGENTC_ENROL_FORCE)
 *   EPH_EFORMAT    a malformed response body, a malformed state file
 *   others         from libtpmq / libtsm / libevlog, message prefixed
 */
#ifndef AGENTC_H
#define AGENTC_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"
#include "tsm.h"
#include "wire.h"

typedef struct agentc agentc;     /* opaque: configuration, curl handle, state */
typedef struct tpmq_tpm tpmq_tpm; /* tpmq.h */

#define AGENTC_DEFAULT_EVENTLOG "/sys/kernel/security/tpm0/binary_bios_measurements"
#define AGENTC_DEFAULT_IMA "/sys/kernel/security/ima/binary_runtime_measurements"
#define AGENTC_DEFAULT_BOOT_ID "/proc/sys/kernel/random/boot_id"
/* Firmware and boot loader (0-9: what the TCG event log and grub/systemd-boot
 * measure) and IMA (10), in the SHA-256 bank that every TPM 2.0 has. */
#define AGENTC_DEFAULT_PCRS "sha256:0,1,2,3,4,5,6,7,8,9,10"
#define AGENTC_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define AGENTC_DEFAULT_TIMEOUT_MS 30000
#define AGENTC_MAX_PIN 512

/* Confidential-VM evidence. */
enum agentc_cvm {
	AGENTC_CVM_AUTO = 0, /* collect when configfs-tsm / sev-guest exists */
	AGENTC_CVM_NONE,     /* never */
	AGENTC_CVM_REQUIRE,  /* fail when no report can be collected */
};

struct agentc_config {
	const char *broker_url; /* "https://host:port" (no trailing path) */
	const char *pin;        /* "sha256//BASE64[;sha256//...]" (curl syntax) */
	const char *cacert;     /* PEM file of CAs for the broker's cert */
	/* At least one of pin / cacert. With only a pin, the chain and the host
	 * name are not checked (the pin is the trust); with a CA file both are,
	 * and with both the pin must match as well. */
	const char *unix_socket; /* reach the broker through this AF_UNIX socket
	                          * instead of TCP (URL host is then only the TLS
	                          * name): a sandbox's attestation channel that
	                          * works whatever its network policy; NULL: TCP */
	const char *state_dir;         /* agent state folder; NULL: no enrol/attest */
	long connect_timeout_ms;       /* 0: AGENTC_DEFAULT_CONNECT_TIMEOUT_MS */
	long timeout_ms;               /* whole request; 0: AGENTC_DEFAULT_TIMEOUT_MS */
	size_t max_response;           /* response body bound; 0: WIRE_MAX_BODY */
	const char *hostname;          /* sent at register; NULL: gethostname() */
	int ak_alg;                    /* enum tpmq_keyalg of the AK; 0: RSA 2048 */
	enum agentc_cvm cvm;           /* SEV-SNP / TDX evidence: register and attest */
	const struct tsm_options *tsm; /* copied; its strings must outlive the
	                                * client. NULL: libtsm defaults */
};

/* Where the evidence comes from. NULL members take the defaults. */
struct agentc_evidence {
	const char *pcrs;     /* tpm2-tools selection; NULL: AGENTC_DEFAULT_PCRS */
	const char *eventlog; /* NULL: default, omitted if absent; "": never */
	const char *ima;      /* NULL: default, omitted if absent; "": never */
	const char *boot_id;  /* NULL: AGENTC_DEFAULT_BOOT_ID; a new boot restarts IMA at 0 */
};

/* What the broker said when it did not answer 2xx. */
struct agentc_refusal {
	long http_status;            /* 0: no HTTP answer at all */
	char code[64];               /* wire_error code, "" if none */
	char message[WIRE_MAX_TEXT]; /* wire_error message or a body excerpt */
};

/*
 * Check cfg (URL https://, a pin of the right syntax and/or a readable CA
 * file) and make a client. Nothing goes on the network and no file is
 * written here. Free with agentc_free().
 */
int agentc_new(agentc **out, const struct agentc_config *cfg, struct eph_err *err);
void agentc_free(agentc *a);

/* ---------------------------------------------------------------------- */
/* Requests                                                                */
/* ---------------------------------------------------------------------- */

struct agentc_response {
	long status;           /* HTTP status */
	char content_type[64]; /* without parameters, lower case; "" if none */
	uint8_t *body;         /* owned, NUL-terminated (not counted in len) */
	size_t len;
};

/*
 * method ("GET", "POST", "DELETE") path ("/v1/...", already escaped) on the
 * configured broker. accept and content_type may be NULL. On a 2xx answer
 * returns 0 and fills *out (free with agentc_response_clear). Otherwise
 * returns an error (see the top of this file); refusal (may be NULL) then
 * holds the status and the broker's wire_error (CBOR) or {"error","code"}
 * (JSON) or an excerpt of the body, and err reads e.g.
 * "POST /v1/attest: HTTP 403 pcr-mismatch: PCR 8 differs from the event log".
 */
int agentc_call(struct agentc_response *out, struct agentc_refusal *refusal, agentc *a,
                const char *method, const char *path, const char *accept, const char *content_type,
                const uint8_t *body, size_t len, struct eph_err *err);

void agentc_response_clear(struct agentc_response *r);

/* ---------------------------------------------------------------------- */
/* Enrolment                                                               */
/* ---------------------------------------------------------------------- */

#define AGENTC_ENROL_FORCE 0x1 /* enrol again even when the state folder has an AK */

enum agentc_enrolment {
	AGENTC_ENROLLED = 1, /* registered and activated just now */
	AGENTC_RELOADED = 2, /* state folder had an id and AK; AK loaded, no network */
};

/*
 * Make tpm ready to attest for this agent. Without AGENTC_ENROL_FORCE and
 * with a complete state folder: recreate the recorded EK and load the saved
 * AK. Otherwise: pick the EK (certificate in NV: RSA 2048, ECC P-256, ECC
 * P-384 in that order; none: RSA 2048 EK public only), create EK and AK,
 * register, activate the credential in the TPM, send the secret back, and
 * save the state (files 0600, each written to a temporary name, fsynced and
 * renamed; the agent file last, so that a crash leaves the old state or
 * none). *how says which happened. refusal may be NULL.
 */
int agentc_enrol(enum agentc_enrolment *how, struct agentc_refusal *refusal, agentc *a,
                 tpmq_tpm *tpm, unsigned flags, struct eph_err *err);

/* The agent id (after agentc_enrol or agentc_state_load), or NULL. */
const char *agentc_agent_id(const agentc *a);

/*
 * Read the state folder without touching the TPM: EPH_ENOTFOUND when there
 * is no state or it records another broker URL (agentc_enrol then enrols
 * with this one and replaces it), EPH_EFORMAT for a damaged one. Exposed
 * for tools and tests.
 */
int agentc_state_load(agentc *a, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Attestation                                                             */
/* ---------------------------------------------------------------------- */

struct agentc_result {
	struct wire_attest_resp resp;  /* the broker's result when it answered 2xx */
	struct agentc_refusal refusal; /* when it refused */
	uint64_t ima_offset;           /* IMA entry number the chunk sent started at */
	uint64_t ima_entries;          /* entries sent in this attestation */
	size_t eventlog_len;           /* bytes of firmware log sent (0: none) */
	char cvm[16];                  /* "none", "sev-snp", "tdx": what was sent */
};

/*
 * One attestation round (agentc_enrol first). Returns 0 when the broker
 * answered with a result (whatever its verdict: read resp.directive), and
 * then advances the IMA offset in the state folder; EPH_EPOLICY /
 * EPH_ENOTFOUND when it refused (refusal filled), other errors otherwise.
 * ev may be NULL (all defaults).
 */
int agentc_attest(struct agentc_result *out, agentc *a, tpmq_tpm *tpm,
                  const struct agentc_evidence *ev, struct eph_err *err);

#endif
