/*
 * sim_env.c - the environment: replays a trace's requests in arrival order
 * against a finite host pool with per-class warm pools, and scores each
 * decision (the pinned RL interface sim_reset / sim_step).
 *
 * Model, per decision for request r of class c at time t with action
 * (size s, count k, pre-warm p):
 *  1. events up to t happen first: finished requests release their
 *     capacity and enter c's history; warm pools past their TTL are
 *     destroyed;
 *  2. up to k warm environments of c of exactly size s are claimed (the
 *     earliest booted first); the other replicas start cold. The request
 *     waits max(cold start of s, boot left of a claimed one);
 *  3. new replicas need free capacity; if it is short the request is
 *     rejected (a failure, weighted like an OOM) and nothing runs;
 *  4. it runs k * s for its duration: cost k * cost_per_s * duration, plus
 *     the boot time of each cold replica; CPU demand splits over the
 *     replicas, memory does not; shortfall = throttled share + oom_weight
 *     per OOM or rejection;
 *  5. c's warm pool is set to p environments of size s (others destroyed),
 *     new ones boot for the cold start of s, the pool's TTL restarts, and
 *     this decision pays their idle cost (idle_factor * cost_per_s) until
 *     c's next arrival in the episode, the TTL, or the episode's last
 *     arrival, whichever is first. The next decision of c pays the next
 *     interval, so every idle second is paid exactly once.
 * Deliberately not modelled: queueing when the pool is full, placement and
 * fragmentation over hosts, a request's retry after OOM, claiming a warm
 * environment of another size or class.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

#define NO_PREV_S 86400.0

int sim_env_new(sim_env **out, const struct sim_trace *trace, const struct sim_config *cfg,
		struct eph_err *err)
{
	struct sim_env *e = NULL;
	size_t *last = NULL;
	size_t i;
	int rc;

	*out = NULL;
	rc = sim_config_check(cfg, err);
	if (rc < 0)
		return rc;
	rc = sim_trace_check(trace, err);
	if (rc < 0)
		return rc;
	if (trace->n == 0 || trace->ncls == 0)
		return eph_err_set(err, EPH_EFAIL, "sim: empty trace");
	rc = EPH_ENOMEM;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto nomem;
	e->trace = trace;
	e->cfg = *cfg;
	sim_norm_identity(&e->norm);
	e->nactions = sim__build_actions(cfg, e->actions);
	e->next_same = calloc(trace->n, sizeof(*e->next_same));
	e->cls = calloc(trace->ncls, sizeof(*e->cls));
	last = calloc(trace->ncls, sizeof(*last));
	e->heap_cap = 1024;
	e->heap = calloc(e->heap_cap, sizeof(*e->heap));
	e->done_cap = 256;
	e->done = calloc(e->done_cap, sizeof(*e->done));
	if (!e->next_same || !e->cls || !last || !e->heap || !e->done)
		goto nomem;
	for (i = 0; i < trace->ncls; i++)
		last[i] = SIZE_MAX;
	for (i = trace->n; i-- > 0;) {
		uint32_t c = trace->req[i].cls;

		e->next_same[i] = last[c];
		last[c] = i;
	}
	free(last);
	*out = e;
	return 0;
nomem:
	free(last);
	sim_env_free(e);
	return eph_err_set(err, rc, "sim: out of memory");
}

void sim_env_free(sim_env *e)
{
	if (e == NULL)
		return;
	free(e->next_same);
	free(e->cls);
	free(e->heap);
	free(e->done);
	free(e);
}

const struct sim_config *sim_env_config(const sim_env *env)
{
	return &env->cfg;
}

const struct sim_trace *sim_env_trace(const sim_env *env)
{
	return env->trace;
}

void sim_env_set_norm(sim_env *env, const struct sim_norm *nm)
{
	env->norm = *nm;
}

const struct sim_norm *sim_env_norm(const sim_env *env)
{
	return &env->norm;
}

unsigned sim_num_actions(const sim_env *env)
{
	return env->nactions;
}

const struct sim_action *sim_action_at(const sim_env *env, unsigned i)
{
	return i < env->nactions ? &env->actions[i] : NULL;
}

const struct sim_outcome *sim_last_outcome(const sim_env *env)
{
	return &env->last;
}

const struct sim_decision *sim_current(const sim_env *env)
{
	return env->active ? &env->dec : NULL;
}

static void release(sim_env *e, double cpu, double mem)
{
	e->free_cpu += cpu;
	e->free_mem += mem;
	/* guard against drift from many float additions */
	if (e->free_cpu > e->cfg.cap_cpu)
		e->free_cpu = e->cfg.cap_cpu;
	if (e->free_mem > e->cfg.cap_mem)
		e->free_mem = e->cfg.cap_mem;
}

