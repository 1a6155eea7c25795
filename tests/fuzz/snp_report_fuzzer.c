/*
 * snp_report_fuzzer.c - libFuzzer target for SEV-SNP attestation reports
 * on the broker side: snp_report_parse, then what a broker does with a
 * report it parsed (signature verification with a fixed P-384 key, the
 * VCEK consistency check, appraisal against a strict and a lax policy).
 *
 * Input: the 1184 report bytes as the guest sends them, e.g.
 *   02000000 00000000 00000300 00000000 ... (v2, policy bit 17 + SMT)
 * Seeds: tests/fuzz/corpora/snp_report/ (synthetic v2/v3 Milan, Genoa,
 * Turin, VLEK, masked chip id; made by tests/fuzz/make-snp-seeds.py).
 *
 * Contracts checked (abort when broken): a failure says why; a success
 * has length 1184, version 2 or 3, policy bit 17 set, decoded policy
 * bools that match the raw bits; verification and appraisal return only
 * their documented codes, with a message whenever they fail.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static snp_cert *fixed_cert;

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "snp_report_fuzzer: contract broken: %s (err: \"%s\")\n", what,
	        err != NULL ? err->msg : "");
	abort();
}

/* A self-signed "SEV-VCEK" with a fixed P-384 key, made once. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct eph_err err = {{0}};
	EVP_PKEY *k = EVP_EC_gen("P-384");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	int len;

	(void)argc;
	(void)argv;
	check(k != NULL && x != NULL && n != NULL, "cannot make the fixed key", NULL);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"SEV-VCEK", -1, -1,
	                           0);
	X509_set_version(x, 2);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	check(X509_sign(x, k, EVP_sha384()) > 0, "cannot sign the fixed certificate", NULL);
	len = i2d_X509(x, &der);
	check(len > 0 && snp_cert_parse(&fixed_cert, der, (size_t)len, &err) == 0,
	      "cannot parse the fixed certificate", &err);
	OPENSSL_free(der);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return 0;
}

static void appraise(const struct snp_report *rep, int lax)
{
	struct eph_err err = {{0}};
	struct snp_policy pol;
	struct snp_verdict v;
	int rc;

	memset(&pol, 0, sizeof(pol));
	if (lax) {
		pol.any_measurement = true;
		pol.allow_debug = true;
		pol.allow_migration_agent = true;
		pol.max_vmpl = 3;
	} else {
		pol.n_measurements = 1;
		memcpy(pol.measurements[0], rep->measurement, SNP_MEASUREMENT_SIZE);
		pol.forbid_smt = true;
		pol.require_single_socket = true;
		pol.forbid_vlek = true;
		pol.min_tcb.snp = 1;
	}
	rc = snp_appraise(&v, rep, &pol, rep->report_data, &err);
	check((rc == 0 && v.failed == 0) || (rc == EPH_EPOLICY && v.failed != 0 && err.msg[0]),
	      "appraise result and verdict disagree", &err);
	check((v.failed & ~v.checked) == 0, "a check failed that did not run", &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	struct snp_vcek_info info;
	struct snp_report rep;
	int rc;

	rc = snp_report_parse(&rep, data, size, &err);
	if (rc < 0) {
		check(rc == EPH_EFORMAT && err.msg[0] != '\0', "parse failure without a message",
		      &err);
		return 0;
	}
	check(size == SNP_REPORT_SIZE, "accepted a report that is not 1184 bytes", NULL);
	check(rep.version == 2 || rep.version == 3, "accepted an unknown version", NULL);
	check((rep.policy & SNP_POLICY_RESERVED_ONE) != 0, "accepted policy bit 17 clear", NULL);
	check(rep.debug_allowed == ((rep.policy & SNP_POLICY_DEBUG) != 0), "debug bit decoded",
	      NULL);
	check(rep.version == 3 || rep.product == SNP_PRODUCT_UNKNOWN, "v2 with a CPUID product",
	      NULL);

	err.msg[0] = '\0';
	rc = snp_verify_signature(data, size, fixed_cert, &err);
	check(rc == 0 || ((rc == EPH_EVERIFY || rc == EPH_EFORMAT) && err.msg[0]),
	      "verify_signature", &err);

	memset(&info, 0, sizeof(info));
	info.kind = SNP_CERT_VCEK;
	info.product = rep.product != SNP_PRODUCT_UNKNOWN ? rep.product : SNP_PRODUCT_MILAN;
	snp_tcb_decode(&info.tcb, rep.reported_tcb.raw, info.product);
	info.hwid_len = info.product == SNP_PRODUCT_TURIN ? SNP_HWID_TURIN_SIZE : SNP_CHIP_ID_SIZE;
	memcpy(info.hwid, rep.chip_id, info.hwid_len);
	err.msg[0] = '\0';
	rc = snp_check_vcek(&rep, &info, &err);
	check(rc == 0 || (rc == EPH_EVERIFY && err.msg[0]), "check_vcek", &err);
	check((rc == 0) == (rep.signing_key == SNP_SIGNING_KEY_VCEK),
	      "a VCEK made from the report itself must match it exactly when VCEK-signed", &err);

	appraise(&rep, 0);
	appraise(&rep, 1);
	return 0;
}
