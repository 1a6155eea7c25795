/*
 * esys_open.c - opening and closing a TPM through ESAPI (tpmq_open,
 * tpmq_close) and the helpers the other esys_*.c files share: TSS error
 * reporting, EK policy sessions, flushing, marshalling.
 *
 * Deliberately not here: a resource manager. The context remembers every
 * transient handle it made (EK, AK, policy session) so that tpmq_close()
 * can flush them; callers that share a TPM between processes need tpm2-abrmd
 * or the kernel's /dev/tpmrm0. tpmq_flush_stale() clears what a killed
 * predecessor left (nothing else would, without a resource manager).
 */
#include "esys-priv.h"

#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

int tpmq__esys_err(struct eph_err *err, TSS2_RC rc, const char *what)
{
	TSS2_RC base = rc & ~TSS2_RC_LAYER_MASK;
	int code = EPH_EFAIL;

	if ((rc & TSS2_RC_LAYER_MASK) != 0 &&
	    (base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION))
		code = EPH_EIO;
	return eph_err_set(err, code, "%s: %s (0x%x)", what, Tss2_RC_Decode(rc), (unsigned)rc);
}

TSS2_RC tpmq__esys_rc_fmt1(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) != 0 || !(rc & TPM2_RC_FMT1))
		return 0;
	return (rc & 0x3f) | TPM2_RC_FMT1;
}

void tpmq__esys_flush(tpmq_tpm *tpm, ESYS_TR *h)
{
	if (*h == ESYS_TR_NONE)
		return;
	/* On failure the object may already be gone (TPM reset); ESYS has
	 * released its metadata either way, so nothing is left to do. */
	(void)Esys_FlushContext(tpm->ectx, *h);
	*h = ESYS_TR_NONE;
}

void tpmq__esys_session_end(tpmq_tpm *tpm)
{
	tpmq__esys_flush(tpm, &tpm->session);
}

/*
 * TCG EK Credential Profile 2.3, B.6: PolicyA (PolicySecret on
 * TPM_RH_ENDORSEMENT) and PolicyC (PolicyAuthorizeNV on the EK policy
 * index) in SHA-384; the high-range templates' authPolicy is PolicyB =
 * PolicyOR(PolicyA, PolicyC), which we satisfy through branch A.
 */
static const uint8_t policy_a_sha384[48] = {
	0x8b, 0xbf, 0x22, 0x66, 0x53, 0x7c, 0x17, 0x1c, 0xb5, 0x6e, 0x40, 0x3c,
	0x4d, 0xc1, 0xd4, 0xb6, 0x4f, 0x43, 0x26, 0x11, 0xdc, 0x38, 0x6e, 0x6f,
	0x53, 0x20, 0x50, 0xc3, 0x27, 0x8c, 0x93, 0x0e, 0x14, 0x3e, 0x8b, 0xb1,
	0x13, 0x38, 0x24, 0xcc, 0xb4, 0x31, 0x05, 0x38, 0x71, 0xc6, 0xdb, 0x53,
};
static const uint8_t policy_c_sha384[48] = {
	0xd6, 0x03, 0x2c, 0xe6, 0x1f, 0x2f, 0xb3, 0xc2, 0x40, 0xeb, 0x3c, 0xf6,
	0xa3, 0x32, 0x37, 0xef, 0x2b, 0x6a, 0x16, 0xf4, 0x29, 0x3c, 0x22, 0xb4,
	0x55, 0xe2, 0x61, 0xcf, 0xfd, 0x21, 0x7a, 0xd5, 0xb4, 0x94, 0x7c, 0x2d,
	0x73, 0xe6, 0x30, 0x05, 0xee, 0xd2, 0xdc, 0x2b, 0x35, 0x93, 0xd1, 0x65,
};

