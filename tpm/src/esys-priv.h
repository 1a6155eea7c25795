/*
 * esys-priv.h - what the agent-side files of libtpmq (esys_*.c) share: the
 * tpmq_tpm context, TSS return-code reporting, EK policy sessions and
 * flushing.
 *
 * There is no resource manager between us and the TPM (swtpm, or a raw
 * /dev/tpm0): every transient object and session this library loads is
 * recorded here and flushed by the function that created it on every error
 * path, or at the latest by tpmq_close().
 */
#ifndef TPMQ_ESYS_PRIV_H
#define TPMQ_ESYS_PRIV_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "tpmq.h"

struct tpmq_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *ectx;
	ESYS_TR ek;                 /* transient EK, ESYS_TR_NONE until created */
	enum tpmq_keyalg ek_alg;    /* template the EK was created from */
	ESYS_TR ak;                 /* loaded AK, ESYS_TR_NONE until created/loaded */
	ESYS_TR session;            /* policy session in use, ESYS_TR_NONE between uses */
};

/*
 * Report a failed TSS call: "<what>: <Tss2_RC_Decode text> (0x...)" into err.
 * The code is EPH_EIO for TCTI transport failures, EPH_EFAIL otherwise.
 */
int tpmq__esys_err(struct eph_err *err, TSS2_RC rc, const char *what);

/* The format-one TPM error code of rc (TPM2_RC_INTEGRITY, ...) with the
 * handle/session/parameter number stripped, or 0 when rc is not one. */
TSS2_RC tpmq__esys_rc_fmt1(TSS2_RC rc);

/*
 * Start a policy session that satisfies the EK's authPolicy (PolicySecret
 * on TPM_RH_ENDORSEMENT, and PolicyOR for the high-range templates) and
 * store it in tpm->session. The caller passes it as the EK's authorisation
 * for exactly one command and then calls tpmq__esys_session_end().
 */
int tpmq__esys_ek_session(tpmq_tpm *tpm, struct eph_err *err);

/* Flush tpm->session if any; never fails (errors are ignored: the handle is
 * gone from ESYS either way). */
void tpmq__esys_session_end(tpmq_tpm *tpm);

/* Flush a transient object and set *h to ESYS_TR_NONE; NONE is a no-op. */
void tpmq__esys_flush(tpmq_tpm *tpm, ESYS_TR *h);

/* Marshal a TPM2B_PUBLIC / TPM2B_PRIVATE into a new exact-size buffer. */
int tpmq__esys_marshal_public(uint8_t **out, size_t *out_len, const TPM2B_PUBLIC *pub,
			 struct eph_err *err);
int tpmq__esys_marshal_private(uint8_t **out, size_t *out_len, const TPM2B_PRIVATE *priv,
			  struct eph_err *err);

/* struct tpmq_pcrsel -> TPML_PCR_SELECTION (3-byte select). EPH_EFORMAT for
 * more banks than TPM2_NUM_PCR_BANKS or a bank with an unknown hash. */
int tpmq__esys_pcrsel(TPML_PCR_SELECTION *out, const struct tpmq_pcrsel *sel,
			 struct eph_err *err);

#endif
