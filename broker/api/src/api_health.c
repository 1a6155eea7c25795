/*
 * api_health.c - GET /healthz: 200 "ok" when the store answers (a purge of
 * expired nonces, which is also the broker's housekeeping), 503 with the
 * store's message otherwise.
 *
 * Not here: liveness of drivers or of the policy (a bad policy never
 * replaces a good one, see api_reload_policy).
 */
#include "api-priv.h"

void api__health(struct api__req *r)
{
	struct eph_err err = {{0}};
	int rc = store_nonce_purge(r->api->st, api__now(), NULL, &err);

	if (rc < 0) {
		api__refuse(r, API_HTTP_UNAVAILABLE, "store-unavailable", "store: %s", err.msg);
		return;
	}
	api__send_text(r, API_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
}
