/*
 * api_agents.c - the read-only human endpoints for ephemeractl:
 *   GET /v1/agents                    every agent (id, host, cvm, times)
 *   GET /v1/agents/{id}/attestations  that agent's verdicts, oldest first
 * JSON with Accept: application/json, else the same document in CBOR with
 * text keys (wire.h has no list messages).
 *
 * Not here: writes of any kind; paging (the lists are whole).
 */
#include <string.h>

#include "api-priv.h"

static int add_agent(const struct store_agent *ag, void *ctx)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:o}", "id", ag->id,
			      "hostname", ag->hostname ? ag->hostname : "", "cvm",
			      ag->cvm ? ag->cvm : "none", "created_at", (json_int_t)ag->created_at,
			      "activated_at", (json_int_t)ag->activated_at, "last_attest_at",
			      (json_int_t)ag->last_attest_at, "next_deadline",
			      (json_int_t)ag->next_deadline, "ek_certified", ag->ek_cert.len != 0,
			      "ak_name", api__json_hex(ag->ak_name.p, ag->ak_name.len));

	if (o == NULL || json_array_append_new(ctx, o) != 0)
		return -1;
	return 0;
}

void api__agents_list(struct api__req *r)
{
	struct eph_err err = {{0}};
	json_t *arr = json_array(), *doc;
	int rc;

	if (arr == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	rc = store_agent_foreach(r->api->st, add_agent, arr, &err);
	if (rc < 0) {
		json_decref(arr);
		api__refuse_rc(r, rc == -1 && !err.msg[0] ? EPH_ENOMEM : rc, "agents", &err);
		return;
	}
	doc = json_pack("{s:o}", "agents", arr);
	if (doc == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	api__send_doc(r, API_HTTP_OK, doc);
	json_decref(doc);
}

static const char *const claim_names[STORE_AR4SI_N] = {
	"instance_identity", "configuration", "executables", "file_system",
	"hardware", "runtime_opaque", "storage_opaque", "sourced_data"};

static int add_attestation(const struct store_attestation *at, void *ctx)
{
	json_t *vec = json_object(), *o;
	unsigned i;

	if (vec == NULL)
		return -1;
	for (i = 0; i < STORE_AR4SI_N; i++)
		json_object_set_new(vec, claim_names[i], json_integer(at->ar4si[i]));
	o = json_pack("{s:I, s:I, s:b, s:s, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)at->id,
		      "at", (json_int_t)at->at, "accepted", at->accepted, "reason",
		      at->reason ? at->reason : "", "ar4si", vec, "nonce",
		      api__json_hex(at->nonce.p, at->nonce.len), "quote_sha256",
		      api__json_hex(at->quote_digest.p, at->quote_digest.len), "eventlog_sha256",
		      api__json_hex(at->eventlog_digest.p, at->eventlog_digest.len),
		      "counters",
		      at->has_counters
			      ? json_pack("{s:I, s:I, s:I}", "clock", (json_int_t)at->counters.clock,
					  "reset_count", (json_int_t)at->counters.reset_count,
					  "restart_count", (json_int_t)at->counters.restart_count)
			      : json_null());
	if (o == NULL || json_array_append_new(ctx, o) != 0)
		return -1;
	return 0;
}

void api__agents_history(struct api__req *r)
{
	struct store_agent *ag = NULL;
	struct eph_err err = {{0}};
	json_t *arr, *doc;
	int rc;

	rc = store_agent_get(&ag, r->api->st, r->id, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "agent", &err);
		return;
	}
	store_agent_free(ag);
	arr = json_array();
	if (arr == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	rc = store_attest_foreach(r->api->st, r->id, add_attestation, arr, &err);
	if (rc < 0) {
		json_decref(arr);
		api__refuse_rc(r, err.msg[0] ? rc : EPH_ENOMEM, "attestations", &err);
		return;
	}
	doc = json_pack("{s:s, s:o}", "agent", r->id, "attestations", arr);
	if (doc == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	api__send_doc(r, API_HTTP_OK, doc);
	json_decref(doc);
}
