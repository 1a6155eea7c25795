/*
 * main.c - ephemera-checkquote: verify a TPM 2.0 quote as tpm2_checkquote
 * (tpm2-tools 5.4) does, from the same files, with libtpmq; or (--batch) a
 * folder of many quotes in one process.
 *
 * This file handles the command line, loads the inputs of -u/-m/-s/-f/-q,
 * runs the verification and maps error codes to the exit codes of enum
 * cq_exit. Nothing is printed on stdout before the quote has verified: a
 * failure gives an empty stdout and one line on stderr. It does not talk to
 * a TPM and does not appraise the PCR values (ephemera-eventlog --compare
 * does that against an event log).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq-priv.h"

static const char usage_text[] =
    "Usage: " CQ_NAME " -u AK -m MESSAGE -s SIGNATURE [-f PCRFILE [-l PCRLIST]]\n"
    "                           [-q NONCE] [OPTIONS]\n"
    "       " CQ_NAME " --batch DIR [--batch-repeat N] [--require-ak]\n"
    "\n"
    "Verify a TPM 2.0 quote: the signature of the TPMS_ATTEST with the AK, the\n"
    "nonce (qualifying data) and, with -f, that the PCR values in PCRFILE are\n"
    "those the quote signed. Takes the files and options of tpm2_checkquote(1)\n"
    "(tpm2-tools 5.4) and prints its output followed by a YAML \"verified:\"\n"
    "section. Nothing goes to standard output unless the quote verifies.\n"
    "\n"
    "Options (as tpm2_checkquote):\n"
    "  -u, --public=FILE        the AK: a TPM2B_PUBLIC (tpm2_createak -u) or a PEM\n"
    "                           public key (tpm2_createak -f pem), detected\n"
    "  -m, --message=FILE       the quote: TPMS_ATTEST bytes (tpm2_quote -m)\n"
    "  -s, --signature=FILE     its TPMT_SIGNATURE (tpm2_quote -s); RSASSA, RSAPSS\n"
    "                           and ECDSA\n"
    "  -f, --pcr=FILE           PCR values: the file tpm2_quote -o writes; with -l,\n"
    "                           the bare digests tpm2_pcrread -o writes. The PCRs\n"
    "                           must be exactly those the quote covers\n"
    "  -l, --pcr-list=PCRLIST   selection of the bare digests in -f, tpm2-tools\n"
    "                           syntax, e.g. sha256:0,1,2+sha1:0\n"
    "  -q, --qualification=HEX|FILE\n"
    "                           the nonce: hex digits (no 0x), or else a file of\n"
    "                           raw bytes; at most 64 bytes. Without -q the nonce\n"
    "                           is NOT checked (tpm2_checkquote then requires an\n"
    "                           empty one): the output says \"nonce: unchecked\" and\n"
    "                           shows the quote's extraData\n"
    "  -g, --hash-algorithm=ALG accepted and ignored, as by tpm2_checkquote 5.4: the\n"
    "                           hash is the signature's\n"
    "  -F, --format=FORMAT      accepted and ignored (deprecated in tpm2-tools 5.4):\n"
    "                           the signature is always a TPMT_SIGNATURE; plain\n"
    "                           (raw or DER) signatures are not read\n"
    "  -e, --eventlog=FILE      not supported (exit 5): check an event log against\n"
    "                           the verified PCRs with ephemera-eventlog --compare\n"
    "\n"
    "Other options:\n"
    "  --require-ak             also fail unless the AK is a TPM2B_PUBLIC of a\n"
    "                           restricted signing key that is fixedTPM, fixedParent\n"
    "                           and sensitiveDataOrigin (tpm2_checkquote checks no\n"
    "                           attributes; akPolicy in the output says either way)\n"
    "  -Q, --quiet              print nothing on success\n"
    "  --batch=DIR              verify every quote under DIR in one process (below)\n"
    "  --batch-repeat=N         with --batch: verify the whole set N times and print\n"
    "                           the rate (quotes/s), for benchmarking\n"
    "  -h, --help               show this help and exit\n"
    "  --version                show the version and exit\n"
    "\n"
    "Output on success (the first two parts exactly as tpm2_checkquote 5.4):\n"
    "  pcrs:                    with -f: the PCR values, in the file's order\n"
    "  sig: HEX                 the signature (RSA: raw; ECDSA: DER of r, s)\n"
    "  verified:                scheme, hash, signer (qualifiedSigner), akName,\n"
    "                           akPolicy (ok|failed|unknown), nonce (ok|unchecked),\n"
    "                           extraData, pcrValues (ok|unchecked), pcrSelection,\n"
    "                           pcrDigest, clock, resetCount, restartCount, safe,\n"
    "                           firmwareVersion\n"
    "\n"
    "Batch folder layout (--batch DIR): one subfolder per quote, named freely\n"
    "(names starting with '.' are skipped), checked in name order:\n"
    "  DIR/NAME/ak.pub          the AK as TPM2B_PUBLIC, or instead\n"
    "  DIR/NAME/ak.pem          the AK as PEM public key (exactly one of the two)\n"
    "  DIR/NAME/quote.msg       TPMS_ATTEST            (as -m)\n"
    "  DIR/NAME/quote.sig       TPMT_SIGNATURE         (as -s)\n"
    "  DIR/NAME/pcrs.bin        optional: tpm2_quote -o file (as -f without -l)\n"
    "  DIR/NAME/nonce           optional: the nonce as raw bytes, or instead\n"
    "  DIR/NAME/nonce.hex       optional: the nonce as hex digits (blanks and a\n"
    "                           newline around them are ignored)\n"
    "Without a nonce file the nonce is unchecked, as without -q. Other files are\n"
    "ignored. One line per quote, \"NAME: ok\" or \"NAME: FAILED: reason\", then\n"
    "\"N verified, M failed\". Inputs are read and AKs parsed once; each\n"
    "verification parses the PCR file and runs tpmq_quote_verify(). With\n"
    "--batch-repeat N the set is verified N times and a line \"repeat: ...\n"
    "quotes/s\" follows.\n"
    "\n"
    "Exit status:\n"
    "  0  the quote verified (--batch: every quote)\n"
    "  1  usage error (bad option or argument)\n"
    "  2  an input is not well-formed (key, message, signature, PCR file, nonce)\n"
    "  3  an input cannot be read, or the output cannot be written\n"
    "  4  verification failed: signature, nonce, PCR values, the AK with\n"
    "     --require-ak; --batch: at least one quote failed for any reason\n"
    "  5  valid input this build cannot handle (a hash algorithm missing from\n"
    "     OpenSSL, -e)\n"
    "  6  internal error (out of memory)\n"
    "On failure one line \"" CQ_NAME ": FILE: reason\" goes to standard error.\n"
    "tpm2_checkquote exits 1 for every failure; scripts that only test for 0\n"
    "behave the same with both tools.\n";

enum {
	OPT_BATCH = 256,
	OPT_BATCH_REPEAT,
	OPT_REQUIRE_AK,
	OPT_VERSION,
};

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"public", required_argument, NULL, 'u'},
    {"message", required_argument, NULL, 'm'},
    {"signature", required_argument, NULL, 's'},
    {"pcr", required_argument, NULL, 'f'},
    {"pcr-list", required_argument, NULL, 'l'},
    {"qualification", required_argument, NULL, 'q'},
    {"hash-algorithm", required_argument, NULL, 'g'},
    {"format", required_argument, NULL, 'F'},
    {"eventlog", required_argument, NULL, 'e'},
    {"quiet", no_argument, NULL, 'Q'},
    {"require-ak", no_argument, NULL, OPT_REQUIRE_AK},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"batch-repeat", required_argument, NULL, OPT_BATCH_REPEAT},
    {NULL, 0, NULL, 0},
};

struct cq_opts {
	const char *ak, *msg, *sig, *pcr, *pcr_list, *nonce, *eventlog;
	struct tpmq_pcrsel pcr_sel; /* -l, parsed */
	int quiet;
	int require_ak;
	const char *batch;
	unsigned long repeat;
	int repeat_given;
};

