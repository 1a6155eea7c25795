/*
 * qnet_model_fuzzer.c - libFuzzer target for the Q-network model file
 * (broker/qnet, qnet_model_load): CBOR envelope, payload, shapes, scales,
 * multipliers. Needs library qnet.
 *
 * Input layout: byte 0 selects the mode, the rest is the data.
 *   byte 0 even: the rest is a whole model file,
 *     e.g. 00 | 84 67 "EPHQNET" 01 59 <len> <payload> 58 20 <sha256>;
 *   byte 0 odd: the rest is a payload only; the target wraps it in a valid
 *     envelope with its SHA-256, so that mutations reach the payload decoder
 *     instead of stopping at the hash.
 * Seeds: tests/fuzz/corpora/qnet_model/ (regenerate: see QNET_MAKE_SEEDS at
 * the end of this file).
 *
 * Besides "no crash, no leak, no sanitizer report", the target checks the
 * contracts and aborts when one breaks: a refused file leaves *out NULL and
 * a one-line message; an accepted one re-encodes to the same bytes (the
 * writer is deterministic and the reader keeps everything), and its float
 * and int8 argmax never return a masked action and refuse an empty mask.
 *
 * Not here: the transitions CSV (its tests are in tests/unit/qnet/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hash.h"
#include "qnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "qnet_model_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

/* [0x84, "EPHQNET", 1, bstr(payload), bstr(SHA-256(payload))] */
static uint8_t *wrap(const uint8_t *pay, size_t n, size_t *out_len)
{
	uint8_t *b = malloc(n + 64), *p;

	if (b == NULL)
		return NULL;
	p = b;
	*p++ = 0x84;
	*p++ = 0x67;
	memcpy(p, "EPHQNET", 7);
	p += 7;
	*p++ = 0x01;
	/* byte string head, shortest form (the loader refuses longer ones) */
	if (n < 24) {
		*p++ = (uint8_t)(0x40 | n);
	} else if (n <= 0xFF) {
		*p++ = 0x58;
		*p++ = (uint8_t)n;
	} else if (n <= 0xFFFF) {
		*p++ = 0x59;
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	} else {
		*p++ = 0x5A;
		*p++ = (uint8_t)(n >> 24);
		*p++ = (uint8_t)(n >> 16);
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	}
	memcpy(p, pay, n);
	p += n;
	*p++ = 0x58;
	*p++ = 0x20;
	if (eph_hash(EPH_ALG_SHA256, pay, n, p) < 0) {
		free(b);
		return NULL;
	}
	p += 32;
	*out_len = (size_t)(p - b);
	return b;
}

static void exercise(const qnet_model *m, const uint8_t *buf, size_t len)
{
	struct eph_err err = {{0}};
	float x[QNET_MAX_WIDTH];
	uint8_t *again = NULL;
	size_t again_len = 0, i;
	unsigned a, in = qnet_model_in_dim(m), n = qnet_model_num_actions(m);
	uint64_t masks[3] = { ~0ull, 1ull << (n - 1), 0x5555555555555555ull };
	int rc, k;

	check(qnet_model_save(&again, &again_len, m, &err) == 0, "re-encoding failed", &err);
	check(again_len == len && memcmp(again, buf, len) == 0,
	      "accepted file does not re-encode to itself", NULL);
	free(again);
	for (i = 0; i < in; i++)
		x[i] = (float)((int)(i % 7) - 3) * 0.5f;
	for (k = 0; k < 3; k++) {
		rc = qnet_float_argmax(m, x, masks[k], &a, &err);
		check(rc < 0 || (a < n && (masks[k] >> a & 1)), "float argmax: masked action", &err);
		if (qnet_model_has_int8(m)) {
			rc = qnet_int8_argmax(m, x, masks[k], &a, &err);
			check(rc < 0 || (a < n && (masks[k] >> a & 1)), "int8 argmax: masked action",
			      &err);
		}
	}
	check(qnet_float_argmax(m, x, 0, &a, &err) == EPH_EPOLICY, "empty mask accepted", &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qnet_model *m = (qnet_model *)(uintptr_t)1; /* must become NULL on failure */
	struct eph_err err = {{0}};
	uint8_t *file = NULL;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		file = wrap(data + 1, size - 1, &len);
		if (file == NULL)
			return 0;
	} else {
		len = size - 1;
		file = malloc(len ? len : 1);
		if (file == NULL)
			return 0;
		memcpy(file, data + 1, len);
	}
	rc = qnet_model_load(&m, file, len, &err);
	if (rc < 0) {
		check(m == NULL, "failed load left *out set", &err);
		check(memchr(err.msg, '\0', sizeof(err.msg)) != NULL, "err.msg not terminated",
		      NULL);
		check(err.msg[0] != '\0', "failure without a message", &err);
	} else {
		check(m != NULL, "load succeeded without a model", NULL);
		exercise(m, file, len);
		qnet_model_free(m);
	}
	free(file);
	return 0;
}

#ifdef QNET_MAKE_SEEDS
/*
 * Seed generator, not part of any build:
 *   cc -DQNET_MAKE_SEEDS -Ibroker/qnet -Icommon tests/fuzz/qnet_model_fuzzer.c \
 *      build/broker/qnet/libqnet.a build/common/libeph_common.a -lcbor -lcrypto -lm \
 *      -o /tmp/mkseeds && /tmp/mkseeds tests/fuzz/corpora/qnet_model
 */
static void put(const char *dir, const char *name, uint8_t mode, const uint8_t *b, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fputc(mode, f) == EOF || fwrite(b, 1, n, f) != n || fclose(f) != 0)
		abort();
}

static void make(const char *dir, const char *name, const unsigned *dims, unsigned nl, int q)
{
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	uint8_t *b = NULL;
	size_t n = 0, k, hdr;
	float *st;
	char nm[128];
	uint64_t s = 42;

	if (qnet_model_new(&m, dims, nl, 7, &err) < 0)
		abort();
	if (q) {
		st = malloc(64 * dims[0] * sizeof(float));
		for (k = 0; k < 64 * dims[0]; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			st[k] = (float)(s >> 40) / 16777216.0f * 4.0f - 2.0f;
		}
		if (qnet_quantize(m, st, 64, &err) < 0)
			abort();
		free(st);
	}
	if (qnet_model_save(&b, &n, m, &err) < 0)
		abort();
	put(dir, name, 0, b, n);
	/* the payload alone (mode 1): skip the 11-byte head and its length */
	hdr = 11 + (b[10] == 0x58 ? 1 : b[10] == 0x59 ? 2 : 4);
	snprintf(nm, sizeof(nm), "payload-%s", name);
	put(dir, nm, 1, b + hdr, n - hdr - 34);
	snprintf(nm, sizeof(nm), "truncated-%s", name);
	put(dir, nm, 0, b, n / 2);
	free(b);
	qnet_model_free(m);
}

int main(int argc, char **argv)
{
	static const unsigned a[] = { 3, 4, 2 }, b[] = { 4, 8, 8, 3 }, c[] = { 2, 1 };

	if (argc != 2)
		return 2;
	make(argv[1], "float-3-4-2.cbor", a, 2, 0);
	make(argv[1], "int8-4-8-8-3.cbor", b, 3, 1);
	make(argv[1], "int8-2-1.cbor", c, 1, 1);
	return 0;
}
#endif
