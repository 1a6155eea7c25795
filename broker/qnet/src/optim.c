/*
 * optim.c - the loss and the optimiser of DQN training: the Huber loss
 * (smooth L1 with threshold delta) and its derivative, and Adam (Kingma and
 * Ba, 2015, algorithm 1, with bias correction) on a flat parameter vector.
 *
 * Not here: which samples the loss is taken over (trainer.c), gradient
 * clipping (trainer.c, which sees the whole gradient).
 */
#include <math.h>
#include <stdlib.h>

#include "qnet-priv.h"

float qnet_huber(float e, float delta)
{
	float a = fabsf(e);

	if (a <= delta)
		return 0.5f * e * e;
	return delta * (a - 0.5f * delta);
}

float qnet_huber_grad(float e, float delta)
{
	if (e > delta)
		return delta;
	if (e < -delta)
		return -delta;
	return e;
}

int qnet_adam_init(struct qnet_adam *a, size_t n, float lr, float b1, float b2, float eps,
		   struct eph_err *err)
{
	a->lr = lr;
	a->b1 = b1;
	a->b2 = b2;
	a->eps = eps;
	a->t = 0;
	a->n = n;
	a->m = calloc(n, sizeof(*a->m));
	a->v = calloc(n, sizeof(*a->v));
	if (a->m == NULL || a->v == NULL) {
		qnet_adam_free(a);
		return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for Adam state (%zu)", n);
	}
	return 0;
}

void qnet_adam_step(struct qnet_adam *a, float *params, const float *grad)
{
	float c1, c2, step;
	size_t i;

	a->t++;
	c1 = 1.0f - powf(a->b1, (float)a->t);
	c2 = 1.0f - powf(a->b2, (float)a->t);
	step = a->lr * sqrtf(c2) / c1; /* the paper's efficient form of the correction */
	for (i = 0; i < a->n; i++) {
		float g = grad[i];

		a->m[i] = a->b1 * a->m[i] + (1.0f - a->b1) * g;
		a->v[i] = a->b2 * a->v[i] + (1.0f - a->b2) * g * g;
		params[i] -= step * a->m[i] / (sqrtf(a->v[i]) + a->eps * sqrtf(c2));
	}
}

void qnet_adam_free(struct qnet_adam *a)
{
	free(a->m);
	free(a->v);
	a->m = NULL;
	a->v = NULL;
	a->n = 0;
}
