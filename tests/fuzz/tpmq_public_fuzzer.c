/*
 * tpmq_public_fuzzer.c - libFuzzer target for TPM2B_PUBLIC parsing on the
 * broker side: tpmq_key_from_public, then everything a broker does with a
 * key it accepted (name, attributes, AK/EK checks, PEM round trip).
 *
 * Input: the TPM2B_PUBLIC bytes as an agent would send them, e.g.
 *   0118 0001 000b 00050072 0000 0010 0014 000b 0800 00000000 0100 <n>
 * Seeds: tests/fuzz/corpora/tpmq_public/ (RSA/ECC AKs and EKs, SHA1/256/384
 * name algorithms, made with tss2-mu from keys generated for the purpose).
 *
 * Contracts checked (abort when broken): a failure leaves *out NULL and
 * says why; a success has a name of 2 + digest bytes that starts with the
 * nameAlg of the input and whose digest is H(input[2..]); the key's PEM
 * parses back into a key with the same PEM.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	fprintf(stderr, "tpmq_public_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	uint8_t name[TPMQ_NAME_MAX], dig[EPH_HASH_MAX];
	tpmq_key *key = (tpmq_key *)&err, *back = NULL;
	char *pem = NULL, *pem2 = NULL;
	size_t name_len = 0, dsize;
	uint16_t nalg;
	int rc;

	rc = tpmq_key_from_public(&key, data, size, &err);
	if (rc < 0) {
		check(key == NULL, "failed parse left *out set", &err);
		check(err.msg[0] != '\0', "failure without a message", &err);
		return 0;
	}
	check(size >= 6, "accepted fewer bytes than a TPMT_PUBLIC header", NULL);
	check(tpmq_key_name(name, &name_len, key, &err) == 0, "no name for a TPM key", &err);
	nalg = (uint16_t)(data[4] << 8 | data[5]);
	dsize = eph_hash_size(nalg);
	check(name_len == 2 + dsize && name[0] == data[4] && name[1] == data[5],
	      "name is not nameAlg || digest", NULL);
	check(eph_hash(nalg, data + 2, size - 2, dig) == 0 && memcmp(dig, name + 2, dsize) == 0,
	      "name digest is not H(TPMT_PUBLIC)", NULL);
	(void)tpmq_key_attributes(key);
	rc = tpmq_key_check_ak(key, &err);
	check(rc == 0 || (rc == EPH_EPOLICY && err.msg[0]), "check_ak", &err);
	rc = tpmq_key_check_ek(key, &err);
	check(rc == 0 || (rc == EPH_EPOLICY && err.msg[0]), "check_ek", &err);
	check(tpmq_key_to_pem(&pem, key, &err) == 0, "accepted key has no PEM", &err);
	check(tpmq_key_from_pem(&back, (const uint8_t *)pem, strlen(pem), &err) == 0,
	      "own PEM does not parse", &err);
	check(tpmq_key_to_pem(&pem2, back, &err) == 0 && strcmp(pem, pem2) == 0,
	      "PEM round trip changes the key", &err);
	free(pem);
	free(pem2);
	tpmq_key_free(back);
	tpmq_key_free(key);
	return 0;
}
