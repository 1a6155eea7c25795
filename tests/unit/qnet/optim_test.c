/*
 * optim_test.c - the Huber loss against finite differences, the network's
 * backward pass against finite differences of the loss, and Adam on a known
 * quadratic.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../../broker/qnet/src/qnet-priv.h"

Test(qnet_optim, huber_gradient_matches_finite_differences)
{
	const float deltas[] = { 0.5f, 1.0f, 2.0f };
	unsigned d;
	int k;

	for (d = 0; d < 3; d++)
		for (k = -400; k <= 400; k++) {
			double e = k * 0.01 + 0.0037, h = 1e-3, fd;

			fd = ((double)qnet_huber((float)(e + h), deltas[d]) -
			      (double)qnet_huber((float)(e - h), deltas[d])) / (2 * h);
			cr_assert(fabs(fd - (double)qnet_huber_grad((float)e, deltas[d])) < 2e-3,
				  "delta %g e %g: fd %g analytic %g", (double)deltas[d], e, fd,
				  (double)qnet_huber_grad((float)e, deltas[d]));
		}
	cr_expect_float_eq(qnet_huber(3.0f, 1.0f), 2.5f, 1e-6);
	cr_expect_float_eq(qnet_huber(0.5f, 1.0f), 0.125f, 1e-6);
}

/* L(params) = sum_a c[a] * Q_a(x): dL/dQ = c. */
static double loss_at(const qnet_model *m, const float *params, const float *x, const float *c)
{
	float buf[QNET_MAX_LAYERS + 1][QNET_MAX_WIDTH];
	float *acts[QNET_MAX_LAYERS + 1];
	double s = 0.0;
	unsigned l, a;

	for (l = 0; l <= m->nlayers; l++)
		acts[l] = buf[l];
	qnet__forward(m, params, x, acts);
	for (a = 0; a < qnet_model_num_actions(m); a++)
		s += (double)c[a] * acts[m->nlayers][a];
	return s;
}

Test(qnet_optim, backward_matches_finite_differences)
{
	unsigned dims[] = { 5, 7, 6, 4 }, l, a;
	float buf[QNET_MAX_LAYERS + 1][QNET_MAX_WIDTH], sa[QNET_MAX_WIDTH], sb[QNET_MAX_WIDTH];
	float *acts[QNET_MAX_LAYERS + 1], x[5] = { 0.3f, -0.7f, 1.1f, 0.05f, -0.4f };
	float c[4] = { 0.7f, -1.3f, 0.4f, 2.0f };
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	float *grad, *p;
	size_t i, checked = 0;

	cr_assert_eq(qnet_model_new(&m, dims, 3, 5, &err), 0, "%s", err.msg);
	/* biases away from zero so that no ReLU sits at its kink */
	for (l = 0; l < 3; l++)
		for (a = 0; a < m->fl[l].out; a++)
			m->params[m->fl[l].b_off + a] = 0.05f * (float)(a + 1);
	grad = calloc(m->nparams, sizeof(*grad));
	p = malloc(m->nparams * sizeof(*p));
	for (l = 0; l <= m->nlayers; l++)
		acts[l] = buf[l];
	qnet__forward(m, m->params, x, acts);
	qnet__backward(m, m->params, acts, c, grad, sa, sb);
	for (i = 0; i < m->nparams; i++) {
		double h = 1e-2, fd;

		memcpy(p, m->params, m->nparams * sizeof(*p));
		p[i] += (float)h;
		fd = loss_at(m, p, x, c);
		p[i] -= (float)(2 * h);
		fd = (fd - loss_at(m, p, x, c)) / (2 * h);
		cr_assert(fabs(fd - grad[i]) < 2e-3 * (1 + fabs(fd)),
			  "param %zu: finite difference %g, backward %g", i, fd, (double)grad[i]);
		checked++;
	}
	cr_expect_eq(checked, m->nparams);
	free(grad);
	free(p);
	qnet_model_free(m);
}

Test(qnet_optim, adam_minimises_a_quadratic)
{
	/* f(p) = sum_i a_i (p_i - b_i)^2: minimum at b */
	const float av[4] = { 1.0f, 10.0f, 0.1f, 3.0f }, bv[4] = { 1.0f, -2.0f, 0.5f, 4.0f };
	float p[4] = { 0 }, g[4];
	struct qnet_adam ad;
	struct eph_err err = {{0}};
	int k, i;

	cr_assert_eq(qnet_adam_init(&ad, 4, 0.05f, 0.9f, 0.999f, 1e-8f, &err), 0);
	/* first step: bias-corrected Adam moves each parameter by exactly lr */
	for (i = 0; i < 4; i++)
		g[i] = 2 * av[i] * (p[i] - bv[i]);
	qnet_adam_step(&ad, p, g);
	for (i = 0; i < 4; i++)
		cr_expect_float_eq(fabsf(p[i]), 0.05f, 1e-5, "p[%d] = %g after one step", i,
				   (double)p[i]);
	for (k = 0; k < 3000; k++) {
		for (i = 0; i < 4; i++)
			g[i] = 2 * av[i] * (p[i] - bv[i]);
		qnet_adam_step(&ad, p, g);
	}
	for (i = 0; i < 4; i++)
		cr_expect_float_eq(p[i], bv[i], 1e-2, "p[%d] = %g, want %g", i, (double)p[i],
				   (double)bv[i]);
	qnet_adam_free(&ad);
}
