/*
 * trainer.c - DQN (Mnih et al., Nature 2015): an experience-replay ring
 * buffer, a target network copied every target_every updates, epsilon-greedy
 * exploration restricted to the action mask with linear decay, the Huber
 * loss on the taken action's Q-value against r + gamma * max over the
 * next state's allowed actions (Double DQN: the online network picks, the
 * target network values), optionally minus alpha times the taken action's
 * advantage gap (advantage learning, td_target), rewards shifted and scaled,
 * global-norm gradient clipping and Adam (optionally with a linearly
 * decaying step).
 *
 * With an environment that has chains (struct qnet_env), a transition
 * links a decision to the next decision of the same chain: the trainer keeps
 * one pending (state, action, reward) per chain and stores it when that
 * chain's next decision arrives.
 *
 * Every random choice comes from one seeded PRNG and every sum runs in a
 * fixed order, so a run is reproducible bit for bit.
 *
 * Not here: the network itself (forward.c), the loss and Adam (optim.c),
 * the environment (struct qnet_env), progress printing (the tool's job).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qnet-priv.h"

struct qnet_trainer {
	qnet_model *m;               /* borrowed; its params are the online net */
	struct qnet_train_cfg cfg;
	float *target;               /* nparams: the target network */
	float *grad;                 /* nparams */
	struct qnet_adam adam;
	struct qnet__rng rng;
	/* replay ring */
	size_t cap, len, head;
	float *rs, *rs2;             /* cap * dim */
	uint32_t *ra;
	float *rr;
	uint64_t *rmask;             /* allowed at the next state */
	uint64_t *rmask0;            /* allowed at the state (advantage learning) */
	uint8_t *rdone;
	/* scratch for one forward/backward */
	float *acts[QNET_MAX_LAYERS + 1];
	float *tacts[QNET_MAX_LAYERS + 1];
	float *scratch_a, *scratch_b, *gout;
	uint64_t env_steps, updates;
	/* per-chain pending decision (chained environments), nchains each */
	unsigned nchains;
	float *ps;        /* nchains * dim */
	uint32_t *pa;
	float *pr;
	uint64_t *pm;     /* the mask at the pending state */
	uint8_t *phas;
};

void qnet_train_cfg_default(struct qnet_train_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->batch = 64;
	cfg->replay_cap = 100000;
	cfg->warmup = 1000;
	cfg->train_every = 1;
	cfg->target_every = 500;
	cfg->gamma = 0.99f;
	cfg->lr = 5e-4f;
	cfg->adam_b1 = 0.9f;
	cfg->adam_b2 = 0.999f;
	cfg->adam_eps = 1e-8f;
	cfg->huber_delta = 1.0f;
	cfg->grad_clip = 10.0f;
	cfg->reward_scale = 1.0f;
	cfg->eps_start = 1.0f;
	cfg->eps_end = 0.05f;
	cfg->eps_decay_steps = 50000;
	cfg->double_dqn = 1;
}

void qnet_trainer_free(qnet_trainer *t)
{
	unsigned l;

	if (t == NULL)
		return;
	free(t->target);
	free(t->grad);
	qnet_adam_free(&t->adam);
	free(t->rs);
	free(t->rs2);
	free(t->ra);
	free(t->rr);
	free(t->rmask);
	free(t->rmask0);
	free(t->rdone);
	for (l = 0; l <= QNET_MAX_LAYERS; l++) {
		free(t->acts[l]);
		free(t->tacts[l]);
	}
	free(t->scratch_a);
	free(t->scratch_b);
	free(t->gout);
	free(t->ps);
	free(t->pa);
	free(t->pr);
	free(t->pm);
	free(t->phas);
	free(t);
}

int qnet_trainer_new(qnet_trainer **out, qnet_model *m, const struct qnet_train_cfg *cfg,
		     struct eph_err *err)
{
	qnet_trainer *t = NULL;
	size_t dim = m->dims[0], cap = cfg->replay_cap;
	unsigned l;
	int rc, bad = 0;

