/*
 * tcbinfo.c - the TDX TCB info (Intel PCS API v4, /tdx/certification/v4/tcb,
 * "TCB Info V3" for TDX) and the TCB level of a quote under it.
 *
 *   {"tcbInfo":{"id":"TDX","version":3,"issueDate":"...","nextUpdate":"...",
 *     "fmspc":"50806f000000","pceId":"0000","tcbType":0,
 *     "tdxModule":{"mrsigner":"00..","attributes":"0000000000000000",
 *                  "attributesMask":"FFFFFFFFFFFFFFFF"},
 *     "tdxModuleIdentities":[{"id":"TDX_01","mrsigner":..,"attributes":..,
 *        "attributesMask":..,"tcbLevels":[{"tcb":{"isvsvn":4},"tcbDate":..,
 *        "tcbStatus":"UpToDate"}]}],
 *     "tcbLevels":[{"tcb":{"sgxtcbcomponents":[{"svn":5,..} x16],"pcesvn":13,
 *        "tdxtcbcomponents":[{"svn":3} x16]},"tcbDate":"..","tcbStatus":"UpToDate"}]},
 *   "signature":"..."}
 *
 * Evaluation follows Intel's QVL (TcbLevelCheck / TdxModuleCheck): FMSPC
 * and PCE-ID of the PCK must match; MRSIGNERSEAM and SEAMATTRIBUTES (under
 * the mask) must match tdxModule; when TEE_TCB_SVN[1] (the module's major
 * version) is non-zero, the identity "TDX_%02X" gives the module's status
 * by TEE_TCB_SVN[0] and TDX components are compared from index 2 on; the
 * first tcbLevel with every SGX component <= the PCK's, PCESVN <= the
 * PCK's and every TDX component <= TEE_TCB_SVN is the platform's level.
 *
 * Not here: the signature over "tcbInfo" (needs the TCB signing chain,
 * not handled yet), advisory IDs, TEE_TCB_SVN2 of TDX 1.5 (the level is
 * evaluated on TEE_TCB_SVN alone), SGX (non-TDX) TCB info.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx-priv.h"

#define MAX_LEVELS 128
#define MAX_MODULES 16

struct tcb_level {
	uint8_t sgx[16];
	unsigned pcesvn;
	uint8_t tdx[16];
	enum tdx_tcb_status status;
	char date[32];
};

struct module_level {
	unsigned isvsvn;
	enum tdx_tcb_status status;
};

struct module_id {
	char id[16];
	uint8_t mrsigner[48];
	uint8_t attributes[8];
	uint8_t mask[8];
	size_t n;
	struct module_level levels[MAX_LEVELS];
};

struct tdx_tcbinfo {
	uint8_t fmspc[6];
	uint8_t pce_id[2];
	time_t issue, next;
	uint8_t mod_mrsigner[48];
	uint8_t mod_attributes[8];
	uint8_t mod_mask[8];
	size_t n_modules;
	struct module_id modules[MAX_MODULES];
	size_t n_levels;
	struct tcb_level levels[MAX_LEVELS];
};

#define DOC "TCB info"

void tdx_tcbinfo_free(tdx_tcbinfo *ti) { free(ti); }

const uint8_t *tdx_tcbinfo_fmspc(const tdx_tcbinfo *ti) { return ti->fmspc; }

size_t tdx_tcbinfo_levels(const tdx_tcbinfo *ti) { return ti->n_levels; }

/* [{"svn":N,...} x16] */
static int components(uint8_t out[16], const json_t *arr, const char *key, struct eph_err *err)
{
	unsigned svn;
	size_t i;
	int rc;

	if (!json_is_array(arr) || json_array_size(arr) != 16)
		return eph_err_set(err, EPH_EFORMAT, DOC ": %s is not an array of 16", key);
	for (i = 0; i < 16; i++) {
		rc = tdx__json_uint(&svn, 255, json_array_get(arr, i), DOC, "svn", err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "%s[%zu]", key, i);
		out[i] = (uint8_t)svn;
	}
	return 0;
}

static int parse_level(struct tcb_level *l, const json_t *o, struct eph_err *err)
{
	const json_t *tcb = json_object_get(o, "tcb");
	const char *date = json_string_value(json_object_get(o, "tcbDate"));
	int rc;

	if (!json_is_object(tcb))
		return eph_err_set(err, EPH_EFORMAT, DOC ": tcbLevel without tcb");
	rc = components(l->sgx, json_object_get(tcb, "sgxtcbcomponents"), "sgxtcbcomponents", err);
	if (rc == 0)
		rc = components(l->tdx, json_object_get(tcb, "tdxtcbcomponents"),
		                "tdxtcbcomponents", err);
	if (rc == 0)
		rc = tdx__json_uint(&l->pcesvn, 0xffff, tcb, DOC, "pcesvn", err);
	if (rc == 0)
		rc = tdx__json_status(&l->status, o, DOC, err);
	if (rc < 0)
		return rc;
	snprintf(l->date, sizeof(l->date), "%s", date != NULL ? date : "");
	return 0;
}