static void pool_destroy(sim_env *e, struct sim__pool *p)
{
	const struct sim_size *s = &e->cfg.size[p->size];

	release(e, (double)s->cpu * p->n, (double)s->mem * p->n);
	e->warm_total -= p->n;
	p->n = 0;
	p->gen++;
}

static int advance(sim_env *e, double now, struct eph_err *err)
{
	struct sim__event ev;

	e->ndone = 0;
	while (e->heap_n > 0 && e->heap[0].t <= now) {
		sim__heap_pop(e, &ev);
		if (ev.kind == SIM__EV_END) {
			const struct sim_request *r = &e->trace->req[ev.tag];

			release(e, ev.cpu, ev.mem);
			sim__hist_add(&e->cls[ev.cls].hist, e->cfg.hist_len, r);
			if (e->ndone == e->done_cap) {
				size_t cap = e->done_cap * 2;
				void *p = realloc(e->done, cap * sizeof(*e->done));

				if (p == NULL)
					return eph_err_set(err, EPH_ENOMEM, "sim: out of memory");
				e->done = p;
				e->done_cap = cap;
			}
			e->done[e->ndone++] = r;
		} else {
			struct sim__pool *p = &e->cls[ev.cls].pool;

			if (p->gen == ev.tag && p->n > 0)
				pool_destroy(e, p);
		}
	}
	return 0;
}

static double decayed(double v, double t0, double t, double hl)
{
	return t > t0 ? v * exp2(-(t - t0) / hl) : v;
}

/* Fill e->dec for request e->cur. */
static int prepare(sim_env *e, struct eph_err *err)
{
	const struct sim_request *r = &e->trace->req[e->cur];
	struct sim_decision *d = &e->dec;
	struct sim__cls *c = &e->cls[r->cls];
	struct sim_obs *o = &d->obs;
	double hl = e->cfg.rate_halflife_s, per_min = log(2.0) / hl * 60.0;
	size_t nx = e->next_same[e->cur];
	unsigned i;
	int rc;

	rc = advance(e, r->arrival_s, err);
	if (rc < 0)
		return rc;
	d->env = e;
	d->req = r;
	d->now = r->arrival_s;
	d->next_gap_s = nx < e->end ? e->trace->req[nx].arrival_s - r->arrival_s : -1;
	d->next_req = nx < e->end ? &e->trace->req[nx] : NULL;
	d->mask = sim__mask(e, r);
	d->done = e->done;
	d->ndone = e->ndone;

	memset(o, 0, sizeof(*o));
	o->role = r->role;
	o->sens = r->sens;
	o->role_conf = r->role_conf;
	o->sens_conf = r->sens_conf;
	o->asked_cpu = r->asked_cpu;
	o->asked_mem = r->asked_mem;
	o->hist_n = c->hist.n;
	o->cpu_p50 = c->hist.cpu_p50;
	o->cpu_p95 = c->hist.cpu_p95;
	o->cpu_max = c->hist.cpu_max;
	o->mem_p50 = c->hist.mem_p50;
	o->mem_p95 = c->hist.mem_p95;
	o->mem_max = c->hist.mem_max;
	o->dur_p50 = c->hist.dur_p50;
	o->dur_p95 = c->hist.dur_p95;
	o->over_asked = c->hist.n ? (float)c->hist.over / (float)c->hist.n : 0;
	o->free_cpu = e->free_cpu;
	o->free_mem = e->free_mem;
	o->cap_cpu = e->cfg.cap_cpu;
	o->cap_mem = e->cfg.cap_mem;
	o->warm_class = c->pool.n;
	for (i = 0; i < c->pool.n; i++)
		o->warm_ready += c->pool.ready_at[i] <= d->now;
	o->warm_size = c->pool.size;
	o->warm_total = e->warm_total;
	o->nsizes = (uint8_t)e->cfg.nsizes;
	for (i = 0; i < e->nactions; i++)
		if ((d->mask >> i & 1) && e->actions[i].size > o->max_size)
			o->max_size = e->actions[i].size;
	o->class_rate = (float)(decayed(c->rate, c->rate_t, d->now, hl) * per_min);
	o->total_rate = (float)(decayed(e->total_rate, e->total_rate_t, d->now, hl) * per_min);
	o->since_class_s = (float)(c->last_arrival >= 0 ? d->now - c->last_arrival : NO_PREV_S);
	o->gap_ewma_s = (float)(c->narr >= 2 ? c->gap_ewma : NO_PREV_S);
	sim_featurize(o, d->raw);
	memcpy(d->state, d->raw, sizeof(d->state));
	sim_norm_apply(&e->norm, d->state);
	return 0;
}

