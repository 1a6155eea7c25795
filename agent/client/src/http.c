/*
 * http.c - one HTTPS request to the broker with libcurl, and what a failed
 * one means.
 *
 * Every request: https only, no redirects, TLS 1.3 as the minimum
 * (CURL_SSLVERSION_TLSv1_3), the pinned SPKI hash (CURLOPT_PINNEDPUBLICKEY)
 * and/or the configured CA file as the only trust anchors (never the system
 * store), connect and total timeouts, and a response body bound enforced
 * both on Content-Length (CURLOPT_MAXFILESIZE_LARGE) and while receiving.
 * With a pin and no CA file the chain and host name are not checked: the
 * pin is the trust decision, as for a self-signed broker certificate.
 *
 * A non-2xx answer is turned into struct agentc_refusal: the broker's
 * wire_error when the body is CBOR, else a printable excerpt of the body.
 *
 * Not here: what the bodies mean (enrol.c, attest.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agentc-priv.h"

struct sink {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max;
	int over; /* the bound was hit */
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	uint8_t *np;

	if (n > s->max - s->len) {
		s->over = 1;
		return 0; /* curl aborts with CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < s->len + n + 1)
			cap *= 2;
		np = realloc(s->p, cap);
		if (np == NULL)
			return 0;
		s->p = np;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

void agentc_response_clear(struct agentc_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Map a transport failure to a code and a message naming what failed. */
static int transport_error(agentc *a, CURLcode cc, const struct sink *s, const char *method,
                           const char *path, struct eph_err *err)
{
	const char *detail = a->curl_err[0] != '\0' ? a->curl_err : curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return eph_err_set(err, EPH_EVERIFY,
		                   "%s %s: TLS: the broker's public key does not match the pin "
		                   "(%.60s): refused",
		                   method, path, a->pin != NULL ? a->pin : "");
	case CURLE_PEER_FAILED_VERIFICATION:
		return eph_err_set(err, EPH_EVERIFY,
		                   "%s %s: TLS: the broker's certificate does not verify against "
		                   "%s: %s",
		                   method, path, a->cacert != NULL ? a->cacert : "the CA file",
		                   detail);
	case CURLE_SSL_CACERT_BADFILE:
		return eph_err_set(err, EPH_EIO, "%s %s: TLS: CA file %s unusable: %s", method,
		                   path, a->cacert != NULL ? a->cacert : "", detail);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CIPHER:
		return eph_err_set(err, EPH_EIO,
		                   "%s %s: TLS handshake with %s failed (TLS 1.3 required): %s",
		                   method, path, a->url, detail);
	case CURLE_OPERATION_TIMEDOUT:
		return eph_err_set(err, EPH_EIO,
		                   "%s %s: timeout (connect %ld ms, total %ld ms): %s", method,
		                   path, a->connect_timeout_ms, a->timeout_ms, detail);
	case CURLE_FILESIZE_EXCEEDED:
		return eph_err_set(err, EPH_EIO, "%s %s: response exceeds the %zu-byte bound",
		                   method, path, a->max_response);
	case CURLE_WRITE_ERROR:
		if (s->over)
			return eph_err_set(err, EPH_EIO,
			                   "%s %s: response exceeds the %zu-byte bound", method,
			                   path, a->max_response);
		return eph_err_set(err, EPH_ENOMEM, "%s %s: out of memory receiving the response",
		                   method, path);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return eph_err_set(err, EPH_EIO, "%s %s: cannot connect to %s: %s", method, path,
		                   a->url, detail);
	default:
		return eph_err_set(err, EPH_EIO, "%s %s: %s: %s", method, path, a->url, detail);
	}
}

/* Printable one-line excerpt of a body (for refusals that are not CBOR). */
static void excerpt(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n && j + 1 < outlen; i++) {
		unsigned char c = p[i];

		out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	out[j] = '\0';
	while (j > 0 && out[j - 1] == ' ')
		out[--j] = '\0';
}

