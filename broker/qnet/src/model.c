/*
 * model.c - the qnet_model object: allocation and layout of the float
 * parameters, He-uniform initialisation, the int8 layer buffers, deep copy,
 * and the accessors for normalisation, action table and metadata.
 *
 * Not here: inference (forward.c, int8.c), quantization (quantize.c), the
 * file format (model_enc.c, model_dec.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qnet-priv.h"

static int check_dims(const unsigned *dims, unsigned nlayers, struct eph_err *err)
{
	unsigned i;

	if (nlayers < 1 || nlayers > QNET_MAX_LAYERS)
		return eph_err_set(err, EPH_EVERIFY, "qnet: %u layers, need 1..%u", nlayers,
				   QNET_MAX_LAYERS);
	for (i = 0; i <= nlayers; i++)
		if (dims[i] < 1 || dims[i] > QNET_MAX_WIDTH)
			return eph_err_set(err, EPH_EVERIFY, "qnet: width %u of layer boundary %u "
					   "outside 1..%u", dims[i], i, QNET_MAX_WIDTH);
	if (dims[nlayers] > QNET_MAX_ACTIONS)
		return eph_err_set(err, EPH_EVERIFY, "qnet: %u actions, at most %u",
				   dims[nlayers], QNET_MAX_ACTIONS);
	return 0;
}

int qnet__model_alloc(qnet_model **out, const unsigned *dims, unsigned nlayers,
		      struct eph_err *err)
{
	qnet_model *m = NULL;
	size_t off = 0;
	unsigned l;
	int rc;

	*out = NULL;
	rc = check_dims(dims, nlayers, err);
	if (rc < 0)
		return rc;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for the model");
	m->nlayers = nlayers;
	memcpy(m->dims, dims, (nlayers + 1) * sizeof(*dims));
	for (l = 0; l < nlayers; l++) {
		m->fl[l].in = dims[l];
		m->fl[l].out = dims[l + 1];
		m->fl[l].w_off = off;
		off += (size_t)dims[l] * dims[l + 1];
		m->fl[l].b_off = off;
		off += dims[l + 1];
	}
	m->nparams = off;
	m->params = calloc(off, sizeof(*m->params));
	m->norm_mean = calloc(dims[0], sizeof(*m->norm_mean));
	m->norm_scale = calloc(dims[0], sizeof(*m->norm_scale));
	if (m->params == NULL || m->norm_mean == NULL || m->norm_scale == NULL) {
		qnet_model_free(m);
		return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for %zu parameters", off);
	}
	for (l = 0; l < dims[0]; l++)
		m->norm_scale[l] = 1.0f;
	*out = m;
	return 0;
}

int qnet_model_new(qnet_model **out, const unsigned *dims, unsigned nlayers, uint64_t seed,
		   struct eph_err *err)
{
	struct qnet__rng rng;
	qnet_model *m = NULL;
	unsigned l;
	size_t i, n;
	int rc;

	*out = NULL;
	rc = qnet__model_alloc(&m, dims, nlayers, err);
	if (rc < 0)
		return rc;
	qnet__rng_seed(&rng, seed);
	for (l = 0; l < nlayers; l++) {
		/* He-uniform for ReLU inputs; a smaller output layer keeps early Q small. */
		float lim = sqrtf(6.0f / (float)m->fl[l].in);

		if (l == nlayers - 1)
			lim *= 0.1f;
		n = (size_t)m->fl[l].in * m->fl[l].out;
		for (i = 0; i < n; i++)
			m->params[m->fl[l].w_off + i] = (2.0f * qnet__rng_float(&rng) - 1.0f) * lim;
	}
	*out = m;
	return 0;
}

