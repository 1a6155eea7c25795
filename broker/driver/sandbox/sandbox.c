/*
 * sandbox.c - the Linux sandbox driver behind driver.h: ties together the
 * cgroup backend (cgroup.c), the namespaced first process (proc.c), the
 * network (net.c) and the vTPM (vtpm.c), keeps per-instance state (the go
 * pipe of each sandbox it created) and encodes handles.
 *
 * A handle is "sbx:<env id>:<pid>" (pid 0 when no task was found). Every
 * name is derived from the env id: cgroups ephemera-<id> under our own
 * cgroup in each hierarchy, state folder <state_root>/ephemera-<id>
 * (console.log, tpm/), veth ephh<hash(id)>. So destroy and list work from
 * the handle alone, in any instance (reconciliation after a restart).
 *
 * What is isolated: pids, mounts, network, hostname, SysV IPC (namespaces);
 * memory, CPU and task count (cgroup); capabilities beyond Docker's default
 * set. What is NOT: the file system (the workload sees the host's files as
 * root, minus the dropped capabilities), users (no user namespace),
 * syscalls (no seccomp), devices (no devices cgroup). It is a resource and
 * visibility boundary for cooperative workloads such as the agent, not a
 * security boundary against hostile root code.
 *
 * Concurrency: one mutex guards the instance's table; calls on different
 * handles may run in parallel, calls on one handle must not.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eph_file.h"
#include "sandbox-priv.h"
#include "sandbox.h"

struct sbx_entry {
	struct sbx_entry *next;
	char id[DRIVER_ID_MAX + 1];
	struct sbx_proc proc;
	char **argv; /* deep copies of the spec's command */
	char **envp;
	char tcti[128]; /* "" without vTPM */
	int veth;
	char host_if[SBX_IFNAME];
	char host_addr[INET_ADDRSTRLEN];
	char sbx_addr[INET_ADDRSTRLEN];
};

struct sbx_driver {
	struct driver base;
	struct sbx_cg cg;
	char state_root[PATH_MAX];
	char fixtures[PATH_MAX]; /* "" when no vTPM support */
	char ca[PATH_MAX];
	pthread_mutex_t lock;
	struct sbx_entry *entries;
};

static struct sbx_driver *sd(const struct driver *d)
{
	return (struct sbx_driver *)(void *)d;
}

static void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char **strv_dup(char *const *v)
{
	size_t n = 0, i;
	char **o;

	while (v && v[n])
		n++;
	o = calloc(n + 1, sizeof(*o));
	for (i = 0; o && i < n; i++) {
		o[i] = strdup(v[i]);
		if (!o[i]) {
			strv_free(o);
			return NULL;
		}
	}
	return o;
}

static void entry_free(struct sbx_entry *e)
{
	if (!e)
		return;
	sbx__proc_close(&e->proc);
	strv_free(e->argv);
	strv_free(e->envp);
	free(e);
}

/* Unlink the entry for id from the table (NULL if this instance has none). */
static struct sbx_entry *take(struct sbx_driver *s, const char *id)
{
	struct sbx_entry **pp, *e = NULL;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->entries; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->id, id) == 0) {
			e = *pp;
			*pp = e->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return e;
}

static struct sbx_entry *find_locked(struct sbx_driver *s, const char *id)
{
	struct sbx_entry *e;

