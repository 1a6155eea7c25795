/*
 * snp_vcek_fuzzer.c - libFuzzer target for AMD certificates on the broker
 * side: snp_cert_parse and snp_vcek_tcb (the KDS extensions: SPL INTEGERs,
 * productName, hwID raw or wrapped, csp_id), then the same bytes as trust
 * material through snp_roots_add (PEM bundles, DER certificates, CRLs).
 *
 * Input: a DER or PEM certificate, e.g.
 *   30 82 02 .. 30 82 01 .. a0 03 02 01 02 ... 06 09 2b 06 01 04 01 9c 78 01 04 04 40 ...
 * Seeds: tests/fuzz/corpora/snp_vcek/ (VCEK-shaped certificates made by
 * tests/fuzz/make-snp-seeds.py with the Python cryptography package and
 * fixed keys: Milan/Genoa/Turin VCEKs, legacy and wrapped hwID, a VLEK, an
 * ARK-shaped CA, a PEM bundle, a CRL).
 *
 * Contracts checked (abort when broken): failures say why and leave *out
 * NULL; an accepted VCEK has a known product, a hwID of 64 bytes (8 on
 * Turin), a raw TCB that decodes back to the same fields; an accepted VLEK
 * has no hwID; roots accept nothing but ARK/ASK/ASVK/CRLs (and skip leaves).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "snp_vcek_fuzzer: contract broken: %s (err: \"%s\")\n", what,
	        err != NULL ? err->msg : "");
	abort();
}

static void vcek(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	struct snp_tcb back;
	snp_cert *c = (snp_cert *)&err;
	int rc;

	rc = snp_cert_parse(&c, data, size, &err);
	if (rc < 0) {
		check(c == NULL && err.msg[0] != '\0', "cert_parse failure", &err);
		return;
	}
	(void)snp_cert_product(c);
	rc = snp_vcek_tcb(&info, c, &err);
	if (rc < 0) {
		check((rc == EPH_EFORMAT || rc == EPH_EUNSUPPORTED) && err.msg[0] != '\0',
		      "vcek_tcb failure", &err);
		snp_cert_free(c);
		return;
	}
	check(info.kind == snp_cert_kind(c), "kind differs from the certificate's", NULL);
	check(info.product != SNP_PRODUCT_UNKNOWN, "accepted an unknown product", NULL);
	check(strlen(info.product_name) < sizeof(info.product_name), "product name", NULL);
	if (info.kind == SNP_CERT_VCEK)
		check(info.hwid_len == (info.product == SNP_PRODUCT_TURIN ? 8u : 64u),
		      "VCEK hwID length", NULL);
	else
		check(info.hwid_len == 0, "VLEK with a hwID", NULL);
	snp_tcb_decode(&back, info.tcb.raw, info.product);
	check(memcmp(&back, &info.tcb, sizeof(back)) == 0, "TCB does not round-trip", NULL);
	rc = snp_vcek_check_product(&info, SNP_PRODUCT_MILAN, 0, &err);
	check(rc == 0 || (rc == EPH_EPOLICY && err.msg[0]), "check_product", &err);
	snp_cert_free(c);
}

static void roots(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	snp_roots *r = NULL;
	int rc;

	check(snp_roots_new(&r, &err) == 0, "roots_new", &err);
	rc = snp_roots_add(r, data, size, &err);
	check(rc == 0 || err.msg[0] != '\0', "roots_add failure without a message", &err);
	if (rc == 0) {
		err.msg[0] = '\0';
		rc = snp_roots_check(r, 1700000000, &err);
		check(rc == 0 || err.msg[0] != '\0', "roots_check failure without a message", &err);
	}
	snp_roots_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vcek(data, size);
	roots(data, size);
	return 0;
}
