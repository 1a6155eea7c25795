/*
 * api_envs.c - POST /v1/environments: who asks (a CWT from a trusted issuer,
 * or a reference to the requester's own running environment), their
 * attributes with confidence, the resource policy and its action mask, the
 * configuration decision (api_decide.c), then the store: the environment is
 * created (requested), the decision recorded, and the environment admitted,
 * in that order, each written before it is answered. Provisioning arrives
 * with the drivers (a later issue): an admitted environment stays
 * "admitted" and the response's reason says so.
 *
 * Statuses: 400 malformed, 401 claims refused (signature, issuer, expired),
 * 404 ref_env unknown, 409 ref_env not running, 422 policy refusal or
 * unsupported token, 201 admitted.
 *
 * Not here: GET / DELETE / list (api_envs_read.c); attribute rules beyond
 * confidence (broker/policy when it lands).
 */
#include <stdlib.h>
#include <string.h>

#include "api-envs.h"
#include "driver.h"
#include "api-lc.h"
#include "wire.h"

#ifdef API_HAVE_CWT
#include "cwt.h"
#endif
#ifdef API_HAVE_ATTRS
#include "attrs.h"
#endif

#define CWT_LEEWAY_S 60

int api__envs_open(struct api *a, struct eph_err *err);
void api__envs_close(struct api *a);
void api__envs_send(struct api__req *r, int status, const struct store_env *e,
		    const char *reason);

int api__envs_open(struct api *a, struct eph_err *err)
{
	if (a->cfg.cwt_trust_dir == NULL)
		return 0;
#ifdef API_HAVE_CWT
	{
		cwt_trust *t = NULL;
		int rc = cwt_trust_load_dir(&t, a->cfg.cwt_trust_dir, err);

		if (rc < 0)
			return eph_err_prefix(err, rc, "CWT issuers %s", a->cfg.cwt_trust_dir);
		a->cwt = t;
	}
	return 0;
#else
	return eph_err_set(err, EPH_EUNSUPPORTED, "CWT issuers %s: built without broker/cwt",
			   a->cfg.cwt_trust_dir);
#endif
}

void api__envs_close(struct api *a)
{
#ifdef API_HAVE_CWT
	cwt_trust_free(a->cwt);
#endif
	a->cwt = NULL;
}

/* Who asks: subject, class and the attributes, as JSON for the store. */
struct who {
	char requester[256];
	char cls[64];
	struct api__ask ask;
	json_t *attrs; /* [{"name","value","source","confidence"}] */
};

static float confidence_of(const struct api *a, const char *source)
{
#ifdef API_HAVE_ATTRS
	struct attrs_conf conf;
	struct attrs_attr at;
	json_t *rules = json_object_get(a->pol.doc, "confidence");

	attrs_conf_default(&conf);
	if (rules != NULL && attrs_conf_from_json(&conf, rules, NULL, 0, NULL) < 0)
		attrs_conf_default(&conf);
	memset(&at, 0, sizeof(at));
	if (attrs_source_from_name(&at.source, source) < 0)
		at.source = ATTRS_SRC_SELF;
	return (float)attrs_confidence(&conf, &at);
#else
	(void)a;
	return strcmp(source, "hardware") == 0 ? 1.0f : strcmp(source, "issuer") == 0 ? 0.8f : 0.3f;
#endif
}

static void add_attr(struct who *w, const struct api *a, const char *name, const char *value,
		     const char *source)
{
	json_array_append_new(w->attrs, json_pack("{s:s, s:s, s:s, s:f}", "name", name, "value",
						  value, "source", source, "confidence",
						  (double)confidence_of(a, source)));
}

