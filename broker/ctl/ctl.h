/*
 * ctl.h - what the files of ephemeractl share (prefix ephctl_): the exit
 * codes, the parsed command line, the broker connection and the output
 * helpers. ephemeractl is a thin client: the transport (TLS 1.3, pinning,
 * bounds) is libagentc's, the bodies are proto/wire.h's.
 */
#ifndef EPHCTL_H
#define EPHCTL_H

#include <jansson.h>
#include <stdio.h>

#include "agentc.h"
#include "wire.h"

/* Exit codes. Documented in --help; the list only grows at the end. */
enum ephctl_exit {
	EPHCTL_OK = 0,          /* done */
	EPHCTL_FAILURE = 1,     /* anything without a code below */
	EPHCTL_USAGE = 2,       /* bad command line */
	EPHCTL_UNREACHABLE = 3, /* cannot reach the broker: connect, TLS handshake, timeout,
	                         * response over the size bound */
	EPHCTL_TLS_VERIFY = 4,  /* broker certificate: pin mismatch or CA verification failed */
	EPHCTL_REFUSED = 5,     /* the broker refused (HTTP 4xx) */
	EPHCTL_NOT_FOUND = 6,   /* no such environment / agent (HTTP 404) */
	EPHCTL_BROKER = 7,      /* broker failure (HTTP 5xx) or an answer that does not parse */
	EPHCTL_INPUT = 8,       /* a local input file is unreadable or malformed */
};

struct ephctl {
	const char *broker;  /* --broker / EPHEMERA_BROKER */
	const char *pin;     /* --pin / EPHEMERA_PIN */
	const char *cacert;  /* --cacert / EPHEMERA_CACERT */
	long timeout_s;      /* --timeout */
	int json;            /* --json */
	const char *token;   /* --token FILE */
	const char *ref_env; /* --ref-env ID */
	const char *state;   /* --state S */
	const char *attrs;   /* --attrs FILE */
	const char *policy;  /* --policy DIR */
	agentc *conn;        /* made on first use */
};

/* Connect lazily; prints the error and returns an exit code on failure. */
int ephctl_conn(agentc **out, struct ephctl *c);

/*
 * One request; on failure prints "ephemeractl: <what failed>" on stderr
 * and returns the exit code for it, else 0 with *resp filled.
 */
int ephctl_request(struct agentc_response *resp, struct ephctl *c, const char *method,
                   const char *path, const char *accept, const char *ctype, const uint8_t *body,
                   size_t len);

/* Exit code for an agentc error code plus what the broker said. */
int ephctl_exit_for(int rc, const struct agentc_refusal *ref);

/* Print "ephemeractl: " + message on stderr; returns code. */
int ephctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* URL-escape one path segment into out; -1 if it does not fit. */
int ephctl_escape(char *out, size_t outlen, const char *seg);

/* ---- render.c ---- */

/* Column of a table: the JSON key, its header, and how to show it. */
enum ephctl_col_kind { EPHCTL_COL_TEXT, EPHCTL_COL_TIME, EPHCTL_COL_AR4SI };
struct ephctl_col {
	const char *key;
	const char *header;
	enum ephctl_col_kind kind;
};

/* Pretty JSON of doc on f, newline-terminated. */
void ephctl_print_json(FILE *f, json_t *doc);

/*
 * The rows of a list document (an array, or the first array member of an
 * object) as an aligned table. cols NULL: every scalar key, in order of
 * first appearance. Prints "(none)" for an empty list.
 */
int ephctl_print_table(FILE *f, json_t *doc, const struct ephctl_col *cols, size_t ncols);

/* A JSON value as YAML (block style), indented by indent spaces. */
void ephctl_print_yaml(FILE *f, json_t *v, int indent);

/* wire_env as a JSON object (new reference). */
json_t *ephctl_env_json(const struct wire_env *e);

/* "2026-11-25T13:18:00Z", or "-" for 0. */
void ephctl_time(char *out, size_t outlen, long long t);

/* GET a JSON list document (Accept: application/json) and print it as a
 * table, or as JSON with --json. Returns an exit code. */
int ephctl_list(struct ephctl *c, const char *path, const struct ephctl_col *cols, size_t ncols);

/* ---- subcommands ---- */
int ephctl_envs(struct ephctl *c, int argc, char **argv);
int ephctl_agents(struct ephctl *c, int argc, char **argv);
int ephctl_attestations(struct ephctl *c, int argc, char **argv);
int ephctl_policy(struct ephctl *c, int argc, char **argv);

#endif