int qnet__qlayers_alloc(qnet_model *m, struct eph_err *err)
{
	unsigned l;

	qnet__qlayers_free(m);
	m->in_off = calloc(m->dims[0], sizeof(*m->in_off));
	m->in_eq = calloc(m->dims[0], sizeof(*m->in_eq));
	m->in_mul = calloc(m->dims[0], sizeof(*m->in_mul));
	if (m->in_off == NULL || m->in_eq == NULL || m->in_mul == NULL) {
		qnet__qlayers_free(m);
		return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for int8 input");
	}
	for (l = 0; l < m->nlayers; l++) {
		struct qnet__qlayer *q = &m->ql[l];

		q->in = m->fl[l].in;
		q->out = m->fl[l].out;
		q->w = calloc((size_t)q->in * q->out, sizeof(*q->w));
		q->w_scale = calloc(q->out, sizeof(*q->w_scale));
		q->bias = calloc(q->out, sizeof(*q->bias));
		q->mult = calloc(q->out, sizeof(*q->mult));
		q->shift = calloc(q->out, sizeof(*q->shift));
		q->bias_eff = calloc(q->out, sizeof(*q->bias_eff));
		q->in_pad = (q->in + QNET__LANES - 1) / QNET__LANES * QNET__LANES;
		/* rows padded to a multiple of 4 for int8.c's four-row kernel */
		q->w16 = calloc((size_t)q->in_pad * ((q->out + 3) / 4 * 4), sizeof(*q->w16));
		q->rmask = calloc(q->out, sizeof(*q->rmask));
		q->rpow = calloc(q->out, sizeof(*q->rpow));
		if (q->w == NULL || q->w_scale == NULL || q->bias == NULL || q->mult == NULL ||
		    q->shift == NULL || q->bias_eff == NULL || q->w16 == NULL || q->rmask == NULL ||
		    q->rpow == NULL) {
			qnet__qlayers_free(m);
			return eph_err_set(err, EPH_ENOMEM, "qnet: out of memory for int8 layer %u",
					   l);
		}
	}
	return 0;
}

void qnet__qlayers_free(qnet_model *m)
{
	unsigned l;

	for (l = 0; l < QNET_MAX_LAYERS; l++) {
		struct qnet__qlayer *q = &m->ql[l];

		free(q->w);
		free(q->w_scale);
		free(q->bias);
		free(q->mult);
		free(q->shift);
		free(q->bias_eff);
		free(q->w16);
		free(q->rmask);
		free(q->rpow);
		memset(q, 0, sizeof(*q));
	}
	free(m->in_off);
	free(m->in_eq);
	free(m->in_mul);
	m->in_off = NULL;
	m->in_eq = NULL;
	m->in_mul = NULL;
	m->has_int8 = 0;
}

void qnet__qlayers_derive(qnet_model *m)
{
	unsigned l, o, i;

	for (i = 0; i < m->dims[0]; i++)
		m->in_mul[i] = m->in_eq[i] / m->ql[0].in_scale;
	for (l = 0; l < m->nlayers; l++) {
		struct qnet__qlayer *q = &m->ql[l];

		for (o = 0; o < q->out; o++) {
			int64_t sum = 0, b;

			for (i = 0; i < q->in; i++) {
				sum += q->w[(size_t)o * q->in + i];
				q->w16[(size_t)o * q->in_pad + i] = q->w[(size_t)o * q->in + i];
			}
			/* |sum| <= 256 * 128, |zp| <= 128, so this cannot overflow int64;
			 * the saturation keeps int32 accumulators in range. */
			b = (int64_t)q->bias[o] - (int64_t)q->in_zp * sum;
			if (b > INT32_MAX)
				b = INT32_MAX;
			if (b < INT32_MIN)
				b = INT32_MIN;
			q->bias_eff[o] = (int32_t)b;
			if (q->shift[o] < 0) {
				int e = -q->shift[o] > 31 ? 31 : -q->shift[o];

				q->rmask[o] = (int32_t)((1ll << e) - 1);
				q->rpow[o] = ldexp(1.0, -e);
			} else {
				q->rmask[o] = 0;
				q->rpow[o] = 1.0;
			}
		}
	}
}

void qnet_model_free(qnet_model *m)
{
	if (m == NULL)
		return;
	qnet__qlayers_free(m);
	free(m->params);
	free(m->norm_mean);
	free(m->norm_scale);
	free(m);
}

