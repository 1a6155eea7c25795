/*
 * fixedpoint.c - the integer arithmetic of quantized inference, bit-exact
 * with the reference code it comes from:
 *   - SaturatingRoundingDoublingHighMul, RoundingDivideByPOT: gemmlowp
 *     fixedpoint/fixedpoint.h;
 *   - MultiplyByQuantizedMultiplier, QuantizeMultiplier: TensorFlow Lite
 *     kernels/internal/common.h and quantization_util.cc (the same scheme
 *     as CMSIS-NN's arm_nn_requantize).
 * A real multiplier M in (0, 2^QNET_SHIFT_MAX) is held as a Q31 value
 * m in [2^30, 2^31) and a shift: M = m * 2^(shift - 31).
 *
 * The arithmetic itself is inline in qnet-priv.h (the int8 layer loop calls
 * it once per output); these are its public, out-of-line names.
 *
 * Not here: choosing the scales (quantize.c), the layer loops (int8.c).
 */
#include <math.h>

#include "qnet-priv.h"

int32_t qnet_srdhm(int32_t a, int32_t b)
{
	return qnet__srdhm(a, b);
}

int32_t qnet_rdbpot(int32_t x, int exponent)
{
	return qnet__rdbpot(x, exponent);
}

int32_t qnet_mul_by_quantized_multiplier(int32_t x, int32_t m, int shift)
{
	return qnet__mbqm(x, m, shift);
}

int qnet_quantize_multiplier(double real, int32_t *m, int *shift)
{
	double q;
	int64_t qf;
	int e = 0;

	if (!(real > 0.0) || !isfinite(real)) {
		*m = 0;
		*shift = 0;
		return real == 0.0 ? 0 : -1;
	}
	q = frexp(real, &e); /* real = q * 2^e, q in [0.5, 1) */
	qf = llround(q * (double)(1ll << 31));
	if (qf == (1ll << 31)) {
		qf /= 2;
		e++;
	}
	if (e < QNET_SHIFT_MIN) {
		/* Below 2^-32: the product rounds to zero anyway. */
		*m = 0;
		*shift = 0;
		return 0;
	}
	if (e > QNET_SHIFT_MAX)
		return -1;
	*m = (int32_t)qf;
	*shift = e;
	return 0;
}