	*out = NULL;
	if (cfg->batch < 1 || cap < 1 || cap > SIZE_MAX / sizeof(float) / QNET_MAX_WIDTH ||
	    cfg->target_every < 1 || cfg->train_every < 1 || !(cfg->gamma >= 0.0f) ||
	    !(cfg->gamma <= 1.0f) || !(cfg->lr > 0.0f) || !(cfg->huber_delta > 0.0f))
		return eph_err_set(err, EPH_EVERIFY, "qnet: bad training configuration (batch %u, "
				   "replay %zu, gamma %g, lr %g)", cfg->batch, cap,
				   (double)cfg->gamma, (double)cfg->lr);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for the trainer");
	t->m = m;
	t->cfg = *cfg;
	t->cap = cap;
	qnet__rng_seed(&t->rng, cfg->seed);
	t->target = malloc(m->nparams * sizeof(float));
	t->grad = calloc(m->nparams, sizeof(float));
	t->rs = calloc(cap * dim, sizeof(float));
	t->rs2 = calloc(cap * dim, sizeof(float));
	t->ra = calloc(cap, sizeof(*t->ra));
	t->rr = calloc(cap, sizeof(*t->rr));
	t->rmask = calloc(cap, sizeof(*t->rmask));
	t->rmask0 = calloc(cap, sizeof(*t->rmask0));
	t->rdone = calloc(cap, sizeof(*t->rdone));
	t->scratch_a = calloc(QNET_MAX_WIDTH, sizeof(float));
	t->scratch_b = calloc(QNET_MAX_WIDTH, sizeof(float));
	t->gout = calloc(QNET_MAX_ACTIONS, sizeof(float));
	for (l = 0; l <= m->nlayers; l++) {
		t->acts[l] = calloc(QNET_MAX_WIDTH, sizeof(float));
		t->tacts[l] = calloc(QNET_MAX_WIDTH, sizeof(float));
		bad |= t->acts[l] == NULL || t->tacts[l] == NULL;
	}
	if (bad || t->target == NULL || t->grad == NULL || t->rs == NULL || t->rs2 == NULL ||
	    t->ra == NULL || t->rr == NULL || t->rmask == NULL || t->rmask0 == NULL ||
	    t->rdone == NULL || t->scratch_a == NULL || t->scratch_b == NULL || t->gout == NULL) {
		qnet_trainer_free(t);
		return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for a replay of %zu", cap);
	}
	rc = qnet_adam_init(&t->adam, m->nparams, cfg->lr, cfg->adam_b1, cfg->adam_b2,
			    cfg->adam_eps, err);
	if (rc < 0) {
		qnet_trainer_free(t);
		return rc;
	}
	memcpy(t->target, m->params, m->nparams * sizeof(float));
	*out = t;
	return 0;
}

float qnet_trainer_epsilon(const qnet_trainer *t)
{
	const struct qnet_train_cfg *c = &t->cfg;
	double frac;

	if (c->eps_decay_steps == 0 || t->env_steps >= c->eps_decay_steps)
		return c->eps_end;
	frac = (double)t->env_steps / (double)c->eps_decay_steps;
	return (float)(c->eps_start + (c->eps_end - c->eps_start) * frac);
}

static uint64_t valid_mask(const qnet_model *m)
{
	unsigned n = qnet_model_num_actions(m);

	return n >= 64 ? UINT64_MAX : (1ull << n) - 1;
}

int qnet_trainer_act(qnet_trainer *t, const float *x, uint64_t mask, unsigned *action,
		     struct eph_err *err)
{
	uint64_t allowed = mask & valid_mask(t->m), k;
	float u = qnet__rng_float(&t->rng);
	unsigned a;

	if (allowed == 0)
		return eph_err_set(err, EPH_EPOLICY, "qnet: mask 0x%llx allows none of %u actions",
				   (unsigned long long)mask, qnet_model_num_actions(t->m));
	if (u >= qnet_trainer_epsilon(t))
		return qnet_float_argmax(t->m, x, allowed, action, err);
	/* Explore: the k-th allowed action, uniformly. */
	k = qnet__rng_below(&t->rng, (uint64_t)__builtin_popcountll(allowed));
	for (a = 0; a < 64; a++) {
		if (!(allowed >> a & 1))
			continue;
		if (k-- == 0)
			break;
	}
	*action = a;
	return 0;
}

int qnet_trainer_observe(qnet_trainer *t, const struct qnet_transition *tr,
			 struct eph_err *err)
{
	size_t dim = t->m->dims[0], i = t->head;

	if (tr->action >= qnet_model_num_actions(t->m))
		return eph_err_set(err, EPH_EVERIFY, "qnet: transition action %u, only %u actions",
				   tr->action, qnet_model_num_actions(t->m));
	if (!isfinite(tr->reward))
		return eph_err_set(err, EPH_EVERIFY, "qnet: transition reward is not finite");
	memcpy(t->rs + i * dim, tr->state, dim * sizeof(float));
	if (tr->done)
		memset(t->rs2 + i * dim, 0, dim * sizeof(float));
	else
		memcpy(t->rs2 + i * dim, tr->next_state, dim * sizeof(float));
	t->ra[i] = tr->action;
	t->rr[i] = tr->reward;
	t->rmask[i] = tr->done ? 0 : tr->next_mask & valid_mask(t->m);
	t->rmask0[i] = (tr->mask & valid_mask(t->m)) | (1ull << tr->action);
	t->rdone[i] = tr->done ? 1 : 0;
	t->head = (t->head + 1) % t->cap;
	if (t->len < t->cap)
		t->len++;
	return 0;
}

