/*
 * config.c - ephemera-agent's command line and configuration file. Every
 * key has one name: "key = value" in the file given by --config ('#'
 * starts a comment line, blank lines are ignored, the value runs to the end
 * of the line, surrounding blanks removed) and --key VALUE or --key=VALUE
 * on the command line, where '-' and '_' are the same ("--state-dir").
 * Command-line values override the file's. An unknown key or a bad value
 * is refused naming FILE:LINE.
 *
 * Not here: checking that the broker URL, pin or CA file are usable
 * (agentc_new does that) or acting on the options (main.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "eph_conf.h"
#include "eph_file.h"
#include "tpmq.h"

#define CONFIG_MAX (64u << 10)
#define PROG "ephemera-agent"

static const char usage_text[] =
    "NAME\n"
    "    ephemera-agent - enrol this machine's TPM with the Ephemera broker and\n"
    "    re-attest it periodically\n"
    "\n"
    "SYNOPSIS\n"
    "    ephemera-agent --config FILE [OPTION...]\n"
    "    ephemera-agent --broker URL --pin PIN [OPTION...]\n"
    "\n"
    "DESCRIPTION\n"
    "    Opens the TPM, enrols once with the broker (EK certificate, AK\n"
    "    created under the EK, credential activation; the agent id and the\n"
    "    TPM-wrapped AK are kept in the state folder and reloaded on restart;\n"
    "    when they are lost or the TPM no longer accepts them it enrols\n"
    "    again), then attests: challenge, TPM quote, firmware event log, the\n"
    "    IMA entries not yet accepted, and a SEV-SNP/TDX report when present.\n"
    "    It re-attests every period, or sooner when the broker's deadline\n"
    "    requires. Network failures are retried with exponential backoff (1 s\n"
    "    doubling to 5 min, randomised). A refusal by the broker (directive\n"
    "    \"shutdown\", or HTTP 403/409/422 on attest) ends the agent with exit\n"
    "    status 5: the lifecycle manager decides what happens to the machine.\n"
    "    HTTPS with TLS 1.3 only, the broker's key pinned and/or its CA given.\n"
    "\n"
    "    One line per event goes to standard error (the journal under systemd):\n"
    "        TIME LEVEL EVENT key=value ...\n"
    "    e.g. 2026-01-02T03:04:05Z INFO attested agent=... verdict=affirming\n"
    "         configuration=affirming executables=affirming directive=continue\n"
    "         deadline=2026-01-02T03:09:05Z next_s=60\n"
    "\n"
    "OPTIONS (each also a \"key = value\" line of the --config file, '-' as '_')\n"
    "    --config FILE        read the keys from FILE first\n"
    "    --broker URL         https://host:port of the broker            [required]\n"
    "    --pin PIN            sha256//BASE64 of the broker's public key (several\n"
    "                         joined by ';')               [pin and/or cacert]\n"
    "    --cacert PEM         CA certificates for the broker's certificate\n"
    "    --unix-socket PATH   reach the broker through this AF_UNIX socket (the\n"
    "                         URL then only names the TLS peer); for sandboxes\n"
    "                         whose network policy gives no route to the broker\n"
    "    --tcti CONF          TPM: e.g. device:/dev/tpmrm0, swtpm:host=H,port=P\n"
    "                         (default: the TCTI loader's default)\n"
    "    --state-dir DIR      agent id and AK (default " AGENTD_DEFAULT_STATE_DIR ")\n"
    "    --period-s N         re-attestation period in seconds (default 60); the\n"
    "                         broker's deadline takes precedence when sooner\n"
    "    --eventlog FILE      firmware event log (default\n"
    "                         " AGENTC_DEFAULT_EVENTLOG ",\n"
    "                         omitted when absent; empty: never sent)\n"
    "    --ima FILE           IMA binary list (default\n"
    "                         " AGENTC_DEFAULT_IMA ";\n"
    "                         empty: never sent); sent incrementally\n"
    "    --boot-id FILE       boot id (default " AGENTC_DEFAULT_BOOT_ID ")\n"
    "    --pcrs SEL           PCR selection (default " AGENTC_DEFAULT_PCRS ")\n"
    "    --tsm-root DIR       configfs-tsm report folder (libtsm default if unset)\n"
    "    --cvm auto|none|require  SEV-SNP/TDX evidence (default auto)\n"
    "    --ak-alg rsa|ecc     AK algorithm at enrolment (default rsa: RSA 2048;\n"
    "                         ecc: ECDSA P-256)\n"
    "    --hostname NAME      name sent at enrolment (default gethostname())\n"
    "    --start-timeout S    give up (exit 4) when the broker cannot be reached\n"
    "                         or authenticated for S seconds at start (default\n"
    "                         60; 0: never give up)\n"
    "    --once               one round (enrol if needed, attest), then exit\n"
    "    -v, --verbose        debug lines too\n"
    "    -h, --help           this text;   --version   the version\n"
    "\n"
    "SIGNALS\n"
    "    SIGTERM, SIGINT   finish the current round, exit 0\n"
    "\n"
    "EXIT STATUS\n"
    "    0 stopped by a signal, or --once attested   1 bad command line\n"
    "    2 bad configuration (FILE:LINE named)   3 no TPM (the TCTI is named)\n"
    "    4 the broker could not be reached or authenticated within\n"
    "      --start-timeout   5 refused by the broker (directive shutdown,\n"
    "      HTTP 403/409/422 on attest, enrolment refused)   6 internal error\n"
    "\n"
    "FILES\n"
    "    /etc/ephemera/agent.conf   the usual --config (see\n"
    "                               packaging/ephemera-agent.conf.example)\n"
    "    " AGENTD_DEFAULT_STATE_DIR "/   state folder (0700)\n"
    "\n"
    "SEE ALSO\n"
    "    ephemera-broker(8), ephemeractl(1), docs/ephemera-agent.md\n";

enum kind { K_STR, K_SECONDS, K_CVM, K_AKALG, K_FLAG };

struct opt {
	const char *name;
	enum kind kind;
	size_t off;   /* into struct agentd_opts */
	int cli_only; /* refused in the file */
};