static int from_claims(struct who *w, struct api__req *r, const struct wire_env_create_req *q)
{
#ifdef API_HAVE_CWT
	struct api *a = r->api;
	struct cwt_claims c;
	struct eph_err err = {{0}};
	char num[32];
	int rc;

	if (a->cwt == NULL) {
		api__refuse(r, API_HTTP_UNPROCESSABLE, "claims-untrusted",
			    "this broker trusts no CWT issuer (no cwt-trust folder)");
		return -1;
	}
	rc = cwt_verify(&c, a->cwt, q->claims.p, q->claims.len, (time_t)api__now(),
			CWT_LEEWAY_S, &err);
	if (rc == EPH_EVERIFY) {
		api__refuse(r, API_HTTP_UNAUTHORIZED, "claims-refused", "claims: %s", err.msg);
		return -1;
	}
	if (rc < 0) {
		api__refuse_rc(r, rc, "claims", &err);
		return -1;
	}
	snprintf(w->requester, sizeof(w->requester), "%s", c.sub);
	snprintf(w->cls, sizeof(w->cls), "%s", c.app.cls[0] ? c.app.cls : c.role);
	w->ask.vcpu_milli = c.app.vcpu_milli;
	w->ask.mem_mib = c.app.mem_mib;
	w->ask.duration_s = c.app.duration_s;
	w->ask.clearance = c.clearance;
	w->ask.sensitivity = (unsigned)c.sensitivity;
	w->ask.has_sensitivity = 1;
	w->ask.confidence = confidence_of(a, "issuer");
	snprintf(w->ask.role, sizeof(w->ask.role), "%s", c.role);
	snprintf(w->ask.app_class, sizeof(w->ask.app_class), "%s", c.app.cls);
	add_attr(w, a, "user_id", c.sub, "issuer");
	add_attr(w, a, "issuer", c.iss, "issuer");
	add_attr(w, a, "role", c.role, "issuer");
	snprintf(num, sizeof(num), "%u", c.clearance);
	add_attr(w, a, "clearance", num, "issuer");
	add_attr(w, a, "data_sensitivity", cwt_sensitivity_name(c.sensitivity), "issuer");
	if (c.app.cls[0])
		add_attr(w, a, "app_class", c.app.cls, "issuer");
	return 0;
#else
	(void)w;
	(void)q;
	api__refuse(r, API_HTTP_UNPROCESSABLE, "unsupported",
		    "claims: this broker was built without broker/cwt");
	return -1;
#endif
}

static int from_ref_env(struct who *w, struct api__req *r, const struct wire_env_create_req *q)
{
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	json_t *doc = NULL, *ask, *arr;
	int rc;

	if (!api__valid_id(q->ref_env)) {
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "ref_env is not an id");
		return -1;
	}
	rc = store_env_get(&e, r->api->st, q->ref_env, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "ref_env", &err);
		return -1;
	}
	if (e->state != STORE_ENV_RUNNING) {
		api__refuse(r, API_HTTP_CONFLICT, "ref-env-not-running",
			    "ref_env %s is %s, not running", q->ref_env,
			    store_env_state_name(e->state));
		store_env_free(e);
		return -1;
	}
	doc = json_loads(e->attrs, 0, NULL);
	ask = json_object_get(doc, "ask");
	arr = json_object_get(doc, "attrs");
	snprintf(w->requester, sizeof(w->requester), "%s", e->requester ? e->requester : "");
	snprintf(w->cls, sizeof(w->cls), "%s",
		 json_is_string(json_object_get(doc, "class"))
			 ? json_string_value(json_object_get(doc, "class"))
			 : "default");
	w->ask.vcpu_milli = (uint32_t)json_integer_value(json_object_get(ask, "vcpu_milli"));
	w->ask.mem_mib = (uint32_t)json_integer_value(json_object_get(ask, "mem_mib"));
	w->ask.duration_s = (uint32_t)json_integer_value(json_object_get(ask, "duration_s"));
	w->ask.confidence = confidence_of(r->api, "hardware_stale");
	if (json_is_array(arr)) {
		static const char *const sens[] = {"public", "internal", "confidential", "secret"};
		size_t i, k;
		json_t *it;

		json_array_extend(w->attrs, arr);
		/* the decider's role and sensitivity: the ones the parent was given */
		json_array_foreach(arr, i, it) {
			const char *n = json_string_value(json_object_get(it, "name"));
			const char *v = json_string_value(json_object_get(it, "value"));

			if (n == NULL || v == NULL)
				continue;
			if (strcmp(n, "role") == 0)
				snprintf(w->ask.role, sizeof(w->ask.role), "%s", v);
			else if (strcmp(n, "app_class") == 0)
				snprintf(w->ask.app_class, sizeof(w->ask.app_class), "%s", v);
			for (k = 0; strcmp(n, "data_sensitivity") == 0 && k < 4; k++)
				if (strcmp(v, sens[k]) == 0) {
					w->ask.sensitivity = (unsigned)k;
					w->ask.has_sensitivity = 1;
				}
		}
	}
	add_attr(w, r->api, "ref_env", q->ref_env, "hardware_stale");
	json_decref(doc);
	store_env_free(e);
	return 0;
}

