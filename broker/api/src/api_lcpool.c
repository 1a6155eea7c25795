/*
 * api_lcpool.c - the warm pools of the lifecycle thread: one per class and
 * size, sized by the decisions' pre-warm counts, refilled one member at a
 * time when the thread is idle, read by the decider (api__lc_warm). A claim
 * is a state change (broker/driver/warmpool.c), not a creation.
 *
 * Not here: claiming (api_lc.c do_provision), the pool itself (warmpool.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-envs.h"
#include "api-lcpriv.h"

/*
 * The warm pool an environment draws from: its class and size, as
 * "<class>-<size>" in [A-Za-z0-9-] (members are made with the size's limits,
 * so only the same size can claim them). 0, or -1 without a usable name.
 */
int api__lc_pool_key(char key[WARMPOOL_CLASS_MAX + 1], const struct store_env *e)
{
	json_t *attrs = json_loads(e->attrs ? e->attrs : "", 0, NULL);
	json_t *pol = json_loads(e->policy ? e->policy : "", 0, NULL);
	const char *cls = json_string_value(json_object_get(attrs, "class"));
	const char *size = json_string_value(json_object_get(pol, "size"));
	char raw[2 * WARMPOOL_CLASS_MAX];
	size_t i, n = 0;
	int rc = -1;

	if (cls && size && *cls && *size) {
		snprintf(raw, sizeof(raw), "%.14s-%.8s", cls, size);
		for (i = 0; raw[i] && n < WARMPOOL_CLASS_MAX; i++) {
			char ch = raw[i];

			key[n++] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
						   (ch >= '0' && ch <= '9')
					   ? ch
					   : '-';
		}
		key[n] = '\0';
		rc = n ? 0 : -1;
	}
	json_decref(attrs);
	json_decref(pol);
	return rc;
}

/* The Q-network's pre-warm choice for the pool: members to keep idle. */
void api__lc_pool_want(struct api__lc *l, const char *key, const struct driver_spec *sp,
		      size_t target)
{
	struct eph_err err = {{0}};
	struct driver_spec tmpl = *sp;
	size_t i, free_slot = LC_POOLS;

	if (l->wp == NULL)
		return;
	for (i = 0; i < LC_POOLS; i++) {
		if (strcmp(l->pools[i].key, key) == 0)
			break;
		if (l->pools[i].key[0] == '\0' && free_slot == LC_POOLS)
			free_slot = i;
	}
	if (i == LC_POOLS) {
		if (target == 0 || free_slot == LC_POOLS)
			return;
		i = free_slot;
		/* under mu: the loop thread reads the table (api__lc_warm) */
		pthread_mutex_lock(&l->mu);
		snprintf(l->pools[i].key, sizeof(l->pools[i].key), "%s", key);
		pthread_mutex_unlock(&l->mu);
	}
	tmpl.env_id = NULL;
	if (warmpool_set_class(l->wp, key, &tmpl, LC_POOL_TTL_MS, &err) < 0) {
		api__lc_log(l, API_LOG_WARN, "warm pool", "%s: %s", key, err.msg);
		return;
	}
	if (l->pools[i].target != target)
		api__lc_log(l, API_LOG_INFO, "warm pool", "%s: keep %zu idle (was %zu)", key, target,
		       l->pools[i].target);
	pthread_mutex_lock(&l->mu);
	l->pools[i].target = target;
	l->pools[i].vcpu_milli = sp->vcpu_milli;
	l->pools[i].mem_mib = (uint32_t)sp->mem_mib;
	pthread_mutex_unlock(&l->mu);
}

/*
 * The decider's view of the warm pools (loop thread; api-envs.h). A class's
 * pools are the keys api__lc_pool_key() makes for it: its sanitized first 14 bytes
 * then "-" (a class whose name is another's plus "-..." would be counted
 * with it: pool keys do not keep more).
 */
void api__lc_warm(struct api *a, const char *cls, struct api__warm *out)
{
	struct api__lc *l = a->lc;
	char pre[WARMPOOL_CLASS_MAX + 1];
	size_t i, n = 0, best = 0;

	memset(out, 0, sizeof(*out));
	if (l == NULL || l->wp == NULL || cls == NULL)
		return;
	for (i = 0; cls[i] && i < 14; i++) {
		char ch = cls[i];

		pre[n++] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
					   (ch >= '0' && ch <= '9')
				   ? ch
				   : '-';
	}
	pre[n++] = '-';
	pre[n] = '\0';
	pthread_mutex_lock(&l->mu);
	for (i = 0; i < LC_POOLS; i++) {
		const struct lc_pool *p = &l->pools[i];
		size_t have;

		if (p->key[0] == '\0' || p->target == 0)
			continue;
		out->total += (unsigned)p->target;
		if (strncmp(p->key, pre, n) != 0)
			continue;
		have = warmpool_size(l->wp, p->key);
		out->cls_target += (unsigned)p->target;
		out->cls_ready += (unsigned)(have < p->target ? have : p->target);
		if (p->target > best) {
			best = p->target;
			out->vcpu_milli = p->vcpu_milli;
			out->mem_mib = p->mem_mib;
		}
	}
	pthread_mutex_unlock(&l->mu);
}

/* Idle time: one member more for the first pool below its target. */
void api__lc_pool_refill(struct api__lc *l)
{
	struct eph_err err = {{0}};
	size_t i, have;

	if (l->wp == NULL)
		return;
	for (i = 0; i < LC_POOLS; i++) {
		if (l->pools[i].key[0] == '\0')
			continue;
		have = warmpool_size(l->wp, l->pools[i].key);
		if (have >= l->pools[i].target)
			continue;
		if (warmpool_resize(l->wp, l->pools[i].key, have + 1, &err) < 0)
			api__lc_log(l, API_LOG_WARN, "warm pool", "%s: %s", l->pools[i].key, err.msg);
		else
			api__lc_log(l, API_LOG_DEBUG, "warm pool", "%s: %zu of %zu idle", l->pools[i].key,
			       have + 1, l->pools[i].target);
		return;
	}
}

int api__lc_pool_short(struct api__lc *l)
{
	size_t i;

	for (i = 0; l->wp && i < LC_POOLS; i++)
		if (l->pools[i].key[0] && warmpool_size(l->wp, l->pools[i].key) < l->pools[i].target)
			return 1;
	return 0;
}

