/*
 * api_lc.c - the broker's provisioning side: one lifecycle thread that owns
 * broker/lifecycle over the configured driver. The event loop never waits
 * for a driver (a sandbox with its vTPM takes about a second to make, a VM
 * much longer): handlers queue commands here and answer at once.
 *
 *   admitted (api_envs.c)        -> provision: policy JSON -> driver spec
 *   verdict of a bound agent     -> lifecycle_attested (ok, or drift)
 *   DELETE of a provisioned env  -> lifecycle_delete
 *   every tick (1 s)             -> lifecycle_tick: TTL, deadlines, exits
 *
 * The thread has its own store handle (SQLite WAL: one writer at a time,
 * the busy timeout queues the other). On start, before anything is
 * served, the store is reconciled against the driver and environments left
 * admitted by the last run are queued for provisioning again.
 *
 * What runs inside an environment is the agent (cfg.env_agent), started by
 * /bin/sh so that it gets the vTPM's TCTI, the environment's id as hostname
 * and its state folder from the variables the driver sets (driver.h). It
 * reaches the broker through cfg.unix_socket, the attestation channel that
 * exists whatever the environment's network policy says (the way a VM's
 * agent uses vsock): the socket is a file, visible through the sandbox's
 * shared file system, not a route.
 *
 * Binding an agent to its environment (api__lc_bind, api_lcbind.c; the warm
 * pools are api_lcpool.c): the agent says which
 * environment it is (hostname); the broker believes it only when the EK
 * certificate it registered with is the one the driver provisioned in that
 * environment's vTPM, byte for byte. Activation then proves the AK lives
 * in that TPM, so only evidence from inside the environment moves it.
 *
 * Not here: deciding (api_decide.c), appraising (api_attest.c), the
 * driver's own work (broker/driver), the states (broker/lifecycle).
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-envs.h"
#include "api-lcpriv.h"


void api__lc_log(struct api__lc *l, enum api_log_level level, const char *what,
		   const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (l->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	l->log(l->log_ctx, level, what, why);
}

/* ---------------------------------------------------------------------- */
/* Queue                                                                   */
/* ---------------------------------------------------------------------- */

static void push(struct api__lc *l, enum lc_kind kind, const char *env, int ok,
		 int64_t decision, const char *reason)
{
	struct lc_cmd *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		api__lc_log(l, API_LOG_ERROR, "lifecycle", "out of memory: %s dropped", env);
		return;
	}
	c->kind = kind;
	snprintf(c->env, sizeof(c->env), "%s", env);
	c->ok = ok;
	c->decision = decision;
	snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
	pthread_mutex_lock(&l->mu);
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

void api__lc_provision(struct api *a, const char *env_id, int64_t decision_id)
{
	if (a->lc)
		push(a->lc, LC_PROVISION, env_id, 0, decision_id, NULL);
}

void api__lc_attested(struct api *a, const char *env_id, int ok, const char *reason)
{
	if (a->lc)
		push(a->lc, LC_ATTESTED, env_id, ok, 0, reason);
}

void api__lc_delete(struct api *a, const char *env_id, const char *reason)
{
	if (a->lc)
		push(a->lc, LC_DELETE, env_id, 0, 0, reason);
}

/* ---------------------------------------------------------------------- */
/* What the thread does                                                    */
/* ---------------------------------------------------------------------- */

static const char *last_reason_of(struct api__lc *l, const char *env, char *buf, size_t len);

/* The policy JSON the environment was admitted with -> the driver's spec. */
/* Does the environment's policy ask for encryption at rest? */
static int at_rest(const struct store_env *e)
{
	json_t *doc = json_loads(e->policy ? e->policy : "", 0, NULL);
	const char *enc = json_string_value(json_object_get(doc, "encryption"));
	int yes = enc != NULL && strcmp(enc, "at-rest") == 0;

	json_decref(doc);
	return yes;
}

