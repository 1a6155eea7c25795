/*
 * chain_test.c - VCEK -> ASK -> ARK with the real AMD roots: go-sev-guest's
 * VCEK at 2022-09-24, trustee's with trustee's Milan bundle, every root
 * file (ARK self-signed and pinned, ASK/ASVK signed by it), and the
 * refusals: a VCEK edited by one byte, the wrong product's roots, a
 * self-made "ARK-Milan", times outside the validity, a leaf that is not a
 * VCEK, a folder of roots.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ts.h"

#define GSG "snp/go-sev-guest/"
#define TRU "snp/trustee/"
#define AMD "snp/amd-roots/"

Test(snp_chain, go_sev_guest_vcek_at_2022_09_24)
{
	struct eph_err err = {{0}};
	snp_roots *r;
	snp_cert *v;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	r = ts_roots(AMD "ask_ark_milan.pem");
	v = ts_cert(GSG "vcek.der");
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_MILAN, ts_day(2022, 9, 24), &err), 0, "%s",
	             err.msg);
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_UNKNOWN, ts_day(2022, 9, 24), &err), 0,
	             "%s", err.msg);
	/* The VCEK was issued at 00:55:28 that day and lasts seven years. */
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_MILAN, ts_day(2022, 9, 23), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "VCEK SEV-VCEK is not valid before 2022-09-24 00:55:28 UTC "
	                          "(checked at 2022-09-23 12:00:00 UTC)");
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_MILAN, ts_day(2029, 9, 25), &err),
	             EPH_EVERIFY);
	cr_assert(strstr(err.msg, "expired at 2029-09-24") != NULL, "%s", err.msg);
	snp_cert_free(v);
	snp_roots_free(r);
}