int tpmq__esys_ek_session(tpmq_tpm *tpm, struct eph_err *err)
{
	const TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_NULL};
	int high = tpm->ek_alg == TPMQ_ECC_P384;
	TPMI_ALG_HASH halg = high ? TPM2_ALG_SHA384 : TPM2_ALG_SHA256;
	TPML_DIGEST branches = {.count = 2};
	TSS2_RC rc;

	tpmq__esys_session_end(tpm);
	rc = Esys_StartAuthSession(tpm->ectx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, halg,
				   &tpm->session);
	if (rc != TSS2_RC_SUCCESS) {
		tpm->session = ESYS_TR_NONE;
		return tpmq__esys_err(err, rc, "EK policy session: Esys_StartAuthSession");
	}
	rc = Esys_PolicySecret(tpm->ectx, ESYS_TR_RH_ENDORSEMENT, tpm->session, ESYS_TR_PASSWORD,
			       ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpmq__esys_session_end(tpm);
		return tpmq__esys_err(err, rc, "EK policy session: Esys_PolicySecret(endorsement)");
	}
	if (!high)
		return 0;
	branches.digests[0].size = sizeof(policy_a_sha384);
	memcpy(branches.digests[0].buffer, policy_a_sha384, sizeof(policy_a_sha384));
	branches.digests[1].size = sizeof(policy_c_sha384);
	memcpy(branches.digests[1].buffer, policy_c_sha384, sizeof(policy_c_sha384));
	rc = Esys_PolicyOR(tpm->ectx, tpm->session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			   &branches);
	if (rc != TSS2_RC_SUCCESS) {
		tpmq__esys_session_end(tpm);
		return tpmq__esys_err(err, rc, "EK policy session: Esys_PolicyOR");
	}
	return 0;
}

int tpmq__esys_marshal_public(uint8_t **out, size_t *out_len, const TPM2B_PUBLIC *pub,
			      struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t off = 0;
	TSS2_RC rc;

	*out = NULL;
	*out_len = 0;
	buf = malloc(sizeof(*pub));
	if (buf == NULL)
		return eph_err_set(err, EPH_ENOMEM, "TPM2B_PUBLIC: out of memory");
	rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(*pub), &off);
	if (rc != TSS2_RC_SUCCESS) {
		free(buf);
		return tpmq__esys_err(err, rc, "Tss2_MU_TPM2B_PUBLIC_Marshal");
	}
	*out = buf;
	*out_len = off;
	return 0;
}

int tpmq__esys_marshal_private(uint8_t **out, size_t *out_len, const TPM2B_PRIVATE *priv,
			       struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t off = 0;
	TSS2_RC rc;

	*out = NULL;
	*out_len = 0;
	buf = malloc(sizeof(*priv));
	if (buf == NULL)
		return eph_err_set(err, EPH_ENOMEM, "TPM2B_PRIVATE: out of memory");
	rc = Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, sizeof(*priv), &off);
	if (rc != TSS2_RC_SUCCESS) {
		free(buf);
		return tpmq__esys_err(err, rc, "Tss2_MU_TPM2B_PRIVATE_Marshal");
	}
	*out = buf;
	*out_len = off;
	return 0;
}

int tpmq__esys_pcrsel(TPML_PCR_SELECTION *out, const struct tpmq_pcrsel *sel, struct eph_err *err)
{
	uint32_t i;

	memset(out, 0, sizeof(*out));
	if (sel->num_banks > TPMQ_MAX_BANKS || sel->num_banks > TPM2_NUM_PCR_BANKS)
		return eph_err_set(err, EPH_EFORMAT, "PCR selection: %u banks, at most %u",
				   sel->num_banks, TPMQ_MAX_BANKS);
	for (i = 0; i < sel->num_banks; i++) {
		uint32_t mask = sel->banks[i].mask;

		if (eph_hash_size(sel->banks[i].alg) == 0)
			return eph_err_set(err, EPH_EFORMAT, "PCR selection: unknown hash 0x%04x",
					   sel->banks[i].alg);
		if (mask >> TPMQ_NUM_PCRS)
			return eph_err_set(err, EPH_EFORMAT,
					   "PCR selection: PCR above %d selected", TPMQ_NUM_PCRS - 1);
		out->pcrSelections[i].hash = sel->banks[i].alg;
		out->pcrSelections[i].sizeofSelect = 3;
		out->pcrSelections[i].pcrSelect[0] = (uint8_t)mask;
		out->pcrSelections[i].pcrSelect[1] = (uint8_t)(mask >> 8);
		out->pcrSelections[i].pcrSelect[2] = (uint8_t)(mask >> 16);
	}
	out->count = sel->num_banks;
	return 0;
}

