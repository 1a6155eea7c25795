/*
 * pcr_digest.c - the digest a quote signs over its selected PCRs (TPM 2.0
 * Part 3, 18.4 TPM2_Quote; Part 2, TPMS_QUOTE_INFO.pcrDigest):
 *
 *   pcrDigest = H_alg(PCR[bank0][i0] || PCR[bank0][i1] || ... || PCR[bank1][j0] ...)
 *
 * banks in selection order, PCRs ascending within a bank, each value the
 * full digest size of its own bank (a SHA1 bank contributes 20 bytes even
 * when alg is SHA256). E.g. sha256:{16} with PCR16 = 00..00 gives
 * pcrDigest = SHA256(32 zero bytes) = 66687aad...f925.
 *
 * Not here: where the values come from (tpmq_pcr_read, tpm2-tools files).
 */
#include <string.h>

#include "tpmq-priv.h"

static const struct tpmq_pcr_bank *find_bank(const struct tpmq_pcrs *pcrs, uint16_t alg)
{
	uint32_t i, n = pcrs->num_banks < TPMQ_MAX_BANKS ? pcrs->num_banks : TPMQ_MAX_BANKS;

	for (i = 0; i < n; i++)
		if (pcrs->banks[i].alg == alg)
			return &pcrs->banks[i];
	return NULL;
}

/* out must hold TPMQ_MAX_DIGEST bytes; *out_len receives the size of alg. */
int tpmq_pcr_digest(uint8_t *out, size_t *out_len, uint16_t alg, const struct tpmq_pcrsel *sel,
		    const struct tpmq_pcrs *pcrs, struct eph_err *err)
{
	const EVP_MD *md = tpmq__md(alg);
	const struct tpmq_pcr_bank *bank;
	EVP_MD_CTX *ctx = NULL;
	unsigned int outl = 0;
	size_t vsize;
	uint32_t b, i;
	int rc = EPH_EFAIL;

	*out_len = 0;
	if (md == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED, "PCR digest: unsupported hash 0x%04x", alg);
	if (sel->num_banks > TPMQ_MAX_BANKS)
		return eph_err_set(err, EPH_EFORMAT, "PCR digest: selection has %u banks",
				   (unsigned)sel->num_banks);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return eph_err_set(err, EPH_ENOMEM, "PCR digest: out of memory");
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "PCR digest: digest init failed");
		goto out;
	}
	for (b = 0; b < sel->num_banks; b++) {
		uint16_t balg = sel->banks[b].alg;
		uint32_t mask = sel->banks[b].mask;

		vsize = eph_hash_size(balg);
		if (vsize == 0) {
			rc = eph_err_set(err, EPH_EUNSUPPORTED,
					 "PCR digest: selection bank %u has unknown hash 0x%04x",
					 (unsigned)b, balg);
			goto out;
		}
		if (mask == 0)
			continue;
		bank = find_bank(pcrs, balg);
		for (i = 0; i < TPMQ_NUM_PCRS; i++) {
			if (!(mask & (1u << i)))
				continue;
			if (bank == NULL || !(bank->mask & (1u << i))) {
				rc = eph_err_set(err, EPH_ENOTFOUND,
						 "PCR digest: %s PCR %u is selected but has no value",
						 eph_hash_name(balg), (unsigned)i);
				goto out;
			}
			if (EVP_DigestUpdate(ctx, bank->pcr[i], vsize) != 1) {
				rc = eph_err_set(err, EPH_EFAIL, "PCR digest: digest update failed");
				goto out;
			}
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &outl) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "PCR digest: digest final failed");
		goto out;
	}
	*out_len = outl;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}
