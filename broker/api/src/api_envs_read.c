/*
 * api_envs_read.c - the environment as the store holds it, answered:
 *   GET    /v1/environments[?state=S]  list (JSON or CBOR with text keys)
 *   GET    /v1/environments/{id}       wire_env (CBOR) or its JSON twin
 *   DELETE /v1/environments/{id}       draining, then destroyed (nothing is
 *                                      provisioned yet, so nothing to drain)
 * The reason of an environment is the reason of its last transition.
 *
 * Not here: creating one (api_envs.c), talking to drivers.
 */
#include <stdlib.h>
#include <string.h>

#include "api-lc.h"
#include "api-envs.h"
#include "wire.h"

void api__envs_send(struct api__req *r, int status, const struct store_env *e,
		    const char *reason);

static void text_field(char *out, size_t n, json_t *doc, const char *k)
{
	const char *s = json_string_value(json_object_get(doc, k));

	snprintf(out, n, "%s", s ? s : "");
}

static void to_wire(struct wire_env *w, const struct store_env *e, const char *reason)
{
	json_t *pol = json_loads(e->policy ? e->policy : "{}", 0, NULL);
	json_t *attrs = json_loads(e->attrs ? e->attrs : "{}", 0, NULL);
	json_t *arr = json_object_get(attrs, "attrs"), *it;
	size_t i;

	memset(w, 0, sizeof(*w));
	snprintf(w->env_id, sizeof(w->env_id), "%s", e->id);
	snprintf(w->state, sizeof(w->state), "%s", store_env_state_name(e->state));
	snprintf(w->reason, sizeof(w->reason), "%s", reason ? reason : "");
	text_field(w->size, sizeof(w->size), pol, "size");
	text_field(w->network, sizeof(w->network), pol, "network");
	text_field(w->encryption, sizeof(w->encryption), pol, "encryption");
	w->count = e->count;
	w->prewarm = e->prewarm;
	w->vcpu_milli = (uint32_t)json_integer_value(json_object_get(pol, "vcpu_milli"));
	w->mem_mib = (uint32_t)json_integer_value(json_object_get(pol, "mem_mib"));
	w->ttl = (uint64_t)e->ttl_s;
	w->reattest = (uint64_t)e->reattest_s;
	json_array_foreach(arr, i, it) {
		struct wire_attr *at;

		if (w->num_attrs == WIRE_MAX_ATTRS)
			break;
		at = &w->attrs[w->num_attrs++];
		text_field(at->name, sizeof(at->name), it, "name");
		text_field(at->value, sizeof(at->value), it, "value");
		at->confidence = (float)json_number_value(json_object_get(it, "confidence"));
	}
	json_decref(pol);
	json_decref(attrs);
}

static json_t *wire_to_json(const struct wire_env *w, const struct store_env *e)
{
	json_t *arr = json_array();
	uint32_t i;

	for (i = 0; arr && i < w->num_attrs; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:f}", "name", w->attrs[i].name,
						     "value", w->attrs[i].value, "confidence",
						     (double)w->attrs[i].confidence));
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s, s:s, s:I, s:I, s:s, "
			 "s:I, s:I, s:o}",
			 "env_id", w->env_id, "state", w->state, "reason", w->reason, "size",
			 w->size, "count", (int)w->count, "prewarm", (int)w->prewarm, "vcpu_milli",
			 (int)w->vcpu_milli, "mem_mib", (int)w->mem_mib, "network", w->network,
			 "encryption", w->encryption, "ttl", (json_int_t)w->ttl, "reattest",
			 (json_int_t)w->reattest, "requester", e->requester ? e->requester : "",
			 "created_at", (json_int_t)e->created_at, "updated_at",
			 (json_int_t)e->updated_at, "attrs", arr ? arr : json_array());
}

void api__envs_send(struct api__req *r, int status, const struct store_env *e,
		    const char *reason)
{
	struct wire_env *w = calloc(1, sizeof(*w));
	struct eph_err err = {{0}};
	uint8_t *out = NULL;
	size_t out_len = 0;

	if (w == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	to_wire(w, e, reason);
	if (r->json) {
		json_t *doc = wire_to_json(w, e);

		if (doc == NULL)
			api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		else
			api__send_doc(r, status, doc);
		json_decref(doc);
	} else if (wire_env_encode(&out, &out_len, w, &err) < 0) {
		api__refuse_rc(r, EPH_EFAIL, "encode", &err);
	} else {
		api__send_cbor(r, status, out, out_len);
	}
	free(out);
	free(w);
}

static int last_reason(const struct store_env_step *s, void *ctx)
{
	snprintf(ctx, WIRE_MAX_TEXT, "%s", s->reason ? s->reason : "");
	return 0;
}

void api__envs_get(struct api__req *r)
{
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	char reason[WIRE_MAX_TEXT] = "";
	int rc = store_env_get(&e, r->api->st, r->id, &err);

	if (rc == 0)
		rc = store_env_history_foreach(r->api->st, r->id, last_reason, reason, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "environment", &err);
		store_env_free(e);
		return;
	}
	api__envs_send(r, API_HTTP_OK, e, reason);
	store_env_free(e);
}

