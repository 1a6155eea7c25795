/*
 * sandbox-priv.h - what the files of the sandbox driver share (sbx__*):
 * small file and process helpers (util.c), the cgroup backend (cgroup.c),
 * the namespaced child (proc.c), the network (net.c) and the vTPM (vtpm.c).
 * Nothing here is public; sandbox.c ties it together behind driver.h.
 */
#ifndef EPH_SANDBOX_PRIV_H
#define EPH_SANDBOX_PRIV_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "driver-priv.h"
#include "driver.h"
#include "eph_err.h"

#define SBX_PREFIX "ephemera-"
#define SBX_IFNAME 16

/* util.c */
int sbx__write_str(const char *path, const char *s, struct eph_err *err);
/* Parse a decimal u64 at the start of s; *end (may be NULL) after it. */
int sbx__parse_u64(uint64_t *out, const char *s, const char **end);
/* The value of a "key N" line in text (cpu.stat, memory.events ...). */
int sbx__key_u64(uint64_t *out, const char *text, const char *key);
/* Remove a folder tree, staying on its file system; ENOENT is success. */
int sbx__rm_rf(const char *path);

enum { SBX_NETNS_HOST = -1, SBX_NETNS_EMPTY = -2 };
struct sbx_run {
	const char *const *argv; /* argv[0] absolute */
	int netns;               /* SBX_NETNS_HOST, SBX_NETNS_EMPTY, or a pid whose net ns */
	const char *log_path;    /* stderr appended here; NULL: /dev/null */
	char *out;               /* stdout captured here (NUL-terminated); may be NULL */
	size_t out_cap;
	int timeout_ms;          /* then SIGKILL */
};
/* Run a helper program; returns its exit status (>= 0) or a negative code. */
int sbx__run(const struct sbx_run *r, struct eph_err *err);

/* cgroup.c */
enum { SBX_CG_MEM, SBX_CG_CPU, SBX_CG_CPUACCT, SBX_CG_PIDS, SBX_CG_N };
struct sbx_cg {
	int v2;
	int memsw;                     /* v1 memory.memsw.* present (swap accounting) */
	size_t ndirs;                  /* distinct hierarchies (1 for v2) */
	char dirs[SBX_CG_N][PATH_MAX]; /* our own cgroup folder in each */
	int idx[SBX_CG_N];             /* controller -> dirs[] */
	char desc[256];
};
int sbx__cg_detect(struct sbx_cg *cg, struct eph_err *err);
int sbx__cg_dirs(const struct sbx_cg *cg, char (*out)[PATH_MAX], size_t max, const char *id);
int sbx__cg_create(const struct sbx_cg *cg, const char *id, const struct driver_spec *spec,
		   struct eph_err *err);
int sbx__cg_attach(const struct sbx_cg *cg, const char *id, pid_t pid, struct eph_err *err);
/* Pids in any of the sandbox's cgroups (up to max); returns the count. */
int sbx__cg_procs(const struct sbx_cg *cg, const char *id, pid_t *pids, size_t max);
int sbx__cg_kill(const struct sbx_cg *cg, const char *id, int timeout_ms, struct eph_err *err);
int sbx__cg_remove(const struct sbx_cg *cg, const char *id, struct eph_err *err);
int sbx__cg_stats(const struct sbx_cg *cg, struct driver_stats *out, const char *id,
		  struct eph_err *err);
/* Env ids of every ephemera-* folder in any of our hierarchies (union). */
int sbx__cg_scan(const struct sbx_cg *cg, char (**ids)[DRIVER_ID_MAX + 1], size_t *n,
		 struct eph_err *err);

/* proc.c */
struct sbx_plan {
	char hostname[DRIVER_ID_MAX + 1];
	int veth;
	char peer_if[SBX_IFNAME]; /* renamed to eth0 inside */
	uint32_t addr;            /* network order, /30 */
	int log_fd;               /* stdout and stderr of the command */
};
struct sbx_proc {
	pid_t pid;
	int go_fd;  /* write end: the go message with argv and envp */
	int err_fd; /* read end: a failure report, EOF once exec succeeded */
};
int sbx__proc_spawn(struct sbx_proc *out, const struct sbx_plan *plan, struct eph_err *err);
int sbx__proc_go(struct sbx_proc *p, char *const *argv, char *const *envp,
		 char *const *extra, struct eph_err *err);
void sbx__proc_close(struct sbx_proc *p);

/* net.c */
void sbx__net_names(char host_if[SBX_IFNAME], char peer_if[SBX_IFNAME], const char *id);
int sbx__net_pick(uint32_t *host, uint32_t *sbx, const char *id, struct eph_err *err);
int sbx__net_veth_up(const char *host_if, const char *peer_if, pid_t pid, uint32_t host,
		     struct eph_err *err);
int sbx__net_veth_down(const char *host_if, struct eph_err *err);
/* lo up in the current network namespace (async-signal-safe); 0 or -errno. */
int sbx__net_lo_up(void);
/* In the child: lo up, and the veth end renamed, addressed and up. 0 or -errno. */
int sbx__net_child_setup(const struct sbx_plan *plan);

/* SIGKILL every process (but us) with an argument containing path: what a
 * killed broker's helpers (swtpm-up.sh, swtpm_setup, swtpm) left running
 * for a state folder. Returns how many. */
unsigned sbx__kill_mentioning(const char *path);

/* vtpm.c */
int sbx__vtpm_up(char *tcti, size_t cap, const char *fixtures, const char *ca,
		 const char *tpmdir, pid_t nspid, struct eph_err *err);
int sbx__vtpm_down(const char *fixtures, const char *tpmdir, struct eph_err *err);
/* The swtpm pid of tpmdir if one is running, else 0. */
pid_t sbx__vtpm_pid(const char *tpmdir);

#endif