static int usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s (see --help)\n", CQ_NAME, msg);
	return CQ_EXIT_USAGE;
}

/* A decimal in [1, max]; 0 or -1. */
static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out == 0 || *out > max)
		return -1;
	return 0;
}

/*
 * Fill o from the command line. Returns 0 to go on, 1 when --help or
 * --version has been answered, or a negative exit code after a usage error.
 */
static int parse_args(struct cq_opts *o, int argc, char **argv)
{
	struct eph_err err = {{0}};
	int c;

	memset(o, 0, sizeof(*o));
	o->repeat = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hu:m:s:f:l:q:g:F:e:Q", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case OPT_VERSION:
			printf("%s %s\n", CQ_NAME, CQ_VERSION);
			return 1;
		case 'u':
			o->ak = optarg;
			break;
		case 'm':
			o->msg = optarg;
			break;
		case 's':
			o->sig = optarg;
			break;
		case 'f':
			o->pcr = optarg;
			break;
		case 'l':
			o->pcr_list = optarg;
			if (tpmq_pcrsel_parse(&o->pcr_sel, optarg, &err) < 0) {
				cq_report("-l", err.msg);
				return -CQ_EXIT_USAGE;
			}
			break;
		case 'q':
			o->nonce = optarg;
			break;
		case 'g':
			if (eph_hash_from_name(optarg, strlen(optarg)) == 0)
				return -usage_error("-g: unknown hash algorithm");
			break;
		case 'F':
			break; /* ignored, as by tpm2_checkquote 5.4 */
		case 'e':
			o->eventlog = optarg;
			break;
		case 'Q':
			o->quiet = 1;
			break;
		case OPT_REQUIRE_AK:
			o->require_ak = 1;
			break;
		case OPT_BATCH:
			o->batch = optarg;
			break;
		case OPT_BATCH_REPEAT:
			if (parse_count(optarg, 100000000ul, &o->repeat) < 0)
				return -usage_error("--batch-repeat must be a count 1..100000000");
			o->repeat_given = 1;
			break;
		case ':':
			return -usage_error("an option is missing its argument");
		default:
			return -usage_error("unknown option");
		}
	}
	if (optind < argc)
		return -usage_error("unexpected argument");
	if (o->batch != NULL) {
		if (o->ak || o->msg || o->sig || o->pcr || o->pcr_list || o->nonce || o->eventlog)
			return -usage_error(
			    "--batch takes its inputs from DIR, not -u/-m/-s/-f/-l/-q/-e");
		return 0;
	}
	if (o->repeat_given)
		return -usage_error("--batch-repeat needs --batch");
	if (o->ak == NULL || o->msg == NULL || o->sig == NULL)
		return -usage_error("-u, -m and -s are required");
	if (o->pcr_list != NULL && o->pcr == NULL)
		return -usage_error("-l describes the -f file: -f is missing");
	return 0;
}

