/*
 * qemu.c - the qemu VM driver behind driver.h: checks specs, lays out the
 * VM folder, ties together the vTPM (vtpm.c), the per-VM initrd
 * (initrd.c, agentconf.c), qemu's launch (vm.c), QMP (qmp.c) and the
 * folder scan (list.c), and encodes handles ("vm:<env id>").
 *
 * A VM folder state_root/vm-<id>/ holds: qmp.sock, qemu.pid, qemu.log
 * (qemu's own startup errors), console.log (the guest's first serial
 * port), shell.sock (second serial port, debug_shell only), initrd.img,
 * tpm/ (swtpm state, swtpm.sock, swtpm.pid, logs), and with a data disk
 * data.luks (0600, LUKS: only encrypted bytes) and disk.log (qemu-img's
 * messages). It is made 0700 first in create, so list() finds a half-made
 * VM, and removed last in destroy.
 *
 * Sizes: vCPUs = vcpu_milli rounded up to whole vCPUs (0: 1); memory =
 * mem_mib (0: default_mem_mib), at least QV_MEM_MIN. pids_max means
 * nothing to a VM and is ignored; so are argv and envp except the EPH_*
 * variables agentconf.c maps into the agent's configuration. disk_mib
 * (with disk_key) adds an encrypted data disk, attached only by
 * release_disk (disk.c).
 *
 * Usage for stats() is read from the host's view of the qemu process
 * (CPU time, VmHWM), and the last reading of each VM is kept, so that a
 * VM whose qemu already exited (guest poweroff) still reports what it
 * used before destroy.
 *
 * Concurrency: calls on different handles may run in parallel (the one
 * shared table, the stats cache, has a mutex); calls on one handle must
 * not.
 *
 * Not here: deciding when to destroy (lifecycle), sizes (policy, qnet),
 * keeping VMs across host reboots (qemu does not survive one; list() then
 * finds the folders and reconciliation destroys them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eph_file.h"
#include "qemu-priv.h"
#include "qemu.h"

#define QV_MEM_MIN 128
#define QV_MEM_DEFAULT 512
#define QV_VCPU_MAX 64
#define QV_CERT_MAX (64u << 10)

struct qv_usage {
	struct qv_usage *next;
	char id[DRIVER_ID_MAX + 1];
	struct driver_stats last;
};

struct qv_driver {
	struct driver base;
	char state_root[PATH_MAX];
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];
	char qemu[PATH_MAX];
	char fixtures[PATH_MAX]; /* "" when no vTPM support */
	char ca[PATH_MAX];
	char fwd[PATH_MAX];
	char qemu_img[PATH_MAX]; /* "" when not found: data disks refused */
	char broker_host[64];
	unsigned broker_port;
	char pin[128];
	char *cert;              /* PEM text or NULL */
	size_t cert_len;
	char append[512];
	uint32_t period_s;
	char pcrs[128];          /* "" = agent default */
	uint64_t default_mem;
	int shell;
	char accel[8];
	char accel_why[480];
	pthread_mutex_t lock;
	struct qv_usage *usage;
};

static struct qv_driver *qd(const struct driver *d)
{
	return (struct qv_driver *)(void *)d;
}

