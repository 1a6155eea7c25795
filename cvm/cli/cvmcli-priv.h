/*
 * cvmcli-priv.h - what the files of the ephemera-cvm command share: the
 * exit codes, the options, the verdict record, and the YAML helpers.
 *
 * The tool is a thin front end over libsnp and libtdx: main.c dispatches
 * and maps error codes to exit codes, args.c reads the command line,
 * snp_cmd.c / tdx_cmd.c load the files and run the libraries, snp_yaml.c /
 * tdx_yaml.c print the claims, yaml.c the verdict and the escaping. It
 * parses no evidence bytes itself and fetches nothing: every certificate,
 * CRL and collateral file comes from the command line.
 */
#ifndef CVMCLI_PRIV_H
#define CVMCLI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "snp.h"
#include "tdx.h"

#define CVM_NAME "ephemera-cvm"
#define CVM_VERSION EPH_VERSION /* from project() in CMakeLists.txt */

/*
 * Exit codes. Documented in --help and docs/ephemera-cvm.md; this list only
 * grows at the end (tpm2-tools lib/tool_rc.h).
 */
enum cvm_exit {
	CVM_EXIT_OK = 0,       /* verified and appraised (parse: parsed) */
	CVM_EXIT_USAGE = 1,    /* bad command line */
	CVM_EXIT_FORMAT = 2,   /* an input is malformed, or of a kind this build does not know */
	CVM_EXIT_IO = 3,       /* a file cannot be read, or the output cannot be written */
	CVM_EXIT_VERIFY = 4,   /* signature, certificate chain, CRL or collateral check failed */
	CVM_EXIT_POLICY = 5,   /* genuine, but refused by the appraisal policy */
	CVM_EXIT_INTERNAL = 6, /* out of memory or another internal error */
};

#define CVM_MAX_INPUT (4u << 20) /* largest evidence or collateral file read */
#define CVM_MAX_FILES 16         /* --crl given at most this often */

enum cvm_cmd { CVM_CMD_NONE = 0, CVM_CMD_VERIFY, CVM_CMD_PARSE };
enum cvm_tech { CVM_TECH_NONE = 0, CVM_TECH_SNP, CVM_TECH_TDX };

struct cvm_opts {
	enum cvm_cmd cmd;
	enum cvm_tech tech;
	const char *input; /* --snp / --tdx FILE */
	time_t at;         /* --at, or now */
	bool at_given;
	/* report data: --report-data, or SHA-512(--nonce || --ak-name) */
	bool have_report_data;
	uint8_t report_data[64];
	const char *crls[CVM_MAX_FILES];
	size_t n_crls;
	bool allow_debug;

	/* SNP */
	const char *certs_dir, *certtable, *vcek;
	struct snp_policy snp; /* measurements, host data, min TCB, debug, VMPL */

	/* TDX */
	const char *root, *tcb_info, *qe_identity;
	uint8_t mrtd[SNP_POLICY_MAX_MEASUREMENTS][TDX_MR_SIZE];
	size_t n_mrtd;
	uint8_t rtmr[4][TDX_MR_SIZE];
	bool have_rtmr[4];
	uint8_t mrconfigid[TDX_MR_SIZE], mrowner[TDX_MR_SIZE], mrownerconfig[TDX_MR_SIZE];
	bool have_mrconfigid, have_mrowner, have_mrownerconfig;
	bool require_sept_ve_disable;
	unsigned accept_tcb; /* bit (1 << enum tdx_tcb_status) per accepted status */
};

/* args.c: fill o from argv. 0 to go on, 1 when --help/--version was
 * answered, or -CVM_EXIT_USAGE after printing the usage error. */
int cvm_parse_args(struct cvm_opts *o, int argc, char **argv);

/* main.c */
extern const char cvm_usage_text[];

/* Print "ephemera-cvm: [what: ]msg" on stderr, control bytes masked. */
void cvm_report(const char *what, const char *msg);

/* Exit code for an EPH_E* code met while loading or parsing input. */
int cvm_exit_for_input(int rc);

/* Exit code for an EPH_E* code met while verifying. */
int cvm_exit_for_verify(int rc);

/* The verdict block: one line per check, in the order added. */
enum cvm_status { CVM_OK, CVM_FAILED, CVM_SKIPPED, CVM_UNCHECKED };

#define CVM_MAX_CHECKS 32

struct cvm_verdict {
	size_t n;
	struct {
		const char *name;
		enum cvm_status status;
		char reason[EPH_ERR_MSG_MAX];
	} c[CVM_MAX_CHECKS];
};

void cvm_check(struct cvm_verdict *v, const char *name, enum cvm_status s, const char *reason);

/* Print "verdict:" with result and exit, and every check. */
void cvm_print_verdict(FILE *f, const struct cvm_verdict *v, int exit_code);

/* yaml.c */
void cvm_hex(FILE *f, const uint8_t *buf, size_t n);
/* "key: <hex>\n" at indent. */
void cvm_hex_line(FILE *f, const char *indent, const char *key, const uint8_t *buf, size_t n);
/* A YAML double-quoted scalar of a C string. */
void cvm_quoted(FILE *f, const char *s);

/* snp_cmd.c, tdx_cmd.c: run the command, print, return an exit code. */
int cvm_snp_run(const struct cvm_opts *o);
int cvm_tdx_run(const struct cvm_opts *o);

/* snp_keys.c: roots from --certs, the table's ASK/ARK (t may be NULL), the
 * --vcek bundle and --crl files (free with snp_roots_free); and the
 * VCEK/VLEK for rep from --vcek, the table, or --certs, src naming where it
 * came from (EPH_ENOTFOUND when there is none). */
int cvm_snp_load_roots(snp_roots **out, const struct cvm_opts *o, const struct snp_certtable *t,
                       struct eph_err *err);
int cvm_snp_load_key(snp_cert **out, char *src, size_t srclen, const struct cvm_opts *o,
                     const struct snp_certtable *t, const struct snp_report *rep,
                     struct eph_err *err);

/* snp_yaml.c */
void cvm_snp_print_report(FILE *f, const struct snp_report *r, bool product_known);
void cvm_snp_print_signer(FILE *f, const struct snp_vcek_info *vi, const char *source);
void cvm_snp_print_certtable(FILE *f, const struct snp_certtable *t, const uint8_t *base);

/* tdx_yaml.c */
void cvm_tdx_print_quote(FILE *f, const struct tdx_quote *q);
void cvm_tdx_print_pck(FILE *f, const struct tdx_pck_info *pck, const char *ca, bool verified);

#endif