#define O(f) offsetof(struct agentd_opts, f)
static const struct opt opts[] = {
    {"config", K_STR, O(config), 1},
    {"broker", K_STR, O(broker), 0},
    {"pin", K_STR, O(pin), 0},
    {"cacert", K_STR, O(cacert), 0},
    {"tcti", K_STR, O(tcti), 0},
    {"unix_socket", K_STR, O(unix_socket), 0},
    {"state_dir", K_STR, O(state_dir), 0},
    {"period_s", K_SECONDS, O(period_s), 0},
    {"eventlog", K_STR, O(eventlog), 0},
    {"ima", K_STR, O(ima), 0},
    {"boot_id", K_STR, O(boot_id), 0},
    {"pcrs", K_STR, O(pcrs), 0},
    {"tsm_root", K_STR, O(tsm_root), 0},
    {"cvm", K_CVM, O(cvm), 0},
    {"ak_alg", K_AKALG, O(ak_alg), 0},
    {"hostname", K_STR, O(hostname), 0},
    {"start_timeout", K_SECONDS, O(start_timeout_s), 0},
    {"once", K_FLAG, O(once), 1},
    {"verbose", K_FLAG, O(verbose), 0},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* name[0..len) against an option name, '-' and '_' alike. */
static const struct opt *find(const char *name, size_t len)
{
	size_t i, j;

	for (i = 0; i < NOPTS; i++) {
		const char *n = opts[i].name;

		if (strlen(n) != len)
			continue;
		for (j = 0; j < len; j++) {
			char c = name[j] == '-' ? '_' : name[j];

			if (c != n[j])
				break;
		}
		if (j == len)
			return &opts[i];
	}
	return NULL;
}

static int parse_seconds(unsigned long *out, const char *s)
{
	char *end = NULL;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end != '\0' || *out > 7 * 86400UL ? -1 : 0;
}

/* Store val into o; -1 with a message naming where on a bad value. */
static int set(struct agentd_opts *o, const struct opt *op, const char *val, const char *where)
{
	char *base = (char *)o;
	unsigned long n;

	switch (op->kind) {
	case K_STR:
		*(const char **)(base + op->off) = val;
		return 0;
	case K_SECONDS:
		if (parse_seconds(&n, val) < 0)
			break;
		if (op->off == O(period_s) && n == 0)
			break;
		*(unsigned long *)(base + op->off) = n;
		return 0;
	case K_CVM:
		if (strcmp(val, "auto") == 0)
			o->cvm = AGENTC_CVM_AUTO;
		else if (strcmp(val, "none") == 0)
			o->cvm = AGENTC_CVM_NONE;
		else if (strcmp(val, "require") == 0)
			o->cvm = AGENTC_CVM_REQUIRE;
		else
			break;
		return 0;
	case K_AKALG:
		if (strcmp(val, "rsa") == 0)
			o->ak_alg = TPMQ_RSA2048;
		else if (strcmp(val, "ecc") == 0)
			o->ak_alg = TPMQ_ECC_P256;
		else
			break;
		return 0;
	case K_FLAG:
		*(int *)(base + op->off) = 1;
		return 0;
	}
	fprintf(stderr, PROG ": %s: bad value \"%s\" for %s\n", where, val, op->name);
	return -1;
}

/* One setting of the config file (eph_conf_parse callback). */
static int file_setting(void *ctx, const struct eph_conf_line *l, struct eph_err *err)
{
	struct agentd_opts *o = ctx;
	const struct opt *op = find(l->key, strlen(l->key));
	const char *val = l->val;

	if (op == NULL || op->cli_only)
		return eph_err_set(err, EPH_EFORMAT, "%s: unknown key \"%s\"", l->where, l->key);
	if (op->kind == K_FLAG) {
		if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0)
			val = "1";
		else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0)
			return 0;
		else
			return eph_err_set(err, EPH_EFORMAT, "%s: bad value \"%s\" for %s (yes|no)",
					   l->where, val, l->key);
	}
	/* set() prints its own message. */
	return set(o, op, val, l->where) < 0 ? EPH_EFORMAT : 0;
}

