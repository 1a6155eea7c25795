/*
 * qeid.c - the QE identity (Intel PCS API v4, /tdx/certification/v4/qe/identity,
 * "Enclave Identity V2") and the check of a quote's QE report against it.
 *
 *   {"enclaveIdentity":{"id":"TD_QE","version":2,"issueDate":"..","nextUpdate":"..",
 *     "miscselect":"00000000","miscselectMask":"FFFFFFFF",
 *     "attributes":"11000000000000000000000000000000",
 *     "attributesMask":"FBFFFFFFFFFFFFFF0000000000000000",
 *     "mrsigner":"DC9E2A7C...","isvprodid":2,
 *     "tcbLevels":[{"tcb":{"isvsvn":4},"tcbDate":"..","tcbStatus":"UpToDate"}]},
 *   "signature":"..."}
 *
 * miscselect is compared as the 4 bytes of the REPORTBODY field
 * (little-endian) against the hex bytes, as attributes are: byte by byte
 * under the mask, which is how Intel's QVL compares them.
 *
 * Not here: the signature (needs the TCB signing chain, not handled yet).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tdx-priv.h"

#define DOC "QE identity"
#define MAX_LEVELS 64

struct tdx_qeid {
	time_t issue, next;
	uint8_t miscselect[4], miscselect_mask[4];
	uint8_t attributes[16], attributes_mask[16];
	uint8_t mrsigner[32];
	unsigned isvprodid;
	size_t n;
	struct {
		unsigned isvsvn;
		enum tdx_tcb_status status;
	} levels[MAX_LEVELS];
};

void tdx_qeid_free(tdx_qeid *qi) { free(qi); }

static int parse_id(tdx_qeid *qi, const json_t *o, struct eph_err *err)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const json_t *levels = json_object_get(o, "tcbLevels");
	size_t i;
	int rc;

	if (id == NULL || (strcmp(id, "TD_QE") != 0 && strcmp(id, "QE") != 0))
		return eph_err_set(err, EPH_EFORMAT, DOC ": id is not \"TD_QE\" or \"QE\"");
	rc = tdx__json_time(&qi->issue, o, DOC, "issueDate", err);
	if (rc == 0)
		rc = tdx__json_time(&qi->next, o, DOC, "nextUpdate", err);
	if (rc == 0)
		rc = tdx__json_hex(qi->miscselect, 4, o, DOC, "miscselect", err);
	if (rc == 0)
		rc = tdx__json_hex(qi->miscselect_mask, 4, o, DOC, "miscselectMask", err);
	if (rc == 0)
		rc = tdx__json_hex(qi->attributes, 16, o, DOC, "attributes", err);
	if (rc == 0)
		rc = tdx__json_hex(qi->attributes_mask, 16, o, DOC, "attributesMask", err);
	if (rc == 0)
		rc = tdx__json_hex(qi->mrsigner, 32, o, DOC, "mrsigner", err);
	if (rc == 0)
		rc = tdx__json_uint(&qi->isvprodid, 0xffff, o, DOC, "isvprodid", err);
	if (rc < 0)
		return rc;
	if (!json_is_array(levels) || json_array_size(levels) == 0 ||
	    json_array_size(levels) > MAX_LEVELS)
		return eph_err_set(err, EPH_EFORMAT, DOC ": tcbLevels missing, empty or too long");
	for (i = 0; i < json_array_size(levels); i++) {
		const json_t *l = json_array_get(levels, i);

		rc = tdx__json_uint(&qi->levels[i].isvsvn, 0xffff, json_object_get(l, "tcb"), DOC,
		                    "isvsvn", err);
		if (rc == 0)
			rc = tdx__json_status(&qi->levels[i].status, l, DOC, err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "tcbLevels[%zu]", i);
	}
	qi->n = i;
	return 0;
}

int tdx_qeid_parse(tdx_qeid **out, const char *json, size_t len, struct eph_err *err)
{
	json_t *root = NULL, *o = NULL;
	tdx_qeid *qi = NULL;
	int rc;

	*out = NULL;
	rc = tdx__json_load(&root, &o, json, len, "enclaveIdentity", err);
	if (rc < 0)
		return rc;
	qi = calloc(1, sizeof(*qi));
	if (qi == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, DOC ": out of memory");
		goto out;
	}
	rc = parse_id(qi, o, err);
	if (rc < 0)
		goto out;
	*out = qi;
	qi = NULL;
out:
	free(qi);
	json_decref(root);
	return rc;
}

int tdx_qeid_evaluate(enum tdx_tcb_status *status, const tdx_qeid *qi, const struct tdx_quote *q,
                      time_t at, struct eph_err *err)
{
	const struct tdx_qe_report *r = &q->qe_report;
	uint8_t misc[4];
	size_t i;
	int rc;

	*status = TDX_TCB_UNKNOWN;
	rc = tdx__check_dates(qi->issue, qi->next, at != 0 ? at : time(NULL), DOC, err);
	if (rc < 0)
		return rc;
	if (memcmp(r->mrsigner, qi->mrsigner, 32) != 0)
		return eph_err_set(err, EPH_EVERIFY, DOC ": QE MRSIGNER differs");
	if (r->isvprodid != qi->isvprodid)
		return eph_err_set(err, EPH_EVERIFY, DOC ": QE ISVPRODID %u, expected %u",
		                   r->isvprodid, qi->isvprodid);
	for (i = 0; i < 4; i++)
		misc[i] = (uint8_t)(r->miscselect >> (8 * i));
	for (i = 0; i < 4; i++)
		if ((misc[i] & qi->miscselect_mask[i]) != qi->miscselect[i])
			return eph_err_set(err, EPH_EVERIFY, DOC ": QE MISCSELECT differs");
	for (i = 0; i < 16; i++)
		if ((r->attributes[i] & qi->attributes_mask[i]) != qi->attributes[i])
			return eph_err_set(err, EPH_EVERIFY,
			                   DOC ": QE ATTRIBUTES differ at byte %zu", i);
	for (i = 0; i < qi->n; i++)
		if (qi->levels[i].isvsvn <= r->isvsvn) {
			*status = qi->levels[i].status;
			break;
		}
	return 0;
}
