/*
 * api-lcpriv.h - what the files of the API's lifecycle thread share
 * (api_lc.c: queue, provisioning, verdicts, ticks, start and stop;
 * api_lcpool.c: warm pools; api_lcbind.c: binding agents to environments).
 */
#ifndef API_LCPRIV_H
#define API_LCPRIV_H

#include <pthread.h>

#include "api-lc.h"
#include "driver.h"
#include "lifecycle.h"
#include "warmpool.h"
#include "wire.h"

enum lc_kind { LC_PROVISION, LC_ATTESTED, LC_DELETE };

struct lc_cmd {
	struct lc_cmd *next;
	enum lc_kind kind;
	char env[STORE_ID_SIZE];
	int ok;
	int64_t decision;
	char reason[WIRE_MAX_TEXT];
};

#define LC_ARGV_MAX 24
#define LC_POOLS 16            /* warm pool classes with a target */
#define LC_POOL_TTL_MS 600000u /* an idle member older than this is dropped */

struct lc_pool {
	char key[WARMPOOL_CLASS_MAX + 1];
	size_t target;
	uint32_t vcpu_milli, mem_mib; /* its members' size (api__lc_warm) */
};

struct api__lc {
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lc_cmd *head, *tail;
	int stop;
	store *st;
	lifecycle *lc;
	struct driver *drv;
	api_log_fn log;
	void *log_ctx;
	unsigned tick_ms;
	unsigned pids_max;
	char pin[128];
	char *argv[LC_ARGV_MAX];
	char period[24];
	struct warmpool *wp;
	struct lc_pool pools[LC_POOLS];
	int disks;              /* at-rest data disks: the driver can release keys */
	uint8_t master[32];     /* their master secret (api_diskkey.c) */
};

#define LC_DISK_MIB 64 /* the at-rest data disk of an environment */

/* One log line through the configured api_log_fn (thread-safe). */
void api__lc_log(struct api__lc *l, enum api_log_level level, const char *what,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* api_lcpool.c */
int api__lc_pool_key(char key[WARMPOOL_CLASS_MAX + 1], const struct store_env *e);
void api__lc_pool_want(struct api__lc *l, const char *key, const struct driver_spec *sp,
		       size_t target);
void api__lc_pool_refill(struct api__lc *l);
int api__lc_pool_short(struct api__lc *l);

#endif
