/*
 * broker_fixture.h - a real ephemera-broker on 127.0.0.1 for each test, with
 * a swtpm TPM (swtpm-fixtures/), a temp store, a generated TLS certificate
 * (pinned by the client), the swtpm CA as EK trust, and a test policy
 * folder; plus a minimal agent/requester client built IN THE TEST from
 * libcurl, the wire encoders and libtpmq's agent functions (the real agent
 * client library, agent/client, may replace it later).
 *
 * Criterion forks a process per test and runs .init/.fini in it: each test
 * gets its own TPM and broker. Everything lives under
 * /tmp/eph-brokertest.<runner pid>/; a report hook in the runner stops what
 * a crashed test left and removes the folder.
 */
#ifndef BROKER_FIXTURE_H
#define BROKER_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "tpmq.h"
#include "wire.h"

struct bf_resp {
	long status;      /* HTTP status, 0 when the transfer failed */
	int curl_rc;      /* CURLcode */
	uint8_t *body;
	size_t len;
	char ctype[128];
};

/* The broker of the running test. */
struct bf {
	char dir[512];
	char state[600];   /* swtpm state */
	char tcti[128];
	char pin[128];     /* sha256//... of the broker's TLS key */
	char log[640];     /* the broker's stderr */
	unsigned port;
	int broker_pid;
	int tpm_up;
};
extern struct bf bf;

/* .init / .fini: swtpm up, broker up; and everything down. */
void bf_setup(void);
void bf_teardown(void);

/* Boot the TPM like firmware (tamper: PCR 8 lies); returns the log path. */
const char *bf_firmware_boot(int tamper);

/* One HTTPS request. accept may be NULL (CBOR). tls_max12: force TLS <= 1.2. */
void bf_http(struct bf_resp *out, const char *method, const char *path, const char *ctype,
	     const uint8_t *body, size_t len, const char *accept, int tls_max12);
void bf_resp_free(struct bf_resp *r);

/* Decode a wire_error body; asserts it is one. */
void bf_expect_error(const struct bf_resp *r, long status, const char *code,
		     const char *msg_part);

/* An enrolled agent: its TPM context (EK + AK loaded) and broker id. */
struct bf_agent {
	tpmq_tpm *tpm;
	char id[WIRE_MAX_TEXT];
};

/* Register (EK cert + EK pub + AK pub) and activate; asserts success. */
void bf_enrol(struct bf_agent *ag);
void bf_agent_close(struct bf_agent *ag);

/* GET /v1/challenge for agent_id; asserts 200. */
void bf_challenge(uint8_t nonce[WIRE_NONCE_LEN], const char *agent_id);

/*
 * Quote PCRs 0-10 (sha1 + sha256) with the agent's TPM over nonce, claim to
 * be agent_id, attach the event log at log_path (NULL: none), POST it.
 */
void bf_attest(struct bf_resp *out, tpmq_tpm *tpm, const char *agent_id,
	       const uint8_t nonce[WIRE_NONCE_LEN], const char *log_path);

/* bf_attest with an IMA list chunk (ima_len bytes, not owned) from entry
 * ima_offset. */
void bf_attest_ima(struct bf_resp *out, tpmq_tpm *tpm, const char *agent_id,
		   const uint8_t nonce[WIRE_NONCE_LEN], const char *log_path,
		   const uint8_t *ima, size_t ima_len, uint64_t ima_offset);

/*
 * Write policy/golden-pcrs.json from the TPM's sha256 PCRs 0-8 (corrupt >= 0:
 * that PCR's golden value is wrong), SIGHUP the broker and wait until it
 * logged the reload.
 */
void bf_golden(tpmq_tpm *tpm, int corrupt);

/* A counter from /metrics (the full series text, e.g.
 * "ephemera_attestations_total{result=\"refused\"}"); -1 if absent. */
long long bf_metric(const char *series);

/* Path of a file in the test's folder (rotating static buffers). */
const char *bf_path(const char *name);

#endif
