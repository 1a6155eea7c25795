/*
 * vcek_test.c - snp_vcek_tcb on real KDS certificates (go-sev-guest's Milan
 * VCEK, trustee's and its two hwID encodings, trustee's e2e Genoa VCEK) and
 * on certificates made here to break one extension at a time.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

static const uint8_t seq64[64] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
};

static int info_of(struct snp_vcek_info *info, const char *rel, struct eph_err *err)
{
	snp_cert *c = ts_cert(rel);
	int rc = snp_vcek_tcb(info, c, err);

	snp_cert_free(c);
	return rc;
}

Test(snp_vcek, go_sev_guest_vcek)
{
	static const uint8_t hwid_prefix[8] = {0x3a, 0xc3, 0xfe, 0x21, 0xe1, 0x3f, 0xb0, 0x99};
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	snp_cert *c;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	c = ts_cert("snp/go-sev-guest/vcek.der");
	cr_assert_eq(snp_cert_kind(c), SNP_CERT_VCEK);
	cr_assert_eq(snp_cert_product(c), SNP_PRODUCT_MILAN);
	cr_assert_eq(snp_vcek_tcb(&info, c, &err), 0, "%s", err.msg);
	cr_assert_str_eq(info.product_name, "Milan-B0");
	cr_assert_eq(info.product, SNP_PRODUCT_MILAN);
	cr_assert_eq(info.stepping, 0);
	cr_assert_eq(info.tcb.bootloader, 2);
	cr_assert_eq(info.tcb.tee, 0);
	cr_assert_eq(info.tcb.snp, 5);
	cr_assert_eq(info.tcb.microcode, 68);
	cr_assert_eq(info.tcb.raw, 0x4405000000000002ull);
	cr_assert_eq(info.hwid_len, 64);
	cr_assert_arr_eq(info.hwid, hwid_prefix, 8);
	cr_assert_eq(info.hwid[62], 0x6b);
	cr_assert_eq(info.hwid[63], 0x5d);
	cr_assert_eq(snp_vcek_check_product(&info, SNP_PRODUCT_MILAN, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_vcek_check_product(&info, SNP_PRODUCT_MILAN, 12, &err), EPH_EPOLICY);
	cr_assert_str_eq(err.msg, "expected product stepping 12, got 0");
	cr_assert_eq(snp_vcek_check_product(&info, SNP_PRODUCT_GENOA, -1, &err), EPH_EPOLICY);
	cr_assert_str_eq(err.msg, "expected product Genoa, got Milan (\"Milan-B0\")");
	snp_cert_free(c);
}

Test(snp_vcek, trustee_vcek_and_hwid_encodings)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	cr_assert_eq(info_of(&info, "snp/trustee/test-vcek.der", &err), 0, "%s", err.msg);
	cr_assert_eq(info.tcb.bootloader, 3);
	cr_assert_eq(info.tcb.snp, 8);
	cr_assert_eq(info.tcb.microcode, 115);
	cr_assert_eq(info.hwid_len, 64);
	cr_assert_eq(info.hwid[0], 0xc3);

	/* Legacy: the extension value is the raw 64 bytes; ucodeSPL 02 02 00 a9. */
	cr_assert_eq(info_of(&info, "snp/trustee/test-vcek-invalid-legacy.der", &err), 0, "%s",
	             err.msg);
	cr_assert_eq(info.hwid_len, 64);
	cr_assert_arr_eq(info.hwid, seq64, 64);
	cr_assert_eq(info.tcb.bootloader, 3);
	cr_assert_eq(info.tcb.snp, 10);
	cr_assert_eq(info.tcb.microcode, 169);

	/* New: an OCTET STRING 04 40 around the 64 bytes. */
	cr_assert_eq(info_of(&info, "snp/trustee/test-vcek-invalid-new.der", &err), 0, "%s",
	             err.msg);
	cr_assert_eq(info.hwid_len, 64);
	cr_assert_arr_eq(info.hwid, seq64, 64);
	cr_assert_eq(info.tcb.bootloader, 0);
	cr_assert_eq(info.tcb.microcode, 30);
}

