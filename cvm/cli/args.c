/*
 * args.c - the command line of ephemera-cvm: the subcommand, getopt_long
 * over its options, and strict parsing of every value (hex of an exact
 * size, dates, TCB lists, RTMR assignments) into struct cvm_opts.
 *
 * Everything wrong here is a usage error (exit 1) with one line naming the
 * option. Files are not opened here, except --report-data @FILE, whose
 * read errors are I/O errors (exit 3) like every other file's.
 * Not here: what the values mean for verification (snp_cmd.c, tdx_cmd.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cvmcli-priv.h"
#include "eph_file.h"
#include "eph_hash.h"
#include "eph_hex.h"

enum {
	OPT_SNP = 256,
	OPT_TDX,
	OPT_AT,
	OPT_NONCE,
	OPT_AK_NAME,
	OPT_REPORT_DATA,
	OPT_CRL,
	OPT_ALLOW_DEBUG,
	OPT_CERTS,
	OPT_CERTTABLE,
	OPT_VCEK,
	OPT_MEASUREMENT,
	OPT_ANY_MEASUREMENT,
	OPT_HOST_DATA,
	OPT_MIN_TCB,
	OPT_MAX_VMPL,
	OPT_ROOT,
	OPT_TCB_INFO,
	OPT_QE_IDENTITY,
	OPT_MRTD,
	OPT_RTMR,
	OPT_MRCONFIGID,
	OPT_MROWNER,
	OPT_MROWNERCONFIG,
	OPT_SEPT_VE,
	OPT_ACCEPT_TCB,
};

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"snp", required_argument, NULL, OPT_SNP},
    {"tdx", required_argument, NULL, OPT_TDX},
    {"at", required_argument, NULL, OPT_AT},
    {"nonce", required_argument, NULL, OPT_NONCE},
    {"ak-name", required_argument, NULL, OPT_AK_NAME},
    {"report-data", required_argument, NULL, OPT_REPORT_DATA},
    {"crl", required_argument, NULL, OPT_CRL},
    {"allow-debug", no_argument, NULL, OPT_ALLOW_DEBUG},
    {"certs", required_argument, NULL, OPT_CERTS},
    {"certtable", required_argument, NULL, OPT_CERTTABLE},
    {"vcek", required_argument, NULL, OPT_VCEK},
    {"measurement", required_argument, NULL, OPT_MEASUREMENT},
    {"any-measurement", no_argument, NULL, OPT_ANY_MEASUREMENT},
    {"host-data", required_argument, NULL, OPT_HOST_DATA},
    {"min-tcb", required_argument, NULL, OPT_MIN_TCB},
    {"max-vmpl", required_argument, NULL, OPT_MAX_VMPL},
    {"root", required_argument, NULL, OPT_ROOT},
    {"tcb-info", required_argument, NULL, OPT_TCB_INFO},
    {"qe-identity", required_argument, NULL, OPT_QE_IDENTITY},
    {"mrtd", required_argument, NULL, OPT_MRTD},
    {"rtmr", required_argument, NULL, OPT_RTMR},
    {"mrconfigid", required_argument, NULL, OPT_MRCONFIGID},
    {"mrowner", required_argument, NULL, OPT_MROWNER},
    {"mrownerconfig", required_argument, NULL, OPT_MROWNERCONFIG},
    {"require-sept-ve-disable", no_argument, NULL, OPT_SEPT_VE},
    {"accept-tcb-status", required_argument, NULL, OPT_ACCEPT_TCB},
    {NULL, 0, NULL, 0},
};

/* Which options belong to one technology or to verify only. */
#define ONLY_SNP 1u
#define ONLY_TDX 2u
#define ONLY_VERIFY 4u

struct seen {
	unsigned flags;    /* ONLY_* of options given */
	const char *which; /* the last such option, for the message */
	const char *nonce, *ak_name, *report_data;
};

static int usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s (see --help)\n", CVM_NAME, msg);
	return -CVM_EXIT_USAGE;
}

static int usage_error2(const char *opt, const char *msg)
{
	fprintf(stderr, "%s: --%s: %s (see --help)\n", CVM_NAME, opt, msg);
	return -CVM_EXIT_USAGE;
}

/* Exactly n bytes of hex. */
static int hex_exact(uint8_t *out, size_t n, const char *s)
{
	size_t len = strlen(s);

	if (len != 2 * n)
		return -1;
	return eph_hex_decode(out, n, s, len) == (long)n ? 0 : -1;
}

/* A decimal in [0, max]. */
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

