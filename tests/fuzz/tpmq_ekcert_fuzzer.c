/*
 * tpmq_ekcert_fuzzer.c - libFuzzer target for EK certificates on the
 * broker side (tpmq_ekcert_verify, TCG EK Credential Profile 2.3): the DER
 * certificate an agent sends at registration, parsed, chained to a trust
 * folder (with the TCG critical-extension allowance) and bound to the EK.
 *
 * Input: a DER certificate, e.g.
 *   30 82 02 .. 30 82 01 .. a0 03 02 01 02 ... 06 03 55 1d 11 01 01 ff 04 ..
 * The trust folder is made once per process in a temporary directory
 * holding the test CA below ("Ephemera TEST EK CA (fuzzing only)", P-256);
 * verification runs at 2030-01-01 with no EK, then against the fixed RSA
 * EK below (its TPM2B_PUBLIC).
 * Seeds: tests/fuzz/corpora/tpmq_ekcert/ (EK-shaped certificates with the
 * TCG subjectAltName, signed by the test CA's key, made by
 * tests/fuzz/make-json-seeds.py; one of another issuer; one expired).
 *
 * Contracts checked (abort when broken): the result is 0, EPH_EVERIFY or
 * EPH_EFORMAT, with a message whenever it is not 0; a certificate bound to
 * the EK also verifies without the EK.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tpmq.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_AT 1893456000LL /* 2030-01-01 */

static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIB4zCCAYmgAwIBAgIERVBITTAKBggqhkjOPQQDAjBGMSswKQYDVQQDDCJFcGhl\n"
	"bWVyYSBURVNUIEVLIENBIChmdXp6aW5nIG9ubHkpMRcwFQYDVQQKDA5FcGhlbWVy\n"
	"YSB0ZXN0czAgFw0yNjExMjUxNDQ1MzRaGA8yMTI2MTEwMTE0NDUzNFowRjErMCkG\n"
	"A1UEAwwiRXBoZW1lcmEgVEVTVCBFSyBDQSAoZnV6emluZyBvbmx5KTEXMBUGA1UE\n"
	"CgwORXBoZW1lcmEgdGVzdHMwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQgPQG8\n"
	"txBR9EJHaKktWnxNMn5DU/KmfKhWpm+5pwgLdut17N17+KjBWi1swEX85B9oNIiz\n"
	"PZKb005DAlSTySxMo2MwYTAdBgNVHQ4EFgQUoIhqZQ2vyk97cchyf/7gBzS0U30w\n"
	"HwYDVR0jBBgwFoAUoIhqZQ2vyk97cchyf/7gBzS0U30wDwYDVR0TAQH/BAUwAwEB\n"
	"/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSAAwRQIhAP0DQoiM5mkf5HSp\n"
	"M8KKfTXH7EOXEiML6WzBn7y74LMSAiBiWankv/ox+kzfZOx/uSR1dG+0toe1cmnF\n"
	"0yyhcjsz3g==\n"
	"-----END CERTIFICATE-----\n";

/* TPM2B_PUBLIC of an RSA-2048 key (that of tpmq_signature_fuzzer.c); the
 * seeds' certificates carry its modulus. */
