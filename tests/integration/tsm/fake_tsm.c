/*
 * fake_tsm.c - a FUSE file system that behaves like the kernel's
 * configfs-tsm report interface, so libtsm is tested against the real
 * system calls (mkdir, open/write/read, rmdir) with the kernel's
 * semantics: attributes appear with the entry, every write of inblob or
 * privlevel bumps generation synchronously, outblob is generated from the
 * current inblob when read, inblob longer than 64 bytes is EINVAL.
 *
 * Knobs let a test play "another tenant" (bump generation between our
 * reads) or a lying provider (report_data that is not ours).
 */
#define FUSE_USE_VERSION 31
#include "fake_tsm.h"

#include <errno.h>
#include <fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRIES 8
#define SNP_REPORT_LEN 1184
#define TDX_QUOTE_LEN (48 + 584 + 4)

struct entry {
	int used;
	char name[64];
	uint8_t inblob[64];
	size_t inblob_len;
	int privlevel;
	unsigned generation;
};

static struct {
	pthread_mutex_t lock;
	struct entry e[MAX_ENTRIES];
	struct fake_tsm_knobs knobs;
	unsigned outblob_reads;
	struct fuse *fuse;
	pthread_t thread;
	char mnt[4096];
} fk = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const char *const attrs[] = {"inblob",    "outblob",  "auxblob",        "provider",
				    "generation", "privlevel", "privlevel_floor"};

static struct entry *find(const char *name, size_t len)
{
	int i;

	for (i = 0; i < MAX_ENTRIES; i++)
		if (fk.e[i].used && strlen(fk.e[i].name) == len &&
		    memcmp(fk.e[i].name, name, len) == 0)
			return &fk.e[i];
	return NULL;
}

/* "/entry" or "/entry/attr" -> entry and attribute index (-1: the dir). */
static int resolve(const char *path, struct entry **e, int *attr)
{
	const char *p = path + 1, *slash = strchr(p, '/');
	size_t i;

	*e = find(p, slash ? (size_t)(slash - p) : strlen(p));
	if (*e == NULL)
		return -ENOENT;
	*attr = -1;
	if (slash == NULL)
		return 0;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strcmp(slash + 1, attrs[i]) == 0) {
			*attr = (int)i;
			return 0;
		}
	return -ENOENT;
}

static size_t render(struct entry *e, int attr, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	switch (attr) {
	case 1: /* outblob */
		if (strcmp(fk.knobs.provider, "tdx_guest") == 0) {
			n = TDX_QUOTE_LEN;
			memset(buf, 0, n);
			buf[0] = 4;    /* version 4 */
			buf[4] = 0x81; /* TDX */
			memcpy(buf + 48 + 520, e->inblob, sizeof(e->inblob));
		} else {
			n = SNP_REPORT_LEN;
			memset(buf, 0, n);
			buf[0] = 2; /* version 2 */
			buf[0x30] = (uint8_t)e->privlevel;
			memcpy(buf + 0x50, e->inblob, sizeof(e->inblob));
		}
		if (fk.knobs.lie) {
			buf[0x50] ^= 0xff;
			buf[48 + 520] ^= 0xff;
		}
		break;
	case 2: /* auxblob: SNP only, a one-entry GHCB certificate table */
		if (strcmp(fk.knobs.provider, "sev_guest") != 0)
			return 0;
		n = 64;
		memset(buf, 0, n);
		memcpy(buf, "VCEKGUIDVCEKGUID", 16);
		buf[16] = 48; /* offset */
		buf[20] = 16; /* length */
		memcpy(buf + 48, "fake VCEK DER..", 16);
		break;
	case 3:
		n = (size_t)snprintf((char *)buf, cap, "%s\n", fk.knobs.provider);
		break;
	case 4:
		n = (size_t)snprintf((char *)buf, cap, "%u\n", e->generation);
		break;
	case 6:
		n = (size_t)snprintf((char *)buf, cap, "0\n");
		break;
	default:
		n = 0;
	}
	return n;
}

static int fk_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct entry *e;
	int attr, rc = 0;

	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	pthread_mutex_lock(&fk.lock);
	rc = resolve(path, &e, &attr);
	if (rc == 0 && attr < 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (rc == 0) {
		st->st_mode = S_IFREG | (attr == 0 || attr == 5 ? 0200 : 0444);
		st->st_nlink = 1;
		st->st_size = 4096; /* like sysfs/configfs: not the real length */
	}
	pthread_mutex_unlock(&fk.lock);
	return rc;
}

static int fk_mkdir(const char *path, mode_t mode)
{
	int i;

	(void)mode;
	if (strchr(path + 1, '/') != NULL || strlen(path + 1) >= sizeof(fk.e[0].name))
		return -EPERM;
	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < MAX_ENTRIES && fk.e[i].used; i++)
		;
	if (i == MAX_ENTRIES) {
		pthread_mutex_unlock(&fk.lock);
		return -ENOSPC;
	}
	memset(&fk.e[i], 0, sizeof(fk.e[i]));
	fk.e[i].used = 1;
	snprintf(fk.e[i].name, sizeof(fk.e[i].name), "%s", path + 1);
	pthread_mutex_unlock(&fk.lock);
	return 0;
}

