/*
 * vectors_test.c - snp_verify end to end on every SNP evidence among the
 * shared vectors, asserting what vectors/README.md says of each:
 *   go-sev-guest/attestation.bin  + vcek.der, Milan roots at 2022-09-24
 *   trustee/test-report.bin       + test-vcek.der, trustee's Milan bundle
 *   az-snp-vtpm/hcl-report.bin    the SNP report inside Azure's HCL report,
 *                                 + vcek.pem; REPORT_DATA = SHA-256 of the
 *                                 runtime-data JSON (Azure's binding)
 *   trustee/e2e-evidence.json     report as JSON fields + cert_chain[0]
 * and the one-shot refusals: one byte of the report, another chip's VCEK.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

#define GSG "snp/go-sev-guest/"
#define TRU "snp/trustee/"
#define AZ "snp/az-snp-vtpm/"

static int verify(struct snp_report *rep, struct snp_vcek_info *info, const uint8_t *raw,
                  const char *cert_rel, const char *roots_rel, time_t at, struct eph_err *err)
{
	snp_cert *c = ts_cert(cert_rel);
	snp_roots *r = ts_roots(roots_rel);
	int rc = snp_verify(rep, info, raw, SNP_REPORT_SIZE, c, r, at, err);

	snp_roots_free(r);
	snp_cert_free(c);
	return rc;
}

Test(snp_vectors, go_sev_guest_attestation)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	struct snp_report rep;
	uint8_t raw[SNP_REPORT_SIZE];

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	ts_report(raw, GSG "attestation.bin");
	cr_assert_eq(verify(&rep, &info, raw, GSG "vcek.der", "snp/amd-roots/ask_ark_milan.pem",
	                    ts_day(2022, 9, 24), &err),
	             0, "%s", err.msg);
	cr_assert_eq(rep.product, SNP_PRODUCT_MILAN, "v2: the product comes from the VCEK");
	cr_assert_eq(snp_vcek_check_product(&info, SNP_PRODUCT_MILAN, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_vcek_check_product(&info, SNP_PRODUCT_MILAN, 12, &err), EPH_EPOLICY);
	cr_assert_str_eq(err.msg, "expected product stepping 12, got 0");
	/* The same with go-sev-guest's own copy of the KDS cert_chain. */
	cr_assert_eq(verify(&rep, NULL, raw, GSG "vcek.der", GSG "milan_cert_chain.pem",
	                    ts_day(2022, 9, 24), &err),
	             0, "%s", err.msg);
	/* Before the VCEK existed. */
	cr_assert_eq(verify(&rep, NULL, raw, GSG "vcek.der", "snp/amd-roots/ask_ark_milan.pem",
	                    ts_day(2022, 9, 1), &err),
	             EPH_EVERIFY);
	/* Genoa's roots do not anchor a Milan VCEK. */
	cr_assert_eq(verify(&rep, NULL, raw, GSG "vcek.der", "snp/amd-roots/ask_ark_genoa.pem",
	                    ts_day(2022, 9, 24), &err),
	             EPH_ENOTFOUND);
	cr_assert_str_eq(err.msg, "no ARK of Milan among the SNP roots");
}

Test(snp_vectors, trustee_report_and_its_edits)
{
	struct eph_err err = {{0}};
	struct snp_report rep;
	uint8_t raw[SNP_REPORT_SIZE];
	time_t at = ts_day(2024, 1, 1);

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	ts_report(raw, TRU "test-report.bin");
	cr_assert_eq(
	    verify(&rep, NULL, raw, TRU "test-vcek.der", TRU "milan_ask_ark_asvk.pem", at, &err), 0,
	    "%s", err.msg);
	raw[42] ^= 1;
	cr_assert_eq(
	    verify(&rep, NULL, raw, TRU "test-vcek.der", TRU "milan_ask_ark_asvk.pem", at, &err),
	    EPH_EVERIFY);
	cr_assert_str_eq(err.msg,
	                 "SNP report signature over 0x000..0x29f does not verify with SEV-VCEK");
	raw[42] ^= 1;
	raw[384] ^= 1;
	cr_assert_eq(
	    verify(&rep, NULL, raw, TRU "test-vcek.der", TRU "milan_ask_ark_asvk.pem", at, &err),
	    EPH_EVERIFY);
	cr_assert_str_eq(err.msg,
	                 "reported_tcb.bootloader is 2 in the report but 3 in the VCEK/VLEK");
	raw[384] ^= 1;
	/* Another chip's (and TCB's) VCEK, itself genuine. */
	cr_assert_eq(
	    verify(&rep, NULL, raw, GSG "vcek.der", TRU "milan_ask_ark_asvk.pem", at, &err),
	    EPH_EVERIFY);
	cr_assert(strstr(err.msg, "in the VCEK/VLEK") != NULL, "%s", err.msg);
}

