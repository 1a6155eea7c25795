/*
 * int8.c - integer-only inference of the quantized network (TFLite
 * fully-connected int8 kernel, CMSIS-NN arm_fully_connected_s8): per layer
 *   acc[o] = bias_eff[o] + sum_i w[o][i] * x[i]          (int32)
 *   y[o]   = out_zp + MultiplyByQuantizedMultiplier(acc[o], mult[o], shift[o])
 * clamped to [quantized 0, 127] for hidden layers (ReLU fused). The output
 * layer is requantized to int32, not int8 or int16: quantize.c gives it an
 * output scale 2^-6 of its coarsest channel's accumulator step, so every
 * channel's accumulator keeps its precision on one common scale and the
 * masked argmax over the int32 outputs loses nothing near a tie.
 * bias_eff folds the input zero point: bias - in_zp * sum_i w[o][i]. The
 * only float operation is the one quantization of the input state.
 *
 * Not here: building the int8 network (quantize.c).
 */
#include <math.h>
#if defined(__SSE2__) && !defined(QNET_NO_SIMD)
#include <emmintrin.h>
#endif

#include "qnet-priv.h"

void qnet_int8_quantize_input(const qnet_model *m, const float *x, int8_t *xq)
{
	const struct qnet__qlayer *q = &m->ql[0];
	const float *mul = m->in_mul, *off = m->in_off;
	const int32_t zp = q->in_zp;
	unsigned i, n = q->in;

	/*
	 * roundf((x - in_off) * (in_eq / in_scale)) + zp, clamped, written without branches so that it
	 * vectorizes: t = trunc(v) and v - t are exact for |v| < 2^23, and
	 * half-way values round away from zero as roundf does.
	 */
	for (i = 0; i < n; i++) {
		float v = (x[i] - off[i]) * mul[i], f;
		int32_t t, r;

		v = v > -1e6f ? v : -1e6f; /* also NaN */
		v = v < 1e6f ? v : 1e6f;
		t = (int32_t)v;
		f = v - (float)t;
		r = t + (f >= 0.5f) - (f <= -0.5f) + zp;
		r = r < -128 ? -128 : r;
		r = r > 127 ? 127 : r;
		xq[i] = (int8_t)r;
	}
}

static int32_t clamp32(int64_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

/* One hidden channel: acc -> its int8 output value, ReLU fused (lo: quantized 0). */
static inline int32_t requant(const struct qnet__qlayer *q, unsigned o, int32_t acc, int32_t lo)
{
	int32_t v;

	/* |sum| <= 256 * 127 * 128: adding bias_eff saturates, never wraps. */
	acc = clamp32((int64_t)acc + q->bias_eff[o], INT32_MIN, INT32_MAX);
	v = qnet__mbqm(acc, q->mult[o], q->shift[o]);
	return clamp32((int64_t)v + q->out_zp, lo, 127);
}

#if defined(__SSE2__) && !defined(QNET_NO_SIMD)
/*
 * The int32 dot products of four output channels (rows w, w + n, ...) with
 * x, n a multiple of QNET__LANES: pmaddwd over 8 int16 lanes per step, one
 * pass over x for the four rows and one joint horizontal sum at the end, as
 * CMSIS-NN's arm_nn_vec_mat_mult kernels do with SMLAD.
 */
static inline __m128i dot4(const int16_t *w, unsigned n, const int16_t *x)
{
	const int16_t *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
	__m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0, s01, s23;
	unsigned i;

	for (i = 0; i < n; i += 8) {
		__m128i xv = _mm_loadu_si128((const __m128i *)(const void *)(x + i));

		a0 = _mm_add_epi32(a0, _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w + i)), xv));
		a1 = _mm_add_epi32(a1, _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w1 + i)), xv));
		a2 = _mm_add_epi32(a2, _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w2 + i)), xv));
		a3 = _mm_add_epi32(a3, _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w3 + i)), xv));
	}
	s01 = _mm_add_epi32(_mm_unpacklo_epi32(a0, a1), _mm_unpackhi_epi32(a0, a1));
	s23 = _mm_add_epi32(_mm_unpacklo_epi32(a2, a3), _mm_unpackhi_epi32(a2, a3));
	return _mm_add_epi32(_mm_unpacklo_epi64(s01, s23), _mm_unpackhi_epi64(s01, s23));
}

