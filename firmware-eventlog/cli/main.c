/*
 * main.c - ephemera-eventlog: print a TCG firmware event log (or, with
 * --ima, a Linux IMA measurement list) as YAML with the replayed PCRs, in
 * the format of tpm2_eventlog from tpm2-tools 5.4.
 *
 * This file handles the command line, reads the input (bounded, "-" is
 * standard input), calls libevlog, and maps its error codes to the exit
 * codes of enum evcli_exit. It parses nothing itself and never prints a
 * partial log: the whole input is parsed and replayed before the first line
 * goes out, so a bad input gives an empty stdout and one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "evcli-priv.h"

static const char usage_text[] =
    "Usage: " EVCLI_NAME " [OPTIONS] FILE\n"
    "\n"
    "Print a TCG firmware event log (binary_bios_measurements, a CC event log) or,\n"
    "with --ima, an IMA measurement list as YAML, followed by the PCR values that\n"
    "replaying it gives. FILE \"-\" reads standard input. The output follows\n"
    "tpm2_eventlog(1) of tpm2-tools 5.4 (--eventlog-version=1).\n"
    "\n"
    "Firmware event log options:\n"
    "  --ccel                   the input is a confidential-computing event log\n"
    "                           (UEFI CC_EVENT, e.g. the TDX CCEL table); the PCR\n"
    "                           index is a measurement register index (1..4 =\n"
    "                           RTMR0..3) and trailing 0xFF/0x00 padding is allowed\n"
    "  --allow-padding          stop quietly at trailing 0xFF/0x00 fill\n"
    "  --eventlog-version=1     accepted for tpm2_eventlog compatibility; only\n"
    "                           version 1 output exists\n"
    "\n"
    "IMA options:\n"
    "  --ima                    FILE is an IMA measurement list\n"
    "                           (binary_runtime_measurements or\n"
    "                           ascii_runtime_measurements, detected)\n"
    "  --ima-format=FMT         auto (default), binary or ascii\n"
    "  --ima-bank=ALG           replay this bank (sha1, sha256, sha384, sha512);\n"
    "                           repeatable, default sha1 and sha256\n"
    "  --ima-pcr=N              the PCR the list extends (default 10)\n"
    "\n"
    "Common options:\n"
    "  --pcrs-only              print only the replayed pcrs: section\n"
    "  --compare=PCRFILE        compare the replayed PCRs with the values in\n"
    "                           PCRFILE (the YAML of tpm2_pcrread, or the pcrs:\n"
    "                           section of this tool); only PCRs listed there are\n"
    "                           compared\n"
    "  -h, --help               show this help and exit\n"
    "  -V, --version            show the version and exit\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  usage error (bad option or argument)\n"
    "  2  the input is not a well-formed event log or measurement list\n"
    "  3  the input (or PCRFILE) cannot be read, or the output cannot be written\n"
    "  4  a check failed: --compare found a PCR that differs, or an IMA entry's\n"
    "     template hash does not match its template data\n"
    "  5  valid input that this build cannot handle (e.g. a hash algorithm\n"
    "     missing from OpenSSL)\n"
    "  6  internal error (out of memory)\n"
    "On failure one line \"" EVCLI_NAME ": FILE: reason\" goes to standard error.\n"
    "\n"
    "Differences from tpm2_eventlog are listed in docs/ephemera-eventlog.md.\n";

enum {
	OPT_CCEL = 256,
	OPT_ALLOW_PADDING,
	OPT_PCRS_ONLY,
	OPT_IMA,
	OPT_IMA_FORMAT,
	OPT_IMA_BANK,
	OPT_IMA_PCR,
	OPT_COMPARE,
	OPT_EVENTLOG_VERSION,
};

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"ccel", no_argument, NULL, OPT_CCEL},
    {"allow-padding", no_argument, NULL, OPT_ALLOW_PADDING},
    {"pcrs-only", no_argument, NULL, OPT_PCRS_ONLY},
    {"ima", no_argument, NULL, OPT_IMA},
    {"ima-format", required_argument, NULL, OPT_IMA_FORMAT},
    {"ima-bank", required_argument, NULL, OPT_IMA_BANK},
    {"ima-pcr", required_argument, NULL, OPT_IMA_PCR},
    {"compare", required_argument, NULL, OPT_COMPARE},
    {"eventlog-version", required_argument, NULL, OPT_EVENTLOG_VERSION},
    {NULL, 0, NULL, 0},
};

/* Print "ephemera-eventlog: [what: ]msg" on one line, control bytes masked. */
static void report(const char *what, const char *msg)
{
	char line[EPH_ERR_MSG_MAX];
	size_t i;

	snprintf(line, sizeof(line), "%s", msg[0] != '\0' ? msg : "unknown error");
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (what != NULL)
		fprintf(stderr, "%s: %s: %s\n", EVCLI_NAME, what, line);
	else
		fprintf(stderr, "%s: %s\n", EVCLI_NAME, line);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s (see --help)\n", EVCLI_NAME, msg);
	return EVCLI_EXIT_USAGE;
}

