/*
 * int8_test.c - the int8 inference kernel (int16 lanes, four-row dot
 * products, padding, fused requantization) against a plain reference
 * written from the documented formulas with the public fixed-point
 * primitives, and the input quantization against roundf.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../../broker/qnet/src/qnet-priv.h"
#include "tinyenv.h"

static int32_t clampi(int64_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

/* docs/qnet-model-format.md, literally: int32 accumulators, requantize, clamp
 * (int8 hidden activations, int32 output). */
static void reference(const qnet_model *m, const float *x, int32_t *out)
{
	int32_t a[QNET_MAX_WIDTH], b[QNET_MAX_WIDTH];
	unsigned l, o, i;

	for (i = 0; i < m->dims[0]; i++) {
		float v = roundf((x[i] - m->in_off[i]) * (m->in_eq[i] / m->ql[0].in_scale));

		a[i] = clampi(isnan(v) ? -128 : (int64_t)fmaxf(fminf(v, 1e6f), -1e6f) + m->ql[0].in_zp,
			      -128, 127);
	}
	for (l = 0; l < m->nlayers; l++) {
		const struct qnet__qlayer *q = &m->ql[l];
		int last = l + 1 == m->nlayers;

		for (o = 0; o < q->out; o++) {
			int64_t acc = q->bias[o];
			int32_t v;

			for (i = 0; i < q->in; i++)
				acc += (int64_t)q->w[(size_t)o * q->in + i] * (a[i] - q->in_zp);
			v = qnet_mul_by_quantized_multiplier(clampi(acc, INT32_MIN, INT32_MAX),
							      q->mult[o], q->shift[o]);
			b[o] = last ? clampi((int64_t)v + q->out_zp, INT32_MIN, INT32_MAX) :
				      clampi((int64_t)v + q->out_zp, q->out_zp > -128 ? q->out_zp : -128,
					     127);
		}
		for (o = 0; o < q->out; o++)
			a[o] = b[o];
	}
	for (o = 0; o < m->dims[m->nlayers]; o++)
		out[o] = a[o];
}

Test(qnet_int8, kernel_matches_reference)
{
	/* odd widths: padding of rows to 4 and of lanes to 16 */
	static const unsigned shapes[][6] = {
		{ 3, 32, 64, 64, 27 }, { 4, 7, 13, 5, 9, 3 }, { 1, 2, 1 }, { 2, 33, 17, 64 },
	};
	struct eph_err err = {{0}};
	uint64_t rng = 17;
	unsigned s, k, a, i;

	for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		unsigned nl = shapes[s][0];
		const unsigned *dims = &shapes[s][1];
		float *cal = malloc(300 * dims[0] * sizeof(float)), x[QNET_MAX_WIDTH];
		float q[QNET_MAX_ACTIONS];
		int32_t ref[QNET_MAX_ACTIONS];
		qnet_model *m = NULL;

		cr_assert_eq(qnet_model_new(&m, dims, nl, 100 + s, &err), 0, "%s", err.msg);
		for (k = 0; k < 300 * dims[0]; k++)
			cal[k] = (float)((int64_t)(tiny_rand(&rng) % 2001) - 1000) / 250.0f;
		cr_assert_eq(qnet_quantize(m, cal, 300, &err), 0, "%s", err.msg);
		for (k = 0; k < 3000; k++) {
			for (i = 0; i < dims[0]; i++)
				x[i] = (float)((int64_t)(tiny_rand(&rng) % 4001) - 2000) / 250.0f;
			reference(m, x, ref);
			cr_assert_eq(qnet_int8_q(m, x, q, &err), 0);
			for (a = 0; a < dims[nl]; a++) {
				const struct qnet__qlayer *L = &m->ql[nl - 1];

				cr_assert_eq(q[a], (float)(ref[a] - L->out_zp) * L->out_scale,
					     "shape %u state %u output %u: kernel %g, reference %d", s, k,
					     a, (double)q[a], ref[a]);
			}
		}
		free(cal);
		qnet_model_free(m);
	}
}

