/*
 * qnet-priv.h - what the files of broker/qnet share: the model's layout in
 * memory, the PRNG, the float forward/backward passes and the CBOR reader
 * and writer helpers. Not installed, not for other modules.
 */
#ifndef QNET_PRIV_H
#define QNET_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "eph_rng.h"
#include "qnet.h"

/*
 * Float network: all parameters in one flat vector (so that Adam, target
 * copies and gradients are single loops). Layer l's weights are in-major,
 * w[i * out + o] (the inner loop over outputs vectorizes without
 * reassociating sums), followed by its out biases.
 */
struct qnet__flayer {
	unsigned in, out;
	size_t w_off; /* offset of w in params */
	size_t b_off; /* offset of b in params */
};

/*
 * Int8 network, one entry per dense layer. Weights are out-major
 * (w[o * in + i], the TFLite / CMSIS-NN layout: one output channel per row).
 */
#define QNET__LANES 16 /* int8.c's dot product works in blocks of this many */

struct qnet__qlayer {
	unsigned in, out;
	int8_t *w;          /* out * in, symmetric, zero point 0 */
	float *w_scale;     /* out: per output channel */
	int32_t *bias;      /* out: at scale in_scale * w_scale[o] */
	int32_t *mult;      /* out: Q31 requantization multiplier */
	int8_t *shift;      /* out: its power-of-two exponent */
	int32_t *bias_eff;  /* out: bias - in_zp * sum_i w[o][i] (derived, not stored) */
	int16_t *w16;       /* out * in_pad: w widened, rows zero-padded (derived), int8.c */
	/* RoundingDivideByPOT by -shift[o], precomputed per channel (derived) */
	int32_t *rmask;     /* out: (1 << -shift) - 1, 0 for shift >= 0 */
	double *rpow;       /* out: 2^shift for shift < 0, 1 otherwise */
	unsigned in_pad;    /* in rounded up to a multiple of QNET__LANES */
	float in_scale;     /* input activation scale ... */
	int32_t in_zp;      /* ... and zero point (int8) */
	float out_scale;    /* output activation scale ... */
	int32_t out_zp;     /* ... and zero point (int8; int16 and 0 for the last layer) */
};

struct qnet_model {
	unsigned nlayers;
	unsigned dims[QNET_MAX_LAYERS + 1];
	struct qnet__flayer fl[QNET_MAX_LAYERS];
	float *params;   /* nparams floats */
	size_t nparams;
	float *norm_mean;  /* dims[0] */
	float *norm_scale; /* dims[0] */
	struct qnet_action actions[QNET_MAX_ACTIONS];
	struct qnet_meta meta;
	int has_int8;
	/*
	 * Input equalization of the int8 network (dims[0] each): feature i
	 * enters as (x[i] - in_off[i]) * in_eq[i]; layer 0's weight row i is
	 * divided by in_eq[i] and its bias takes sum_i w[i][o] * in_off[i], so
	 * that one per-tensor input scale fits features of different ranges.
	 */
	float *in_off;
	float *in_eq;
	float *in_mul; /* in_eq[i] / layer 0's in_scale (derived, not stored) */
	struct qnet__qlayer ql[QNET_MAX_LAYERS];
};

/* model.c */
int qnet__model_alloc(qnet_model **out, const unsigned *dims, unsigned nlayers,
		      struct eph_err *err);
int qnet__qlayers_alloc(qnet_model *m, struct eph_err *err);
void qnet__qlayers_free(qnet_model *m);
/* Fill bias_eff from bias, w and in_zp (after quantizing or loading). */
void qnet__qlayers_derive(qnet_model *m);

/* forward.c: acts[l] holds layer l's input (acts[0] = x), acts[nlayers] = q. */
void qnet__forward(const qnet_model *m, const float *params, const float *x, float **acts);
/* Masked argmax over q[n]; -1 if no allowed action. */
int qnet__masked_argmax_f(const float *q, unsigned n, uint64_t mask);
/*
 * Add to grad (same layout as params) the gradient of a loss whose gradient
 * with respect to the output is gout, for the activations of one forward.
 */
void qnet__backward(const qnet_model *m, const float *params, float *const *acts,
		    const float *gout, float *grad, float *scratch_a, float *scratch_b);

/* rng.c: xoshiro256** seeded through splitmix64. */
struct qnet__rng {
	struct eph_rng g; /* common/eph_rng.h */
};
void qnet__rng_seed(struct qnet__rng *r, uint64_t seed);
uint64_t qnet__rng_next(struct qnet__rng *r);
/* Uniform in [0, 1) with 24 random bits. */
float qnet__rng_float(struct qnet__rng *r);
/* Uniform in [0, n), n >= 1, without modulo bias. */
uint64_t qnet__rng_below(struct qnet__rng *r, uint64_t n);

/* cbor_w.c: a growable CBOR writer over libcbor's encoders. */
struct qnet__w {
	uint8_t *p;
	size_t n, cap;
	int failed; /* sticky: an allocation failed */
};
void qnet__w_uint(struct qnet__w *w, uint64_t v);
void qnet__w_int(struct qnet__w *w, int64_t v);
void qnet__w_f32(struct qnet__w *w, float v);
void qnet__w_text(struct qnet__w *w, const char *s);
void qnet__w_bytes(struct qnet__w *w, const void *p, size_t n);
void qnet__w_array(struct qnet__w *w, size_t n);
void qnet__w_map(struct qnet__w *w, size_t n);
/* Byte strings of little-endian arrays. */
void qnet__w_f32s(struct qnet__w *w, const float *v, size_t n);
void qnet__w_i32s(struct qnet__w *w, const int32_t *v, size_t n);

