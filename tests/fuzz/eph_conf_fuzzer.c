/*
 * eph_conf_fuzzer.c - libFuzzer target for the `key = value` configuration
 * splitter (common/eph_conf.c) that ephemera-broker --config and
 * ephemera-agent --config both read their files with.
 *
 * Input: the file's bytes, e.g.
 *   "# broker\nlisten = 127.0.0.1:8443\n  state_dir=\t/var/lib/x \r\n"
 * The target appends the NUL that eph_file_read leaves after the text.
 * Seeds: tests/fuzz/corpora/eph_conf/ (agent and broker configurations as
 * the tests write them, CRLF, blanks, comments, refusals;
 * tests/fuzz/make-json-seeds.py).
 *
 * Contracts checked (abort when broken): a refusal is EPH_EFORMAT (or the
 * callback's own code, returned unchanged) with a message naming
 * "path:line"; every setting handed to the callback has a non-empty key
 * without '=', both key and value inside the text, without a newline and
 * trimmed of blanks, line numbers strictly increasing, and where ==
 * "path:lineno". A key "stop" makes the callback refuse, which must end
 * the parse with that code.
 *
 * Not here: the daemons' own keys and values (their tests).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH "fuzz.conf"
#define STOP_CODE EPH_EPOLICY

struct seen {
	const char *text;
	size_t len;
	unsigned last_line;
	size_t settings;
	int stopped;
};

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "eph_conf_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

static void check_field(const struct seen *s, const char *f, int may_be_empty)
{
	size_t n;

	check(f >= s->text && f <= s->text + s->len, "field outside the text", NULL);
	n = strlen(f);
	check(f + n <= s->text + s->len, "field runs past the text", NULL);
	check(may_be_empty || n > 0, "empty key", NULL);
	check(memchr(f, '\n', n) == NULL, "newline inside a field", NULL);
	if (n > 0)
		check(!blank(f[0]) && !blank(f[n - 1]) && f[n - 1] != '\r', "field not trimmed",
		      NULL);
}

static int setting(void *ctx, const struct eph_conf_line *l, struct eph_err *err)
{
	struct seen *s = ctx;
	char where[sizeof(l->where)];

	check(l->lineno > s->last_line, "line numbers not increasing", NULL);
	s->last_line = l->lineno;
	check_field(s, l->key, 0);
	check_field(s, l->val, 1);
	check(strchr(l->key, '=') == NULL, "'=' inside a key", NULL);
	check(l->key[0] != '#', "comment handed out as a setting", NULL);
	snprintf(where, sizeof(where), "%s:%u", PATH, l->lineno);
	check(strcmp(where, l->where) == 0, "where is not path:lineno", NULL);
	s->settings++;
	if (strcmp(l->key, "stop") == 0) {
		s->stopped = 1;
		return eph_err_set(err, STOP_CODE, "%s: stop", l->where);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	struct seen s = {0};
	char *text;
	int rc;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	s.text = text;
	s.len = size;
	rc = eph_conf_parse(text, size, PATH, setting, &s, &err);
	if (s.stopped) {
		check(rc == STOP_CODE, "callback's code not returned unchanged", &err);
	} else if (rc < 0) {
		check(rc == EPH_EFORMAT, "refusal is not EFORMAT", &err);
		check(strncmp(err.msg, PATH ":", sizeof(PATH)) == 0, "refusal does not name the file",
		      &err);
		check(memchr(data, '\0', size) != NULL || strchr(err.msg + sizeof(PATH), ':') != NULL,
		      "refusal does not name the line", &err);
	} else {
		check(rc == 0, "0 on success", &err);
		check(memchr(data, '\0', size) == NULL, "NUL byte accepted", NULL);
	}
	free(text);
	return 0;
}