Test(qnet_int8, input_quantization_is_roundf)
{
	unsigned dims[] = { 8, 4, 2 }, k, i;
	float cal[16 * 8], x[8];
	int8_t xq[8];
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	uint64_t rng = 5;

	cr_assert_eq(qnet_model_new(&m, dims, 2, 1, &err), 0);
	for (k = 0; k < 16 * 8; k++)
		cal[k] = (float)(tiny_rand(&rng) % 1000) / 100.0f - 5.0f;
	cr_assert_eq(qnet_quantize(m, cal, 16, &err), 0);
	for (k = 0; k < 200000; k++) {
		for (i = 0; i < 8; i++) {
			/* exact half-way points too: multiples of half a step */
			x[i] = k % 3 == 0 ? (float)((int)(tiny_rand(&rng) % 600) - 300) * 0.5f /
						    m->in_mul[i] + m->in_off[i] :
					    (float)((int64_t)(tiny_rand(&rng) % 20001) - 10000) / 1000.0f;
		}
		if (k == 7) {
			x[0] = NAN;
			x[1] = INFINITY;
			x[2] = -INFINITY;
			x[3] = 1e30f;
		}
		qnet_int8_quantize_input(m, x, xq);
		for (i = 0; i < 8; i++) {
			float v = (x[i] - m->in_off[i]) * m->in_mul[i];
			int32_t want = isnan(v) ? -128 :
				       clampi((int64_t)roundf(fmaxf(fminf(v, 1e6f), -1e6f)) +
						      m->ql[0].in_zp, -128, 127);

			cr_assert_eq(xq[i], want, "x %.9g (v %.9g): %d, roundf gives %d", (double)x[i],
				     (double)v, xq[i], want);
		}
	}
	qnet_model_free(m);
}

/* The four-channel requantization (SSE2 path) against the scalar one, at extremes. */
Test(qnet_int8, requant4_matches_scalar_at_extremes)
{
	static const int32_t edge[] = { INT32_MIN, INT32_MIN + 1, -(1 << 30), -1, 0, 1,
					(1 << 30), INT32_MAX - 1, INT32_MAX };
	int32_t bias[4], mult[4], rmask[4], acc[4], v[4];
	int8_t shift[4];
	double rpow[4];
	struct qnet__qlayer q;
	uint64_t rng = 23;
	unsigned k, r;

	memset(&q, 0, sizeof(q));
	q.bias_eff = bias;
	q.mult = mult;
	q.shift = shift;
	q.rmask = rmask;
	q.rpow = rpow;
	for (k = 0; k < 400000; k++) {
		for (r = 0; r < 4; r++) {
			uint64_t u = tiny_rand(&rng);

			acc[r] = u % 4 == 0 ? edge[u / 4 % 9] : (int32_t)(u >> 32);
			u = tiny_rand(&rng);
			bias[r] = u % 4 == 0 ? edge[u / 4 % 9] : (int32_t)(u >> 40) - (1 << 23);
			u = tiny_rand(&rng);
			mult[r] = u % 16 == 0 ? 0 : (int32_t)((1u << 30) + (u >> 34));
			/* mostly the SIMD case (all shifts <= 0); sometimes a positive one */
			shift[r] = (int8_t)(k % 7 == 0 ? (int)(tiny_rand(&rng) % 40) - 31 :
							 -(int)(tiny_rand(&rng) % 32));
			rmask[r] = shift[r] < 0 ? (int32_t)((1ll << -shift[r]) - 1) : 0;
			rpow[r] = shift[r] < 0 ? ldexp(1.0, shift[r]) : 1.0;
		}
		qnet__requant4(&q, 0, acc, v);
		for (r = 0; r < 4; r++) {
			int64_t s = (int64_t)acc[r] + bias[r];
			int32_t want = qnet_mul_by_quantized_multiplier(
				s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s, mult[r],
				shift[r]);

			cr_assert_eq(v[r], want, "acc %d bias %d mult %d shift %d: %d, scalar %d", acc[r],
				     bias[r], mult[r], shift[r], v[r], want);
		}
	}
}
