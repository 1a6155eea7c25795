/*
 * appraise_test.c - snp_appraise on trustee's parsed report with a policy
 * that accepts it, then one field at a time out of policy (debug bit,
 * TCB below minimum, report_data not bound to the nonce, measurement,
 * host data, VMPL, migration agent, SMT, single socket, VLEK), each with
 * its message; and the SHA-512(nonce || AK name) binding.
 */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <string.h>

#include "ts.h"

struct fix {
	struct snp_report rep;
	struct snp_policy pol;
	uint8_t expect[SNP_REPORT_DATA_SIZE];
};

/* Trustee's report, parsed, and a policy that accepts exactly it. */
static void fix_init(struct fix *f)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];

	ts_report(raw, "snp/trustee/test-report.bin");
	cr_assert_eq(snp_report_parse(&f->rep, raw, sizeof(raw), &err), 0, "%s", err.msg);
	memset(&f->pol, 0, sizeof(f->pol));
	f->pol.n_measurements = 2;
	memset(f->pol.measurements[0], 0xaa, SNP_MEASUREMENT_SIZE);
	memcpy(f->pol.measurements[1], f->rep.measurement, SNP_MEASUREMENT_SIZE);
	f->pol.check_host_data = true;
	memcpy(f->pol.host_data, f->rep.host_data, SNP_HOST_DATA_SIZE);
	f->pol.check_id_key_digest = true;
	memcpy(f->pol.id_key_digest, f->rep.id_key_digest, SNP_KEY_DIGEST_SIZE);
	f->pol.min_tcb.bootloader = 3;
	f->pol.min_tcb.snp = 8;
	f->pol.min_tcb.microcode = 115;
	f->pol.min_guest_svn = 4;
	memcpy(f->expect, f->rep.report_data, SNP_REPORT_DATA_SIZE);
}

static int appraise(struct fix *f, struct snp_verdict *v, struct eph_err *err)
{
	return snp_appraise(v, &f->rep, &f->pol, f->expect, err);
}

Test(snp_appraise, accepts_a_report_in_policy)
{
	struct eph_err err = {{0}};
	struct snp_verdict v;
	struct fix f;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	fix_init(&f);
	cr_assert_eq(appraise(&f, &v, &err), 0, "%s", err.msg);
	cr_assert_eq(v.failed, 0);
	cr_assert_eq(v.measurement_index, 1);
	cr_assert(v.checked & SNP_CHECK_TCB);
	cr_assert(v.checked & SNP_CHECK_REPORT_DATA);
	cr_assert_not(v.checked & SNP_CHECK_SMT, "SMT is only checked when forbidden");
	cr_assert_eq(snp_appraise(NULL, &f.rep, &f.pol, f.expect, &err), 0, "%s", err.msg);
}

Test(snp_appraise, refuses_debug)
{
	struct eph_err err = {{0}};
	struct snp_verdict v;
	struct fix f;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	fix_init(&f);
	f.rep.policy |= SNP_POLICY_DEBUG;
	f.rep.debug_allowed = true;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_DEBUG);
	cr_assert_str_eq(err.msg, "policy 0xb001f allows debugging (POLICY.DEBUG=1), the policy "
	                          "requires 0");
	f.pol.allow_debug = true;
	cr_assert_eq(appraise(&f, &v, &err), 0, "%s", err.msg);
}

Test(snp_appraise, refuses_go_sev_guest_debug_vm)
{
	struct eph_err err = {{0}};
	struct snp_policy pol;
	struct snp_report rep;
	struct snp_verdict v;
	uint8_t raw[SNP_REPORT_SIZE];

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	ts_report(raw, "snp/go-sev-guest/attestation.bin");
	cr_assert_eq(snp_report_parse(&rep, raw, sizeof(raw), &err), 0, "%s", err.msg);
	memset(&pol, 0, sizeof(pol));
	pol.any_measurement = true;
	cr_assert_eq(snp_appraise(&v, &rep, &pol, rep.report_data, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_DEBUG);
}

Test(snp_appraise, refuses_tcb_below_minimum)
{
	struct eph_err err = {{0}};
	struct snp_verdict v;
	struct fix f;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	fix_init(&f);
	f.pol.min_tcb.snp = 9;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_TCB);
	cr_assert_str_eq(err.msg, "reported_tcb.snp 8 is below the policy minimum 9");
	f.pol.min_tcb.snp = 8;
	f.pol.min_tcb.microcode = 200;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_str_eq(err.msg, "reported_tcb.microcode 115 is below the policy minimum 200");
	f.pol.min_tcb.microcode = 0;
	f.pol.min_guest_svn = 5;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_GUEST_SVN);
	cr_assert_str_eq(err.msg, "guest_svn 4 is below the policy minimum 5");
}