int sim_reset(sim_env *e, uint64_t seed, float state[SIM_STATE_DIM], uint64_t *mask,
	      struct eph_err *err)
{
	size_t n = e->trace->n, len = e->cfg.episode_len;
	uint32_t i;
	int rc;

	if (len == 0 || len >= n) {
		e->begin = 0;
		e->end = n;
	} else {
		uint64_t x = seed;

		e->begin = (size_t)(sim__splitmix64(&x) % (uint64_t)(n - len + 1));
		e->end = e->begin + len;
	}
	memset(e->cls, 0, e->trace->ncls * sizeof(*e->cls));
	for (i = 0; i < e->trace->ncls; i++)
		e->cls[i].last_arrival = -1;
	e->heap_n = 0;
	e->ndone = 0;
	e->free_cpu = e->cfg.cap_cpu;
	e->free_mem = e->cfg.cap_mem;
	e->warm_total = 0;
	e->total_rate = 0;
	e->total_rate_t = 0;
	e->cur = e->begin;
	memset(&e->last, 0, sizeof(e->last));
	e->active = 1;
	rc = prepare(e, err);
	if (rc < 0) {
		e->active = 0;
		return rc;
	}
	memcpy(state, e->dec.state, sizeof(e->dec.state));
	*mask = e->dec.mask;
	return 0;
}

/* Set class c's pool to p environments of size s; returns how many it has. */
static int set_pool(sim_env *e, uint32_t cls, unsigned s, unsigned p, double cold,
		    double now)
{
	struct sim__pool *pl = &e->cls[cls].pool;
	const struct sim_size *sz = &e->cfg.size[s];
	struct sim__event ev;

	if (pl->n > 0 && (pl->size != s || p == 0))
		pool_destroy(e, pl);
	while (pl->n > p) { /* drop the latest to boot */
		pl->n--;
		e->warm_total--;
		release(e, sz->cpu, sz->mem);
	}
	pl->size = (uint8_t)s;
	while (pl->n < p && e->free_cpu >= sz->cpu && e->free_mem >= sz->mem) {
		e->free_cpu -= sz->cpu;
		e->free_mem -= sz->mem;
		pl->ready_at[pl->n++] = now + cold;
		e->warm_total++;
	}
	pl->gen++;
	if (pl->n == 0)
		return 0;
	pl->expire_at = now + e->cfg.warm_ttl_s;
	memset(&ev, 0, sizeof(ev));
	ev.t = pl->expire_at;
	ev.kind = SIM__EV_WARM;
	ev.cls = cls;
	ev.tag = pl->gen;
	if (sim__heap_push(e, &ev) < 0)
		return -1;
	return (int)pl->n;
}