Test(snp_chain, explicit_certificates)
{
	struct eph_err err = {{0}};
	snp_cert *v, *ask, *ark;
	size_t len;
	uint8_t *pem;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	v = ts_cert(GSG "vcek.der");
	/* go-sev-guest's KDS cert_chain: ASK first, then ARK. */
	pem = ts_vec(GSG "milan_cert_chain.pem", &len);
	cr_assert_eq(snp_cert_parse(&ask, pem, len, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_cert_kind(ask), SNP_CERT_ASK);
	free(pem);
	ark = ts_cert("snp/az-snp-vtpm/vcek.pem"); /* its first is a VCEK... */
	cr_assert_eq(snp_cert_kind(ark), SNP_CERT_VCEK);
	cr_assert_eq(snp_verify_chain(v, ask, ark, SNP_PRODUCT_MILAN, ts_day(2023, 1, 1), &err),
	             EPH_EVERIFY);
	cr_assert(strstr(err.msg, "is not the pinned ARK-Milan") != NULL, "%s", err.msg);
	/* ...and the leaf, ASK and ARK swapped around. */
	cr_assert_eq(snp_verify_chain(ask, ask, ask, SNP_PRODUCT_MILAN, ts_day(2023, 1, 1), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "leaf certificate \"SEV-Milan\" is not a VCEK or VLEK");
	cr_assert_eq(snp_verify_chain(v, v, v, SNP_PRODUCT_MILAN, ts_day(2023, 1, 1), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "VCEK must be signed by the ASK of Milan, got \"SEV-VCEK\"");
	snp_cert_free(ark);
	snp_cert_free(ask);
	snp_cert_free(v);
}

Test(snp_chain, trustee_vcek_and_a_one_byte_edit)
{
	struct eph_err err = {{0}};
	snp_roots *r;
	snp_cert *v = NULL;
	size_t len;
	uint8_t *der;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	r = ts_roots(TRU "milan_ask_ark_asvk.pem");
	cr_assert_eq(snp_roots_count(r, SNP_CERT_ARK), 1);
	cr_assert_eq(snp_roots_count(r, SNP_CERT_ASK), 1);
	cr_assert_eq(snp_roots_count(r, SNP_CERT_ASVK), 1);
	der = ts_vec(TRU "test-vcek.der", &len);
	cr_assert_eq(snp_cert_parse(&v, der, len, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_MILAN, ts_day(2024, 1, 1), &err), 0, "%s",
	             err.msg);
	snp_cert_free(v);
	der[42]++;
	cr_assert_eq(snp_cert_parse(&v, der, len, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_MILAN, ts_day(2024, 1, 1), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "VCEK SEV-VCEK: signature by ASK SEV-Milan does not verify");
	snp_cert_free(v);
	free(der);
	snp_roots_free(r);
}

Test(snp_chain, wrong_products_roots)
{
	struct eph_err err = {{0}};
	snp_roots *r;
	snp_cert *v, *ask, *ark;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	v = ts_cert(GSG "vcek.der");
	r = ts_roots(AMD "ask_ark_genoa.pem");
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_UNKNOWN, ts_day(2023, 1, 1), &err),
	             EPH_ENOTFOUND);
	cr_assert_str_eq(err.msg, "no ARK of Milan among the SNP roots");
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_GENOA, ts_day(2023, 1, 1), &err),
	             EPH_ENOTFOUND);
	snp_roots_free(r);

	/* Forcing the Genoa ARK (or ASK) onto the Milan VCEK. */
	ask = ts_cert_nth(AMD "ask_ark_milan.pem", 0);
	ark = ts_cert_nth(AMD "ask_ark_genoa.pem", 1);
	cr_assert_eq(snp_cert_kind(ark), SNP_CERT_ARK);
	cr_assert_eq(snp_cert_product(ark), SNP_PRODUCT_GENOA);
	cr_assert_eq(snp_verify_chain(v, ask, ark, SNP_PRODUCT_MILAN, ts_day(2023, 1, 1), &err),
	             EPH_EVERIFY);
	cr_assert(strstr(err.msg, "ARK \"ARK-Genoa\" SHA-256 4c6598d19c18719c... is not the "
	                          "pinned ARK-Milan 69d063b45344d26a...") != NULL,
	          "%s", err.msg);
	cr_assert_eq(snp_verify_chain(v, ask, ark, SNP_PRODUCT_GENOA, ts_day(2023, 1, 1), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "VCEK is issued for Milan, expected Genoa");
	snp_cert_free(ask);
	ask = ts_cert_nth(AMD "ask_ark_genoa.pem", 0);
	cr_assert_eq(snp_verify_chain(v, ask, ark, SNP_PRODUCT_MILAN, ts_day(2023, 1, 1), &err),
	             EPH_EVERIFY);
	cr_assert_str_eq(err.msg, "VCEK must be signed by the ASK of Milan, got \"SEV-Genoa\"");
	snp_cert_free(ark);
	/* The matching Milan trio passes. */
	ark = ts_cert_nth(AMD "ask_ark_milan.pem", 1);
	snp_cert_free(ask);
	ask = ts_cert_nth(AMD "ask_ark_milan.pem", 0);
	cr_assert_eq(snp_verify_chain(v, ask, ark, SNP_PRODUCT_MILAN, ts_day(2023, 1, 1), &err), 0,
	             "%s", err.msg);
	snp_cert_free(ark);
	snp_cert_free(ask);
	snp_cert_free(v);
}

static void check_root_file(const char *rel, size_t asks, size_t asvks, time_t at)
{
	struct eph_err err = {{0}};
	snp_roots *r = ts_roots(rel);

	cr_assert_eq(snp_roots_count(r, SNP_CERT_ARK), 1, "%s", rel);
	cr_assert_eq(snp_roots_count(r, SNP_CERT_ASK), asks, "%s", rel);
	cr_assert_eq(snp_roots_count(r, SNP_CERT_ASVK), asvks, "%s", rel);
	cr_assert_eq(snp_roots_check(r, at, &err), 0, "%s: %s", rel, err.msg);
	snp_roots_free(r);
}

Test(snp_chain, every_root_file_ark_self_signed_ask_signed_by_ark)
{
	time_t at = ts_day(2025, 6, 1);

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	check_root_file(AMD "ask_ark_milan.pem", 1, 0, at);
	check_root_file(AMD "ask_ark_milan_vlek.pem", 0, 1, at);
	check_root_file(AMD "ask_ark_genoa.pem", 1, 0, at);
	check_root_file(AMD "ask_ark_genoa_vlek.pem", 0, 1, at);
	check_root_file(AMD "ask_ark_turin_vcek.pem", 1, 0, at);
	check_root_file(AMD "ask_ark_turin_vlek.pem", 0, 1, at);
	check_root_file(TRU "milan_ask_ark_asvk.pem", 1, 1, at);
	check_root_file(TRU "genoa_ask_ark_asvk.pem", 1, 1, at);
	check_root_file(TRU "turin_ask_ark_asvk.pem", 1, 1, at);
	check_root_file(GSG "milan_cert_chain.pem", 1, 0, at);
	check_root_file(GSG "milanvlek_cert_chain.pem", 0, 1, at);
	/* Azure's bundle: its VCEK is skipped, ASK and ARK kept. */
	check_root_file("snp/az-snp-vtpm/vcek.pem", 1, 0, at);
}

Test(snp_chain, ask_without_its_ark_and_expired_roots)
{
	struct eph_err err = {{0}};
	snp_roots *r = NULL;
	snp_cert *ask = NULL;
	size_t len;
	uint8_t *pem;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	r = ts_roots(AMD "ask_ark_milan.pem");
	cr_assert_eq(snp_roots_check(r, ts_day(2046, 1, 1), &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "SEV-Milan expired at 2045-10-22 18:24:20 UTC") != NULL, "%s",
	          err.msg);
	snp_roots_free(r);

	/* Only the ASK: cut the PEM text after its first certificate. */
	pem = ts_vec(AMD "ask_ark_genoa.pem", &len);
	cr_assert_eq(snp_cert_parse(&ask, pem, len, &err), 0, "%s", err.msg);
	len = (size_t)(strstr((char *)pem, "-----END CERTIFICATE-----") - (char *)pem) + 25;
	cr_assert_eq(snp_roots_new(&r, &err), 0);
	cr_assert_eq(snp_roots_add(r, pem, len, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_roots_check(r, ts_day(2025, 1, 1), &err), EPH_ENOTFOUND);
	cr_assert_str_eq(err.msg, "ASK SEV-Genoa has no ARK-Genoa among the roots");
	snp_roots_free(r);
	snp_cert_free(ask);
	free(pem);
}

Test(snp_chain, self_made_ark_is_refused)
{
	struct eph_err err = {{0}};
	EVP_PKEY *k = ts_rsa(), *v = ts_p384();
	X509 *ark = ts_x509("ARK-Milan", "ARK-Milan", k, k, 1);
	X509 *ask = ts_x509("SEV-Milan", "ARK-Milan", k, k, 1);
	X509 *vcek = ts_x509("SEV-VCEK", "SEV-Milan", v, k, 0);
	snp_cert *cark = ts_wrap(ark), *cask = ts_wrap(ask), *cv = ts_wrap(vcek);
	snp_roots *r = NULL;
	size_t len;
	uint8_t *der = ts_der(ark, &len);

	cr_assert_eq(snp_verify_chain(cv, cask, cark, SNP_PRODUCT_MILAN, ts_day(2025, 1, 1), &err),
	             EPH_EVERIFY);
	cr_assert(strstr(err.msg, "ARK \"ARK-Milan\" SHA-256 ") != NULL, "%s", err.msg);
	cr_assert(strstr(err.msg, "is not the pinned ARK-Milan 69d063b45344d26a...") != NULL, "%s",
	          err.msg);
	cr_assert_eq(snp_roots_new(&r, &err), 0);
	cr_assert_eq(snp_roots_add(r, der, len, &err), EPH_EVERIFY);
	cr_assert_eq(snp_roots_count(r, SNP_CERT_ARK), 0);
	snp_roots_free(r);
	if (tu_vectors() != NULL) {
		/* A forged "SEV-Milan" under the real ARK-Milan. */
		snp_cert_free(cark);
		cark = ts_cert_nth("snp/amd-roots/ask_ark_milan.pem", 1);
		cr_assert_eq(
		    snp_verify_chain(cv, cask, cark, SNP_PRODUCT_MILAN, ts_day(2025, 1, 1), &err),
		    EPH_EVERIFY);
		cr_assert_str_eq(err.msg,
		                 "ASK SEV-Milan: signature by ARK ARK-Milan does not verify");
	}
	OPENSSL_free(der);
	snp_cert_free(cark);
	snp_cert_free(cask);
	snp_cert_free(cv);
	X509_free(ark);
	X509_free(ask);
	X509_free(vcek);
	EVP_PKEY_free(k);
	EVP_PKEY_free(v);
}

Test(snp_chain, roots_refuse_foreign_certificates_and_garbage)
{
	struct eph_err err = {{0}};
	EVP_PKEY *k = ts_rsa();
	X509 *x = ts_x509("Some CA", "Some CA", k, k, 1);
	snp_roots *r = NULL;
	size_t len;
	uint8_t *der = ts_der(x, &len);

	cr_assert_eq(snp_roots_new(&r, &err), 0);
	cr_assert_eq(snp_roots_add(r, der, len, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg,
	                 "certificate \"Some CA\" is not an AMD ARK, ASK or ASVK of Milan, "
	                 "Genoa or Turin");
	cr_assert_eq(snp_roots_add(r, (const uint8_t *)"xyz", 3, &err), EPH_EFORMAT);
	cr_assert_eq(snp_roots_add(r, (const uint8_t *)"-----BEGIN nothing", 18, &err),
	             EPH_EFORMAT);
	snp_roots_free(r);
	snp_roots_free(NULL);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(snp_chain, roots_from_a_folder)
{
	struct eph_err err = {{0}};
	char dir[] = "/tmp/snp-roots-XXXXXX", path[128], cmd[1024], milan[512];
	snp_roots *r = NULL;
	snp_cert *v;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(snp_roots_new(&r, &err), 0);
	cr_assert_eq(snp_roots_add_dir(r, dir, &err), EPH_ENOTFOUND);
	snprintf(milan, sizeof(milan), "%s", tu_vector_path(AMD "ask_ark_milan.pem"));
	snprintf(cmd, sizeof(cmd), "cp %s %s %s/ && touch %s/README.txt", milan,
	         tu_vector_path(AMD "ask_ark_genoa.pem"), dir, dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(snp_roots_add_dir(r, dir, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_roots_count(r, SNP_CERT_ARK), 2);
	v = ts_cert(GSG "vcek.der");
	cr_assert_eq(snp_roots_verify(r, v, SNP_PRODUCT_UNKNOWN, ts_day(2023, 1, 1), &err), 0, "%s",
	             err.msg);
	snp_cert_free(v);
	snp_roots_free(r);
	cr_assert_eq(snp_roots_new(&r, &err), 0);
	snprintf(path, sizeof(path), "%s/zz-bad.pem", dir);
	snprintf(cmd, sizeof(cmd), "echo garbage > %s", path);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(snp_roots_add_dir(r, dir, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "zz-bad.pem: ") != NULL, "%s", err.msg);
	snp_roots_free(r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(snp_roots_new(&r, &err), 0);
	cr_assert_eq(snp_roots_add_dir(r, "/nonexistent/snp", &err), EPH_EIO);
	snp_roots_free(r);
}
