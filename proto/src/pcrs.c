/*
 * pcrs.c - the PCR banks of an attest_req (WIRE_K_PCRS): a map from TCG
 * algorithm id (TPM_ALG_ID, TCG Algorithm Registry) to a map from PCR index
 * to the PCR value, whose size must be that algorithm's digest size
 * (sha1 20, sha256 32, sha384 48, sha512 64; eph_hash_size()).
 *
 * Example, one sha256 bank holding PCR 0 and PCR 7:
 *   a1                 map(1)
 *      0b              alg 0x000b (sha256)
 *      a2              map(2)
 *         00 5820 <32 bytes>   pcr 0
 *         07 5820 <32 bytes>   pcr 7
 *
 * Refused: more than WIRE_MAX_PCR_BANKS banks, an algorithm eph_hash_size()
 * does not know, the same algorithm twice, a bank without PCRs, a PCR index
 * >= 24, the same PCR twice, a value of the wrong size. Banks come out of
 * the decoder sorted by algorithm id, as the encoder writes them, so that a
 * decoded message re-encodes to the same bytes.
 *
 * Not here: whether the values match the quote's PCR digest (tpm/ does
 * that) or which PCRs a quote must cover (policy).
 */
#include "wire-priv.h"

#include <stdio.h>
#include <string.h>

#include "eph_hash.h"

#define PCR_NUM 24

static struct wire_pcr_bank *banks_of(void *msg, const struct wire__field *f)
{
	return (struct wire_pcr_bank *)((uint8_t *)msg + f->off);
}

static uint32_t *count_of(void *msg, const struct wire__field *f)
{
	return (uint32_t *)((uint8_t *)msg + f->aux);
}

/* "sha256", or "0x0099" for an algorithm eph_hash.h does not name; in buf. */
static const char *alg_name(char buf[16], uint64_t alg)
{
	const char *name = alg <= UINT16_MAX ? eph_hash_name((uint16_t)alg) : NULL;

	if (name != NULL)
		snprintf(buf, 16, "%s", name);
	else
		snprintf(buf, 16, "0x%04llx", (unsigned long long)alg);
	return buf;
}

static bool pcrs_present(const void *msg, const struct wire__field *f)
{
	return *count_of((void *)msg, f) > 0;
}

