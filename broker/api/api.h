/*
 * api.h - the broker's HTTPS API (prefix api_): TLS 1.3 over libevent's
 * evhttp with OpenSSL bufferevents, one handler per endpoint, CBOR bodies
 * (proto/wire.h) and JSON for humans.
 *
 *   POST   /v1/agents/register            wire_register_req -> wire_register_resp
 *   POST   /v1/agents/activate            wire_activate_req -> wire_activate_resp
 *   GET    /v1/challenge?agent=ID                           -> wire_challenge_resp
 *   POST   /v1/attest                     wire_attest_req   -> wire_attest_resp
 *   POST   /v1/environments               wire_env_create_req -> wire_env
 *   GET    /v1/environments[/ID]          list / wire_env
 *   DELETE /v1/environments/ID                              -> wire_env
 *   GET    /v1/agents, /v1/agents/ID/attestations   (human: JSON or CBOR)
 *   GET    /metrics (Prometheus text), /healthz ("ok")
 *   any refusal -> wire_error (CBOR) or {"error_code","error"} (JSON)
 *
 * The library does the work; the daemon (broker/daemon) parses options,
 * owns the event loop and signals, and prints the log lines this library
 * hands it through api_config.log.
 *
 * Not here: the event loop itself, option parsing, the drivers (the
 * daemon makes one and lends it: api_config.driver).
 */
#ifndef API_H
#define API_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

struct event_base;
struct driver;

typedef struct api api;

enum api_log_level {
	API_LOG_ERROR = 0,
	API_LOG_WARN = 1,
	API_LOG_INFO = 2,
	API_LOG_DEBUG = 3,
};

/* One event: what happened, and why (may be ""). Called on the loop thread. */
typedef void (*api_log_fn)(void *ctx, enum api_log_level level, const char *what,
			   const char *why);

struct api_config {
	const char *listen_addr;   /* "127.0.0.1" when NULL */
	uint16_t port;             /* 0: an ephemeral port (see api_port) */
	const char *tls_cert;      /* PEM server certificate (chain) file, required */
	const char *tls_key;       /* PEM private key file, required */
	const char *store_path;    /* SQLite store, required */
	const char *ek_trust_dir;  /* *.pem EK CAs, required */
	const char *amd_roots_dir; /* SEV-SNP ARK/ASK (+CRL) folder; NULL: SNP refused */
	const char *intel_root;    /* Intel SGX root CA PEM; NULL: TDX refused */
	const char *cwt_trust_dir; /* CWT issuer keys; NULL: claims refused */
	const char *policy_dir;    /* policy folder; NULL: built-in defaults */
	const char *qnet_model;    /* Q-network model file; NULL: baseline decider */
	int allow_uncertified_ek;  /* 1: register with ek_pub alone (no EK certificate) */
	int timeout_s;             /* per-connection read/write timeout; 0: 30 s */
	unsigned nonce_ttl_s;      /* challenge lifetime; 0: 60 s */
	/*
	 * Provisioning. NULL driver: admitted environments stay admitted.
	 * With one, a lifecycle thread makes each admitted environment with
	 * it, runs env_agent inside (absolute path of ephemera-agent), binds
	 * that agent by its vTPM EK, and ends environments on TTL, drift,
	 * missed re-attestation, exit or delete. The agents reach the broker
	 * through unix_socket (required then), served like the TCP port.
	 */
	struct driver *driver;     /* borrowed: must outlive the api */
	const char *env_agent;
	const char *unix_socket;
	int lc_grace_s;            /* re-attestation grace; 0: 30 s */
	const char *disk_master;   /* master secret of the at-rest data-disk keys
				    * (made on first use); NULL: at-rest disks off */
	int lc_boot_s;             /* first attestation at most this long after the
				    * start (+ grace); 0: the period */
	unsigned lc_tick_ms;       /* lifecycle pass period; 0: 1000 */
	api_log_fn log;            /* NULL: silent. Called on the loop thread and
				    * on the lifecycle thread: must be thread-safe */
	void *log_ctx;
};

/*
 * Open the store, load the TLS key and certificate (TLS 1.3 only), the
 * trust folders and the policy, and bind to listen_addr:port on base.
 * Requests are served whenever the caller runs base. Free with api_free().
 */
int api_new(api **out, struct event_base *base, const struct api_config *cfg,
	    struct eph_err *err);

/* Stop listening, close every connection, the store and the caches. */
void api_free(api *a);

/* The port actually bound (useful with port 0). */
uint16_t api_port(const api *a);

/*
 * Re-read the policy folder. The new policy replaces the old one only if it
 * loads and validates completely; otherwise the old one stays and err says
 * why. For SIGHUP.
 */
int api_reload_policy(api *a, struct eph_err *err);

/*
 * Create a P-256 key and a self-signed certificate for the broker
 * (CN=ephemera-broker, subjectAltName IP:127.0.0.1 and DNS:localhost, valid
 * for `days`), written to key_path (mode 0600) and cert_path. pin receives
 * the SHA-256 of the certificate's SubjectPublicKeyInfo in the form curl's
 * CURLOPT_PINNEDPUBLICKEY takes ("sha256//BASE64", pin_len >= 52).
 */
int api_tls_self_signed(char *pin, size_t pin_len, const char *key_path, const char *cert_path,
			unsigned days, struct eph_err *err);

/* The same pin computed from an existing PEM certificate file. */
int api_tls_pin(char *pin, size_t pin_len, const char *cert_path, struct eph_err *err);

#endif