static int vm_dir(const struct qv_driver *q, char *buf, size_t len, const char *id)
{
	int n = snprintf(buf, len, "%s/" QV_DIR_PREFIX "%s", q->state_root, id);

	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static int parse_handle(char id[DRIVER_ID_MAX + 1], const char *h, struct eph_err *err)
{
	size_t pl = strlen(QV_HANDLE_PREFIX);

	if (!h || strncmp(h, QV_HANDLE_PREFIX, pl) != 0 || !driver_id_valid(h + pl))
		return eph_err_set(err, EPH_EFORMAT, "not a VM handle: '%.40s'", h ? h : "");
	memcpy(id, h + pl, strlen(h + pl) + 1);
	return 0;
}

static void usage_put(struct qv_driver *q, const char *id, const struct driver_stats *s)
{
	struct qv_usage *u;

	pthread_mutex_lock(&q->lock);
	for (u = q->usage; u && strcmp(u->id, id) != 0; u = u->next)
		;
	if (!u && (u = calloc(1, sizeof(*u))) != NULL) {
		snprintf(u->id, sizeof(u->id), "%s", id);
		u->next = q->usage;
		q->usage = u;
	}
	if (u)
		u->last = *s;
	pthread_mutex_unlock(&q->lock);
}

/* The last reading of id (zeros if none); drop removes it. */
static void usage_get(struct qv_driver *q, const char *id, struct driver_stats *s, int drop)
{
	struct qv_usage **pp, *u;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&q->lock);
	for (pp = &q->usage; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->id, id) == 0) {
			u = *pp;
			*s = u->last;
			if (drop) {
				*pp = u->next;
				free(u);
			}
			break;
		}
	pthread_mutex_unlock(&q->lock);
	s->running = 0;
}

/*
 * Stop and remove everything of VM id: qemu (QMP quit, SIGTERM, SIGKILL),
 * its swtpm, the folder. Each step runs even when an earlier one failed;
 * the first failure is returned.
 */
static int teardown(struct qv_driver *q, const char *id, struct eph_err *err)
{
	char dir[PATH_MAX], tpm[PATH_MAX + 8], sock[PATH_MAX + 16];
	struct eph_err e2;
	struct qv_qmp *m;
	pid_t pid;
	int rc = 0, r;

	if (vm_dir(q, dir, sizeof(dir), id) < 0 ||
	    snprintf(tpm, sizeof(tpm), "%s/" QV_D_TPM, dir) >= (int)sizeof(tpm) ||
	    snprintf(sock, sizeof(sock), "%s/" QV_F_QMP, dir) >= (int)sizeof(sock))
		return eph_err_set(err, EPH_EFAIL, "destroy %s: path too long", id);
	pid = qv__vm_pid(dir);
	if (pid > 0) {
		/* The polite way first: qemu closes its files and the swtpm
		 * connection itself. */
		m = malloc(sizeof(*m));
		if (m && qv__qmp_open(m, sock, 2000, &e2) == 0) {
			qv__qmp_cmd(m, NULL, "quit", NULL, &e2);
			qv__qmp_close(m);
		}
		free(m);
		if (qv__wait_gone(pid, 3000) < 0 && qv__stop_pid(pid, 2000) < 0 && rc == 0)
			rc = eph_err_set(err, EPH_EFAIL, "destroy %s: qemu %d survived SIGKILL", id,
					 (int)pid);
	}
	if ((r = qv__vtpm_stop(tpm, &e2)) < 0 && rc == 0)
		rc = eph_err_set(err, r, "destroy %s: %s", id, e2.msg);
	if (qv__rm_rf(dir) < 0 && rc == 0)
		rc = eph_err_set(err, EPH_EIO, "destroy %s: removing %s: %s", id, dir,
				 strerror(errno));
	return rc;
}

