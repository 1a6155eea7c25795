/*
 * opts.c - ephemera-broker's command line and configuration file. Every
 * option has one name, used as --NAME VALUE (or --NAME=VALUE) on the
 * command line and as "NAME = VALUE" in the file given by --config
 * ('#' starts a comment, blank lines are ignored, values are taken
 * literally up to the end of the line, trailing blanks removed). Values
 * from the command line override the file's.
 *
 * Not here: acting on the options (main.c, broker/api).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-opts.h"
#include "eph_conf.h"
#include "eph_file.h"

#define CONFIG_MAX (64u << 10)

static const char usage_text[] =
	"NAME\n"
	"    ephemera-broker - Ephemera's attestation and environment broker (HTTPS API)\n"
	"\n"
	"SYNOPSIS\n"
	"    ephemera-broker --config FILE [OPTION...]\n"
	"    ephemera-broker --tls-cert PEM --tls-key PEM --store DB --ek-trust DIR [OPTION...]\n"
	"    ephemera-broker --gen-self-signed DIR\n"
	"\n"
	"DESCRIPTION\n"
	"    Serves the agent and requester API over TLS 1.3 (libevent evhttp + OpenSSL):\n"
	"    agent register/activate, challenge, attest; environments create/get/list/\n"
	"    delete; GET /v1/agents, /v1/agents/ID/attestations; /metrics; /healthz.\n"
	"    Bodies are CBOR (proto/wire.h); JSON for clients sending Accept:\n"
	"    application/json. One line per event goes to standard error:\n"
	"    TIME LEVEL what: why.\n"
	"\n"
	"OPTIONS (also \"NAME = VALUE\" lines in the --config file)\n"
	"    --config FILE        read options from FILE first\n"
	"    --listen ADDR        address to bind (default 127.0.0.1)\n"
	"    --port N             TCP port, 0 for an ephemeral one (default 8443)\n"
	"    --port-file FILE     write the bound port there once listening\n"
	"    --tls-cert PEM       server certificate (chain), PEM        [required]\n"
	"    --tls-key PEM        its private key, PEM                   [required]\n"
	"    --store DB           SQLite store, created if missing        [required]\n"
	"    --ek-trust DIR       EK CA certificates (*.pem)             [required]\n"
	"    --amd-roots DIR      AMD ARK/ASK (+CRL) files for SEV-SNP reports\n"
	"    --intel-root PEM     Intel SGX root CA for TDX quotes\n"
	"    --cwt-trust DIR      CWT issuer keys (<issuer>.pem, EC P-256)\n"
	"    --policy DIR         policy folder (broker.json: re-attestation period,\n"
	"                         nonce lifetime, CVM reference values, sizes)\n"
	"    --qnet-model FILE    Q-network model (verified at start)\n"
	"    --allow-uncertified-ek yes|no   accept an EK without certificate (default no)\n"
	"    --timeout S          per-connection read/write timeout (default 30)\n"
	"    --nonce-ttl S        challenge lifetime (default 60)\n"
	"\n"
	"  Environments (provisioning, lifecycle)\n"
	"    --driver NAME        none (default: environments stay admitted),\n"
	"                         sandbox (cgroups + namespaces + a swtpm vTPM each) or\n"
	"                         qemu (a VM each: packaging/guest's kernel and initrd,\n"
	"                         a swtpm vTPM, KVM when it works else TCG)\n"
	"    --env-root DIR       environments' state folders (default\n"
	"                         /var/lib/ephemera/envs)\n"
	"    --swtpm-fixtures DIR folder with swtpm-up.sh/swtpm-down.sh   [sandbox]\n"
	"    --vtpm-ca DIR        CA signing the vTPMs' EK certificates (default\n"
	"                         ENV-ROOT/swtpm-ca); --ek-trust must hold its\n"
	"                         bundle (swtpm-ca.sh CADIR EKTRUSTDIR)\n"
	"    --env-agent PATH     ephemera-agent run inside each environment [sandbox]\n"
	"    --unix-socket PATH   also serve on this AF_UNIX socket: the environments'\n"
	"                         agents reach the broker there whatever their network\n"
	"                         policy (default ENV-ROOT/broker.sock)\n"
	"    --vm-kernel FILE     guest kernel (packaging/guest/build-guest.sh OUTDIR/vmlinuz)\n"
	"    --vm-initrd FILE     guest initrd (OUTDIR/initrd-base.cpio.gz)          [qemu]\n"
	"    --vm-accel A         auto (default: KVM if a probe boot works), kvm, tcg\n"
	"    --vm-forwarder PATH  ephemera-vmfwd, the guest's relay to the broker\n"
	"                         (default: beside the broker's build, else\n"
	"                         /usr/lib/ephemera/ephemera-vmfwd); qemu needs a\n"
	"                         fixed --port: the guest dials 10.0.2.100:PORT\n"
	"    --vm-debug-shell     tests only: each VM's second serial port (a root\n"
	"                         shell in the test image) on ENV-ROOT/vm-ID/shell.sock\n"
	"    --grace S            re-attestation grace after a deadline (default 30)\n"
	"                         before a silent environment is destroyed\n"
	"    --boot-time S        the first attestation may come this long after the\n"
	"                         start (default: the period for sandboxes, 180 for\n"
	"                         VMs: a TCG boot takes seconds)\n"
	"\n"
	"    --gen-self-signed DIR  write DIR/broker-key.pem (P-256) and\n"
	"                         DIR/broker-cert.pem (self-signed, 1 year, CN\n"
	"                         ephemera-broker, SAN IP:127.0.0.1, DNS:localhost),\n"
	"                         print the SPKI pin agents configure, and exit\n"
	"    -v, --verbose        debug lines too\n"
	"    -h, --help           this text;   --version   the version\n"
	"\n"
	"SIGNALS\n"
	"    SIGHUP    reload the policy folder; on any error the old policy stays (logged)\n"
	"    SIGTERM, SIGINT   stop accepting, close connections, exit 0\n"
	"\n"
	"ENVIRONMENT\n"
	"    TSS2_LOG  set to all+NONE unless already set (libtss2-mu would print on\n"
	"              malformed input)\n"
	"\n"
	"EXIT STATUS\n"
	"    0 stopped by a signal (or --help/--version)   1 failure while running\n"
	"    2 bad command line   3 bad configuration file   4 could not start (TLS,\n"
	"    store, trust, policy, bind)   5 --gen-self-signed failed\n"
	"    6 the port file could not be written\n";

enum kind { K_STR, K_PORT, K_UINT, K_BOOL, K_FLAG };

struct opt {
	const char *name;
	enum kind kind;
	size_t off; /* into struct broker_opts */
};

