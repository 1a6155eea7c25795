/*
 * list.c - the VM folders under the state root, for reconciliation.
 *
 * Every folder named vm-<env id> (a valid id) counts, whether its qemu
 * still runs, only its swtpm does, or nothing but files are left: each of
 * those is something a broker made and has to destroy. The state root is
 * the driver's own, so this needs no process scan (a qemu whose folder was
 * removed by hand is not found; its pid file went with the folder).
 * Entries are sorted by id so that repeated lists compare equal.
 *
 * Not here: deciding what to destroy (lifecycle_reconcile does).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qemu-priv.h"

typedef char qv_id[DRIVER_ID_MAX + 1];

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const qv_id *)a, *(const qv_id *)b);
}

int qv__scan(const char *root, char (**ids)[DRIVER_ID_MAX + 1], size_t *n, struct eph_err *err)
{
	size_t cap = 0, cnt = 0, pl = strlen(QV_DIR_PREFIX);
	qv_id *v = NULL;
	struct dirent *de;
	DIR *d;

	*ids = NULL;
	*n = 0;
	d = opendir(root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return eph_err_set(err, EPH_EIO, "qemu list: %s: %s", root, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, QV_DIR_PREFIX, pl) != 0 || !driver_id_valid(de->d_name + pl))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			qv_id *nv = reallocarray(v, nc, sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return eph_err_set(err, EPH_ENOMEM, "qemu list: out of memory");
			}
			v = nv;
			cap = nc;
		}
		memcpy(v[cnt], de->d_name + pl, strlen(de->d_name + pl) + 1);
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_id);
	*ids = v;
	*n = cnt;
	return 0;
}