static int fk_rmdir(const char *path)
{
	struct entry *e;
	int attr, rc;

	pthread_mutex_lock(&fk.lock);
	rc = resolve(path, &e, &attr);
	if (rc == 0 && attr < 0)
		e->used = 0;
	pthread_mutex_unlock(&fk.lock);
	return rc == 0 && attr >= 0 ? -ENOTDIR : rc;
}

static int fk_open(const char *path, struct fuse_file_info *fi)
{
	struct entry *e;
	int attr, rc;

	pthread_mutex_lock(&fk.lock);
	rc = resolve(path, &e, &attr);
	if (rc == 0 && attr == 1) {
		/* "Another tenant" writes inblob while we read outblob. */
		fk.outblob_reads++;
		if (fk.outblob_reads <= fk.knobs.bump_on_read)
			e->generation++;
	}
	pthread_mutex_unlock(&fk.lock);
	if (rc == 0 && attr < 0)
		return -EISDIR;
	fi->direct_io = 1; /* sizes are not known in advance, as in configfs */
	return rc;
}

static int fk_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	static uint8_t tmp[8192];
	struct entry *e;
	size_t n;
	int attr, rc;

	(void)fi;
	pthread_mutex_lock(&fk.lock);
	rc = resolve(path, &e, &attr);
	if (rc < 0 || attr == 0 || attr == 5) {
		pthread_mutex_unlock(&fk.lock);
		return rc < 0 ? rc : -EACCES;
	}
	/* Like a configfs attribute: rendered whole, served by offset. */
	n = render(e, attr, tmp, sizeof(tmp));
	pthread_mutex_unlock(&fk.lock);
	if ((size_t)off >= n)
		return 0;
	if (size > n - (size_t)off)
		size = n - (size_t)off;
	memcpy(buf, tmp + off, size);
	return (int)size;
}

static int fk_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct entry *e;
	int attr, rc;

	(void)fi;
	(void)off;
	pthread_mutex_lock(&fk.lock);
	rc = resolve(path, &e, &attr);
	if (rc == 0 && attr == 0) {
		if (size > sizeof(e->inblob)) {
			rc = -EINVAL;
		} else {
			memset(e->inblob, 0, sizeof(e->inblob));
			memcpy(e->inblob, buf, size);
			e->inblob_len = size;
			e->generation++;
			rc = (int)size;
		}
	} else if (rc == 0 && attr == 5) {
		if (size == 0 || buf[0] < '0' || buf[0] > '3') {
			rc = -EINVAL;
		} else {
			e->privlevel = buf[0] - '0';
			e->generation++;
			rc = (int)size;
		}
	} else if (rc == 0) {
		rc = -EACCES;
	}
	pthread_mutex_unlock(&fk.lock);
	return rc;
}

static int fk_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)path;
	(void)size;
	(void)fi;
	return 0;
}

static int fk_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct entry *e;
	size_t i;
	int attr;

	(void)off;
	(void)fi;
	(void)flags;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	pthread_mutex_lock(&fk.lock);
	if (strcmp(path, "/") == 0) {
		for (i = 0; i < MAX_ENTRIES; i++)
			if (fk.e[i].used)
				fill(buf, fk.e[i].name, NULL, 0, 0);
	} else if (resolve(path, &e, &attr) == 0 && attr < 0) {
		for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
			fill(buf, attrs[i], NULL, 0, 0);
	}
	pthread_mutex_unlock(&fk.lock);
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = fk_getattr,
	.mkdir = fk_mkdir,
	.rmdir = fk_rmdir,
	.open = fk_open,
	.read = fk_read,
	.write = fk_write,
	.truncate = fk_truncate,
	.readdir = fk_readdir,
};

static void *loop(void *arg)
{
	(void)arg;
	fuse_loop(fk.fuse);
	return NULL;
}

int fake_tsm_start(const char *mnt, const struct fake_tsm_knobs *knobs)
{
	char *argv[] = {"fake_tsm", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);

	fk.knobs = *knobs;
	fk.outblob_reads = 0;
	snprintf(fk.mnt, sizeof(fk.mnt), "%s", mnt);
	fk.fuse = fuse_new(&args, &ops, sizeof(ops), NULL);
	fuse_opt_free_args(&args); /* fuse_new copies what it keeps */
	if (fk.fuse == NULL)
		return -1;
	if (fuse_mount(fk.fuse, mnt) != 0) {
		fuse_destroy(fk.fuse);
		fk.fuse = NULL;
		return -1;
	}
	if (pthread_create(&fk.thread, NULL, loop, NULL) != 0) {
		fuse_unmount(fk.fuse);
		fuse_destroy(fk.fuse);
		fk.fuse = NULL;
		return -1;
	}
	return 0;
}

unsigned fake_tsm_entries(void)
{
	unsigned n = 0;
	int i;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < MAX_ENTRIES; i++)
		n += fk.e[i].used != 0;
	pthread_mutex_unlock(&fk.lock);
	return n;
}

void fake_tsm_stop(void)
{
	if (fk.fuse == NULL)
		return;
	fuse_exit(fk.fuse);
	fuse_unmount(fk.fuse);
	pthread_join(fk.thread, NULL);
	fuse_destroy(fk.fuse);
	fk.fuse = NULL;
}
