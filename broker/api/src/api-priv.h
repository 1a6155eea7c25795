/*
 * api-priv.h - what the files of broker/api share: the server object, the
 * per-request context every handler receives, the response helpers, the
 * AK cache, the metrics and the broker-side policy knobs.
 *
 * Not here: anything a handler alone needs (it stays in its file).
 */
#ifndef API_PRIV_H
#define API_PRIV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api.h"
#include "store.h"
#include "tpmq.h"

struct evhttp;
struct evhttp_request;
struct evhttp_bound_socket;
typedef struct ssl_ctx_st SSL_CTX;

/* HTTP statuses the API answers with. */
enum {
	API_HTTP_OK = 200,
	API_HTTP_CREATED = 201,
	API_HTTP_ACCEPTED = 202,
	API_HTTP_BAD_REQUEST = 400,
	API_HTTP_UNAUTHORIZED = 401,
	API_HTTP_FORBIDDEN = 403,
	API_HTTP_NOT_FOUND = 404,
	API_HTTP_METHOD = 405,
	API_HTTP_CONFLICT = 409,
	API_HTTP_TOO_LARGE = 413,
	API_HTTP_MEDIA_TYPE = 415,
	API_HTTP_UNPROCESSABLE = 422,
	API_HTTP_INTERNAL = 500,
	API_HTTP_UNAVAILABLE = 503,
};

/* ---------------------------------------------------------------------- */
/* Metrics (api_metrics.c)                                                 */
/* ---------------------------------------------------------------------- */

#define API_HIST_BUCKETS 12 /* ephemera_attest_seconds upper bounds, +Inf extra */
#define API_MAX_HTTP_SERIES 128

struct api__http_series {
	const char *path; /* a route pattern (static string), bounded cardinality */
	int code;
	uint64_t count;
};

struct api__metrics {
	uint64_t attest_accepted;
	uint64_t attest_refused;
	uint64_t attest_hist[API_HIST_BUCKETS + 1]; /* non-cumulative counts */
	double attest_sum;
	uint64_t attest_count;
	size_t nseries;
	struct api__http_series series[API_MAX_HTTP_SERIES];
	uint64_t series_dropped; /* requests not counted: table full */
};

void api__metrics_http(struct api__metrics *m, const char *path, int code);
void api__metrics_attest(struct api__metrics *m, int accepted, double seconds);

/* ---------------------------------------------------------------------- */
/* AK cache (api_akcache.c): parsed AKs per agent                          */
/* ---------------------------------------------------------------------- */

struct api__akcache;

int api__akcache_new(struct api__akcache **out, size_t capacity);
void api__akcache_free(struct api__akcache *c);
/*
 * The agent's parsed AK, from the cache or parsed from ak_pub (and cached).
 * The key stays owned by the cache and valid until the next call.
 */
int api__akcache_get(const tpmq_key **out, struct api__akcache *c, const char *agent_id,
		     const uint8_t *ak_pub, size_t ak_pub_len, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Broker-side policy knobs (api_policy.c)                                 */
/* ---------------------------------------------------------------------- */

struct api__sizes; /* the action table of the decider, api_decide.c */

struct api__policy {
	unsigned reattest_s;      /* re-attestation period handed to agents */
	unsigned nonce_ttl_s;     /* challenge lifetime */
	int require_eventlog;     /* refuse a quote without a firmware event log */
	int allow_uncertified_ek;
	json_t *doc;              /* the parsed policy file (NULL: built-in) */
	void *refs;               /* appraise_refs * of the folder, with broker/appraise */
	void *rules;              /* policy_engine * of policy.json, with broker/policy */
};

int api__policy_load(struct api__policy *out, const char *dir, const struct api_config *cfg,
		     struct eph_err *err);
void api__policy_clear(struct api__policy *p);

/* ---------------------------------------------------------------------- */
/* The server                                                              */
/* ---------------------------------------------------------------------- */

struct api {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	SSL_CTX *ssl;
	store *st;
	struct api__akcache *akc;
	uint16_t port;
	struct api_config cfg;    /* strings point into strs */
	char *strs;               /* owned copies of cfg's strings */
	struct api__policy pol;
	struct api__metrics metrics;
	void *snp;                /* snp_roots *, when amd_roots_dir is set */
	void *tdx;                /* tdx_trust *, when intel_root is set */
	void *qnet;               /* qnet_model *, when a model is configured */
	void *cwt;                /* cwt_trust *, when cwt_trust_dir is set */
	uint8_t qnet_hash[32];
	struct api__lc *lc;       /* lifecycle thread, when a driver is set */
	struct evhttp_bound_socket *usock; /* the unix socket, when set */
};

void api__log(struct api *a, enum api_log_level level, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int64_t api__now(void);

/* ---------------------------------------------------------------------- */
/* Requests and responses (api_router.c, api_io.c, api_error.c)            */
/* ---------------------------------------------------------------------- */

struct api__req {
	struct api *api;
	struct evhttp_request *req;
	const char *route;       /* route pattern, for metrics and logs */
	int json;                /* the client asked for application/json */
	char id[STORE_ID_SIZE];  /* the {id} of the path, when the route has one */
	int status;              /* what was answered, 0 until then */
};

typedef void (*api__handler)(struct api__req *r);

void api__register(struct api__req *r);
void api__activate(struct api__req *r);
void api__challenge(struct api__req *r);
void api__attest(struct api__req *r);
void api__envs_create(struct api__req *r);
void api__envs_get(struct api__req *r);
void api__envs_list(struct api__req *r);
void api__envs_delete(struct api__req *r);
void api__metrics_get(struct api__req *r);
void api__health(struct api__req *r);
void api__agents_list(struct api__req *r);
void api__agents_history(struct api__req *r);

/* evhttp's generic callback: route, then call a handler (api_router.c). */
void api__dispatch(struct evhttp_request *req, void *arg);

/*
 * The request body as one contiguous buffer (owned by the request), after
 * checking Content-Type is application/cbor (415) and the size is at most
 * WIRE_MAX_BODY (413). On failure the refusal is already sent: return.
 */
int api__body(const uint8_t **buf, size_t *len, struct api__req *r);

/* Query parameter `name` into out (NUL-terminated); -1 if absent or too long. */
int api__query(char *out, size_t out_len, struct api__req *r, const char *name);

/* Send a CBOR body (copied). */
void api__send_cbor(struct api__req *r, int status, const uint8_t *buf, size_t len);
/* Send doc as JSON or (with text map keys) CBOR, as the client asked. */
void api__send_doc(struct api__req *r, int status, json_t *doc);
/* Send plain text with the given Content-Type. */
void api__send_text(struct api__req *r, int status, const char *ctype, const char *text,
		    size_t len);

/*
 * Refuse: a wire_error {code, message} (CBOR) or its JSON twin, with status,
 * and one log line. code is the stable machine code ("nonce-replayed").
 */
void api__refuse(struct api__req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The status and code that fit a library error (EPH_EVERIFY -> 403 ...). */
void api__refuse_rc(struct api__req *r, int rc, const char *what, const struct eph_err *err);

/* CBOR from a JSON document (text keys), a new buffer to free(). */
int api__json_to_cbor(uint8_t **out, size_t *len, const json_t *doc);

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */
/* ---------------------------------------------------------------------- */

/* 32 bytes (or n) from getrandom(2); -1 on failure. */
int api__random(uint8_t *buf, size_t n);

/* Lower-case hex of buf into a new json string. */
json_t *api__json_hex(const uint8_t *buf, size_t n);

/* An agent or environment id as the store writes them (UUID text). */
int api__valid_id(const char *s);

#endif
