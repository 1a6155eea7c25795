/*
 * pcrsel.c - PCR selections: the tpm2-tools text syntax and the TPM's
 * TPML_PCR_SELECTION, both into struct tpmq_pcrsel.
 *
 * Text (tpm2-tools lib/pcr.c, "PCR bank specifiers"):
 *   spec  := bank ("+" bank)*
 *   bank  := alg ":" list
 *   alg   := "sha1" | "sha256" | "sha384" | "sha512" | ... | number ("0xb")
 *   list  := "all" | "none" | pcr ("," pcr)*      pcr := 0..23, decimal or 0x
 *   e.g. "sha256:0,1,2+sha1:all"
 * A bank may appear once; at most TPMQ_MAX_BANKS banks.
 *
 * Wire (TPM 2.0 Part 2, 10.6.2 TPMS_PCR_SELECTION, 10.9.7 TPML_PCR_SELECTION):
 *   count u32 | { hash u16 | sizeofSelect u8 | pcrSelect[sizeofSelect] }*
 *   00000001 000b 03 038000   sha256: PCRs 0, 1, 15
 * Bit i of pcrSelect[i / 8] selects PCR i. The cursor work is tss2-mu's;
 * here only the limits of this library are applied (24 PCRs, 4 banks).
 */
#include <stdlib.h>
#include <string.h>

#include "tpmq-priv.h"

#define SPEC_MAX 1024
#define ALL_PCRS ((1u << TPMQ_NUM_PCRS) - 1)

/* Parse an unsigned number spanning exactly [s, e) (decimal or 0x hex). */
static int parse_num(unsigned long *v, const char *s, const char *e)
{
	char tmp[16];
	char *end = NULL;
	size_t n = (size_t)(e - s);

	if (n == 0 || n >= sizeof(tmp) || s[0] < '0' || s[0] > '9')
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*v = strtoul(tmp, &end, 0);
	if (end != tmp + n)
		return -1;
	return 0;
}

static int parse_alg(uint16_t *alg, const char *s, const char *e, struct eph_err *err)
{
	unsigned long v;

	*alg = eph_hash_from_name(s, (size_t)(e - s));
	if (*alg == 0 && parse_num(&v, s, e) == 0 && v <= 0xffff)
		*alg = (uint16_t)v;
	if (*alg == 0 || eph_hash_size(*alg) == 0)
		return eph_err_set(err, EPH_EFORMAT, "PCR selection: unknown hash algorithm \"%.*s\"",
				   (int)(e - s), s);
	return 0;
}

static int parse_list(uint32_t *mask, const char *s, const char *e, struct eph_err *err)
{
	const char *p = s, *q;
	unsigned long v;

	*mask = 0;
	if ((size_t)(e - s) == 3 && memcmp(s, "all", 3) == 0) {
		*mask = ALL_PCRS;
		return 0;
	}
	if ((size_t)(e - s) == 4 && memcmp(s, "none", 4) == 0)
		return 0;
	for (;;) {
		q = memchr(p, ',', (size_t)(e - p));
		if (q == NULL)
			q = e;
		if (parse_num(&v, p, q) < 0 || v >= TPMQ_NUM_PCRS)
			return eph_err_set(err, EPH_EFORMAT,
					   "PCR selection: \"%.*s\" is not a PCR index 0..23",
					   (int)(q - p), p);
		*mask |= 1u << v;
		if (q == e)
			return 0;
		p = q + 1;
	}
}

int tpmq_pcrsel_parse(struct tpmq_pcrsel *out, const char *spec, struct eph_err *err)
{
	const char *p, *end, *bank_end, *colon;
	uint32_t i, mask;
	uint16_t alg;
	int rc;

	memset(out, 0, sizeof(*out));
	if (spec == NULL || *spec == '\0')
		return eph_err_set(err, EPH_EFORMAT, "PCR selection: empty");
	end = memchr(spec, '\0', SPEC_MAX + 1);
	if (end == NULL)
		return eph_err_set(err, EPH_EFORMAT, "PCR selection: longer than %d characters",
				   SPEC_MAX);
	for (p = spec;; p = bank_end + 1) {
		bank_end = memchr(p, '+', (size_t)(end - p));
		if (bank_end == NULL)
			bank_end = end;
		colon = memchr(p, ':', (size_t)(bank_end - p));
		if (colon == NULL)
			return eph_err_set(err, EPH_EFORMAT,
					   "PCR selection: bank \"%.*s\" has no \":\"",
					   (int)(bank_end - p), p);
		rc = parse_alg(&alg, p, colon, err);
		if (rc < 0)
			return rc;
		rc = parse_list(&mask, colon + 1, bank_end, err);
		if (rc < 0)
			return rc;
		for (i = 0; i < out->num_banks; i++)
			if (out->banks[i].alg == alg)
				return eph_err_set(err, EPH_EFORMAT,
						   "PCR selection: bank %s appears twice",
						   eph_hash_name(alg));
		if (out->num_banks == TPMQ_MAX_BANKS)
			return eph_err_set(err, EPH_EFORMAT,
					   "PCR selection: more than %d banks", TPMQ_MAX_BANKS);
		out->banks[out->num_banks].alg = alg;
		out->banks[out->num_banks].mask = mask;
		out->num_banks++;
		if (bank_end == end)
			return 0;
	}
}

int tpmq__pcrsel_from_tpml(struct tpmq_pcrsel *out, const TPML_PCR_SELECTION *in,
			   struct eph_err *err)
{
	const TPMS_PCR_SELECTION *s;
	uint32_t i, j, mask;

	memset(out, 0, sizeof(*out));
	if (in->count > TPMQ_MAX_BANKS)
		return eph_err_set(err, EPH_EFORMAT, "PCR selection has %u banks, at most %d",
				   (unsigned)in->count, TPMQ_MAX_BANKS);
	for (i = 0; i < in->count; i++) {
		s = &in->pcrSelections[i];
		if (eph_hash_size(s->hash) == 0)
			return eph_err_set(err, EPH_EUNSUPPORTED,
					   "PCR selection bank %u: unknown hash 0x%04x",
					   (unsigned)i, s->hash);
		if (s->sizeofSelect > sizeof(s->pcrSelect))
			return eph_err_set(err, EPH_EFORMAT,
					   "PCR selection bank %u: sizeofSelect %u", (unsigned)i,
					   s->sizeofSelect);
		mask = 0;
		for (j = 0; j < s->sizeofSelect; j++) {
			if (j * 8 >= TPMQ_NUM_PCRS) {
				if (s->pcrSelect[j] != 0)
					return eph_err_set(err, EPH_EFORMAT,
							   "PCR selection bank %u selects a PCR above %d",
							   (unsigned)i, TPMQ_NUM_PCRS - 1);
				continue;
			}
			mask |= (uint32_t)s->pcrSelect[j] << (8 * j);
		}
		out->banks[i].alg = s->hash;
		out->banks[i].mask = mask;
	}
	out->num_banks = in->count;
	return 0;
}
