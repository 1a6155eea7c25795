/*
 * mock_broker.h - the wire endpoints of a broker, verified with libtpmq and
 * libevlog, for driving libagentc against a real (software) TPM without the
 * real broker. See mock_broker.c.
 */
#ifndef AGENTC_MOCK_BROKER_H
#define AGENTC_MOCK_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "../../unit/agentc/tls_server.h"

struct mock_broker {
	const char *trust_dir; /* EK CA bundle (swtpm-ca.sh) */
	/* the one agent */
	char agent_id[64];
	char hostname[256];
	char cvm[16];
	size_t ek_cert_len;
	uint8_t *ak_pub;
	size_t ak_pub_len;
	uint8_t secret[32];
	int activated;
	uint8_t nonce[32];
	int nonce_live;
	uint64_t ima_next; /* entry number the next chunk must start at */
	/* counters and what the last attestation carried */
	int registers;
	int attests;
	size_t ima_bytes_seen;
	uint64_t last_ima_offset;
	size_t last_ima_len;
	size_t last_eventlog_len;
	char last_refusal[320];
};

/* ts_handler for struct ts_server; arg is the struct mock_broker. */
void mock_broker_handle(void *arg, const char *method, const char *path, const uint8_t *body,
                        size_t len, struct ts_reply *rep);
void mock_broker_free(struct mock_broker *m);

#endif