/*
 * The string value of "key" in a flat JSON error object such as
 * {"error_code":"nonce-expired","error":"..."}: a bounded scan, not a JSON
 * parser; escapes other than \" and \\ are kept as written. -1 if absent.
 */
static int json_str(char *out, size_t outlen, const uint8_t *p, size_t n, const char *key)
{
	size_t klen = strlen(key), i, j = 0;

	for (i = 0; i + klen + 2 < n; i++) {
		if (p[i] != '"' || memcmp(p + i + 1, key, klen) != 0 || p[i + 1 + klen] != '"')
			continue;
		i += klen + 2;
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
			i++;
		if (i >= n || p[i] != ':')
			continue;
		i++;
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
			i++;
		if (i >= n || p[i] != '"')
			continue;
		for (i++; i < n && p[i] != '"' && j + 1 < outlen; i++) {
			if (p[i] == '\\' && i + 1 < n && (p[i + 1] == '"' || p[i + 1] == '\\'))
				i++;
			out[j++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
		}
		out[j] = '\0';
		return 0;
	}
	return -1;
}

static void fill_refusal(struct agentc_refusal *r, const struct agentc_response *resp)
{
	struct wire_error we;
	struct eph_err e2 = {{0}};

	memset(r, 0, sizeof(*r));
	r->http_status = resp->status;
	if (strcmp(resp->content_type, "application/cbor") == 0 &&
	    wire_error_decode(&we, resp->body, resp->len, &e2) == 0) {
		memcpy(r->code, we.code, sizeof(r->code));
		r->code[sizeof(r->code) - 1] = '\0';
		memcpy(r->message, we.message, sizeof(r->message));
		r->message[sizeof(r->message) - 1] = '\0';
		wire_error_free(&we);
		return;
	}
	if (strcmp(resp->content_type, "application/json") == 0 &&
	    json_str(r->message, sizeof(r->message), resp->body, resp->len, "error") == 0) {
		if (json_str(r->code, sizeof(r->code), resp->body, resp->len, "error_code") < 0)
			r->code[0] = '\0';
		return;
	}
	if (resp->len > 0 && strncmp(resp->content_type, "application/cbor", 16) != 0)
		excerpt(r->message, sizeof(r->message), resp->body, resp->len);
	else if (resp->len > 0 &&
		 snprintf(r->message, sizeof(r->message), "(undecodable CBOR error body: %s)",
			  e2.msg) < 0)
		r->message[0] = '\0'; /* a cut message is still one line */
}

static int refusal_code(long status)
{
	if (status == 404)
		return EPH_ENOTFOUND;
	if (status >= 400 && status < 500)
		return EPH_EPOLICY;
	return EPH_EIO;
}

static void content_type_of(char *out, size_t outlen, const char *ct)
{
	size_t i = 0;

	out[0] = '\0';
	if (ct == NULL)
		return;
	while (ct[i] != '\0' && ct[i] != ';' && ct[i] != ' ' && i + 1 < outlen) {
		out[i] = (char)tolower((unsigned char)ct[i]);
		i++;
	}
	out[i] = '\0';
}

static int setup(agentc *a, const char *url, struct curl_slist *hdrs, struct sink *s)
{
	CURL *c = a->curl;
	CURLcode cc = CURLE_OK;

	curl_easy_reset(c); /* options only: the connection cache stays */
	a->curl_err[0] = '\0';
	cc |= curl_easy_setopt(c, CURLOPT_URL, url);
	cc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	cc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->curl_err);
	cc |= curl_easy_setopt(c, CURLOPT_SSLVERSION,
	                       (long)(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_DEFAULT));
	if (a->pin != NULL)
		cc |= curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, a->pin);
	if (a->cacert != NULL) {
		cc |= curl_easy_setopt(c, CURLOPT_CAINFO, a->cacert);
		cc |= curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	} else {
		/* Pin only: the pin is the trust decision (checked by curl
		 * whatever VERIFYPEER says); no system CA store. */
		cc |= curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		cc |= curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (a->unix_socket != NULL)
		cc |= curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, a->unix_socket);
	cc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, a->connect_timeout_ms);
	cc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, a->timeout_ms);
	cc |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)a->max_response);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	cc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "ephemera-agentc/" EPH_VERSION);
	return cc == CURLE_OK ? 0 : -1;
}