Test(snp_vcek, e2e_genoa_vcek_without_stepping)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	json_error_t jerr;
	json_t *root, *data;
	uint8_t der[4096];
	snp_cert *c = NULL;
	size_t i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	root = json_load_file(tu_vector_path("snp/trustee/e2e-evidence.json"), 0, &jerr);
	cr_assert_not_null(root, "%s", jerr.text);
	data = json_object_get(json_array_get(json_object_get(root, "cert_chain"), 0), "data");
	cr_assert(json_is_array(data));
	cr_assert_lt(json_array_size(data), sizeof(der));
	for (i = 0; i < json_array_size(data); i++)
		der[i] = (uint8_t)json_integer_value(json_array_get(data, i));
	cr_assert_eq(snp_cert_parse(&c, der, json_array_size(data), &err), 0, "%s", err.msg);
	cr_assert_eq(snp_vcek_tcb(&info, c, &err), 0, "%s", err.msg);
	cr_assert_str_eq(info.product_name, "Genoa");
	cr_assert_eq(info.product, SNP_PRODUCT_GENOA);
	cr_assert_eq(info.stepping, -1);
	cr_assert_eq(info.tcb.bootloader, 10);
	cr_assert_eq(info.tcb.snp, 23);
	cr_assert_eq(info.tcb.microcode, 25);
	snp_cert_free(c);
	json_decref(root);
}

/* A self-made VCEK: CN SEV-VCEK under "SEV-<product>", caller adds exts. */
static X509 *fake_vcek(EVP_PKEY *key, const char *issuer)
{
	return ts_x509("SEV-VCEK", issuer, key, key, 0);
}

static int fake_info(struct snp_vcek_info *info, X509 *x, EVP_PKEY *key, struct eph_err *err)
{
	snp_cert *c;
	int rc;

	ts_sign(x, key);
	c = ts_wrap(x);
	rc = snp_vcek_tcb(info, c, err);
	snp_cert_free(c);
	X509_free(x);
	return rc;
}

Test(snp_vcek, synthetic_turin_needs_fmc_and_8_byte_hwid)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	EVP_PKEY *k = ts_p384();
	X509 *x;

	x = fake_vcek(k, "SEV-Turin");
	ts_vcek_exts(x, "Turin-B0", 1, 2, 3, 4, seq64, 8);
	cr_assert_eq(fake_info(&info, x, k, &err), 0, "%s", err.msg);
	cr_assert_eq(info.product, SNP_PRODUCT_TURIN);
	cr_assert_eq(info.hwid_len, 8);
	cr_assert_eq(info.tcb.fmc, 1);
	cr_assert_eq(info.tcb.raw, 0x0400000003020101ull);

	x = fake_vcek(k, "SEV-Turin");
	ts_vcek_exts(x, "Turin-B0", 1, 2, 3, 4, seq64, 64);
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "hwID") != NULL, "%s", err.msg);
	EVP_PKEY_free(k);
}

