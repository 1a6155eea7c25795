/*
 * usage_test.c - the exit codes of ephemera-cvm that do not depend on
 * what the evidence says: usage errors (1), malformed input (2), missing
 * files (3), --help; and that no failure leaves YAML on stdout before the
 * evidence has parsed.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cvm_fixture.h"

static void usage(const char *args, const char *msg)
{
	const char *err;
	char *out;

	cr_assert_eq(cvm_run(&out, &err, "%s", args), 1, "accepted: %s", args);
	cr_assert_str_eq(out, "", "stdout on a usage error: %s", args);
	cvm_expect(err, msg);
	free(out);
}

Test(cvm_usage, usage_errors)
{
	cvm_need_vectors();
	usage("", "missing command");
	usage("frob", "unknown command");
	usage("verify", "give --snp FILE or --tdx FILE");
	usage("verify --snp a --tdx b", "give one of --snp and --tdx");
	usage("verify --snp a", "verify --snp needs --certs, --certtable or --vcek");
	usage("verify --snp a --certtable b --vcek c", "--certtable and --vcek");
	usage("verify --tdx a", "verify --tdx needs --root");
	usage("verify --tdx a --root b --certs c", "--certs: applies to --snp");
	usage("verify --snp a --vcek b --mrtd 00", "expected 96 hex digits");
	usage("verify --snp a --vcek b --root c", "--root: applies to --tdx");
	usage("verify --snp a --vcek b --measurement abc", "--measurement: expected 96 hex");
	usage("verify --snp a --vcek b --at 2023-02-30", "--at: expected YYYY-MM-DD");
	usage("verify --snp a --vcek b --at 2023-7-1", "--at: expected YYYY-MM-DD");
	usage("verify --snp a --vcek b --min-tcb 1,2,3", "--min-tcb");
	usage("verify --snp a --vcek b --min-tcb 1,2,3,256", "--min-tcb");
	usage("verify --snp a --vcek b --min-tcb 1,2,3,4,5,6", "--min-tcb");
	usage("verify --snp a --vcek b --min-tcb 1,,3,4", "--min-tcb");
	usage("verify --snp a --vcek b --min-tcb 1,2,3,4,", "--min-tcb");
	usage("verify --snp a --vcek b --max-vmpl 4", "--max-vmpl");
	usage("verify --snp a --vcek b --nonce 00", "--nonce and --ak-name go together");
	usage("verify --snp a --vcek b --report-data 00 --nonce 00 --ak-name 00",
	      "--report-data excludes");
	usage("verify --snp a --vcek b --report-data "
	      "000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	      "00000000000000000000000000000000000000000000000000",
	      "--report-data takes 1..64 bytes");
	usage("verify --tdx a --root b --rtmr 4=00", "--rtmr");
	usage("verify --tdx a --root b --accept-tcb-status Revoked", "--accept-tcb-status");
	usage("parse --snp a --vcek b", "parse takes only");
	usage("verify --snp a --vcek b extra", "unexpected argument");
	usage("verify --snp", "missing its argument");
	usage("verify --bogus", "unknown option");
}

Test(cvm_usage, help_and_version)
{
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, NULL, "--help"), 0);
	cvm_expect(out, "Exit status:\n  0  verified and appraised");
	cvm_expect(out, "cvm/snp/README.md");
	cvm_expect(out, "cvm/tdx/README.md");
	free(out);
	cr_assert_eq(cvm_run(&out, NULL, "verify --help"), 0);
	free(out);
	cr_assert_eq(cvm_run(&out, NULL, "--version"), 0);
	cvm_expect(out, "ephemera-cvm ");
	free(out);
}

Test(cvm_usage, missing_files)
{
	const char *err;
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err, "verify --snp /nonexistent/r --vcek /nonexistent/v"), 3);
	cr_assert_str_eq(out, "");
	cvm_expect(err, "ephemera-cvm: ");
	cvm_expect(err, "/nonexistent/r");
	free(out);
	cr_assert_eq(cvm_run(&out, NULL, "verify --snp '%s' --vcek /nonexistent/v",
	                     cvm_vec("snp/go-sev-guest/attestation.bin")),
	             3);
	free(out);
	cr_assert_eq(cvm_run(&out, NULL, "verify --snp '%s' --certs /nonexistent",
	                     cvm_vec("snp/go-sev-guest/attestation.bin")),
	             3);
	free(out);
	cr_assert_eq(cvm_run(&out, NULL, "verify --tdx '%s' --root /nonexistent/root.pem",
	                     cvm_vec("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat")),
	             3);
	free(out);
	cr_assert_eq(cvm_run(&out, NULL, "parse --tdx /nonexistent/q"), 3);
	free(out);
	cr_assert_eq(cvm_run(&out, NULL, "verify --tdx /nonexistent/q --root x --report-data "
	                                 "@/nonexistent/rd"),
	             3);
	free(out);
}

Test(cvm_usage, garbage_is_malformed)
{
	static const uint8_t junk[1184] = {0x99};
	const char *err;
	char *out;

	cvm_need_vectors();
	cr_assert_eq(cvm_run(&out, &err, "parse --snp '%s'", cvm_scratch_write("hello", 5)), 2);
	cvm_expect(err, "not an SNP report");
	cr_assert_str_eq(out, "");
	free(out);
	cr_assert_eq(cvm_run(&out, &err, "parse --snp '%s'", cvm_scratch_write(junk, sizeof(junk))),
	             2);
	cr_assert_str_eq(out, "");
	free(out);
	cr_assert_eq(cvm_run(&out, NULL, "parse --tdx '%s'", cvm_scratch_write(junk, sizeof(junk))),
	             2);
	free(out);
	/* A VCEK file that is not a certificate. */
	cr_assert_eq(cvm_run(&out, &err, "verify --snp '%s' --vcek '%s'",
	                     cvm_vec("snp/go-sev-guest/attestation.bin"),
	                     cvm_vec("snp/go-sev-guest/attestation.bin")),
	             2, "%s", err);
	free(out);
	/* A TDX root that is not Intel's (the Milan ARK chain): not pinned. */
	cr_assert_eq(cvm_run(&out, &err, "verify --tdx '%s' --root '%s'",
	                     cvm_vec("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat"),
	                     cvm_vec("snp/amd-roots/ask_ark_milan.pem")),
	             4, "%s", err);
	free(out);
}
