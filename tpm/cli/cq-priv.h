/*
 * cq-priv.h - what the files of the ephemera-checkquote command share: the
 * exit codes, one quote's inputs in memory, the loaders and the printers.
 *
 * The tool is a thin front end over libtpmq (tpmq_key_*, tpmq_quote_verify,
 * tpmq_pcrs_from_tpm2tools): main.c handles the command line and the single
 * quote of -u/-m/-s, batch.c the --batch folder, inputs.c reads files into
 * struct cq_quote and runs the verification, output.c prints the YAML.
 * Nothing here unmarshals quote bytes itself except the TPMT_SIGNATURE that
 * output.c re-encodes for tpm2_checkquote's "sig:" line, after libtpmq has
 * verified it.
 */
#ifndef CQ_PRIV_H
#define CQ_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tpmq.h"

#define CQ_NAME "ephemera-checkquote"
#define CQ_VERSION EPH_VERSION /* from project() in CMakeLists.txt */

/*
 * Exit codes. Documented in --help; this list only grows at the end
 * (tpm2-tools lib/tool_rc.h).
 */
enum cq_exit {
	CQ_EXIT_OK = 0,          /* every quote verified */
	CQ_EXIT_USAGE = 1,       /* bad command line */
	CQ_EXIT_FORMAT = 2,      /* an input is not well-formed */
	CQ_EXIT_IO = 3,          /* an input cannot be read, or stdout written */
	CQ_EXIT_FAILED = 4,      /* well-formed quote that fails verification */
	CQ_EXIT_UNSUPPORTED = 5, /* valid input or option this build cannot handle */
	CQ_EXIT_INTERNAL = 6,    /* out of memory or another internal error */
};

#define CQ_MAX_INPUT (1u << 20) /* largest file read (keys, quotes, PCRs) */

/* One quote to check, everything read into memory. */
struct cq_quote {
	tpmq_key *ak;
	int ak_is_pem; /* ak came from PEM: no name, no attributes */
	uint8_t *msg;  /* TPMS_ATTEST bytes */
	size_t msg_len;
	uint8_t *sig; /* TPMT_SIGNATURE bytes */
	size_t sig_len;
	uint8_t *pcr_file; /* PCR file bytes, NULL when none was given */
	size_t pcr_file_len;
	int pcr_values;              /* pcr_file is tpm2_pcrread's "values" format:
	                              * bare digests in the order of pcr_list */
	struct tpmq_pcrsel pcr_list; /* -l selection (pcr_values only) */
	int require_ak;              /* refuse an AK that tpmq_key_check_ak refuses */
	int has_nonce;               /* 0: extraData is reported, not checked */
	size_t nonce_len;
	uint8_t nonce[TPMQ_MAX_NONCE];
};

/* What one verification found; filled only when it succeeded. */
struct cq_result {
	struct tpmq_attest attest;  /* the quote as signed */
	int pcrs_checked;           /* a PCR file was given and matched */
	struct tpmq_pcrsel pcr_sel; /* the PCR file's selection (its order) */
	struct tpmq_pcrs pcrs;      /* the PCR file's values */
};

/* inputs.c */

/* Which input a failed cq_verify() blames. */
enum cq_stage {
	CQ_STAGE_PCR_FILE, /* the PCR file does not parse */
	CQ_STAGE_QUOTE,    /* the quote, its signature, nonce or PCR digest */
	CQ_STAGE_AK,       /* --require-ak: the AK's attributes */
};

/* Read a whole file (at most CQ_MAX_INPUT bytes); EPH_EIO if it is missing. */
int cq_read(uint8_t **out, size_t *len, const char *path, struct eph_err *err);

/* Load an AK from a TPM2B_PUBLIC or a PEM public key, detected by content. */
int cq_load_key(struct cq_quote *q, const char *path, struct eph_err *err);

/*
 * The -q argument as tpm2_checkquote takes it: an even number of hex digits
 * (possibly none) if it is one, else the path of a file of raw bytes.
 */
int cq_nonce_from_arg(struct cq_quote *q, const char *arg, struct eph_err *err);

/* A nonce file: raw bytes, or (hex != 0) hex digits with blanks around. */
int cq_nonce_from_file(struct cq_quote *q, const char *path, int hex, struct eph_err *err);

/*
 * Verify q: tpmq_quote_verify with q's nonce (or the quote's own extraData
 * when q has none) and, with a PCR file, its values; then require the PCR
 * file's selection to be exactly the quote's. Returns 0 with *res filled, or
 * a negative EPH_E* code (EPH_EVERIFY for every failed check) and *stage
 * (may be NULL) saying which input was at fault.
 */
int cq_verify(struct cq_result *res, enum cq_stage *stage, const struct cq_quote *q,
              struct eph_err *err);

/* Free what q holds and zero it (the nonce is wiped). */
void cq_quote_clear(struct cq_quote *q);

/* Exit code for a libtpmq/eph error code. */
int cq_exit_for(int rc);

/* output.c */

/*
 * Print the YAML of a verified quote: tpm2_checkquote 5.4's "pcrs:" (with a
 * PCR file) and "sig:" lines, then this tool's "verified:" section.
 */
int cq_print_result(FILE *f, const struct cq_quote *q, const struct cq_result *res,
                    struct eph_err *err);

/* "ephemera-checkquote: [what: ]msg" on stderr, one line, controls masked. */
void cq_report(const char *what, const char *msg);

/* Copy s into out (outlen > 0) with control bytes replaced by '?'. */
void cq_printable(char *out, size_t outlen, const char *s);

/* batch.c */

struct cq_batch_opts {
	const char *dir;      /* the --batch folder */
	unsigned long repeat; /* --batch-repeat: verify the whole set this often */
	int require_ak;       /* --require-ak */
};

/* Run --batch; returns an exit code (enum cq_exit). */
int cq_batch_run(const struct cq_batch_opts *o);

#endif