Test(snp_appraise, refuses_unbound_report_data)
{
	struct eph_err err = {{0}};
	struct snp_verdict v;
	struct fix f;
	static const uint8_t nonce[32] = {1, 2, 3};
	static const uint8_t name[34] = {0x00, 0x0b, 0xde, 0xad};

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	fix_init(&f);
	cr_assert_eq(snp_expected_report_data(f.expect, nonce, sizeof(nonce), name, sizeof(name)),
	             0);
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_REPORT_DATA);
	cr_assert(strncmp(err.msg, "report_data ec6c52d7533cc2c4... is not the expected ", 52) == 0,
	          "%s", err.msg);
	cr_assert(strstr(err.msg, "(nonce/AK binding)") != NULL, "%s", err.msg);
	/* Bound: the guest put exactly SHA-512(nonce || name) there. */
	memcpy(f.rep.report_data, f.expect, SNP_REPORT_DATA_SIZE);
	cr_assert_eq(appraise(&f, &v, &err), 0, "%s", err.msg);
}

Test(snp_appraise, expected_report_data_is_sha512_of_nonce_and_name)
{
	static const uint8_t nonce[] = "nonce", name[] = "ak-name";
	uint8_t got[64], want[64], cat[12];
	unsigned int n = 0;

	memcpy(cat, nonce, 5);
	memcpy(cat + 5, name, 7);
	cr_assert_eq(EVP_Digest(cat, 12, want, &n, EVP_sha512(), NULL), 1);
	cr_assert_eq(snp_expected_report_data(got, nonce, 5, name, 7), 0);
	cr_assert_arr_eq(got, want, 64);
	/* Where the split falls matters not; what is hashed does. */
	cr_assert_eq(snp_expected_report_data(got, cat, 4, cat + 4, 8), 0);
	cr_assert_arr_eq(got, want, 64);
	cr_assert_eq(snp_expected_report_data(got, nonce, 5, name, 6), 0);
	cr_assert_arr_neq(got, want, 64);
}

Test(snp_appraise, refuses_measurement_and_host_data)
{
	struct eph_err err = {{0}};
	struct snp_verdict v;
	struct fix f;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	fix_init(&f);
	f.pol.n_measurements = 1;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_MEASUREMENT);
	cr_assert_eq(v.measurement_index, -1);
	cr_assert_str_eq(err.msg, "measurement a1f3930413247bb3... is none of the 1 policy "
	                          "measurements (first aaaaaaaaaaaaaaaa...)");
	f.pol.n_measurements = 0;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert(strstr(err.msg, "the policy lists no measurement") != NULL, "%s", err.msg);
	f.pol.any_measurement = true;
	f.pol.host_data[0] ^= 1;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_HOST_DATA);
	cr_assert_str_eq(err.msg, "host_data 0000000000000000... is not the policy's "
	                          "0100000000000000...");
	f.pol.host_data[0] ^= 1;
	f.pol.id_key_digest[0] ^= 1;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_ID_KEY);
}

Test(snp_appraise, refuses_vmpl_migration_agent_smt_socket_vlek)
{
	struct eph_err err = {{0}};
	struct snp_verdict v;
	struct fix f;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	fix_init(&f);
	f.rep.vmpl = 2;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_str_eq(err.msg, "vmpl 2 exceeds the policy maximum 0");
	f.pol.max_vmpl = 2;
	cr_assert_eq(appraise(&f, &v, &err), 0, "%s", err.msg);

	f.rep.report_id_ma[3] = 0;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_MIGRATION);
	cr_assert(strstr(err.msg, "names a migration agent") != NULL, "%s", err.msg);
	f.rep.report_id_ma[3] = 0xff;
	f.rep.migrate_ma_allowed = true;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	f.pol.allow_migration_agent = true;
	cr_assert_eq(appraise(&f, &v, &err), 0, "%s", err.msg);

	f.pol.forbid_smt = true;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_SMT);
	cr_assert_str_eq(err.msg,
	                 "policy 0x3001f allows SMT (POLICY.SMT=1), the policy forbids it");
	f.pol.forbid_smt = false;

	f.pol.require_single_socket = true;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed, SNP_CHECK_SINGLE_SOCKET);
	f.pol.require_single_socket = false;

	f.rep.signing_key = SNP_SIGNING_KEY_VLEK;
	cr_assert_eq(appraise(&f, &v, &err), 0, "%s", err.msg);
	f.pol.forbid_vlek = true;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_str_eq(err.msg, "signing_key 1 is not allowed (the policy takes VCEK only)");
}

Test(snp_appraise, verdict_lists_every_failure_message_names_the_first)
{
	struct eph_err err = {{0}};
	struct snp_verdict v;
	struct fix f;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	fix_init(&f);
	f.expect[0] ^= 1;
	f.rep.debug_allowed = true;
	f.rep.vmpl = 1;
	f.pol.min_tcb.tee = 1;
	cr_assert_eq(appraise(&f, &v, &err), EPH_EPOLICY);
	cr_assert_eq(v.failed,
	             SNP_CHECK_REPORT_DATA | SNP_CHECK_DEBUG | SNP_CHECK_VMPL | SNP_CHECK_TCB);
	cr_assert(strncmp(err.msg, "report_data ", 12) == 0, "%s", err.msg);
}
