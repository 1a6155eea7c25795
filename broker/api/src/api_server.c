/*
 * api_server.c - the server object: opens the store, the trust material and
 * the policy, sets up evhttp (bounded bodies and headers, timeouts, the
 * methods we serve) over TLS bufferevents, and binds.
 *
 * Not here: routing (api_router.c), the handlers, the event loop and the
 * signals (the daemon's).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "api-lc.h"
#include "api-priv.h"
#include "wire.h"

#ifdef API_HAVE_SNP
#include "snp.h"
#endif
#ifdef API_HAVE_TDX
#include "tdx.h"
#endif

int api__tls_ctx(SSL_CTX **out, const char *cert, const char *key, struct eph_err *err);
int api__decide_open(struct api *a, struct eph_err *err);
void api__decide_close(struct api *a);
int api__envs_open(struct api *a, struct eph_err *err);
void api__envs_close(struct api *a);
int api__accept_guard(struct api *a, struct eph_err *err); /* api_accept.c */
void api__accept_unguard(struct api *a);

#define API_MAX_HEADERS 16384 /* bytes of request line + headers */
#define API_BODY_SLACK (1u << 20) /* see api__body: our 413 up to here, libevent's beyond */
#define API_AK_CACHE 1024

void api__log(struct api *a, enum api_log_level level, const char *what, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (a->cfg.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	a->cfg.log(a->cfg.log_ctx, level, what, why);
}

int64_t api__now(void)
{
	return (int64_t)time(NULL);
}

int api__random(uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* A new TLS bufferevent for each accepted connection (evhttp_set_bevcb). */
static struct bufferevent *bev_tls(struct event_base *base, void *arg)
{
	struct api *a = arg;
	SSL *ssl = SSL_new(a->ssl);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Keep our own copies of the configuration's strings. */
static int copy_config(struct api *a, const struct api_config *cfg)
{
	const char **fields[] = {&a->cfg.listen_addr,   &a->cfg.tls_cert,   &a->cfg.tls_key,
				 &a->cfg.store_path,    &a->cfg.ek_trust_dir, &a->cfg.amd_roots_dir,
				 &a->cfg.intel_root,    &a->cfg.cwt_trust_dir, &a->cfg.policy_dir,
				 &a->cfg.qnet_model,    &a->cfg.env_agent,     &a->cfg.unix_socket,
				 &a->cfg.disk_master};
	size_t i, total = 0, off = 0;

	a->cfg = *cfg;
	if (a->cfg.listen_addr == NULL)
		a->cfg.listen_addr = "127.0.0.1";
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (*fields[i] != NULL)
			total += strlen(*fields[i]) + 1;
	a->strs = malloc(total ? total : 1);
	if (a->strs == NULL)
		return -1;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t n;

		if (*fields[i] == NULL)
			continue;
		n = strlen(*fields[i]) + 1;
		memcpy(a->strs + off, *fields[i], n);
		*fields[i] = a->strs + off;
		off += n;
	}
	if (a->cfg.timeout_s <= 0)
		a->cfg.timeout_s = 30;
	if (a->cfg.nonce_ttl_s == 0)
		a->cfg.nonce_ttl_s = 60;
	return 0;
}

static int open_cvm_trust(struct api *a, struct eph_err *err)
{
	int rc = 0;

#ifdef API_HAVE_SNP
	if (a->cfg.amd_roots_dir != NULL) {
		snp_roots *roots = NULL;

		rc = snp_roots_new(&roots, err);
		if (rc == 0)
			rc = snp_roots_add_dir(roots, a->cfg.amd_roots_dir, err);
		if (rc < 0) {
			snp_roots_free(roots);
			return eph_err_prefix(err, rc, "AMD roots %s", a->cfg.amd_roots_dir);
		}
		a->snp = roots;
	}
#endif
#ifdef API_HAVE_TDX
	if (a->cfg.intel_root != NULL) {
		tdx_trust *t = NULL;

		rc = tdx_trust_load(&t, a->cfg.intel_root, 0, err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "Intel root %s", a->cfg.intel_root);
		a->tdx = t;
	}
#endif
	(void)err;
	return rc;
}

static int bind_http(struct api *a, struct eph_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	a->http = evhttp_new(a->base);
	if (a->http == NULL)
		return eph_err_set(err, EPH_ENOMEM, "evhttp_new failed");
	evhttp_set_bevcb(a->http, bev_tls, a);
	evhttp_set_max_body_size(a->http, (ev_ssize_t)(WIRE_MAX_BODY + API_BODY_SLACK));
	evhttp_set_max_headers_size(a->http, API_MAX_HEADERS);
	evhttp_set_timeout(a->http, a->cfg.timeout_s);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(a->http, api__dispatch, a);
	a->sock = evhttp_bind_socket_with_handle(a->http, a->cfg.listen_addr, a->cfg.port);
	if (a->sock == NULL)
		return eph_err_set(err, EPH_EIO, "cannot listen on %s:%u", a->cfg.listen_addr,
				   (unsigned)a->cfg.port);
	fd = evhttp_bound_socket_get_fd(a->sock);
	/* Replies are small and written in pieces by TLS: without TCP_NODELAY
	 * Nagle and the peer's delayed ACK add ~40 ms to every keep-alive
	 * answer. Linux hands the option down to accepted sockets. */
	{
		int one = 1;

		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
			return eph_err_set(err, EPH_EIO, "setsockopt TCP_NODELAY failed");
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return eph_err_set(err, EPH_EIO, "getsockname failed");
	if (ss.ss_family == AF_INET)
		a->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		a->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/*
 * The same HTTPS service on an AF_UNIX socket: the attestation channel of
 * environments whose network gives no route to the broker (api_lc.c). A
 * stale socket file from a killed broker is replaced; anything else at the
 * path is left alone and refused.
 */
static int bind_unix(struct api *a, struct eph_err *err)
{
	struct sockaddr_un sun;
	struct stat st;
	size_t n = strlen(a->cfg.unix_socket);
	int fd;

	if (n == 0 || n >= sizeof(sun.sun_path))
		return eph_err_set(err, EPH_EFAIL, "unix socket path too long (max %zu): %s",
				   sizeof(sun.sun_path) - 1, a->cfg.unix_socket);
	if (lstat(a->cfg.unix_socket, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return eph_err_set(err, EPH_EIO, "%s exists and is not a socket",
					   a->cfg.unix_socket);
		unlink(a->cfg.unix_socket);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, a->cfg.unix_socket, n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return eph_err_set(err, EPH_EIO, "socket(AF_UNIX): %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(a->cfg.unix_socket, 0660) != 0 || listen(fd, 128) != 0) {
		int e = errno;

		close(fd);
		return eph_err_set(err, EPH_EIO, "cannot listen on %s: %s", a->cfg.unix_socket,
				   strerror(e));
	}
	a->usock = evhttp_accept_socket_with_handle(a->http, fd);
	if (a->usock == NULL) {
		close(fd);
		return eph_err_set(err, EPH_EIO, "cannot serve on %s", a->cfg.unix_socket);
	}
	return 0;
}

int api_new(api **out, struct event_base *base, const struct api_config *cfg,
	    struct eph_err *err)
{
	struct api *a = NULL;
	int rc;

	*out = NULL;
	if (cfg->tls_cert == NULL || cfg->tls_key == NULL || cfg->store_path == NULL ||
	    cfg->ek_trust_dir == NULL)
		return eph_err_set(err, EPH_EFAIL,
				   "configuration lacks %s", cfg->tls_cert == NULL ? "tls-cert"
				   : cfg->tls_key == NULL ? "tls-key"
				   : cfg->store_path == NULL ? "store" : "ek-trust");
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory");
	a->base = base;
	if (copy_config(a, cfg) < 0) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
		goto fail;
	}
	rc = api__tls_ctx(&a->ssl, a->cfg.tls_cert, a->cfg.tls_key, err);
	if (rc < 0)
		goto fail;
	rc = store_open(&a->st, a->cfg.store_path, NULL, err);
	if (rc < 0) {
		eph_err_prefix(err, rc, "store %s", a->cfg.store_path);
		goto fail;
	}
	if (api__akcache_new(&a->akc, API_AK_CACHE) < 0) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
		goto fail;
	}
	rc = api__policy_load(&a->pol, a->cfg.policy_dir, &a->cfg, err);
	if (rc < 0)
		goto fail;
	rc = open_cvm_trust(a, err);
	if (rc < 0)
		goto fail;
	rc = api__decide_open(a, err);
	if (rc < 0)
		goto fail;
	rc = api__envs_open(a, err);
	if (rc < 0)
		goto fail;
	rc = bind_http(a, err);
	if (rc < 0)
		goto fail;
	if (a->cfg.unix_socket != NULL) {
		rc = bind_unix(a, err);
		if (rc < 0)
			goto fail;
	}
	rc = api__lc_open(a, err);
	if (rc < 0)
		goto fail;
	rc = api__accept_guard(a, err);
	if (rc < 0)
		goto fail;
	*out = a;
	return 0;
fail:
	api_free(a);
	return rc;
}

void api_free(api *a)
{
	if (a == NULL)
		return;
	/* The lifecycle thread first: it uses the driver and logs. */
	api__lc_close(a);
	api__accept_unguard(a);
	if (a->http != NULL)
		evhttp_free(a->http);
	if (a->usock != NULL && a->cfg.unix_socket != NULL)
		unlink(a->cfg.unix_socket);
	SSL_CTX_free(a->ssl);
	store_free(a->st);
	api__akcache_free(a->akc);
	api__policy_clear(&a->pol);
#ifdef API_HAVE_SNP
	snp_roots_free(a->snp);
#endif
#ifdef API_HAVE_TDX
	tdx_trust_free(a->tdx);
#endif
	api__decide_close(a);
	api__envs_close(a);
	free(a->strs);
	free(a);
}

uint16_t api_port(const api *a)
{
	return a->port;
}

int api_reload_policy(api *a, struct eph_err *err)
{
	struct api__policy fresh;
	int rc;

	memset(&fresh, 0, sizeof(fresh));
	rc = api__policy_load(&fresh, a->cfg.policy_dir, &a->cfg, err);
	if (rc < 0)
		return rc;
	api__policy_clear(&a->pol);
	a->pol = fresh;
	return 0;
}