/*
 * Four channels' requantization before the zero point, bit-exact with
 * qnet__mbqm(acc[r] saturating-plus bias[r], mult[r], shift[r]) when every
 * shift is <= 0 (the caller checks) and every mult is in [0, 2^31):
 *  - the saturating int32 add of the bias;
 *  - SaturatingRoundingDoublingHighMul: |a| * m as unsigned 64-bit products
 *    (pmuludq), + 2^30 (- 1 for a negative a: gemmlowp rounds half away
 *    from zero), >> 31, sign restored;
 *  - RoundingDivideByPOT: x & ~mask is a multiple of 2^e, so its arithmetic
 *    shift is an exact multiplication by 2^-e in double; +1 when the
 *    remainder exceeds half (plus one for a negative x).
 */
static inline __m128i requant4(__m128i acc, const int32_t *bias, const int32_t *mult,
			       const int32_t *rmask, const double *rpow)
{
	const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)bias);
	const __m128i m = _mm_loadu_si128((const __m128i *)(const void *)mult);
	const __m128i mask = _mm_loadu_si128((const __m128i *)(const void *)rmask);
	const __m128i c30 = _mm_set_epi32(0, 1 << 30, 0, 1 << 30);
	const __m128i max = _mm_set1_epi32(INT32_MAX);
	__m128i x, ov, neg, ab, p02, p13, r, rem, thr, inc, q;

	/* saturating acc + bias */
	x = _mm_add_epi32(acc, b);
	ov = _mm_srai_epi32(_mm_and_si128(_mm_xor_si128(acc, x), _mm_xor_si128(b, x)), 31);
	x = _mm_or_si128(_mm_andnot_si128(ov, x),
			 _mm_and_si128(ov, _mm_xor_si128(_mm_srai_epi32(acc, 31), max)));
	/* SaturatingRoundingDoublingHighMul(x, m) */
	neg = _mm_srai_epi32(x, 31);
	ab = _mm_sub_epi32(_mm_xor_si128(x, neg), neg);
	p02 = _mm_mul_epu32(ab, m);
	p13 = _mm_mul_epu32(_mm_srli_epi64(ab, 32), _mm_srli_epi64(m, 32));
	p02 = _mm_add_epi64(p02, _mm_add_epi64(c30, _mm_shuffle_epi32(neg, _MM_SHUFFLE(2, 2, 0, 0))));
	p13 = _mm_add_epi64(p13, _mm_add_epi64(c30, _mm_shuffle_epi32(neg, _MM_SHUFFLE(3, 3, 1, 1))));
	p02 = _mm_shuffle_epi32(_mm_srli_epi64(p02, 31), _MM_SHUFFLE(3, 1, 2, 0));
	p13 = _mm_shuffle_epi32(_mm_srli_epi64(p13, 31), _MM_SHUFFLE(3, 1, 2, 0));
	r = _mm_unpacklo_epi32(p02, p13);
	r = _mm_sub_epi32(_mm_xor_si128(r, neg), neg);
	/* RoundingDivideByPOT(r, e) */
	rem = _mm_and_si128(r, mask);
	thr = _mm_sub_epi32(_mm_srai_epi32(mask, 1), _mm_srai_epi32(r, 31));
	inc = _mm_cmpgt_epi32(rem, thr);
	q = _mm_andnot_si128(mask, r);
	q = _mm_unpacklo_epi64(
		_mm_cvttpd_epi32(_mm_mul_pd(_mm_cvtepi32_pd(q), _mm_loadu_pd(rpow))),
		_mm_cvttpd_epi32(_mm_mul_pd(_mm_cvtepi32_pd(_mm_shuffle_epi32(q, _MM_SHUFFLE(1, 0, 3, 2))),
					    _mm_loadu_pd(rpow + 2))));
	return _mm_sub_epi32(q, inc);
}

