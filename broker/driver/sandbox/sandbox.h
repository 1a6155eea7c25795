/*
 * sandbox.h - the Linux sandbox driver (prefix driver_sandbox_): cgroup
 * limits (v2 where memory, cpu and pids are free under our cgroup, else v1)
 * and a process in new pid, mount, net, uts and ipc namespaces, network
 * none or a veth pair, and optionally a swtpm of its own as vTPM.
 *
 * driver_sandbox_new() gives a struct driver whose ops follow driver.h. The
 * extra functions here are for diagnostics and tests; the broker needs only
 * driver.h. Not here: a root file system of its own, a user namespace or
 * seccomp - the command sees the host's files (see sandbox.c for what is
 * and is not isolated).
 */
#ifndef EPH_DRIVER_SANDBOX_H
#define EPH_DRIVER_SANDBOX_H

#include <limits.h>
#include <stddef.h>

#include "driver.h"

struct driver_sandbox_config {
	const char *state_root;   /* absolute folder; a sandbox's state is
				   * state_root/ephemera-<id>/ (console.log, tpm/) */
	const char *fixtures_dir; /* folder with swtpm-up.sh and swtpm-down.sh;
				   * NULL: specs asking for a vTPM are refused */
	const char *ca_dir;       /* swtpm CA folder (shared by all sandboxes, so
				   * every EK chains to it); NULL: state_root/swtpm-ca */
};

/*
 * Detect the cgroup backend under this process's own cgroups and make a
 * driver. Fails (EPH_EUNSUPPORTED) when neither v2 nor v1 offers memory, cpu
 * and pids. Free with driver_free().
 */
int driver_sandbox_new(struct driver **out, const struct driver_sandbox_config *cfg,
		       struct eph_err *err);

/* "cgroup v1" or "cgroup v2", and the controller folders under which
 * sandboxes go, as one human-readable line. */
const char *driver_sandbox_backend(const struct driver *d);

/*
 * The cgroup folders (one per distinct v1 hierarchy, or one for v2) a
 * sandbox named env_id has or would have. Returns how many were written
 * (at most max), or a negative code.
 */
int driver_sandbox_cgroup_dirs(const struct driver *d, char (*dirs)[PATH_MAX], size_t max,
			       const char *env_id, struct eph_err *err);

/* A sandbox's folder under state_root (console.log: the command's stdout
 * and stderr). */
int driver_sandbox_state_dir(const struct driver *d, char *buf, size_t len, const char *env_id);

/* veth mode: the host-side interface name and both dotted-quad addresses
 * of the sandbox's /30, as chosen at create by this instance. */
int driver_sandbox_net_info(struct driver *d, char host_if[16], char host_addr[16],
			    char sbx_addr[16], const char *env_id);

#endif