static const uint8_t ek_pub[] = {
	0x01, 0x18, 0x00, 0x01, 0x00, 0x0b, 0x00, 0x05, 0x00, 0x72, 0x00, 0x00,
	0x00, 0x10, 0x00, 0x14, 0x00, 0x0b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0xa7, 0x10, 0x8e, 0x76, 0xba, 0xa5, 0x73, 0xfc, 0x64, 0x2e,
	0x35, 0xdf, 0xdc, 0xd7, 0x16, 0xe2, 0x75, 0xc3, 0x06, 0x1a, 0xc4, 0x97,
	0x9f, 0xe6, 0xe3, 0xab, 0x8e, 0xd3, 0xb2, 0xd7, 0xee, 0xb8, 0xdc, 0xde,
	0xa2, 0x20, 0xe7, 0x47, 0xbf, 0xdc, 0x41, 0xbb, 0xdc, 0x01, 0x61, 0x8a,
	0xec, 0x89, 0xaa, 0xbf, 0x96, 0x4b, 0xc1, 0x33, 0x8c, 0xd4, 0x95, 0x7f,
	0xcb, 0x37, 0x09, 0xcb, 0x5d, 0x7f, 0xff, 0xfa, 0xdd, 0x5b, 0x01, 0xab,
	0x5d, 0x79, 0xdc, 0xab, 0xfa, 0xb7, 0x43, 0x2e, 0x86, 0x62, 0xb7, 0x6a,
	0xb0, 0xc9, 0x4d, 0x38, 0x26, 0xfd, 0x0c, 0x04, 0x75, 0xad, 0x5d, 0x1d,
	0x85, 0x16, 0x02, 0x37, 0x91, 0xbb, 0xcd, 0x68, 0x33, 0xa5, 0xb3, 0x34,
	0xb2, 0x83, 0x0d, 0xba, 0xe9, 0x3a, 0xe4, 0x6b, 0x0c, 0x5b, 0xef, 0xce,
	0xb3, 0xca, 0xe4, 0x99, 0xe8, 0xe3, 0x56, 0x97, 0x11, 0x98, 0x0a, 0x0f,
	0x6a, 0xea, 0xdc, 0x1c, 0x55, 0xb0, 0x32, 0x9e, 0x2a, 0x86, 0x6f, 0x04,
	0xd0, 0x0f, 0x7f, 0x4a, 0xef, 0xe5, 0xd8, 0x01, 0x33, 0x77, 0x08, 0xcb,
	0xfa, 0xb1, 0xdf, 0x9c, 0x62, 0x70, 0x77, 0x73, 0xd1, 0x9f, 0xef, 0x46,
	0x6b, 0xf4, 0x9c, 0x0a, 0x07, 0x80, 0xa7, 0x49, 0x6d, 0x33, 0xab, 0xc6,
	0x4a, 0x49, 0x83, 0xfb, 0xde, 0xc4, 0x8f, 0x20, 0xeb, 0xf7, 0x8c, 0xec,
	0xe1, 0xdc, 0x74, 0x21, 0xfb, 0x4e, 0xc3, 0x49, 0x1c, 0xee, 0x88, 0x5f,
	0xf8, 0x04, 0x07, 0x7f, 0x87, 0x92, 0xa7, 0x00, 0xa7, 0xf3, 0x06, 0x7a,
	0x51, 0x82, 0x89, 0x8a, 0x63, 0x85, 0xaa, 0x45, 0x36, 0x9d, 0x95, 0xf0,
	0xe3, 0xbd, 0x27, 0x21, 0x03, 0x78, 0xb8, 0xb8, 0x76, 0x47, 0x24, 0x02,
	0xab, 0x3a, 0xf5, 0xb1, 0x75, 0xa7, 0x49, 0x5f, 0xa2, 0xfa, 0xbe, 0x47,
	0x7e, 0x0b, 0x81, 0x0c, 0x2c, 0x79,
};

static char dir[] = "/tmp/eph-ekcert-fuzz-XXXXXX";
static char ca_path[sizeof(dir) + 8];
static tpmq_key *ek;

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "tpmq_ekcert_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

static void cleanup(void)
{
	unlink(ca_path);
	rmdir(dir);
}

/* tss2-mu logs each malformed input to stderr; keep it quiet unless the
 * caller set TSS2_LOG. Then the trust folder and the EK. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct eph_err err = {{0}};
	FILE *f;

	(void)argc;
	(void)argv;
	setenv("TSS2_LOG", "all+NONE", 0);
	check(mkdtemp(dir) != NULL, "mkdtemp", NULL);
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	f = fopen(ca_path, "w");
	check(f != NULL && fputs(ca_pem, f) >= 0 && fclose(f) == 0, "writing the trust folder",
	      NULL);
	atexit(cleanup);
	check(tpmq_key_from_public(&ek, ek_pub, sizeof(ek_pub), &err) == 0, "fixed EK", &err);
	return 0;
}

static void result(int rc, const struct eph_err *err)
{
	check(rc == 0 || rc == EPH_EVERIFY || rc == EPH_EFORMAT, "result code", err);
	check(rc == 0 || err->msg[0] != '\0', "refusal without a message", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}}, err2 = {{0}};
	int rc, rc2;

	rc = tpmq_ekcert_verify(data, size, dir, NULL, FUZZ_AT, &err);
	result(rc, &err);
	if (rc < 0 && rc != EPH_EVERIFY)
		return 0;
	rc2 = tpmq_ekcert_verify(data, size, dir, ek, FUZZ_AT, &err2);
	result(rc2, &err2);
	check(rc2 != 0 || rc == 0, "bound to the EK but not verified without it", &err);
	return 0;
}