static inline int shifts_nonpositive(const struct qnet__qlayer *q, unsigned o)
{
	return q->shift[o] <= 0 && q->shift[o + 1] <= 0 && q->shift[o + 2] <= 0 &&
	       q->shift[o + 3] <= 0;
}
#endif

/* Hidden channels o..o+3 (rows past out are zero padding, model.c) into y[o..o+3]. */
static inline void block4(const struct qnet__qlayer *q, unsigned o, const int16_t *x,
			  int32_t lo, int16_t *y)
{
	const int16_t *w = q->w16 + (size_t)o * q->in_pad;
	int32_t acc[4];
	unsigned r, n = q->out - o < 4 ? q->out - o : 4;

#if defined(__SSE2__) && !defined(QNET_NO_SIMD)
	__m128i sums = dot4(w, q->in_pad, x);

	if (n == 4 && shifts_nonpositive(q, o)) {
		/* zero point and clamp with saturating int16 packs (exact: see below) */
		__m128i v = requant4(sums, q->bias_eff + o, q->mult + o, q->rmask + o, q->rpow + o);
		__m128i v16 = _mm_adds_epi16(_mm_packs_epi32(v, v), _mm_set1_epi16((int16_t)q->out_zp));

		v16 = _mm_min_epi16(_mm_max_epi16(v16, _mm_set1_epi16((int16_t)lo)),
				    _mm_set1_epi16(127));
		_mm_storel_epi64((__m128i *)(void *)(y + o), v16);
		return;
	}
	_mm_storeu_si128((__m128i *)(void *)acc, sums);
#else
	for (r = 0; r < 4; r++) {
		int32_t s = 0;
		unsigned i;

		for (i = 0; i < q->in_pad; i++)
			s += (int32_t)w[(size_t)r * q->in_pad + i] * x[i];
		acc[r] = s;
	}
#endif
	for (r = 0; r < n; r++)
		y[o + r] = (int16_t)requant(q, o + r, acc[r], lo);
}

void qnet__requant4(const struct qnet__qlayer *q, unsigned o, const int32_t *acc, int32_t *v)
{
	unsigned r;

#if defined(__SSE2__) && !defined(QNET_NO_SIMD)
	if (shifts_nonpositive(q, o)) {
		_mm_storeu_si128((__m128i *)(void *)v,
				 requant4(_mm_loadu_si128((const __m128i *)(const void *)acc),
					  q->bias_eff + o, q->mult + o, q->rmask + o, q->rpow + o));
		return;
	}
#endif
	for (r = 0; r < 4; r++)
		v[r] = qnet__mbqm(clamp32((int64_t)acc[r] + q->bias_eff[o + r], INT32_MIN, INT32_MAX),
				  q->mult[o + r], q->shift[o + r]);
}

/* The output layer: out[o] = MultiplyByQuantizedMultiplier(acc[o] + bias_eff[o]) + out_zp,
 * in int32, for channels o..o+3. */
static void out_int32_4(const struct qnet__qlayer *q, unsigned o, const int16_t *x,
			int32_t *out)
{
	const int16_t *w = q->w16 + (size_t)o * q->in_pad;
	int32_t acc[4], v[4];
	unsigned r, n = q->out - o < 4 ? q->out - o : 4;

#if defined(__SSE2__) && !defined(QNET_NO_SIMD)
	_mm_storeu_si128((__m128i *)(void *)acc, dot4(w, q->in_pad, x));
#else
	for (r = 0; r < 4; r++) {
		int32_t s = 0;
		unsigned i;

		for (i = 0; i < q->in_pad; i++)
			s += (int32_t)w[(size_t)r * q->in_pad + i] * x[i];
		acc[r] = s;
	}
#endif
	if (n == 4) {
		qnet__requant4(q, o, acc, v);
	} else { /* per-channel arrays are not padded: no four-wide reads past out */
		for (r = 0; r < n; r++)
			v[r] = qnet__mbqm(clamp32((int64_t)acc[r] + q->bias_eff[o + r], INT32_MIN,
						  INT32_MAX), q->mult[o + r], q->shift[o + r]);
	}
	for (r = 0; r < n; r++)
		out[o + r] = clamp32((int64_t)v[r] + q->out_zp, INT32_MIN, INT32_MAX);
}

