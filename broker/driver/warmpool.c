/*
 * warmpool.c - per-class queues of idle, fully created environments (see
 * warmpool.h). A class holds a deep copy of its spec template and a FIFO of
 * members (handle, env id, creation time). Member ids are
 * "w<class>-<8 hex random>-<seq>", unique across restarts. Creation and
 * destruction run outside the lock; only queue edits hold it. Not here:
 * deciding sizes, or any driver-specific knowledge (it only uses driver.h).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "warmpool.h"

struct wp_member {
	struct wp_member *next;
	char handle[DRIVER_HANDLE_MAX];
	char id[DRIVER_ID_MAX + 1];
	uint64_t born_ms;
};

struct wp_class {
	struct wp_class *next;
	char name[WARMPOOL_CLASS_MAX + 1];
	struct driver_spec spec; /* argv/envp owned */
	uint64_t ttl_ms;
	struct wp_member *head, *tail; /* oldest first */
	size_t n;
};

struct warmpool {
	struct driver *d;
	pthread_mutex_t lock;
	struct wp_class *classes;
	uint32_t salt;
	uint64_t seq;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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
	for (i = 0; o && i < n; i++)
		if (!(o[i] = strdup(v[i]))) {
			strv_free(o);
			return NULL;
		}
	return o;
}

static struct wp_class *find(struct warmpool *wp, const char *cls)
{
	struct wp_class *c;

	for (c = wp->classes; c; c = c->next)
		if (strcmp(c->name, cls) == 0)
			return c;
	return NULL;
}

static struct wp_member *pop(struct wp_class *c)
{
	struct wp_member *m = c->head;

	if (m) {
		c->head = m->next;
		if (!c->head)
			c->tail = NULL;
		c->n--;
		m->next = NULL;
	}
	return m;
}

static void push(struct wp_class *c, struct wp_member *m)
{
	m->next = NULL;
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->n++;
}

int warmpool_new(struct warmpool **out, struct driver *d, struct eph_err *err)
{
	struct warmpool *wp = calloc(1, sizeof(*wp));

	*out = NULL;
	if (!wp)
		return eph_err_set(err, EPH_ENOMEM, "warmpool: out of memory");
	if (getrandom(&wp->salt, sizeof(wp->salt), 0) != sizeof(wp->salt))
		wp->salt = (uint32_t)now_ms() ^ (uint32_t)(uintptr_t)wp;
	wp->d = d;
	pthread_mutex_init(&wp->lock, NULL);
	*out = wp;
	return 0;
}

void warmpool_free(struct warmpool *wp)
{
	struct wp_class *c, *cn;
	struct wp_member *m;

	if (!wp)
		return;
	for (c = wp->classes; c; c = cn) {
		cn = c->next;
		while ((m = pop(c)) != NULL) {
			driver_destroy(wp->d, m->handle, NULL);
			free(m);
		}
		strv_free((char **)c->spec.argv);
		strv_free((char **)c->spec.envp);
		free(c);
	}
	pthread_mutex_destroy(&wp->lock);
	free(wp);
}

int warmpool_set_class(struct warmpool *wp, const char *cls, const struct driver_spec *tmpl,
		       uint64_t ttl_ms, struct eph_err *err)
{
	struct wp_class *c;
	char **argv, **envp;

	if (!driver_id_valid(cls) || strlen(cls) > WARMPOOL_CLASS_MAX)
		return eph_err_set(err, EPH_EFORMAT, "warmpool: class must be 1-%d of [A-Za-z0-9-]",
				   WARMPOOL_CLASS_MAX);
	argv = strv_dup(tmpl->argv);
	envp = strv_dup(tmpl->envp);
	if (!argv || !envp) {
		strv_free(argv);
		strv_free(envp);
		return eph_err_set(err, EPH_ENOMEM, "warmpool: out of memory");
	}
	pthread_mutex_lock(&wp->lock);
	c = find(wp, cls);
	if (!c && (c = calloc(1, sizeof(*c))) != NULL) {
		snprintf(c->name, sizeof(c->name), "%s", cls);
		c->next = wp->classes;
		wp->classes = c;
	} else if (c) {
		strv_free((char **)c->spec.argv);
		strv_free((char **)c->spec.envp);
	}
	if (!c) {
		pthread_mutex_unlock(&wp->lock);
		strv_free(argv);
		strv_free(envp);
		return eph_err_set(err, EPH_ENOMEM, "warmpool: out of memory");
	}
	c->spec = *tmpl;
	c->spec.env_id = NULL;
	c->spec.argv = argv;
	c->spec.envp = envp;
	c->ttl_ms = ttl_ms;
	pthread_mutex_unlock(&wp->lock);
	return 0;
}