/*
 * r + gamma * V(s') for replay entry i, V from the target network; with
 * advantage learning (al_alpha > 0, Bellemare et al., AAAI 2016) minus
 * alpha * (max_b Q(s, b) - Q(s, a)) of the target network over the actions
 * allowed at s: the greedy policy is the same, the gap between the best and
 * the other actions grows by 1 / (1 - alpha), so small errors of
 * approximation (or of int8 inference) no longer swap them.
 */
static float td_target(qnet_trainer *t, size_t i)
{
	const qnet_model *m = t->m;
	size_t dim = m->dims[0];
	unsigned n = qnet_model_num_actions(m);
	float r = (t->rr[i] - t->cfg.reward_shift) * t->cfg.reward_scale;
	float *qt = t->tacts[m->nlayers];
	int a;

	if (t->cfg.al_alpha > 0.0f) {
		qnet__forward(m, t->target, t->rs + i * dim, t->tacts);
		a = qnet__masked_argmax_f(qt, n, t->rmask0[i]);
		r -= t->cfg.al_alpha * (qt[a] - qt[t->ra[i]]);
	}
	if (t->rdone[i] || t->rmask[i] == 0)
		return r;
	if (t->cfg.double_dqn) {
		qnet__forward(m, m->params, t->rs2 + i * dim, t->tacts);
		a = qnet__masked_argmax_f(qt, n, t->rmask[i]);
		qnet__forward(m, t->target, t->rs2 + i * dim, t->tacts);
	} else {
		qnet__forward(m, t->target, t->rs2 + i * dim, t->tacts);
		a = qnet__masked_argmax_f(qt, n, t->rmask[i]);
	}
	return r + t->cfg.gamma * qt[a];
}

int qnet_trainer_update(qnet_trainer *t, float *loss, struct eph_err *err)
{
	qnet_model *m = t->m;
	size_t dim = m->dims[0], k, i;
	unsigned b, a;
	double sum = 0.0, norm2 = 0.0;
	float inv = 1.0f / (float)t->cfg.batch;

	if (t->len == 0)
		return eph_err_set(err, EPH_EFAIL, "qnet: update with an empty replay buffer");
	memset(t->grad, 0, m->nparams * sizeof(float));
	for (b = 0; b < t->cfg.batch; b++) {
		float y, e, *q = t->acts[m->nlayers];

		i = (size_t)qnet__rng_below(&t->rng, t->len);
		y = td_target(t, i);
		qnet__forward(m, m->params, t->rs + i * dim, t->acts);
		a = t->ra[i];
		e = q[a] - y;
		sum += qnet_huber(e, t->cfg.huber_delta);
		memset(t->gout, 0, QNET_MAX_ACTIONS * sizeof(float));
		t->gout[a] = qnet_huber_grad(e, t->cfg.huber_delta) * inv;
		qnet__backward(m, m->params, t->acts, t->gout, t->grad, t->scratch_a, t->scratch_b);
	}
	if (t->cfg.grad_clip > 0.0f) {
		for (k = 0; k < m->nparams; k++)
			norm2 += (double)t->grad[k] * t->grad[k];
		if (norm2 > (double)t->cfg.grad_clip * t->cfg.grad_clip) {
			float s = (float)(t->cfg.grad_clip / sqrt(norm2));

			for (k = 0; k < m->nparams; k++)
				t->grad[k] *= s;
		}
	}
	if (t->cfg.lr_decay_updates > 0 && t->cfg.lr_end > 0.0f) {
		double f = (double)t->updates / (double)t->cfg.lr_decay_updates;

		f = f > 1.0 ? 1.0 : f;
		t->adam.lr = (float)(t->cfg.lr + (t->cfg.lr_end - t->cfg.lr) * f);
	}
	qnet_adam_step(&t->adam, m->params, t->grad);
	t->updates++;
	if (t->updates % t->cfg.target_every == 0)
		memcpy(t->target, m->params, m->nparams * sizeof(float));
	if (loss != NULL)
		*loss = (float)(sum / t->cfg.batch);
	return 0;
}

/* Room for env's chains; 0 or EPH_ENOMEM. */
static int chains_alloc(qnet_trainer *t, unsigned n, struct eph_err *err)
{
	size_t dim = t->m->dims[0];

	if (n == 0)
		return eph_err_set(err, EPH_EVERIFY, "qnet: an environment with chains needs "
				   "nchains >= 1");
	if (n <= t->nchains) {
		memset(t->phas, 0, t->nchains);
		return 0;
	}
	free(t->ps);
	free(t->pa);
	free(t->pr);
	free(t->pm);
	free(t->phas);
	t->nchains = 0;
	t->ps = calloc((size_t)n * dim, sizeof(float));
	t->pa = calloc(n, sizeof(*t->pa));
	t->pr = calloc(n, sizeof(*t->pr));
	t->pm = calloc(n, sizeof(*t->pm));
	t->phas = calloc(n, 1);
	if (t->ps == NULL || t->pa == NULL || t->pr == NULL || t->pm == NULL || t->phas == NULL)
		return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for %u chains", n);
	t->nchains = n;
	return 0;
}