static json_t *policy_json(const struct api__envpol *p, const struct api__decision *d,
			   uint64_t ttl)
{
	const struct api__size *z = &p->sizes[d->action];

	return json_pack("{s:s, s:i, s:i, s:s, s:s, s:I, s:I, s:s, s:I, s:i, s:i, s:i, s:i}",
			 "size", z->name, "vcpu_milli", (int)z->vcpu_milli, "mem_mib",
			 (int)z->mem_mib, "network", p->network, "encryption", p->encryption,
			 "ttl_s", (json_int_t)ttl, "reattest_s", (json_int_t)p->reattest_s,
			 "decider", d->decider, "mask", (json_int_t)p->mask, "count", d->count,
			 "prewarm", d->prewarm, "max_vcpu_milli", (int)p->max_vcpu_milli,
			 "max_mem_mib", (int)p->max_mem_mib);
}

/* Store: create (requested), decision, admit. */
static int admit(struct api__req *r, struct who *w, const struct api__envpol *pol,
		 const struct api__decision *d, const char *rules_why)
{
	struct api *a = r->api;
	struct eph_err err = {{0}};
	struct store_env e;
	struct store_decision sd;
	struct store_audit au;
	struct store_env *got = NULL;
	char id[STORE_ID_SIZE], reason[WIRE_MAX_TEXT];
	char *attrs_s = NULL, *pol_s = NULL;
	int64_t decision_id = 0;
	uint64_t ttl = w->ask.duration_s && w->ask.duration_s < pol->max_ttl_s ? w->ask.duration_s
									     : pol->max_ttl_s;
	json_t *attrs_doc = json_pack("{s:O, s:s, s:{s:i, s:i, s:i}}", "attrs", w->attrs, "class",
				      w->cls, "ask", "vcpu_milli", (int)w->ask.vcpu_milli,
				      "mem_mib", (int)w->ask.mem_mib, "duration_s",
				      (int)w->ask.duration_s);
	json_t *pol_doc = policy_json(pol, d, ttl);
	int64_t now = api__now();
	int rc = EPH_ENOMEM;

	if (attrs_doc == NULL || pol_doc == NULL)
		goto out;
	attrs_s = json_dumps(attrs_doc, JSON_COMPACT);
	pol_s = json_dumps(pol_doc, JSON_COMPACT);
	if (attrs_s == NULL || pol_s == NULL)
		goto out;
	memset(&e, 0, sizeof(e));
	e.requester = w->requester;
	e.attrs = attrs_s;
	e.policy = pol_s;
	e.size = d->action;
	e.count = d->count;
	e.prewarm = d->prewarm;
	e.driver = a->cfg.driver ? a->cfg.driver->ops->name : "none";
	e.ttl_s = (int64_t)ttl;
	e.reattest_s = (int64_t)pol->reattest_s;
	e.created_at = now;
	rc = store_env_create(id, a->st, &e, &err);
	if (rc < 0)
		goto out;
	memset(&sd, 0, sizeof(sd));
	sd.env_id = id;
	sd.class = w->cls;
	sd.at = now;
	memcpy(sd.state, d->state, sizeof(sd.state));
	sd.action = d->qaction;
	sd.mask = d->mask;
	sd.policy = pol_s;
	if (d->by_model) {
		sd.model_hash.p = a->qnet_hash;
		sd.model_hash.len = sizeof(a->qnet_hash);
	}
	rc = store_decision_record(&decision_id, a->st, &sd, &err);
	if (rc < 0)
		goto out;
	snprintf(reason, sizeof(reason), "admitted: size %s by the %s decider; policy %s; %s",
		 pol->sizes[d->action].name, d->decider, rules_why[0] ? rules_why : "built-in",
		 a->lc ? "provisioning" : "not provisioned (this broker has no driver)");
	rc = store_env_transition(a->st, id, STORE_ENV_REQUESTED, STORE_ENV_ADMITTED, reason, now,
				  &err);
	if (rc < 0)
		goto out;
	memset(&au, 0, sizeof(au));
	au.at = now;
	au.actor = w->requester;
	au.action = "env.create";
	au.object = id;
	au.detail = pol_s;
	if (store_audit_append(NULL, a->st, &au, &err) < 0)
		api__log(a, API_LOG_WARN, "audit", "env.create %s: %s", id, err.msg);
	rc = store_env_get(&got, a->st, id, &err);
	if (rc < 0)
		goto out;
	api__log(a, API_LOG_INFO, "environment admitted", "%s for %s: %s", id, w->requester,
		 reason);
	api__lc_provision(a, id, decision_id);
	api__envs_send(r, API_HTTP_CREATED, got, reason);
out:
	if (rc < 0)
		api__refuse_rc(r, rc, "environment", &err);
	store_env_free(got);
	free(attrs_s);
	free(pol_s);
	json_decref(attrs_doc);
	json_decref(pol_doc);
	return rc;
}

