/*
 * quantize.c - post-training quantization of the float network into the
 * int8 one (TFLite full-integer scheme, as CMSIS-NN consumes it):
 *   - calibration: the float network runs over a sample of states (its
 *     inputs clamped as the int8 input will be) and the range of every
 *     layer boundary (min/max) is recorded;
 *   - input equalization: each feature is centred and scaled onto [-1, 1]
 *     by its EQ_TAIL .. 1 - EQ_TAIL quantiles over the sample (in_off,
 *     in_eq; folded into layer 0's
 *     weights and biases), so that the input's one scale suits features of
 *     different ranges (as cross-layer equalization does between layers);
 *   - activations: int8, one asymmetric scale/zero point per tensor
 *     (TFLite ChooseQuantizationParams with the range widened to hold 0);
 *   - the output layer computes Q minus its mean over the actions (the
 *     mean row of its weights and the mean bias are subtracted before
 *     quantizing: the argmax is the same, and the small differences
 *     between similar actions keep their precision);
 *   - the output layer is requantized to int32, not int8: its output
 *     scale is 2^OUT_FINE_BITS times finer than its coarsest channel's
 *     accumulator step (s_in * max_o s_w[o]), so every channel's
 *     accumulator keeps its
 *     precision on one common scale; an int8 or int16 output turns close
 *     Q-values into ties or swaps them;
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

/*
 * The output scale is s_in * max_o s_w[o] / 2^OUT_FINE_BITS: multipliers up
 * to 2^6 (a left shift), so an accumulator of |acc| < 2^25 (any layer of
 * width <= 256 with realistic activations; the worst case 256 * 127 * 255
 * is 2^23) never saturates.
 */
#define OUT_FINE_BITS 6

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
 * leaves a few levels to all the others. The range is the EQ_TAIL and
 * 1 - EQ_TAIL quantiles, not min/max: a few rare states (a class's first
 * arrival: no history, no previous arrival) sit 5-10 normalised units away
 * from all others, and a min/max range would spend most of the 256 levels
 * on them; they are clamped instead (what the int8 input does anyway).
 */
#define EQ_TAIL 0.01

static int fcmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static int equalize(qnet_model *m, const float *states, size_t n, struct eph_err *err)
{
	unsigned i, d = m->dims[0];
	size_t k, cut = (size_t)(EQ_TAIL * (double)n);
	float *col = malloc(n * sizeof(*col));

	if (col == NULL)
		return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for calibration");
	for (i = 0; i < d; i++) {
		float lo, hi;

		for (k = 0; k < n; k++) /* NaN sorts nowhere useful: as 0 */
			col[k] = isnan(states[k * d + i]) ? 0.0f : states[k * d + i];
		qsort(col, n, sizeof(*col), fcmp);
		lo = col[cut];
		hi = col[n - 1 - cut];
		if (hi - lo > 1e-6f && isfinite(hi - lo)) {
			m->in_off[i] = 0.5f * lo + 0.5f * hi;
			m->in_eq[i] = 2.0f / (hi - lo);
		} else {
			m->in_off[i] = isfinite(lo) ? lo : 0.0f;
			m->in_eq[i] = 1.0f;
		}
	}
	free(col);
	return 0;
}

/*
 * Record the min/max of each layer boundary over the sample. (A percentile
 * for the hidden layers was tried: within noise on the traces' held-out
 * agreement, and it made the worst disagreement on the test bandit worse.)
 */

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
		float x[QNET_MAX_WIDTH];

		/* the input as the int8 network sees it: clamped to the equalized range */
		for (i = 0; i < m->dims[0]; i++) {
			float e = (states[k * m->dims[0] + i] - m->in_off[i]) * m->in_eq[i];

			e = e > 1.0f ? 1.0f : e < -1.0f ? -1.0f : isnan(e) ? 0.0f : e;
			x[i] = e / m->in_eq[i] + m->in_off[i];
		}
		qnet__forward(m, m->params, x, acts);
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

