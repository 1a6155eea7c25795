/*
 * model_test.c - the model file: bit-exact round trip, every single-byte
 * corruption and every truncation refused, and the named refusals (magic,
 * version, shape, shift, multiplier, scale, trailing bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../../broker/qnet/src/qnet-priv.h"
#include "tinyenv.h"

static qnet_model *model;
static uint8_t *file;
static size_t file_len;

static void setup(void)
{
	struct qnet_action acts[BANDIT_ACTIONS];
	float mean[BANDIT_DIM], scale[BANDIT_DIM];
	struct qnet_meta meta = { .seed = 5, .episodes = 10, .steps = 320 };
	struct eph_err err = {{0}};
	unsigned i;

	model = tiny_bandit_train(5, 10);
	for (i = 0; i < BANDIT_ACTIONS; i++) {
		acts[i].size = (uint8_t)(i / 9);
		acts[i].count = (uint8_t)(1 + i / 3 % 3);
		acts[i].prewarm = (uint8_t)(i % 3);
	}
	for (i = 0; i < BANDIT_DIM; i++) {
		mean[i] = 0.25f * (float)i;
		scale[i] = 1.0f / (float)(i + 1);
	}
	cr_assert_eq(qnet_model_set_actions(model, acts, BANDIT_ACTIONS, &err), 0, "%s", err.msg);
	cr_assert_eq(qnet_model_set_norm(model, mean, scale, BANDIT_DIM, &err), 0, "%s", err.msg);
	snprintf(meta.trace, sizeof(meta.trace), "tiny-bandit");
	snprintf(meta.date, sizeof(meta.date), "2026-11-25T12:00:00Z");
	qnet_model_set_meta(model, &meta);
	cr_assert_eq(qnet_model_save(&file, &file_len, model, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
	qnet_model_free(model);
	free(file);
}

TestSuite(qnet_model, .init = setup, .fini = teardown);

Test(qnet_model, round_trip_is_bit_exact)
{
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	uint8_t *again = NULL;
	size_t len = 0;
	float x[BANDIT_DIM], qa[BANDIT_ACTIONS], qb[BANDIT_ACTIONS];
	uint64_t rng = 4, mask;
	unsigned k, a, b;

	cr_assert_eq(qnet_model_load(&m, file, file_len, &err), 0, "%s", err.msg);
	cr_assert_eq(qnet_model_save(&again, &len, m, &err), 0, "%s", err.msg);
	cr_assert_eq(len, file_len);
	cr_assert_eq(memcmp(again, file, len), 0, "re-encoding differs");
	cr_expect_str_eq(qnet_model_meta(m)->trace, "tiny-bandit");
	cr_expect_str_eq(qnet_model_meta(m)->date, "2026-11-25T12:00:00Z");
	cr_expect_eq(qnet_model_meta(m)->steps, 320);
	cr_expect_eq(qnet_model_action_at(m, 26)->prewarm, 2);
	cr_expect_eq(memcmp(qnet_model_norm_scale(m), qnet_model_norm_scale(model),
			    BANDIT_DIM * sizeof(float)), 0);
	cr_expect_eq(memcmp(m->params, model->params, m->nparams * sizeof(float)), 0);
	for (k = 0; k < 2000; k++) {
		tiny_bandit_sample(&rng, x, &mask);
		qnet_float_q(model, x, qa);
		qnet_float_q(m, x, qb);
		cr_assert_eq(memcmp(qa, qb, sizeof(qa)), 0);
		cr_assert_eq(qnet_int8_argmax(model, x, mask, &a, &err), 0);
		cr_assert_eq(qnet_int8_argmax(m, x, mask, &b, &err), 0);
		cr_assert_eq(a, b);
	}
	free(again);
	qnet_model_free(m);
}

Test(qnet_model, every_byte_corruption_is_refused)
{
	uint8_t *buf = malloc(file_len);
	struct eph_err err;
	qnet_model *m = NULL;
	size_t i;
	unsigned flip;
	int rc;

	for (i = 0; i < file_len; i++) {
		for (flip = 0; flip < 2; flip++) {
			memcpy(buf, file, file_len);
			buf[i] ^= flip ? 0xFF : 0x01;
			memset(&err, 0, sizeof(err));
			rc = qnet_model_load(&m, buf, file_len, &err);
			cr_assert(rc < 0, "byte %zu ^ %s accepted", i, flip ? "0xff" : "0x01");
			cr_assert_null(m);
			cr_assert(err.msg[0] != '\0', "byte %zu refused without a message", i);
		}
	}
	free(buf);
}

Test(qnet_model, every_truncation_is_refused)
{
	struct eph_err err;
	qnet_model *m = NULL;
	uint8_t *buf;
	size_t n;

	for (n = 0; n < file_len; n++) {
		buf = malloc(n ? n : 1); /* exact size, so ASan sees any over-read */
		memcpy(buf, file, n);
		memset(&err, 0, sizeof(err));
		cr_assert(qnet_model_load(&m, buf, n, &err) < 0, "truncation to %zu accepted", n);
		cr_assert_null(m);
		free(buf);
	}
}

