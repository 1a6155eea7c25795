/*
 * report_test.c - snp_report_parse: the fields of real reports (go-sev-guest's
 * Milan v2 report, trustee's), TCB layouts, and every rejection the parser
 * owns: length, version, policy reserved bits, SIGNING_KEY, each
 * must-be-zero range, ECDSA coordinates wider than 48 bytes.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ts.h"

#define GSG "snp/go-sev-guest/"
#define TRU "snp/trustee/"

/* A minimal well-formed v2 report: policy bit 17, ECDSA, VCEK, no MA. */
static void synth(uint8_t *r, uint32_t version)
{
	memset(r, 0, SNP_REPORT_SIZE);
	r[0x00] = (uint8_t)version;
	r[0x0a] = 0x02; /* policy bit 17 */
	r[0x34] = 1;    /* ECDSA P-384 */
	memset(r + 0x160, 0xff, 32);
}

static int parse(struct snp_report *rep, const uint8_t *r, struct eph_err *err)
{
	return snp_report_parse(rep, r, SNP_REPORT_SIZE, err);
}

Test(snp_report, go_sev_guest_fields)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	struct snp_report rep;
	static const uint8_t chip_prefix[8] = {0x3a, 0xc3, 0xfe, 0x21, 0xe1, 0x3f, 0xb0, 0x99};
	static const uint8_t r_be_tail[4] = {0x5a, 0x8b, 0x8e, 0x4f};

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	ts_report(raw, GSG "attestation.bin");
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.version, 2);
	cr_assert_eq(rep.policy, 0xb0000);
	cr_assert(rep.smt_allowed);
	cr_assert(rep.debug_allowed, "go-sev-guest's report comes from a debug VM");
	cr_assert_not(rep.migrate_ma_allowed);
	cr_assert_eq(rep.vmpl, 0);
	cr_assert_eq(rep.signature_algo, 1);
	cr_assert_eq(rep.signing_key, SNP_SIGNING_KEY_VCEK);
	cr_assert_eq(rep.product, SNP_PRODUCT_UNKNOWN, "v2 reports carry no CPUID");
	cr_assert_eq(rep.current_tcb.raw, 0x4405000000000002ull);
	cr_assert_eq(rep.reported_tcb.bootloader, 2);
	cr_assert_eq(rep.reported_tcb.tee, 0);
	cr_assert_eq(rep.reported_tcb.snp, 5);
	cr_assert_eq(rep.reported_tcb.microcode, 68);
	cr_assert_eq(rep.launch_tcb.raw, rep.reported_tcb.raw, "v2 already has LAUNCH_TCB");
	cr_assert_eq(rep.current_major, 1);
	cr_assert_eq(rep.current_minor, 0x31);
	cr_assert_eq(rep.current_build, 3);
	cr_assert_arr_eq(rep.chip_id, chip_prefix, 8);
	cr_assert_eq(rep.measurement[0], 0xb0);
	cr_assert_eq(rep.report_data[0], 0x01);
	cr_assert_eq(rep.report_id_ma[31], 0xff);
	/* R is little-endian at 0x2A0: its first bytes end the big-endian r. */
	cr_assert_arr_eq(rep.sig_r + 44, r_be_tail, 4);
}

Test(snp_report, trustee_fields)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	struct snp_report rep;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	ts_report(raw, TRU "test-report.bin");
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.guest_svn, 4);
	cr_assert_eq(rep.policy_abi_minor, 0x1f);
	cr_assert_eq(rep.policy_abi_major, 0);
	cr_assert_not(rep.debug_allowed);
	cr_assert_eq(rep.family_id[0], 1);
	cr_assert_eq(rep.image_id[0], 2);
	cr_assert_eq(rep.reported_tcb.bootloader, 3);
	cr_assert_eq(rep.reported_tcb.snp, 8);
	cr_assert_eq(rep.reported_tcb.microcode, 115);
	cr_assert_eq(rep.committed_major, 1);
	cr_assert_eq(rep.committed_minor, 0x34);
}

Test(snp_report, v3_cpuid_and_turin_layout)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	struct snp_report rep;

	synth(raw, 3);
	raw[0x188] = 0x19;
	raw[0x189] = 0x11;
	raw[0x18a] = 1;
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.product, SNP_PRODUCT_GENOA);
	cr_assert_eq(rep.cpuid_step, 1);

	/* Turin: fmc, bl, tee, snp in bytes 0..3, microcode in byte 7. */
	raw[0x188] = 0x1a;
	raw[0x189] = 0x02;
	memcpy(raw + 0x180, "\x01\x02\x03\x04\x00\x00\x00\x05", 8);
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.product, SNP_PRODUCT_TURIN);
	cr_assert_eq(rep.reported_tcb.fmc, 1);
	cr_assert_eq(rep.reported_tcb.bootloader, 2);
	cr_assert_eq(rep.reported_tcb.tee, 3);
	cr_assert_eq(rep.reported_tcb.snp, 4);
	cr_assert_eq(rep.reported_tcb.microcode, 5);

	raw[0x188] = 0x19;
	raw[0x189] = 0x01;
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.product, SNP_PRODUCT_MILAN);
	cr_assert_eq(rep.reported_tcb.bootloader, 1);
	cr_assert_eq(rep.reported_tcb.tee, 2);
	cr_assert_eq(rep.reported_tcb.snp, 0);
}