/* A decision of chain c at (s, mask): the chain's pending one gets s as its next state. */
static int chain_link(qnet_trainer *t, unsigned c, const float *s, uint64_t mask,
		      struct eph_err *err)
{
	size_t dim = t->m->dims[0];
	struct qnet_transition tr;

	if (c >= t->nchains)
		return eph_err_set(err, EPH_EVERIFY, "qnet: chain %u of %u", c, t->nchains);
	if (!t->phas[c])
		return 0;
	tr.state = t->ps + (size_t)c * dim;
	tr.action = t->pa[c];
	tr.mask = t->pm[c];
	tr.reward = t->pr[c];
	tr.next_state = s;
	tr.next_mask = mask;
	tr.done = 0;
	t->phas[c] = 0;
	return qnet_trainer_observe(t, &tr, err);
}

int qnet_trainer_episode(qnet_trainer *t, const struct qnet_env *env, uint64_t episode_seed,
			 struct qnet_episode_stats *st, struct eph_err *err)
{
	const qnet_model *m = t->m;
	float s[QNET_MAX_WIDTH], s2[QNET_MAX_WIDTH], r = 0.0f, loss;
	uint64_t mask = 0, mask2 = 0;
	struct qnet_transition tr;
	unsigned a, c = 0;
	int done = 0, rc;

	memset(st, 0, sizeof(*st));
	if (env->chain != NULL && (rc = chains_alloc(t, env->nchains, err)) < 0)
		return rc;
	if (env->state_dim != m->dims[0] || env->num_actions != qnet_model_num_actions(m))
		return eph_err_set(err, EPH_EVERIFY, "qnet: environment has %u inputs, %u actions; "
				   "model %u, %u", env->state_dim, env->num_actions, m->dims[0],
				   qnet_model_num_actions(m));
	rc = env->reset(env->ctx, episode_seed, s, &mask, err);
	if (rc < 0)
		return rc;
	while (!done) {
		if (env->chain != NULL) {
			c = env->chain(env->ctx);
			if ((rc = chain_link(t, c, s, mask, err)) < 0)
				return rc;
		}
		rc = qnet_trainer_act(t, s, mask, &a, err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "step %u", st->steps);
		rc = env->step(env->ctx, a, &r, s2, &mask2, &done, err);
		if (rc < 0)
			return rc;
		if (env->chain != NULL) {
			/* stored when chain c decides next; dropped if it does not */
			memcpy(t->ps + (size_t)c * m->dims[0], s, m->dims[0] * sizeof(float));
			t->pa[c] = a;
			t->pr[c] = r;
			t->pm[c] = mask;
			t->phas[c] = 1;
		} else {
			tr.state = s;
			tr.action = a;
			tr.mask = mask;
			tr.reward = r;
			tr.next_state = s2;
			tr.next_mask = mask2;
			tr.done = done;
			rc = qnet_trainer_observe(t, &tr, err);
			if (rc < 0)
				return rc;
		}
		st->reward += r;
		st->steps++;
		t->env_steps++;
		if (t->len >= t->cfg.warmup && t->env_steps % t->cfg.train_every == 0) {
			rc = qnet_trainer_update(t, &loss, err);
			if (rc < 0)
				return rc;
			st->loss += loss;
			st->updates++;
		}
		memcpy(s, s2, m->dims[0] * sizeof(float));
		mask = mask2;
	}
	if (st->updates > 0)
		st->loss /= st->updates;
	st->epsilon = qnet_trainer_epsilon(t);
	return 0;
}

size_t qnet_trainer_replay_len(const qnet_trainer *t)
{
	return t->len;
}

uint64_t qnet_trainer_env_steps(const qnet_trainer *t)
{
	return t->env_steps;
}

uint64_t qnet_trainer_updates(const qnet_trainer *t)
{
	return t->updates;
}

size_t qnet_trainer_sample_states(const qnet_trainer *t, float *out, size_t n)
{
	size_t dim = t->m->dims[0], k, i;

	if (n > t->len)
		n = t->len;
	for (k = 0; k < n; k++) {
		i = (size_t)((double)k * (double)t->len / (double)n);
		memcpy(out + k * dim, t->rs + i * dim, dim * sizeof(float));
	}
	return n;
}
