/*
 * tpmq_pcrs_fuzzer.c - libFuzzer target for the PCR inputs of libtpmq
 * that come from files and command lines: tpmq_pcrs_from_tpm2tools (the
 * "serialized" PCR file of tpm2_quote -o / tpm2_pcrread -o, host layout,
 * see tpm/src/pcr_file.c) and tpmq_pcrsel_parse (tpm2-tools PCR list
 * syntax, as in the agent's pcrs setting), then tpmq_pcr_digest over what
 * they returned.
 *
 * Input: byte 0 selects (even: a PCR file, odd: a selection string), the
 * rest is the data, e.g.
 *   00 | 01000000 0b00 03 01000000 ... 01000000 01000000 2000 <32 bytes> ...
 *   01 | "sha256:0,1,2+sha1:all"
 * Seeds: tests/fuzz/corpora/tpmq_pcrs/ (files laid out as tpm2-tools
 * writes them, one and two banks, several digest lists; selection strings
 * from the tests; tests/fuzz/make-json-seeds.py).
 *
 * Contracts checked (abort when broken): a refusal is EPH_EFORMAT (or
 * EPH_EUNSUPPORTED for an unknown hash algorithm) with a message and
 * leaves the outputs zeroed; a PCR file that loaded has at most
 * TPMQ_MAX_BANKS banks of known hashes whose value masks equal the
 * selection, and its own PCR digest can be computed for every bank; a
 * selection that parsed only names PCRs 0..23 of known banks.
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
	fprintf(stderr, "tpmq_pcrs_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

/* EPH_EUNSUPPORTED: a hash algorithm id this build does not know. */
static void refused(int rc, const struct eph_err *err)
{
	check(rc == EPH_EFORMAT || rc == EPH_EUNSUPPORTED, "refusal code", err);
	check(err->msg[0] != '\0', "refusal without a message", err);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void check_sel(const struct tpmq_pcrsel *sel)
{
	uint32_t b;

	check(sel->num_banks <= TPMQ_MAX_BANKS, "more banks than TPMQ_MAX_BANKS", NULL);
	for (b = 0; b < sel->num_banks; b++) {
		check(eph_hash_size(sel->banks[b].alg) > 0, "bank of an unknown hash", NULL);
		check((sel->banks[b].mask >> TPMQ_NUM_PCRS) == 0, "PCR above 23 selected", NULL);
	}
}

/* The quote digest of sel over pcrs: 0, or ENOTFOUND for a PCR pcrs lacks. */
static void digest(const struct tpmq_pcrsel *sel, const struct tpmq_pcrs *pcrs, int must)
{
	static const uint16_t algs[2] = {EPH_ALG_SHA256, EPH_ALG_SHA1};
	struct eph_err err = {{0}};
	uint8_t out[TPMQ_MAX_DIGEST];
	size_t n = 0;
	int i, rc;

	for (i = 0; i < 2; i++) {
		rc = tpmq_pcr_digest(out, &n, algs[i], sel, pcrs, &err);
		check(rc == 0 || (!must && rc == EPH_ENOTFOUND && err.msg[0] != '\0'),
		      "PCR digest over a selection", &err);
		if (rc == 0)
			check(n == eph_hash_size(algs[i]), "PCR digest size", NULL);
	}
}

static void pcr_file(const uint8_t *data, size_t size)
{
	static struct tpmq_pcrs pcrs; /* 6 KiB */
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	uint32_t b;
	int rc;

	memset(&pcrs, 0xa5, sizeof(pcrs));
	memset(&sel, 0xa5, sizeof(sel));
	rc = tpmq_pcrs_from_tpm2tools(&pcrs, &sel, data, size, &err);
	if (rc < 0) {
		refused(rc, &err);
		check(all_zero(&sel, sizeof(sel)), "refusal left a selection", &err);
		return;
	}
	check_sel(&sel);
	check(pcrs.num_banks == sel.num_banks, "values and selection differ in banks", NULL);
	for (b = 0; b < sel.num_banks; b++)
		check(pcrs.banks[b].alg == sel.banks[b].alg && pcrs.banks[b].mask == sel.banks[b].mask,
		      "values do not cover exactly the selection", NULL);
	digest(&sel, &pcrs, 1);
}

static void pcr_spec(const uint8_t *data, size_t size)
{
	static struct tpmq_pcrs zero; /* every PCR of sha1 and sha256, all zero */
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	char *spec;
	int rc;

	if (zero.num_banks == 0) {
		zero.num_banks = 2;
		zero.banks[0].alg = EPH_ALG_SHA256;
		zero.banks[0].mask = 0xffffff;
		zero.banks[1].alg = EPH_ALG_SHA1;
		zero.banks[1].mask = 0xffffff;
	}
	spec = malloc(size + 1);
	if (spec == NULL)
		return;
	memcpy(spec, data, size);
	spec[size] = '\0';
	rc = tpmq_pcrsel_parse(&sel, spec, &err);
	if (rc < 0) {
		refused(rc, &err);
	} else {
		check_sel(&sel);
		digest(&sel, &zero, 0);
	}
	free(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		pcr_spec(data + 1, size - 1);
	else
		pcr_file(data + 1, size - 1);
	return 0;
}