static int exit_for(int rc)
{
	switch (rc) {
	case EPH_OK:
		return EVCLI_EXIT_OK;
	case EPH_EFORMAT:
		return EVCLI_EXIT_FORMAT;
	case EPH_EIO:
	case EPH_ENOTFOUND:
		return EVCLI_EXIT_IO;
	case EPH_EVERIFY:
		return EVCLI_EXIT_MISMATCH;
	case EPH_EUNSUPPORTED:
		return EVCLI_EXIT_UNSUPPORTED;
	default:
		return EVCLI_EXIT_INTERNAL;
	}
}

/* A decimal in [0, max]; 0 or -1. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out > max)
		return -1;
	return 0;
}

/*
 * Fill o from the command line. Returns 0 to go on, 1 when --help or
 * --version has been answered, or a negative exit code after a usage error.
 */
static int parse_args(struct evcli_opts *o, int argc, char **argv)
{
	unsigned long v;
	uint16_t alg;
	int c;

	memset(o, 0, sizeof(*o));
	o->ima_format = EVLOG_IMA_AUTO;
	o->ima_pcr = 10;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case 'V':
			printf("%s %s\n", EVCLI_NAME, EVCLI_VERSION);
			return 1;
		case OPT_CCEL:
			o->parse_flags |= EVLOG_F_CCEL | EVLOG_F_ALLOW_PADDING;
			break;
		case OPT_ALLOW_PADDING:
			o->parse_flags |= EVLOG_F_ALLOW_PADDING;
			break;
		case OPT_PCRS_ONLY:
			o->pcrs_only = 1;
			break;
		case OPT_IMA:
			o->ima = 1;
			break;
		case OPT_IMA_FORMAT:
			if (strcmp(optarg, "auto") == 0)
				o->ima_format = EVLOG_IMA_AUTO;
			else if (strcmp(optarg, "binary") == 0)
				o->ima_format = EVLOG_IMA_BINARY;
			else if (strcmp(optarg, "ascii") == 0)
				o->ima_format = EVLOG_IMA_ASCII;
			else
				return -usage_error("--ima-format must be auto, binary or ascii");
			o->ima = 1;
			break;
		case OPT_IMA_BANK:
			alg = eph_hash_from_name(optarg, strlen(optarg));
			if (alg == 0 || eph_hash_size(alg) == 0)
				return -usage_error("--ima-bank: unknown hash algorithm");
			if (o->num_ima_banks == EVCLI_MAX_IMA_BANKS)
				return -usage_error("--ima-bank given too often");
			o->ima_banks[o->num_ima_banks++] = alg;
			o->ima = 1;
			break;
		case OPT_IMA_PCR:
			if (parse_uint(optarg, EVLOG_NUM_PCRS - 1, &v) < 0)
				return -usage_error("--ima-pcr must be a PCR index 0..23");
			o->ima_pcr = (uint32_t)v;
			o->ima = 1;
			break;
		case OPT_COMPARE:
			o->compare = optarg;
			break;
		case OPT_EVENTLOG_VERSION:
			if (parse_uint(optarg, 1000, &v) < 0 || v != 1)
				return -usage_error(
				    "--eventlog-version: only version 1 is supported");
			break;
		case ':':
			return -usage_error("an option is missing its argument");
		default:
			return -usage_error("unknown option");
		}
	}
	if (optind >= argc)
		return -usage_error("missing FILE");
	if (optind + 1 < argc)
		return -usage_error("more than one FILE");
	o->path = argv[optind];
	if (o->num_ima_banks == 0) {
		o->ima_banks[o->num_ima_banks++] = EPH_ALG_SHA1;
		o->ima_banks[o->num_ima_banks++] = EPH_ALG_SHA256;
	}
	if (o->ima && (o->parse_flags != 0 || o->compare != NULL))
		return -usage_error("--ccel, --allow-padding and --compare apply to firmware logs");
	return 0;
}

