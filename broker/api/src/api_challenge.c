/*
 * api_challenge.c - GET /v1/challenge?agent=ID: 32 random bytes from
 * getrandom(2), remembered by the store for that agent only, single use,
 * valid for the policy's nonce lifetime (60 s by default). Only a
 * registered and activated agent gets one.
 *
 * Not here: consuming the nonce (api_attest.c, through the store).
 */
#include <stdlib.h>
#include <string.h>

#include "api-priv.h"
#include "wire.h"

void api__challenge(struct api__req *r)
{
	struct api *a = r->api;
	struct wire_challenge_resp resp;
	struct store_agent *ag = NULL;
	struct eph_err err = {{0}};
	char agent[WIRE_MAX_TEXT];
	uint8_t *out = NULL;
	size_t out_len = 0;
	int64_t now = api__now();
	int rc;

	memset(&resp, 0, sizeof(resp));
	if (api__query(agent, sizeof(agent), r, "agent") < 0 || !api__valid_id(agent)) {
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed",
			    "query parameter agent=ID is missing or not an id");
		return;
	}
	rc = store_agent_get(&ag, a->st, agent, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "agent", &err);
		return;
	}
	if (ag->activated_at == 0) {
		api__refuse(r, API_HTTP_FORBIDDEN, "agent-not-activated",
			    "agent %s has not activated its credential", agent);
		goto out;
	}
	if (api__random(resp.nonce, sizeof(resp.nonce)) < 0) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "getrandom failed");
		goto out;
	}
	resp.expires = (uint64_t)(now + a->pol.nonce_ttl_s);
	rc = store_nonce_issue(a->st, agent, resp.nonce, now, (int64_t)resp.expires, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "store", &err);
		goto out;
	}
	rc = wire_challenge_resp_encode(&out, &out_len, &resp, &err);
	if (rc < 0) {
		api__refuse_rc(r, EPH_EFAIL, "encode", &err);
		goto out;
	}
	api__send_cbor(r, API_HTTP_OK, out, out_len);
out:
	explicit_bzero(resp.nonce, sizeof(resp.nonce));
	free(out);
	store_agent_free(ag);
}
