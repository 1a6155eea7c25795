/*
 * collateral_test.c - TDX TCB info and QE identity JSON: Intel PCS
 * samples (go-tdx-guest) and trustee's parse; the SPR E4 quote's TCB level
 * under its own FMSPC's TCB info at 2023-07-01; FMSPC mismatch, expired
 * collateral and malformed documents refused.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_build.h"
#include "tdxt.h"
#include "testutil.h"

#define TC TV "collateral/"

static tdx_tcbinfo *load_ti(const char *rel)
{
	struct eph_err err = {{0}};
	tdx_tcbinfo *ti = NULL;
	uint8_t *buf;
	size_t len;

	buf = tt_vec(rel, &len);
	cr_assert_eq(tdx_tcbinfo_parse(&ti, (const char *)buf, len, &err), 0, "%s: %s", rel,
	             err.msg);
	free(buf);
	return ti;
}

static tdx_qeid *load_qe(const char *rel)
{
	struct eph_err err = {{0}};
	tdx_qeid *qi = NULL;
	uint8_t *buf;
	size_t len;

	buf = tt_vec(rel, &len);
	cr_assert_eq(tdx_qeid_parse(&qi, (const char *)buf, len, &err), 0, "%s: %s", rel, err.msg);
	free(buf);
	return qi;
}

Test(tdx_collateral, all_collateral_files_parse)
{
	tdx_tcbinfo *ti;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	ti = load_ti(TC "sample_tcbInfo_response");
	cr_assert_str_eq(tt_hex(tdx_tcbinfo_fmspc(ti), 6), "50806f000000");
	cr_assert_gt(tdx_tcbinfo_levels(ti), 0);
	tdx_tcbinfo_free(ti);
	ti = load_ti(TC "sample_tcbinfo_response_v5");
	cr_assert_gt(tdx_tcbinfo_levels(ti), 0);
	tdx_tcbinfo_free(ti);
	ti = load_ti("tdx/trustee/tcbInfo.json");
	cr_assert_str_eq(tt_hex(tdx_tcbinfo_fmspc(ti), 6), "00a06d080000");
	tdx_tcbinfo_free(ti);
	tdx_qeid_free(load_qe(TC "sample_qeIdentity_response"));
	tdx_qeid_free(load_qe("tdx/trustee/enclaveIdentity.json"));
}

struct spr {
	uint8_t *buf;
	struct tdx_quote q;
	struct tdx_verify_result res;
};

static void spr_load(struct spr *s)
{
	struct eph_err err = {{0}};
	tdx_trust *t = tt_intel_trust();
	size_t len;

	s->buf = tt_vec(TV_SPR, &len);
	tt_parse(&s->q, s->buf, len);
	cr_assert_eq(tdx_quote_verify(&s->res, &s->q, t, tt_date(2023, 7, 1), &err), 0, "%s",
	             err.msg);
	tdx_trust_free(t);
}

Test(tdx_collateral, spr_e4_is_below_every_level_of_its_tcb_info)
{
	struct eph_err err = {{0}};
	struct tdx_tcb_result r;
	enum tdx_tcb_status qs;
	tdx_tcbinfo *ti;
	tdx_qeid *qi;
	struct spr s;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	spr_load(&s);
	ti = load_ti(TC "sample_tcbInfo_response");
	/* PCK SGX components 3,3,2,2,2,1,0,2 and TEE_TCB_SVN 3,0,4 are below
	 * both levels (5,5,2,2,3,1,0,3 / 3,0,5): Intel QVL's "TCB not supported". */
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &s.q, &s.res.pck, tt_date(2023, 7, 1), &err), 0, "%s",
	             err.msg);
	cr_assert_eq(r.platform, TDX_TCB_UNKNOWN, "%s", tdx_tcb_status_name(r.platform));
	cr_assert_eq(r.level, tdx_tcbinfo_levels(ti));
	cr_assert_eq(r.module, TDX_TCB_UP_TO_DATE, "TEE_TCB_SVN[1] = 0: no module identity");
	cr_assert_eq(r.overall, TDX_TCB_UNKNOWN);
	/* nextUpdate 2023-07-18 */
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &s.q, &s.res.pck, tt_date(2023, 7, 19), &err),
	             EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "TCB info: expired"), "%s", err.msg);
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &s.q, &s.res.pck, tt_date(2023, 6, 1), &err),
	             EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "issued after"), "%s", err.msg);

	qi = load_qe(TC "sample_qeIdentity_response");
	cr_assert_eq(tdx_qeid_evaluate(&qs, qi, &s.q, tt_date(2023, 7, 1), &err), 0, "%s", err.msg);
	cr_assert_eq(qs, TDX_TCB_UP_TO_DATE, "%s", tdx_tcb_status_name(qs));
	tdx_qeid_free(qi);
	tdx_tcbinfo_free(ti);

	/* trustee's TCB info is for FMSPC 00a06d080000, not this platform. */
	ti = load_ti("tdx/trustee/tcbInfo.json");
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &s.q, &s.res.pck, tt_date(2025, 11, 1), &err),
	             EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "for FMSPC 00a06d080000, the PCK's is 50806f000000"), "%s",
	          err.msg);
	tdx_tcbinfo_free(ti);
	/* trustee's QE identity: the same QE, but dated 2025. */
	qi = load_qe("tdx/trustee/enclaveIdentity.json");
	cr_assert_eq(tdx_qeid_evaluate(&qs, qi, &s.q, tt_date(2023, 7, 1), &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "QE identity: issued after"), "%s", err.msg);
	tdx_qeid_free(qi);
	free(s.buf);
}

