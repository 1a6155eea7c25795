/*
 * model_dec.c - reads the model file (layout in model_enc.c and
 * docs/qnet-model-format.md) from untrusted bytes and refuses it unless
 * everything holds:
 *   - envelope: a 4-array, magic "EPHQNET", version 1 (other versions:
 *     EPH_EUNSUPPORTED), the payload, a 32-byte SHA-256 of it that matches,
 *     no trailing bytes;
 *   - payload: keys present, in order, with the right types; 1..4 layers of
 *     width 1..256, at most 64 actions; every array exactly its shape;
 *     floats finite; scales positive; zero points in range (int8, and 0 for
 *     the int16 output); input equalization factors positive and finite;
 *     weights in [-127, 127]; shifts in [-31, 30],
 *     multipliers in [2^30, 2^31) or 0, each equal to the one its scales
 *     give; each layer's input quantization equal to the previous layer's
 *     output quantization.
 * Every item is read through the bounded streaming reader of cbor_r.c: no
 * allocation is sized by the input before the shape has been checked.
 *
 * Not here: writing (model_enc.c).
 */
#include <math.h>
#include <string.h>

#include <openssl/crypto.h>

#include "eph_hash.h"
#include "qnet-priv.h"

static int finite_all(const float *v, size_t n, const char *what, struct eph_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return eph_err_set(err, EPH_EVERIFY, "%s[%zu] is not finite", what, i);
	return 0;
}

static int read_arch(struct qnet__r *r, unsigned *dims, unsigned *nlayers,
		     struct eph_err *err)
{
	struct qnet__item it;
	uint64_t v;
	unsigned i;
	int rc;

	rc = qnet__r_key(r, "arch", err);
	if (rc < 0)
		return rc;
	rc = qnet__r_next(r, &it, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "arch");
	if (it.type != QNET__CT_ARRAY || it.u < 2 || it.u > QNET_MAX_LAYERS + 1)
		return eph_err_set(err, EPH_EVERIFY, "arch: not an array of 2..%u widths",
				   QNET_MAX_LAYERS + 1);
	*nlayers = (unsigned)it.u - 1;
	for (i = 0; i <= *nlayers; i++) {
		rc = qnet__r_uint(r, QNET_MAX_WIDTH, &v, "arch width", err);
		if (rc < 0)
			return rc;
		dims[i] = (unsigned)v;
	}
	return 0;
}

