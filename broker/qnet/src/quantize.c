/*
 * quantize.c - post-training quantization of the float network into the
 * int8 one (TFLite full-integer scheme, as CMSIS-NN consumes it):
 *   - calibration: the float network runs over a sample of states and the
 *     min/max of every layer boundary is recorded;
 *   - input equalization: each feature is centred and scaled onto [-1, 1]
 *     by its min/max over the sample (in_off, in_eq; folded into layer 0's
 *     weights and biases), so that the input's one scale suits features of
 *     different ranges (as cross-layer equalization does between layers);
 *   - activations: int8, one asymmetric scale/zero point per tensor
 *     (TFLite ChooseQuantizationParams with the range widened to hold 0);
 *     the network's output is int16 symmetric (TFLite 16x8 style), because
 *     argmax over 256 levels turns close Q-values into ties;
 *   - weights: int8 symmetric, one scale per output channel, values in
 *     [-127, 127]; biases int32 at scale s_in * s_w[o];
 *   - requantization multipliers M[o] = s_in * s_w[o] / s_out as Q31 + shift,
 *     computed in double from the float scales that the file stores, so
 *     that the loader can recompute and compare them.
 *
 * Not here: the integer inference (int8.c), the fixed-point primitives
 * (fixedpoint.c).
 */
#include <math.h>
#include <stdlib.h>

#include "qnet-priv.h"

#define OUT_MARGIN 1.25f /* headroom of the int16 output range over calibration */

struct range {
	float lo, hi;
};

static void int8_params(struct range r, float *scale, int32_t *zp)
{
	float lo = r.lo < 0.0f ? r.lo : 0.0f, hi = r.hi > 0.0f ? r.hi : 0.0f;
	double z;

	if (!(hi - lo > 1e-12f)) {
		*scale = 1.0f;
		*zp = -128;
		return;
	}
	*scale = (hi - lo) / 255.0f;
	z = -128.0 - (double)lo / (double)*scale;
	z = round(z);
	*zp = z < -128.0 ? -128 : z > 127.0 ? 127 : (int32_t)z;
}

/* The multiplier of layer q's channel o, from the scales as stored. */
int qnet__layer_multiplier(const struct qnet__qlayer *q, unsigned o, int32_t *mult, int *shift)
{
	double real = (double)q->in_scale * (double)q->w_scale[o] / (double)q->out_scale;

	return qnet_quantize_multiplier(real, mult, shift);
}

/*
 * Input equalization: in_off[i] = the midpoint and in_eq[i] = 2 / the width
 * of feature i's range over the sample (0 and 1 for a constant feature), so
 * that every feature spans [-1, 1] before the one per-tensor input scale is
 * chosen; without it one wide feature (a log-rate, a normalised count)
 * leaves a few levels to all the others.
 */