int qnet_model_clone(qnet_model **out, const qnet_model *m, struct eph_err *err)
{
	qnet_model *c = NULL;
	unsigned l;
	int rc;

	*out = NULL;
	rc = qnet__model_alloc(&c, m->dims, m->nlayers, err);
	if (rc < 0)
		return rc;
	memcpy(c->params, m->params, m->nparams * sizeof(*m->params));
	memcpy(c->norm_mean, m->norm_mean, m->dims[0] * sizeof(float));
	memcpy(c->norm_scale, m->norm_scale, m->dims[0] * sizeof(float));
	memcpy(c->actions, m->actions, sizeof(c->actions));
	c->meta = m->meta;
	if (m->has_int8) {
		rc = qnet__qlayers_alloc(c, err);
		if (rc < 0) {
			qnet_model_free(c);
			return rc;
		}
		memcpy(c->in_off, m->in_off, m->dims[0] * sizeof(float));
		memcpy(c->in_eq, m->in_eq, m->dims[0] * sizeof(float));
		for (l = 0; l < m->nlayers; l++) {
			const struct qnet__qlayer *s = &m->ql[l];
			struct qnet__qlayer *d = &c->ql[l];

			memcpy(d->w, s->w, (size_t)s->in * s->out);
			memcpy(d->w_scale, s->w_scale, s->out * sizeof(float));
			memcpy(d->bias, s->bias, s->out * sizeof(int32_t));
			memcpy(d->mult, s->mult, s->out * sizeof(int32_t));
			memcpy(d->shift, s->shift, s->out);

			d->in_scale = s->in_scale;
			d->in_zp = s->in_zp;
			d->out_scale = s->out_scale;
			d->out_zp = s->out_zp;
		}
		qnet__qlayers_derive(c);
		c->has_int8 = 1;
	}
	*out = c;
	return 0;
}

unsigned qnet_model_in_dim(const qnet_model *m)
{
	return m->dims[0];
}

unsigned qnet_model_num_actions(const qnet_model *m)
{
	return m->dims[m->nlayers];
}

unsigned qnet_model_num_layers(const qnet_model *m)
{
	return m->nlayers;
}

unsigned qnet_model_dim(const qnet_model *m, unsigned i)
{
	return i <= m->nlayers ? m->dims[i] : 0;
}

int qnet_model_has_int8(const qnet_model *m)
{
	return m->has_int8;
}

int qnet_model_set_norm(qnet_model *m, const float *mean, const float *scale, unsigned n,
			struct eph_err *err)
{
	if (n != m->dims[0])
		return eph_err_set(err, EPH_EVERIFY, "qnet: %u normalisation constants for %u "
				   "inputs", n, m->dims[0]);
	memcpy(m->norm_mean, mean, n * sizeof(*mean));
	memcpy(m->norm_scale, scale, n * sizeof(*scale));
	return 0;
}

const float *qnet_model_norm_mean(const qnet_model *m)
{
	return m->norm_mean;
}

const float *qnet_model_norm_scale(const qnet_model *m)
{
	return m->norm_scale;
}

int qnet_model_set_actions(qnet_model *m, const struct qnet_action *a, unsigned n,
			   struct eph_err *err)
{
	if (n != qnet_model_num_actions(m))
		return eph_err_set(err, EPH_EVERIFY, "qnet: %u table entries for %u actions", n,
				   qnet_model_num_actions(m));
	memcpy(m->actions, a, n * sizeof(*a));
	return 0;
}

const struct qnet_action *qnet_model_action_at(const qnet_model *m, unsigned i)
{
	return i < qnet_model_num_actions(m) ? &m->actions[i] : NULL;
}

void qnet_model_set_meta(qnet_model *m, const struct qnet_meta *meta)
{
	m->meta = *meta;
	m->meta.trace[QNET_TRACE_MAX - 1] = '\0';
	m->meta.date[QNET_DATE_MAX - 1] = '\0';
}

const struct qnet_meta *qnet_model_meta(const qnet_model *m)
{
	return &m->meta;
}