static int run_firmware(const struct evcli_opts *o, const uint8_t *buf, size_t len,
                        const char *name)
{
	struct eph_err err = {{0}};
	struct evlog_replay *r = NULL;
	evlog_log *log = NULL;
	int rc;

	rc = evlog_parse(&log, buf, len, o->parse_flags, &err);
	if (rc < 0)
		goto fail;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rc = eph_err_set(&err, EPH_ENOMEM, "out of memory");
		goto fail;
	}
	rc = evlog_replay(r, log, &err);
	if (rc < 0)
		goto fail;
	if (o->pcrs_only)
		fputs("---\nversion: 1\n", stdout);
	else
		evcli_print_events(stdout, log);
	evcli_print_pcrs(stdout, r);
	if (o->compare != NULL) {
		rc = evcli_compare_pcrs(r, o->compare, &err);
		if (rc == EPH_ENOTFOUND)
			rc = EPH_EVERIFY; /* a bank the log does not have */
		if (rc < 0)
			goto fail;
	}
	rc = EVCLI_EXIT_OK;
	goto out;
fail:
	report(name, err.msg);
	rc = exit_for(rc);
out:
	free(r);
	evlog_free(log);
	return rc;
}

static int run_ima(const struct evcli_opts *o, const uint8_t *buf, size_t len, const char *name)
{
	struct eph_err err = {{0}};
	struct eph_err check_err = {{0}};
	evlog_ima *ima = NULL;
	size_t first_bad = 0;
	int rc, check;

	rc = evlog_ima_parse(&ima, buf, len, o->ima_format, &err);
	if (rc < 0)
		goto fail;
	check = evlog_ima_check_template_hashes(ima, &first_bad, &check_err);
	rc = evcli_print_ima(stdout, ima, o, &err);
	if (rc < 0)
		goto fail;
	if (check < 0) {
		rc = check;
		err = check_err;
		goto fail;
	}
	rc = EVCLI_EXIT_OK;
	goto out;
fail:
	report(name, err.msg);
	rc = exit_for(rc);
out:
	evlog_ima_free(ima);
	return rc;
}

int main(int argc, char **argv)
{
	struct eph_err err = {{0}};
	struct evcli_opts o;
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *name;
	int rc;

	rc = parse_args(&o, argc, argv);
	if (rc < 0)
		return -rc;
	if (rc == 1) {
		rc = EVCLI_EXIT_OK;
		goto flush;
	}
	name = strcmp(o.path, "-") == 0 ? "<stdin>" : o.path;
	rc = eph_file_read(&buf, &len, o.path, EVCLI_MAX_INPUT, &err);
	if (rc < 0) {
		report(NULL, err.msg); /* the message names the file */
		rc = exit_for(rc);
		goto out;
	}
	if (o.ima)
		rc = run_ima(&o, buf, len, name);
	else
		rc = run_firmware(&o, buf, len, name);
flush:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: writing standard output: %s\n", EVCLI_NAME, strerror(errno));
		if (rc == EVCLI_EXIT_OK)
			rc = EVCLI_EXIT_IO;
	}
out:
	free(buf);
	return rc;
}
