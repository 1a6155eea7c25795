/*
 * tpmq_attest_fuzzer.c - libFuzzer target for tpmq_attest_parse, the
 * unmarshalling of a quote's TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12).
 *
 * Input: the TPMS_ATTEST bytes, e.g.
 *   ff544347 8018 0022 000b 5a5a.. 0014 <nonce> <clockInfo 17> <fw 8>
 *   00000001 000b 03 070000 0020 <pcrDigest>
 * Seeds: tests/fuzz/corpora/tpmq_attest/ (quotes with and without a nonce,
 * one and two banks, SHA1 and SHA256 digests; marshalled with tss2-mu).
 *
 * Contracts checked: a failure says why; a success has the quote magic and
 * type, at most TPMQ_MAX_BANKS banks of known hashes with PCRs 0..23 only,
 * lengths within their arrays; and a quote is never newer than itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpmq.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tss2-mu logs each malformed input to stderr; keep it quiet unless the
 * caller set TSS2_LOG. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TSS2_LOG", "all+NONE", 0);
	return 0;
}

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "tpmq_attest_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	struct tpmq_attest a;
	uint32_t i;
	int rc;

	rc = tpmq_attest_parse(&a, data, size, &err);
	if (rc < 0) {
		check(err.msg[0] != '\0', "failure without a message", &err);
		return 0;
	}
	check(a.magic == TPMQ_GENERATED_VALUE && a.type == TPMQ_ST_ATTEST_QUOTE, "magic/type",
	      NULL);
	check(a.signer_len <= TPMQ_NAME_MAX && a.extra_len <= TPMQ_MAX_NONCE &&
		      a.pcr_digest_len <= TPMQ_MAX_DIGEST,
	      "length beyond its array", NULL);
	check(a.sel.num_banks <= TPMQ_MAX_BANKS, "too many banks", NULL);
	for (i = 0; i < a.sel.num_banks; i++) {
		check(eph_hash_size(a.sel.banks[i].alg) != 0, "bank of unknown hash", NULL);
		check((a.sel.banks[i].mask >> TPMQ_NUM_PCRS) == 0, "PCR above 23", NULL);
	}
	check(tpmq_attest_check_newer(&a, &a, &err) == EPH_EVERIFY, "quote newer than itself",
	      &err);
	return 0;
}