static int load_file(struct agentd_opts *o, const char *path)
{
	struct eph_err err = {{0}};
	size_t len = 0;

	if (eph_file_read((uint8_t **)&o->file_text, &len, path, CONFIG_MAX, &err) < 0 ||
	    eph_conf_parse(o->file_text, len, path, file_setting, o, &err) < 0) {
		if (err.msg[0] != '\0')
			fprintf(stderr, PROG ": %s\n", err.msg);
		return -1;
	}
	return 0;
}

int agentd_opts_parse(struct agentd_opts *o, int argc, char **argv, int *code)
{
	int i, pass;

	memset(o, 0, sizeof(*o));
	o->state_dir = AGENTD_DEFAULT_STATE_DIR;
	o->period_s = AGENTD_DEFAULT_PERIOD_S;
	o->start_timeout_s = AGENTD_DEFAULT_START_TIMEOUT_S;
	*code = AGENTD_EXIT_USAGE;
	/* Pass 0 finds --config (and --help); pass 1 applies the flags over the file. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 1; i < argc; i++) {
			const char *a = argv[i], *val = NULL, *eq;
			const struct opt *op;

			if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
				fputs(usage_text, stdout);
				return 1;
			}
			if (strcmp(a, "--version") == 0) {
				printf(PROG " %s\n", EPH_VERSION);
				return 1;
			}
			if (strcmp(a, "-v") == 0)
				a = "--verbose";
			if (strncmp(a, "--", 2) != 0) {
				fprintf(stderr, PROG ": unexpected argument \"%s\" (see --help)\n",
				        a);
				return -1;
			}
			a += 2;
			eq = strchr(a, '=');
			op = find(a, eq ? (size_t)(eq - a) : strlen(a));
			if (op == NULL) {
				fprintf(stderr, PROG ": unknown option --%s (see --help)\n", a);
				return -1;
			}
			if (op->kind != K_FLAG) {
				if (eq != NULL)
					val = eq + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else {
					fprintf(stderr, PROG ": --%s needs a value\n", a);
					return -1;
				}
			} else if (eq != NULL) {
				fprintf(stderr, PROG ": --%s takes no value\n", op->name);
				return -1;
			}
			if ((pass == 0) != (op->off == O(config)))
				continue;
			if (set(o, op, val ? val : "", "command line") < 0)
				return -1;
		}
		if (pass == 0 && o->config != NULL && load_file(o, o->config) < 0) {
			*code = AGENTD_EXIT_CONFIG;
			return -1;
		}
	}
	if (o->broker == NULL || (o->pin == NULL && o->cacert == NULL)) {
		fprintf(stderr, PROG ": broker and pin (or cacert) are required (see --help)\n");
		*code = o->config ? AGENTD_EXIT_CONFIG : AGENTD_EXIT_USAGE;
		return -1;
	}
	return 0;
}

void agentd_opts_free(struct agentd_opts *o)
{
	free(o->file_text);
	o->file_text = NULL;
}