static int parse_module(struct module_id *m, const json_t *o, struct eph_err *err)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const json_t *levels = json_object_get(o, "tcbLevels");
	size_t i;
	int rc;

	if (id == NULL || strlen(id) >= sizeof(m->id))
		return eph_err_set(err, EPH_EFORMAT, DOC ": tdxModuleIdentities entry without id");
	snprintf(m->id, sizeof(m->id), "%s", id);
	rc = tdx__json_hex(m->mrsigner, 48, o, DOC, "mrsigner", err);
	if (rc == 0)
		rc = tdx__json_hex(m->attributes, 8, o, DOC, "attributes", err);
	if (rc == 0)
		rc = tdx__json_hex(m->mask, 8, o, DOC, "attributesMask", err);
	if (rc < 0)
		return rc;
	if (!json_is_array(levels) || json_array_size(levels) == 0 ||
	    json_array_size(levels) > MAX_LEVELS)
		return eph_err_set(err, EPH_EFORMAT,
		                   DOC ": module %s: tcbLevels missing or too long", id);
	for (i = 0; i < json_array_size(levels); i++) {
		const json_t *l = json_array_get(levels, i);

		rc = tdx__json_uint(&m->levels[i].isvsvn, 255, json_object_get(l, "tcb"), DOC,
		                    "isvsvn", err);
		if (rc == 0)
			rc = tdx__json_status(&m->levels[i].status, l, DOC, err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "module %s level %zu", id, i);
	}
	m->n = i;
	return 0;
}

static int parse_info(tdx_tcbinfo *ti, const json_t *o, struct eph_err *err)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const json_t *mod = json_object_get(o, "tdxModule");
	const json_t *ids = json_object_get(o, "tdxModuleIdentities");
	const json_t *levels = json_object_get(o, "tcbLevels");
	unsigned version;
	size_t i;
	int rc;

	if (id == NULL || strcmp(id, "TDX") != 0)
		return eph_err_set(err, EPH_EFORMAT, DOC ": id is not \"TDX\"");
	rc = tdx__json_uint(&version, 1000, o, DOC, "version", err);
	if (rc < 0)
		return rc;
	if (version != 3)
		return eph_err_set(err, EPH_EUNSUPPORTED, DOC ": version %u, only 3 is known",
		                   version);
	rc = tdx__json_hex(ti->fmspc, 6, o, DOC, "fmspc", err);
	if (rc == 0)
		rc = tdx__json_hex(ti->pce_id, 2, o, DOC, "pceId", err);
	if (rc == 0)
		rc = tdx__json_time(&ti->issue, o, DOC, "issueDate", err);
	if (rc == 0)
		rc = tdx__json_time(&ti->next, o, DOC, "nextUpdate", err);
	if (rc < 0)
		return rc;
	if (!json_is_object(mod))
		return eph_err_set(err, EPH_EFORMAT, DOC ": no tdxModule");
	rc = tdx__json_hex(ti->mod_mrsigner, 48, mod, DOC " tdxModule", "mrsigner", err);
	if (rc == 0)
		rc = tdx__json_hex(ti->mod_attributes, 8, mod, DOC " tdxModule", "attributes", err);
	if (rc == 0)
		rc = tdx__json_hex(ti->mod_mask, 8, mod, DOC " tdxModule", "attributesMask", err);
	if (rc < 0)
		return rc;
	if (ids != NULL) {
		if (!json_is_array(ids) || json_array_size(ids) > MAX_MODULES)
			return eph_err_set(err, EPH_EFORMAT, DOC ": bad tdxModuleIdentities");
		for (i = 0; i < json_array_size(ids); i++) {
			rc = parse_module(&ti->modules[i], json_array_get(ids, i), err);
			if (rc < 0)
				return rc;
		}
		ti->n_modules = i;
	}
	if (!json_is_array(levels) || json_array_size(levels) == 0 ||
	    json_array_size(levels) > MAX_LEVELS)
		return eph_err_set(err, EPH_EFORMAT, DOC ": tcbLevels missing, empty or too long");
	for (i = 0; i < json_array_size(levels); i++) {
		rc = parse_level(&ti->levels[i], json_array_get(levels, i), err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "tcbLevels[%zu]", i);
	}
	ti->n_levels = i;
	return 0;
}

int tdx_tcbinfo_parse(tdx_tcbinfo **out, const char *json, size_t len, struct eph_err *err)
{
	json_t *root = NULL, *o = NULL;
	tdx_tcbinfo *ti = NULL;
	int rc;

	*out = NULL;
	rc = tdx__json_load(&root, &o, json, len, "tcbInfo", err);
	if (rc < 0)
		return rc;
	ti = calloc(1, sizeof(*ti));
	if (ti == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, DOC ": out of memory");
		goto out;
	}
	rc = parse_info(ti, o, err);
	if (rc < 0)
		goto out;
	*out = ti;
	ti = NULL;
