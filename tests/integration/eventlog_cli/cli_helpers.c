/*
 * cli_helpers.c - see cli_helpers.h. Processes are run through popen() via
 * tu_run(); stderr goes to a temporary file that is read back.
 */
#include "cli_helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

const char *cli_binary(void)
{
	static char path[4096];
	const char *dir = getenv("EPH_BINARY_DIR");

	if (dir == NULL || *dir == '\0')
		dir = EPH_BINARY_DIR;
	snprintf(path, sizeof(path), "%s/firmware-eventlog/ephemera-eventlog", dir);
	return path;
}

int cli_have_tpm2_eventlog(void)
{
	if (system("command -v tpm2_eventlog >/dev/null 2>&1") == 0)
		return 1;
	fprintf(stderr, "SKIP: tpm2_eventlog (tpm2-tools) is not installed\n");
	return 0;
}

/* Append s to buf as is; the test fails if it does not fit. */
static void put_raw(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);
	int w = snprintf(buf + n, size - n, "%s", s);

	cr_assert(w >= 0 && (size_t)w < size - n, "command line too long");
}

/* Append s to buf in single quotes, each ' written as '\''. */
static void put_quoted(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	cr_assert_lt(n + 2, size);
	buf[n++] = '\'';
	for (; *s != '\0'; s++) {
		cr_assert_lt(n + 6, size, "command line too long");
		if (*s == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n++] = '\'';
	buf[n] = '\0';
}

static char *slurp(const char *path)
{
	size_t len = 0;
	uint8_t *buf = tu_read(path, &len);

	return (char *)buf; /* eph_file_read appends a NUL */
}

void cli_run(struct cli_result *r, const char *prog, const char *args, const char *file)
{
	char errpath[] = "/tmp/eph-cli-err-XXXXXX";
	char cmd[8192];
	int fd;

	memset(r, 0, sizeof(*r));
	fd = mkstemp(errpath);
	cr_assert_geq(fd, 0, "mkstemp");
	close(fd);
	cmd[0] = '\0';
	put_quoted(cmd, sizeof(cmd), prog);
	if (args != NULL && *args != '\0') {
		put_raw(cmd, sizeof(cmd), " ");
		put_raw(cmd, sizeof(cmd), args);
	}
	if (file != NULL) {
		put_raw(cmd, sizeof(cmd), " ");
		put_quoted(cmd, sizeof(cmd), file);
	}
	put_raw(cmd, sizeof(cmd), " 2>");
	put_quoted(cmd, sizeof(cmd), errpath);
	r->status = tu_run(cmd, &r->out);
	if (r->out == NULL)
		r->out = calloc(1, 1);
	r->err = slurp(errpath);
	unlink(errpath);
}

void cli_result_free(struct cli_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

int cli_crashed(const struct cli_result *r)
{
	/* The shell reports a child killed by a signal as 128 + signal. */
	return r->status < 0 || r->status >= 128;
}

size_t cli_count_lines(const char *s)
{
	size_t n = 0, len = strlen(s), i;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	if (len > 0 && s[len - 1] != '\n')
		n++;
	return n;
}

const char *cli_pcrs_section(const char *yaml)
{
	const char *p;

	if (strncmp(yaml, "pcrs:\n", 6) == 0)
		return yaml;
	p = strstr(yaml, "\npcrs:\n");
	return p != NULL ? p + 1 : NULL;
}

char *cli_drop_lines(const char *s, size_t len, const char *prefix)
{
	char *out = calloc(1, len + 1);
	size_t plen = strlen(prefix), k = 0;
	const char *end = s + len, *nl;

	cr_assert_not_null(out);
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		nl = nl != NULL ? nl + 1 : end;
		if ((size_t)(nl - s) < plen || strncmp(s, prefix, plen) != 0) {
			memcpy(out + k, s, (size_t)(nl - s));
			k += (size_t)(nl - s);
		}
		s = nl;
	}
	out[k] = '\0';
	return out;
}