/* Load the inputs named by o into q; on failure err names the file. */
static int load(struct cq_quote *q, const struct cq_opts *o, struct eph_err *err)
{
	int rc;

	rc = cq_load_key(q, o->ak, err);
	if (rc < 0)
		return rc;
	rc = cq_read(&q->msg, &q->msg_len, o->msg, err);
	if (rc < 0)
		return rc;
	rc = cq_read(&q->sig, &q->sig_len, o->sig, err);
	if (rc < 0)
		return rc;
	if (o->pcr != NULL) {
		rc = cq_read(&q->pcr_file, &q->pcr_file_len, o->pcr, err);
		if (rc < 0)
			return rc;
	}
	if (o->pcr_list != NULL) {
		q->pcr_list = o->pcr_sel;
		q->pcr_values = 1;
	}
	if (o->nonce != NULL) {
		rc = cq_nonce_from_arg(q, o->nonce, err);
		if (rc < 0)
			return rc;
	}
	q->require_ak = o->require_ak;
	return 0;
}

/* The file a failed verification names. */
static const char *blame(const struct cq_opts *o, enum cq_stage stage)
{
	switch (stage) {
	case CQ_STAGE_PCR_FILE:
		return o->pcr;
	case CQ_STAGE_AK:
		return o->ak;
	default:
		return o->msg;
	}
}

static int run_single(const struct cq_opts *o)
{
	struct eph_err err = {{0}};
	struct cq_quote q;
	struct cq_result *res = NULL;
	enum cq_stage stage = CQ_STAGE_QUOTE;
	int rc;

	memset(&q, 0, sizeof(q));
	if (o->eventlog != NULL) {
		cq_report(o->eventlog, "-e is not supported: use ephemera-eventlog --compare");
		return CQ_EXIT_UNSUPPORTED;
	}
	rc = load(&q, o, &err);
	if (rc < 0) {
		cq_report(NULL, err.msg); /* the message names the file */
		rc = cq_exit_for(rc);
		goto out;
	}
	res = calloc(1, sizeof(*res));
	if (res == NULL) {
		cq_report(NULL, "out of memory");
		rc = CQ_EXIT_INTERNAL;
		goto out;
	}
	rc = cq_verify(res, &stage, &q, &err);
	if (rc < 0) {
		cq_report(blame(o, stage), err.msg);
		rc = cq_exit_for(rc);
		goto out;
	}
	if (!o->quiet) {
		rc = cq_print_result(stdout, &q, res, &err);
		if (rc < 0) {
			cq_report(o->msg, err.msg);
			rc = cq_exit_for(rc);
			goto out;
		}
	}
	rc = CQ_EXIT_OK;
out:
	free(res);
	cq_quote_clear(&q);
	return rc;
}

int main(int argc, char **argv)
{
	struct cq_batch_opts b;
	struct cq_opts o;
	int rc;

	rc = parse_args(&o, argc, argv);
	if (rc < 0)
		return -rc;
	if (rc == 1) {
		rc = CQ_EXIT_OK;
	} else if (o.batch != NULL) {
		b.dir = o.batch;
		b.repeat = o.repeat;
		b.require_ak = o.require_ak;
		rc = cq_batch_run(&b);
	} else {
		rc = run_single(&o);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: writing standard output: %s\n", CQ_NAME, strerror(errno));
		if (rc == CQ_EXIT_OK)
			rc = CQ_EXIT_IO;
	}
	return rc;
}
