/*
 * appraise.h - appraisal (prefix appraise_): the verdicts of the evidence
 * verifiers, compared with the reference values of the policy folder, give
 * an AR4SI trustworthiness vector, attested attributes with confidence, and
 * one reason line per claim that is not affirming.
 *
 * What this module does: combine. It takes what libtpmq, libevlog, libsnp
 * and libtdx already decided (struct appraise_evidence: plain data, filled
 * by the broker from their outputs) and the reference values (golden PCRs,
 * allowed event digests, IMA allowlist, image digests, minimum TCB), and
 * maps them to claims and tiers as in the table below.
 *
 * What it does not do: verify anything cryptographic (signatures, chains,
 * nonces, replays are the verifiers' jobs; their results come in as bools),
 * parse event logs or IMA lists (libevlog), decide what a requester may run
 * (broker/policy). It links no verifier library: the structs below mirror
 * the few fields it needs, so the broker converts (see "Filling the
 * evidence").
 *
 * ---------------------------------------------------------------------------
 * Mapping (AR4SI claim <- checks). Claims use draft-ietf-rats-ar4si names
 * and wire.h's representative tiers: none 0, affirming 2, warning 32,
 * contraindicated 96. Within a claim the worst finding wins; "none" means
 * no evidence (or no reference values) for the claim.
 *
 * instance-identity
 *   TPM: quote_ok + ak_ok + ek_chain_ok (+ nonce_fresh)  affirming
 *   quote_ok + ak_ok, no EK certificate or chain not ok   warning
 *   quote_ok + ak_ok, nonce not fresh (earlier challenge) warning
 *   TPM present, quote or AK checks failed                contraindicated
 *   no TPM; CVM report verified and bound to the nonce    affirming
 *   no TPM; CVM report verified, binding failed           contraindicated
 *   no TPM, no CVM                                        none
 * configuration (needs a verified quote, else none)
 *   every golden PCR quoted and equal to a golden value  affirming
 *   a quoted PCR differs from every golden value         contraindicated
 *   event log present but does not replay to the quote   contraindicated
 *   a golden PCR is not covered by the quote             warning
 *   an event of a checked (PCR, type) with a digest not
 *     in reference.json "event_digests" (unknown event)   warning
 *   event digests listed but no event log                 warning
 *   no golden PCRs and no event digests                   none
 * executables (IMA; needs a verified quote, else none)
 *   every entry's (path, digest) in the allowlist or
 *     excluded                                            affirming
 *   a file not in the allowlist, or a digest not listed
 *     for its path                                        contraindicated
 *   template hashes do not match (list edited)            contraindicated
 *   list does not replay to the quoted PCR 10             contraindicated
 *   a measurement violation entry                         warning
 *   no IMA list, or no allowlist                          none
 *   ("boot_aggregate" is skipped: PCRs 0-9 are configuration's)
 * file-system
 *   image digest in reference.json "images"              affirming
 *   image digest not in "images"                          contraindicated
 *   image digest unknown, or no "images" listed           none
 *   image digest only from unverified evidence            none
 * hardware (confidential VM report: SEV-SNP or TDX)
 *   verified, bound, measurement ok, TCB >= recommended   affirming
 *   TCB >= minimum but below recommended (SNP), TDX
 *     status in the "warning" list                        warning
 *   TCB below minimum, TDX status not listed as
 *     affirming/warning, signature or chain failed,
 *     REPORT_DATA binding failed, measurement not listed,
 *     any other failed check                              contraindicated
 *   no CVM evidence                                       none
 * runtime-opaque
 *   CVM verified and debug not allowed                    affirming
 *   CVM verified and debug allowed                        contraindicated
 *   no CVM, or CVM not verified                           none
 * storage-opaque, sourced-data: not appraised by Ephemera   none
 *
 * Attributes produced (confidence by the policy's rules, attrs.h):
 *   platform        "sev-snp" | "tdx" | "tpm"
 *   instance_id     "ek:<ek_id>" or "ak:<ak_name>"
 *   secure_boot     bool, from the event log's SecureBoot variable
 *   kernel_digest   "<alg>:<hex>" (given, or the last PCR 4 boot application)
 *   image_digest    "<alg>:<hex>" (given)
 *   tcb_level       "snp:bl=3,tee=0,snp=8,ucode=115" | "tdx:UpToDate"
 *   tcb_status      "up-to-date" | "below-recommended" | "below-minimum" |
 *                   the TDX status name
 *   ar4si.<claim>   "affirming" | "warning" | "contraindicated" | "none"
 * Source kind: "hardware" when the evidence behind the attribute verified
 * and was fresh, "hardware_stale" when it verified but was not fresh, and
 * "self" when it did not verify (the value is then only what the agent
 * said). Each warning-tier finding of the claim an attribute rests on is
 * recorded as a warning on it (configuration: secure_boot, kernel_digest;
 * hardware: tcb_level, tcb_status; instance-identity: instance_id).
 *
 * ---------------------------------------------------------------------------
 * Reference values: files in the policy folder (docs/policy-format.md).
 *   golden-pcrs.json    {"sha256": {"0": "<hex>", "7": ["<hex>", "<hex>"]}, ...}
 *   ima-allowlist.json  keylime runtime policy: {"digests": {path: [hex, ...]},
 *                       "excludes": [regex, ...], ...other keylime keys ignored}
 *   reference.json      {"event_digests": [{"pcr": 4, "type":
 *                       "EV_EFI_BOOT_SERVICES_APPLICATION", "alg": "sha256",
 *                       "digests": ["<hex>"]}],
 *                       "images": ["sha256:<hex>"],
 *                       "tcb": {"snp": {"minimum": {...}, "recommended": {...}},
 *                               "tdx": {"affirming": [...], "warning": [...]}}}
 * Every file is optional; a claim whose references are missing is "none".
 */
