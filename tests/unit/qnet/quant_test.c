/*
 * quant_test.c - the fixed-point primitives against double-precision
 * references, and the agreement of the int8 network's argmax with the float
 * network's on held-out states.
 */
#include <math.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "qnet.h"
#include "tinyenv.h"

Test(qnet_quant, srdhm_and_rdbpot_match_references)
{
	uint64_t rng = 1;
	int k, e;

	cr_expect_eq(qnet_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
	cr_expect_eq(qnet_rdbpot(5, 1), 3);   /* 2.5 -> 3, half away from zero */
	cr_expect_eq(qnet_rdbpot(-5, 1), -3); /* -2.5 -> -3 */
	cr_expect_eq(qnet_rdbpot(-4, 1), -2);
	for (k = 0; k < 200000; k++) {
		int32_t a = (int32_t)tiny_rand(&rng), b = (int32_t)tiny_rand(&rng);
		double ref = (double)a * (double)b / 2147483648.0;
		double r = ref >= 0 ? floor(ref + 0.5) : ceil(ref - 0.5);

		if (a == INT32_MIN && b == INT32_MIN)
			continue;
		cr_assert_eq(qnet_srdhm(a, b), (int32_t)r, "srdhm(%d, %d)", a, b);
		e = (int)(tiny_rand(&rng) % 32);
		ref = (double)a / ldexp(1.0, e);
		r = ref >= 0 ? floor(ref + 0.5) : ceil(ref - 0.5);
		cr_assert_eq(qnet_rdbpot(a, e), (int32_t)r, "rdbpot(%d, %d)", a, e);
	}
}

Test(qnet_quant, quantize_multiplier_round_trips)
{
	uint64_t rng = 2;
	int32_t m;
	int shift, k;

	for (k = 0; k < 100000; k++) {
		double real = ldexp((double)(tiny_rand(&rng) >> 11) / 9007199254740992.0 + 0.5,
				    (int)(tiny_rand(&rng) % 50) - 30);

		cr_assert_eq(qnet_quantize_multiplier(real, &m, &shift), 0, "real %g", real);
		cr_assert(m >= (1 << 30), "m %d for %g", m, real);
		cr_assert(fabs(ldexp((double)m, shift - 31) - real) <= real * 1e-9, "real %g", real);
	}
	cr_expect_eq(qnet_quantize_multiplier(0.0, &m, &shift), 0);
	cr_expect_eq(m, 0);
	cr_expect_eq(qnet_quantize_multiplier(ldexp(1.0, 40), &m, &shift), -1);
	cr_expect_eq(qnet_quantize_multiplier(NAN, &m, &shift), -1);
}

Test(qnet_quant, requantize_within_one_lsb_of_double)
{
	uint64_t rng = 3;
	int32_t m, got;
	int shift, k;
	long exact = 0;

	for (k = 0; k < 500000; k++) {
		/* multipliers of real layers: well below 1, sometimes above */
		double real = ldexp((double)(tiny_rand(&rng) >> 11) / 9007199254740992.0 + 0.5,
				    (int)(tiny_rand(&rng) % 24) - 20);
		int32_t x = (int32_t)(tiny_rand(&rng) >> 40) - (1 << 23);
		double ref;

		cr_assert_eq(qnet_quantize_multiplier(real, &m, &shift), 0);
		got = qnet_mul_by_quantized_multiplier(x, m, shift);
		ref = (double)x * real;
		if (ref > 2147483647.0 || ref < -2147483648.0)
			continue;
		cr_assert(fabs((double)got - ref) <= 1.0, "x %d * %.10g = %.3f, got %d", x, real,
			  ref, got);
		exact += (double)got == round(ref);
	}
	cr_log_info("requantize: %ld of 500000 equal to round(x * M)", exact);
}

/*
 * Float vs int8 argmax on 20000 held-out bandit states. The bandit's targets
 * are step functions of the features, so the trained network has a band of
 * near-ties around every step (about 9% of states have a float top-2 gap
 * below 0.02); there the 8-bit input alone (step 2/255) flips ~0.6% of the
 * choices. Checked: agreement >= 98% (measured ~98.5%), every disagreement
 * is a near-tie (float gap < 0.05, about 1% of the Q range), and the mean
 * regret of the int8 choice under the float Q is below 0.001.
 */
Test(qnet_quant, int8_argmax_agrees_with_float)
{
	qnet_model *m = tiny_bandit_train(21, 150);
	float x[BANDIT_DIM], qf[BANDIT_ACTIONS], qi[BANDIT_ACTIONS];
	uint64_t rng = 0xC0FFEE, mask;
	unsigned af, ai, k, a, agree = 0, n = 20000, agree_full = 0;
	struct eph_err err = {{0}};
	double maxdiff = 0.0, qrange = 0.0, worst_gap = 0.0, regret = 0.0, qmean;

	for (k = 0; k < n; k++) {
		tiny_bandit_sample(&rng, x, &mask);
		qnet_float_q(m, x, qf);
		cr_assert_eq(qnet_float_argmax(m, x, mask, &af, &err), 0, "%s", err.msg);
		cr_assert_eq(qnet_int8_argmax(m, x, mask, &ai, &err), 0, "%s", err.msg);
		agree += af == ai;
		worst_gap = fmax(worst_gap, (double)qf[af] - qf[ai]);
		regret += (double)qf[af] - qf[ai];
		cr_assert_eq(qnet_float_argmax(m, x, ~0ull, &af, &err), 0, "%s", err.msg);
		cr_assert_eq(qnet_int8_argmax(m, x, ~0ull, &ai, &err), 0, "%s", err.msg);
		agree_full += af == ai;
		worst_gap = fmax(worst_gap, (double)qf[af] - qf[ai]);
		cr_assert_eq(qnet_int8_q(m, x, qi, &err), 0, "%s", err.msg);
		/* int8 outputs leave out the mean over the actions (qnet.h) */
		qmean = 0.0;
		for (a = 0; a < BANDIT_ACTIONS; a++)
			qmean += qf[a] / (double)BANDIT_ACTIONS;
		for (a = 0; a < BANDIT_ACTIONS; a++) {
			maxdiff = fmax(maxdiff, fabs((double)qf[a] - qmean - qi[a]));
			qrange = fmax(qrange, fabs((double)qf[a] - qmean));
		}
	}
	cr_log_info("int8 vs float argmax: %.2f%% (random masks), %.2f%% (all allowed) of %u "
		    "held-out states; worst float gap of a disagreement %.4f, mean regret %.5f; "
		    "max |(Q_f - mean Q_f) - Q_i| %.4f for |Q_f - mean| up to %.3f", 100.0 * agree / n,
		    100.0 * agree_full / n, n, worst_gap, regret / n, maxdiff, qrange);
	cr_expect_geq(agree, n * 98 / 100, "agreement %.2f%% < 98%%", 100.0 * agree / n);
	cr_expect_geq(agree_full, n * 98 / 100, "agreement %.2f%% < 98%%",
		      100.0 * agree_full / n);
	cr_expect_lt(worst_gap, 0.05, "a disagreement with float gap %.4f", worst_gap);
	cr_expect_lt(regret / n, 0.001, "mean regret %.5f", regret / n);
	qnet_model_free(m);
}