static int check_spec(const struct qv_driver *q, const struct driver_spec *sp,
		      struct eph_err *err)
{
	if (!driver_id_valid(sp->env_id))
		return eph_err_set(err, EPH_EFORMAT, "env id must be 1-%d of [A-Za-z0-9-]",
				   DRIVER_ID_MAX);
	if (sp->vcpu_milli > QV_VCPU_MAX * 1000u)
		return eph_err_set(err, EPH_EFORMAT, "vcpu_milli %u above %u vCPUs", sp->vcpu_milli,
				   QV_VCPU_MAX);
	if (sp->mem_mib && (sp->mem_mib < QV_MEM_MIN || sp->mem_mib > (1ull << 20)))
		return eph_err_set(err, EPH_EFORMAT, "mem_mib %llu: a VM needs %u MiB to 1 TiB",
				   (unsigned long long)sp->mem_mib, QV_MEM_MIN);
	if (sp->net != DRIVER_NET_NONE && sp->net != DRIVER_NET_VETH)
		return eph_err_set(err, EPH_EFORMAT, "unknown network mode %d", (int)sp->net);
	if (sp->vtpm && !q->fixtures[0])
		return eph_err_set(err, EPH_EUNSUPPORTED, "vTPM asked but no swtpm fixtures set");
	if (sp->disk_mib > QV_DISK_MIB_MAX)
		return eph_err_set(err, EPH_EFORMAT, "disk_mib %llu above 1 TiB",
				   (unsigned long long)sp->disk_mib);
	if (sp->disk_mib && (!sp->disk_key || sp->disk_key_len < QV_DISK_KEY_MIN ||
			     sp->disk_key_len > QV_DISK_KEY_MAX))
		return eph_err_set(err, EPH_EFORMAT, "a data disk needs a key of %u to %u bytes",
				   QV_DISK_KEY_MIN, QV_DISK_KEY_MAX);
	if (sp->disk_mib && !q->qemu_img[0])
		return eph_err_set(err, EPH_EUNSUPPORTED, "data disk asked but qemu-img not found "
				   "(apt-get install -y qemu-utils)");
	return 0;
}

static int make_initrd(struct qv_driver *q, const char *dir, const struct driver_spec *sp,
		       struct eph_err *err)
{
	char conf[2048], url[128], out[PATH_MAX];
	struct qv_agent_in in = { .broker_url = url, .pin = q->pin, .hostname = sp->env_id,
				  .period_s = q->period_s, .pcrs = q->pcrs[0] ? q->pcrs : NULL,
				  .envp = sp->envp };
	struct qv_cpio_file files[4] = {
		{ "etc", 040755, NULL, 0 },
		{ "etc/ephemera", 040755, NULL, 0 },
		{ "etc/ephemera/agent.conf", 0100600, conf, 0 },
		{ "etc/ephemera/broker.pem", 0100644, q->cert, q->cert_len },
	};
	int rc;

	snprintf(url, sizeof(url), "https://" QV_GUEST_BROKER_IP ":%u", q->broker_port);
	rc = qv__agent_conf(conf, sizeof(conf), &in, err);
	if (rc < 0)
		return rc;
	files[2].len = strlen(conf);
	if (driver__path(out, sizeof(out), dir, QV_F_INITRD) < 0)
		return eph_err_set(err, EPH_EFORMAT, "initrd: path too long");
	return qv__initrd_build(out, q->initrd, files, q->cert ? 4 : 3, err);
}