static void sort_banks(const struct wire_pcr_bank *b, uint32_t n, uint32_t *order)
{
	uint32_t i, j, t;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && b[order[j - 1]].alg > b[order[j]].alg; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

static int pcrs_encode(struct wire__w *w, const void *msg, const struct wire__field *f,
		       struct eph_err *err)
{
	const struct wire_pcr_bank *b = banks_of((void *)msg, f);
	uint32_t n = *count_of((void *)msg, f), order[WIRE_MAX_PCR_BANKS];
	uint32_t i, pcr, npcr;
	char name[16];

	if (n > WIRE_MAX_PCR_BANKS)
		return eph_err_set(err, EPH_EFAIL, "%u banks exceed %d", n, WIRE_MAX_PCR_BANKS);
	for (i = 0; i < n; i++) {
		if (eph_hash_size(b[i].alg) == 0)
			return eph_err_set(err, EPH_EFAIL, "bank %u: unknown hash algorithm 0x%04x",
					   i, b[i].alg);
		if (b[i].size != eph_hash_size(b[i].alg))
			return eph_err_set(err, EPH_EFAIL, "bank %s: digest size %u, %s needs %zu",
					   alg_name(name, b[i].alg), b[i].size,
					   alg_name(name, b[i].alg), eph_hash_size(b[i].alg));
		if (b[i].mask == 0 || b[i].mask >> PCR_NUM != 0)
			return eph_err_set(err, EPH_EFAIL, "bank %s: PCR mask 0x%x not in 1..0xffffff",
					   alg_name(name, b[i].alg), b[i].mask);
	}
	sort_banks(b, n, order);
	for (i = 1; i < n; i++)
		if (b[order[i]].alg == b[order[i - 1]].alg)
			return eph_err_set(err, EPH_EFAIL, "bank %s: twice",
					   alg_name(name, b[order[i]].alg));
	wire__w_map(w, n);
	for (i = 0; i < n; i++) {
		const struct wire_pcr_bank *k = &b[order[i]];

		npcr = (uint32_t)__builtin_popcount(k->mask);
		wire__w_uint(w, k->alg);
		wire__w_map(w, npcr);
		for (pcr = 0; pcr < PCR_NUM; pcr++) {
			if (!(k->mask & 1u << pcr))
				continue;
			wire__w_uint(w, pcr);
			wire__w_bytes(w, k->pcr[pcr], k->size);
		}
	}
	return 0;
}

static int decode_bank(struct wire_pcr_bank *bank, uint16_t alg, const cbor_item_t *item,
		       struct eph_err *err)
{
	const struct cbor_pair *pairs;
	size_t n, i, len;
	uint64_t pcr;
	char name[16], what[48];
	int rc;

	alg_name(name, alg);
	if (!cbor_isa_map(item))
		return eph_err_set(err, EPH_EFORMAT, "bank %s: expected map, got %s", name,
				   wire__type_name(item));
	n = cbor_map_size(item);
	if (n == 0)
		return eph_err_set(err, EPH_EFORMAT, "bank %s: no PCRs", name);
	if (n > PCR_NUM)
		return eph_err_set(err, EPH_EFORMAT, "bank %s: %zu PCRs exceed %d", name, n,
				   PCR_NUM);
	bank->alg = alg;
	bank->size = (uint8_t)eph_hash_size(alg);
	pairs = cbor_map_handle(item);
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "bank %s: pcr", name);
		rc = wire__get_uint(&pcr, pairs[i].key, PCR_NUM - 1, what, err);
		if (rc < 0)
			return rc;
		if (bank->mask & 1u << pcr)
			return eph_err_set(err, EPH_EFORMAT, "bank %s: pcr %llu twice", name,
					   (unsigned long long)pcr);
		if (!cbor_isa_bytestring(pairs[i].value) ||
		    !cbor_bytestring_is_definite(pairs[i].value))
			return eph_err_set(err, EPH_EFORMAT,
					   "bank %s: pcr %llu: expected byte string, got %s", name,
					   (unsigned long long)pcr, wire__type_name(pairs[i].value));
		len = cbor_bytestring_length(pairs[i].value);
		if (len != bank->size)
			return eph_err_set(err, EPH_EFORMAT,
					   "bank %s: pcr %llu: digest of %zu bytes, %s needs %u", name,
					   (unsigned long long)pcr, len, name, bank->size);
		memcpy(bank->pcr[pcr], cbor_bytestring_handle(pairs[i].value), len);
		bank->mask |= 1u << pcr;
	}
	return 0;
}

static int pcrs_decode(void *msg, const cbor_item_t *item, const struct wire__field *f,
		       struct eph_err *err)
{
	struct wire_pcr_bank *b = banks_of(msg, f), tmp[WIRE_MAX_PCR_BANKS];
	uint32_t *count = count_of(msg, f), order[WIRE_MAX_PCR_BANKS];
	const struct cbor_pair *pairs;
	uint64_t alg;
	size_t n, i, j;
	int rc;

	if (!cbor_isa_map(item))
		return eph_err_set(err, EPH_EFORMAT, "expected map, got %s", wire__type_name(item));
	n = cbor_map_size(item);
	if (n > WIRE_MAX_PCR_BANKS)
		return eph_err_set(err, EPH_EFORMAT, "%zu banks exceed %d", n, WIRE_MAX_PCR_BANKS);
	pairs = cbor_map_handle(item);
	memset(tmp, 0, sizeof(tmp));
	for (i = 0; i < n; i++) {
		rc = wire__get_uint(&alg, pairs[i].key, UINT16_MAX, "bank algorithm", err);
		if (rc < 0)
			return rc;
		if (eph_hash_size((uint16_t)alg) == 0)
			return eph_err_set(err, EPH_EUNSUPPORTED,
					   "bank 0x%04llx: unknown hash algorithm",
					   (unsigned long long)alg);
		for (j = 0; j < i; j++)
			if (tmp[j].alg == alg)
				return eph_err_set(err, EPH_EFORMAT, "bank %s: twice",
						   eph_hash_name((uint16_t)alg));
		rc = decode_bank(&tmp[i], (uint16_t)alg, pairs[i].value, err);
		if (rc < 0)
			return rc;
	}
	sort_banks(tmp, (uint32_t)n, order);
	for (i = 0; i < n; i++)
		b[i] = tmp[order[i]];
	*count = (uint32_t)n;
	return 0;
}

const struct wire__ops wire__pcrs_ops = {
	.present = pcrs_present,
	.encode = pcrs_encode,
	.decode = pcrs_decode,
};
