/*
 * api_error.c - every refusal's body: a wire_error {4: message, 5: code}
 * in CBOR, or {"error_code": ..., "error": ...} in JSON for a client that
 * sent Accept: application/json, with an HTTP status that fits and one log
 * line. The statuses:
 *   400 malformed body / parameters      401/403 refused verification
 *   404 no such thing                    405 wrong method
 *   409 replay or conflict               413 body too large
 *   415 wrong content type               422 policy refusal / unsupported
 *   500 the broker's own failure         503 the store does not answer
 *
 * Not here: choosing which refusal applies (the handlers do).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-priv.h"
#include "wire.h"

void api__refuse(struct api__req *r, int status, const char *code, const char *fmt, ...)
{
	struct wire_error we;
	struct eph_err err = {{0}};
	uint8_t *buf = NULL;
	size_t len = 0;
	va_list ap;

	memset(&we, 0, sizeof(we));
	snprintf(we.code, sizeof(we.code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(we.message, sizeof(we.message), fmt, ap);
	va_end(ap);
	api__log(r->api, status >= 500 ? API_LOG_ERROR : API_LOG_INFO, "refused",
		 "%s %d %s: %s", r->route, status, we.code, we.message);
	if (r->json) {
		json_t *doc = json_pack("{s:s, s:s}", "error_code", we.code, "error", we.message);

		if (doc != NULL) {
			api__send_doc(r, status, doc);
			json_decref(doc);
			return;
		}
	} else if (wire_error_encode(&buf, &len, &we, &err) == 0) {
		api__send_cbor(r, status, buf, len);
		free(buf);
		return;
	}
	/* Could not even encode the error: plain text says the same. */
	api__send_text(r, status, "text/plain; charset=utf-8", we.message, strlen(we.message));
}

void api__refuse_rc(struct api__req *r, int rc, const char *what, const struct eph_err *err)
{
	const char *msg = err && err->msg[0] ? err->msg : eph_rc_str(rc);

	switch (rc) {
	case EPH_EFORMAT:
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "%s: %s", what, msg);
		break;
	case EPH_EVERIFY:
		api__refuse(r, API_HTTP_FORBIDDEN, "verification-failed", "%s: %s", what, msg);
		break;
	case EPH_EPOLICY:
		api__refuse(r, API_HTTP_UNPROCESSABLE, "policy-refused", "%s: %s", what, msg);
		break;
	case EPH_ENOTFOUND:
		api__refuse(r, API_HTTP_NOT_FOUND, "not-found", "%s: %s", what, msg);
		break;
	case EPH_EUNSUPPORTED:
		api__refuse(r, API_HTTP_UNPROCESSABLE, "unsupported", "%s: %s", what, msg);
		break;
	case EPH_EIO:
		api__refuse(r, API_HTTP_UNAVAILABLE, "store-unavailable", "%s: %s", what, msg);
		break;
	default:
		api__refuse(r, API_HTTP_INTERNAL, "internal", "%s: %s", what, msg);
		break;
	}
}