/*
 * Run every layer; out[num_actions] gets the int32 output values. As
 * CMSIS-NN does for SMLAD (arm_q7_to_q15), the int8 operands are held in
 * int16 lanes (weights widened once at load, activations as they are
 * produced); the values and the int32 sums are those of the int8 kernel.
 * With SSE2 the zero point and the clamps are saturating int16 operations:
 * packs(v) clamps v to int16, so a v beyond int16 ends at the same bound as
 * clamp32(v + zp) does, and within int16 nothing saturates but the clamp.
 */
static void run(const qnet_model *m, const int8_t *xq, int32_t *out)
{
	int16_t ba[QNET_MAX_WIDTH + 4] = { 0 }, bb[QNET_MAX_WIDTH + 4] = { 0 };
	int16_t *x = ba, *y = bb, *t;
	unsigned l, o, i;

	for (i = 0; i < m->ql[0].in; i++)
		x[i] = xq[i];
	for (l = 0; l < m->nlayers; l++) {
		const struct qnet__qlayer *q = &m->ql[l];
		const int32_t lo = q->out_zp > -128 ? q->out_zp : -128;
		const int last = l + 1 == m->nlayers;

		if (last) {
			for (o = 0; o < q->out; o += 4)
				out_int32_4(q, o, x, out);
			break;
		}
		for (o = 0; o < q->out; o += 4)
			block4(q, o, x, lo, y);
		/* lanes past this layer's width are the next layer's zero padding */
		for (o = q->out; o < m->ql[l + 1].in_pad; o++)
			y[o] = 0;
		t = x;
		x = y;
		y = t;
	}
}

int qnet_int8_argmax_q(const qnet_model *m, const int8_t *xq, uint64_t mask, unsigned *action,
		       struct eph_err *err)
{
	int32_t out[QNET_MAX_ACTIONS];
	unsigned n = qnet_model_num_actions(m), a;
	int32_t bestv = INT32_MIN;
	int best = -1;

	if (!m->has_int8)
		return eph_err_set(err, EPH_EFAIL, "qnet: the model has no int8 network");
	if (n < 64)
		mask &= (1ull << n) - 1;
	if (mask == 0)
		return eph_err_set(err, EPH_EPOLICY, "qnet: mask allows none of %u actions", n);
	run(m, xq, out);
	/* branch-free (random masks would defeat the predictor); lowest index on ties */
	for (a = 0; a < n; a++) {
		/* >= for the first allowed one: an output may be INT32_MIN itself */
		int take = (int)(mask >> a & 1) & (best < 0 ? 1 : out[a] > bestv);

		bestv = take ? out[a] : bestv;
		best = take ? (int)a : best;
	}
	*action = (unsigned)best;
	return 0;
}

int qnet_int8_argmax(const qnet_model *m, const float *x, uint64_t mask, unsigned *action,
		     struct eph_err *err)
{
	int8_t xq[QNET_MAX_WIDTH];

	if (!m->has_int8)
		return eph_err_set(err, EPH_EFAIL, "qnet: the model has no int8 network");
	qnet_int8_quantize_input(m, x, xq);
	return qnet_int8_argmax_q(m, xq, mask, action, err);
}

int qnet_int8_q(const qnet_model *m, const float *x, float *q, struct eph_err *err)
{
	int8_t xq[QNET_MAX_WIDTH];
	int32_t out[QNET_MAX_ACTIONS];
	const struct qnet__qlayer *last;
	unsigned a;

	if (!m->has_int8)
		return eph_err_set(err, EPH_EFAIL, "qnet: the model has no int8 network");
	last = &m->ql[m->nlayers - 1];
	qnet_int8_quantize_input(m, x, xq);
	run(m, xq, out);
	for (a = 0; a < last->out; a++)
		q[a] = (float)(out[a] - last->out_zp) * last->out_scale;
	return 0;
}