int agentc_call(struct agentc_response *out, struct agentc_refusal *refusal, agentc *a,
                const char *method, const char *path, const char *accept, const char *content_type,
                const uint8_t *body, size_t len, struct eph_err *err)
{
	struct curl_slist *hdrs = NULL, *h;
	struct sink s = {NULL, 0, 0, a->max_response, 0};
	struct agentc_response resp;
	struct agentc_refusal local;
	char line[160], *url = NULL, *ct = NULL;
	size_t ulen;
	CURLcode cc;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&resp, 0, sizeof(resp));
	if (refusal == NULL)
		refusal = &local;
	memset(refusal, 0, sizeof(*refusal));
	if (path[0] != '/' || strpbrk(path, " \r\n") != NULL)
		return eph_err_set(err, EPH_EFORMAT, "request path '%.80s' is not an escaped /path",
		                   path);
	ulen = strlen(a->url) + strlen(path) + 1;
	url = malloc(ulen);
	if (url == NULL)
		return eph_err_set(err, EPH_ENOMEM, "%s %s: out of memory", method, path);
	snprintf(url, ulen, "%s%s", a->url, path);

	hdrs = curl_slist_append(hdrs, "Expect:");
	if (hdrs != NULL && accept != NULL) {
		snprintf(line, sizeof(line), "Accept: %s", accept);
		h = curl_slist_append(hdrs, line);
		hdrs = h;
	}
	if (hdrs != NULL && content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		h = curl_slist_append(hdrs, line);
		hdrs = h;
	}
	if (hdrs == NULL || setup(a, url, hdrs, &s) < 0) {
		rc = eph_err_set(err, EPH_ENOMEM, "%s %s: cannot set up the request", method, path);
		goto out;
	}
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(a->curl, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(a->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS,
		                 body != NULL ? (const char *)body : "");
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, method);
	}

	cc = curl_easy_perform(a->curl);
	if (cc != CURLE_OK) {
		rc = transport_error(a, cc, &s, method, path, err);
		goto out;
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &resp.status);
	curl_easy_getinfo(a->curl, CURLINFO_CONTENT_TYPE, &ct);
	content_type_of(resp.content_type, sizeof(resp.content_type), ct);
	if (s.p == NULL) {
		s.p = calloc(1, 1);
		if (s.p == NULL) {
			rc = eph_err_set(err, EPH_ENOMEM, "%s %s: out of memory", method, path);
			goto out;
		}
	}
	resp.body = s.p;
	resp.len = s.len;
	s.p = NULL;

	if (resp.status >= 200 && resp.status < 300) {
		*out = resp;
		memset(&resp, 0, sizeof(resp));
		rc = 0;
		goto out;
	}
	fill_refusal(refusal, &resp);
	rc = eph_err_set(err, refusal_code(resp.status), "%s %s: HTTP %ld%s%s: %s", method, path,
	                 resp.status, refusal->code[0] ? " " : "", refusal->code,
	                 refusal->message[0] ? refusal->message : "(no message)");
out:
	agentc_response_clear(&resp);
	free(s.p);
	curl_slist_free_all(hdrs);
	free(url);
	return rc;
}

int agentc__cbor_call(struct agentc_response *out, struct agentc_refusal *refusal, agentc *a,
                      const char *method, const char *path, const uint8_t *body, size_t len,
                      struct eph_err *err)
{
	int rc;

	rc = agentc_call(out, refusal, a, method, path, "application/cbor",
	                 body != NULL ? "application/cbor" : NULL, body, len, err);
	if (rc < 0)
		return rc;
	if (strcmp(out->content_type, "application/cbor") != 0) {
		rc =
		    eph_err_set(err, EPH_EFORMAT,
		                "%s %s: HTTP %ld with Content-Type '%s', expected application/cbor",
		                method, path, out->status, out->content_type);
		agentc_response_clear(out);
	}
	return rc;
}
