/*
 * model_enc.c - writes the model file (docs/qnet-model-format.md):
 *
 *   [ "EPHQNET", 1, payload: bstr, sha256: bstr(32) ]    sha256 = SHA-256(payload)
 *
 * where payload is the CBOR encoding of the map below, keys in this order:
 *   { "arch": [in, h1, ..., actions],
 *     "norm": { "mean": f32le[in], "scale": f32le[in] },
 *     "actions": bstr(3 * actions)  (size, count, prewarm per action),
 *     "meta": { "seed": u, "episodes": u, "steps": u, "trace": t, "date": t },
 *     "float": [ [w: f32le[in*out] in-major, b: f32le[out]] per layer ],
 *     "int8": [] or { "in_off": f32le[in], "in_eq": f32le[in],
 *                     "layers": [ { "in_scale": f32, "in_zp": int, "out_scale": f32,
 *                       "out_zp": int, "w": int8[out*in] out-major,
 *                       "w_scale": f32le[out], "bias": i32le[out],
 *                       "mult": i32le[out], "shift": int8[out] } per layer ] } }
 * Arrays of numbers are byte strings of little-endian values (as RFC 8746
 * typed arrays, untagged). The payload is hashed as the exact bytes that are
 * embedded (as COSE_Sign1 embeds its payload), so the hash needs no
 * canonicalisation: the writer is deterministic, the reader never re-encodes.
 *
 * Not here: reading it back (model_dec.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"
#include "eph_hash.h"
#include "qnet-priv.h"

#define QNET_MAGIC "EPHQNET"
#define QNET_VERSION 1

int qnet__payload_encode(struct qnet__w *w, const qnet_model *m)
{
	unsigned l, i, n = qnet_model_num_actions(m);
	uint8_t act[3 * QNET_MAX_ACTIONS];

	qnet__w_map(w, 6);
	qnet__w_text(w, "arch");
	qnet__w_array(w, m->nlayers + 1);
	for (l = 0; l <= m->nlayers; l++)
		qnet__w_uint(w, m->dims[l]);
	qnet__w_text(w, "norm");
	qnet__w_map(w, 2);
	qnet__w_text(w, "mean");
	qnet__w_f32s(w, m->norm_mean, m->dims[0]);
	qnet__w_text(w, "scale");
	qnet__w_f32s(w, m->norm_scale, m->dims[0]);
	qnet__w_text(w, "actions");
	for (i = 0; i < n; i++) {
		act[3 * i] = m->actions[i].size;
		act[3 * i + 1] = m->actions[i].count;
		act[3 * i + 2] = m->actions[i].prewarm;
	}
	qnet__w_bytes(w, act, 3 * n);
	qnet__w_text(w, "meta");
	qnet__w_map(w, 5);
	qnet__w_text(w, "seed");
	qnet__w_uint(w, m->meta.seed);
	qnet__w_text(w, "episodes");
	qnet__w_uint(w, m->meta.episodes);
	qnet__w_text(w, "steps");
	qnet__w_uint(w, m->meta.steps);
	qnet__w_text(w, "trace");
	qnet__w_text(w, m->meta.trace);
	qnet__w_text(w, "date");
	qnet__w_text(w, m->meta.date);
	qnet__w_text(w, "float");
	qnet__w_array(w, m->nlayers);
	for (l = 0; l < m->nlayers; l++) {
		const struct qnet__flayer *F = &m->fl[l];

		qnet__w_array(w, 2);
		qnet__w_f32s(w, m->params + F->w_off, (size_t)F->in * F->out);
		qnet__w_f32s(w, m->params + F->b_off, F->out);
	}
	qnet__w_text(w, "int8");
	if (!m->has_int8) {
		qnet__w_array(w, 0);
		return w->failed ? -1 : 0;
	}
	qnet__w_map(w, 3);
	qnet__w_text(w, "in_off");
	qnet__w_f32s(w, m->in_off, m->dims[0]);
	qnet__w_text(w, "in_eq");
	qnet__w_f32s(w, m->in_eq, m->dims[0]);
	qnet__w_text(w, "layers");
	qnet__w_array(w, m->nlayers);
	for (l = 0; l < m->nlayers; l++) {
		const struct qnet__qlayer *q = &m->ql[l];

		qnet__w_map(w, 9);
		qnet__w_text(w, "in_scale");
		qnet__w_f32(w, q->in_scale);
		qnet__w_text(w, "in_zp");
		qnet__w_int(w, q->in_zp);
		qnet__w_text(w, "out_scale");
		qnet__w_f32(w, q->out_scale);
		qnet__w_text(w, "out_zp");
		qnet__w_int(w, q->out_zp);
		qnet__w_text(w, "w");
		qnet__w_bytes(w, q->w, (size_t)q->in * q->out);
		qnet__w_text(w, "w_scale");
		qnet__w_f32s(w, q->w_scale, q->out);
		qnet__w_text(w, "bias");
		qnet__w_i32s(w, q->bias, q->out);
		qnet__w_text(w, "mult");
		qnet__w_i32s(w, q->mult, q->out);
		qnet__w_text(w, "shift");
		qnet__w_bytes(w, q->shift, q->out);
	}
	return w->failed ? -1 : 0;
}

int qnet_model_save(uint8_t **out, size_t *len, const qnet_model *m, struct eph_err *err)
{
	struct qnet__w pay = {0}, env = {0};
	uint8_t digest[32];
	int rc = EPH_ENOMEM;

	*out = NULL;
	*len = 0;
	if (qnet__payload_encode(&pay, m) < 0)
		goto out;
	if (eph_hash(EPH_ALG_SHA256, pay.p, pay.n, digest) < 0) {
		rc = eph_err_set(err, EPH_EFAIL, "qnet: SHA-256 unavailable");
		goto out;
	}
	qnet__w_array(&env, 4);
	qnet__w_text(&env, QNET_MAGIC);
	qnet__w_uint(&env, QNET_VERSION);
	qnet__w_bytes(&env, pay.p, pay.n);
	qnet__w_bytes(&env, digest, sizeof(digest));
	if (env.failed)
		goto out;
	*out = env.p;
	*len = env.n;
	env.p = NULL;
	rc = 0;
out:
	if (rc == EPH_ENOMEM)
		eph_err_set(err, rc, "qnet: out of memory encoding the model");
	free(pay.p);
	free(env.p);
	return rc;
}

int qnet_model_save_file(const qnet_model *m, const char *path, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int rc;

	rc = qnet_model_save(&buf, &len, m, err);
	if (rc < 0)
		return rc;
	f = fopen(path, "wb");
	if (f == NULL) {
		rc = eph_err_set(err, EPH_EIO, "qnet: cannot create %s", path);
		goto out;
	}
	if (fwrite(buf, 1, len, f) != len) {
		rc = eph_err_set(err, EPH_EIO, "qnet: writing %s failed", path);
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = eph_err_set(err, EPH_EIO, "qnet: closing %s failed", path);
		goto out;
	}
	f = NULL;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

int qnet_model_load_file(qnet_model **out, const char *path, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = eph_file_read(&buf, &len, path, QNET_MODEL_MAX, err);
	if (rc < 0)
		return rc;
	rc = qnet_model_load(out, buf, len, err);
	if (rc < 0)
		eph_err_prefix(err, rc, "%s", path);
	free(buf);
	return rc;
}