/* Layer l's float bias of channel o, with layer 0's input offset folded in. */
static double folded_bias(const qnet_model *m, unsigned l, unsigned o)
{
	const struct qnet__flayer *F = &m->fl[l];
	const float *w = m->params + F->w_off;
	double bb = (double)m->params[F->b_off + o];
	unsigned i;

	for (i = 0; l == 0 && i < F->in; i++)
		bb += (double)w[(size_t)i * F->out + o] * (double)m->in_off[i];
	return bb;
}

static int quantize_layer(qnet_model *m, unsigned l, struct eph_err *err)
{
	const struct qnet__flayer *F = &m->fl[l];
	struct qnet__qlayer *q = &m->ql[l];
	const float *w = m->params + F->w_off;
	const int last = l + 1 == m->nlayers;
	float cw[QNET_MAX_WIDTH] = { 0 }, tmax = 0.0f;
	double cb = 0.0;
	unsigned o, i;
	int shift;

#define WV(i, o) (w[(size_t)(i) * q->out + (o)] / (l == 0 ? m->in_eq[i] : 1.0f) - cw[i])
	/*
	 * The output layer: its mean row (and mean bias) over the actions is
	 * taken out first. It adds the same value to every action's Q, so the
	 * argmax does not change, but rows of similar actions are nearly
	 * equal and quantized whole their small differences would drown in the
	 * rounding of the large common part. tmax: the largest weight, for
	 * the common output scale (see the top).
	 */
	if (last) {
		for (i = 0; i < q->in; i++) {
			double sum = 0.0;

			for (o = 0; o < q->out; o++)
				sum += (double)w[(size_t)i * q->out + o] / (l == 0 ? m->in_eq[i] : 1.0f);
			cw[i] = (float)(sum / q->out);
		}
		for (o = 0; o < q->out; o++)
			cb += folded_bias(m, l, o) / q->out;
		for (o = 0; o < q->out; o++)
			for (i = 0; i < q->in; i++)
				tmax = fabsf(WV(i, o)) > tmax ? fabsf(WV(i, o)) : tmax;
		q->out_scale = q->in_scale * (tmax > 0.0f ? tmax / 127.0f : 1.0f) /
			       (float)(1 << OUT_FINE_BITS);
	}
	for (o = 0; o < q->out; o++) {
		float amax = 0.0f, s;
		double bq, bb;

		for (i = 0; i < q->in; i++)
			amax = fabsf(WV(i, o)) > amax ? fabsf(WV(i, o)) : amax;
		s = amax > 0.0f ? amax / 127.0f : 1.0f;
		q->w_scale[o] = s;
		for (i = 0; i < q->in; i++) {
			float v = roundf(WV(i, o) / s);

			v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
			q->w[(size_t)o * q->in + i] = (int8_t)v;
		}
		bb = folded_bias(m, l, o) - cb;
		bq = round(bb / ((double)q->in_scale * (double)s));
		if (!(bq >= (double)INT32_MIN && bq <= (double)INT32_MAX))
			return eph_err_set(err, EPH_EVERIFY, "qnet: layer %u channel %u: bias %g "
					   "does not fit int32 at its scale", l, o, bb);
		q->bias[o] = (int32_t)bq;
		if (qnet__layer_multiplier(q, o, &q->mult[o], &shift) < 0)
			return eph_err_set(err, EPH_EVERIFY, "qnet: layer %u channel %u: "
					   "requantization multiplier out of range", l, o);
		q->shift[o] = (int8_t)shift;
	}
#undef WV
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
	rc = equalize(m, states, n, err);
	if (rc < 0) {
		qnet__qlayers_free(m);
		return rc;
	}
	calibrate(m, states, n, rg);
	rg[0].lo = -1.0f; /* the equalized input range, by construction */
	rg[0].hi = 1.0f;
	for (l = 0; l < m->nlayers; l++) {
		struct qnet__qlayer *q = &m->ql[l];

		int8_params(rg[l], &q->in_scale, &q->in_zp);
		if (l + 1 < m->nlayers) {
			int8_params(rg[l + 1], &q->out_scale, &q->out_zp);
		} else {
			q->out_scale = 1.0f; /* set with the weight scale, quantize_layer */
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