static void equalize(qnet_model *m, const float *states, size_t n)
{
	unsigned i, d = m->dims[0];
	size_t k;

	for (i = 0; i < d; i++) {
		float lo = states[i], hi = states[i];

		for (k = 1; k < n; k++) {
			float v = states[k * d + i];

			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		if (hi - lo > 1e-6f && isfinite(hi - lo)) {
			m->in_off[i] = 0.5f * lo + 0.5f * hi;
			m->in_eq[i] = 2.0f / (hi - lo);
		} else {
			m->in_off[i] = isfinite(lo) ? lo : 0.0f;
			m->in_eq[i] = 1.0f;
		}
	}
}

/* Record the min/max of each layer boundary over the sample. */
static void calibrate(const qnet_model *m, const float *states, size_t n, struct range *rg)
{
	float buf[QNET_MAX_LAYERS + 1][QNET_MAX_WIDTH];
	float *acts[QNET_MAX_LAYERS + 1];
	unsigned l, i;
	size_t k;

	for (l = 0; l <= m->nlayers; l++) {
		acts[l] = buf[l];
		rg[l].lo = 0.0f;
		rg[l].hi = 0.0f;
	}
	for (k = 0; k < n; k++) {
		qnet__forward(m, m->params, states + k * m->dims[0], acts);
		for (l = 0; l <= m->nlayers; l++)
			for (i = 0; i < m->dims[l]; i++) {
				float v = l == 0 ? (acts[0][i] - m->in_off[i]) * m->in_eq[i] :
						   acts[l][i];

				if (v < rg[l].lo)
					rg[l].lo = v;
				if (v > rg[l].hi)
					rg[l].hi = v;
			}
	}
}

static int quantize_layer(qnet_model *m, unsigned l, struct eph_err *err)
{
	const struct qnet__flayer *F = &m->fl[l];
	struct qnet__qlayer *q = &m->ql[l];
	const float *w = m->params + F->w_off, *b = m->params + F->b_off;
	const float *eq = m->in_eq, *eq_off = m->in_off; /* layer 0 only */
	unsigned o, i;
	int shift;

	for (o = 0; o < q->out; o++) {
		float amax = 0.0f, s;
		double bq, bb;

		for (i = 0; i < q->in; i++) {
			float a = fabsf(w[(size_t)i * q->out + o] / (l == 0 ? eq[i] : 1.0f));

			amax = a > amax ? a : amax;
		}
		s = amax > 0.0f ? amax / 127.0f : 1.0f;
		q->w_scale[o] = s;
		for (i = 0; i < q->in; i++) {
			float v = roundf(w[(size_t)i * q->out + o] / (l == 0 ? eq[i] : 1.0f) / s);

			v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
			q->w[(size_t)o * q->in + i] = (int8_t)v;
		}
		bb = (double)b[o];
		for (i = 0; l == 0 && i < q->in; i++) /* the input offset, folded */
			bb += (double)w[(size_t)i * q->out + o] * (double)eq_off[i];
		bq = round(bb / ((double)q->in_scale * (double)s));
		if (!(bq >= (double)INT32_MIN && bq <= (double)INT32_MAX))
			return eph_err_set(err, EPH_EVERIFY, "qnet: layer %u channel %u: bias %g "
					   "does not fit int32 at its scale", l, o, (double)b[o]);
		q->bias[o] = (int32_t)bq;
		if (qnet__layer_multiplier(q, o, &q->mult[o], &shift) < 0)
			return eph_err_set(err, EPH_EVERIFY, "qnet: layer %u channel %u: "
					   "requantization multiplier out of range", l, o);
		q->shift[o] = (int8_t)shift;
	}
	return 0;
}

int qnet_quantize(qnet_model *m, const float *states, size_t n, struct eph_err *err)
{
	struct range rg[QNET_MAX_LAYERS + 1];
	unsigned l;
	int rc;

	if (n == 0)
		return eph_err_set(err, EPH_EVERIFY, "qnet: calibration needs at least one state");
	rc = qnet__qlayers_alloc(m, err);
	if (rc < 0)
		return rc;
	equalize(m, states, n);
	calibrate(m, states, n, rg);
	for (l = 0; l < m->nlayers; l++) {
		struct qnet__qlayer *q = &m->ql[l];

		int8_params(rg[l], &q->in_scale, &q->in_zp);
		if (l + 1 < m->nlayers) {
			int8_params(rg[l + 1], &q->out_scale, &q->out_zp);
		} else {
			float a = fmaxf(fabsf(rg[l + 1].lo), fabsf(rg[l + 1].hi)) * OUT_MARGIN;

			q->out_scale = a > 1e-12f ? a / 32767.0f : 1.0f;
			q->out_zp = 0;
		}
	}
	for (l = 0; l < m->nlayers; l++) {
		rc = quantize_layer(m, l, err);
		if (rc < 0) {
			qnet__qlayers_free(m);
			return rc;
		}
	}
	qnet__qlayers_derive(m);
	m->has_int8 = 1;
	return 0;
}