static int spec_of(struct driver_spec *sp, const struct store_env *e, unsigned pids_max,
		   char *const *argv, struct eph_err *err)
{
	json_t *doc = json_loads(e->policy ? e->policy : "", 0, NULL);
	const char *net;
	int rc = 0;

	memset(sp, 0, sizeof(*sp));
	if (!json_is_object(doc)) {
		json_decref(doc);
		return eph_err_set(err, EPH_EFORMAT, "environment %s: policy is not JSON", e->id);
	}
	sp->env_id = e->id;
	sp->vcpu_milli = (uint32_t)json_integer_value(json_object_get(doc, "vcpu_milli"));
	sp->mem_mib = (uint64_t)json_integer_value(json_object_get(doc, "mem_mib"));
	sp->pids_max = pids_max;
	net = json_string_value(json_object_get(doc, "network"));
	/* "none": loopback only (the agent still has its unix socket);
	 * "allowlist" and "full": a veth pair to the host, no route beyond
	 * (an allowlist proxy is not built yet: the narrower reading). */
	sp->net = net && strcmp(net, "none") != 0 ? DRIVER_NET_VETH : DRIVER_NET_NONE;
	sp->argv = argv[0] ? argv : NULL;
	sp->envp = NULL;
	sp->vtpm = 1;
	if (sp->vcpu_milli == 0 || sp->mem_mib == 0)
		rc = eph_err_set(err, EPH_EFORMAT, "environment %s: policy lacks vcpu_milli/mem_mib",
				 e->id);
	json_decref(doc);
	return rc;
}

static void do_provision(struct api__lc *l, const struct lc_cmd *c)
{
	struct store_env *e = NULL;
	struct driver_spec sp;
	struct eph_err err = {{0}};
	char why[WIRE_MAX_TEXT], pkey[WARMPOOL_CLASS_MAX + 1] = "";
	char handle[DRIVER_HANDLE_MAX], member[DRIVER_ID_MAX + 1];
	uint8_t key[32];
	int rc = store_env_get(&e, l->st, c->env, &err), warm = 0, disk = 0;

	if (rc < 0) {
		api__lc_log(l, API_LOG_ERROR, "provisioning failed", "%s: %s", c->env, err.msg);
		return;
	}
	if (e->state != STORE_ENV_ADMITTED) {
		/* deleted meanwhile, or already taken by another path */
		api__lc_log(l, API_LOG_DEBUG, "provisioning skipped", "%s is %s", c->env,
		       store_env_state_name(e->state));
		goto out;
	}
	rc = spec_of(&sp, e, l->pids_max, l->argv, &err);
	if (rc < 0) {
		struct eph_err e2 = {{0}};

		if (store_env_transition(l->st, c->env, STORE_ENV_ADMITTED, STORE_ENV_FAILED,
					 err.msg, (int64_t)time(NULL), &e2) < 0)
			api__lc_log(l, API_LOG_ERROR, "store", "%s: %s", c->env, e2.msg);
		api__lc_log(l, API_LOG_ERROR, "provisioning refused", "%s", err.msg);
		goto out;
	}
	if (l->disks && at_rest(e)) {
		/* Its own encrypted data disk, formatted with a key derived for
		 * this environment alone: never from a warm pool. */
		if (api__diskkey_derive(key, l->master, c->env, &err) == 0) {
			sp.disk_mib = LC_DISK_MIB;
			sp.disk_key = key;
			sp.disk_key_len = sizeof(key);
			disk = 1;
		} else {
			api__lc_log(l, API_LOG_ERROR, "provisioning", "%s: disk key: %s", c->env, err.msg);
		}
	}
	if (!disk && api__lc_pool_key(pkey, e) == 0 && l->wp != NULL &&
	    warmpool_claim(l->wp, handle, member, pkey, &err) == 0)
		warm = 1;
	api__lc_log(l, API_LOG_INFO, "provisioning",
	       "%s: %u mCPU, %llu MiB, network %s, vTPM, via %s: %s %s", c->env,
	       (unsigned)sp.vcpu_milli, (unsigned long long)sp.mem_mib,
	       sp.net == DRIVER_NET_NONE ? "none" : "veth", l->drv->ops->name,
	       warm ? "warm, claimed pool member" : disk ? "cold, with an encrypted data disk"
							 : "cold, no idle member in pool",
	       warm ? member : disk ? "(key released after attestation)" : (pkey[0] ? pkey : "-"));
	rc = warm ? lifecycle_provision_claimed(l->lc, c->env, handle, c->decision,
						(int64_t)time(NULL), &err)
		  : lifecycle_provision(l->lc, c->env, &sp, c->decision, (int64_t)time(NULL),
					&err);
	explicit_bzero(key, sizeof(key));
	if (pkey[0] && !disk)
		api__lc_pool_want(l, pkey, &sp, e->prewarm);
	if (rc < 0)
		api__lc_log(l, API_LOG_ERROR, "provisioning failed", "%s: %s (%s)", c->env, err.msg,
		       last_reason_of(l, c->env, why, sizeof(why)));
	else
		api__lc_log(l, API_LOG_INFO, "environment attesting",
		       "%s: started; waiting for its agent's first attestation", c->env);
out:
	store_env_free(e);
}