#define O(f) offsetof(struct broker_opts, f)
static const struct opt opts[] = {
	{"config", K_STR, O(config)},
	{"listen", K_STR, O(api.listen_addr)},
	{"port", K_PORT, O(api.port)},
	{"port-file", K_STR, O(port_file)},
	{"tls-cert", K_STR, O(api.tls_cert)},
	{"tls-key", K_STR, O(api.tls_key)},
	{"store", K_STR, O(api.store_path)},
	{"ek-trust", K_STR, O(api.ek_trust_dir)},
	{"amd-roots", K_STR, O(api.amd_roots_dir)},
	{"intel-root", K_STR, O(api.intel_root)},
	{"cwt-trust", K_STR, O(api.cwt_trust_dir)},
	{"policy", K_STR, O(api.policy_dir)},
	{"qnet-model", K_STR, O(api.qnet_model)},
	{"allow-uncertified-ek", K_BOOL, O(api.allow_uncertified_ek)},
	{"timeout", K_UINT, O(api.timeout_s)},
	{"nonce-ttl", K_UINT, O(api.nonce_ttl_s)},
	{"gen-self-signed", K_STR, O(gen_dir)},
	{"driver", K_STR, O(driver)},
	{"env-root", K_STR, O(env_root)},
	{"swtpm-fixtures", K_STR, O(fixtures)},
	{"vtpm-ca", K_STR, O(vtpm_ca)},
	{"env-agent", K_STR, O(api.env_agent)},
	{"unix-socket", K_STR, O(api.unix_socket)},
	{"grace", K_UINT, O(api.lc_grace_s)},
	{"boot-time", K_UINT, O(api.lc_boot_s)},
	{"vm-kernel", K_STR, O(vm_kernel)},
	{"vm-initrd", K_STR, O(vm_initrd)},
	{"vm-accel", K_STR, O(vm_accel)},
	{"vm-forwarder", K_STR, O(vm_fwd)},
	{"vm-debug-shell", K_FLAG, O(vm_debug_shell)},
	{"verbose", K_FLAG, O(verbose)},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt *find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static int parse_ulong(unsigned long *out, const char *s, unsigned long max)
{
	char *end = NULL;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end != '\0' || *out > max ? -1 : 0;
}

/* Store value into the field of o; -1 with a message on a bad value. */
static int set(struct broker_opts *o, const struct opt *op, const char *val, const char *where)
{
	char *base = (char *)o;
	unsigned long n;

	switch (op->kind) {
	case K_STR:
		*(const char **)(base + op->off) = val;
		return 0;
	case K_PORT:
		if (parse_ulong(&n, val, 65535) < 0)
			break;
		*(uint16_t *)(base + op->off) = (uint16_t)n;
		return 0;
	case K_UINT:
		if (parse_ulong(&n, val, 86400) < 0)
			break;
		if (op->off == O(api.nonce_ttl_s))
			*(unsigned *)(base + op->off) = (unsigned)n;
		else
			*(int *)(base + op->off) = (int)n;
		return 0;
	case K_BOOL:
		if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
			*(int *)(base + op->off) = 1;
		else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0 ||
			 strcmp(val, "0") == 0)
			*(int *)(base + op->off) = 0;
		else
			break;
		return 0;
	case K_FLAG:
		*(int *)(base + op->off) = 1;
		return 0;
	}
	fprintf(stderr, "ephemera-broker: %s: bad value \"%s\" for %s\n", where, val, op->name);
	return -1;
}

