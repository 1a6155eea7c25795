/*
 * qemu-priv.h - what the files of the qemu VM driver share (qv__*): small
 * file and process helpers (util.c), the QMP client (qmp.c), the newc cpio
 * writer and per-VM initrd (initrd.c), the agent configuration text
 * (agentconf.c), the vTPM (vtpm.c), the accelerator probe (accel.c), the
 * qemu command line and launch (vm.c), the encrypted data disk (disk.c),
 * the qemu process's usage (procstat.c) and the state-folder scan
 * (list.c).
 * Nothing here is public; qemu.c ties it together behind driver.h. The
 * tests include this header to check the pieces one by one.
 */
#ifndef EPH_QEMU_PRIV_H
#define EPH_QEMU_PRIV_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "driver-priv.h"
#include "driver.h"
#include "eph_err.h"

#define QV_DIR_PREFIX "vm-"       /* state_root/vm-<env id>/ */
#define QV_HANDLE_PREFIX "vm:"    /* handle "vm:<env id>" */
#define QV_GUEST_BROKER_IP "10.0.2.100" /* guestfwd address of the broker */

/* Files of a VM folder. */
#define QV_F_QMP "qmp.sock"
#define QV_F_PID "qemu.pid"
#define QV_F_CONSOLE "console.log"
#define QV_F_SHELL "shell.sock"
#define QV_F_INITRD "initrd.img"
#define QV_F_QEMULOG "qemu.log"
#define QV_D_TPM "tpm"
#define QV_F_DISK "data.luks"     /* the encrypted data disk (disk.c) */
#define QV_F_DISKLOG "disk.log"   /* qemu-img's messages */
#define QV_DISK_PORT "qv-rp0"     /* the spare pcie-root-port it is plugged into */

/* util.c */
int qv__write_file(const char *path, const void *buf, size_t len, struct eph_err *err);
int qv__parse_u64(uint64_t *out, const char *s, const char **end);
/* Remove a folder tree, staying on its file system; ENOENT is success. */
int qv__rm_rf(const char *path);
long qv__now_ms(void);
/* Nonzero when pid exists and is not a zombie. */
int qv__alive(pid_t pid);
/* The pid in pidfile when that process is alive and its command line
 * contains needle (pids get reused), else 0. */
pid_t qv__pid_check(const char *pidfile, const char *needle);
/* Wait until pid is gone (up to ms); 0 gone, -1 still there. */
int qv__wait_gone(pid_t pid, int ms);
/* SIGTERM, wait term_ms, SIGKILL, wait 2 s. 0 gone, -1 survived. */
int qv__stop_pid(pid_t pid, int term_ms);
/* Run a helper, stdin /dev/null, stdout and stderr appended to log
 * (NULL: /dev/null), killed after timeout_ms. Its exit status, or < 0. */
int qv__run(const char *const *argv, const char *log, int timeout_ms, struct eph_err *err);
/* The same with in[0..in_len) (at most QV_RUN_IN_MAX bytes) on its
 * stdin instead of /dev/null (in NULL: /dev/null). */
#define QV_RUN_IN_MAX 4096u
int qv__run_in(const char *const *argv, const char *log, int timeout_ms, const void *in,
	       size_t in_len, struct eph_err *err);
/* Absolute path of an executable: name itself if it has a '/', else
 * searched in PATH. */
int qv__which(char *out, size_t cap, const char *name);

/* qmp.c */
#define QV_QMP_LINE_MAX (64u * 1024u) /* a longer reply line is refused */
struct qv_qmp {
	int fd;
	int timeout_ms;           /* per read/write */
	size_t len;               /* bytes buffered in buf */
	char buf[QV_QMP_LINE_MAX + 1];
};
/* Connect to a QMP unix socket, read the greeting, negotiate
 * qmp_capabilities. q is caller-owned storage (large: heap it). */
int qv__qmp_open(struct qv_qmp *q, const char *path, int timeout_ms, struct eph_err *err);
/* Run one command; *ret (may be NULL) gets the "return" value (new
 * reference). Asynchronous events in between are skipped. An "error"
 * reply is EPH_EFAIL with its class and desc in err. args may be NULL
 * (borrowed). */
int qv__qmp_cmd(struct qv_qmp *q, json_t **ret, const char *cmd, json_t *args,
		struct eph_err *err);
/* The same with the arguments as JSON text (an object), for arguments
 * that hold a secret: the request line is wiped before it is freed. */
int qv__qmp_cmd_text(struct qv_qmp *q, json_t **ret, const char *cmd, const char *args_json,
		     struct eph_err *err);
void qv__qmp_close(struct qv_qmp *q);