/* n decimal digits at s into *v. */
static int digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* YYYY-MM-DD (12:00:00 UTC that day) or YYYY-MM-DDTHH:MM:SSZ. */
static int parse_date(const char *s, time_t *out)
{
	struct tm tm, back;
	int y, mo, d, h = 12, mi = 0, sec = 0;
	size_t len = strlen(s);

	if (len != 10 && len != 20)
		return -1;
	if (digits(s, 4, &y) < 0 || s[4] != '-' || digits(s + 5, 2, &mo) < 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) < 0)
		return -1;
	if (len == 20 && (s[10] != 'T' || digits(s + 11, 2, &h) < 0 || s[13] != ':' ||
	                  digits(s + 14, 2, &mi) < 0 || s[16] != ':' ||
	                  digits(s + 17, 2, &sec) < 0 || s[19] != 'Z'))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	/* timegm normalises 2023-02-30 to March: refuse what does not round-trip. */
	if (*out == (time_t)-1 || gmtime_r(out, &back) == NULL || back.tm_mday != d ||
	    back.tm_mon != mo - 1)
		return -1;
	return 0;
}

/* BL,TEE,SNP,UCODE[,FMC], each 0..255. */
static int parse_tcb(const char *s, struct snp_tcb *t)
{
	unsigned long v[5];
	char part[8];
	size_t n = 0, k;
	const char *p = s;

	for (;;) {
		k = strcspn(p, ",");
		if (n == 5 || k == 0 || k >= sizeof(part))
			return -1;
		memcpy(part, p, k);
		part[k] = '\0';
		if (parse_uint(part, 255, &v[n++]) < 0)
			return -1;
		if (p[k] == '\0')
			break;
		p += k + 1;
	}
	if (n < 4)
		return -1;
	memset(t, 0, sizeof(*t));
	t->bootloader = (uint8_t)v[0];
	t->tee = (uint8_t)v[1];
	t->snp = (uint8_t)v[2];
	t->microcode = (uint8_t)v[3];
	t->fmc = n == 5 ? (uint8_t)v[4] : 0;
	return 0;
}

static int parse_accept(const char *s, unsigned *mask)
{
	int st;

	for (st = TDX_TCB_UP_TO_DATE; st < TDX_TCB_REVOKED; st++)
		if (strcmp(s, tdx_tcb_status_name((enum tdx_tcb_status)st)) == 0) {
			*mask |= 1u << st;
			return 0;
		}
	return -1;
}

/* An option of one technology / of verify only: remember for the checks. */
static void mark(struct seen *s, unsigned flags, const char *name)
{
	s->flags |= flags;
	if (flags & (ONLY_SNP | ONLY_TDX))
		s->which = name;
}

