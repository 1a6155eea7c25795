/*
 * tls_server.c - see tls_server.h.
 */
#define _GNU_SOURCE /* strcasestr */
#include "tls_server.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void make_cert(struct ts_server *s, EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	unsigned char *der = NULL, dig[32];
	int dlen;
	FILE *f;

	cr_assert_not_null(key);
	cr_assert_not_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1,
	                           -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
	cr_assert_not_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);

	dlen = i2d_PUBKEY(key, &der);
	cr_assert_gt(dlen, 0);
	EVP_Digest(der, (size_t)dlen, dig, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	memcpy(s->pin, "sha256//", 8);
	EVP_EncodeBlock((unsigned char *)s->pin + 8, dig, 32);

	snprintf(s->dir, sizeof(s->dir), "/tmp/agentc-tls.XXXXXX");
	cr_assert_not_null(mkdtemp(s->dir));
	snprintf(s->certfile, sizeof(s->certfile), "%s/cert.pem", s->dir);
	f = fopen(s->certfile, "w");
	cr_assert_not_null(f);
	PEM_write_X509(f, x);
	fclose(f);
	*key_out = key;
	*cert_out = x;
}

/* Read until the end of the headers and the Content-Length body. */
static int read_request(SSL *ssl, char *hdr, size_t hcap, uint8_t **body, size_t *blen)
{
	size_t n = 0, clen = 0, have;
	char *end = NULL, *cl;

	*body = NULL;
	*blen = 0;
	while (n + 1 < hcap) {
		int r = SSL_read(ssl, hdr + n, (int)(hcap - n - 1));

		if (r <= 0)
			return -1;
		n += (size_t)r;
		hdr[n] = '\0';
		end = strstr(hdr, "\r\n\r\n");
		if (end != NULL)
			break;
	}
	if (end == NULL)
		return -1;
	cl = strcasestr(hdr, "\r\nContent-Length:");
	if (cl != NULL && cl < end)
		clen = strtoul(cl + 17, NULL, 10);
	have = n - (size_t)(end + 4 - hdr);
	*body = malloc(clen + 1);
	if (*body == NULL)
		return -1;
	memcpy(*body, end + 4, have < clen ? have : clen);
	while (have < clen) {
		int r = SSL_read(ssl, *body + have, (int)(clen - have));

		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	*blen = clen;
	end[2] = '\0'; /* keep the header lines only */
	return 0;
}

static void header_value(char *out, size_t outlen, const char *hdr, const char *name)
{
	char key[64];
	const char *p, *e;
	size_t n;

	out[0] = '\0';
	snprintf(key, sizeof(key), "\r\n%s:", name);
	p = strcasestr(hdr, key);
	if (p == NULL)
		return;
	p += strlen(key);
	while (*p == ' ')
		p++;
	e = strstr(p, "\r\n");
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void serve_one(struct ts_server *s, int fd)
{
	SSL *ssl = SSL_new(s->ctx);
	char hdr[16384], method[16] = "", path[512] = "";
	uint8_t *body = NULL;
	size_t blen = 0;
	struct ts_reply rep;
	char head[512];
	const char *sp1, *sp2;
	int hn;

	memset(&rep, 0, sizeof(rep));
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1) {
		s->handshakes_failed++;
		goto out;
	}
	s->handshakes_ok++;
	if (read_request(ssl, hdr, sizeof(hdr), &body, &blen) < 0)
		goto out;
	sp1 = strchr(hdr, ' ');
	sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL)
		goto out;
	snprintf(method, sizeof(method), "%.*s", (int)(sp1 - hdr), hdr);
	snprintf(path, sizeof(path), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
	s->requests++;
	memcpy(s->last_method, method, sizeof(method));
	memcpy(s->last_path, path, sizeof(path));
	header_value(s->last_accept, sizeof(s->last_accept), hdr, "Accept");
	if (s->handler != NULL) {
		s->handler(s->handler_arg, method, path, body, blen, &rep);
	} else {
		rep = s->canned;
		rep.body = NULL;
		if (s->canned.len > 0) {
			rep.body = malloc(s->canned.len);
			memcpy(rep.body, s->canned.body, s->canned.len);
		}
	}
	if (rep.no_length)
		hn = snprintf(head, sizeof(head),
		              "HTTP/1.1 %d X\r\nContent-Type: %s\r\nConnection: close\r\n\r\n",
		              rep.status, rep.ctype);
	else
		hn = snprintf(head, sizeof(head),
		              "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		              "Connection: close\r\n\r\n",
		              rep.status, rep.ctype, rep.len);
	SSL_write(ssl, head, hn);
	if (rep.len > 0)
		SSL_write(ssl, rep.body, (int)rep.len);
	SSL_shutdown(ssl);
out:
	free(rep.body);
	free(body);
	SSL_free(ssl);
	close(fd);
}

static void *loop(void *arg)
{
	struct ts_server *s = arg;

	while (!s->stop) {
		struct pollfd p = {s->lfd, POLLIN, 0};
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd >= 0)
			serve_one(s, fd);
	}
	return NULL;
}

void ts_start(struct ts_server *s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	SSL_CTX *ctx;
	int one = 1;

	signal(SIGPIPE, SIG_IGN); /* a client that hangs up must not kill the test */
	make_cert(s, &key, &cert);
	ctx = SSL_CTX_new(TLS_server_method());
	cr_assert_not_null(ctx);
	cr_assert_eq(SSL_CTX_use_certificate(ctx, cert), 1);
	cr_assert_eq(SSL_CTX_use_PrivateKey(ctx, key), 1);
	if (s->tls12_only)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	X509_free(cert);
	EVP_PKEY_free(key);
	s->ctx = ctx;

	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(s->lfd, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(s->lfd, 16), 0);
	getsockname(s->lfd, (struct sockaddr *)&sa, &sl);
	s->port = ntohs(sa.sin_port);
	snprintf(s->url, sizeof(s->url), "https://127.0.0.1:%d", s->port);
	s->stop = 0;
	cr_assert_eq(pthread_create(&s->th, NULL, loop, s), 0);
}

void ts_stop(struct ts_server *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
	unlink(s->certfile);
	rmdir(s->dir);
}