static int add_env(const struct store_env *e, void *ctx)
{
	struct wire_env *w = calloc(1, sizeof(*w));
	json_t *o;

	if (w == NULL)
		return -1;
	to_wire(w, e, NULL);
	o = wire_to_json(w, e);
	free(w);
	if (o == NULL)
		return -1;
	json_object_del(o, "reason");
	return json_array_append_new(ctx, o) == 0 ? 0 : -1;
}

void api__envs_list(struct api__req *r)
{
	struct eph_err err = {{0}};
	enum store_env_state st;
	char state[32];
	int filter = STORE_ENV_ANY, rc;
	json_t *arr = json_array(), *doc;

	if (api__query(state, sizeof(state), r, "state") == 0) {
		if (store_env_state_parse(&st, state) < 0) {
			json_decref(arr);
			api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "unknown state \"%.32s\"",
				    state);
			return;
		}
		filter = (int)st;
	}
	if (arr == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	rc = store_env_foreach(r->api->st, filter, add_env, arr, &err);
	if (rc < 0) {
		json_decref(arr);
		api__refuse_rc(r, err.msg[0] ? rc : EPH_ENOMEM, "environments", &err);
		return;
	}
	doc = json_pack("{s:o}", "environments", arr);
	if (doc == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	api__send_doc(r, API_HTTP_OK, doc);
	json_decref(doc);
}

void api__envs_delete(struct api__req *r)
{
	struct api *a = r->api;
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	struct store_audit au;
	const char *reason = "destroyed on request; nothing was provisioned";
	int64_t now = api__now();
	int rc = store_env_get(&e, a->st, r->id, &err);

	if (rc < 0) {
		api__refuse_rc(r, rc, "environment", &err);
		return;
	}
	if (store_env_state_terminal(e->state)) {
		api__refuse(r, API_HTTP_CONFLICT, "already-ended", "environment %s is already %s",
			    r->id, store_env_state_name(e->state));
		goto out;
	}
	if (a->lc != NULL && e->state != STORE_ENV_REQUESTED && e->state != STORE_ENV_ADMITTED) {
		/* Something exists: the lifecycle thread drains and destroys it
		 * (draining, usage, driver destroy, destroyed + reward). */
		api__lc_delete(a, r->id, "deleted on request");
		memset(&au, 0, sizeof(au));
		au.at = now;
		au.actor = "api";
		au.action = "env.delete";
		au.object = r->id;
		au.detail = "queued";
		if (store_audit_append(NULL, a->st, &au, &err) < 0)
			api__log(a, API_LOG_WARN, "audit", "env.delete %s: %s", r->id, err.msg);
		api__log(a, API_LOG_INFO, "environment delete queued", "%s (was %s)", r->id,
			 store_env_state_name(e->state));
		api__envs_send(r, API_HTTP_ACCEPTED, e, "delete queued: draining and destroying");
		goto out;
	}
	if (store_env_transition_allowed(e->state, STORE_ENV_DRAINING)) {
		rc = store_env_transition(a->st, r->id, e->state, STORE_ENV_DRAINING,
					  "delete requested", now, &err);
		if (rc == 0)
			rc = store_env_transition(a->st, r->id, STORE_ENV_DRAINING,
						  STORE_ENV_DESTROYED, reason, now, &err);
	} else {
		rc = store_env_transition(a->st, r->id, e->state, STORE_ENV_DESTROYED, reason, now,
					  &err);
	}
	if (rc == EPH_EVERIFY || rc == EPH_EPOLICY) {
		api__refuse(r, API_HTTP_CONFLICT, "state-conflict", "environment %s: %s", r->id,
			    err.msg);
		goto out;
	}
	if (rc < 0) {
		api__refuse_rc(r, rc, "environment", &err);
		goto out;
	}
	memset(&au, 0, sizeof(au));
	au.at = now;
	au.actor = "api";
	au.action = "env.delete";
	au.object = r->id;
	au.detail = "";
	if (store_audit_append(NULL, a->st, &au, &err) < 0)
		api__log(a, API_LOG_WARN, "audit", "env.delete %s: %s", r->id, err.msg);
	store_env_free(e);
	e = NULL;
	rc = store_env_get(&e, a->st, r->id, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "environment", &err);
		return;
	}
	api__log(a, API_LOG_INFO, "environment destroyed", "%s", r->id);
	api__envs_send(r, API_HTTP_OK, e, reason);
out:
	store_env_free(e);
}
