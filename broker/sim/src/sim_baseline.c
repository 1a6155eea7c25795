/*
 * sim_baseline.c - the non-learned policies the Q-network is compared with:
 * static size, the requester's asked size, the oracle (true usage and
 * hindsight arrivals), and a uniformly random allowed action. The VPA-style
 * recommender is in sim_vpa.c.
 *
 * Every policy goes through sim_pick(), so none can return a masked action.
 * Deliberately not here: learned policies (broker/qnet plugs them in as
 * sim_policy_fn) and the episode loop (sim_eval.c).
 */
#include <math.h>
#include <stdlib.h>

#include "sim-priv.h"

static unsigned udist(unsigned a, unsigned b)
{
	return a > b ? a - b : b - a;
}

int sim_pick(const struct sim_decision *d, unsigned size, unsigned count, unsigned prewarm,
	     unsigned *action, struct eph_err *err)
{
	const sim_env *e = d->env;
	int below = -1, above = -1, best = -1;
	unsigned i, best_score = 0;

	for (i = 0; i < e->nactions; i++) {
		unsigned s = e->actions[i].size;

		if (!(d->mask >> i & 1))
			continue;
		if (s <= size && (below < 0 || s > (unsigned)below))
			below = (int)s;
		if (s > size && (above < 0 || s < (unsigned)above))
			above = (int)s;
	}
	if (below < 0 && above < 0)
		return eph_err_set(err, EPH_EPOLICY, "no allowed action for request at %.3f s",
				   d->now);
	size = below >= 0 ? (unsigned)below : (unsigned)above;
	for (i = 0; i < e->nactions; i++) {
		const struct sim_action *a = &e->actions[i];
		unsigned score;

		if (!(d->mask >> i & 1) || a->size != size)
			continue;
		score = udist(a->count, count) * 16 + udist(a->prewarm, prewarm);
		if (best < 0 || score < best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	*action = (unsigned)best;
	return 0;
}

int sim_policy_static(void *ctx, const struct sim_decision *d, unsigned *action,
		      struct eph_err *err)
{
	const struct sim_static_ctx *c = ctx;

	return sim_pick(d, c->size, 1, c->prewarm, action, err);
}

int sim_policy_asked(void *ctx, const struct sim_decision *d, unsigned *action,
		     struct eph_err *err)
{
	const struct sim_asked_ctx *c = ctx;
	unsigned s = sim_size_for(&d->env->cfg, d->req->asked_cpu, d->req->asked_mem);

	return sim_pick(d, s, 1, c->prewarm, action, err);
}

/* Cheapest allowed (size, count) for r with no shortfall, else least loss. */
static int oracle_alloc(const sim_env *e, const struct sim_request *r, uint64_t mask,
			unsigned *size, unsigned *count)
{
	double best = 0;
	int found = 0, clean = 0;
	unsigned i;

	for (i = 0; i < e->nactions; i++) {
		const struct sim_action *a = &e->actions[i];
		double rate, share, loss;
		int oom, ok;

		if (!(mask >> i & 1) || a->prewarm != 0)
			continue;
		sim_alloc_eval(e, r, a->size, a->count, &rate, &share, &oom);
		ok = share == 0 && !oom;
		loss = rate * r->duration_s;
		if (!ok)
			loss += e->cfg.lambda * (share + e->cfg.oom_weight * oom);
		if (clean && !ok)
			continue;
		if (!found || (ok && !clean) || loss < best) {
			best = loss;
			*size = a->size;
			*count = a->count;
			found = 1;
			clean = ok;
		}
	}
	return found ? 0 : -1;
}

int sim_policy_oracle(void *ctx, const struct sim_decision *d, unsigned *action,
		      struct eph_err *err)
{
	const struct sim_oracle_ctx *c = ctx;
	const sim_env *e = d->env;
	const struct sim_config *cfg = &e->cfg;
	unsigned size = 0, count = 1, nsize = 0, ncount = 1, prewarm = 0;

	if (oracle_alloc(e, d->req, d->mask, &size, &count) < 0)
		return eph_err_set(err, EPH_EPOLICY, "no allowed action for request at %.3f s",
				   d->now);
	if (c != NULL && c->use_hindsight_prewarm && d->next_req != NULL &&
	    d->next_gap_s < cfg->warm_ttl_s &&
	    oracle_alloc(e, d->next_req, sim__mask(e, d->next_req), &nsize, &ncount) == 0 &&
	    nsize == size) {
		double cold = sim__cold_s(cfg, size, d->next_req->sens);
		double rate = cfg->size[size].cost_per_s;
		double keep = cfg->idle_factor * rate * d->next_gap_s;
		double gain = cfg->mu * cold + rate * cold;

		if (d->next_gap_s >= cold && keep < gain)
			prewarm = ncount;
	}
	return sim_pick(d, size, count, prewarm, action, err);
}

int sim_policy_random(void *ctx, const struct sim_decision *d, unsigned *action,
		      struct eph_err *err)
{
	struct sim_random_ctx *c = ctx;
	unsigned n = 0, k, i;

	for (i = 0; i < SIM_MAX_ACTIONS; i++)
		n += (unsigned)(d->mask >> i & 1);
	if (n == 0)
		return eph_err_set(err, EPH_EPOLICY, "no allowed action for request at %.3f s",
				   d->now);
	k = (unsigned)(sim__splitmix64(&c->s) % n);
	for (i = 0; i < SIM_MAX_ACTIONS; i++) {
		if (!(d->mask >> i & 1))
			continue;
		if (k-- == 0) {
			*action = i;
			return 0;
		}
	}
	return eph_err_set(err, EPH_EFAIL, "random policy: unreachable");
}