/* One setting of the config file (eph_conf_parse callback). */
static int file_setting(void *ctx, const struct eph_conf_line *l, struct eph_err *err)
{
	struct broker_opts *o = ctx;
	const struct opt *op = find(l->key, strlen(l->key));

	if (op == NULL || op->kind == K_FLAG || strcmp(l->key, "config") == 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: unknown option \"%s\"", l->where,
				   l->key);
	/* set() prints its own message. */
	return set(o, op, l->val, l->where) < 0 ? EPH_EFORMAT : 0;
}

static int load_file(struct broker_opts *o, const char *path)
{
	struct eph_err err = {{0}};
	size_t len = 0;

	if (eph_file_read((uint8_t **)&o->file_text, &len, path, CONFIG_MAX, &err) < 0 ||
	    eph_conf_parse(o->file_text, len, path, file_setting, o, &err) < 0) {
		if (err.msg[0] != '\0')
			fprintf(stderr, "ephemera-broker: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int broker_opts_parse(struct broker_opts *o, int argc, char **argv, int *code)
{
	int i, pass;

	memset(o, 0, sizeof(*o));
	o->api.port = 8443;
	*code = BROKER_EXIT_USAGE;
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
				printf("ephemera-broker %s\n", EPH_VERSION);
				return 1;
			}
			if (strcmp(a, "-v") == 0)
				a = "--verbose";
			if (strncmp(a, "--", 2) != 0) {
				fprintf(stderr, "ephemera-broker: unexpected argument \"%s\" "
						"(see --help)\n", a);
				return -1;
			}
			a += 2;
			eq = strchr(a, '=');
			op = find(a, eq ? (size_t)(eq - a) : strlen(a));
			if (op == NULL) {
				fprintf(stderr, "ephemera-broker: unknown option --%s (see --help)\n",
					a);
				return -1;
			}
			if (op->kind != K_FLAG) {
				if (eq != NULL)
					val = eq + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else {
					fprintf(stderr, "ephemera-broker: --%s needs a value\n",
						op->name);
					return -1;
				}
			}
			if ((pass == 0) != (op->off == O(config)))
				continue;
			if (set(o, op, val ? val : "", "command line") < 0)
				return -1;
		}
		if (pass == 0 && o->config != NULL && load_file(o, o->config) < 0) {
			*code = BROKER_EXIT_CONFIG;
			return -1;
		}
	}
	if (o->gen_dir != NULL)
		return 0;
	if (o->driver != NULL && strcmp(o->driver, "none") != 0 &&
	    strcmp(o->driver, "sandbox") != 0 && strcmp(o->driver, "qemu") != 0) {
		fprintf(stderr, "ephemera-broker: --driver %s: unknown (none, sandbox, qemu)\n",
			o->driver);
		*code = o->config ? BROKER_EXIT_CONFIG : BROKER_EXIT_USAGE;
		return -1;
	}
	if (o->driver != NULL && strcmp(o->driver, "qemu") == 0 &&
	    (o->fixtures == NULL || o->vm_kernel == NULL || o->vm_initrd == NULL ||
	     o->api.port == 0)) {
		fprintf(stderr, "ephemera-broker: --driver qemu needs --swtpm-fixtures, --vm-kernel, "
				"--vm-initrd and a fixed --port (see --help)\n");
		*code = o->config ? BROKER_EXIT_CONFIG : BROKER_EXIT_USAGE;
		return -1;
	}
	if (o->driver != NULL && strcmp(o->driver, "sandbox") == 0 &&
	    (o->fixtures == NULL || o->api.env_agent == NULL)) {
		fprintf(stderr, "ephemera-broker: --driver sandbox needs --swtpm-fixtures and "
				"--env-agent (see --help)\n");
		*code = o->config ? BROKER_EXIT_CONFIG : BROKER_EXIT_USAGE;
		return -1;
	}
	if (o->api.tls_cert == NULL || o->api.tls_key == NULL || o->api.store_path == NULL ||
	    o->api.ek_trust_dir == NULL) {
		fprintf(stderr, "ephemera-broker: --tls-cert, --tls-key, --store and --ek-trust "
				"are required (see --help)\n");
		*code = o->config ? BROKER_EXIT_CONFIG : BROKER_EXIT_USAGE;
		return -1;
	}
	return 0;
}

void broker_opts_free(struct broker_opts *o)
{
	free(o->file_text);
	o->file_text = NULL;
}
