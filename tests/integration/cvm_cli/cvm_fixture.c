/*
 * cvm_fixture.c - see cvm_fixture.h. Commands run through tu_run()
 * (popen); stderr goes to a scratch file that is read back.
 */
#include "cvm_fixture.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define MAX_PATHS 32

static char paths[MAX_PATHS][4096];
static int n_paths;

static const char *binary(void)
{
	static char path[4096];
	const char *dir = getenv("EPH_BINARY_DIR");

	if (dir == NULL || *dir == '\0')
		dir = EPH_BINARY_DIR;
	snprintf(path, sizeof(path), "%s/cvm/cli/ephemera-cvm", dir);
	return path;
}

void cvm_need_vectors(void)
{
	if (access(binary(), X_OK) != 0)
		cr_assert_fail("%s is missing: build the ephemera-cvm target", binary());
	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
}

static char *slot(void)
{
	cr_assert_lt(n_paths, MAX_PATHS, "too many paths in one test");
	return paths[n_paths++];
}

const char *cvm_vec(const char *rel)
{
	char *p = slot();

	snprintf(p, sizeof(paths[0]), "%s", tu_vector_path(rel));
	return p;
}

int cvm_run(char **out, const char **err, const char *fmt, ...)
{
	static char first[1024];
	char errpath[] = "/tmp/eph-cvm-err-XXXXXX";
	char args[8192], cmd[16384];
	uint8_t *e;
	size_t elen;
	va_list ap;
	int fd, st;

	va_start(ap, fmt);
	cr_assert_lt(vsnprintf(args, sizeof(args), fmt, ap), (int)sizeof(args));
	va_end(ap);
	fd = mkstemp(errpath);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>'%s'", binary(), args, errpath);
	st = tu_run(cmd, out);
	e = tu_read(errpath, &elen);
	unlink(errpath);
	snprintf(first, sizeof(first), "%.*s", (int)strcspn((char *)e, "\n"), (char *)e);
	free(e);
	if (err != NULL)
		*err = first;
	cr_assert(st >= 0 && st < 128, "ephemera-cvm crashed (status %d): %s", st, first);
	return st;
}

static void cleanup(void)
{
	int i;

	for (i = 0; i < n_paths; i++)
		if (strncmp(paths[i], "/tmp/eph-cvm-", 13) == 0)
			unlink(paths[i]);
}

const char *cvm_scratch_write(const void *buf, size_t len)
{
	static int registered;
	char *p = slot();
	FILE *f;
	int fd;

	if (!registered && atexit(cleanup) == 0)
		registered = 1;
	snprintf(p, sizeof(paths[0]), "/tmp/eph-cvm-scratch-XXXXXX");
	fd = mkstemp(p);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return p;
}

const char *cvm_scratch_copy(const char *rel, size_t off, uint8_t x)
{
	size_t len;
	uint8_t *buf = tu_read(tu_vector_path(rel), &len);
	const char *p;

	cr_assert_lt(off, len);
	buf[off] ^= x;
	p = cvm_scratch_write(buf, len);
	free(buf);
	return p;
}

void cvm_expect(const char *s, const char *needle)
{
	cr_assert(s != NULL && strstr(s, needle) != NULL, "expected \"%s\" in:\n%s", needle,
	          s ? s : "(null)");
}
