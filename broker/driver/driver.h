/*
 * driver.h - the generic environment driver interface (prefix driver_).
 *
 * A driver turns a spec (the policy's resource limits, a network mode, a
 * command and whether the environment gets a vTPM) into an isolated
 * environment and back: create -> start -> stats ... -> destroy, plus list
 * for reconciliation after a broker restart. Implementations: the Linux
 * sandbox (sandbox/sandbox.h); the qemu driver follows the same table.
 *
 * An environment is named by a handle, a short NUL-terminated string that
 * the store keeps as is; a driver re-derives everything it needs from it,
 * so another instance of the same driver (a restarted broker) can stop
 * what the last one made. This header defines no behaviour of its own
 * beyond the small inline wrappers; it does not choose a driver.
 */
#ifndef EPH_DRIVER_H
#define EPH_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

#define DRIVER_ID_MAX 48     /* env ids: 1..48 chars of [A-Za-z0-9-] */
#define DRIVER_HANDLE_MAX 96 /* handles fit in this, NUL included */

enum driver_net {
	DRIVER_NET_NONE = 0, /* loopback only */
	DRIVER_NET_VETH = 1, /* a veth pair to the host, private /30, no routes beyond */
};

struct driver_spec {
	const char *env_id;        /* [A-Za-z0-9-]{1,48}; names cgroup, hostname, state */
	uint32_t vcpu_milli;       /* CPU quota in thousandths of a CPU; 0 = unlimited */
	uint64_t mem_mib;          /* memory limit in MiB; 0 = unlimited */
	uint32_t pids_max;         /* tasks limit; 0 = unlimited */
	enum driver_net net;
	char *const *argv;         /* command run inside; argv[0] an absolute path */
	char *const *envp;         /* its environment (NULL: empty); the driver adds
				      EPH_ENV_ID, EPH_STATE_DIR (a folder of its own,
				      wiped by destroy), EPH_TCTI with a vTPM */
	int vtpm;                  /* nonzero: a swtpm of its own, TCTI in EPH_TCTI */
	uint64_t disk_mib;         /* an encrypted data disk of this size (the policy's
				      "at-rest" encryption), attached only by
				      release_disk(); 0: none. Drivers without disks
				      (the sandbox) ignore this and the key */
	const uint8_t *disk_key;   /* the key the data disk is formatted with at
				      create (borrowed; 16-64 bytes); the driver
				      keeps it nowhere: not in files, not in memory
				      once create returns */
	size_t disk_key_len;
};

/* A command for start() that replaces the one given at create (warm pool). */
struct driver_cmd {
	char *const *argv; /* argv[0] an absolute path */
	char *const *envp; /* NULL: empty */
};

struct driver_stats {
	uint64_t cpu_usage_ns;   /* CPU time of every task ever in the environment */
	uint64_t mem_peak_bytes; /* high-water mark of charged memory */
	uint64_t oom_events;     /* tasks the OOM killer killed inside */
	int running;             /* nonzero while any task is alive inside */
};

/* One environment found by list(). */
struct driver_entry {
	char env_id[DRIVER_ID_MAX + 1];
	char handle[DRIVER_HANDLE_MAX];
};

struct driver;

struct driver_ops {
	const char *name;
	/* Make the environment with its limits; nothing of the command runs
	 * yet. Writes the handle. On failure everything made is undone. */
	int (*create)(struct driver *d, char handle[DRIVER_HANDLE_MAX],
		      const struct driver_spec *spec, struct eph_err *err);
	/* Run the command (cmd, or the spec's when cmd is NULL). Only the
	 * driver instance that created the environment can start it. */
	int (*start)(struct driver *d, const char *handle, const struct driver_cmd *cmd,
		     struct eph_err *err);
	int (*stats)(struct driver *d, struct driver_stats *out, const char *handle,
		     struct eph_err *err);
	/* Kill everything inside and remove every trace. Idempotent: works on
	 * half-made environments and on ones already gone. */
	int (*destroy)(struct driver *d, const char *handle, struct eph_err *err);
	/* Every environment this driver kind made on this machine (any
	 * instance). *out is malloc'ed, caller frees; *n may be 0. */
	int (*list)(struct driver *d, struct driver_entry **out, size_t *n, struct eph_err *err);
	void (*free)(struct driver *d);
	/*
	 * Optional (NULL: the driver gives no vTPM identity). The DER
	 * certificate of the environment's vTPM RSA-2048 EK as the driver
	 * provisioned it: the broker binds the agent that registers from
	 * inside to the environment by it (a hostname alone is self-asserted).
	 * *der is malloc'ed, caller frees. EPH_ENOTFOUND: no vTPM.
	 */
	int (*vtpm_ek)(struct driver *d, uint8_t **der, size_t *len, const char *handle,
		       struct eph_err *err);
	/*
	 * Optional (NULL: the driver makes no data disks). Attach the
	 * environment's encrypted data disk, unlocked with key: called by the
	 * broker only after the environment's first accepted attestation, so
	 * that the key is released to a measured guest only. The driver keeps
	 * no copy of key once this returns. 0 also when the disk is attached
	 * already (the key is then not checked again); EPH_EVERIFY when key
	 * does not unlock the disk (nothing is attached); EPH_ENOTFOUND when
	 * the environment has no data disk or no longer runs.
	 */
	int (*release_disk)(struct driver *d, const char *handle, const uint8_t *key,
			    size_t key_len, struct eph_err *err);
};

/* Implementations embed this as their first member. */
struct driver {
	const struct driver_ops *ops;
};

/* Nonzero when id is 1..DRIVER_ID_MAX characters of [A-Za-z0-9-]. */
int driver_id_valid(const char *id);

static inline int driver_create(struct driver *d, char handle[DRIVER_HANDLE_MAX],
				const struct driver_spec *spec, struct eph_err *err)
{
	return d->ops->create(d, handle, spec, err);
}

static inline int driver_start(struct driver *d, const char *handle,
			       const struct driver_cmd *cmd, struct eph_err *err)
{
	return d->ops->start(d, handle, cmd, err);
}

static inline int driver_stats(struct driver *d, struct driver_stats *out, const char *handle,
			       struct eph_err *err)
{
	return d->ops->stats(d, out, handle, err);
}

static inline int driver_destroy(struct driver *d, const char *handle, struct eph_err *err)
{
	return d->ops->destroy(d, handle, err);
}

static inline int driver_list(struct driver *d, struct driver_entry **out, size_t *n,
			      struct eph_err *err)
{
	return d->ops->list(d, out, n, err);
}

/* The vTPM EK certificate of handle (see driver_ops.vtpm_ek);
 * EPH_EUNSUPPORTED when the driver has none to give. */
static inline int driver_vtpm_ek(struct driver *d, uint8_t **der, size_t *len,
				 const char *handle, struct eph_err *err)
{
	if (d->ops->vtpm_ek == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED, "driver %s keeps no vTPM identity",
				   d->ops->name);
	return d->ops->vtpm_ek(d, der, len, handle, err);
}

/* Attach handle's encrypted data disk unlocked with key (see
 * driver_ops.release_disk); EPH_EUNSUPPORTED when the driver makes no
 * data disks. */
static inline int driver_release_disk(struct driver *d, const char *handle, const uint8_t *key,
				      size_t key_len, struct eph_err *err)
{
	if (d->ops->release_disk == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED, "driver %s makes no data disks",
				   d->ops->name);
	return d->ops->release_disk(d, handle, key, key_len, err);
}

/* Free a driver instance (NULL is fine). Environments stay. */
static inline void driver_free(struct driver *d)
{
	if (d)
		d->ops->free(d);
}

#endif