out:
	free(ti);
	json_decref(root);
	return rc;
}

static int masked_eq(const uint8_t *got, const uint8_t *want, const uint8_t *mask, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((got[i] & mask[i]) != want[i])
			return 0;
	return 1;
}

static int rank(enum tdx_tcb_status s) { return s == TDX_TCB_UNKNOWN ? 100 : (int)s; }

/* The module's status (TdxModuleCheck); TDX_TCB_UP_TO_DATE when none applies. */
static int module_status(enum tdx_tcb_status *st, const tdx_tcbinfo *ti, const struct tdx_quote *q,
                         const uint8_t seam_attr[8], struct eph_err *err)
{
	const uint8_t *svn = q->body.tee_tcb_svn;
	const struct module_id *m = NULL;
	char id[16];
	size_t i;

	*st = TDX_TCB_UP_TO_DATE;
	if (svn[1] == 0 || ti->n_modules == 0)
		return 0;
	snprintf(id, sizeof(id), "TDX_%02X", svn[1]);
	for (i = 0; i < ti->n_modules; i++)
		if (strcmp(ti->modules[i].id, id) == 0)
			m = &ti->modules[i];
	if (m == NULL)
		return eph_err_set(err, EPH_EVERIFY, DOC ": no TDX module identity %s", id);
	if (memcmp(m->mrsigner, q->body.mrsignerseam, 48) != 0 ||
	    !masked_eq(seam_attr, m->attributes, m->mask, 8))
		return eph_err_set(
		    err, EPH_EVERIFY,
		    DOC ": MRSIGNERSEAM/SEAMATTRIBUTES do not match module identity %s", id);
	*st = TDX_TCB_UNKNOWN;
	for (i = 0; i < m->n; i++)
		if (m->levels[i].isvsvn <= svn[0]) {
			*st = m->levels[i].status;
			break;
		}
	return 0;
}

int tdx_tcb_evaluate(struct tdx_tcb_result *out, const tdx_tcbinfo *ti, const struct tdx_quote *q,
                     const struct tdx_pck_info *pck, time_t at, struct eph_err *err)
{
	const uint8_t *svn = q->body.tee_tcb_svn;
	uint8_t seam_attr[8];
	size_t i, j, start;
	int rc;

	memset(out, 0, sizeof(*out));
	if (memcmp(ti->fmspc, pck->fmspc, 6) != 0 || memcmp(ti->pce_id, pck->pce_id, 2) != 0)
		return eph_err_set(err, EPH_EVERIFY,
		                   DOC ": for FMSPC %02x%02x%02x%02x%02x%02x, the PCK's is "
		                       "%02x%02x%02x%02x%02x%02x (or PCE-ID differs)",
		                   ti->fmspc[0], ti->fmspc[1], ti->fmspc[2], ti->fmspc[3],
		                   ti->fmspc[4], ti->fmspc[5], pck->fmspc[0], pck->fmspc[1],
		                   pck->fmspc[2], pck->fmspc[3], pck->fmspc[4], pck->fmspc[5]);
	rc = tdx__check_dates(ti->issue, ti->next, at != 0 ? at : time(NULL), DOC, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < 8; i++)
		seam_attr[i] = (uint8_t)(q->body.seam_attributes >> (8 * i));
	if (memcmp(ti->mod_mrsigner, q->body.mrsignerseam, 48) != 0 ||
	    !masked_eq(seam_attr, ti->mod_attributes, ti->mod_mask, 8))
		return eph_err_set(err, EPH_EVERIFY,
		                   DOC ": MRSIGNERSEAM/SEAMATTRIBUTES do not match tdxModule");
	rc = module_status(&out->module, ti, q, seam_attr, err);
	if (rc < 0)
		return rc;
	start = svn[1] != 0 ? 2 : 0;
	out->platform = TDX_TCB_UNKNOWN;
	out->level = ti->n_levels;
	for (i = 0; i < ti->n_levels; i++) {
		const struct tcb_level *l = &ti->levels[i];
		int ok = l->pcesvn <= pck->pcesvn;

		for (j = 0; ok && j < 16; j++)
			ok = l->sgx[j] <= pck->comp_svn[j];
		for (j = start; ok && j < 16; j++)
			ok = l->tdx[j] <= svn[j];
		if (ok) {
			out->platform = l->status;
			out->level = i;
			snprintf(out->tcb_date, sizeof(out->tcb_date), "%s", l->date);
			break;
		}
	}
	out->overall = rank(out->module) > rank(out->platform) ? out->module : out->platform;
	if (out->module == TDX_TCB_OUT_OF_DATE &&
	    (out->platform == TDX_TCB_CONFIGURATION_NEEDED ||
	     out->platform == TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED))
		out->overall = TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
	return 0;
}
