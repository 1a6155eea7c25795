/*
 * tdx_quote_fuzzer.c - libFuzzer target for libtdx: tdx_quote_parse, then
 * tdx_quote_pck_info and tdx_quote_verify against a fixed test root, then
 * tdx_appraise with a policy that checks every field.
 *
 * Input: a TDX quote (Intel TDX DCAP Quoting Library API A.3 / A.4), e.g.
 *   0400 0200 81000000 00000000 939a7233f79c4ca9940a0db3957f0607 <20>
 *   <584-byte TD quote body> <u32 sig data len> <sig 64> <key 64>
 *   0600 <u32> <QE report 384> <sig 64> 2000 <32> 0500 <u32> "-----BEGIN..."
 * Seeds: tests/fuzz/corpora/tdx_quote/, synthesised by
 * tests/unit/tdx/seeds_test.c (quotes built with OpenSSL-generated keys
 * and a chain up to the "Ephemera TEST SGX Root CA (not Intel)" below; no
 * real quote is copied). Regenerate with
 *   EPH_TDX_SEEDS_DIR=tests/fuzz/corpora/tdx_quote build/tests/test_tdx --filter
 * tdx_seeds/write_fuzz_corpus The seeds verify against that root at the fixed time below, so the
 * fuzzer reaches the signature checks.
 *
 * Contracts checked: a failure says why and leaves the quote zeroed; a
 * success has a known version/type, every pointer inside the input, the
 * pieces in order; verification and appraisal either pass or fail with a
 * message and a verification code, never anything else.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char root_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIByjCCAXGgAwIBAgIERVBITTAKBggqhkjOPQQDAjBJMS4wLAYDVQQDDCVFcGhl\n"
                               "bWVyYSBURVNUIFNHWCBSb290IENBIChub3QgSW50ZWwpMRcwFQYDVQQKDA5FcGhl\n"
                               "bWVyYSB0ZXN0czAgFw0yMDAxMDEwMDAwMDBaGA8yMDk5MTIzMTIzNTk1OVowSTEu\n"
                               "MCwGA1UEAwwlRXBoZW1lcmEgVEVTVCBTR1ggUm9vdCBDQSAobm90IEludGVsKTEX\n"
                               "MBUGA1UECgwORXBoZW1lcmEgdGVzdHMwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
                               "AATWkw2QFupUX35jidB6b3GvliYa75QH0NGz1KD2hFmWdBanHPuH6I33gTlcsZOV\n"
                               "v6OvMbAPqNgzxDgASLtEntLWo0UwQzASBgNVHRMBAf8ECDAGAQH/AgEBMA4GA1Ud\n"
                               "DwEB/wQEAwIBBjAdBgNVHQ4EFgQUDoY3296wMHhrrLZK5+aLIlhN9DAwCgYIKoZI\n"
                               "zj0EAwIDRwAwRAIgUFyjuRos4D5LqKm8ReB9qvcAmM6h3j30EvkC9j8sH/MCIA92\n"
                               "8qIIkM2EBg+yejG4iyey35kbuDqJkKgRiIKjqjJQ\n"
                               "-----END CERTIFICATE-----\n";

#define FUZZ_AT 1893456000 /* 2030-01-01: inside every seed certificate's validity */

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "tdx_quote_fuzzer: contract broken: %s (err: \"%s\")\n", what,
	        err != NULL ? err->msg : "");
	abort();
}

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tdx_trust *trust;
	static const uint8_t zero[sizeof(struct tdx_quote)];
	uint8_t mrtd[1][TDX_MR_SIZE], rd[TDX_REPORT_DATA_SIZE];
	struct eph_err err = {{0}};
	struct tdx_verify_result res;
	struct tdx_pck_info pck;
	struct tdx_verdict verdict;
	struct tdx_policy pol;
	struct tdx_quote q;
	int rc;

	if (trust == NULL) {
		rc = tdx_trust_new(&trust, (const uint8_t *)root_pem, sizeof(root_pem) - 1,
		                   TDX_TRUST_ANY_ROOT, &err);
		check(rc == 0, "test root does not load", &err);
	}
	rc = tdx_quote_parse(&q, data, size, &err);
	if (rc < 0) {
		check(err.msg[0] != '\0', "failure without a message", &err);
		check(memcmp(&q, zero, sizeof(q)) == 0, "failed parse left data behind", &err);
		return 0;
	}
	check(q.version == 4 || q.version == 5, "version", NULL);
	check(q.att_key_type == 2 && q.tee_type == 0x81, "key/TEE type", NULL);
	check(q.raw == data && q.raw_len == size, "raw", NULL);
	check(q.signed_len == 48 + (q.version == 5 ? 6 : 0) + q.body_size, "signed_len", NULL);
	check(inside(q.signature, 64, data, size) && inside(q.att_key, 64, data, size) &&
	          inside(q.qe_report_raw, 384, data, size) &&
	          inside(q.qe_report_sig, 64, data, size) &&
	          inside(q.qe_auth, q.qe_auth_len, data, size) &&
	          inside(q.pck_chain, q.pck_chain_len, data, size),
	      "pointer outside the input", NULL);
	check(q.signature == data + q.signed_len + 4, "signature position", NULL);
	check(q.pck_chain + q.pck_chain_len + q.trailing == data + size, "chain end", NULL);

	err.msg[0] = '\0';
	rc = tdx_quote_pck_info(&pck, &q, &err);
	check(rc == 0 || err.msg[0] != '\0', "pck_info failure without a message", &err);

	err.msg[0] = '\0';
	rc = tdx_quote_verify(&res, &q, trust, FUZZ_AT, &err);
	check(rc == 0 || ((rc == EPH_EVERIFY || rc == EPH_EFORMAT) && err.msg[0] != '\0'),
	      "verify failure without code or message", &err);

	memset(&pol, 0, sizeof(pol));
	memset(mrtd, 0x7d, sizeof(mrtd));
	memset(rd, 0, sizeof(rd));
	pol.mrtd = (const uint8_t(*)[TDX_MR_SIZE])mrtd;
	pol.n_mrtd = 1;
	pol.rtmr[0] = pol.rtmr[1] = pol.rtmr[2] = pol.rtmr[3] = mrtd[0];
	pol.mrconfigid = pol.mrowner = pol.mrownerconfig = mrtd[0];
	pol.report_data = rd;
	pol.require_sept_ve_disable = 1;
	err.msg[0] = '\0';
	rc = tdx_appraise(&verdict, &q, &pol, &err);
	check(rc == 0 || (rc == EPH_EPOLICY && err.msg[0] != '\0'), "appraise failure", &err);
	return 0;
}
