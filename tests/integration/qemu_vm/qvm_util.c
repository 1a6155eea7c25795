/*
 * qvm_util.c - see qvm_util.h.
 */
#define _GNU_SOURCE
#include "qvm_util.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

const char *qvm_bdir(void)
{
	const char *b = getenv("EPH_BINARY_DIR");

	return b && *b ? b : EPH_BINARY_DIR;
}

const char *qvm_bp(const char *rel)
{
	static char p[4][600];
	static unsigned n;
	char *o = p[n++ % 4];

	snprintf(o, sizeof(p[0]), "%s/%s", qvm_bdir(), rel);
	return o;
}

const char *qvm_path(const char *dir, const char *name)
{
	static char p[8][300];
	static unsigned n;
	char *o = p[n++ % 8];

	snprintf(o, sizeof(p[0]), "%s/%s", dir, name);
	return o;
}

const char *qvm_tail_of(const char *path)
{
	static char buf[3001];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return buf;
	if (fseek(f, -3000, SEEK_END) < 0)
		rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

void qvm_skip(const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "SKIP: qemu_vm: %s\n", msg);
	cr_log_warn("SKIP: %s", msg);
	cr_skip_test("%s", msg);
	abort(); /* not reached */
}

int qvm_run(char **out, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	*out = NULL;
	return tu_run(cmd, out);
}

static int image_has(const char *guest, const char *need)
{
	char info[700];
	uint8_t *text;
	size_t len = 0;
	int yes;

	if (need == NULL)
		return 1;
	snprintf(info, sizeof(info), "%s/guest.info", guest);
	text = tu_read(info, &len);
	yes = text != NULL && memmem(text, len, need, strlen(need)) != NULL;
	free(text);
	return yes;
}

void qvm_guest_image(char *guest, size_t len, const char *sub, const char *need)
{
	char script[600], kern[700], initrd[700], log[700], *out = NULL;
	struct stat a, i;
	const char *agent = qvm_bp("agent/daemon/ephemera-agent");

	snprintf(script, sizeof(script), "%s/packaging/guest/build-guest.sh", EPH_SOURCE_DIR);
	snprintf(guest, len, "%s", qvm_bp(sub));
	snprintf(kern, sizeof(kern), "%s/vmlinuz", guest);
	snprintf(initrd, sizeof(initrd), "%s/initrd-base.cpio.gz", guest);
	snprintf(log, sizeof(log), "%s.log", guest);
	if (access(script, X_OK) < 0)
		qvm_skip("%s is missing: no guest image to boot", script);
	if (stat(agent, &a) < 0)
		qvm_skip("%s is not built", agent);
	if (stat(kern, &i) == 0 && stat(initrd, &i) == 0 && i.st_mtime >= a.st_mtime &&
	    image_has(guest, need))
		return;
	if (qvm_run(&out, "'%s' '%s' --agent '%s' --cache '%s-cache' >'%s' 2>&1", script, guest,
		    qvm_bdir(), guest, log) != 0) {
		free(out);
		qvm_skip("build-guest.sh failed (no Debian archive?): %s", qvm_tail_of(log));
	}
	free(out);
	cr_assert(image_has(guest, need), "the guest image lacks %s", need ? need : "");
}