/* The sample TCB info, edited through jansson, parsed by libtdx. */
static tdx_tcbinfo *edited_ti(const char *module_json)
{
	struct eph_err err = {{0}};
	tdx_tcbinfo *ti = NULL;
	json_error_t je;
	json_t *root, *mods;
	char *text;

	root = json_load_file(tu_vector_path(TC "sample_tcbInfo_response"), 0, &je);
	cr_assert_not_null(root, "%s", je.text);
	if (module_json != NULL) {
		mods = json_loads(module_json, 0, &je);
		cr_assert_not_null(mods, "%s", je.text);
		json_object_set_new(json_object_get(root, "tcbInfo"), "tdxModuleIdentities", mods);
	}
	text = json_dumps(root, JSON_COMPACT);
	cr_assert_eq(tdx_tcbinfo_parse(&ti, text, strlen(text), &err), 0, "%s", err.msg);
	free(text);
	json_decref(root);
	return ti;
}

#define Z48                                                                                        \
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
	"00000000"
#define MODULES                                                                                    \
	"[{\"id\":\"TDX_01\",\"mrsigner\":\"" Z48 "\",\"attributes\":\"0000000000000000\","        \
	"\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":["                                  \
	"{\"tcb\":{\"isvsvn\":4},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}" \
	","                                                                                        \
	"{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2023-08-09T00:00:00Z\",\"tcbStatus\":"              \
	"\"OutOfDate\"}]}]"

Test(tdx_collateral, synthesised_quote_levels)
{
	struct eph_err err = {{0}};
	struct tdx_verify_result res;
	struct tdx_tcb_result r;
	struct tb_opts o = {0};
	struct tb_quote b;
	struct tdx_quote q;
	tdx_trust *t = tb_trust();
	tdx_tcbinfo *ti;
	time_t at;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	at = tt_date(2023, 7, 1);
	tb_build(&b, &o);
	tt_parse(&q, b.buf, b.len);
	cr_assert_eq(tdx_quote_verify(&res, &q, t, at, &err), 0, "%s", err.msg);
	ti = edited_ti(NULL);
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &q, &res.pck, at, &err), 0, "%s", err.msg);
	cr_assert_eq(r.platform, TDX_TCB_UP_TO_DATE);
	cr_assert_eq(r.overall, TDX_TCB_UP_TO_DATE);
	cr_assert_eq(r.level, 0);
	cr_assert_str_eq(r.tcb_date, "2023-02-15T00:00:00Z");
	/* PCESVN 10 < 11: the second level (pcesvn 5) is OutOfDate */
	res.pck.pcesvn = 10;
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &q, &res.pck, at, &err), 0, "%s", err.msg);
	cr_assert_eq(r.platform, TDX_TCB_OUT_OF_DATE);
	cr_assert_eq(r.level, 1);
	res.pck.pcesvn = TB_PCESVN;
	/* MRSIGNERSEAM must be tdxModule's */
	q.body.mrsignerseam[0] = 1;
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &q, &res.pck, at, &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "do not match tdxModule"), "%s", err.msg);
	tdx_tcbinfo_free(ti);
	tb_free(&b);

	/* TDX module 1.x, minor SVN 3: module identity TDX_01 says OutOfDate */
	o.module_major = 1;
	tb_build(&b, &o);
	tt_parse(&q, b.buf, b.len);
	cr_assert_eq(tdx_quote_verify(&res, &q, t, at, &err), 0, "%s", err.msg);
	ti = edited_ti(MODULES);
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &q, &res.pck, at, &err), 0, "%s", err.msg);
	cr_assert_eq(r.platform, TDX_TCB_UP_TO_DATE);
	cr_assert_eq(r.module, TDX_TCB_OUT_OF_DATE);
	cr_assert_eq(r.overall, TDX_TCB_OUT_OF_DATE);
	tdx_tcbinfo_free(ti);
	tb_free(&b);
	o.module_major = 2;
	tb_build(&b, &o);
	tt_parse(&q, b.buf, b.len);
	ti = edited_ti(MODULES);
	cr_assert_eq(tdx_tcb_evaluate(&r, ti, &q, &res.pck, at, &err), EPH_EVERIFY);
	cr_assert(tt_has(err.msg, "no TDX module identity TDX_02"), "%s", err.msg);
	tdx_tcbinfo_free(ti);
	tb_free(&b);
	tdx_trust_free(t);
}