Test(snp_vcek, synthetic_rejections)
{
	static const uint8_t spl300[] = {0x02, 0x02, 0x01, 0x2c};
	static const uint8_t neg[] = {0x02, 0x01, 0x80};
	static const uint8_t notint[] = {0x04, 0x01, 0x05};
	static const uint8_t trailing[] = {0x02, 0x01, 0x05, 0x00};
	static const uint8_t badname[] = {0x16, 0x09, 'V', 'e', 'n', 'i', 'c', 'e', '-', 'A', '0'};
	static const uint8_t badstep[] = {0x16, 0x07, 'M', 'i', 'l', 'a', 'n', '-', 'x'};
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	EVP_PKEY *k = ts_p384();
	X509 *x;

	/* No hwID on a VCEK. */
	x = fake_vcek(k, "SEV-Milan");
	ts_vcek_exts(x, "Milan-B0", 1, 0, 5, 60, NULL, 0);
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "VCEK lacks extension hwID (1.3.6.1.4.1.3704.1.4)");

	/* A duplicated SPL. */
	x = fake_vcek(k, "SEV-Milan");
	ts_vcek_exts(x, "Milan-B0", 1, 0, 5, 60, seq64, 64);
	ts_ext(x, "1.3.6.1.4.1.3704.1.3.3", "\x02\x01\x09", 3);
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "VCEK has extension snpSPL (1.3.6.1.4.1.3704.1.3.3) twice");

	/* SPL values that are not 0..255 or not INTEGERs. */
	x = fake_vcek(k, "SEV-Milan");
	ts_vcek_exts(x, "Milan-B0", 1, 0, 5, 60, seq64, 64);
	ts_ext(x, "1.3.6.1.4.1.3704.1.3.4", spl300, sizeof(spl300));
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "2-byte INTEGER") != NULL, "%s", err.msg);
	x = fake_vcek(k, "SEV-Milan");
	ts_vcek_exts(x, "Milan-B0", 1, 0, 5, 60, seq64, 64);
	ts_ext(x, "1.3.6.1.4.1.3704.1.3.5", neg, sizeof(neg));
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "negative") != NULL, "%s", err.msg);
	x = fake_vcek(k, "SEV-Milan");
	ts_vcek_exts(x, "Milan-B0", 1, 0, 5, 60, seq64, 64);
	ts_ext(x, "1.3.6.1.4.1.3704.1.3.6", notint, sizeof(notint));
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);
	x = fake_vcek(k, "SEV-Milan");
	ts_vcek_exts(x, "Milan-B0", 1, 0, 5, 60, seq64, 64);
	ts_ext(x, "1.3.6.1.4.1.3704.1.3.7", trailing, sizeof(trailing));
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);

	/* A hwID of the wrong size, raw and wrapped. */
	x = fake_vcek(k, "SEV-Milan");
	ts_vcek_exts(x, "Milan-B0", 1, 0, 5, 60, seq64, 63);
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);

	/* Unknown product, malformed stepping. */
	x = fake_vcek(k, "SEV-Milan");
	ts_ext(x, "1.3.6.1.4.1.3704.1.2", badname, sizeof(badname));
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EUNSUPPORTED);
	cr_assert_str_eq(err.msg, "VCEK productName \"Venice-A0\" is not Milan, Genoa or Turin");
	x = fake_vcek(k, "SEV-Milan");
	ts_ext(x, "1.3.6.1.4.1.3704.1.2", badstep, sizeof(badstep));
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);

	/* Not a VCEK at all. */
	x = ts_x509("SEV-Milan", "ARK-Milan", k, k, 1);
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "certificate CN \"SEV-Milan\" is not SEV-VCEK or SEV-VLEK");
	EVP_PKEY_free(k);
}

Test(snp_vcek, vlek_has_csp_id_and_no_hwid)
{
	static const uint8_t csp[] = {0x16, 0x04, 'a', 'c', 'm', 'e'};
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	EVP_PKEY *k = ts_p384();
	X509 *x;

	x = ts_x509("SEV-VLEK", "SEV-VLEK-Genoa", k, k, 0);
	ts_vcek_exts(x, "Genoa", 1, 0, 5, 60, NULL, 0);
	ts_ext(x, "1.3.6.1.4.1.3704.1.5", csp, sizeof(csp));
	cr_assert_eq(fake_info(&info, x, k, &err), 0, "%s", err.msg);
	cr_assert_eq(info.kind, SNP_CERT_VLEK);
	cr_assert_eq(info.hwid_len, 0);
	cr_assert_str_eq(info.csp_id, "acme");

	x = ts_x509("SEV-VLEK", "SEV-VLEK-Genoa", k, k, 0);
	ts_vcek_exts(x, "Genoa", 1, 0, 5, 60, seq64, 64);
	ts_ext(x, "1.3.6.1.4.1.3704.1.5", csp, sizeof(csp));
	cr_assert_eq(fake_info(&info, x, k, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "VLEK carries a hwID extension");
	EVP_PKEY_free(k);
}

Test(snp_vcek, cert_parse_rejects_garbage_and_trailing_bytes)
{
	struct eph_err err = {{0}};
	EVP_PKEY *k = ts_p384();
	X509 *x = fake_vcek(k, "SEV-Milan");
	snp_cert *c = NULL;
	uint8_t buf[4096];
	size_t len;
	uint8_t *der = ts_der(x, &len);

	cr_assert_eq(snp_cert_parse(&c, (const uint8_t *)"hello", 5, &err), EPH_EFORMAT);
	cr_assert_null(c);
	cr_assert_lt(len + 1, sizeof(buf));
	memcpy(buf, der, len);
	buf[len] = 0;
	cr_assert_eq(snp_cert_parse(&c, buf, len + 1, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "ends at byte") != NULL, "%s", err.msg);
	cr_assert_eq(snp_cert_parse(&c, buf, len, &err), 0, "%s", err.msg);
	snp_cert_free(c);
	cr_assert_eq(snp_cert_parse(&c, buf, 0, &err), EPH_EFORMAT);
	snp_cert_free(NULL);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}
