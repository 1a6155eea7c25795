/*
 * cgroup.c - the sandbox's cgroups: find our own cgroup in each hierarchy,
 * choose v2 or v1, make ephemera-<id> folders under OUR cgroup (never
 * elsewhere), write the limits, move a pid in, kill and remove, read stats
 * and scan for ephemera-* folders.
 *
 * Backend choice: v2 when the unified hierarchy offers memory, cpu and
 * pids under our cgroup (in cgroup.subtree_control, or enabled there by us);
 * else v1 with the memory, cpu, cpuacct and pids hierarchies, each at our
 * own path from /proc/self/cgroup. Limits:
 *   v1: memory.limit_in_bytes and, when swap accounting exists,
 *       memory.memsw.limit_in_bytes = the same (swap does not extend the
 *       limit); cpu.cfs_period_us = 100000, cpu.cfs_quota_us = milli * 100;
 *       pids.max.
 *   v2: memory.max, memory.swap.max = 0 (when present), cpu.max
 *       "quota 100000", pids.max.
 * Stats: v1 cpuacct.usage, memory.max_usage_in_bytes, memory.oom_control
 * oom_kill; v2 cpu.stat usage_usec, memory.peak, memory.events oom_kill.
 * Not done: cpuset, io limits, nested cgroups made by the workload (it
 * cannot see cgroupfs: its /sys is a fresh read-only sysfs).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox-priv.h"

static const char *const ctrl_name[SBX_CG_N] = { "memory", "cpu", "cpuacct", "pids" };

/* Is word an element of the list separated by sep? */
static int word_in(const char *list, const char *word, char sep)
{
	size_t wl = strlen(word);
	const char *p = list;

	while (p && *p) {
		const char *e = strchr(p, sep);
		size_t l = e ? (size_t)(e - p) : strcspn(p, "\n");

		if (l == wl && strncmp(p, word, wl) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Field i (0-based, space separated) of a mountinfo line, copied out. */
static int field(char *out, size_t cap, const char *line, int i)
{
	const char *p = line;
	size_t l;

	while (i-- > 0) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	l = strcspn(p, " \n");
	if (l >= cap)
		return -1;
	memcpy(out, p, l);
	out[l] = '\0';
	return 0;
}

/*
 * Mount point of the hierarchy: for v1 the cgroup mount whose super options
 * list ctrl; for v2 (ctrl NULL) the cgroup2 mount. Mounts whose root is not
 * "/" (cgroup namespaces, bind mounts) are skipped.
 */
static int find_mount(char *mnt, size_t cap, const char *ctrl, const char *mountinfo)
{
	const char *line = mountinfo;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *dash = strstr(line, " - ");
		const char *eol = strchr(line, '\n');
		char root[PATH_MAX], fstype[32], opts[512];

		if (!dash || (eol && dash > eol))
			continue;
		if (field(fstype, sizeof(fstype), dash + 3, 0) < 0 ||
		    field(opts, sizeof(opts), dash + 3, 2) < 0 ||
		    field(root, sizeof(root), line, 3) < 0 || strcmp(root, "/") != 0)
			continue;
		if (ctrl ? strcmp(fstype, "cgroup") != 0 || !word_in(opts, ctrl, ',')
			 : strcmp(fstype, "cgroup2") != 0)
			continue;
		return field(mnt, cap, line, 4);
	}
	return -1;
}

/* Our path in the hierarchy holding ctrl ("" for the v2 "0::" line). */
static int own_path(char *out, size_t cap, const char *ctrl, const char *self)
{
	const char *line = self;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *c1 = strchr(line, ':'), *c2, *eol;
		char ctrls[256];
		size_t l;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		l = (size_t)(c2 - c1 - 1);
		if (l >= sizeof(ctrls))
			continue;
		memcpy(ctrls, c1 + 1, l);
		ctrls[l] = '\0';
		if (ctrl ? !word_in(ctrls, ctrl, ',') : l != 0)
			continue;
		eol = strchr(c2, '\n');
		l = eol ? (size_t)(eol - c2 - 1) : strlen(c2 + 1);
		if (l + 1 > cap)
			return -1;
		memcpy(out, c2 + 1, l);
		out[l] = '\0';
		return 0;
	}
	return -1;
}

static int join_base(char *out, size_t cap, const char *mnt, const char *path)
{
	int n = snprintf(out, cap, "%s%s", mnt, strcmp(path, "/") == 0 ? "" : path);

	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static int try_v2(struct sbx_cg *cg, const char *mountinfo, const char *self)
{
	char mnt[PATH_MAX], path[PATH_MAX], f[PATH_MAX + 32], buf[512];
	static const char *const need[] = { "memory", "cpu", "pids" };
	size_t i;

	if (find_mount(mnt, sizeof(mnt), NULL, mountinfo) < 0 ||
	    own_path(path, sizeof(path), NULL, self) < 0 ||
	    join_base(cg->dirs[0], sizeof(cg->dirs[0]), mnt, path) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s/cgroup.controllers", cg->dirs[0]);
	if (driver__read_str(buf, sizeof(buf), f) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (!word_in(buf, need[i], ' '))
			return -1;
	snprintf(f, sizeof(f), "%s/cgroup.subtree_control", cg->dirs[0]);
	if (driver__read_str(buf, sizeof(buf), f) < 0)
		return -1;
	if (!word_in(buf, "memory", ' ') || !word_in(buf, "cpu", ' ') ||
	    !word_in(buf, "pids", ' ')) {
		/* Fails (EBUSY) while we ourselves sit in this cgroup: then v1. */
		if (sbx__write_str(f, "+memory +cpu +pids", NULL) < 0)
			return -1;
	}
	cg->v2 = 1;
	cg->ndirs = 1;
	for (i = 0; i < SBX_CG_N; i++)
		cg->idx[i] = 0;
	snprintf(cg->desc, sizeof(cg->desc), "cgroup v2 under %.200s", cg->dirs[0]);
	return 0;
}

static int try_v1(struct sbx_cg *cg, const char *mountinfo, const char *self)
{
	char mnt[PATH_MAX], path[PATH_MAX], base[PATH_MAX], f[PATH_MAX + 40];
	size_t i, j, off;

	cg->v2 = 0;
	cg->ndirs = 0;
	for (i = 0; i < SBX_CG_N; i++) {
		if (find_mount(mnt, sizeof(mnt), ctrl_name[i], mountinfo) < 0 ||
		    own_path(path, sizeof(path), ctrl_name[i], self) < 0 ||
		    join_base(base, sizeof(base), mnt, path) < 0 || access(base, W_OK) < 0)
			return -1;
		for (j = 0; j < cg->ndirs; j++)
			if (strcmp(cg->dirs[j], base) == 0)
				break;
		if (j == cg->ndirs)
			memcpy(cg->dirs[cg->ndirs++], base, sizeof(base));
		cg->idx[i] = (int)j;
	}
	snprintf(f, sizeof(f), "%s/memory.memsw.limit_in_bytes", cg->dirs[cg->idx[SBX_CG_MEM]]);
	cg->memsw = access(f, F_OK) == 0;
	off = (size_t)snprintf(cg->desc, sizeof(cg->desc), "cgroup v1%s:",
			       cg->memsw ? " (memsw)" : "");
	for (i = 0; i < SBX_CG_N && off < sizeof(cg->desc); i++)
		off += (size_t)snprintf(cg->desc + off, sizeof(cg->desc) - off, " %s=%s",
					ctrl_name[i], cg->dirs[cg->idx[i]]);
	return 0;
}

int sbx__cg_detect(struct sbx_cg *cg, struct eph_err *err)
{
	static char mountinfo[65536];
	char self[4096];
	ssize_t n;

	memset(cg, 0, sizeof(*cg));
	n = driver__read_str(mountinfo, sizeof(mountinfo), "/proc/self/mountinfo");
	if (n < 0)
		return eph_err_set(err, EPH_EIO, "/proc/self/mountinfo: %s", strerror((int)-n));
	n = driver__read_str(self, sizeof(self), "/proc/self/cgroup");
	if (n < 0)
		return eph_err_set(err, EPH_EIO, "/proc/self/cgroup: %s", strerror((int)-n));
	if (try_v2(cg, mountinfo, self) == 0)
		return 0;
	memset(cg, 0, sizeof(*cg));
	if (try_v1(cg, mountinfo, self) == 0)
		return 0;
	return eph_err_set(err, EPH_EUNSUPPORTED,
			   "no cgroup backend: neither v2 nor v1 gives writable memory, cpu, "
			   "cpuacct and pids under our own cgroup");
}

int sbx__cg_dirs(const struct sbx_cg *cg, char (*out)[PATH_MAX], size_t max, const char *id)
{
	size_t i;

	for (i = 0; i < cg->ndirs && i < max; i++) {
		int n = snprintf(out[i], PATH_MAX, "%s/" SBX_PREFIX "%s", cg->dirs[i], id);

		if (n < 0 || n >= PATH_MAX)
			return EPH_EFAIL;
	}
	return (int)i;
}

static int cg_file(char *buf, size_t cap, const struct sbx_cg *cg, int ctrl, const char *id,
		   const char *file)
{
	int n = snprintf(buf, cap, "%s/" SBX_PREFIX "%s/%s", cg->dirs[cg->idx[ctrl]], id, file);

	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static int set(const struct sbx_cg *cg, int ctrl, const char *id, const char *file,
	       const char *val, struct eph_err *err)
{
	char f[PATH_MAX + 64];

	if (cg_file(f, sizeof(f), cg, ctrl, id, file) < 0)
		return eph_err_set(err, EPH_EFAIL, "cgroup path too long");
	return sbx__write_str(f, val, err);
}

static int limits_v1(const struct sbx_cg *cg, const char *id, const struct driver_spec *s,
		     struct eph_err *err)
{
	char v[32];
	int rc = 0;

	if (s->mem_mib) {
		snprintf(v, sizeof(v), "%" PRIu64, s->mem_mib << 20);
		rc = set(cg, SBX_CG_MEM, id, "memory.limit_in_bytes", v, err);
		if (rc == 0 && cg->memsw)
			rc = set(cg, SBX_CG_MEM, id, "memory.memsw.limit_in_bytes", v, err);
	}
	if (rc == 0 && s->vcpu_milli) {
		rc = set(cg, SBX_CG_CPU, id, "cpu.cfs_period_us", "100000", err);
		snprintf(v, sizeof(v), "%" PRIu32, s->vcpu_milli * 100);
		if (rc == 0)
			rc = set(cg, SBX_CG_CPU, id, "cpu.cfs_quota_us", v, err);
	}
	if (rc == 0 && s->pids_max) {
		snprintf(v, sizeof(v), "%" PRIu32, s->pids_max);
		rc = set(cg, SBX_CG_PIDS, id, "pids.max", v, err);
	}
	return rc;
}

static int limits_v2(const struct sbx_cg *cg, const char *id, const struct driver_spec *s,
		     struct eph_err *err)
{
	char v[48], f[PATH_MAX + 64];
	int rc = 0;

	if (s->mem_mib) {
		snprintf(v, sizeof(v), "%" PRIu64, s->mem_mib << 20);
		rc = set(cg, SBX_CG_MEM, id, "memory.max", v, err);
		if (rc == 0 && cg_file(f, sizeof(f), cg, SBX_CG_MEM, id, "memory.swap.max") == 0 &&
		    access(f, F_OK) == 0)
			rc = sbx__write_str(f, "0", err);
	}
	if (rc == 0 && s->vcpu_milli) {
		snprintf(v, sizeof(v), "%" PRIu32 " 100000", s->vcpu_milli * 100);
		rc = set(cg, SBX_CG_CPU, id, "cpu.max", v, err);
	}
	if (rc == 0 && s->pids_max) {
		snprintf(v, sizeof(v), "%" PRIu32, s->pids_max);
		rc = set(cg, SBX_CG_PIDS, id, "pids.max", v, err);
	}
	return rc;
}

/* Make the folders and write the limits; on failure nothing is left. */
int sbx__cg_create(const struct sbx_cg *cg, const char *id, const struct driver_spec *spec,
		   struct eph_err *err)
{
	char d[SBX_CG_N][PATH_MAX];
	int n = sbx__cg_dirs(cg, d, SBX_CG_N, id), i;

	if (n < 0)
		return eph_err_set(err, EPH_EFAIL, "cgroup path too long for %s", id);
	for (i = 0; i < n; i++) {
		if (mkdir(d[i], 0755) < 0) {
			int e = errno, rc = eph_err_set(err, e == EEXIST ? EPH_EPOLICY : EPH_EIO,
							"mkdir %s: %s", d[i], strerror(e));

			while (i-- > 0) /* undo only what this call made */
				rmdir(d[i]);
			return rc;
		}
	}
	i = cg->v2 ? limits_v2(cg, id, spec, err) : limits_v1(cg, id, spec, err);
	if (i < 0) /* no task inside yet: the folders go as they came */
		for (n--; n >= 0; n--)
			rmdir(d[n]);
	return i;
}

int sbx__cg_attach(const struct sbx_cg *cg, const char *id, pid_t pid, struct eph_err *err)
{
	char d[SBX_CG_N][PATH_MAX], f[PATH_MAX + 16], v[24];
	int n = sbx__cg_dirs(cg, d, SBX_CG_N, id), i, rc;

	if (n < 0)
		return eph_err_set(err, EPH_EFAIL, "cgroup path too long for %s", id);
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (i = 0; i < n; i++) {
		if (snprintf(f, sizeof(f), "%s/cgroup.procs", d[i]) >= (int)sizeof(f))
			return eph_err_set(err, EPH_EFAIL, "cgroup path too long");
		rc = sbx__write_str(f, v, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int sbx__cg_procs(const struct sbx_cg *cg, const char *id, pid_t *pids, size_t max)
{
	char d[SBX_CG_N][PATH_MAX], f[PATH_MAX + 16];
	static __thread char buf[65536];
	int n = sbx__cg_dirs(cg, d, SBX_CG_N, id), i;
	size_t cnt = 0, k;

	for (i = 0; i < n; i++) {
		const char *p = buf;
		uint64_t v;

		if (snprintf(f, sizeof(f), "%s/cgroup.procs", d[i]) >= (int)sizeof(f) ||
		    driver__read_str(buf, sizeof(buf), f) < 0)
			continue;
		while (*p && sbx__parse_u64(&v, p, &p) == 0) {
			for (k = 0; k < cnt && k < max; k++)
				if (pids[k] == (pid_t)v)
					break;
			if (k == cnt && cnt < max && v > 0 && v < (uint64_t)INT32_MAX)
				pids[cnt++] = (pid_t)v;
			while (*p == '\n')
				p++;
		}
	}
	return (int)cnt;
}

int sbx__cg_kill(const struct sbx_cg *cg, const char *id, int timeout_ms, struct eph_err *err)
{
	pid_t pids[1024];
	char f[PATH_MAX + 64];
	int i, n, waited = 0;

	if (cg->v2 && cg_file(f, sizeof(f), cg, SBX_CG_MEM, id, "cgroup.kill") == 0 &&
	    access(f, F_OK) == 0)
		sbx__write_str(f, "1", NULL);
	/* Only pids read from our own ephemera-<id> cgroups are signalled. The
	 * pid namespace's init dying takes every other task of it along. */
	for (;;) {
		n = sbx__cg_procs(cg, id, pids, 1024);
		if (n == 0)
			return 0;
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (waited >= timeout_ms)
			break;
		usleep(2000);
		waited += 2;
	}
	return eph_err_set(err, EPH_EFAIL, "%d task(s) of %s%s still alive after %d ms", n,
			   SBX_PREFIX, id, timeout_ms);
}

int sbx__cg_remove(const struct sbx_cg *cg, const char *id, struct eph_err *err)
{
	char d[SBX_CG_N][PATH_MAX];
	int n = sbx__cg_dirs(cg, d, SBX_CG_N, id), i, tries, rc = 0;

	for (i = 0; i < n; i++) {
		/* rmdir may see EBUSY for a moment after the last task exits. */
		for (tries = 0; tries < 500; tries++) {
			if (rmdir(d[i]) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY)
				break;
			usleep(2000);
		}
		if (access(d[i], F_OK) == 0 && rc == 0)
			rc = eph_err_set(err, EPH_EIO, "rmdir %s: %s", d[i], strerror(errno));
	}
	return rc;
}

int sbx__cg_stats(const struct sbx_cg *cg, struct driver_stats *out, const char *id,
		  struct eph_err *err)
{
	char f[PATH_MAX + 64], buf[4096];
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (cg_file(f, sizeof(f), cg, SBX_CG_MEM, id, "") < 0 || access(f, F_OK) < 0)
		return eph_err_set(err, EPH_ENOTFOUND, "no sandbox %s", id);
	if (cg->v2) {
		uint64_t us = 0;

		cg_file(f, sizeof(f), cg, SBX_CG_CPU, id, "cpu.stat");
		if (driver__read_str(buf, sizeof(buf), f) >= 0 && sbx__key_u64(&us, buf, "usage_usec") == 0)
			out->cpu_usage_ns = us * 1000;
		cg_file(f, sizeof(f), cg, SBX_CG_MEM, id, "memory.peak");
		if (driver__read_str(buf, sizeof(buf), f) >= 0)
			sbx__parse_u64(&out->mem_peak_bytes, buf, NULL);
		cg_file(f, sizeof(f), cg, SBX_CG_MEM, id, "memory.events");
		if (driver__read_str(buf, sizeof(buf), f) >= 0)
			sbx__key_u64(&out->oom_events, buf, "oom_kill");
	} else {
		cg_file(f, sizeof(f), cg, SBX_CG_CPUACCT, id, "cpuacct.usage");
		if (driver__read_str(buf, sizeof(buf), f) >= 0)
			sbx__parse_u64(&out->cpu_usage_ns, buf, NULL);
		cg_file(f, sizeof(f), cg, SBX_CG_MEM, id, "memory.max_usage_in_bytes");
		if (driver__read_str(buf, sizeof(buf), f) >= 0)
			sbx__parse_u64(&out->mem_peak_bytes, buf, NULL);
		cg_file(f, sizeof(f), cg, SBX_CG_MEM, id, "memory.oom_control");
		if (driver__read_str(buf, sizeof(buf), f) >= 0)
			sbx__key_u64(&out->oom_events, buf, "oom_kill");
	}
	out->running = sbx__cg_procs(cg, id, &pid, 1) > 0;
	return 0;
}

int sbx__cg_scan(const struct sbx_cg *cg, char (**ids)[DRIVER_ID_MAX + 1], size_t *n,
		 struct eph_err *err)
{
	char (*v)[DRIVER_ID_MAX + 1] = NULL;
	size_t cnt = 0, cap = 0, i, k;

	for (i = 0; i < cg->ndirs; i++) {
		DIR *dir = opendir(cg->dirs[i]);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir)) != NULL) {
			const char *id = de->d_name + strlen(SBX_PREFIX);

			if (de->d_type != DT_DIR ||
			    strncmp(de->d_name, SBX_PREFIX, strlen(SBX_PREFIX)) != 0 ||
			    !driver_id_valid(id))
				continue;
			for (k = 0; k < cnt; k++)
				if (strcmp(v[k], id) == 0)
					break;
			if (k < cnt)
				continue;
			if (cnt == cap) {
				size_t nc = cap ? cap * 2 : 16;
				void *nv = reallocarray(v, nc, sizeof(*v));

				if (!nv) {
					closedir(dir);
					free(v);
					return eph_err_set(err, EPH_ENOMEM, "cgroup scan: out of memory");
				}
				v = nv;
				cap = nc;
			}
			snprintf(v[cnt++], DRIVER_ID_MAX + 1, "%s", id);
		}
		closedir(dir);
	}
	*ids = v;
	*n = cnt;
	return 0;
}