/* cbor_r.c: one CBOR data item header at a time over untrusted bytes. */
enum qnet__ct {
	QNET__CT_UINT,
	QNET__CT_NEGINT, /* value = -1 - u */
	QNET__CT_BYTES,
	QNET__CT_TEXT,
	QNET__CT_ARRAY,
	QNET__CT_MAP,
	QNET__CT_FLOAT,
	QNET__CT_OTHER, /* tags, indefinite lengths, simple values, ... */
};
struct qnet__r {
	const uint8_t *base;
	size_t len, pos;
};
struct qnet__item {
	enum qnet__ct type;
	uint64_t u;          /* UINT, NEGINT magnitude, ARRAY/MAP count */
	double f;            /* FLOAT */
	const uint8_t *data; /* BYTES, TEXT: inside the buffer */
	size_t n;            /* BYTES, TEXT length */
};
int qnet__r_next(struct qnet__r *r, struct qnet__item *it, struct eph_err *err);
int qnet__r_uint(struct qnet__r *r, uint64_t max, uint64_t *v, const char *what,
		 struct eph_err *err);
int qnet__r_int(struct qnet__r *r, int64_t min, int64_t max, int64_t *v, const char *what,
		struct eph_err *err);
int qnet__r_f32(struct qnet__r *r, float *v, const char *what, struct eph_err *err);
int qnet__r_array(struct qnet__r *r, uint64_t want, const char *what, struct eph_err *err);
int qnet__r_map(struct qnet__r *r, uint64_t want, const char *what, struct eph_err *err);
/* A text key that must be exactly key. */
int qnet__r_key(struct qnet__r *r, const char *key, struct eph_err *err);
/* A byte string of exactly n bytes (want_n) or at most max (want_n == 0). */
int qnet__r_bytes(struct qnet__r *r, size_t want_n, size_t max, const uint8_t **p, size_t *n,
		  const char *what, struct eph_err *err);
int qnet__r_text(struct qnet__r *r, char *dst, size_t cap, const char *what,
		 struct eph_err *err);
int qnet__r_f32s(struct qnet__r *r, float *v, size_t n, const char *what, struct eph_err *err);
int qnet__r_i32s(struct qnet__r *r, int32_t *v, size_t n, const char *what,
		 struct eph_err *err);

/* quantize.c: the multiplier channel o of q must have, from its scales. */
int qnet__layer_multiplier(const struct qnet__qlayer *q, unsigned o, int32_t *mult, int *shift);

/*
 * Fixed-point requantization, inline for the int8 layer loop; bit-exact
 * with gemmlowp (SaturatingRoundingDoublingHighMul, RoundingDivideByPOT)
 * and TFLite (MultiplyByQuantizedMultiplier), see fixedpoint.c.
 */
static inline int32_t qnet__srdhm(int32_t a, int32_t b)
{
	int64_t ab, nudge;

	if (a == INT32_MIN && b == INT32_MIN)
		return INT32_MAX;
	ab = (int64_t)a * (int64_t)b;
	nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
	/* C division truncates toward zero, as gemmlowp relies on. */
	return (int32_t)((ab + nudge) / (1ll << 31));
}

static inline int32_t qnet__rdbpot(int32_t x, int exponent)
{
	int32_t mask, remainder, threshold;

	if (exponent <= 0)
		return x;
	if (exponent > 31)
		exponent = 31;
	mask = (int32_t)((1ll << exponent) - 1);
	remainder = x & mask;
	threshold = (mask >> 1) + (x < 0 ? 1 : 0);
	/* Arithmetic right shift of a negative value: implementation-defined
	 * in C11, arithmetic on every compiler this builds with (gcc, clang). */
	return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t qnet__mbqm(int32_t x, int32_t m, int shift)
{
	int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
	int64_t xl = (int64_t)x;

	if (left > 0) {
		/* TFLite multiplies by 1 << left and may overflow; saturate instead. */
		xl = xl * (1ll << (left > 31 ? 31 : left));
		if (xl > INT32_MAX)
			xl = INT32_MAX;
		if (xl < INT32_MIN)
			xl = INT32_MIN;
	}
	return qnet__rdbpot(qnet__srdhm((int32_t)xl, m), right);
}

/*
 * int8.c: channels o..o+3 of q (o + 4 <= out): v[r] = MultiplyByQuantizedMultiplier(
 * acc[r] + bias_eff (saturating), mult, shift), before the output zero
 * point; SSE2 when every shift is <= 0. Exposed for tests.
 */
void qnet__requant4(const struct qnet__qlayer *q, unsigned o, const int32_t *acc, int32_t *v);

/* model_enc.c / model_dec.c */
int qnet__payload_encode(struct qnet__w *w, const qnet_model *m);
int qnet__payload_decode(qnet_model **out, const uint8_t *buf, size_t len,
			 struct eph_err *err);

#endif
