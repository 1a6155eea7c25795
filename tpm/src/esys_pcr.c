/*
 * esys_pcr.c - reading PCRs (tpmq_pcr_read) and extending one PCR in every
 * active bank as firmware measures (tpmq_pcr_extend_data).
 *
 * TPM2_PCR_Read returns at most 8 digests per call (TPML_DIGEST) and says in
 * pcrSelectionOut which ones: we ask again for what is still missing until
 * the whole selection has come back. A selected PCR the TPM never returns
 * (an unallocated bank) is EPH_ENOTFOUND. Deliberately not here: event logs
 * (libevlog), PCR_Reset, PCR_Allocate.
 */
#include "esys-priv.h"

#include <string.h>

/* Index of alg in out, adding an empty bank when it is new. */
static int bank_of(struct tpmq_pcrs *out, uint16_t alg)
{
	uint32_t i;

	for (i = 0; i < out->num_banks; i++)
		if (out->banks[i].alg == alg)
			return (int)i;
	if (out->num_banks >= TPMQ_MAX_BANKS)
		return -1;
	out->banks[out->num_banks].alg = alg;
	out->banks[out->num_banks].mask = 0;
	return (int)out->num_banks++;
}

/*
 * Store the values of one PCR_Read reply into out and clear what came back
 * from want. *got counts the digests used.
 */
static int take(struct tpmq_pcrs *out, TPML_PCR_SELECTION *want, const TPML_PCR_SELECTION *sel,
		const TPML_DIGEST *vals, uint32_t *got, struct eph_err *err)
{
	uint32_t i, j, pcr, k = 0;
	size_t dlen;
	int b;

	for (i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		dlen = eph_hash_size(s->hash);
		for (pcr = 0; pcr < TPMQ_NUM_PCRS && pcr / 8 < s->sizeofSelect; pcr++) {
			if (!(s->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
				continue;
			if (k >= vals->count)
				return eph_err_set(err, EPH_EFAIL,
						   "PCR_Read: fewer digests (%u) than selected",
						   vals->count);
			b = bank_of(out, s->hash);
			if (dlen == 0 || b < 0 || vals->digests[k].size != dlen)
				return eph_err_set(err, EPH_EFAIL,
						   "PCR_Read: unexpected %u-byte value for bank 0x%04x "
						   "PCR %u",
						   vals->digests[k].size, s->hash, pcr);
			memcpy(out->banks[b].pcr[pcr], vals->digests[k].buffer, dlen);
			out->banks[b].mask |= 1u << pcr;
			k++;
			for (j = 0; j < want->count; j++)
				if (want->pcrSelections[j].hash == s->hash)
					want->pcrSelections[j].pcrSelect[pcr / 8] &=
						(uint8_t)~(1u << (pcr % 8));
		}
	}
	*got = k;
	return 0;
}

static int want_empty(const TPML_PCR_SELECTION *want)
{
	uint32_t i;

	for (i = 0; i < want->count; i++)
		if (want->pcrSelections[i].pcrSelect[0] | want->pcrSelections[i].pcrSelect[1] |
		    want->pcrSelections[i].pcrSelect[2])
			return 0;
	return 1;
}

int tpmq_pcr_read(struct tpmq_pcrs *out, tpmq_tpm *tpm, const struct tpmq_pcrsel *sel,
		  struct eph_err *err)
{
	TPML_PCR_SELECTION want;
	TPML_PCR_SELECTION *got_sel = NULL;
	TPML_DIGEST *vals = NULL;
	uint32_t got, i, pcr;
	TSS2_RC rc;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = tpmq__esys_pcrsel(&want, sel, err);
	if (ret < 0)
		return ret;
	/* Banks in the caller's order, even those that end up empty. */
	for (i = 0; i < sel->num_banks; i++)
		if (bank_of(out, sel->banks[i].alg) < 0)
			return eph_err_set(err, EPH_EFORMAT, "PCR selection: bank 0x%04x twice",
					   sel->banks[i].alg);

	while (!want_empty(&want)) {
		rc = Esys_PCR_Read(tpm->ectx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want, NULL,
				   &got_sel, &vals);
		if (rc != TSS2_RC_SUCCESS) {
			got_sel = NULL;
			vals = NULL;
			ret = tpmq__esys_err(err, rc, "Esys_PCR_Read");
			goto out;
		}
		ret = take(out, &want, got_sel, vals, &got, err);
		if (ret < 0)
			goto out;
		Esys_Free(got_sel);
		Esys_Free(vals);
		got_sel = NULL;
		vals = NULL;
		if (got == 0)
			break;
	}
	for (i = 0; i < want.count; i++) {
		const TPMS_PCR_SELECTION *s = &want.pcrSelections[i];

		for (pcr = 0; pcr < TPMQ_NUM_PCRS; pcr++)
			if (s->pcrSelect[pcr / 8] & (1u << (pcr % 8))) {
				ret = eph_err_set(err, EPH_ENOTFOUND,
						  "PCR %s:%u is not available on this TPM",
						  eph_hash_name(s->hash) ? eph_hash_name(s->hash)
									 : "?",
						  pcr);
				goto out;
			}
	}
	ret = 0;
out:
	Esys_Free(got_sel);
	Esys_Free(vals);
	return ret;
}

int tpmq_pcr_extend_data(tpmq_tpm *tpm, uint32_t pcr, const void *data, size_t len,
			 struct eph_err *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = TPM2_NO;
	TPML_DIGEST_VALUES dv;
	const TPML_PCR_SELECTION *banks;
	uint32_t i;
	TSS2_RC rc;
	int ret;

	memset(&dv, 0, sizeof(dv));
	if (pcr >= TPMQ_NUM_PCRS)
		return eph_err_set(err, EPH_EFORMAT, "PCR %u: only 0..%d", pcr, TPMQ_NUM_PCRS - 1);
	rc = Esys_GetCapability(tpm->ectx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS,
				0, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpmq__esys_err(err, rc, "Esys_GetCapability(PCRS)");
	banks = &cap->data.assignedPCR;
	/* A bank is active for this PCR when the PCR is in its allocation. */
	for (i = 0; i < banks->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &banks->pcrSelections[i];

		if (pcr / 8 >= s->sizeofSelect || !(s->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
			continue;
		if (eph_hash(s->hash, data, len, (uint8_t *)&dv.digests[dv.count].digest) < 0) {
			ret = eph_err_set(err, EPH_EUNSUPPORTED,
					  "PCR %u: cannot hash for active bank 0x%04x", pcr,
					  s->hash);
			goto out;
		}
		dv.digests[dv.count].hashAlg = s->hash;
		dv.count++;
	}
	if (dv.count == 0) {
		ret = eph_err_set(err, EPH_ENOTFOUND, "PCR %u is in no active bank", pcr);
		goto out;
	}
	rc = Esys_PCR_Extend(tpm->ectx, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			     ESYS_TR_NONE, &dv);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tpmq__esys_err(err, rc, "Esys_PCR_Extend");
		eph_err_prefix(err, ret, "PCR %u", pcr);
		goto out;
	}
	ret = 0;
out:
	Esys_Free(cap);
	return ret;
}