int sim_step(sim_env *e, unsigned action, float *reward, float next_state[SIM_STATE_DIM],
	     uint64_t *next_mask, int *done, struct eph_err *err)
{
	const struct sim_config *cfg = &e->cfg;
	const struct sim_request *r;
	const struct sim_action *a;
	const struct sim_size *sz;
	struct sim_outcome *o = &e->last;
	struct sim__cls *c;
	struct sim__pool *pl;
	struct sim__event ev;
	double now, cold, rate, horizon;
	unsigned claim = 0, fresh, i;
	size_t nx;
	int npool, rc;

	if (!e->active)
		return eph_err_set(err, EPH_EFAIL, "sim_step: no episode (call sim_reset)");
	if (action >= e->nactions || !(e->dec.mask >> action & 1))
		return eph_err_set(err, EPH_EPOLICY, "sim_step: action %u is masked for request %zu",
				   action, e->cur);
	r = e->dec.req;
	a = &e->actions[action];
	sz = &cfg->size[a->size];
	c = &e->cls[r->cls];
	pl = &c->pool;
	now = r->arrival_s;
	cold = sim__cold_s(cfg, a->size, r->sens);
	memset(o, 0, sizeof(*o));
	o->req = e->cur;

	if (pl->n > 0 && pl->size == a->size)
		claim = pl->n < a->count ? pl->n : a->count;
	fresh = a->count - claim;
	if (e->free_cpu < (double)sz->cpu * fresh || e->free_mem < (double)sz->mem * fresh) {
		o->rejected = 1;
	} else {
		/* ready_at is ascending: claim the first `claim` */
		for (i = 0; i < claim; i++)
			if (pl->ready_at[i] - now > o->cold_s)
				o->cold_s = pl->ready_at[i] - now;
		for (i = claim; i < pl->n; i++)
			pl->ready_at[i - claim] = pl->ready_at[i];
		pl->n -= claim;
		e->warm_total -= claim;
		e->free_cpu -= (double)sz->cpu * fresh;
		e->free_mem -= (double)sz->mem * fresh;
		if (fresh > 0) {
			o->cold = 1;
			if (cold > o->cold_s)
				o->cold_s = cold;
		}
		sim_alloc_eval(e, r, a->size, a->count, &rate, &o->throttle_share, &o->oom);
		o->cost_run = rate * r->duration_s;
		o->cost_cold = sz->cost_per_s * cold * fresh;
		o->throttled = o->throttle_share > cfg->throttle_event_share;
		memset(&ev, 0, sizeof(ev));
		ev.t = now + o->cold_s + r->duration_s;
		ev.kind = SIM__EV_END;
		ev.cls = r->cls;
		ev.tag = e->cur;
		ev.cpu = (double)sz->cpu * a->count;
		ev.mem = (double)sz->mem * a->count;
		if (sim__heap_push(e, &ev) < 0)
			return eph_err_set(err, EPH_ENOMEM, "sim: out of memory");
	}

	npool = set_pool(e, r->cls, a->size, a->prewarm, cold, now);
	if (npool < 0)
		return eph_err_set(err, EPH_ENOMEM, "sim: out of memory");
	nx = e->next_same[e->cur];
	horizon = nx < e->end ? e->trace->req[nx].arrival_s : e->trace->req[e->end - 1].arrival_s;
	if (npool > 0 && pl->expire_at < horizon)
		horizon = pl->expire_at;
	if (horizon > now)
		o->cost_idle = npool * cfg->idle_factor * sz->cost_per_s * (horizon - now);

	o->cost = o->cost_run + o->cost_cold + o->cost_idle;
	o->shortfall = o->throttle_share + cfg->oom_weight * (o->oom + o->rejected);
	o->reward = -o->cost - cfg->lambda * o->shortfall - cfg->mu * o->cold_s;
	*reward = (float)o->reward;

	/* arrival statistics include this request from now on */
	if (c->narr >= 1) {
		double gap = now - c->last_arrival;

		c->gap_ewma = c->narr >= 2 ? 0.8 * c->gap_ewma + 0.2 * gap : gap;
	}
	c->narr++;
	c->last_arrival = now;
	c->rate = decayed(c->rate, c->rate_t, now, cfg->rate_halflife_s) + 1;
	c->rate_t = now;
	e->total_rate = decayed(e->total_rate, e->total_rate_t, now, cfg->rate_halflife_s) + 1;
	e->total_rate_t = now;

	e->cur++;
	if (e->cur >= e->end) {
		e->active = 0;
		memset(next_state, 0, SIM_STATE_DIM * sizeof(*next_state));
		*next_mask = 0;
		*done = 1;
		return 0;
	}
	rc = prepare(e, err);
	if (rc < 0) {
		e->active = 0;
		return rc;
	}
	memcpy(next_state, e->dec.state, sizeof(e->dec.state));
	*next_mask = e->dec.mask;
	*done = 0;
	return 0;
}