#ifndef APPRAISE_H
#define APPRAISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "eph_err.h"
#include "wire.h"

#define APPRAISE_NUM_PCRS 24
#define APPRAISE_MAX_BANKS 4
#define APPRAISE_MAX_DIGEST 64
#define APPRAISE_MAX_EV_DIGESTS 8
#define APPRAISE_ID_MAX 160
#define APPRAISE_REASON_MAX 320
#define APPRAISE_REF_FILE_MAX (64u << 20) /* a reference file, bytes */

/* ---------------------------------------------------------------------- */
/* Evidence verdicts                                                       */
/* ---------------------------------------------------------------------- */

/* PCR values of one bank; the layout of struct tpmq_pcr_bank. */
struct appraise_bank {
	uint16_t alg;  /* EPH_ALG_* */
	uint32_t mask; /* bit i: PCR i is present */
	uint8_t pcr[APPRAISE_NUM_PCRS][APPRAISE_MAX_DIGEST];
};

struct appraise_tpm {
	bool present;     /* a TPM quote was part of the evidence */
	bool quote_ok;    /* tpmq_quote_verify: signature, nonce, PCR digest */
	bool nonce_fresh; /* the nonce was a live single-use challenge and the
	                   * quote's counters are newer than the last one */
	bool ak_ok;       /* tpmq_key_check_ak and credential activation passed */
	bool ek_cert;     /* an EK certificate was presented */
	bool ek_chain_ok; /* tpmq_ekcert_verify against the trust bundle */
	char ek_id[APPRAISE_ID_MAX];   /* e.g. "sha256:<hex of EK public>"; "" unknown */
	char ak_name[APPRAISE_ID_MAX]; /* hex TPM name of the AK; "" unknown */
	uint32_t num_banks;
	struct appraise_bank banks[APPRAISE_MAX_BANKS]; /* what the verified quote covers */
};

/* One firmware event log entry: a struct evlog_event without its data. */
struct appraise_event {
	uint32_t pcr;
	uint32_t type; /* EV_* */
	uint32_t num_digests;
	struct {
		uint16_t alg;
		uint16_t size;
		uint8_t bytes[APPRAISE_MAX_DIGEST];
	} digests[APPRAISE_MAX_EV_DIGESTS];
};

struct appraise_evlog {
	bool present;
	bool replay_ok;   /* evlog_replay_compare against the quoted PCRs returned 0 */
	const struct appraise_event *events; /* borrowed, num_events entries */
	size_t num_events;
	int secure_boot;  /* SecureBoot variable: 1 on, 0 off, -1 not in the log */
	const char *kernel_digest; /* "<alg>:<hex>", or NULL: the last
	                            * EV_EFI_BOOT_SERVICES_APPLICATION in PCR 4 */
	const char *image_digest;  /* "<alg>:<hex>" of the measured root image, NULL unknown */
};

/* One IMA measurement: the fields of struct evlog_ima_entry used here. */
struct appraise_ima_entry {
	const char *path;    /* file name as measured */
	uint16_t alg;        /* file hash algorithm (EPH_ALG_*) */
	const uint8_t *hash; /* file hash, hash_len bytes */
	size_t hash_len;
	bool violation;      /* template hash all zero */
};

struct appraise_ima {
	bool present;
	bool template_ok; /* evlog_ima_check_template_hashes returned 0 */
	bool replay_ok;   /* evlog_ima_replay equals the quoted PCR 10 */
	const struct appraise_ima_entry *entries; /* borrowed */
	size_t num_entries;
};

enum appraise_cvm_kind {
	APPRAISE_CVM_NONE = 0,
	APPRAISE_CVM_SNP = 1,
	APPRAISE_CVM_TDX = 2,
};

