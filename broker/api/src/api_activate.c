/*
 * api_activate.c - POST /v1/agents/activate: the agent returns the secret
 * its TPM recovered with TPM2_ActivateCredential; the store compares its
 * hash in constant time and forgets it (single use). Only an activated
 * agent may ask for a challenge.
 *
 * Not here: the credential itself (api_register.c).
 */
#include <stdlib.h>
#include <string.h>

#include "api-priv.h"
#include "wire.h"

void api__activate(struct api__req *r)
{
	struct api *a = r->api;
	struct wire_activate_req req;
	struct wire_activate_resp resp;
	struct store_audit au;
	struct eph_err err = {{0}};
	uint8_t *out = NULL;
	size_t out_len = 0;
	const uint8_t *body;
	size_t body_len;
	int rc;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	if (api__body(&body, &body_len, r) < 0)
		return;
	rc = wire_activate_req_decode(&req, body, body_len, &err);
	if (rc < 0) {
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "activate request: %s", err.msg);
		return;
	}
	if (!api__valid_id(req.agent_id)) {
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "agent id is not an id");
		goto out;
	}
	rc = store_agent_activate(a->st, req.agent_id, req.secret.p, req.secret.len, api__now(),
				  &err);
	if (rc == EPH_EVERIFY) {
		api__refuse(r, API_HTTP_FORBIDDEN, "activation-refused", "agent %s: %s",
			    req.agent_id, err.msg);
		goto out;
	}
	if (rc < 0) {
		api__refuse_rc(r, rc, "activate", &err);
		goto out;
	}
	memset(&au, 0, sizeof(au));
	au.at = api__now();
	au.actor = req.agent_id;
	au.action = "agent.activate";
	au.object = req.agent_id;
	au.detail = "";
	if (store_audit_append(NULL, a->st, &au, &err) < 0)
		api__log(a, API_LOG_WARN, "audit", "agent.activate %s: %s", req.agent_id, err.msg);
	memcpy(resp.status, "activated", sizeof("activated"));
	rc = wire_activate_resp_encode(&out, &out_len, &resp, &err);
	if (rc < 0) {
		api__refuse_rc(r, EPH_EFAIL, "encode", &err);
		goto out;
	}
	api__log(a, API_LOG_INFO, "agent activated", "%s", req.agent_id);
	api__send_cbor(r, API_HTTP_OK, out, out_len);
out:
	if (req.secret.p != NULL)
		explicit_bzero(req.secret.p, req.secret.len);
	free(out);
	wire_activate_req_free(&req);
}