Test(snp_vectors, azure_hcl_report)
{
	struct eph_err err = {{0}};
	struct snp_report rep;
	uint8_t want[SNP_REPORT_DATA_SIZE];
	uint32_t data_size, var_size, hash_type;
	unsigned int n = 0;
	size_t len;
	uint8_t *hcl;
	json_error_t jerr;
	json_t *rt;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	hcl = ts_vec(AZ "hcl-report.bin", &len);
	/* HCL report: "HCLA" header (0x20 bytes), the 1184-byte SNP report,
	 * then IGVM request data: u32 size, version, report type (2 = SNP),
	 * hash type (1 = SHA-256), variable-data size, variable data (JSON). */
	cr_assert_eq(len, 2600);
	cr_assert_eq(memcmp(hcl, "HCLA", 4), 0);
	memcpy(&data_size, hcl + 0x4c0, 4);
	memcpy(&hash_type, hcl + 0x4cc, 4);
	memcpy(&var_size, hcl + 0x4d0, 4);
	cr_assert_eq(hash_type, 1);
	cr_assert_eq(data_size, 20 + var_size);
	cr_assert_leq(0x4d4 + var_size, len);
	rt = json_loadb((const char *)hcl + 0x4d4, var_size, 0, &jerr);
	cr_assert_not_null(rt, "runtime data is not JSON: %s", jerr.text);
	cr_assert_not_null(json_object_get(rt, "keys"), "runtime data carries the vTPM AK (JWK)");
	json_decref(rt);

	cr_assert_eq(
	    verify(&rep, NULL, hcl + 0x20, AZ "vcek.pem", AZ "vcek.pem", ts_day(2024, 1, 1), &err),
	    0, "%s", err.msg);
	memset(want, 0, sizeof(want));
	cr_assert_eq(EVP_Digest(hcl + 0x4d4, var_size, want, &n, EVP_sha256(), NULL), 1);
	cr_assert_arr_eq(rep.report_data, want, SNP_REPORT_DATA_SIZE,
	                 "REPORT_DATA is SHA-256(runtime data) || 32 zero bytes");
	free(hcl);
}

/* Put a JSON TCB {bootloader, tee, snp, microcode} in Milan/Genoa layout. */
static void put_tcb(uint8_t *p, const json_t *tcb)
{
	memset(p, 0, 8);
	p[0] = (uint8_t)json_integer_value(json_object_get(tcb, "bootloader"));
	p[1] = (uint8_t)json_integer_value(json_object_get(tcb, "tee"));
	p[6] = (uint8_t)json_integer_value(json_object_get(tcb, "snp"));
	p[7] = (uint8_t)json_integer_value(json_object_get(tcb, "microcode"));
}

static void put_bytes(uint8_t *p, const json_t *arr, size_t n)
{
	size_t i;

	cr_assert_eq(json_array_size(arr), n);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)json_integer_value(json_array_get(arr, i));
}

