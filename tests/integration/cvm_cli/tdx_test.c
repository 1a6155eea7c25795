/*
 * tdx_test.c - ephemera-cvm verify/parse --tdx on the shared TDX vectors:
 * go-tdx-guest's production SPR quote against the Intel SGX Root CA at
 * 2023-07-01 (with and without CRLs and collateral), a flipped byte, MRTD
 * appraisal, and the COS 113 quote whose REPORTDATA is nonce.dat.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cvm_fixture.h"

#define GTG "tdx/go-tdx-guest/"
#define SPR GTG "tdx_prod_quote_SPR_E4.dat"
#define COS GTG "ccel-case/cos-113-tdx-quote.dat"
#define ROOT "tdx/intel-root/trusted_root.pem"
#define SPR_MRTD                                                                            \
	"6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc" \
	"10d5e119d7215cbb"

Test(cvm_tdx, production_quote_verifies)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err, "verify --tdx '%s' --root '%s' --at 2023-07-01",
	                     cvm_vec(SPR), cvm_vec(ROOT)),
	             0, "%s", err);
	cvm_expect(out, "---\ntdx:\n  header:\n    version: 4\n");
	cvm_expect(out, "  mrtd: " SPR_MRTD "\n");
	cvm_expect(out, "  td_attributes:\n    raw: 0x0000000040000000\n    debug: false\n");
	cvm_expect(out, "pck:\n  verified: true\n  ca: platform\n  fmspc: 50806f000000\n");
	cvm_expect(out, "    quote_signature: {status: ok}\n");
	cvm_expect(out, "    mrtd: {status: unchecked");
	cvm_expect(out, "  result: ok\n  exit: 0\n");
	free(out);
}

Test(cvm_tdx, flipped_byte_fails)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	/* A byte of MRTD (header 48 + body offset 136). */
	cr_assert_eq(cvm_run(&out, &err, "verify --tdx '%s' --root '%s' --at 2023-07-01",
	                     cvm_scratch_copy(SPR, 48 + 140, 0x80), cvm_vec(ROOT)),
	             4);
	cvm_expect(out, "quote: {status: failed");
	cvm_expect(out, "  result: verification failed\n");
	cr_assert_neq(err[0], '\0');
	free(out);
	/* Before the PCK certificate existed. */
	cr_assert_eq(cvm_run(&out, NULL, "verify --tdx '%s' --root '%s' --at 2018-01-01",
	                     cvm_vec(SPR), cvm_vec(ROOT)),
	             4);
	free(out);
}

Test(cvm_tdx, mrtd_appraisal)
{
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, NULL,
	                     "verify --tdx '%s' --root '%s' --at 2023-07-01 --mrtd %096d",
	                     cvm_vec(SPR), cvm_vec(ROOT), 0),
	             5);
	cvm_expect(out, "    mrtd: {status: failed, reason: \"TDX appraisal: MRTD is ");
	cvm_expect(out, "  result: refused by policy\n");
	free(out);
	cr_assert_eq(cvm_run(&out, NULL,
	                     "verify --tdx '%s' --root '%s' --at 2023-07-01 --mrtd %096d "
	                     "--mrtd " SPR_MRTD,
	                     cvm_vec(SPR), cvm_vec(ROOT), 0),
	             0);
	cvm_expect(out, "    mrtd: {status: ok}\n");
	free(out);
}

Test(cvm_tdx, collateral_status_is_appraised)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	/* go-tdx-guest's sample TCB info lists no level this quote reaches. */
	cr_assert_eq(cvm_run(&out, &err,
	                     "verify --tdx '%s' --root '%s' --at 2023-07-01 --crl '%s' --crl '%s' "
	                     "--tcb-info '%s' --qe-identity '%s'",
	                     cvm_vec(SPR), cvm_vec(ROOT), cvm_vec(GTG "collateral/rootcrl.der"),
	                     cvm_vec(GTG "collateral/pckcrl"),
	                     cvm_vec(GTG "collateral/sample_tcbInfo_response"),
	                     cvm_vec(GTG "collateral/sample_qeIdentity_response")),
	             5, "%s", err);
	cvm_expect(out, "tcb:\n  status: Unknown\n");
	cvm_expect(out, "  qe_identity_status: UpToDate\n");
	cvm_expect(out, "pck_chain: {status: ok, reason: \"CRLs consulted\"}");
	cvm_expect(out, "qe_identity: {status: ok");
	free(out);
	/* A collateral file that is not JSON. */
	cr_assert_eq(cvm_run(&out, NULL, "verify --tdx '%s' --root '%s' --tcb-info '%s'",
	                     cvm_vec(SPR), cvm_vec(ROOT), cvm_vec(SPR)),
	             2);
	free(out);
}

Test(cvm_tdx, report_data_from_nonce_file)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err,
	                     "verify --tdx '%s' --root '%s' --at 2024-08-01 --report-data @'%s'",
	                     cvm_vec(COS), cvm_vec(ROOT), cvm_vec(GTG "ccel-case/nonce.dat")),
	             0, "%s", err);
	cvm_expect(out, "    report_data: {status: ok}\n");
	free(out);
	cr_assert_eq(cvm_run(&out, &err, "verify --tdx '%s' --root '%s' --at 2024-08-01 "
	                                 "--report-data 01",
	                     cvm_vec(COS), cvm_vec(ROOT)),
	             5);
	cvm_expect(out, "report_data: {status: failed, reason: \"nonce/AK not bound");
	free(out);
	cr_assert_eq(cvm_run(&out, NULL,
	                     "verify --tdx '%s' --root '%s' --at 2024-08-01 --nonce 00 "
	                     "--ak-name 000b",
	                     cvm_vec(COS), cvm_vec(ROOT)),
	             5);
	free(out);
}

Test(cvm_tdx, parse_only)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err, "parse --tdx '%s'", cvm_vec(COS)), 0, "%s", err);
	cvm_expect(out, "pck:\n  verified: false");
	cr_assert_null(strstr(out, "verdict:"));
	free(out);
}
