/*
 * evcli-priv.h - what the files of the ephemera-eventlog command share: the
 * exit codes, the options, and the YAML printers.
 *
 * The tool is a thin front end over libevlog: main.c reads the input and
 * maps errors to exit codes, yaml_events.c prints events the way
 * tpm2_eventlog (tpm2-tools 5.4) does, yaml_pcrs.c the replayed PCRs and the
 * --compare check, yaml_ima.c an IMA measurement list, yaml_util.c the hex
 * and string escaping they all use. Nothing here parses log bytes itself
 * beyond the event data decoders' output.
 */
#ifndef EVCLI_PRIV_H
#define EVCLI_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evlog.h"

#define EVCLI_NAME "ephemera-eventlog"
#define EVCLI_VERSION EPH_VERSION /* from project() in CMakeLists.txt */

/*
 * Exit codes. Documented in --help and docs/ephemera-eventlog.md; this list
 * only grows at the end (tpm2-tools lib/tool_rc.h).
 */
enum evcli_exit {
	EVCLI_EXIT_OK = 0,
	EVCLI_EXIT_USAGE = 1,       /* bad command line */
	EVCLI_EXIT_FORMAT = 2,      /* input is not a well-formed log */
	EVCLI_EXIT_IO = 3,          /* cannot read the input or write the output */
	EVCLI_EXIT_MISMATCH = 4,    /* --compare: replayed PCRs differ */
	EVCLI_EXIT_UNSUPPORTED = 5, /* valid input this build cannot handle */
	EVCLI_EXIT_INTERNAL = 6,    /* out of memory or another internal error */
};

#define EVCLI_MAX_INPUT (64u << 20) /* largest log or PCR file read */
#define EVCLI_MAX_IMA_BANKS 4

struct evcli_opts {
	const char *path;     /* the log, "-" for standard input */
	unsigned parse_flags; /* EVLOG_F_* */
	int pcrs_only;        /* print the pcrs: section only */
	int ima;              /* the input is an IMA measurement list */
	unsigned ima_format;  /* EVLOG_IMA_AUTO, _BINARY or _ASCII */
	uint32_t ima_pcr;     /* PCR the IMA list extends, normally 10 */
	unsigned num_ima_banks;
	uint16_t ima_banks[EVCLI_MAX_IMA_BANKS];
	const char *compare; /* PCR file for --compare, or NULL */
};

/* yaml_util.c: output helpers. */

/* Print n bytes as lower-case hex, the first max bytes at most. */
void evcli_hex(FILE *f, const uint8_t *buf, size_t n, size_t max);

/* The tpm2-tools spelling of a hash algorithm; "0x%04x" in buf if unknown. */
const char *evcli_alg_name(uint16_t alg, char *buf, size_t buflen);

/* EFI_GUID as stored in a log (mixed endian) in its canonical text form. */
void evcli_guid(FILE *f, const uint8_t guid[16]);

/*
 * Print bytes up to the first NUL (or n) as a literal block line the way
 * tpm2_eventlog's "%.*s" does; continuation lines after a newline are
 * indented by indent so the YAML stays valid.
 */
void evcli_cstr_block(FILE *f, const uint8_t *buf, size_t n, const char *indent);

/*
 * One line of an EV_IPL string in tpm2_eventlog 5.4's escaping: NUL, tab,
 * backslash and single quote become \0 \t \\ \', other control bytes C
 * escapes or \xHH; everything else is copied.
 */
void evcli_ipl_line(FILE *f, const uint8_t *buf, size_t n);

/* A YAML double-quoted scalar: "..." with \" \\ and \xHH for bytes that
 * are not printable ASCII or part of valid UTF-8. */
void evcli_yaml_quoted(FILE *f, const uint8_t *buf, size_t n);

/* UTF-16LE code units to UTF-8, stopping at a NUL unit (tpm2_eventlog
 * prints the converted name with %s). Unpaired surrogates become U+FFFD. */
void evcli_utf16(FILE *f, const uint8_t *buf, size_t units);

/* yaml_events.c */

/* Print "---\nversion: 1\nevents:\n" and every event of log. */
void evcli_print_events(FILE *f, const evlog_log *log);

/* yaml_pcrs.c */

/* Print the "pcrs:" section from a replay (tpm2_eventlog bank order). */
void evcli_print_pcrs(FILE *f, const struct evlog_replay *r);

/*
 * Compare a replay with the PCR values in path (tpm2_pcrread's YAML or this
 * tool's pcrs: section). Returns 0 or a negative EPH_E* code with err set.
 */
int evcli_compare_pcrs(const struct evlog_replay *r, const char *path, struct eph_err *err);

/* yaml_ima.c */

/* Print an IMA list and its replayed PCR; returns 0 or an EPH_E* code. */
int evcli_print_ima(FILE *f, const evlog_ima *ima, const struct evcli_opts *o, struct eph_err *err);

#endif