static void bad_doc(int qe, const char *json, const char *what)
{
	struct eph_err err = {{0}};
	tdx_tcbinfo *ti = NULL;
	tdx_qeid *qi = NULL;
	int rc;

	if (qe)
		rc = tdx_qeid_parse(&qi, json, strlen(json), &err);
	else
		rc = tdx_tcbinfo_parse(&ti, json, strlen(json), &err);
	cr_assert_lt(rc, 0, "accepted: %s", json);
	cr_assert_null(ti);
	cr_assert_null(qi);
	cr_assert(tt_has(err.msg, what), "\"%s\" lacks \"%s\"", err.msg, what);
}

Test(tdx_collateral, malformed_documents_are_refused)
{
	bad_doc(0, "", "JSON error");
	bad_doc(0, "{\"tcbInfo\":{\"id\":\"TDX\"", "JSON error");
	bad_doc(0, "[]", "no \"tcbInfo\" object");
	bad_doc(0, "{\"tcbInfo\":{\"id\":\"SGX\",\"version\":3}}", "id is not \"TDX\"");
	bad_doc(0, "{\"tcbInfo\":{\"id\":\"TDX\",\"version\":2}}", "version 2");
	bad_doc(0, "{\"tcbInfo\":{\"id\":\"TDX\",\"version\":3,\"fmspc\":\"50806f0000\"}}",
	        "fmspc is not 6 bytes");
	bad_doc(0, "{\"tcbInfo\":{\"id\":\"TDX\",\"version\":3,\"id\":\"TDX\"}}", "JSON error");
	bad_doc(1, "{\"enclaveIdentity\":{\"id\":\"QVE\"}}", "id is not");
	bad_doc(1,
	        "{\"enclaveIdentity\":{\"id\":\"TD_QE\",\"issueDate\":\"2023-13-01T00:00:00Z\"}}",
	        "issueDate is not a UTC time");
}

Test(tdx_collateral, edited_levels_are_refused)
{
	struct eph_err err = {{0}};
	tdx_tcbinfo *ti = NULL;
	json_error_t je;
	json_t *root, *lvl;
	char *text;
	int i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	for (i = 0; i < 3; i++) {
		root = json_load_file(tu_vector_path(TC "sample_tcbInfo_response"), 0, &je);
		cr_assert_not_null(root);
		lvl = json_array_get(json_object_get(json_object_get(root, "tcbInfo"), "tcbLevels"),
		                     1);
		if (i == 0)
			json_array_remove(
			    json_object_get(json_object_get(lvl, "tcb"), "sgxtcbcomponents"), 3);
		else if (i == 1)
			json_object_set_new(lvl, "tcbStatus", json_string("Fine"));
		else
			json_object_set_new(json_object_get(lvl, "tcb"), "pcesvn",
			                    json_integer(70000));
		text = json_dumps(root, JSON_COMPACT);
		cr_assert_lt(tdx_tcbinfo_parse(&ti, text, strlen(text), &err), 0);
		cr_assert(tt_has(err.msg, "tcbLevels[1]"), "%s", err.msg);
		free(text);
		json_decref(root);
	}
}