static int qv_create(struct driver *d, char handle[DRIVER_HANDLE_MAX],
		     const struct driver_spec *sp, struct eph_err *err)
{
	struct qv_driver *q = qd(d);
	char dir[PATH_MAX], tpm[PATH_MAX + 8];
	struct qv_plan plan;
	int rc;

	rc = check_spec(q, sp, err);
	if (rc < 0)
		return rc;
	/* qemu's unix sockets: sun_path is 108 bytes with the NUL. */
	if (vm_dir(q, dir, sizeof(dir), sp->env_id) < 0 ||
	    strlen(dir) + sizeof("/" QV_D_TPM "/swtpm.sock") > 108)
		return eph_err_set(err, EPH_EFORMAT, "VM folder %s: too long for a unix socket",
				   dir);
	snprintf(tpm, sizeof(tpm), "%s/" QV_D_TPM, dir);
	if (mkdir(q->state_root, 0700) < 0 && errno != EEXIST)
		return eph_err_set(err, EPH_EIO, "mkdir %s: %s", q->state_root, strerror(errno));
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return eph_err_set(err, EPH_EPOLICY, "VM %s exists already", sp->env_id);
		return eph_err_set(err, EPH_EIO, "mkdir %s: %s", dir, strerror(errno));
	}
	/* From here the folder exists: list() finds whatever follows, and a
	 * failure undoes it all. */
	if (sp->vtpm) {
		rc = qv__vtpm_up(q->fixtures, q->ca, tpm, err);
		if (rc < 0)
			goto fail;
	}
	rc = make_initrd(q, dir, sp, err);
	if (rc < 0)
		goto fail;
	if (sp->disk_mib) {
		rc = qv__disk_create(q->qemu_img, dir, sp->disk_mib, sp->disk_key,
				     sp->disk_key_len, err);
		if (rc < 0)
			goto fail;
	}
	memset(&plan, 0, sizeof(plan));
	plan.qemu = q->qemu;
	plan.accel = q->accel;
	plan.dir = dir;
	plan.kernel = q->kernel;
	plan.append = q->append;
	plan.hostname = sp->env_id;
	plan.vcpus = sp->vcpu_milli ? (sp->vcpu_milli + 999) / 1000 : 1;
	plan.mem_mib = sp->mem_mib ? sp->mem_mib : q->default_mem;
	plan.vtpm = sp->vtpm;
	plan.restrict_net = sp->net == DRIVER_NET_NONE;
	plan.fwd = q->fwd;
	plan.broker_host = q->broker_host;
	plan.broker_port = q->broker_port;
	plan.shell = q->shell;
	plan.disk_port = sp->disk_mib != 0;
	rc = qv__vm_launch(&plan, err);
	if (rc < 0)
		goto fail;
	snprintf(handle, DRIVER_HANDLE_MAX, QV_HANDLE_PREFIX "%s", sp->env_id);
	return 0;
fail:
	teardown(q, sp->env_id, NULL);
	return rc;
}

static int open_qmp(struct qv_qmp **out, struct qv_driver *q, const char *id,
		    struct eph_err *err)
{
	char dir[PATH_MAX], sock[PATH_MAX + 16];
	int rc;

	*out = NULL;
	if (vm_dir(q, dir, sizeof(dir), id) < 0 ||
	    snprintf(sock, sizeof(sock), "%s/" QV_F_QMP, dir) >= (int)sizeof(sock))
		return eph_err_set(err, EPH_EFAIL, "VM %s: path too long", id);
	if (qv__vm_pid(dir) == 0)
		return eph_err_set(err, EPH_ENOTFOUND, "VM %s: no qemu runs", id);
	*out = malloc(sizeof(**out));
	if (!*out)
		return eph_err_set(err, EPH_ENOMEM, "qemu: out of memory");
	rc = qv__qmp_open(*out, sock, 5000, err);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static void close_qmp(struct qv_qmp *m)
{
	if (m) {
		qv__qmp_close(m);
		free(m);
	}
}

/* QMP query-status "status" into st (e.g. "prelaunch", "running"). */
static int query_status(struct qv_qmp *m, char *st, size_t cap, struct eph_err *err)
{
	json_t *r = NULL;
	const char *s;
	int rc = qv__qmp_cmd(m, &r, "query-status", NULL, err);

	if (rc < 0)
		return rc;
	s = json_string_value(json_object_get(r, "status"));
	if (!s) {
		json_decref(r);
		return eph_err_set(err, EPH_EFORMAT, "qmp: query-status without a status");
	}
	snprintf(st, cap, "%s", s);
	json_decref(r);
	return 0;
}

static int qv_start(struct driver *d, const char *handle, const struct driver_cmd *cmd,
		    struct eph_err *err)
{
	struct qv_qmp *m = NULL;
	char id[DRIVER_ID_MAX + 1], st[32];
	int rc;

