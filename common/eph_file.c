/*
 * eph_file.c - whole-file reads with a size cap, so a hostile or mistaken
 * path (a device, a huge file) cannot exhaust memory.
 */
#include "eph_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int eph_file_read(uint8_t **out, size_t *len, const char *path, size_t max, struct eph_err *err)
{
	FILE *f = NULL;
	uint8_t *buf = NULL, *nbuf;
	size_t cap = 0, n = 0, got;
	int rc = EPH_EIO;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		f = stdin;
	else
		f = fopen(path, "rb");
	if (f == NULL)
		return eph_err_set(err, errno == ENOENT ? EPH_ENOTFOUND : EPH_EIO,
				   "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		if (cap - n < 4096 + 1) {
			size_t ncap = cap ? cap * 2 : 65536;

			if (ncap > max + 4096 + 1)
				ncap = max + 4096 + 1;
			if (ncap <= cap) {
				rc = eph_err_set(err, EPH_EFORMAT, "%s is larger than %zu bytes",
						 path, max);
				goto out;
			}
			nbuf = realloc(buf, ncap);
			if (nbuf == NULL) {
				rc = eph_err_set(err, EPH_ENOMEM, "reading %s: out of memory", path);
				goto out;
			}
			buf = nbuf;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (n > max) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s is larger than %zu bytes", path, max);
			goto out;
		}
		if (got == 0) {
			if (ferror(f)) {
				rc = eph_err_set(err, EPH_EIO, "reading %s: %s", path,
						 strerror(errno));
				goto out;
			}
			break;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	if (f != NULL && f != stdin)
		fclose(f);
	free(buf);
	return rc;
}