	for (e = s->entries; e; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

static int parse_handle(char id[DRIVER_ID_MAX + 1], const char *h, struct eph_err *err)
{
	const char *c;
	size_t l;
	uint64_t pid;

	if (!h || strncmp(h, "sbx:", 4) != 0 || !(c = strchr(h + 4, ':')))
		return eph_err_set(err, EPH_EFORMAT, "not a sandbox handle: '%.40s'", h ? h : "");
	l = (size_t)(c - h - 4);
	if (l == 0 || l > DRIVER_ID_MAX)
		return eph_err_set(err, EPH_EFORMAT, "sandbox handle: bad env id");
	memcpy(id, h + 4, l);
	id[l] = '\0';
	if (!driver_id_valid(id) || sbx__parse_u64(&pid, c + 1, &c) < 0 || *c)
		return eph_err_set(err, EPH_EFORMAT, "sandbox handle: bad env id or pid");
	return 0;
}

static int state_dir(const struct sbx_driver *s, char *buf, size_t len, const char *id)
{
	int n = snprintf(buf, len, "%s/" SBX_PREFIX "%s", s->state_root, id);

	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/*
 * Remove everything of sandbox id: its swtpm, every task in its cgroups,
 * the veth, the state folder, the cgroups. Each step runs even when an
 * earlier one failed; the first failure is returned.
 */
static int teardown(struct sbx_driver *s, const char *id, struct sbx_entry *e,
		    struct eph_err *err)
{
	char st[PATH_MAX], tpm[PATH_MAX + 8], hif[SBX_IFNAME], pif[SBX_IFNAME];
	struct eph_err e2;
	int rc = 0, r, i;

	if (state_dir(s, st, sizeof(st), id) < 0)
		return eph_err_set(err, EPH_EFAIL, "state path too long for %s", id);
	snprintf(tpm, sizeof(tpm), "%s/tpm", st);
	if (s->fixtures[0] && (r = sbx__vtpm_down(s->fixtures, tpm, &e2)) < 0 && rc == 0)
		rc = eph_err_set(err, r, "destroy %s: %s", id, e2.msg);
	/* Stragglers of an interrupted create (a killed broker's swtpm-up.sh
	 * and what it started) name the state folder on their command line. */
	(void)sbx__kill_mentioning(st);
	if (e && e->proc.pid > 0)
		kill(e->proc.pid, SIGKILL); /* ours, even if never attached */
	if ((r = sbx__cg_kill(&s->cg, id, 3000, &e2)) < 0 && rc == 0)
		rc = eph_err_set(err, r, "destroy %s: %s", id, e2.msg);
	if (e && e->proc.pid > 0) /* reap our own child, bounded */
		for (i = 0; i < 1000 && waitpid(e->proc.pid, NULL, WNOHANG) == 0; i++)
			usleep(1000);
	sbx__net_names(hif, pif, id);
	if ((r = sbx__net_veth_down(hif, &e2)) < 0 && rc == 0)
		rc = eph_err_set(err, r, "destroy %s: %s", id, e2.msg);
	if (sbx__rm_rf(st) < 0 && rc == 0)
		rc = eph_err_set(err, EPH_EIO, "destroy %s: removing %s: %s", id, st,
				 strerror(errno));
	if ((r = sbx__cg_remove(&s->cg, id, &e2)) < 0 && rc == 0)
		rc = eph_err_set(err, r, "destroy %s: %s", id, e2.msg);
	return rc;
}

static int check_spec(const struct sbx_driver *s, const struct driver_spec *sp,
		      struct eph_err *err)
{
	if (!driver_id_valid(sp->env_id))
		return eph_err_set(err, EPH_EFORMAT, "env id must be 1-%d of [A-Za-z0-9-]",
				   DRIVER_ID_MAX);
	if (sp->vcpu_milli && (sp->vcpu_milli < 10 || sp->vcpu_milli > 1000000))
		return eph_err_set(err, EPH_EFORMAT, "vcpu_milli %u outside 10..1000000",
				   sp->vcpu_milli);
	if (sp->mem_mib > (1ull << 30))
		return eph_err_set(err, EPH_EFORMAT, "mem_mib too large");
	if (!sp->argv || !sp->argv[0] || sp->argv[0][0] != '/')
		return eph_err_set(err, EPH_EFORMAT, "command: argv[0] must be an absolute path");
	if (sp->net != DRIVER_NET_NONE && sp->net != DRIVER_NET_VETH)
		return eph_err_set(err, EPH_EFORMAT, "unknown network mode %d", (int)sp->net);
	if (sp->vtpm && !s->fixtures[0])
		return eph_err_set(err, EPH_EUNSUPPORTED, "vTPM asked but no swtpm fixtures set");
	return 0;
}

static int sbx_create(struct driver *d, char handle[DRIVER_HANDLE_MAX],
		      const struct driver_spec *sp, struct eph_err *err)
{
	struct sbx_driver *s = sd(d);
	struct sbx_entry *e = NULL;
	struct sbx_plan plan;
	char st[PATH_MAX], f[PATH_MAX + 16];
	uint32_t ha = 0, sa = 0;
	int rc, made = 0;

	memset(&plan, 0, sizeof(plan));
	plan.log_fd = -1;
	rc = check_spec(s, sp, err);
	if (rc < 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (!e)
		return eph_err_set(err, EPH_ENOMEM, "sandbox: out of memory");
	e->proc.pid = -1;
	e->proc.go_fd = e->proc.err_fd = -1;
	snprintf(e->id, sizeof(e->id), "%s", sp->env_id);
	e->argv = strv_dup(sp->argv);
	e->envp = strv_dup(sp->envp);
	if (!e->argv || !e->envp) {
		rc = eph_err_set(err, EPH_ENOMEM, "sandbox: out of memory");
		goto fail;
	}
	/* The cgroups first: once they exist, list() finds whatever follows. */
	rc = sbx__cg_create(&s->cg, e->id, sp, err);
	if (rc < 0) { /* nothing made; EPH_EPOLICY: exists, someone else's */
		entry_free(e);
		return rc;
	}
	made = 1;
	if (state_dir(s, st, sizeof(st), e->id) < 0 || driver__path(f, sizeof(f), st, "console.log") < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "state path too long");
		goto fail;
	}
	if ((mkdir(s->state_root, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(st, 0700) < 0 && errno != EEXIST)) {
		rc = eph_err_set(err, EPH_EIO, "mkdir %s: %s", st, strerror(errno));
		goto fail;
	}
	plan.log_fd = open(f, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (plan.log_fd < 0) {
		rc = eph_err_set(err, EPH_EIO, "%s: %s", f, strerror(errno));
		goto fail;
	}
	snprintf(plan.hostname, sizeof(plan.hostname), "%s", e->id);
	if (sp->net == DRIVER_NET_VETH) {
		rc = sbx__net_pick(&ha, &sa, e->id, err);
		if (rc < 0)
			goto fail;
		e->veth = plan.veth = 1;
		plan.addr = sa;
		sbx__net_names(e->host_if, plan.peer_if, e->id);
		inet_ntop(AF_INET, &ha, e->host_addr, sizeof(e->host_addr));
		inet_ntop(AF_INET, &sa, e->sbx_addr, sizeof(e->sbx_addr));
	}
	rc = sbx__proc_spawn(&e->proc, &plan, err);
	if (rc < 0)
		goto fail;
	rc = sbx__cg_attach(&s->cg, e->id, e->proc.pid, err);
	if (rc == 0 && e->veth)
		rc = sbx__net_veth_up(e->host_if, plan.peer_if, e->proc.pid, ha, err);
	if (rc == 0 && sp->vtpm) {
		snprintf(f, sizeof(f), "%s/tpm", st);
		rc = sbx__vtpm_up(e->tcti, sizeof(e->tcti), s->fixtures, s->ca, f, e->proc.pid, err);
	}
	if (rc < 0)
		goto fail;
	close(plan.log_fd);
	snprintf(handle, DRIVER_HANDLE_MAX, "sbx:%s:%d", e->id, (int)e->proc.pid);
	pthread_mutex_lock(&s->lock);
	e->next = s->entries;
	s->entries = e;
	pthread_mutex_unlock(&s->lock);
	return 0;
fail:
	if (plan.log_fd >= 0)
		close(plan.log_fd);
	if (made)
		teardown(s, e->id, e, NULL);
	entry_free(e);
	return rc;
}

static int sbx_start(struct driver *d, const char *handle, const struct driver_cmd *cmd,
		     struct eph_err *err)
{
	struct sbx_driver *s = sd(d);
	char id[DRIVER_ID_MAX + 1], v[6][PATH_MAX + 16];
	char *extra[7] = { NULL };
	struct sbx_entry *e;
	int rc, n = 0;

	rc = parse_handle(id, handle, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	e = find_locked(s, id);
	pthread_mutex_unlock(&s->lock);
	if (!e)
		return eph_err_set(err, EPH_ENOTFOUND,
				   "sandbox %s was not created by this driver instance", id);
	snprintf(v[n], sizeof(v[n]), "EPH_ENV_ID=%s", e->id);
	extra[n] = v[n];
	n++;
	/* The sandbox's own folder (wiped by destroy): state a workload such
	 * as the agent keeps goes there, not into the host's shared tree. */
	memcpy(v[n], "EPH_STATE_DIR=", 14);
	if (state_dir(s, v[n] + 14, sizeof(v[n]) - 14, e->id) < 0)
		return eph_err_set(err, EPH_EFAIL, "state path too long for %s", e->id);
	extra[n] = v[n];
	n++;
	if (e->tcti[0]) {
		snprintf(v[n], sizeof(v[n]), "EPH_TCTI=%s", e->tcti);
		extra[n] = v[n];
		n++;
		snprintf(v[n], sizeof(v[n]), "TPM2TOOLS_TCTI=%s", e->tcti);
		extra[n] = v[n];
		n++;
	}
	if (e->veth) {
		snprintf(v[n], sizeof(v[n]), "EPH_NET_ADDR=%s", e->sbx_addr);
		extra[n] = v[n];
		n++;
		snprintf(v[n], sizeof(v[n]), "EPH_NET_HOST=%s", e->host_addr);
		extra[n] = v[n];
		n++;
	}
	if (cmd)
		return sbx__proc_go(&e->proc, cmd->argv, cmd->envp, extra, err);
	return sbx__proc_go(&e->proc, e->argv, e->envp, extra, err);
}

static int sbx_stats(struct driver *d, struct driver_stats *out, const char *handle,
		     struct eph_err *err)
{
	char id[DRIVER_ID_MAX + 1];
	int rc = parse_handle(id, handle, err);

	if (rc < 0)
		return rc;
	return sbx__cg_stats(&sd(d)->cg, out, id, err);
}

static int sbx_destroy(struct driver *d, const char *handle, struct eph_err *err)
{
	struct sbx_driver *s = sd(d);
	char id[DRIVER_ID_MAX + 1];
	struct sbx_entry *e;
	int rc = parse_handle(id, handle, err);

	if (rc < 0)
		return rc;
	e = take(s, id);
	rc = teardown(s, id, e, err);
	entry_free(e);
	return rc;
}

static int sbx_list(struct driver *d, struct driver_entry **out, size_t *n, struct eph_err *err)
{
	struct sbx_driver *s = sd(d);
	char (*ids)[DRIVER_ID_MAX + 1] = NULL;
	struct driver_entry *v;
	size_t cnt = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	rc = sbx__cg_scan(&s->cg, &ids, &cnt, err);
	if (rc < 0)
		return rc;
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v) {
		free(ids);
		return eph_err_set(err, EPH_ENOMEM, "sandbox list: out of memory");
	}
	for (i = 0; i < cnt; i++) {
		pid_t pid = 0;

		sbx__cg_procs(&s->cg, ids[i], &pid, 1);
		snprintf(v[i].env_id, sizeof(v[i].env_id), "%s", ids[i]);
		snprintf(v[i].handle, sizeof(v[i].handle), "sbx:%s:%d", ids[i], (int)pid);
	}
	free(ids);
	*out = v;
	*n = cnt;
	return 0;
}

/* The EK certificate swtpm-up.sh wrote when it provisioned the vTPM. */
static int sbx_vtpm_ek(struct driver *d, uint8_t **der, size_t *len, const char *handle,
		       struct eph_err *err)
{
	char id[DRIVER_ID_MAX + 1], st[PATH_MAX], f[PATH_MAX + 32];
	int rc = parse_handle(id, handle, err);

	*der = NULL;
	*len = 0;
	if (rc < 0)
		return rc;
	if (state_dir(sd(d), st, sizeof(st), id) < 0 ||
	    snprintf(f, sizeof(f), "%s/tpm/ek-rsa2048.crt", st) >= (int)sizeof(f))
		return eph_err_set(err, EPH_EFAIL, "state path too long for %s", id);
	if (access(f, F_OK) != 0)
		return eph_err_set(err, EPH_ENOTFOUND, "sandbox %s has no vTPM EK certificate", id);
	return eph_file_read(der, len, f, 16384, err);
}

static void sbx_free(struct driver *d)
{
	struct sbx_driver *s = sd(d);
	struct sbx_entry *e, *nx;

	for (e = s->entries; e; e = nx) {
		nx = e->next;
		entry_free(e); /* closing the go pipe: an unstarted child exits */
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct driver_ops sbx_ops = {
	.name = "sandbox",
	.create = sbx_create,
	.start = sbx_start,
	.stats = sbx_stats,
	.destroy = sbx_destroy,
	.list = sbx_list,
	.free = sbx_free,
	.vtpm_ek = sbx_vtpm_ek,
};

int driver_sandbox_new(struct driver **out, const struct driver_sandbox_config *cfg,
		       struct eph_err *err)
{
	struct sbx_driver *s;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->state_root || cfg->state_root[0] != '/')
		return eph_err_set(err, EPH_EFORMAT, "sandbox: state_root must be absolute");
	s = calloc(1, sizeof(*s));
	if (!s)
		return eph_err_set(err, EPH_ENOMEM, "sandbox: out of memory");
	s->base.ops = &sbx_ops;
	pthread_mutex_init(&s->lock, NULL);
	rc = sbx__cg_detect(&s->cg, err);
	if (rc < 0)
		goto fail;
	if (snprintf(s->state_root, sizeof(s->state_root), "%s", cfg->state_root) >=
		    (int)sizeof(s->state_root) ||
	    snprintf(s->fixtures, sizeof(s->fixtures), "%s",
		     cfg->fixtures_dir ? cfg->fixtures_dir : "") >= (int)sizeof(s->fixtures) ||
	    (cfg->ca_dir ? snprintf(s->ca, sizeof(s->ca), "%s", cfg->ca_dir)
			 : snprintf(s->ca, sizeof(s->ca), "%s/swtpm-ca", cfg->state_root)) >=
		    (int)sizeof(s->ca)) {
		rc = eph_err_set(err, EPH_EFORMAT, "sandbox: a configured path is too long");
		goto fail;
	}
	*out = &s->base;
	return 0;
fail:
	pthread_mutex_destroy(&s->lock);
	free(s);
	return rc;
}

const char *driver_sandbox_backend(const struct driver *d)
{
	return sd(d)->cg.desc;
}

int driver_sandbox_cgroup_dirs(const struct driver *d, char (*dirs)[PATH_MAX], size_t max,
			       const char *env_id, struct eph_err *err)
{
	if (!driver_id_valid(env_id))
		return eph_err_set(err, EPH_EFORMAT, "bad env id");
	return sbx__cg_dirs(&sd(d)->cg, dirs, max, env_id);
}

int driver_sandbox_state_dir(const struct driver *d, char *buf, size_t len, const char *env_id)
{
	if (!driver_id_valid(env_id))
		return EPH_EFORMAT;
	return state_dir(sd(d), buf, len, env_id) < 0 ? EPH_EFAIL : 0;
}

int driver_sandbox_net_info(struct driver *d, char host_if[16], char host_addr[16],
			    char sbx_addr[16], const char *env_id)
{
	struct sbx_driver *s = sd(d);
	struct sbx_entry *e;
	int rc = EPH_ENOTFOUND;

	pthread_mutex_lock(&s->lock);
	e = find_locked(s, env_id);
	if (e && e->veth) {
		memcpy(host_if, e->host_if, SBX_IFNAME);
		memcpy(host_addr, e->host_addr, 16);
		memcpy(sbx_addr, e->sbx_addr, 16);
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}