	(void)cmd; /* a VM runs its image's init; see qemu.h */
	rc = parse_handle(id, handle, err);
	if (rc < 0)
		return rc;
	rc = open_qmp(&m, qd(d), id, err);
	if (rc == 0)
		rc = query_status(m, st, sizeof(st), err);
	if (rc == 0 && strcmp(st, "running") != 0) {
		if (strcmp(st, "prelaunch") == 0 || strcmp(st, "paused") == 0)
			rc = qv__qmp_cmd(m, NULL, "cont", NULL, err);
		else
			rc = eph_err_set(err, EPH_EFAIL, "VM %s is %s, cannot start it", id, st);
	}
	close_qmp(m);
	return rc;
}

static int qv_stats(struct driver *d, struct driver_stats *out, const char *handle,
		    struct eph_err *err)
{
	struct qv_driver *q = qd(d);
	struct qv_qmp *m = NULL;
	struct eph_err e2;
	char id[DRIVER_ID_MAX + 1], dir[PATH_MAX], st[32];
	pid_t pid;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_handle(id, handle, err);
	if (rc < 0)
		return rc;
	if (vm_dir(q, dir, sizeof(dir), id) < 0)
		return eph_err_set(err, EPH_EFAIL, "VM %s: path too long", id);
	pid = qv__vm_pid(dir);
	if (pid == 0 || qv__proc_usage(out, pid) < 0) {
		if (access(dir, F_OK) < 0)
			return eph_err_set(err, EPH_ENOTFOUND, "VM %s does not exist", id);
		usage_get(q, id, out, 0);
		return 0;
	}
	out->running = 1;
	if (open_qmp(&m, q, id, &e2) == 0 && query_status(m, st, sizeof(st), &e2) == 0 &&
	    strcmp(st, "shutdown") == 0)
		out->running = 0;
	close_qmp(m);
	usage_put(q, id, out);
	return 0;
}

static int qv_destroy(struct driver *d, const char *handle, struct eph_err *err)
{
	struct qv_driver *q = qd(d);
	struct driver_stats dummy;
	char id[DRIVER_ID_MAX + 1];
	int rc = parse_handle(id, handle, err);

	if (rc < 0)
		return rc;
	rc = teardown(q, id, err);
	if (rc == 0)
		usage_get(q, id, &dummy, 1);
	return rc;
}

static int qv_list(struct driver *d, struct driver_entry **out, size_t *n, struct eph_err *err)
{
	char (*ids)[DRIVER_ID_MAX + 1] = NULL;
	struct driver_entry *v;
	size_t cnt = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	rc = qv__scan(qd(d)->state_root, &ids, &cnt, err);
	if (rc < 0)
		return rc;
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v) {
		free(ids);
		return eph_err_set(err, EPH_ENOMEM, "qemu list: out of memory");
	}
	for (i = 0; i < cnt; i++) {
		snprintf(v[i].env_id, sizeof(v[i].env_id), "%s", ids[i]);
		snprintf(v[i].handle, sizeof(v[i].handle), QV_HANDLE_PREFIX "%s", ids[i]);
	}
	free(ids);
	*out = v;
	*n = cnt;
	return 0;
}

/* The EK certificate swtpm_setup wrote when it provisioned the vTPM. */
static int qv_vtpm_ek(struct driver *d, uint8_t **der, size_t *len, const char *handle,
		      struct eph_err *err)
{
	char id[DRIVER_ID_MAX + 1], dir[PATH_MAX], f[PATH_MAX + 32];
	int rc = parse_handle(id, handle, err);

	*der = NULL;
	*len = 0;
	if (rc < 0)
		return rc;
	if (vm_dir(qd(d), dir, sizeof(dir), id) < 0 ||
	    snprintf(f, sizeof(f), "%s/" QV_D_TPM "/ek-rsa2048.crt", dir) >= (int)sizeof(f))
		return eph_err_set(err, EPH_EFAIL, "VM %s: path too long", id);
	if (access(f, F_OK) != 0)
		return eph_err_set(err, EPH_ENOTFOUND, "VM %s has no vTPM EK certificate", id);
	return eph_file_read(der, len, f, 16384, err);
}