static void put_u32(uint8_t *p, json_int_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_version(uint8_t *p, const json_t *v)
{
	p[0] = (uint8_t)json_integer_value(json_object_get(v, "build"));
	p[1] = (uint8_t)json_integer_value(json_object_get(v, "minor"));
	p[2] = (uint8_t)json_integer_value(json_object_get(v, "major"));
}

/* trustee's SnpEvidence: the report as the sev crate serialises it. */
static void e2e_report(uint8_t *raw, uint8_t *vcek, size_t *vcek_len, size_t vcek_cap)
{
	json_error_t jerr;
	json_t *root = json_load_file(tu_vector_path(TRU "e2e-evidence.json"), 0, &jerr);
	json_t *r, *chain;
	json_int_t policy;

	cr_assert_not_null(root, "%s", jerr.text);
	r = json_object_get(root, "attestation_report");
	memset(raw, 0, SNP_REPORT_SIZE);
	put_u32(raw + 0x00, json_integer_value(json_object_get(r, "version")));
	put_u32(raw + 0x04, json_integer_value(json_object_get(r, "guest_svn")));
	policy = json_integer_value(json_object_get(r, "policy"));
	put_u32(raw + 0x08, policy);
	put_u32(raw + 0x0c, policy >> 32);
	put_bytes(raw + 0x10, json_object_get(r, "family_id"), 16);
	put_bytes(raw + 0x20, json_object_get(r, "image_id"), 16);
	put_u32(raw + 0x30, json_integer_value(json_object_get(r, "vmpl")));
	put_u32(raw + 0x34, json_integer_value(json_object_get(r, "sig_algo")));
	put_tcb(raw + 0x38, json_object_get(r, "current_tcb"));
	put_u32(raw + 0x40, json_integer_value(json_object_get(r, "plat_info")));
	put_u32(raw + 0x48, json_integer_value(json_object_get(r, "key_info")));
	put_bytes(raw + 0x50, json_object_get(r, "report_data"), 64);
	put_bytes(raw + 0x90, json_object_get(r, "measurement"), 48);
	put_bytes(raw + 0xc0, json_object_get(r, "host_data"), 32);
	put_bytes(raw + 0xe0, json_object_get(r, "id_key_digest"), 48);
	put_bytes(raw + 0x110, json_object_get(r, "author_key_digest"), 48);
	put_bytes(raw + 0x140, json_object_get(r, "report_id"), 32);
	put_bytes(raw + 0x160, json_object_get(r, "report_id_ma"), 32);
	put_tcb(raw + 0x180, json_object_get(r, "reported_tcb"));
	raw[0x188] = (uint8_t)json_integer_value(json_object_get(r, "cpuid_fam_id"));
	raw[0x189] = (uint8_t)json_integer_value(json_object_get(r, "cpuid_mod_id"));
	raw[0x18a] = (uint8_t)json_integer_value(json_object_get(r, "cpuid_step"));
	put_bytes(raw + 0x1a0, json_object_get(r, "chip_id"), 64);
	put_tcb(raw + 0x1e0, json_object_get(r, "committed_tcb"));
	put_version(raw + 0x1e8, json_object_get(r, "current"));
	put_version(raw + 0x1ec, json_object_get(r, "committed"));
	put_tcb(raw + 0x1f0, json_object_get(r, "launch_tcb"));
	put_bytes(raw + 0x2a0, json_object_get(json_object_get(r, "signature"), "r"), 72);
	put_bytes(raw + 0x2e8, json_object_get(json_object_get(r, "signature"), "s"), 72);

	chain = json_object_get(root, "cert_chain");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(chain, 0), "cert_type")),
	                 "VCEK");
	*vcek_len = json_array_size(json_object_get(json_array_get(chain, 0), "data"));
	cr_assert_leq(*vcek_len, vcek_cap);
	put_bytes(vcek, json_object_get(json_array_get(chain, 0), "data"), *vcek_len);
	json_decref(root);
}

Test(snp_vectors, trustee_e2e_evidence_json)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	struct snp_report rep;
	uint8_t raw[SNP_REPORT_SIZE], der[4096];
	snp_roots *r;
	snp_cert *c = NULL;
	size_t der_len = 0;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	e2e_report(raw, der, &der_len, sizeof(der));
	cr_assert_eq(snp_cert_parse(&c, der, der_len, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_verify_signature(raw, sizeof(raw), c, &err), 0, "%s", err.msg);
	r = ts_roots("snp/amd-roots/ask_ark_genoa.pem");
	cr_assert_eq(snp_verify(&rep, &info, raw, sizeof(raw), c, r, ts_day(2025, 6, 1), &err), 0,
	             "%s", err.msg);
	cr_assert_eq(rep.version, 3);
	cr_assert_eq(rep.product, SNP_PRODUCT_GENOA, "CPUID family 0x19 model 0xa0");
	cr_assert_eq(rep.cpuid_step, 2);
	cr_assert_eq(rep.reported_tcb.snp, 23);
	cr_assert_eq(rep.platform_info, 37);
	raw[0x50] ^= 1;
	cr_assert_eq(snp_verify(&rep, &info, raw, sizeof(raw), c, r, ts_day(2025, 6, 1), &err),
	             EPH_EVERIFY);
	snp_roots_free(r);
	snp_cert_free(c);
}