/* Re-wrap a modified model: a valid envelope around a payload that is off. */
static int load_modified(qnet_model *m, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	qnet_model *out = NULL;
	int rc;

	cr_assert_eq(qnet_model_save(&buf, &len, m, err), 0);
	rc = qnet_model_load(&out, buf, len, err);
	qnet_model_free(out);
	free(buf);
	return rc;
}

Test(qnet_model, named_refusals)
{
	struct eph_err err = {{0}};
	qnet_model *m = NULL, *c = NULL;
	uint8_t *buf = malloc(file_len + 1);

	/* magic: "EPHQNET" starts at byte 2 (0x84 0x67 'E' ...) */
	memcpy(buf, file, file_len);
	buf[2] = 'X';
	cr_expect_eq(qnet_model_load(&m, buf, file_len, &err), EPH_EFORMAT);
	cr_expect(strstr(err.msg, "magic") != NULL, "%s", err.msg);
	/* version 1 is byte 9 */
	memcpy(buf, file, file_len);
	cr_assert_eq(buf[9], 0x01);
	buf[9] = 0x02;
	cr_expect_eq(qnet_model_load(&m, buf, file_len, &err), EPH_EUNSUPPORTED);
	cr_expect(strstr(err.msg, "version 2") != NULL, "%s", err.msg);
	/* a payload byte: the hash catches it */
	memcpy(buf, file, file_len);
	buf[file_len / 2] ^= 0x40;
	cr_expect_eq(qnet_model_load(&m, buf, file_len, &err), EPH_EVERIFY);
	cr_expect(strstr(err.msg, "SHA-256") != NULL, "%s", err.msg);
	/* trailing byte */
	memcpy(buf, file, file_len);
	buf[file_len] = 0;
	cr_expect_eq(qnet_model_load(&m, buf, file_len + 1, &err), EPH_EFORMAT);
	cr_expect(strstr(err.msg, "trailing") != NULL, "%s", err.msg);
	cr_expect_null(m);

	/* out-of-range shift, with a correct hash */
	cr_assert_eq(qnet_model_clone(&c, model, &err), 0);
	c->ql[1].shift[3] = 40;
	cr_expect_eq(load_modified(c, &err), EPH_EVERIFY);
	cr_expect(strstr(err.msg, "shift 40") != NULL, "%s", err.msg);
	c->ql[1].shift[3] = model->ql[1].shift[3];
	/* a multiplier that the scales do not give */
	c->ql[2].mult[0] ^= 0x10;
	cr_expect_eq(load_modified(c, &err), EPH_EVERIFY);
	cr_expect(strstr(err.msg, "do not match") != NULL, "%s", err.msg);
	c->ql[2].mult[0] = model->ql[2].mult[0];
	/* a negative scale */
	c->ql[0].w_scale[0] = -c->ql[0].w_scale[0];
	cr_expect_eq(load_modified(c, &err), EPH_EVERIFY);
	cr_expect(strstr(err.msg, "scale") != NULL, "%s", err.msg);
	c->ql[0].w_scale[0] = model->ql[0].w_scale[0];
	/* layer 1's input quantization must be layer 0's output quantization */
	c->ql[1].in_zp = c->ql[0].out_zp + 1;
	cr_expect_eq(load_modified(c, &err), EPH_EVERIFY);
	cr_expect(strstr(err.msg, "input quantization") != NULL, "%s", err.msg);
	c->ql[1].in_zp = model->ql[1].in_zp;
	cr_expect_eq(load_modified(c, &err), 0, "%s", err.msg);
	qnet_model_free(c);

	/* shape mismatch: a width above the limit */
	{
		unsigned dims[] = { 4, 300, 2 };
		cr_expect_eq(qnet_model_new(&c, dims, 2, 1, &err), EPH_EVERIFY);
		cr_expect_null(c);
	}
	free(buf);
}

Test(qnet_model, float_only_model_round_trips)
{
	unsigned dims[] = { 3, 8, 2 };
	struct eph_err err = {{0}};
	qnet_model *m = NULL, *l = NULL;
	uint8_t *buf = NULL;
	size_t len;
	unsigned a;
	float x[3] = { 1, 2, 3 };

	cr_assert_eq(qnet_model_new(&m, dims, 2, 3, &err), 0);
	cr_assert_eq(qnet_model_save(&buf, &len, m, &err), 0);
	cr_assert_eq(qnet_model_load(&l, buf, len, &err), 0, "%s", err.msg);
	cr_expect_not(qnet_model_has_int8(l));
	cr_expect_eq(qnet_int8_argmax(l, x, 3, &a, &err), EPH_EFAIL);
	qnet_model_free(m);
	qnet_model_free(l);
	free(buf);
}
