/*
 * agentd.h - ephemera-agent's options (command line and "key = value"
 * configuration file, the same names) and its documented exit codes.
 *
 * Not here: what the agent does with them (main.c, agent/client).
 */
#ifndef AGENTD_H
#define AGENTD_H

#include "agentc.h"

/* Exit codes. They only grow at the end. */
enum agentd_exit {
	AGENTD_EXIT_OK = 0,       /* stopped by SIGTERM/SIGINT, --once succeeded, --help */
	AGENTD_EXIT_USAGE = 1,    /* bad command line */
	AGENTD_EXIT_CONFIG = 2,   /* bad or unreadable configuration (file:line named) */
	AGENTD_EXIT_NOTPM = 3,    /* the TPM cannot be opened through the TCTI */
	AGENTD_EXIT_BROKER = 4,   /* broker unreachable or unauthenticated for --start-timeout */
	AGENTD_EXIT_REFUSED = 5,  /* the broker refused this machine (directive shutdown, 4xx) */
	AGENTD_EXIT_INTERNAL = 6, /* anything else: TPM command failure at start, memory, ... */
};

#define AGENTD_DEFAULT_STATE_DIR "/var/lib/ephemera-agent"
#define AGENTD_DEFAULT_PERIOD_S 60
#define AGENTD_DEFAULT_START_TIMEOUT_S 60

struct agentd_opts {
	const char *config;     /* --config FILE */
	const char *broker;     /* https://host:port */
	const char *pin;        /* sha256//BASE64[;...] */
	const char *cacert;     /* PEM CA file */
	const char *tcti;       /* NULL: the TCTI loader's default */
	const char *unix_socket; /* AF_UNIX path to the broker; NULL: TCP */
	const char *state_dir;  /* AGENTD_DEFAULT_STATE_DIR */
	const char *eventlog;   /* NULL: agentc default; "" never */
	const char *ima;        /* NULL: agentc default; "" never */
	const char *boot_id;    /* NULL: agentc default */
	const char *pcrs;       /* NULL: AGENTC_DEFAULT_PCRS */
	const char *tsm_root;   /* NULL: libtsm default */
	const char *hostname;   /* NULL: gethostname() */
	unsigned long period_s; /* re-attestation period; the broker's deadline wins if sooner */
	unsigned long start_timeout_s; /* 0: retry for ever at start */
	enum agentc_cvm cvm;           /* auto | none | require */
	int ak_alg;                    /* enum tpmq_keyalg; 0: libagentc's default (RSA 2048) */
	int once;                      /* one round, then exit */
	int verbose;                   /* debug lines too */
	char *file_text;               /* owned: the configuration file (values point in) */
};

/*
 * Parse argv and the --config file it names (command-line values win).
 * Returns 0 to run, 1 after printing --help/--version (exit 0), -1 after
 * printing the problem, with *code the exit code to use.
 */
int agentd_opts_parse(struct agentd_opts *o, int argc, char **argv, int *code);
void agentd_opts_free(struct agentd_opts *o);

#endif