void api__envs_create(struct api__req *r)
{
	struct wire_env_create_req q;
	struct api__envpol pol;
	struct api__decision d;
	struct eph_err err = {{0}};
	char why[256] = "";
	struct who w;
	const uint8_t *body;
	size_t body_len;
	int rc;

	memset(&q, 0, sizeof(q));
	memset(&w, 0, sizeof(w));
	if (api__body(&body, &body_len, r) < 0)
		return;
	rc = wire_env_create_req_decode(&q, body, body_len, &err);
	if (rc < 0) {
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "environment request: %s",
			    err.msg);
		return;
	}
	w.attrs = json_array();
	if (w.attrs == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		goto out;
	}
	rc = q.claims.len ? from_claims(&w, r, &q) : from_ref_env(&w, r, &q);
	if (rc < 0)
		goto out;
	rc = api__envpol_load(&pol, &r->api->pol, &err);
	if (rc < 0) {
		api__refuse_rc(r, EPH_EFAIL, "policy", &err);
		goto out;
	}
	rc = api__rules_narrow(&pol, why, sizeof(why), r->api->pol.rules, w.attrs, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "policy", &err);
		goto out;
	}
	if (why[0] != '\0')
		api__log(r->api, API_LOG_INFO, "policy", "%s", why);
	w.ask.cls = w.cls;
	rc = api__decide(&d, r->api, &pol, &w.ask, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "policy", &err);
		goto out;
	}
	if (r->api->qnet != NULL)
		api__log(r->api, API_LOG_INFO, "decision",
			 "class %s: %s chose size %s count %u prewarm %u (action %u, mask 0x%llx) "
			 "in %.0f us",
			 w.cls, d.decider, pol.sizes[d.action].name, d.count, d.prewarm,
			 d.qaction, (unsigned long long)d.mask, d.decide_us);
	admit(r, &w, &pol, &d, why);
out:
	json_decref(w.attrs);
	wire_env_create_req_free(&q);
}
