/*
 * cli_helpers.h - running ephemera-eventlog and tpm2_eventlog from the
 * criterion tests of tests/integration/eventlog_cli, and cutting their YAML
 * output into the events part and the "pcrs:" part.
 */
#ifndef CLI_HELPERS_H
#define CLI_HELPERS_H

#include <stddef.h>

/* Output of one run: exit status (-1 or >= 128 after a crash), stdout,
 * stderr, all owned; free with cli_result_free(). */
struct cli_result {
	int status;
	char *out;
	char *err;
};

/* Path of the ephemera-eventlog binary under $EPH_BINARY_DIR. */
const char *cli_binary(void);

/* 1 if tpm2_eventlog is on PATH, else 0 after printing a visible SKIP line. */
int cli_have_tpm2_eventlog(void);

/* Run "prog args 'file'" ('file' shell-quoted; NULL for none). */
void cli_run(struct cli_result *r, const char *prog, const char *args, const char *file);
void cli_result_free(struct cli_result *r);

/* Did the run end in a signal (a crash) rather than an exit? */
int cli_crashed(const struct cli_result *r);

/* Number of lines in s (a final line without '\n' counts). */
size_t cli_count_lines(const char *s);

/*
 * Pointer to the "pcrs:" line of a YAML output (it starts a line), or NULL.
 * The events part is everything before it.
 */
const char *cli_pcrs_section(const char *yaml);

/* A new copy of s without the lines that start with prefix. */
char *cli_drop_lines(const char *s, size_t len, const char *prefix);

#endif