static int one_opt(struct cvm_opts *o, struct seen *s, int c, const char *name)
{
	unsigned long v;
	uint8_t *m;

	switch (c) {
	case OPT_SNP:
	case OPT_TDX:
		if (o->tech != CVM_TECH_NONE)
			return usage_error("give one of --snp and --tdx, once");
		o->tech = c == OPT_SNP ? CVM_TECH_SNP : CVM_TECH_TDX;
		o->input = optarg;
		return 0;
	case OPT_AT:
		mark(s, ONLY_VERIFY, name);
		if (parse_date(optarg, &o->at) < 0)
			return usage_error2(name, "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		o->at_given = true;
		return 0;
	case OPT_NONCE:
		mark(s, ONLY_VERIFY, name);
		s->nonce = optarg;
		return 0;
	case OPT_AK_NAME:
		mark(s, ONLY_VERIFY, name);
		s->ak_name = optarg;
		return 0;
	case OPT_REPORT_DATA:
		mark(s, ONLY_VERIFY, name);
		s->report_data = optarg;
		return 0;
	case OPT_CRL:
		mark(s, ONLY_VERIFY, name);
		if (o->n_crls == CVM_MAX_FILES)
			return usage_error2(name, "given too often");
		o->crls[o->n_crls++] = optarg;
		return 0;
	case OPT_ALLOW_DEBUG:
		mark(s, ONLY_VERIFY, name);
		o->allow_debug = true;
		o->snp.allow_debug = true;
		return 0;
	case OPT_CERTS:
		mark(s, ONLY_SNP | ONLY_VERIFY, name);
		o->certs_dir = optarg;
		return 0;
	case OPT_CERTTABLE:
		mark(s, ONLY_SNP, name); /* parse --certtable prints the table */
		o->certtable = optarg;
		return 0;
	case OPT_VCEK:
		mark(s, ONLY_SNP | ONLY_VERIFY, name);
		o->vcek = optarg;
		return 0;
	case OPT_MEASUREMENT:
		mark(s, ONLY_SNP | ONLY_VERIFY, name);
		if (o->snp.n_measurements == SNP_POLICY_MAX_MEASUREMENTS)
			return usage_error2(name, "given too often");
		m = o->snp.measurements[o->snp.n_measurements];
		if (hex_exact(m, SNP_MEASUREMENT_SIZE, optarg) < 0)
			return usage_error2(name, "expected 96 hex digits (48 bytes)");
		o->snp.n_measurements++;
		return 0;
	case OPT_ANY_MEASUREMENT:
		mark(s, ONLY_SNP | ONLY_VERIFY, name);
		o->snp.any_measurement = true;
		return 0;
	case OPT_HOST_DATA:
		mark(s, ONLY_SNP | ONLY_VERIFY, name);
		if (hex_exact(o->snp.host_data, SNP_HOST_DATA_SIZE, optarg) < 0)
			return usage_error2(name, "expected 64 hex digits (32 bytes)");
		o->snp.check_host_data = true;
		return 0;
	case OPT_MIN_TCB:
		mark(s, ONLY_SNP | ONLY_VERIFY, name);
		if (parse_tcb(optarg, &o->snp.min_tcb) < 0)
			return usage_error2(name, "expected BL,TEE,SNP,UCODE[,FMC], each 0..255");
		return 0;
	case OPT_MAX_VMPL:
		mark(s, ONLY_SNP | ONLY_VERIFY, name);
		if (parse_uint(optarg, 3, &v) < 0)
			return usage_error2(name, "expected a VMPL 0..3");
		o->snp.max_vmpl = (uint32_t)v;
		return 0;
	case OPT_ROOT:
		mark(s, ONLY_TDX | ONLY_VERIFY, name);
		o->root = optarg;
		return 0;
	case OPT_TCB_INFO:
		mark(s, ONLY_TDX | ONLY_VERIFY, name);
		o->tcb_info = optarg;
		return 0;
	case OPT_QE_IDENTITY:
		mark(s, ONLY_TDX | ONLY_VERIFY, name);
		o->qe_identity = optarg;
		return 0;
	case OPT_MRTD:
		mark(s, ONLY_TDX | ONLY_VERIFY, name);
		if (o->n_mrtd == SNP_POLICY_MAX_MEASUREMENTS)
			return usage_error2(name, "given too often");
		if (hex_exact(o->mrtd[o->n_mrtd], TDX_MR_SIZE, optarg) < 0)
			return usage_error2(name, "expected 96 hex digits (48 bytes)");
		o->n_mrtd++;
		return 0;
	case OPT_RTMR:
		mark(s, ONLY_TDX | ONLY_VERIFY, name);
		if (optarg[0] < '0' || optarg[0] > '3' || optarg[1] != '=')
			return usage_error2(name, "expected N=HEX with N 0..3");
		v = (unsigned long)(optarg[0] - '0');
		if (hex_exact(o->rtmr[v], TDX_MR_SIZE, optarg + 2) < 0)
			return usage_error2(name, "expected N=HEX with 96 hex digits (48 bytes)");
		o->have_rtmr[v] = true;
		return 0;
	case OPT_MRCONFIGID:
	case OPT_MROWNER:
	case OPT_MROWNERCONFIG:
		mark(s, ONLY_TDX | ONLY_VERIFY, name);
		m = c == OPT_MRCONFIGID ? o->mrconfigid : c == OPT_MROWNER ? o->mrowner
		                                                             : o->mrownerconfig;
		if (hex_exact(m, TDX_MR_SIZE, optarg) < 0)
			return usage_error2(name, "expected 96 hex digits (48 bytes)");
		o->have_mrconfigid |= c == OPT_MRCONFIGID;
		o->have_mrowner |= c == OPT_MROWNER;
		o->have_mrownerconfig |= c == OPT_MROWNERCONFIG;
		return 0;
	case OPT_SEPT_VE:
		mark(s, ONLY_TDX | ONLY_VERIFY, name);
		o->require_sept_ve_disable = true;
		return 0;
	case OPT_ACCEPT_TCB:
		mark(s, ONLY_TDX | ONLY_VERIFY, name);
		if (parse_accept(optarg, &o->accept_tcb) < 0)
			return usage_error2(name, "expected UpToDate, SWHardeningNeeded, "
			                          "ConfigurationNeeded, "
			                          "ConfigurationAndSWHardeningNeeded, OutOfDate "
			                          "or OutOfDateConfigurationNeeded");
		return 0;
	case ':':
		return usage_error("an option is missing its argument");
	default:
		return usage_error("unknown option");
	}
}

/* --report-data HEX|@FILE (1..64 bytes, zero-padded) or --nonce + --ak-name. */
static int report_data(struct cvm_opts *o, const struct seen *s)
{
	uint8_t nonce[256], ak[256];
	long nn, na;

	if (s->report_data != NULL && (s->nonce != NULL || s->ak_name != NULL))
		return usage_error("--report-data excludes --nonce and --ak-name");
	if ((s->nonce == NULL) != (s->ak_name == NULL))
		return usage_error("--nonce and --ak-name go together");
	if (s->nonce != NULL) {
		nn = eph_hex_decode(nonce, sizeof(nonce), s->nonce, strlen(s->nonce));
		na = eph_hex_decode(ak, sizeof(ak), s->ak_name, strlen(s->ak_name));
		if (nn <= 0 || na <= 0)
			return usage_error("--nonce and --ak-name take 1..256 bytes of hex");
		if (eph_bind_report_data(o->report_data, nonce, (size_t)nn, ak, (size_t)na) < 0) {
			fprintf(stderr, "%s: SHA-512 failed\n", CVM_NAME);
			return -CVM_EXIT_INTERNAL;
		}
		o->have_report_data = true;
		return 0;
	}
	if (s->report_data == NULL)
		return 0;
	o->have_report_data = true;
	if (s->report_data[0] == '@')
		return 0; /* read by cvm_read_report_data */
	nn = eph_hex_decode(o->report_data, sizeof(o->report_data), s->report_data,
	                    strlen(s->report_data));
	if (nn <= 0)
		return usage_error("--report-data takes 1..64 bytes of hex (zero-padded) or @FILE");
	return 0;
}

static int read_report_data_file(struct cvm_opts *o, const char *path)
{
	struct eph_err err = {{0}};
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = eph_file_read(&buf, &len, path, 4096, &err);
	if (rc < 0) {
		cvm_report(NULL, err.msg);
		return -cvm_exit_for_input(rc);
	}
	if (len == 0 || len > sizeof(o->report_data)) {
		free(buf);
		fprintf(stderr, "%s: %s: report data must be 1..64 bytes, not %zu\n", CVM_NAME,
		        path, len);
		return -CVM_EXIT_FORMAT;
	}
	memcpy(o->report_data, buf, len);
	free(buf);
	return 0;
}

static int check_combination(const struct cvm_opts *o, const struct seen *s)
{
	if (o->tech == CVM_TECH_NONE && !(o->cmd == CVM_CMD_PARSE && o->certtable != NULL))
		return usage_error("give --snp FILE or --tdx FILE");
	if (o->tech == CVM_TECH_TDX && (s->flags & ONLY_SNP))
		return usage_error2(s->which, "applies to --snp");
	if (o->tech == CVM_TECH_SNP && (s->flags & ONLY_TDX))
		return usage_error2(s->which, "applies to --tdx");
	if (o->cmd == CVM_CMD_PARSE && (s->flags & ONLY_VERIFY))
		return usage_error("parse takes only --snp, --tdx and --certtable; the other "
		                   "options belong to verify");
	if (o->cmd != CVM_CMD_VERIFY)
		return 0;
	if (o->tech == CVM_TECH_SNP) {
		if (o->certtable != NULL && o->vcek != NULL)
			return usage_error("--certtable and --vcek both name the key: give one");
		if (o->certs_dir == NULL && o->certtable == NULL && o->vcek == NULL)
			return usage_error("verify --snp needs --certs, --certtable or --vcek");
	}
	if (o->tech == CVM_TECH_TDX && o->root == NULL)
		return usage_error("verify --tdx needs --root (the Intel SGX Root CA, PEM)");
	return 0;
}

int cvm_parse_args(struct cvm_opts *o, int argc, char **argv)
{
	struct seen s;
	int c, idx, rc;

	memset(o, 0, sizeof(*o));
	memset(&s, 0, sizeof(s));
	o->accept_tcb = 1u << TDX_TCB_UP_TO_DATE;
	if (argc < 2)
		return usage_error("missing command (verify or parse)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(cvm_usage_text, stdout);
		return 1;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", CVM_NAME, CVM_VERSION);
		return 1;
	}
	if (strcmp(argv[1], "verify") == 0)
		o->cmd = CVM_CMD_VERIFY;
	else if (strcmp(argv[1], "parse") == 0)
		o->cmd = CVM_CMD_PARSE;
	else
		return usage_error("unknown command: expected verify or parse");
	opterr = 0;
	optind = 1;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, ":hV", long_opts, &idx)) != -1) {
		if (c == 'h') {
			fputs(cvm_usage_text, stdout);
			return 1;
		}
		if (c == 'V') {
			printf("%s %s\n", CVM_NAME, CVM_VERSION);
			return 1;
		}
		rc = one_opt(o, &s, c, c >= OPT_SNP ? long_opts[idx].name : "");
		if (rc < 0)
			return rc;
	}
	if (optind < argc)
		return usage_error("unexpected argument (files are given with --snp or --tdx)");
	rc = check_combination(o, &s);
	if (rc == 0)
		rc = report_data(o, &s);
	if (rc == 0 && s.report_data != NULL && s.report_data[0] == '@')
		rc = read_report_data_file(o, s.report_data + 1);
	if (rc == 0 && !o->at_given)
		o->at = time(NULL);
	return rc;
}
