/*
 * json.c - reading Intel's collateral JSON (PCS API v4: TCB info, QE
 * identity) with jansson: typed accessors that fail with a message naming
 * the document and the member, and the TCB status names.
 *
 *   {"tcbInfo":{"id":"TDX","version":3,"issueDate":"2023-06-18T08:42:58Z",
 *    "fmspc":"50806f000000",...},"signature":"..."}
 *
 * Not here: what the members mean (tcbinfo.c, qeid.c).
 */
#include <jansson.h>
#include <string.h>

#include "eph_hex.h"
#include "tdx-priv.h"

static const char *const status_names[] = {
    [TDX_TCB_UNKNOWN] = "Unknown",
    [TDX_TCB_UP_TO_DATE] = "UpToDate",
    [TDX_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [TDX_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [TDX_TCB_OUT_OF_DATE] = "OutOfDate",
    [TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [TDX_TCB_REVOKED] = "Revoked",
};

const char *tdx_tcb_status_name(enum tdx_tcb_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "Unknown";
	return status_names[s];
}

int tdx__json_status(enum tdx_tcb_status *out, const json_t *obj, const char *doc,
                     struct eph_err *err)
{
	const char *s = json_string_value(json_object_get(obj, "tcbStatus"));
	unsigned i;

	if (s != NULL)
		for (i = 1; i < sizeof(status_names) / sizeof(status_names[0]); i++)
			if (strcmp(s, status_names[i]) == 0) {
				*out = (enum tdx_tcb_status)i;
				return 0;
			}
	return eph_err_set(err, EPH_EFORMAT, "%s: tcbStatus %s%s%s is not a known status", doc,
	                   s ? "\"" : "", s ? s : "missing", s ? "\"" : "");
}

int tdx__json_hex(uint8_t *out, size_t n, const json_t *obj, const char *doc, const char *key,
                  struct eph_err *err)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	if (s == NULL || json_string_length(v) != 2 * n ||
	    eph_hex_decode(out, n, s, json_string_length(v)) != (long)n)
		return eph_err_set(err, EPH_EFORMAT, "%s: %s is not %zu bytes of hex", doc, key, n);
	return 0;
}

int tdx__json_uint(unsigned *out, unsigned max, const json_t *obj, const char *doc, const char *key,
                   struct eph_err *err)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t x;

	if (!json_is_integer(v))
		return eph_err_set(err, EPH_EFORMAT, "%s: %s is not an integer", doc, key);
	x = json_integer_value(v);
	if (x < 0 || (unsigned long long)x > max)
		return eph_err_set(err, EPH_EFORMAT, "%s: %s = %lld is out of range 0..%u", doc,
		                   key, (long long)x, max);
	*out = (unsigned)x;
	return 0;
}

int tdx__json_time(time_t *out, const json_t *obj, const char *doc, const char *key,
                   struct eph_err *err)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL || tdx__parse_time(out, s) < 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: %s is not a UTC time", doc, key);
	return 0;
}

int tdx__json_load(json_t **root, json_t **obj, const char *json, size_t len, const char *top,
                   struct eph_err *err)
{
	json_error_t je;

	*obj = NULL;
	*root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (*root == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: JSON error at line %d column %d: %s", top,
		                   je.line, je.column, je.text);
	*obj = json_object_get(*root, top);
	if (!json_is_object(*obj)) {
		json_decref(*root);
		*root = NULL;
		*obj = NULL;
		return eph_err_set(err, EPH_EFORMAT, "%s: no \"%s\" object at the top", top, top);
	}
	return 0;
}

int tdx__check_dates(time_t issue, time_t next, time_t at, const char *doc, struct eph_err *err)
{
	if (at < issue)
		return eph_err_set(err, EPH_EVERIFY, "%s: issued after the verification time", doc);
	if (at > next)
		return eph_err_set(err, EPH_EVERIFY,
		                   "%s: expired (nextUpdate is before the verification time)", doc);
	return 0;
}
