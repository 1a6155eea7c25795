/*
 * eph_conf.h - the `key = value` configuration files of Ephemera's daemons
 * (ephemera-broker --config, ephemera-agent --config): one setting per
 * line, blank lines and lines starting with '#' ignored, spaces around key
 * and value trimmed. Knowing the keys is the caller's job; this only splits
 * and says where (file:line) each setting came from.
 */
#ifndef EPH_CONF_H
#define EPH_CONF_H

#include <stddef.h>

#include "eph_err.h"

struct eph_conf_line {
	unsigned lineno;
	char *key;       /* trimmed, NUL-terminated, points into the text */
	char *val;       /* trimmed, may be empty */
	char where[320]; /* "path:lineno", for messages */
};

typedef int (*eph_conf_cb)(void *ctx, const struct eph_conf_line *line, struct eph_err *err);

/*
 * Split text (len bytes plus a NUL at text[len], as eph_file_read leaves
 * it; modified in place) and call cb for every setting
 * in order; the first negative return of cb stops and is returned. A line
 * without '=', an empty key or a NUL byte in the text is EPH_EFORMAT naming
 * path:line.
 */
int eph_conf_parse(char *text, size_t len, const char *path, eph_conf_cb cb, void *ctx,
		   struct eph_err *err);

#endif
