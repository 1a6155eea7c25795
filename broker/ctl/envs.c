/*
 * envs.c - `ephemeractl environments create|get|list|delete`.
 *
 *   create  POST /v1/environments  wire_env_create_req (CBOR) -> wire_env
 *   get     GET /v1/environments/ID                            -> wire_env
 *   delete  DELETE /v1/environments/ID                         -> wire_env
 *   list    GET /v1/environments[?state=S]  (JSON list document)
 * Single environments are read as CBOR (the typed contract) and shown as
 * YAML, or as JSON with --json; a broker that answers JSON instead is
 * shown as it answered.
 *
 * Not here: the transport (libagentc), the table/YAML printers (render.c).
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "eph_file.h"

static int show_env(struct ephctl *c, const struct agentc_response *r)
{
	struct wire_env *e = NULL;
	struct eph_err err = {{0}};
	json_t *doc = NULL;
	int rc = EPHCTL_OK;

	if (strcmp(r->content_type, "application/json") == 0) {
		doc = json_loadb((const char *)r->body, r->len, 0, NULL);
	} else {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return ephctl_fail(EPHCTL_FAILURE, "out of memory");
		if (wire_env_decode(e, r->body, r->len, &err) < 0) {
			free(e);
			return ephctl_fail(EPHCTL_BROKER, "the broker's environment: %s", err.msg);
		}
		doc = ephctl_env_json(e);
		wire_env_free(e);
		free(e);
	}
	if (doc == NULL)
		return ephctl_fail(EPHCTL_BROKER, "the broker's environment does not parse");
	if (c->json)
		ephctl_print_json(stdout, doc);
	else
		ephctl_print_yaml(stdout, doc, 0);
	json_decref(doc);
	return rc;
}

static int env_create(struct ephctl *c)
{
	struct wire_env_create_req req;
	struct agentc_response r = {0};
	struct eph_err err = {{0}};
	uint8_t *token = NULL, *body = NULL;
	size_t token_len = 0, len = 0;
	int rc;

	memset(&req, 0, sizeof(req));
	if ((c->token == NULL) == (c->ref_env == NULL))
		return ephctl_fail(EPHCTL_USAGE,
		                   "environments create: give exactly one of --token FILE and "
		                   "--ref-env ID");
	if (c->token != NULL) {
		rc = eph_file_read(&token, &token_len, c->token, WIRE_MAX_SMALL, &err);
		if (rc < 0)
			return ephctl_fail(EPHCTL_INPUT, "--token: %s", err.msg);
		if (token_len == 0) {
			free(token);
			return ephctl_fail(EPHCTL_INPUT, "--token: %s is empty", c->token);
		}
		req.claims.p = token;
		req.claims.len = token_len;
	} else {
		if (strlen(c->ref_env) >= sizeof(req.ref_env))
			return ephctl_fail(EPHCTL_USAGE, "--ref-env: longer than %zu characters",
			                   sizeof(req.ref_env) - 1);
		memcpy(req.ref_env, c->ref_env, strlen(c->ref_env) + 1);
	}
	rc = wire_env_create_req_encode(&body, &len, &req, &err);
	free(token);
	if (rc < 0)
		return ephctl_fail(EPHCTL_INPUT, "encoding the request: %s", err.msg);
	rc = ephctl_request(&r, c, "POST", "/v1/environments", "application/cbor",
	                    "application/cbor", body, len);
	free(body);
	if (rc != 0)
		return rc;
	rc = show_env(c, &r);
	agentc_response_clear(&r);
	return rc;
}

static int env_one(struct ephctl *c, const char *method, const char *id)
{
	struct agentc_response r = {0};
	char esc[WIRE_MAX_TEXT * 3 + 1], path[sizeof(esc) + 32];
	int rc;

	if (*id == '\0' || ephctl_escape(esc, sizeof(esc), id) < 0)
		return ephctl_fail(EPHCTL_USAGE, "environment id '%.64s' is empty or too long", id);
	snprintf(path, sizeof(path), "/v1/environments/%s", esc);
	rc = ephctl_request(&r, c, method, path, "application/cbor", NULL, NULL, 0);
	if (rc != 0)
		return rc;
	rc = show_env(c, &r);
	agentc_response_clear(&r);
	return rc;
}

static const struct ephctl_col env_cols[] = {
    {"env_id", "ID", EPHCTL_COL_TEXT},           {"state", "STATE", EPHCTL_COL_TEXT},
    {"size", "SIZE", EPHCTL_COL_TEXT},           {"count", "COUNT", EPHCTL_COL_TEXT},
    {"network", "NETWORK", EPHCTL_COL_TEXT},     {"encryption", "ENCRYPTION", EPHCTL_COL_TEXT},
    {"requester", "REQUESTER", EPHCTL_COL_TEXT}, {"created_at", "CREATED", EPHCTL_COL_TIME},
};

int ephctl_list(struct ephctl *c, const char *path, const struct ephctl_col *cols, size_t ncols)
{
	struct agentc_response r = {0};
	json_error_t jerr;
	json_t *doc;
	int rc;

	rc = ephctl_request(&r, c, "GET", path, "application/json", NULL, NULL, 0);
	if (rc != 0)
		return rc;
	doc = json_loadb((const char *)r.body, r.len, 0, &jerr);
	agentc_response_clear(&r);
	if (doc == NULL)
		return ephctl_fail(EPHCTL_BROKER, "GET %s: the answer is not JSON: %s", path,
		                   jerr.text);
	if (c->json) {
		ephctl_print_json(stdout, doc);
		rc = EPHCTL_OK;
	} else if (ephctl_print_table(stdout, doc, cols, ncols) < 0) {
		rc = ephctl_fail(EPHCTL_BROKER, "GET %s: no list in the answer", path);
	}
	json_decref(doc);
	return rc;
}

static int env_list(struct ephctl *c)
{
	char esc[96], path[160];

	if (c->state == NULL)
		return ephctl_list(c, "/v1/environments", env_cols,
		                   sizeof(env_cols) / sizeof(env_cols[0]));
	if (ephctl_escape(esc, sizeof(esc), c->state) < 0)
		return ephctl_fail(EPHCTL_USAGE, "--state: too long");
	snprintf(path, sizeof(path), "/v1/environments?state=%s", esc);
	return ephctl_list(c, path, env_cols, sizeof(env_cols) / sizeof(env_cols[0]));
}

int ephctl_envs(struct ephctl *c, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	int want_id = strcmp(sub, "get") == 0 || strcmp(sub, "delete") == 0;

	if ((c->token != NULL || c->ref_env != NULL) && strcmp(sub, "create") != 0)
		return ephctl_fail(EPHCTL_USAGE, "--token/--ref-env belong to environments create");
	if (c->state != NULL && strcmp(sub, "list") != 0)
		return ephctl_fail(EPHCTL_USAGE, "--state belongs to environments list");
	if (argc != (want_id ? 2 : 1))
		return ephctl_fail(EPHCTL_USAGE,
		                   "usage: environments create --token FILE | --ref-env ID; "
		                   "environments get|delete ID; environments list [--state S]");
	if (strcmp(sub, "create") == 0)
		return env_create(c);
	if (strcmp(sub, "get") == 0)
		return env_one(c, "GET", argv[1]);
	if (strcmp(sub, "delete") == 0)
		return env_one(c, "DELETE", argv[1]);
	if (strcmp(sub, "list") == 0)
		return env_list(c);
	return ephctl_fail(EPHCTL_USAGE, "environments: unknown subcommand '%s'", sub);
}
