/*
 * api_router.c - the route table: method + path pattern -> handler. A
 * pattern is literal segments and at most one "{id}" segment, which must be
 * a store id (UUID text). Unknown paths are 404, a known path with another
 * method 405 (with Allow), both with an error body.
 *
 * Not here: parsing HTTP (libevent does), the handlers themselves.
 */
#include <stdio.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api-priv.h"

struct route {
	enum evhttp_cmd_type method;
	const char *pattern;
	api__handler fn;
};

static const struct route routes[] = {
	{EVHTTP_REQ_POST, "/v1/agents/register", api__register},
	{EVHTTP_REQ_POST, "/v1/agents/activate", api__activate},
	{EVHTTP_REQ_GET, "/v1/challenge", api__challenge},
	{EVHTTP_REQ_POST, "/v1/attest", api__attest},
	{EVHTTP_REQ_GET, "/v1/agents", api__agents_list},
	{EVHTTP_REQ_GET, "/v1/agents/{id}/attestations", api__agents_history},
	{EVHTTP_REQ_POST, "/v1/environments", api__envs_create},
	{EVHTTP_REQ_GET, "/v1/environments", api__envs_list},
	{EVHTTP_REQ_GET, "/v1/environments/{id}", api__envs_get},
	{EVHTTP_REQ_DELETE, "/v1/environments/{id}", api__envs_delete},
	{EVHTTP_REQ_GET, "/metrics", api__metrics_get},
	{EVHTTP_REQ_GET, "/healthz", api__health},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

int api__valid_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= STORE_ID_SIZE)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* Does path (no query) match pattern? The {id} segment goes to id. */
static int match(const char *pattern, const char *path, char id[STORE_ID_SIZE])
{
	const char *p = pattern, *q = path;

	while (*p != '\0') {
		if (strncmp(p, "{id}", 4) == 0) {
			const char *end = strchr(q, '/');
			size_t n = end ? (size_t)(end - q) : strlen(q);

			if (n == 0 || n >= STORE_ID_SIZE)
				return 0;
			memcpy(id, q, n);
			id[n] = '\0';
			if (!api__valid_id(id))
				return 0;
			p += 4;
			q += n;
			continue;
		}
		if (*p != *q)
			return 0;
		p++;
		q++;
	}
	return *q == '\0';
}

static int wants_json(struct evhttp_request *req)
{
	const char *acc = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");

	return acc != NULL && strstr(acc, "application/json") != NULL;
}

void api__dispatch(struct evhttp_request *req, void *arg)
{
	struct api__req r;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct route *same_path = NULL;
	char allow[64] = "";
	size_t i;

	memset(&r, 0, sizeof(r));
	r.api = arg;
	r.req = req;
	r.json = wants_json(req);
	r.route = "unmatched";
	if (path == NULL || *path == '\0')
		path = "/";
	for (i = 0; i < NROUTES; i++) {
		char id[STORE_ID_SIZE] = "";

		if (!match(routes[i].pattern, path, id))
			continue;
		if (routes[i].method != m) {
			same_path = &routes[i];
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
				 allow[0] ? ", " : "",
				 routes[i].method == EVHTTP_REQ_GET    ? "GET"
				 : routes[i].method == EVHTTP_REQ_POST ? "POST"
								       : "DELETE");
			continue;
		}
		r.route = routes[i].pattern;
		memcpy(r.id, id, sizeof(r.id));
		routes[i].fn(&r);
		if (r.status == 0)
			api__refuse(&r, API_HTTP_INTERNAL, "internal", "%s sent no response",
				    r.route);
		return;
	}
	if (same_path != NULL) {
		r.route = same_path->pattern;
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
		api__refuse(&r, API_HTTP_METHOD, "method-not-allowed",
			    "%s accepts %s only", same_path->pattern, allow);
		return;
	}
	api__refuse(&r, API_HTTP_NOT_FOUND, "not-found", "no endpoint at this path");
}