static int last_step_cb(const struct store_env_step *s, void *ctx)
{
	struct {
		char *buf;
		size_t len;
	} *o = ctx;

	snprintf(o->buf, o->len, "%s", s->reason ? s->reason : "");
	return 0;
}

static const char *last_reason_of(struct api__lc *l, const char *env, char *buf, size_t len)
{
	struct eph_err err = {{0}};
	struct {
		char *buf;
		size_t len;
	} o = {buf, len};

	buf[0] = '\0';
	if (store_env_history_foreach(l->st, env, last_step_cb, &o, &err) < 0)
		snprintf(buf, len, "history unreadable: %s", err.msg);
	return buf;
}

/* One line for an environment that reached destroyed or failed. */
static void log_end(struct api__lc *l, const char *env)
{
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	char why[WIRE_MAX_TEXT];

	if (store_env_get(&e, l->st, env, &err) < 0)
		return;
	if (store_env_state_terminal(e->state))
		api__lc_log(l, e->state == STORE_ENV_FAILED ? API_LOG_WARN : API_LOG_INFO,
		       e->state == STORE_ENV_FAILED ? "environment failed" : "environment destroyed",
		       "%s: %s", env, last_reason_of(l, env, why, sizeof(why)));
	store_env_free(e);
}

/* First accepted attestation of an at-rest environment: its data disk's
 * key goes to the driver now, not before. */
static void release_disk(struct api__lc *l, const struct store_env *e)
{
	struct eph_err err = {{0}};
	uint8_t key[32];
	int rc;

	if (!l->disks || !at_rest(e) || e->handle == NULL)
		return;
	rc = api__diskkey_derive(key, l->master, e->id, &err);
	if (rc == 0)
		rc = driver_release_disk(l->drv, e->handle, key, sizeof(key), &err);
	explicit_bzero(key, sizeof(key));
	if (rc < 0)
		api__lc_log(l, API_LOG_ERROR, "disk key not released", "%s: %s", e->id, err.msg);
	else
		api__lc_log(l, API_LOG_INFO, "disk key released",
		       "%s: attested, its encrypted data disk is attached", e->id);
}

static void do_attested(struct api__lc *l, const struct lc_cmd *c)
{
	struct store_env *e = NULL;
	struct eph_err err = {{0}};
	enum store_env_state before;
	int rc;

	if (store_env_get(&e, l->st, c->env, &err) < 0)
		return;
	before = e->state;
	rc = lifecycle_attested(l->lc, c->env, c->ok, c->reason, (int64_t)time(NULL), &err);
	if (rc == EPH_EVERIFY) {
		api__lc_log(l, API_LOG_DEBUG, "verdict ignored", "%s: %s", c->env, err.msg);
		goto out;
	}
	if (rc < 0) {
		api__lc_log(l, API_LOG_ERROR, "lifecycle", "%s: %s", c->env, err.msg);
		goto out;
	}
	if (!c->ok) {
		log_end(l, c->env);
	} else if (before == STORE_ENV_ATTESTING) {
		api__lc_log(l, API_LOG_INFO, "environment running", "%s: first attestation accepted",
		       c->env);
		release_disk(l, e);
	}
out:
	store_env_free(e);
}

static void do_delete(struct api__lc *l, const struct lc_cmd *c)
{
	struct eph_err err = {{0}};

	if (lifecycle_delete(l->lc, c->env, c->reason[0] ? c->reason : NULL,
			     (int64_t)time(NULL), &err) < 0)
		api__lc_log(l, API_LOG_ERROR, "delete failed", "%s: %s", c->env, err.msg);
	else
		log_end(l, c->env);
}

struct live {
	char (*ids)[STORE_ID_SIZE];
	size_t n, cap;
};

static int live_cb(const struct store_env *e, void *ctx)
{
	struct live *lv = ctx;

	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? lv->cap * 2 : 16;
		char (*ids)[STORE_ID_SIZE] = realloc(lv->ids, cap * sizeof(*ids));

		if (ids == NULL)
			return 1;
		lv->ids = ids;
		lv->cap = cap;
	}
	snprintf(lv->ids[lv->n++], STORE_ID_SIZE, "%s", e->id);
	return 0;
}

