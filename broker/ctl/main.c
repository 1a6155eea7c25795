/*
 * main.c - ephemeractl: command line, help, dispatch, and the mapping of
 * failures to exit codes. The subcommands live in envs.c, agents.c and
 * policy_cmd.c; output formatting in render.c.
 *
 * Not here: TLS and HTTP (libagentc), wire encoding (libwire).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char usage_text[] =
    "Usage: ephemeractl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Talk to an Ephemera broker over its HTTPS API (TLS 1.3, pinned key).\n"
    "\n"
    "Commands:\n"
    "  environments create --token FILE | --ref-env ID\n"
    "                          request an environment: FILE holds a COSE_Sign1 CWT\n"
    "                          from a trusted issuer (binary), or name the\n"
    "                          requester's own attested environment\n"
    "  environments get ID     show one environment\n"
    "  environments list [--state S]\n"
    "                          list environments, optionally in lifecycle state S\n"
    "                          (requested, admitted, provisioning, attesting,\n"
    "                          running, re-attesting, draining, destroyed, failed)\n"
    "  environments delete ID  drain and destroy an environment\n"
    "  agents list             enrolled agents\n"
    "  attestations AGENT_ID   an agent's attestation history, oldest first\n"
    "  policy explain --attrs FILE --policy DIR\n"
    "                          (local, no broker) which policy rules match the\n"
    "                          attributes in FILE and the policy they compose to\n"
    "  (\"env\" may be written for \"environments\")\n"
    "\n"
    "Global options:\n"
    "  --broker URL     broker base URL, https://HOST:PORT\n"
    "                   (default: $EPHEMERA_BROKER)\n"
    "  --pin PIN        the broker key's pin, sha256//BASE64 of its\n"
    "                   SubjectPublicKeyInfo SHA-256; several joined with ';'\n"
    "                   (default: $EPHEMERA_PIN)\n"
    "  --cacert FILE    PEM CA certificates for the broker's certificate\n"
    "                   (default: $EPHEMERA_CACERT). At least one of --pin and\n"
    "                   --cacert is required; with only a pin the certificate\n"
    "                   chain and host name are not checked, the pin is the trust.\n"
    "  --json           machine-readable JSON on stdout instead of tables/YAML\n"
    "  --timeout SEC    whole-request timeout (default 30)\n"
    "  -h, --help       this text\n"
    "  --version        print the version\n"
    "\n"
    "Output: lists are aligned tables, single objects YAML; with --json the\n"
    "broker's JSON document (lists) or the object as JSON. Errors go to stderr\n"
    "as one line naming what failed (TLS, HTTP status and the broker's error\n"
    "code and message).\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  failure without a more specific code\n"
    "  2  usage error\n"
    "  3  broker unreachable: connect, TLS handshake (TLS 1.3 required),\n"
    "     timeout, response larger than the bound\n"
    "  4  broker certificate not trusted: pin mismatch or CA verification\n"
    "  5  the broker refused the request (HTTP 4xx)\n"
    "  6  not found (HTTP 404)\n"
    "  7  broker failure (HTTP 5xx) or an answer that does not parse\n"
    "  8  a local input file is unreadable or malformed\n"
    "\n"
    "Examples:\n"
    "  ephemeractl --broker https://127.0.0.1:8443 --pin sha256//Xy...= agents list\n"
    "  ephemeractl --cacert ca.pem --broker https://broker:8443 env create --token t.cwt\n"
    "  ephemeractl --json env list --state running | jq '.environments[].env_id'\n";

int ephctl_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("ephemeractl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int ephctl_exit_for(int rc, const struct agentc_refusal *ref)
{
	switch (rc) {
	case EPH_EVERIFY:
		return EPHCTL_TLS_VERIFY;
	case EPH_ENOTFOUND:
		return EPHCTL_NOT_FOUND;
	case EPH_EPOLICY:
		return EPHCTL_REFUSED;
	case EPH_EFORMAT:
		return EPHCTL_BROKER;
	case EPH_EIO:
		return ref != NULL && ref->http_status >= 500 ? EPHCTL_BROKER : EPHCTL_UNREACHABLE;
	default:
		return EPHCTL_FAILURE;
	}
}

int ephctl_conn(agentc **out, struct ephctl *c)
{
	struct agentc_config cfg = {0};
	struct eph_err err = {{0}};
	int rc;

	if (c->conn != NULL) {
		*out = c->conn;
		return 0;
	}
	if (c->broker == NULL)
		return ephctl_fail(EPHCTL_USAGE,
		                   "no broker: give --broker URL or set EPHEMERA_BROKER");
	cfg.broker_url = c->broker;
	cfg.pin = c->pin;
	cfg.cacert = c->cacert;
	cfg.timeout_ms = c->timeout_s * 1000;
	rc = agentc_new(&c->conn, &cfg, &err);
	if (rc < 0)
		return ephctl_fail(rc == EPH_EIO ? EPHCTL_INPUT : EPHCTL_USAGE, "%s", err.msg);
	*out = c->conn;
	return 0;
}

int ephctl_request(struct agentc_response *resp, struct ephctl *c, const char *method,
                   const char *path, const char *accept, const char *ctype, const uint8_t *body,
                   size_t len)
{
	struct agentc_refusal ref;
	struct eph_err err = {{0}};
	agentc *a = NULL;
	int rc;

	rc = ephctl_conn(&a, c);
	if (rc != 0)
		return rc;
	rc = agentc_call(resp, &ref, a, method, path, accept, ctype, body, len, &err);
	if (rc < 0)
		return ephctl_fail(ephctl_exit_for(rc, &ref), "%s", err.msg);
	return 0;
}

int ephctl_escape(char *out, size_t outlen, const char *seg)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;

	for (; *seg != '\0'; seg++) {
		unsigned char ch = (unsigned char)*seg;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			if (j + 1 >= outlen)
				return -1;
			out[j++] = (char)ch;
		} else {
			if (j + 3 >= outlen)
				return -1;
			out[j++] = '%';
			out[j++] = hex[ch >> 4];
			out[j++] = hex[ch & 15];
		}
	}
	if (j >= outlen)
		return -1;
	out[j] = '\0';
	return 0;
}

#ifndef EPHCTL_HAVE_POLICY
int ephctl_policy(struct ephctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return ephctl_fail(EPHCTL_FAILURE,
	                   "policy explain: this ephemeractl was built without the policy "
	                   "engine (broker/policy)");
}
#endif

enum {
	OPT_BROKER = 256,
	OPT_PIN,
	OPT_CACERT,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_TOKEN,
	OPT_REF_ENV,
	OPT_STATE,
	OPT_ATTRS,
	OPT_POLICY,
	OPT_VERSION
};

static const struct option long_opts[] = {
    {"broker", required_argument, NULL, OPT_BROKER},
    {"pin", required_argument, NULL, OPT_PIN},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"json", no_argument, NULL, OPT_JSON},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"ref-env", required_argument, NULL, OPT_REF_ENV},
    {"state", required_argument, NULL, OPT_STATE},
    {"attrs", required_argument, NULL, OPT_ATTRS},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int parse_timeout(long *out, const char *s)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 3600)
		return -1;
	*out = v;
	return 0;
}

/* Options given to a command they do not belong to. */
static int stray_options(const struct ephctl *c, const char *cmd)
{
	int envs = strcmp(cmd, "environments") == 0 || strcmp(cmd, "env") == 0;
	int policy = strcmp(cmd, "policy") == 0;

	if (!envs && (c->token != NULL || c->ref_env != NULL || c->state != NULL))
		return 1;
	return !policy && (c->attrs != NULL || c->policy != NULL);
}

