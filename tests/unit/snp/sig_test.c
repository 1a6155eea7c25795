/*
 * sig_test.c - the report signature and the report/VCEK consistency:
 * real reports verify with their VCEKs; any flipped byte of the signed
 * region, another chip's VCEK, a foreign algorithm, a TCB edit are each
 * refused with their own message. Also a report signed here with a P-384
 * key, to check the little-endian R/S handling independently of AMD.
 */
#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <string.h>

#include "ts.h"

#define GSG "snp/go-sev-guest/"
#define TRU "snp/trustee/"

static int verify(const uint8_t *raw, const char *cert_rel, struct eph_err *err)
{
	snp_cert *c = ts_cert(cert_rel);
	int rc = snp_verify_signature(raw, SNP_REPORT_SIZE, c, err);

	snp_cert_free(c);
	return rc;
}

Test(snp_sig, real_reports_verify_with_their_vcek)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	ts_report(raw, GSG "attestation.bin");
	cr_assert_eq(verify(raw, GSG "vcek.der", &err), 0, "%s", err.msg);
	ts_report(raw, TRU "test-report.bin");
	cr_assert_eq(verify(raw, TRU "test-vcek.der", &err), 0, "%s", err.msg);
}

Test(snp_sig, flipping_byte_42_fails)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	ts_report(raw, TRU "test-report.bin");
	raw[42] ^= 1;
	cr_assert_eq(verify(raw, TRU "test-vcek.der", &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg,
	                 "SNP report signature over 0x000..0x29f does not verify with SEV-VCEK");
}

Test(snp_sig, every_signed_byte_counts)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	snp_cert *c;
	size_t i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	c = ts_cert(GSG "vcek.der");
	ts_report(raw, GSG "attestation.bin");
	for (i = 0; i < SNP_SIGNED_SIZE; i++) {
		raw[i] ^= 0x01;
		cr_assert_neq(snp_verify_signature(raw, SNP_REPORT_SIZE, c, &err), 0,
		              "flipped byte 0x%03zx still verifies", i);
		raw[i] ^= 0x01;
	}
	cr_assert_eq(snp_verify_signature(raw, SNP_REPORT_SIZE, c, &err), 0, "%s", err.msg);
	snp_cert_free(c);
}