/* One new member of class c (called without the lock; c stays alive). */
static int make_member(struct warmpool *wp, struct wp_class *c, struct eph_err *err)
{
	struct wp_member *m = calloc(1, sizeof(*m));
	struct driver_spec spec;
	uint64_t seq;
	int rc;

	if (!m)
		return eph_err_set(err, EPH_ENOMEM, "warmpool: out of memory");
	pthread_mutex_lock(&wp->lock);
	seq = ++wp->seq;
	spec = c->spec;
	pthread_mutex_unlock(&wp->lock);
	snprintf(m->id, sizeof(m->id), "w%s-%08x-%llu", c->name, wp->salt,
		 (unsigned long long)seq);
	spec.env_id = m->id;
	rc = driver_create(wp->d, m->handle, &spec, err);
	if (rc < 0) {
		free(m);
		return rc;
	}
	m->born_ms = now_ms();
	pthread_mutex_lock(&wp->lock);
	push(c, m);
	pthread_mutex_unlock(&wp->lock);
	return 0;
}

int warmpool_resize(struct warmpool *wp, const char *cls, size_t n, struct eph_err *err)
{
	struct wp_class *c;
	struct wp_member *extra = NULL, *m;
	size_t have, want;
	int rc = 0;

	pthread_mutex_lock(&wp->lock);
	c = find(wp, cls);
	if (!c) {
		pthread_mutex_unlock(&wp->lock);
		return eph_err_set(err, EPH_ENOTFOUND, "warmpool: no class %s", cls);
	}
	while (c->n > n) { /* oldest go first */
		m = pop(c);
		m->next = extra;
		extra = m;
	}
	have = c->n;
	pthread_mutex_unlock(&wp->lock);
	while ((m = extra) != NULL) {
		extra = m->next;
		driver_destroy(wp->d, m->handle, NULL);
		free(m);
	}
	for (want = n; have < want && rc == 0; have++)
		rc = make_member(wp, c, err);
	return rc;
}

int warmpool_claim(struct warmpool *wp, char handle[DRIVER_HANDLE_MAX],
		   char env_id[DRIVER_ID_MAX + 1], const char *cls, struct eph_err *err)
{
	struct wp_member *m, *dead = NULL;
	struct wp_class *c;
	uint64_t now = now_ms();
	int found = 0;

	pthread_mutex_lock(&wp->lock);
	c = find(wp, cls);
	while (c && (m = pop(c)) != NULL) {
		if (c->ttl_ms && now - m->born_ms > c->ttl_ms) {
			m->next = dead;
			dead = m;
			continue;
		}
		memcpy(handle, m->handle, DRIVER_HANDLE_MAX);
		memcpy(env_id, m->id, DRIVER_ID_MAX + 1);
		free(m);
		found = 1;
		break;
	}
	pthread_mutex_unlock(&wp->lock);
	while ((m = dead) != NULL) {
		dead = m->next;
		driver_destroy(wp->d, m->handle, NULL);
		free(m);
	}
	if (!c)
		return eph_err_set(err, EPH_ENOTFOUND, "warmpool: no class %s", cls);
	if (!found)
		return eph_err_set(err, EPH_ENOTFOUND, "warmpool: class %s is empty", cls);
	return 0;
}

int warmpool_expire(struct warmpool *wp, struct eph_err *err)
{
	struct wp_member *dead = NULL, *m, **pp;
	struct wp_class *c;
	uint64_t now = now_ms();
	int cnt = 0, rc = 0;

	pthread_mutex_lock(&wp->lock);
	for (c = wp->classes; c; c = c->next) {
		if (!c->ttl_ms)
			continue;
		for (pp = &c->head; *pp;) {
			m = *pp;
			if (now - m->born_ms <= c->ttl_ms) {
				pp = &m->next;
				continue;
			}
			*pp = m->next;
			c->n--;
			m->next = dead;
			dead = m;
		}
		for (c->tail = c->head; c->tail && c->tail->next; c->tail = c->tail->next)
			;
	}
	pthread_mutex_unlock(&wp->lock);
	while ((m = dead) != NULL) {
		int r = driver_destroy(wp->d, m->handle, err);

		if (r < 0 && rc == 0)
			rc = r;
		dead = m->next;
		free(m);
		cnt++;
	}
	return rc < 0 ? rc : cnt;
}

size_t warmpool_size(struct warmpool *wp, const char *cls)
{
	struct wp_class *c;
	size_t n;

	pthread_mutex_lock(&wp->lock);
	c = find(wp, cls);
	n = c ? c->n : 0;
	pthread_mutex_unlock(&wp->lock);
	return n;
}
