/*
 * client.c - agentc_new/agentc_free: checking the configuration (an https
 * URL, a pin in curl's "sha256//BASE64" syntax and/or a readable CA file)
 * and holding the curl handle.
 *
 * Not here: the requests themselves (http.c), the state folder (state.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentc-priv.h"

/* One "sha256//" + 44 base64 characters (a SHA-256 digest, padded). */
static int pin_one_ok(const char *p, size_t n)
{
	static const char pfx[] = "sha256//";
	size_t i;

	if (n != sizeof(pfx) - 1 + 44 || memcmp(p, pfx, sizeof(pfx) - 1) != 0)
		return 0;
	p += sizeof(pfx) - 1;
	for (i = 0; i < 43; i++) {
		char c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return 0;
	}
	return p[43] == '=';
}

static int pin_check(const char *pin, struct eph_err *err)
{
	const char *s = pin, *semi;

	if (strlen(pin) >= AGENTC_MAX_PIN)
		return eph_err_set(err, EPH_EFORMAT, "pin: longer than %d characters",
		                   AGENTC_MAX_PIN - 1);
	for (;;) {
		size_t n;

		semi = strchr(s, ';');
		n = semi != NULL ? (size_t)(semi - s) : strlen(s);
		if (!pin_one_ok(s, n))
			return eph_err_set(
			    err, EPH_EFORMAT,
			    "pin: expected sha256//<44 base64 characters of the SPKI "
			    "SHA-256>[;sha256//...], got '%.*s'",
			    (int)(n > 60 ? 60 : n), s);
		if (semi == NULL)
			return 0;
		s = semi + 1;
	}
}

static int url_check(const char *url, struct eph_err *err)
{
	size_t n;

	if (url == NULL || strncmp(url, "https://", 8) != 0 || url[8] == '\0')
		return eph_err_set(err, EPH_EFORMAT,
		                   "broker URL: must start with https://, got '%s'",
		                   url != NULL ? url : "(none)");
	n = strlen(url);
	if (n > 1024)
		return eph_err_set(err, EPH_EFORMAT, "broker URL: longer than 1024 characters");
	if (strpbrk(url, " \t\r\n?#") != NULL)
		return eph_err_set(err, EPH_EFORMAT,
		                   "broker URL: no blanks, query or fragment allowed: '%s'", url);
	return 0;
}

static char *dup_or_null(const char *s, int *fail)
{
	char *d;

	if (s == NULL || *s == '\0')
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = 1;
	return d;
}

int agentc_new(agentc **out, const struct agentc_config *cfg, struct eph_err *err)
{
	struct agentc *a = NULL;
	int fail = 0, rc;
	size_t n;

	*out = NULL;
	rc = url_check(cfg->broker_url, err);
	if (rc < 0)
		return rc;
	if ((cfg->pin == NULL || *cfg->pin == '\0') &&
	    (cfg->cacert == NULL || *cfg->cacert == '\0'))
		return eph_err_set(err, EPH_EPOLICY,
		                   "no broker pin and no CA file: refusing to talk to an "
		                   "unauthenticated broker (give a sha256// pin or a CA file)");
	if (cfg->pin != NULL && *cfg->pin != '\0') {
		rc = pin_check(cfg->pin, err);
		if (rc < 0)
			return rc;
	}
	if (cfg->cacert != NULL && *cfg->cacert != '\0' && access(cfg->cacert, R_OK) != 0)
		return eph_err_set(err, EPH_EIO, "CA file %s: cannot be read", cfg->cacert);

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return eph_err_set(err, EPH_ENOMEM, "agentc_new: out of memory");
	a->url = dup_or_null(cfg->broker_url, &fail);
	a->pin = dup_or_null(cfg->pin, &fail);
	a->cacert = dup_or_null(cfg->cacert, &fail);
	a->unix_socket = cfg->unix_socket && *cfg->unix_socket ? dup_or_null(cfg->unix_socket, &fail)
							       : NULL;
	a->state_dir = dup_or_null(cfg->state_dir, &fail);
	if (fail) {
		rc = eph_err_set(err, EPH_ENOMEM, "agentc_new: out of memory");
		goto out;
	}
	n = strlen(a->url);
	while (n > 8 && a->url[n - 1] == '/')
		a->url[--n] = '\0';
	a->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
	                                                    : AGENTC_DEFAULT_CONNECT_TIMEOUT_MS;
	a->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : AGENTC_DEFAULT_TIMEOUT_MS;
	a->max_response = cfg->max_response > 0 ? cfg->max_response : WIRE_MAX_BODY;
	if (cfg->hostname != NULL) {
		if (strlen(cfg->hostname) >= sizeof(a->hostname)) {
			rc = eph_err_set(err, EPH_EFORMAT, "hostname: longer than %zu characters",
			                 sizeof(a->hostname) - 1);
			goto out;
		}
		memcpy(a->hostname, cfg->hostname, strlen(cfg->hostname) + 1);
	} else if (gethostname(a->hostname, sizeof(a->hostname)) != 0) {
		memcpy(a->hostname, "unknown", sizeof("unknown"));
	}
	a->hostname[sizeof(a->hostname) - 1] = '\0';
	a->ak_alg = cfg->ak_alg != 0 ? cfg->ak_alg : TPMQ_RSA2048;
	if (agentc__alg_name(a->ak_alg) == NULL) {
		rc = eph_err_set(err, EPH_EFORMAT, "AK algorithm %d: unknown", a->ak_alg);
		goto out;
	}
	a->cvm = cfg->cvm;
	if (cfg->tsm != NULL) {
		a->tsm = *cfg->tsm;
		a->have_tsm = 1;
	}
	a->curl = curl_easy_init();
	if (a->curl == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "agentc_new: curl_easy_init failed");
		goto out;
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	agentc_free(a);
	return rc;
}

void agentc_free(agentc *a)
{
	if (a == NULL)
		return;
	if (a->curl != NULL)
		curl_easy_cleanup(a->curl);
	agentc__state_clear(a);
	free(a->url);
	free(a->pin);
	free(a->cacert);
	free(a->unix_socket);
	free(a->state_dir);
	free(a);
}

const char *agentc_agent_id(const agentc *a) { return a->have_state ? a->agent_id : NULL; }