Test(snp_report, rejects_truncated_and_oversized)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE + 1];
	struct snp_report rep;

	synth(raw, 2);
	raw[SNP_REPORT_SIZE] = 0;
	cr_assert_eq(snp_report_parse(&rep, raw, SNP_REPORT_SIZE - 1, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg,
	                 "SNP report is 1183 bytes, an ATTESTATION_REPORT is exactly 1184");
	cr_assert_eq(snp_report_parse(&rep, raw, SNP_REPORT_SIZE + 1, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg,
	                 "SNP report is 1185 bytes, an ATTESTATION_REPORT is exactly 1184");
	cr_assert_eq(snp_report_parse(&rep, raw, 0, &err), EPH_EFORMAT);
}

Test(snp_report, rejects_unknown_versions)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	struct snp_report rep;
	static const uint32_t bad[] = {0, 1, 4, 5, 0x100};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		synth(raw, 0);
		memcpy(raw, &bad[i], 4);
		cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT, "version %u", bad[i]);
		cr_assert(strstr(err.msg, "not supported (only 2 and 3)") != NULL, "%s", err.msg);
	}
	synth(raw, 2);
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
}

Test(snp_report, rejects_policy_reserved_bits)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	struct snp_report rep;

	synth(raw, 2);
	raw[0x0a] = 0;
	cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT);
	cr_assert_str_eq(
	    err.msg, "SNP report: POLICY 0x0000000000000000 has reserved bit 17 clear (must be 1)");
	synth(raw, 2);
	raw[0x0f] = 0x80;
	cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "reserved bits 63:26") != NULL, "%s", err.msg);
}

Test(snp_report, rejects_reserved_signing_key_and_key_info_bits)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	struct snp_report rep;

	synth(raw, 2);
	raw[0x48] = 2 << 2;
	cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg,
	                 "SNP report: SIGNING_KEY 2 at 0x048 is reserved (0 VCEK, 1 VLEK, 7 none)");
	synth(raw, 2);
	raw[0x48] = 0x20;
	cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT);
	synth(raw, 2);
	raw[0x48] = 1 << 2 | 3;
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.signing_key, SNP_SIGNING_KEY_VLEK);
	cr_assert(rep.author_key_en);
	cr_assert(rep.mask_chip_key);
}

Test(snp_report, rejects_every_mbz_byte)
{
	static const struct {
		size_t lo, hi;
	} v2[] = {{0x4c, 0x50},   {0x188, 0x1a0}, {0x1eb, 0x1ec},
	          {0x1ef, 0x1f0}, {0x1f8, 0x2a0}, {0x330, 0x4a0}};
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	struct snp_report rep;
	char want[32];
	size_t i, off;

	for (i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
		for (off = v2[i].lo; off < v2[i].hi; off++) {
			synth(raw, 2);
			raw[off] = 0x5a;
			cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT, "byte 0x%zx", off);
			snprintf(want, sizeof(want), "byte 0x%03zx is 0x5a", off);
			cr_assert(strstr(err.msg, want) != NULL, "%s", err.msg);
		}
	}
	/* v3 owns 0x188..0x18a. */
	synth(raw, 3);
	raw[0x188] = 0x19;
	raw[0x18a] = 2;
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
	raw[0x18b] = 1;
	cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT);
}

Test(snp_report, rejects_wide_ecdsa_coordinates)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	struct snp_report rep;

	synth(raw, 2);
	raw[0x2a0 + 48] = 1;
	cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT);
	cr_assert_str_eq(
	    err.msg,
	    "SNP report: signature R does not fit in 48 bytes (byte 48 of its field is 0x01)");
	synth(raw, 2);
	raw[0x2e8 + 71] = 1;
	cr_assert_eq(parse(&rep, raw, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "signature S") != NULL, "%s", err.msg);
	/* Another algorithm: the signature area is not interpreted here. */
	synth(raw, 2);
	raw[0x34] = 2;
	raw[0x2a0 + 48] = 1;
	cr_assert_eq(parse(&rep, raw, &err), 0, "%s", err.msg);
	cr_assert_eq(rep.signature_algo, 2);
}

Test(snp_report, tcb_decode_layouts)
{
	struct snp_tcb t;

	snp_tcb_decode(&t, 0x4405000000000002ull, SNP_PRODUCT_MILAN);
	cr_assert_eq(t.bootloader, 2);
	cr_assert_eq(t.snp, 5);
	cr_assert_eq(t.microcode, 0x44);
	cr_assert_eq(t.fmc, 0);
	snp_tcb_decode(&t, 0x4400000004030201ull, SNP_PRODUCT_TURIN);
	cr_assert_eq(t.fmc, 1);
	cr_assert_eq(t.bootloader, 2);
	cr_assert_eq(t.tee, 3);
	cr_assert_eq(t.snp, 4);
	cr_assert_eq(t.microcode, 0x44);
	cr_assert_str_eq(snp_product_name(SNP_PRODUCT_GENOA), "Genoa");
	cr_assert_str_eq(snp_product_name((enum snp_product)42), "unknown");
}
