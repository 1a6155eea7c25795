/*
 * eph_conf.c - splitting `key = value` configuration text (see eph_conf.h).
 * Not here: the keys, their types and defaults (each daemon's options).
 */
#include "eph_conf.h"

#include <stdio.h>
#include <string.h>

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int eph_conf_parse(char *text, size_t len, const char *path, eph_conf_cb cb, void *ctx,
		   struct eph_err *err)
{
	struct eph_conf_line l;
	char *line, *next, *eq;
	int n, rc;

	if (memchr(text, '\0', len) != NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: contains a NUL byte", path);
	memset(&l, 0, sizeof(l));
	for (line = text; line != NULL && line < text + len; line = next) {
		l.lineno++;
		next = memchr(line, '\n', (size_t)(text + len - line));
		if (next != NULL)
			*next++ = '\0';
		l.key = trim(line);
		if (*l.key == '\0' || *l.key == '#')
			continue;
		n = snprintf(l.where, sizeof(l.where), "%s:%u", path, l.lineno);
		if (n < 0 || (size_t)n >= sizeof(l.where))
			return eph_err_set(err, EPH_EFAIL, "configuration path too long");
		eq = strchr(l.key, '=');
		if (eq == NULL)
			return eph_err_set(err, EPH_EFORMAT, "%s: expected key = value", l.where);
		*eq = '\0';
		l.key = trim(l.key);
		l.val = trim(eq + 1);
		if (*l.key == '\0')
			return eph_err_set(err, EPH_EFORMAT, "%s: empty key", l.where);
		rc = cb(ctx, &l, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}