/* lifecycle_tick, then one line per environment it ended. */
static void do_tick(struct api__lc *l)
{
	struct live lv = {NULL, 0, 0};
	struct eph_err err = {{0}};
	unsigned ended = 0;
	size_t i;

	if (store_env_foreach_live(l->st, live_cb, &lv, &err) < 0)
		lv.n = 0;
	if (lifecycle_tick(l->lc, (int64_t)time(NULL), &ended, &err) < 0)
		api__lc_log(l, API_LOG_ERROR, "lifecycle tick", "%s", err.msg);
	if (l->wp != NULL && warmpool_expire(l->wp, &err) < 0)
		api__lc_log(l, API_LOG_WARN, "warm pool expiry", "%s", err.msg);
	for (i = 0; ended && i < lv.n; i++)
		log_end(l, lv.ids[i]);
	free(lv.ids);
}

static void timespec_add_ms(struct timespec *t, unsigned ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static void *lc_main(void *arg)
{
	struct api__lc *l = arg;
	struct timespec next, now;

	clock_gettime(CLOCK_MONOTONIC, &next);
	timespec_add_ms(&next, l->tick_ms);
	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		struct lc_cmd *c = l->head;
		int refill = 0;

		if (c != NULL) {
			l->head = c->next;
			if (l->head == NULL)
				l->tail = NULL;
		} else if (api__lc_pool_short(l)) {
			refill = 1; /* idle: one warm member, then the queue again */
		} else {
			int w = pthread_cond_timedwait(&l->cv, &l->mu, &next);

			if (w != ETIMEDOUT)
				continue;
		}
		pthread_mutex_unlock(&l->mu);
		if (c != NULL) {
			if (c->kind == LC_PROVISION)
				do_provision(l, c);
			else if (c->kind == LC_ATTESTED)
				do_attested(l, c);
			else
				do_delete(l, c);
			free(c);
		} else if (refill) {
			api__lc_pool_refill(l);
		}
		/* Verdicts first: a tick after a slow step (a refill) must not
		 * take a drifted environment whose agent already quit for a
		 * completed one. */
		pthread_mutex_lock(&l->mu);
		c = l->head;
		pthread_mutex_unlock(&l->mu);
		if (c != NULL) {
			pthread_mutex_lock(&l->mu);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec >= next.tv_nsec)) {
			do_tick(l);
			next = now;
			timespec_add_ms(&next, l->tick_ms);
		}
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Start, stop                                                             */
/* ---------------------------------------------------------------------- */

/*
 * The agent's command: sh expands the variables the driver sets at start
 * (they are not known when the spec is written), then execs the agent.
 */
static int build_argv(struct api__lc *l, const struct api_config *cfg, unsigned period,
		      struct eph_err *err)
{
	static const char script[] =
		"exec \"$0\" --tcti \"$EPH_TCTI\" --hostname \"$EPH_ENV_ID\" "
		"--state-dir \"$EPH_STATE_DIR/agent\" \"$@\"";
	const char *v[LC_ARGV_MAX];
	size_t n = 0, i;

	snprintf(l->period, sizeof(l->period), "%u", period);
	v[n++] = "/bin/sh";
	v[n++] = "-c";
	v[n++] = script;
	v[n++] = cfg->env_agent;
	v[n++] = "--broker";
	v[n++] = "https://localhost";
	v[n++] = "--unix-socket";
	v[n++] = cfg->unix_socket;
	v[n++] = "--pin";
	v[n++] = l->pin;
	v[n++] = "--period-s";
	v[n++] = l->period;
	v[n++] = "--ak-alg";
	v[n++] = "ecc";
	v[n++] = "--cvm";
	v[n++] = "none";
	/* The sandbox sees the host's files: never send the host's logs. */
	v[n++] = "--eventlog";
	v[n++] = "";
	v[n++] = "--ima";
	v[n++] = "";
	for (i = 0; i < n; i++) {
		l->argv[i] = strdup(v[i]);
		if (l->argv[i] == NULL)
			return eph_err_set(err, EPH_ENOMEM, "out of memory");
	}
	l->argv[n] = NULL;
	return 0;
}

static int requeue_cb(const struct store_env *e, void *ctx)
{
	struct api__lc *l = ctx;

	push(l, LC_PROVISION, e->id, 0, 0, NULL);
	return 0;
}

int api__lc_open(struct api *a, struct eph_err *err)
{
	struct api__lc *l;
	struct lifecycle_config lcfg;
	struct lifecycle_reconcile_report rep;
	int rc;

	if (a->cfg.driver == NULL)
		return 0;
	/* Drivers that run a command (sandbox) need the agent's path; those that
	 * boot an image with its agent inside (qemu) ignore the command. */
	if (a->cfg.env_agent != NULL && a->cfg.env_agent[0] != '/')
		return eph_err_set(err, EPH_EFAIL,
				   "env-agent must be the absolute path of ephemera-agent");
	if (a->cfg.unix_socket == NULL)
		return eph_err_set(err, EPH_EFAIL,
				   "a driver needs unix-socket: the agents' way to the broker");
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return eph_err_set(err, EPH_ENOMEM, "out of memory");
	a->lc = l;
	pthread_mutex_init(&l->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&l->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	l->drv = a->cfg.driver;
	l->log = a->cfg.log;
	l->log_ctx = a->cfg.log_ctx;
	l->tick_ms = a->cfg.lc_tick_ms ? a->cfg.lc_tick_ms : 1000;
	l->pids_max = 64;
	rc = api_tls_pin(l->pin, sizeof(l->pin), a->cfg.tls_cert, err);
	if (rc < 0)
		return rc;
	if (a->cfg.env_agent != NULL) {
		rc = build_argv(l, &a->cfg, a->pol.reattest_s ? a->pol.reattest_s : 60, err);
		if (rc < 0)
			return rc;
	}
	rc = store_open(&l->st, a->cfg.store_path, NULL, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "store %s (lifecycle)", a->cfg.store_path);
	lifecycle_config_default(&lcfg);
	if (a->cfg.lc_grace_s > 0)
		lcfg.grace_s = a->cfg.lc_grace_s;
	if (a->cfg.lc_boot_s > 0)
		lcfg.boot_s = a->cfg.lc_boot_s;
	rc = lifecycle_new(&l->lc, l->st, l->drv, &lcfg, err);
	if (rc < 0)
		return rc;
	memset(&rep, 0, sizeof(rep));
	{
		struct eph_err e2 = {{0}};

		/* Partial is better than not serving: what failed is logged and
		 * the next start tries again. */
		if (lifecycle_reconcile(l->lc, (int64_t)time(NULL), &rep, &e2) < 0)
			api__lc_log(l, API_LOG_WARN, "reconcile incomplete", "%s", e2.msg);
	}
	api__lc_log(l, API_LOG_INFO, "reconciled",
	       "driver %s: %u interrupted or lost -> failed, %u destroys finished, %u foreign "
	       "environments destroyed",
	       l->drv->ops->name, rep.failed, rep.finished, rep.not_owned);
	if (a->cfg.disk_master != NULL && l->drv->ops->release_disk != NULL) {
		rc = api__diskkey_master(l->master, a->cfg.disk_master, err);
		if (rc < 0)
			return rc;
		l->disks = 1;
	}
	rc = warmpool_new(&l->wp, l->drv, err);
	if (rc < 0)
		return rc;
	rc = store_env_foreach(l->st, STORE_ENV_ADMITTED, requeue_cb, l, err);
	if (rc < 0)
		return rc;
	if (pthread_create(&l->th, NULL, lc_main, l) != 0)
		return eph_err_set(err, EPH_EFAIL, "cannot start the lifecycle thread");
	l->started = 1;
	return 0;
}

void api__lc_close(struct api *a)
{
	struct api__lc *l = a->lc;
	struct lc_cmd *c;
	size_t i;

	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->th, NULL);
	}
	/* Commands not run: provisions stay admitted (re-queued at the next
	 * start), verdicts are given again by the next attestation. */
	while ((c = l->head) != NULL) {
		l->head = c->next;
		free(c);
	}
	warmpool_free(l->wp); /* idle members are destroyed */
	explicit_bzero(l->master, sizeof(l->master));
	lifecycle_free(l->lc);
	store_free(l->st);
	for (i = 0; i < LC_ARGV_MAX && l->argv[i]; i++)
		free(l->argv[i]);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
	a->lc = NULL;
}

