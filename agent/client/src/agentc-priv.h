/*
 * agentc-priv.h - what the files of libagentc share: the client object,
 * the CBOR request helper, the state folder and the evidence readers.
 * Not a public interface.
 */
#ifndef AGENTC_PRIV_H
#define AGENTC_PRIV_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "agentc.h"
#include "tpmq.h"

struct agentc {
	char *url;       /* broker base URL, no trailing '/' */
	char *pin;       /* curl pin string or NULL */
	char *unix_socket; /* AF_UNIX path to the broker, or NULL: TCP */
	char *cacert;    /* CA file or NULL */
	char *state_dir; /* NULL: no enrol/attest */
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response;
	char hostname[WIRE_MAX_TEXT];
	int ak_alg; /* enum tpmq_keyalg */
	enum agentc_cvm cvm;
	struct tsm_options tsm;
	int have_tsm; /* tsm holds the caller's options */
	CURL *curl;   /* kept across requests for connection reuse */
	char curl_err[CURL_ERROR_SIZE];

	/* State (agentc_state_load / agentc_enrol). */
	int have_state;
	char agent_id[WIRE_MAX_TEXT];
	int ek_alg; /* the EK the AK lives under */
	uint8_t *ak_pub;
	size_t ak_pub_len;
	uint8_t *ak_priv; /* TPM2B_PRIVATE, wrapped by the EK */
	size_t ak_priv_len;
	uint8_t ak_name[TPMQ_NAME_MAX];
	size_t ak_name_len;
	const tpmq_tpm *ready_tpm; /* the context the AK is loaded in */

	/* IMA progress: entries and bytes the broker has accepted in this boot. */
	char boot_id[64];
	uint64_t ima_entries;
	uint64_t ima_bytes;
};

/* CBOR request: encode nothing, send body, expect application/cbor back. */
int agentc__cbor_call(struct agentc_response *out, struct agentc_refusal *refusal, agentc *a,
                      const char *method, const char *path, const uint8_t *body, size_t len,
                      struct eph_err *err);

/* State folder (state.c). */
int agentc__state_save(agentc *a, struct eph_err *err);
int agentc__ima_save(agentc *a, struct eph_err *err);
int agentc__write_atomic(const char *dir, const char *name, const uint8_t *buf, size_t len,
                         struct eph_err *err);
void agentc__state_clear(agentc *a);
/* Take ownership of a new AK's blobs (clearing any old state) and compute
 * its name; the caller sets agent_id/ek_alg and have_state. */
int agentc__state_set_ak(agentc *a, uint8_t *pub, size_t pub_len, uint8_t *priv, size_t priv_len,
                         struct eph_err *err);
const char *agentc__alg_name(int alg);
int agentc__alg_from_name(const char *name);

/* Evidence (evidence.c). */
/* Collect a confidential-VM report over SHA-512(nonce || AK name) as
 * configured: *kind is "none", "sev-snp" or "tdx"; ev is cleared for
 * "none". */
int agentc__cvm_collect(struct tsm_evidence *ev, char kind[16], const agentc *a,
                        const uint8_t *nonce, size_t nonce_len, struct eph_err *err);
struct agentc__ima_chunk {
	uint8_t *buf; /* owned; NULL when there is nothing new */
	size_t len;
	uint64_t entries;     /* whole entries in buf */
	uint64_t start;       /* entry number of the first */
	uint64_t start_bytes; /* byte offset of the first in the list */
	char boot_id[64];     /* the boot these numbers belong to */
};
int agentc__read_optional(uint8_t **out, size_t *len, const char *path, const char *dflt,
                          size_t max, const char *what, struct eph_err *err);
int agentc__ima_read(struct agentc__ima_chunk *out, const agentc *a, const char *path,
                     const char *boot_id_path, struct eph_err *err);
/* Count the whole binary IMA entries at the start of buf, at most max_bytes;
 * *used gets their total length. EPH_EFORMAT for an impossible entry. */
int agentc__ima_walk(uint64_t *entries, size_t *used, const uint8_t *buf, size_t len,
                     size_t max_bytes, struct eph_err *err);

#endif