static int read_norm_actions(struct qnet__r *r, qnet_model *m, struct eph_err *err)
{
	unsigned n = qnet_model_num_actions(m), i;
	const uint8_t *p;
	size_t len;
	int rc;

	if ((rc = qnet__r_key(r, "norm", err)) < 0 || (rc = qnet__r_map(r, 2, "norm", err)) < 0 ||
	    (rc = qnet__r_key(r, "mean", err)) < 0 ||
	    (rc = qnet__r_f32s(r, m->norm_mean, m->dims[0], "norm mean", err)) < 0 ||
	    (rc = finite_all(m->norm_mean, m->dims[0], "norm mean", err)) < 0 ||
	    (rc = qnet__r_key(r, "scale", err)) < 0 ||
	    (rc = qnet__r_f32s(r, m->norm_scale, m->dims[0], "norm scale", err)) < 0 ||
	    (rc = finite_all(m->norm_scale, m->dims[0], "norm scale", err)) < 0 ||
	    (rc = qnet__r_key(r, "actions", err)) < 0 ||
	    (rc = qnet__r_bytes(r, 3 * (size_t)n, 0, &p, &len, "actions", err)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		m->actions[i].size = p[3 * i];
		m->actions[i].count = p[3 * i + 1];
		m->actions[i].prewarm = p[3 * i + 2];
	}
	return 0;
}

static int read_meta(struct qnet__r *r, struct qnet_meta *meta, struct eph_err *err)
{
	int rc;

	if ((rc = qnet__r_key(r, "meta", err)) < 0 || (rc = qnet__r_map(r, 5, "meta", err)) < 0 ||
	    (rc = qnet__r_key(r, "seed", err)) < 0 ||
	    (rc = qnet__r_uint(r, UINT64_MAX, &meta->seed, "meta seed", err)) < 0 ||
	    (rc = qnet__r_key(r, "episodes", err)) < 0 ||
	    (rc = qnet__r_uint(r, UINT64_MAX, &meta->episodes, "meta episodes", err)) < 0 ||
	    (rc = qnet__r_key(r, "steps", err)) < 0 ||
	    (rc = qnet__r_uint(r, UINT64_MAX, &meta->steps, "meta steps", err)) < 0 ||
	    (rc = qnet__r_key(r, "trace", err)) < 0 ||
	    (rc = qnet__r_text(r, meta->trace, QNET_TRACE_MAX, "meta trace", err)) < 0 ||
	    (rc = qnet__r_key(r, "date", err)) < 0 ||
	    (rc = qnet__r_text(r, meta->date, QNET_DATE_MAX, "meta date", err)) < 0)
		return rc;
	return 0;
}

static int read_float(struct qnet__r *r, qnet_model *m, struct eph_err *err)
{
	unsigned l;
	int rc;

	if ((rc = qnet__r_key(r, "float", err)) < 0 ||
	    (rc = qnet__r_array(r, m->nlayers, "float layers", err)) < 0)
		return rc;
	for (l = 0; l < m->nlayers; l++) {
		const struct qnet__flayer *F = &m->fl[l];

		if ((rc = qnet__r_array(r, 2, "float layer", err)) < 0 ||
		    (rc = qnet__r_f32s(r, m->params + F->w_off, (size_t)F->in * F->out,
				       "float weights", err)) < 0 ||
		    (rc = qnet__r_f32s(r, m->params + F->b_off, F->out, "float biases", err)) < 0)
			return eph_err_prefix(err, rc, "layer %u", l);
	}
	return finite_all(m->params, m->nparams, "float parameters", err);
}

static int check_scale(float s, const char *what, unsigned l, struct eph_err *err)
{
	if (!isfinite(s) || !(s > 0.0f))
		return eph_err_set(err, EPH_EVERIFY, "int8 layer %u: %s %g is not a positive "
				   "finite scale", l, what, (double)s);
	return 0;
}

static int check_qlayer(const qnet_model *m, unsigned l, struct eph_err *err)
{
	const struct qnet__qlayer *q = &m->ql[l];
	int last = l + 1 == m->nlayers, shift, rc;
	unsigned o, i;
	int32_t mult;

	if ((rc = check_scale(q->in_scale, "input scale", l, err)) < 0 ||
	    (rc = check_scale(q->out_scale, "output scale", l, err)) < 0)
		return rc;
	if (last && q->out_zp != 0)
		return eph_err_set(err, EPH_EVERIFY, "int8 layer %u: output zero point %d, the "
				   "int16 output is symmetric", l, q->out_zp);
	if (l > 0 && (q->in_scale != m->ql[l - 1].out_scale || q->in_zp != m->ql[l - 1].out_zp))
		return eph_err_set(err, EPH_EVERIFY, "int8 layer %u: input quantization differs "
				   "from layer %u's output", l, l - 1);
	rc = finite_all(q->w_scale, q->out, "int8 weight scales", err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "int8 layer %u", l);
	for (o = 0; o < q->out; o++) {
		if ((rc = check_scale(q->w_scale[o], "weight scale", l, err)) < 0)
			return rc;
		if (q->shift[o] < QNET_SHIFT_MIN || q->shift[o] > QNET_SHIFT_MAX)
			return eph_err_set(err, EPH_EVERIFY, "int8 layer %u channel %u: shift %d "
					   "outside %d..%d", l, o, q->shift[o], QNET_SHIFT_MIN,
					   QNET_SHIFT_MAX);
		if (q->mult[o] != 0 && q->mult[o] < (1 << 30))
			return eph_err_set(err, EPH_EVERIFY, "int8 layer %u channel %u: multiplier "
					   "%d outside [2^30, 2^31)", l, o, q->mult[o]);
		if (qnet__layer_multiplier(q, o, &mult, &shift) < 0 || mult != q->mult[o] ||
		    shift != q->shift[o])
			return eph_err_set(err, EPH_EVERIFY, "int8 layer %u channel %u: multiplier "
					   "and shift do not match the scales", l, o);
		for (i = 0; i < q->in; i++)
			if (q->w[(size_t)o * q->in + i] == INT8_MIN)
				return eph_err_set(err, EPH_EVERIFY, "int8 layer %u: weight -128 in a "
						   "symmetric [-127, 127] tensor", l);
	}
	return 0;
}

static int read_qlayer(struct qnet__r *r, qnet_model *m, unsigned l, struct eph_err *err)
{
	struct qnet__qlayer *q = &m->ql[l];
	int last = l + 1 == m->nlayers;
	const uint8_t *p;
	size_t n;
	int64_t v;
	int rc;

	if ((rc = qnet__r_map(r, 9, "int8 layer", err)) < 0 ||
	    (rc = qnet__r_key(r, "in_scale", err)) < 0 ||
	    (rc = qnet__r_f32(r, &q->in_scale, "in_scale", err)) < 0 ||
	    (rc = qnet__r_key(r, "in_zp", err)) < 0 ||
	    (rc = qnet__r_int(r, INT8_MIN, INT8_MAX, &v, "in_zp", err)) < 0)
		return rc;
	q->in_zp = (int32_t)v;
	if ((rc = qnet__r_key(r, "out_scale", err)) < 0 ||
	    (rc = qnet__r_f32(r, &q->out_scale, "out_scale", err)) < 0 ||
	    (rc = qnet__r_key(r, "out_zp", err)) < 0 ||
	    (rc = qnet__r_int(r, last ? 0 : INT8_MIN, last ? 0 : INT8_MAX, &v, "out_zp",
			      err)) < 0)
		return rc;
	q->out_zp = (int32_t)v;
	if ((rc = qnet__r_key(r, "w", err)) < 0 ||
	    (rc = qnet__r_bytes(r, (size_t)q->in * q->out, 0, &p, &n, "int8 weights", err)) < 0)
		return rc;
	memcpy(q->w, p, n);
	if ((rc = qnet__r_key(r, "w_scale", err)) < 0 ||
	    (rc = qnet__r_f32s(r, q->w_scale, q->out, "w_scale", err)) < 0 ||
	    (rc = qnet__r_key(r, "bias", err)) < 0 ||
	    (rc = qnet__r_i32s(r, q->bias, q->out, "bias", err)) < 0 ||
	    (rc = qnet__r_key(r, "mult", err)) < 0 ||
	    (rc = qnet__r_i32s(r, q->mult, q->out, "mult", err)) < 0 ||
	    (rc = qnet__r_key(r, "shift", err)) < 0 ||
	    (rc = qnet__r_bytes(r, q->out, 0, &p, &n, "shift", err)) < 0)
		return rc;
	memcpy(q->shift, p, n);
	return check_qlayer(m, l, err);
}

static int read_int8(struct qnet__r *r, qnet_model *m, struct eph_err *err)
{
	struct qnet__item it;
	unsigned l;
	int rc;

	if ((rc = qnet__r_key(r, "int8", err)) < 0)
		return rc;
	rc = qnet__r_next(r, &it, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "int8");
	if (it.type == QNET__CT_ARRAY && it.u == 0)
		return 0; /* float only */
	if (it.type != QNET__CT_MAP || it.u != 3)
		return eph_err_set(err, EPH_EVERIFY, "int8: neither [] nor a map of 3 entries");
	rc = qnet__qlayers_alloc(m, err);
	if (rc < 0)
		return rc;
	if ((rc = qnet__r_key(r, "in_off", err)) < 0 ||
	    (rc = qnet__r_f32s(r, m->in_off, m->dims[0], "in_off", err)) < 0 ||
	    (rc = finite_all(m->in_off, m->dims[0], "in_off", err)) < 0 ||
	    (rc = qnet__r_key(r, "in_eq", err)) < 0 ||
	    (rc = qnet__r_f32s(r, m->in_eq, m->dims[0], "in_eq", err)) < 0)
		return rc;
	for (l = 0; l < m->dims[0]; l++)
		if (!isfinite(m->in_eq[l]) || !(m->in_eq[l] > 0.0f))
			return eph_err_set(err, EPH_EVERIFY, "int8: in_eq[%u] = %g is not positive "
					   "and finite", l, (double)m->in_eq[l]);
	if ((rc = qnet__r_key(r, "layers", err)) < 0 ||
	    (rc = qnet__r_array(r, m->nlayers, "int8 layers", err)) < 0)
		return rc;
	for (l = 0; l < m->nlayers; l++) {
		rc = read_qlayer(r, m, l, err);
		if (rc < 0)
			return eph_err_prefix(err, rc, "int8 layer %u", l);
	}
	qnet__qlayers_derive(m);
	m->has_int8 = 1;
	return 0;
}

int qnet__payload_decode(qnet_model **out, const uint8_t *buf, size_t len,
			 struct eph_err *err)
{
	struct qnet__r r = { buf, len, 0 };
	unsigned dims[QNET_MAX_LAYERS + 1], nlayers = 0;
	qnet_model *m = NULL;
	int rc;

	*out = NULL;
	if ((rc = qnet__r_map(&r, 6, "payload", err)) < 0 ||
	    (rc = read_arch(&r, dims, &nlayers, err)) < 0 ||
	    (rc = qnet__model_alloc(&m, dims, nlayers, err)) < 0)
		return rc;
	if ((rc = read_norm_actions(&r, m, err)) < 0 || (rc = read_meta(&r, &m->meta, err)) < 0 ||
	    (rc = read_float(&r, m, err)) < 0 || (rc = read_int8(&r, m, err)) < 0)
		goto fail;
	if (r.pos != len) {
		rc = eph_err_set(err, EPH_EFORMAT, "%zu trailing bytes after the payload",
				 len - r.pos);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	qnet_model_free(m);
	return rc;
}

int qnet_model_load(qnet_model **out, const uint8_t *buf, size_t len, struct eph_err *err)
{
	struct qnet__r r = { buf, len, 0 };
	uint8_t digest[32];
	const uint8_t *pay, *hash;
	size_t pay_len, hash_len;
	struct qnet__item it;
	uint64_t version;
	int rc;

	*out = NULL;
	if (len > QNET_MODEL_MAX)
		return eph_err_set(err, EPH_EFORMAT, "qnet model: %zu bytes, at most %u", len,
				   QNET_MODEL_MAX);
	rc = qnet__r_array(&r, 4, "envelope", err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "qnet model");
	rc = qnet__r_next(&r, &it, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "qnet model: magic");
	if (it.type != QNET__CT_TEXT || it.n != 7 || memcmp(it.data, "EPHQNET", 7) != 0)
		return eph_err_set(err, EPH_EFORMAT, "qnet model: wrong magic (not \"EPHQNET\")");
	rc = qnet__r_uint(&r, UINT64_MAX, &version, "version", err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "qnet model");
	if (version != 1)
		return eph_err_set(err, EPH_EUNSUPPORTED, "qnet model: version %llu, this build "
				   "reads version 1", (unsigned long long)version);
	if ((rc = qnet__r_bytes(&r, 0, len, &pay, &pay_len, "payload", err)) < 0 ||
	    (rc = qnet__r_bytes(&r, 32, 0, &hash, &hash_len, "sha256", err)) < 0)
		return eph_err_prefix(err, rc, "qnet model");
	if (r.pos != len)
		return eph_err_set(err, EPH_EFORMAT, "qnet model: %zu trailing bytes after the "
				   "envelope", len - r.pos);
	if (eph_hash(EPH_ALG_SHA256, pay, pay_len, digest) < 0)
		return eph_err_set(err, EPH_EFAIL, "qnet model: SHA-256 unavailable");
	if (CRYPTO_memcmp(digest, hash, 32) != 0)
		return eph_err_set(err, EPH_EVERIFY, "qnet model: SHA-256 of the payload does not "
				   "match (corrupted file)");
	rc = qnet__payload_decode(out, pay, pay_len, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "qnet model");
	return 0;
}