int main(int argc, char **argv)
{
	struct ephctl c;
	int opt, rc;

	memset(&c, 0, sizeof(c));
	c.broker = env_or_null("EPHEMERA_BROKER");
	c.pin = env_or_null("EPHEMERA_PIN");
	c.cacert = env_or_null("EPHEMERA_CACERT");
	c.timeout_s = 30;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_BROKER:
			c.broker = optarg;
			break;
		case OPT_PIN:
			c.pin = optarg;
			break;
		case OPT_CACERT:
			c.cacert = optarg;
			break;
		case OPT_JSON:
			c.json = 1;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(&c.timeout_s, optarg) < 0)
				return ephctl_fail(EPHCTL_USAGE,
				                   "--timeout: expected 1..3600 seconds, got '%s'",
				                   optarg);
			break;
		case OPT_TOKEN:
			c.token = optarg;
			break;
		case OPT_REF_ENV:
			c.ref_env = optarg;
			break;
		case OPT_STATE:
			c.state = optarg;
			break;
		case OPT_ATTRS:
			c.attrs = optarg;
			break;
		case OPT_POLICY:
			c.policy = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EPHCTL_OK;
		case OPT_VERSION:
			puts("ephemeractl " EPH_VERSION);
			return EPHCTL_OK;
		default:
			fputs("Try 'ephemeractl --help'.\n", stderr);
			return EPHCTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return ephctl_fail(EPHCTL_USAGE, "no command (try --help)");
	if (stray_options(&c, argv[0]))
		return ephctl_fail(EPHCTL_USAGE,
		                   "%s: --token/--ref-env/--state belong to environments, "
		                   "--attrs/--policy to policy explain",
		                   argv[0]);
	if (strcmp(argv[0], "environments") == 0 || strcmp(argv[0], "env") == 0)
		rc = ephctl_envs(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "agents") == 0)
		rc = ephctl_agents(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "attestations") == 0)
		rc = ephctl_attestations(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "policy") == 0)
		rc = ephctl_policy(&c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "help") == 0) {
		fputs(usage_text, stdout);
		rc = EPHCTL_OK;
	} else
		rc = ephctl_fail(EPHCTL_USAGE, "unknown command '%s' (try --help)", argv[0]);
	agentc_free(c.conn);
	if (fflush(stdout) != 0 && rc == EPHCTL_OK)
		rc = ephctl_fail(EPHCTL_FAILURE, "writing the output failed");
	return rc;
}