/* Hot-plug the data disk unlocked with key (disk.c); qemu.h. */
static int qv_release_disk(struct driver *d, const char *handle, const uint8_t *key,
			   size_t key_len, struct eph_err *err)
{
	struct qv_driver *q = qd(d);
	struct qv_qmp *m = NULL;
	char id[DRIVER_ID_MAX + 1], dir[PATH_MAX];
	int rc = parse_handle(id, handle, err);

	if (rc < 0)
		return rc;
	if (vm_dir(q, dir, sizeof(dir), id) < 0)
		return eph_err_set(err, EPH_EFAIL, "VM %s: path too long", id);
	rc = open_qmp(&m, q, id, err);
	if (rc < 0)
		return rc;
	rc = qv__disk_release(m, dir, key, key_len, err);
	close_qmp(m);
	if (rc < 0)
		eph_err_prefix(err, rc, "VM %s", id);
	return rc;
}

static void qv_free(struct driver *d)
{
	struct qv_driver *q = qd(d);
	struct qv_usage *u, *nx;

	for (u = q->usage; u; u = nx) {
		nx = u->next;
		free(u);
	}
	free(q->cert);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static const struct driver_ops qv_ops = {
	.name = "qemu",
	.create = qv_create,
	.start = qv_start,
	.stats = qv_stats,
	.destroy = qv_destroy,
	.list = qv_list,
	.free = qv_free,
	.vtpm_ek = qv_vtpm_ek,
	.release_disk = qv_release_disk,
};

static int copy_str(char *dst, size_t cap, const char *src)
{
	return snprintf(dst, cap, "%s", src ? src : "") >= (int)cap ? -1 : 0;
}

static int load_cert(struct qv_driver *q, const char *path, struct eph_err *err)
{
	ssize_t n;

	q->cert = malloc(QV_CERT_MAX);
	if (!q->cert)
		return eph_err_set(err, EPH_ENOMEM, "qemu: out of memory");
	n = driver__read_str(q->cert, QV_CERT_MAX, path);
	if (n <= 0 || (size_t)n >= QV_CERT_MAX - 1 || !strstr(q->cert, "-----BEGIN CERTIFICATE-----"))
		return eph_err_set(err, EPH_EFORMAT, "broker_cert %s: not a PEM certificate under "
				   "64 KiB", path);
	q->cert_len = (size_t)n;
	return 0;
}

int driver_qemu_new(struct driver **out, const struct driver_qemu_config *cfg,
		    struct eph_err *err)
{
	struct qv_driver *q;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->state_root || cfg->state_root[0] != '/')
		return eph_err_set(err, EPH_EFORMAT, "qemu: state_root must be absolute");
	if (!cfg->kernel || !cfg->initrd || access(cfg->kernel, R_OK) < 0 ||
	    access(cfg->initrd, R_OK) < 0)
		return eph_err_set(err, EPH_ENOTFOUND, "qemu: guest kernel or initrd unreadable "
				   "(%s, %s): build them with packaging/guest/build-guest.sh",
				   cfg->kernel ? cfg->kernel : "-", cfg->initrd ? cfg->initrd : "-");
	if (!cfg->broker_pin || !cfg->broker_port || !cfg->forwarder)
		return eph_err_set(err, EPH_EFORMAT,
				   "qemu: broker_pin, broker_port and forwarder are required");
	q = calloc(1, sizeof(*q));
	if (!q)
		return eph_err_set(err, EPH_ENOMEM, "qemu: out of memory");
	q->base.ops = &qv_ops;
	pthread_mutex_init(&q->lock, NULL);
	if (copy_str(q->state_root, sizeof(q->state_root), cfg->state_root) < 0 ||
	    copy_str(q->kernel, sizeof(q->kernel), cfg->kernel) < 0 ||
	    copy_str(q->initrd, sizeof(q->initrd), cfg->initrd) < 0 ||
	    copy_str(q->fixtures, sizeof(q->fixtures), cfg->fixtures_dir) < 0 ||
	    copy_str(q->broker_host, sizeof(q->broker_host),
		     cfg->broker_host ? cfg->broker_host : "127.0.0.1") < 0 ||
	    copy_str(q->pin, sizeof(q->pin), cfg->broker_pin) < 0 ||
	    copy_str(q->append, sizeof(q->append), cfg->kernel_append) < 0 ||
	    copy_str(q->pcrs, sizeof(q->pcrs), cfg->agent_pcrs) < 0 ||
	    (cfg->ca_dir ? copy_str(q->ca, sizeof(q->ca), cfg->ca_dir)
			 : (snprintf(q->ca, sizeof(q->ca), "%s/swtpm-ca", cfg->state_root) >=
					    (int)sizeof(q->ca) ? -1 : 0)) < 0) {
		rc = eph_err_set(err, EPH_EFORMAT, "qemu: a configured value is too long");
		goto fail;
	}
	if (qv__which(q->qemu, sizeof(q->qemu), cfg->qemu ? cfg->qemu : "qemu-system-x86_64") < 0) {
		rc = eph_err_set(err, EPH_EUNSUPPORTED, "qemu: %s not found: apt-get install -y "
				 "qemu-system-x86", cfg->qemu ? cfg->qemu : "qemu-system-x86_64");
		goto fail;
	}
	/* Only VMs with a data disk need it (qemu-utils). */
	if (qv__which(q->qemu_img, sizeof(q->qemu_img), "qemu-img") < 0)
		q->qemu_img[0] = '\0';
	if (qv__which(q->fwd, sizeof(q->fwd), cfg->forwarder) < 0 || q->fwd[0] != '/') {
		rc = eph_err_set(err, EPH_ENOTFOUND, "qemu: forwarder %s not found (an absolute "
				 "path to ephemera-vmfwd)", cfg->forwarder);
		goto fail;
	}
	/* qemu runs it through /bin/sh -c: no character the shell treats
	 * specially. */
	if (strspn(q->fwd, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-") !=
	    strlen(q->fwd)) {
		rc = eph_err_set(err, EPH_EFORMAT, "qemu: forwarder path %s: only [A-Za-z0-9/._+-]",
				 q->fwd);
		goto fail;
	}
	if (strspn(q->broker_host, "0123456789.:abcdefABCDEF") != strlen(q->broker_host) ||
	    !q->broker_host[0]) {
		rc = eph_err_set(err, EPH_EFORMAT, "qemu: broker_host must be a numeric address");
		goto fail;
	}
	q->broker_port = cfg->broker_port;
	q->period_s = cfg->agent_period_s;
	q->default_mem = cfg->default_mem_mib ? cfg->default_mem_mib : QV_MEM_DEFAULT;
	q->shell = cfg->debug_shell;
	if (cfg->broker_cert) {
		rc = load_cert(q, cfg->broker_cert, err);
		if (rc < 0)
			goto fail;
	}
	if (mkdir(q->state_root, 0700) < 0 && errno != EEXIST) {
		rc = eph_err_set(err, EPH_EIO, "mkdir %s: %s", q->state_root, strerror(errno));
		goto fail;
	}
	rc = qv__accel_pick(q->accel, q->accel_why, sizeof(q->accel_why), cfg->accel, q->qemu,
			    q->kernel, q->state_root, err);
	if (rc < 0)
		goto fail;
	*out = &q->base;
	return 0;
fail:
	qv_free(&q->base);
	return rc;
}

const char *driver_qemu_accel(const struct driver *d)
{
	return qd(d)->accel_why;
}

int driver_qemu_state_dir(const struct driver *d, char *buf, size_t len, const char *env_id)
{
	if (!driver_id_valid(env_id))
		return EPH_EFORMAT;
	return vm_dir(qd(d), buf, len, env_id) < 0 ? EPH_EFAIL : 0;
}
