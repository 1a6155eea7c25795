/*
 * api_io.c - request bodies and responses: the bounded CBOR body with its
 * content type, query parameters, and sending CBOR, JSON or text with the
 * metrics counted once per response. Human documents are built as jansson
 * values and sent as JSON or converted to CBOR (text map keys) by Accept.
 *
 * Not here: error bodies (api_error.c), what any endpoint means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cbor.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>

#include "api-priv.h"
#include "eph_hex.h"
#include "wire.h"

static int is_cbor_type(const char *ct)
{
	static const char want[] = "application/cbor";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int api__body(const uint8_t **buf, size_t *len, struct api__req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(r->req),
					    "Content-Type");
	size_t n = evbuffer_get_length(in);

	*buf = NULL;
	*len = 0;
	if (n > WIRE_MAX_BODY) {
		api__refuse(r, API_HTTP_TOO_LARGE, "body-too-large",
			    "request body of %zu bytes exceeds the limit of %u bytes", n,
			    (unsigned)WIRE_MAX_BODY);
		return -1;
	}
	if (!is_cbor_type(ct)) {
		api__refuse(r, API_HTTP_MEDIA_TYPE, "unsupported-media-type",
			    "Content-Type is \"%.64s\", expected application/cbor",
			    ct ? ct : "(none)");
		return -1;
	}
	if (n == 0) {
		api__refuse(r, API_HTTP_BAD_REQUEST, "malformed", "empty request body");
		return -1;
	}
	*buf = evbuffer_pullup(in, -1);
	if (*buf == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "cannot buffer the request body");
		return -1;
	}
	*len = n;
	return 0;
}

int api__query(char *out, size_t out_len, struct api__req *r, const char *name)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv;
	const char *v;
	int rc = -1;

	out[0] = '\0';
	if (q == NULL)
		return -1;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q, &kv) != 0)
		goto out;
	v = evhttp_find_header(&kv, name);
	if (v != NULL && strlen(v) < out_len) {
		memcpy(out, v, strlen(v) + 1);
		rc = 0;
	}
out:
	evhttp_clear_headers(&kv);
	return rc;
}

static void send_buf(struct api__req *r, int status, const char *ctype, const void *buf,
		     size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *out = evbuffer_new();

	r->status = status;
	api__metrics_http(&r->api->metrics, r->route, status);
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (out == NULL || evbuffer_add(out, buf, len) != 0) {
		if (out != NULL)
			evbuffer_free(out);
		evhttp_send_error(r->req, API_HTTP_INTERNAL, "out of memory");
		return;
	}
	evhttp_send_reply(r->req, status, NULL, out);
	evbuffer_free(out);
}

void api__send_cbor(struct api__req *r, int status, const uint8_t *buf, size_t len)
{
	send_buf(r, status, "application/cbor", buf, len);
}

void api__send_text(struct api__req *r, int status, const char *ctype, const char *text,
		    size_t len)
{
	send_buf(r, status, ctype, text, len);
}

static cbor_item_t *to_cbor(const json_t *j, int depth)
{
	cbor_item_t *item = NULL;

	if (depth > 16)
		return NULL;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;

		item = cbor_new_definite_map(json_object_size(j));
		if (item == NULL)
			return NULL;
		json_object_foreach((json_t *)j, k, v) {
			struct cbor_pair p;

			p.key = cbor_build_string(k);
			p.value = to_cbor(v, depth + 1);
			if (p.key == NULL || p.value == NULL || !cbor_map_add(item, p)) {
				if (p.key)
					cbor_decref(&p.key);
				if (p.value)
					cbor_decref(&p.value);
				cbor_decref(&item);
				return NULL;
			}
			cbor_decref(&p.key);
			cbor_decref(&p.value);
		}
		return item;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;

		item = cbor_new_definite_array(json_array_size(j));
		if (item == NULL)
			return NULL;
		json_array_foreach(j, i, v) {
			cbor_item_t *c = to_cbor(v, depth + 1);

			if (c == NULL || !cbor_array_push(item, c)) {
				if (c)
					cbor_decref(&c);
				cbor_decref(&item);
				return NULL;
			}
			cbor_decref(&c);
		}
		return item;
	}
	case JSON_STRING:
		return cbor_build_stringn(json_string_value(j), json_string_length(j));
	case JSON_INTEGER: {
		json_int_t v = json_integer_value(j);

		if (v >= 0)
			return cbor_build_uint64((uint64_t)v);
		item = cbor_build_negint64((uint64_t)(-(v + 1)));
		return item;
	}
	case JSON_REAL:
		return cbor_build_float8(json_real_value(j));
	case JSON_TRUE:
		return cbor_build_bool(true);
	case JSON_FALSE:
		return cbor_build_bool(false);
	case JSON_NULL:
		return cbor_new_null();
	}
	return NULL;
}

int api__json_to_cbor(uint8_t **out, size_t *len, const json_t *doc)
{
	cbor_item_t *item = to_cbor(doc, 0);
	unsigned char *buf = NULL;
	size_t cap = 0;

	*out = NULL;
	*len = 0;
	if (item == NULL)
		return -1;
	*len = cbor_serialize_alloc(item, &buf, &cap);
	cbor_decref(&item);
	if (*len == 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

void api__send_doc(struct api__req *r, int status, json_t *doc)
{
	if (r->json) {
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);

		if (s == NULL) {
			api__refuse(r, API_HTTP_INTERNAL, "internal", "cannot encode JSON");
			return;
		}
		send_buf(r, status, "application/json", s, strlen(s));
		free(s);
	} else {
		uint8_t *buf = NULL;
		size_t len = 0;

		if (api__json_to_cbor(&buf, &len, doc) < 0) {
			api__refuse(r, API_HTTP_INTERNAL, "internal", "cannot encode CBOR");
			return;
		}
		api__send_cbor(r, status, buf, len);
		free(buf);
	}
}

json_t *api__json_hex(const uint8_t *buf, size_t n)
{
	char *s;
	json_t *j;

	if (buf == NULL || n == 0)
		return json_null();
	s = malloc(2 * n + 1);
	if (s == NULL || eph_hex_encode(s, 2 * n + 1, buf, n) < 0) {
		free(s);
		return json_null();
	}
	j = json_string(s);
	free(s);
	return j;
}