/* Same values as enum tdx_tcb_status (tdx.h). */
enum appraise_tdx_tcb {
	APPRAISE_TDX_UNKNOWN = 0,
	APPRAISE_TDX_UP_TO_DATE,
	APPRAISE_TDX_SW_HARDENING_NEEDED,
	APPRAISE_TDX_CONFIGURATION_NEEDED,
	APPRAISE_TDX_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	APPRAISE_TDX_OUT_OF_DATE,
	APPRAISE_TDX_OUT_OF_DATE_CONFIGURATION_NEEDED,
	APPRAISE_TDX_REVOKED,
};
#define APPRAISE_TDX_N 8

/* An SEV-SNP TCB_VERSION, decoded (struct snp_tcb without raw). */
struct appraise_snp_tcb {
	uint8_t fmc; /* Turin only */
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};

struct appraise_cvm {
	enum appraise_cvm_kind kind;
	bool verified;       /* snp_verify / tdx_quote_verify: signature and chain */
	bool binding_ok;     /* REPORT_DATA = SHA-512(nonce || AK name) */
	bool measurement_ok; /* SNP measurement / TDX MRTD+RTMRs in the operator's list */
	bool debug;          /* the guest policy allows debugging */
	char failed[128];    /* names of other failed checks ("vmpl, smt"), "" none */
	uint8_t measurement[48];
	size_t measurement_len;
	struct appraise_snp_tcb snp_tcb; /* SNP: REPORTED_TCB */
	enum appraise_tdx_tcb tdx_tcb;   /* TDX: tdx_tcb_evaluate().overall */
};

/*
 * Filling the evidence (the broker, from the verifiers):
 *   tpm.quote_ok = tpmq_quote_verify(...) == 0; tpm.banks = its tpmq_pcrs;
 *   evlog.events from evlog_event_at (skip nothing: EV_NO_ACTION is ignored
 *   here); evlog.replay_ok = evlog_replay_compare(...) == 0 for every quoted
 *   bank; ima.entries from evlog_ima_entry_at; cvm from snp_verdict.failed:
 *   SNP_CHECK_REPORT_DATA -> !binding_ok, SNP_CHECK_MEASUREMENT ->
 *   !measurement_ok, SNP_CHECK_DEBUG -> debug, SNP_CHECK_TCB ignored (the
 *   TCB is judged here against reference.json), the rest named in failed.
 */
struct appraise_evidence {
	struct appraise_tpm tpm;
	struct appraise_evlog evlog;
	struct appraise_ima ima;
	struct appraise_cvm cvm;
};

/* ---------------------------------------------------------------------- */
/* Reference values                                                        */
/* ---------------------------------------------------------------------- */

typedef struct appraise_refs appraise_refs; /* opaque, immutable once loaded */

/* Empty references (every claim that needs one is then "none"). */
int appraise_refs_new(appraise_refs **out, struct eph_err *err);
void appraise_refs_free(appraise_refs *refs);

/*
 * Load golden-pcrs.json, ima-allowlist.json and reference.json from dir
 * (each optional). EPH_EFORMAT names the file, the line (syntax errors) or
 * the key, and the reason. On failure *out is NULL.
 */
int appraise_refs_load_dir(appraise_refs **out, const char *dir, struct eph_err *err);

/* Replace one kind of reference from JSON text (formats above). */
int appraise_refs_set_golden(appraise_refs *refs, const char *text, size_t len,
			     struct eph_err *err);
int appraise_refs_set_ima(appraise_refs *refs, const char *text, size_t len, struct eph_err *err);
int appraise_refs_set_reference(appraise_refs *refs, const char *text, size_t len,
				struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Appraisal                                                               */
/* ---------------------------------------------------------------------- */

struct appraise_result {
	uint8_t tier[WIRE_AR_NUM + 1]; /* by enum wire_ar4si_claim (index 0 unused);
	                                * same layout as wire_attest_resp.result */
	char reason[WIRE_AR_NUM + 1][APPRAISE_REASON_MAX]; /* "" when affirming, else
	                                * "<claim>: <tier>: <first finding> (+N more)" */
	attrs_set *attrs; /* owned: the attested attributes */
};

/*
 * Appraise ev against refs. conf gives the confidence rules (NULL: the
 * built-in defaults). *out is a new result (appraise_result_free). Only
 * resource failures are errors: every evidence situation is a result.
 */
int appraise_run(struct appraise_result **out, const struct appraise_evidence *ev,
		 const appraise_refs *refs, const struct attrs_conf *conf, struct eph_err *err);
void appraise_result_free(struct appraise_result *res);

/* "instance-identity", ... for claims 1..8; "?" otherwise. */
const char *appraise_claim_name(unsigned claim);
/* "none", "affirming", "warning", "contraindicated" for a tier value
 * (by AR4SI ranges: 0-1 none, 2-31 affirming, 32-95 warning, 96+ contraindicated). */
const char *appraise_tier_name(unsigned tier);

/* Write the non-empty reason lines, one per line, into out (n bytes,
 * truncated, NUL-terminated). Returns the number of lines. */
size_t appraise_reasons_text(char *out, size_t n, const struct appraise_result *res);

#endif
