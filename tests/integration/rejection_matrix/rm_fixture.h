/*
 * rm_fixture.h - the rejection matrix's world: one real ephemera-broker
 * (fork+exec of the built binary on 127.0.0.1, a fresh SQLite store, the
 * swtpm fixture CA as EK trust, a CWT issuer, the shared vectors' AMD roots
 * and Intel root when present), one swtpm TPM booted like firmware, and
 * two enrolled agents on it (A and B, each with its own AK). The rows of
 * test_rejection_matrix.c build their bad input from the good one made
 * here, send it, and read back what the broker recorded: the store opened
 * read-only, and the broker's log.
 *
 * Deliberately not here: any check of a row (the table does that), other
 * tests' fixtures (tests/integration/broker_api is the model, not a
 * dependency). Everything lives under /tmp/eph-rejmatrix.<runner pid>/.
 */
#ifndef RM_FIXTURE_H
#define RM_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "tpmq.h"
#include "wire.h"

struct rm_resp {
	long status;      /* HTTP status, 0 when the transfer failed */
	int curl_rc;      /* CURLcode */
	uint8_t *body;
	size_t len;
	char ctype[128];
};

/* An enrolled agent: broker id and its AK, to reload it into the TPM. */
struct rm_agent {
	char id[WIRE_MAX_TEXT];
	uint8_t *ak_pub, *ak_priv;
	size_t ak_pub_len, ak_priv_len;
};

struct rm {
	char dir[512];
	char state[600];     /* swtpm state folder */
	char tcti[128];
	char pin[128];       /* sha256//... of the broker's TLS key */
	char log[640];       /* the broker's stderr */
	char store[640];     /* the broker's SQLite store */
	char evlog[640];     /* the firmware event log of the boot */
	unsigned port;
	int broker_pid;
	int tpm_up;
	int have_snp, have_tdx; /* AMD roots / Intel root given to the broker */
	char tdx_mrtd[97];   /* MRTD of the TDX vector quote, listed in the policy */
	tpmq_tpm *tpm;       /* open, EK created, some AK loaded (rm_use) */
	const struct rm_agent *loaded;
	struct rm_agent a, b; /* enrolled and activated */
	uint8_t *ek_cert, *ek_pub;
	size_t ek_cert_len, ek_pub_len;
	/* AKs made with tpm2-tools before enrolment: not restricted, not fixedTPM */
	uint8_t *ak_unrestricted, *ak_unfixed;
	size_t ak_unrestricted_len, ak_unfixed_len;
};
extern struct rm rm;

/* .init / .fini: the whole world up, and down. */
void rm_setup(void);
void rm_teardown(void);

/* Path of a file in the test's folder (rotating static buffers). */
const char *rm_path(const char *name);

/* One HTTPS request (TLS 1.3, pinned). ctype NULL: no Content-Type. */
void rm_http(struct rm_resp *out, const char *method, const char *path, const char *ctype,
	     const uint8_t *body, size_t len, const char *accept);
void rm_resp_free(struct rm_resp *r);

/* Register ek_cert/ek_pub/ak_pub; the raw response (201 expected when good). */
void rm_register(struct rm_resp *out, const uint8_t *ek_cert, size_t ek_cert_len,
		 const uint8_t *ak_pub, size_t ak_pub_len);

/* Load ag's AK into the TPM (no-op when it is the loaded one). */
void rm_use(const struct rm_agent *ag);

/* GET /v1/challenge for agent_id; asserts 200. */
void rm_challenge(uint8_t nonce[WIRE_NONCE_LEN], const char *agent_id);

/*
 * The good attestation of the loaded AK: quote of PCRs 0-10 (sha1 +
 * sha256) over quote_nonce, the PCR values read, the event log; claims to be
 * agent_id with req_nonce. The caller frees with rm_attest_free.
 */
struct wire_attest_req *rm_attest_build(const char *agent_id, const uint8_t *req_nonce,
					const uint8_t *quote_nonce);
void rm_attest_free(struct wire_attest_req *req);
/* Encode (asserts). */
void rm_attest_encode(uint8_t **body, size_t *len, const struct wire_attest_req *req);

/* Rewrite policy/<name> (NULL text: remove it), SIGHUP, wait for the reload
 * line; asserts the reload was accepted. */
void rm_policy_file(const char *name, const char *text);
/* golden-pcrs.json from the TPM's sha256 PCRs 0-8 (corrupt >= 0: that one
 * wrong), then reload. */
void rm_golden(int corrupt);

/* The store, opened read-only for each query. */
long long rm_sql_int(const char *sql, const char *arg);
/* The text of the first column of the first row, "" when none (static). */
const char *rm_sql_text(const char *sql, const char *arg);

/* The broker's log from byte `from` on (malloc'd, NUL-terminated), and its size. */
char *rm_log_since(size_t from);
size_t rm_log_size(void);

/* A counter from /metrics (full series text); -1 if absent. */
long long rm_metric(const char *series);

/* Mint a CWT signed with the issuer key file key_pem claiming iss. */
void rm_cwt(uint8_t **tok, size_t *len, const char *key_pem, const char *iss, int64_t exp);

#endif
