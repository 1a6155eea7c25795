/*
 * broker-opts.h - ephemera-broker's options: the command line, the
 * configuration file (the same names, "name = value" per line), and the
 * documented exit codes.
 *
 * Not here: what the options do (broker/api).
 */
#ifndef BROKER_OPTS_H
#define BROKER_OPTS_H

#include "api.h"

/* Exit codes. They only grow at the end. */
enum broker_exit {
	BROKER_EXIT_OK = 0,       /* stopped by SIGTERM/SIGINT, or --help/--version */
	BROKER_EXIT_FAIL = 1,     /* a failure while running (the event loop broke) */
	BROKER_EXIT_USAGE = 2,    /* bad command line */
	BROKER_EXIT_CONFIG = 3,   /* the configuration file is unreadable or invalid */
	BROKER_EXIT_START = 4,    /* could not start: TLS key/cert, store, trust, policy, bind */
	BROKER_EXIT_GENCERT = 5,  /* --gen-self-signed failed */
	BROKER_EXIT_PORTFILE = 6, /* the port file could not be written */
};

struct broker_opts {
	struct api_config api;
	const char *config;     /* --config FILE */
	const char *port_file;  /* --port-file FILE: the bound port, written once listening */
	const char *gen_dir;    /* --gen-self-signed DIR */
	const char *driver;     /* --driver none|sandbox */
	const char *env_root;   /* --env-root DIR: environments' state */
	const char *fixtures;   /* --swtpm-fixtures DIR: swtpm-up.sh, swtpm-down.sh */
	const char *vtpm_ca;    /* --vtpm-ca DIR: CA of the vTPMs' EK certificates */
	const char *vm_kernel;  /* --vm-kernel FILE (qemu) */
	const char *vm_initrd;  /* --vm-initrd FILE (qemu) */
	const char *vm_accel;   /* --vm-accel auto|kvm|tcg */
	const char *vm_fwd;     /* --vm-forwarder PATH (ephemera-vmfwd) */
	int vm_debug_shell;     /* --vm-debug-shell: guests' ttyS1 shell on a socket */
	int verbose;            /* 1: debug lines too */
	char *file_text;        /* owned: the configuration file's text (values point in) */
};

/*
 * Parse argv (and the --config file it names; command-line values win).
 * Returns -1 after printing the problem, 1 after printing --help or
 * --version (exit 0), 0 to run. *code receives the exit code for -1.
 */
int broker_opts_parse(struct broker_opts *o, int argc, char **argv, int *code);
void broker_opts_free(struct broker_opts *o);

#endif
