/*
 * tls_server.h - a tiny HTTPS/1.1 server on 127.0.0.1 for the libagentc
 * tests: OpenSSL in a thread, a fresh self-signed P-256 certificate (SAN
 * IP:127.0.0.1) per server, one request per connection, and either a
 * canned answer or a handler callback (the mock broker of the swtpm tests).
 *
 * Not a real HTTP server: no chunked requests, no keep-alive, headers up
 * to 16 KiB; enough for what libcurl sends.
 */
#ifndef AGENTC_TLS_SERVER_H
#define AGENTC_TLS_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct ts_reply {
	int status;
	char ctype[64];
	uint8_t *body; /* malloc'd by the handler, freed by the server */
	size_t len;
	int no_length; /* omit Content-Length: body ends at connection close */
};

typedef void (*ts_handler)(void *arg, const char *method, const char *path, const uint8_t *body,
                           size_t len, struct ts_reply *reply);

struct ts_server {
	/* set before ts_start */
	int tls12_only;     /* offer TLS 1.2 at most */
	ts_handler handler; /* NULL: the canned reply below */
	void *handler_arg;
	struct ts_reply canned;

	/* filled by ts_start */
	int port;
	char url[64];       /* https://127.0.0.1:PORT */
	char pin[64];       /* sha256//BASE64 of the certificate's SPKI */
	char certfile[256]; /* PEM of the self-signed certificate (the CA) */

	/* observed (read after ts_stop, or racy) */
	int handshakes_ok;
	int handshakes_failed;
	int requests;
	char last_method[16];
	char last_path[512];
	char last_accept[128];

	/* private */
	int lfd;
	volatile int stop;
	pthread_t th;
	void *ctx; /* SSL_CTX */
	char dir[128];
};

/* Generate the certificate, listen on a free port, start the thread; asserts. */
void ts_start(struct ts_server *s);
/* Stop the thread, close, remove the certificate file. */
void ts_stop(struct ts_server *s);

/* A pin that is well formed but matches nothing. */
#define TS_WRONG_PIN "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

#endif