/* initrd.c */
struct qv_cpio_file {
	const char *name; /* relative, no leading '/': "etc/ephemera/agent.conf" */
	unsigned mode;    /* full st_mode: S_IFDIR | 0755, S_IFREG | 0600 */
	const void *data; /* regular files */
	size_t len;
};
/* A newc archive of files (then the TRAILER!!!) into buf; *len gets its
 * size. EPH_EFORMAT when a name is bad, EPH_ENOMEM on a short buffer. */
int qv__cpio_newc(uint8_t *buf, size_t cap, size_t *len, const struct qv_cpio_file *files,
		  size_t n, struct eph_err *err);
/* out = base initrd, zero-padded to a 512-byte boundary, then the newc
 * archive of files (the kernel unpacks concatenated archives). */
int qv__initrd_build(const char *out, const char *base, const struct qv_cpio_file *files,
		     size_t n, struct eph_err *err);

/* agentconf.c */
struct qv_agent_in {
	const char *broker_url;  /* as the guest sees it */
	const char *pin;
	const char *hostname;    /* the env id: the broker names the agent by it */
	uint32_t period_s;       /* 0: agent default */
	const char *pcrs;        /* NULL: agent default */
	char *const *envp;       /* the spec's environment: EPH_* keys taken */
};
int qv__agent_conf(char *buf, size_t cap, const struct qv_agent_in *in, struct eph_err *err);

/* vtpm.c */
/* Provision (once) tpmdir with an EK certificate from the CA of ca (made
 * with fixtures/swtpm-ca.sh --create) and start swtpm on the unix control
 * socket tpmdir/swtpm.sock. */
int qv__vtpm_up(const char *fixtures, const char *ca, const char *tpmdir, struct eph_err *err);
pid_t qv__vtpm_pid(const char *tpmdir);
/* Stop tpmdir's swtpm if any (never removes files). */
int qv__vtpm_stop(const char *tpmdir, struct eph_err *err);

/* accel.c */
/* "kvm" or "tcg" for mode "auto", "kvm" or "tcg"; why in reason. */
int qv__accel_pick(char accel[8], char *reason, size_t rcap, const char *mode, const char *qemu,
		   const char *kernel, const char *scratch, struct eph_err *err);

/* vm.c */
struct qv_plan {
	const char *qemu;      /* absolute */
	const char *accel;     /* "kvm" | "tcg" */
	const char *dir;       /* the VM folder */
	const char *kernel;
	const char *append;    /* extra kernel command line; may be NULL */
	const char *hostname;  /* the env id: ephemera.hostname= for the guest */
	unsigned vcpus;
	uint64_t mem_mib;
	int vtpm;              /* dir/tpm/swtpm.sock is up */
	int restrict_net;      /* DRIVER_NET_NONE: restrict=on */
	const char *fwd;       /* forwarder program, absolute */
	const char *broker_host;
	unsigned broker_port;
	int shell;             /* second serial port on dir/shell.sock */
	int disk_port;         /* a spare pcie-root-port (QV_DISK_PORT) for the
				  data disk's hot-plug */
};
#define QV_ARGV_MAX 64
/* The qemu command line (argv pointers into store). */
int qv__vm_argv(const char *argv[QV_ARGV_MAX], char *store, size_t cap, const struct qv_plan *p,
		struct eph_err *err);
/* Start qemu (-daemonize, paused) and wait until its QMP socket answers. */
int qv__vm_launch(const struct qv_plan *p, struct eph_err *err);
/* The qemu pid of a VM folder, 0 when none runs. */
pid_t qv__vm_pid(const char *dir);

/* disk.c */
#define QV_DISK_KEY_MIN 16u
#define QV_DISK_KEY_MAX 64u
#define QV_DISK_MIB_MAX (1ull << 20) /* 1 TiB */
/* Format dir/data.luks (qemu-img, LUKS, mib MiB) with key; nothing of the
 * key is left in files or in this process's memory afterwards. */
int qv__disk_create(const char *qemu_img, const char *dir, uint64_t mib, const uint8_t *key,
		    size_t key_len, struct eph_err *err);
/* Over q (the VM's QMP): open dir/data.luks with key and hot-plug it as a
 * virtio-blk-pci on QV_DISK_PORT; 0 when it is plugged already,
 * EPH_EVERIFY when key does not unlock it (nothing left attached). */
int qv__disk_release(struct qv_qmp *q, const char *dir, const uint8_t *key, size_t key_len,
		     struct eph_err *err);

/* procstat.c */
/* cpu_usage_ns and mem_peak_bytes of process pid; 0, or -1 when gone. */
int qv__proc_usage(struct driver_stats *out, pid_t pid);

/* list.c */
/* Env ids of every vm-<id> folder under root (malloc'ed, may be 0). */
int qv__scan(const char *root, char (**ids)[DRIVER_ID_MAX + 1], size_t *n, struct eph_err *err);

#endif
