/*
 * policy_lines.c - a line index of a JSON text: for every object member
 * and array element, its dotted path and the line it starts on, so that a
 * semantic error found on jansson's tree ("rules[2].constraints.sizes[1]")
 * can name its line. jansson keeps no positions for values.
 *
 * Example: for
 *   1 {"rules": [
 *   2   {"name": "a",
 *   3    "constraints": {"sizes": ["xl"]}}]}
 * the index holds rules -> 1, rules[0] -> 2, rules[0].name -> 2,
 * rules[0].constraints -> 3, rules[0].constraints.sizes -> 3,
 * rules[0].constraints.sizes[0] -> 3. A member's line is its key's line.
 *
 * Not here: validating JSON. It runs only on text jansson accepted, so it
 * trusts the structure; on anything unexpected it stops indexing and
 * lookups fall back to the nearest indexed prefix (or line 1). Keys are
 * taken raw (escapes kept), which is enough for policy.json's plain keys.
 */
#include "policy-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINES_MAX_DEPTH 64

struct scan {
	const char *p, *end;
	unsigned line;
	struct policy__lines *li;
};

static int add(struct policy__lines *li, const char *path, unsigned line)
{
	if (li->n == li->cap) {
		size_t ncap = li->cap ? li->cap * 2 : 64;
		void *ne = realloc(li->e, ncap * sizeof(*li->e));

		if (ne == NULL)
			return -1;
		li->e = ne;
		li->cap = ncap;
	}
	li->e[li->n].path = strdup(path);
	if (li->e[li->n].path == NULL)
		return -1;
	li->e[li->n].line = line;
	li->n++;
	return 0;
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
		if (*s->p == '\n')
			s->line++;
		s->p++;
	}
}

/* Skip a string at s->p (on the opening quote); raw, rawlen: its bytes. */
static int skip_string(struct scan *s, const char **raw, size_t *rawlen)
{
	const char *start;

	if (s->p >= s->end || *s->p != '"')
		return -1;
	start = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\')
			s->p++;
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	*raw = start;
	*rawlen = (size_t)(s->p - start);
	s->p++;
	return 0;
}

static int value(struct scan *s, char *path, size_t plen, int depth);

static int object(struct scan *s, char *path, size_t plen, int depth)
{
	s->p++; /* { */
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		const char *key;
		size_t klen;
		int w;

		skip_ws(s);
		if (skip_string(s, &key, &klen) < 0)
			return -1;
		w = snprintf(path + plen, POLICY__PATH_MAX - plen, "%s%.*s", plen ? "." : "",
			     (int)klen, key);
		if (w < 0 || (size_t)w >= POLICY__PATH_MAX - plen)
			return -1;
		if (add(s->li, path, s->line) < 0)
			return -1;
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		s->p++;
		if (value(s, path, plen + (size_t)w, depth + 1) < 0)
			return -1;
		path[plen] = '\0';
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		return -1;
	}
}

static int array(struct scan *s, char *path, size_t plen, int depth)
{
	s->p++; /* [ */
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (size_t i = 0;; i++) {
		int w;

		skip_ws(s);
		w = snprintf(path + plen, POLICY__PATH_MAX - plen, "[%zu]", i);
		if (w < 0 || (size_t)w >= POLICY__PATH_MAX - plen)
			return -1;
		if (add(s->li, path, s->line) < 0)
			return -1;
		if (value(s, path, plen + (size_t)w, depth + 1) < 0)
			return -1;
		path[plen] = '\0';
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 0;
		}
		return -1;
	}
}

static int value(struct scan *s, char *path, size_t plen, int depth)
{
	const char *raw;
	size_t rawlen;

	if (depth > LINES_MAX_DEPTH)
		return -1;
	skip_ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{':
		return object(s, path, plen, depth);
	case '[':
		return array(s, path, plen, depth);
	case '"':
		return skip_string(s, &raw, &rawlen);
	default:
		/* number, true, false, null */
		while (s->p < s->end && *s->p != ',' && *s->p != '}' && *s->p != ']' &&
		       *s->p != ' ' && *s->p != '\n' && *s->p != '\t' && *s->p != '\r')
			s->p++;
		return 0;
	}
}

int policy__lines_build(struct policy__lines *li, const char *text, size_t len)
{
	struct scan s = {.p = text, .end = text + len, .line = 1, .li = li};
	char path[POLICY__PATH_MAX] = "";

	memset(li, 0, sizeof(*li));
	/* A partial index is still useful: lookups fall back to prefixes. */
	return value(&s, path, 0, 0);
}

unsigned policy__lines_find(const struct policy__lines *li, const char *path)
{
	char p[POLICY__PATH_MAX];
	size_t n;

	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		for (size_t i = 0; i < li->n; i++) {
			if (strcmp(li->e[i].path, p) == 0)
				return li->e[i].line;
		}
		/* Drop the last component: ".key" or "[i]". */
		n = strlen(p);
		while (n > 0 && p[n - 1] != '.' && p[n - 1] != '[')
			n--;
		if (n == 0)
			return 1;
		p[n - 1] = '\0';
	}
}

void policy__lines_free(struct policy__lines *li)
{
	for (size_t i = 0; i < li->n; i++)
		free(li->e[i].path);
	free(li->e);
	memset(li, 0, sizeof(li[0]));
}
