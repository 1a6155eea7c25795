/*
 * policy_engine.c - the engine: the current policy behind a mutex with a
 * reference count, so that policy_reload can swap in a new policy while
 * evaluations hold the old one; the old one is freed by whoever drops the
 * last reference. A new policy is parsed and validated completely before
 * the lock is taken: a bad file never replaces a good one.
 *
 * Not here: signals (the daemon's loop calls policy_reload on SIGHUP),
 * parsing (policy_parse.c), evaluating (policy_eval.c).
 */
#include "policy-priv.h"

#include <pthread.h>
#include <stdlib.h>

struct policy_engine {
	pthread_mutex_t mu;
	struct policy__pol *cur; /* never NULL after policy_engine_new */
	unsigned long generation;
};

int policy_engine_new(policy_engine **out, const char *dir, struct eph_err *err)
{
	policy_engine *e = NULL;
	struct policy__pol *p = NULL;
	int rc;

	*out = NULL;
	rc = policy__load_dir(&p, dir, err);
	if (rc < 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (e == NULL || pthread_mutex_init(&e->mu, NULL) != 0) {
		free(e);
		policy__pol_free(p);
		return eph_err_set(err, EPH_ENOMEM, "policy: out of memory for an engine");
	}
	p->refs = 1;
	p->generation = e->generation = 1;
	e->cur = p;
	*out = e;
	return 0;
}

void policy_engine_free(policy_engine *e)
{
	if (e == NULL)
		return;
	policy__release(e, e->cur);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

struct policy__pol *policy__acquire(policy_engine *e)
{
	struct policy__pol *p;

	pthread_mutex_lock(&e->mu);
	p = e->cur;
	p->refs++;
	pthread_mutex_unlock(&e->mu);
	return p;
}

void policy__release(policy_engine *e, struct policy__pol *p)
{
	bool last;

	pthread_mutex_lock(&e->mu);
	last = --p->refs == 0;
	pthread_mutex_unlock(&e->mu);
	if (last)
		policy__pol_free(p);
}

int policy_reload(policy_engine *e, const char *dir, struct eph_err *err)
{
	struct policy__pol *p = NULL, *old;
	int rc = policy__load_dir(&p, dir, err);

	if (rc < 0)
		return eph_err_prefix(err, rc, "policy reload refused, old policy kept");
	p->refs = 1;
	pthread_mutex_lock(&e->mu);
	old = e->cur;
	p->generation = ++e->generation;
	e->cur = p;
	pthread_mutex_unlock(&e->mu);
	policy__release(e, old);
	return 0;
}

int policy_validate(const char *dir, struct eph_err *err)
{
	struct policy__pol *p = NULL;
	int rc = policy__load_dir(&p, dir, err);

	policy__pol_free(p);
	return rc;
}

unsigned long policy_generation(policy_engine *e)
{
	unsigned long g;

	pthread_mutex_lock(&e->mu);
	g = e->generation;
	pthread_mutex_unlock(&e->mu);
	return g;
}

void policy_confidence_apply(policy_engine *e, attrs_set *attrs)
{
	struct policy__pol *p = policy__acquire(e);

	attrs_conf_apply(&p->conf, attrs);
	policy__release(e, p);
}

int policy_evaluate(struct policy_result **out, policy_engine *e, const attrs_set *attrs,
		    struct eph_err *err)
{
	struct policy__pol *p = policy__acquire(e);
	int rc = policy__evaluate(out, p, attrs, err);

	policy__release(e, p);
	return rc;
}