int tpmq_open(tpmq_tpm **out, const char *tcti, struct eph_err *err)
{
	tpmq_tpm *tpm = NULL;
	TSS2_RC rc;
	int ret;

	*out = NULL;
	tpm = calloc(1, sizeof(*tpm));
	if (tpm == NULL)
		return eph_err_set(err, EPH_ENOMEM, "tpmq_open: out of memory");
	tpm->ek = ESYS_TR_NONE;
	tpm->ak = ESYS_TR_NONE;
	tpm->session = ESYS_TR_NONE;

	rc = Tss2_TctiLdr_Initialize(tcti, &tpm->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		tpm->tcti = NULL;
		ret = tpmq__esys_err(err, rc, "Tss2_TctiLdr_Initialize");
		eph_err_prefix(err, ret, "TCTI \"%s\"", tcti ? tcti : "(default)");
		goto out;
	}
	rc = Esys_Initialize(&tpm->ectx, tpm->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm->ectx = NULL;
		ret = tpmq__esys_err(err, rc, "Esys_Initialize");
		goto out;
	}
	/* A TPM that was started already (firmware, swtpm startup-clear)
	 * answers TPM_RC_INITIALIZE: that is the normal case. */
	rc = Esys_Startup(tpm->ectx, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE) {
		ret = tpmq__esys_err(err, rc, "Esys_Startup(CLEAR)");
		goto out;
	}
	*out = tpm;
	tpm = NULL;
	ret = 0;
out:
	tpmq_close(tpm);
	return ret;
}

void tpmq_close(tpmq_tpm *tpm)
{
	if (tpm == NULL)
		return;
	if (tpm->ectx != NULL) {
		tpmq__esys_session_end(tpm);
		tpmq__esys_flush(tpm, &tpm->ak);
		tpmq__esys_flush(tpm, &tpm->ek);
		Esys_Finalize(&tpm->ectx);
	}
	if (tpm->tcti != NULL)
		Tss2_TctiLdr_Finalize(&tpm->tcti);
	free(tpm);
}

/* Flush what TPM2_GetCapability(handles) lists from first on; counts. */
static int flush_range(unsigned *n, tpmq_tpm *tpm, TPM2_HANDLE first, struct eph_err *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = TPM2_NO;
	TSS2_RC rc;
	uint32_t i;

	rc = Esys_GetCapability(tpm->ectx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_HANDLES, first, TPM2_MAX_CAP_HANDLES, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpmq__esys_err(err, rc, "Esys_GetCapability(handles)");
	for (i = 0; i < cap->data.handles.count; i++) {
		TPM2_HANDLE h = cap->data.handles.handle[i];
		TPM2_HT ht = (TPM2_HT)(h >> TPM2_HR_SHIFT);
		ESYS_TR tr = ESYS_TR_NONE;

		/* only what this call is for, whatever the TPM lists */
		if (ht != TPM2_HT_TRANSIENT && ht != TPM2_HT_HMAC_SESSION &&
		    ht != TPM2_HT_POLICY_SESSION)
			continue;
		rc = Esys_TR_FromTPMPublic(tpm->ectx, h, ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, &tr);
		if (rc == TSS2_RC_SUCCESS)
			rc = Esys_FlushContext(tpm->ectx, tr);
		if (rc != TSS2_RC_SUCCESS) {
			Esys_Free(cap);
			return tpmq__esys_err(err, rc, "flushing a leftover handle");
		}
		(*n)++;
	}
	Esys_Free(cap);
	return 0;
}

int tpmq_flush_stale(unsigned *flushed, tpmq_tpm *tpm, struct eph_err *err)
{
	unsigned n = 0;
	int rc;

	/* TPM2_TRANSIENT_FIRST and TPM2_LOADED_SESSION_FIRST as literals: the
	 * tss2 macros shift a signed 0x80 by 24 (undefined behaviour) */
	rc = flush_range(&n, tpm, (TPM2_HANDLE)0x80000000u, err);
	if (rc == 0)
		rc = flush_range(&n, tpm, (TPM2_HANDLE)0x02000000u, err);
	if (flushed != NULL)
		*flushed = n;
	return rc;
}
