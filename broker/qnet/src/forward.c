/*
 * forward.c - the float network: forward pass, masked argmax, and the
 * backward pass for one sample (gradient of the weights and biases given
 * the gradient at the output).
 *
 * Layers are dense, ReLU between them, none after the last (Q-values are
 * unbounded). Weights are in-major (w[i * out + o]) so that every inner loop
 * runs over outputs and vectorizes without reassociating sums; results are
 * therefore the same at every optimisation level.
 *
 * Not here: the loss and the optimiser (loss.c, adam.c), int8 (int8.c).
 */
#include <string.h>

#include "qnet-priv.h"

void qnet__forward(const qnet_model *m, const float *params, const float *x, float **acts)
{
	unsigned l, i, o;

	if (acts[0] != x)
		memcpy(acts[0], x, m->dims[0] * sizeof(*x));
	for (l = 0; l < m->nlayers; l++) {
		const struct qnet__flayer *L = &m->fl[l];
		const float *w = params + L->w_off, *in = acts[l];
		float *y = acts[l + 1];

		memcpy(y, params + L->b_off, L->out * sizeof(*y));
		for (i = 0; i < L->in; i++) {
			const float xi = in[i], *wr = w + (size_t)i * L->out;

			if (xi == 0.0f)
				continue; /* post-ReLU zeros are common */
			for (o = 0; o < L->out; o++)
				y[o] += wr[o] * xi;
		}
		if (l + 1 < m->nlayers)
			for (o = 0; o < L->out; o++)
				y[o] = y[o] > 0.0f ? y[o] : 0.0f;
	}
}

int qnet__masked_argmax_f(const float *q, unsigned n, uint64_t mask)
{
	int best = -1;
	unsigned a;

	for (a = 0; a < n; a++) {
		if (!(mask >> a & 1))
			continue;
		if (best < 0 || q[a] > q[best])
			best = (int)a;
	}
	return best;
}

void qnet_float_q(const qnet_model *m, const float *x, float *q)
{
	float buf[QNET_MAX_LAYERS - 1][QNET_MAX_WIDTH];
	float *acts[QNET_MAX_LAYERS + 1];
	unsigned l;

	acts[0] = (float *)(uintptr_t)x; /* not written: acts[0] == x */
	for (l = 1; l < m->nlayers; l++)
		acts[l] = buf[l - 1];
	acts[m->nlayers] = q;
	qnet__forward(m, m->params, x, acts);
}

int qnet_float_argmax(const qnet_model *m, const float *x, uint64_t mask, unsigned *action,
		      struct eph_err *err)
{
	float q[QNET_MAX_ACTIONS];
	int a;

	qnet_float_q(m, x, q);
	a = qnet__masked_argmax_f(q, qnet_model_num_actions(m), mask);
	if (a < 0)
		return eph_err_set(err, EPH_EPOLICY, "qnet: mask 0x%llx allows none of %u actions",
				   (unsigned long long)mask, qnet_model_num_actions(m));
	*action = (unsigned)a;
	return 0;
}

void qnet__backward(const qnet_model *m, const float *params, float *const *acts,
		    const float *gout, float *grad, float *scratch_a, float *scratch_b)
{
	const float *g = gout;
	float *gin = scratch_a, *spare = scratch_b;
	unsigned l, i, o;
	int k;

	for (k = (int)m->nlayers - 1; k >= 0; k--) {
		const struct qnet__flayer *L = &m->fl[k];
		const float *w = params + L->w_off, *in = acts[k];
		float *gw = grad + L->w_off, *gb = grad + L->b_off;

		l = (unsigned)k;
		for (o = 0; o < L->out; o++)
			gb[o] += g[o];
		for (i = 0; i < L->in; i++) {
			const float xi = in[i];
			float *gwr = gw + (size_t)i * L->out;

			if (xi == 0.0f)
				continue;
			for (o = 0; o < L->out; o++)
				gwr[o] += xi * g[o];
		}
		if (l == 0)
			break;
		/* Gradient at this layer's input, through the ReLU that produced it. */
		for (i = 0; i < L->in; i++) {
			const float *wr = w + (size_t)i * L->out;
			float s = 0.0f;

			if (in[i] <= 0.0f) {
				gin[i] = 0.0f;
				continue;
			}
			for (o = 0; o < L->out; o++)
				s += wr[o] * g[o];
			gin[i] = s;
		}
		g = gin;
		gin = spare;
		spare = (float *)(uintptr_t)g;
	}
}
