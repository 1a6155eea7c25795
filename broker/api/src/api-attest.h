/*
 * api-attest.h - the verdict of one attestation, shared by the handler
 * (api_attest.c), the TPM / event log / IMA checks (api_evidence.c), the
 * SEV-SNP / TDX checks (api_cvm.c) and the AR4SI appraisal (api_appraise.c).
 *
 * Not here: HTTP (the handler turns a verdict into a response).
 */
#ifndef API_ATTEST_H
#define API_ATTEST_H

#include "api-priv.h"
#include "wire.h"

struct api__verdict {
	int status;              /* 0: accepted; else the HTTP status of the refusal */
	char code[64];           /* refusal's machine code */
	char reason[WIRE_MAX_TEXT]; /* why refused, or what was accepted */
	int8_t ar4si[STORE_AR4SI_N]; /* index claim-1, tiers of enum wire_ar4si_tier */
	int has_counters;
	struct store_quote_counters counters;
	uint8_t quote_digest[32], eventlog_digest[32], ima_digest[32], cvm_digest[32];
	int has_eventlog, has_ima, has_cvm;
	struct tpmq_pcrs pcrs;   /* the quoted PCR values (verified once the quote is) */
	struct tpmq_attest quote;
	uint8_t ak_name[TPMQ_NAME_MAX];
	size_t ak_name_len;
	uint32_t num_attrs;
	struct wire_attr attrs[WIRE_MAX_ATTRS];
	const char *cvm_kind;    /* "sev-snp", "tdx" when verified, else NULL */
	uint8_t snp_tcb[5];      /* SNP REPORTED_TCB: fmc, bootloader, tee, snp,
				  * microcode, for reference.json "tcb" */
	uint8_t cvm_measurement[48];
	size_t cvm_measurement_len;
	int has_ima_state;       /* ima_state is to be stored if accepted */
	int quote_ok;            /* the quote verified with the agent's AK, fresh:
				  * a refusal after this is the machine's own
				  * evidence (drift), not a stranger's bytes */
	char env_id[STORE_ID_SIZE]; /* environment the agent is bound to, or "" */
	struct store_ima_state ima_state; /* the agent's IMA position after this list */
};

/* Set a refusal (the first one wins) and return -1. */
int api__verdict_refuse(struct api__verdict *v, int status, const char *code, const char *fmt,
			...) __attribute__((format(printf, 4, 5)));

/* Append an attribute with its confidence. */
void api__verdict_attr(struct api__verdict *v, const char *name, const char *value,
		       float confidence);

/* Quote (signature, nonce, PCR digest) and freshness against the last one. */
int api__check_quote(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		     const char *agent_id, const tpmq_key *ak);
/* Firmware event log against the quoted PCRs. */
int api__check_eventlog(struct api__verdict *v, struct api *a, const struct wire_attest_req *req);
/*
 * IMA list against the quoted PCR 10: a whole list (ima_offset 0) replayed
 * from zero, or a chunk extended from the agent's stored IMA position. Fills
 * v->ima_state for the caller to store once the attestation is accepted.
 */
int api__check_ima(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		   const char *agent_id);
/* SEV-SNP report or TDX quote, bound to nonce and AK name. */
int api__check_cvm(struct api__verdict *v, struct api *a, const struct wire_attest_req *req,
		   const struct store_agent *ag);

#endif