Test(snp_sig, another_chips_vcek_fails)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	struct snp_report rep;
	uint8_t raw[SNP_REPORT_SIZE];
	snp_cert *c;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	ts_report(raw, GSG "attestation.bin");
	cr_assert_eq(verify(raw, TRU "test-vcek.der", &err), EPH_EVERIFY);
	/* And the consistency check says why before any signature math. */
	c = ts_cert(TRU "test-vcek.der");
	cr_assert_eq(snp_vcek_tcb(&info, c, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_report_parse(&rep, raw, sizeof(raw), &err), 0, "%s", err.msg);
	cr_assert_eq(snp_check_vcek(&rep, &info, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg,
	                 "reported_tcb.bootloader is 2 in the report but 3 in the VCEK/VLEK");
	/* Same TCB, other chip: the hwID check names it. */
	rep.reported_tcb.raw = info.tcb.raw;
	cr_assert_eq(snp_check_vcek(&rep, &info, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "SNP report chip_id 3ac3fe21e13fb099... is not the VCEK hwID "
	                          "c38427a30d4c7af9... (VCEK of another chip)");
	/* With CHIP_ID masked by the host only the key binds the chip. */
	rep.mask_chip_key = true;
	cr_assert_eq(snp_check_vcek(&rep, &info, &err), 0, "%s", err.msg);
	snp_cert_free(c);
}

Test(snp_sig, flipping_byte_384_fails_the_tcb_check)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	struct snp_report rep;
	uint8_t raw[SNP_REPORT_SIZE];
	snp_cert *c;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	c = ts_cert(TRU "test-vcek.der");
	cr_assert_eq(snp_vcek_tcb(&info, c, &err), 0, "%s", err.msg);
	ts_report(raw, TRU "test-report.bin");
	cr_assert_eq(snp_report_parse(&rep, raw, sizeof(raw), &err), 0, "%s", err.msg);
	cr_assert_eq(snp_check_vcek(&rep, &info, &err), 0, "%s", err.msg);
	raw[384] ^= 1;
	cr_assert_eq(snp_report_parse(&rep, raw, sizeof(raw), &err), 0, "%s", err.msg);
	cr_assert_eq(snp_check_vcek(&rep, &info, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg,
	                 "reported_tcb.bootloader is 2 in the report but 3 in the VCEK/VLEK");
	snp_cert_free(c);
}

Test(snp_sig, signing_key_kind_and_product_must_match)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	struct snp_report rep;
	uint8_t raw[SNP_REPORT_SIZE];
	snp_cert *c;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	c = ts_cert(TRU "test-vcek.der");
	cr_assert_eq(snp_vcek_tcb(&info, c, &err), 0, "%s", err.msg);
	ts_report(raw, TRU "test-report.bin");
	cr_assert_eq(snp_report_parse(&rep, raw, sizeof(raw), &err), 0, "%s", err.msg);
	rep.signing_key = SNP_SIGNING_KEY_VLEK;
	cr_assert_eq(snp_check_vcek(&rep, &info, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "SNP report says SIGNING_KEY VLEK, the certificate is a VCEK");
	rep.signing_key = SNP_SIGNING_KEY_NONE;
	cr_assert_eq(snp_check_vcek(&rep, &info, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "SNP report is unsigned (SIGNING_KEY 7)");
	rep.signing_key = SNP_SIGNING_KEY_VCEK;
	rep.version = 3;
	rep.cpuid_fam_id = 0x19;
	rep.cpuid_mod_id = 0x11;
	rep.product = SNP_PRODUCT_GENOA;
	cr_assert_eq(snp_check_vcek(&rep, &info, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "SNP report CPUID (family 0x19 model 0x11) is Genoa, the "
	                          "certificate is for Milan");
	snp_cert_free(c);
}

Test(snp_sig, refuses_other_algorithms_and_wrong_lengths)
{
	struct eph_err err = {{0}};
	uint8_t raw[SNP_REPORT_SIZE];
	snp_cert *c;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	c = ts_cert(GSG "vcek.der");
	ts_report(raw, GSG "attestation.bin");
	raw[0x34] = 2;
	cr_assert_eq(snp_verify_signature(raw, sizeof(raw), c, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "SNP report SIGNATURE_ALGO 2 at 0x034 is not 1 (ECDSA P-384 "
	                          "with SHA-384)");
	raw[0x34] = 0;
	cr_assert_eq(snp_verify_signature(raw, sizeof(raw), c, &err), EPH_EVERIFY);
	raw[0x34] = 1;
	cr_assert_eq(snp_verify_signature(raw, sizeof(raw) - 1, c, &err), EPH_EFORMAT);
	raw[0x2a0 + 60] = 1;
	cr_assert_eq(snp_verify_signature(raw, sizeof(raw), c, &err), EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "SNP report signature R has non-zero byte 60 beyond 48 bytes");
	snp_cert_free(c);
}

/* Sign a synthetic report with key, writing R and S little-endian. */
static void sign_report(uint8_t *raw, EVP_PKEY *key)
{
	uint8_t der[128];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *sig;

	cr_assert_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key), 1);
	cr_assert_eq(EVP_DigestSign(ctx, der, &der_len, raw, SNP_SIGNED_SIZE), 1);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	cr_assert_not_null(sig);
	memset(raw + SNP_SIGNED_SIZE, 0, SNP_REPORT_SIZE - SNP_SIGNED_SIZE);
	cr_assert_eq(BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), raw + 0x2a0, 72), 72);
	cr_assert_eq(BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), raw + 0x2e8, 72), 72);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
}

Test(snp_sig, self_signed_report_round_trip)
{
	struct eph_err err = {{0}};
	struct snp_report rep;
	EVP_PKEY *k = ts_p384(), *other = ts_p384();
	X509 *x = ts_x509("SEV-VCEK", "SEV-Genoa", k, k, 0), *y;
	snp_cert *c = ts_wrap(x), *d;
	uint8_t raw[SNP_REPORT_SIZE];

	memset(raw, 0, sizeof(raw));
	raw[0] = 3;
	raw[0x0a] = 0x02;
	raw[0x34] = 1;
	raw[0x188] = 0x19;
	raw[0x189] = 0x11;
	memset(raw + 0x160, 0xff, 32);
	sign_report(raw, k);
	cr_assert_eq(snp_report_parse(&rep, raw, sizeof(raw), &err), 0, "%s", err.msg);
	cr_assert_eq(snp_verify_signature(raw, sizeof(raw), c, &err), 0, "%s", err.msg);
	y = ts_x509("SEV-VCEK", "SEV-Genoa", other, other, 0);
	d = ts_wrap(y);
	cr_assert_eq(snp_verify_signature(raw, sizeof(raw), d, &err), EPH_EVERIFY);
	snp_cert_free(c);
	snp_cert_free(d);
	X509_free(x);
	X509_free(y);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}
