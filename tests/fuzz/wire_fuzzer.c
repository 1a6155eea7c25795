/*
 * wire_fuzzer.c - one libFuzzer target for all ten decoders of proto/wire.h
 * (libwire), with a round-trip oracle.
 *
 * Input: one selector byte, then a CBOR body. The selector modulo 10 picks
 * the message: 0 error, 1 register_req, 2 register_resp, 3 activate_req,
 * 4 activate_resp, 5 challenge_resp, 6 attest_req, 7 attest_resp,
 * 8 env_create_req, 9 env. Example, an activate_resp {1: 1, 19: "ok"}:
 *   04 a2 01 01 13 62 6f6b
 * Seeds: tests/fuzz/corpora/wire/, written from the encoders by
 *   EPH_WIRE_SEEDS_DIR=tests/fuzz/corpora/wire test_wire --filter wire_seeds/write_fuzz_corpus
 *
 * Contracts checked: a failed decode leaves a message message and an
 * all-zero struct (nothing to free); a successful decode re-encodes, the
 * encoding decodes again, and re-encoding that gives the same bytes
 * (decode . encode is the identity on what the decoder accepts).
 *
 * Not here: mutation strategy (plain libFuzzer), semantic checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "wire.h"

typedef int (*enc_fn)(uint8_t **, size_t *, const void *, struct eph_err *);
typedef int (*dec_fn)(void *, const uint8_t *, size_t, struct eph_err *);
typedef void (*free_fn)(void *);

struct kind {
	const char *name;
	size_t size;
	enc_fn enc;
	dec_fn dec;
	free_fn fre;
};

#define KIND(n)                                                                         \
	static int enc_##n(uint8_t **o, size_t *l, const void *m, struct eph_err *e)    \
	{                                                                               \
		return wire_##n##_encode(o, l, m, e);                                   \
	}                                                                               \
	static int dec_##n(void *m, const uint8_t *b, size_t l, struct eph_err *e)      \
	{                                                                               \
		return wire_##n##_decode(m, b, l, e);                                   \
	}                                                                               \
	static void free_##n(void *m)                                                   \
	{                                                                               \
		wire_##n##_free(m);                                                     \
	}

KIND(error)
KIND(register_req)
KIND(register_resp)
KIND(activate_req)
KIND(activate_resp)
KIND(challenge_resp)
KIND(attest_req)
KIND(attest_resp)
KIND(env_create_req)
KIND(env)

#define K(n) {#n, sizeof(struct wire_##n), enc_##n, dec_##n, free_##n}
static const struct kind kinds[] = {
	K(error),        K(register_req), K(register_resp), K(activate_req),   K(activate_resp),
	K(challenge_resp), K(attest_req), K(attest_resp),   K(env_create_req), K(env),
};

static void fail(const struct kind *k, const char *what, const struct eph_err *err)
{
	fprintf(stderr, "wire_fuzzer: %s: %s (%s)\n", k->name, what, err ? err->msg : "");
	abort();
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct kind *k;
	struct eph_err err = {{0}};
	void *m1 = NULL, *m2 = NULL;
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0;

	if (size < 1)
		return 0;
	k = &kinds[data[0] % 10];
	m1 = malloc(k->size);
	m2 = malloc(k->size);
	if (m1 == NULL || m2 == NULL)
		abort();
	memset(m1, 0xa5, k->size);
	if (k->dec(m1, data + 1, size - 1, &err) < 0) {
		if (err.msg[0] == '\0')
			fail(k, "decode failed without a message", &err);
		if (!all_zero(m1, k->size))
			fail(k, "decode failed but left state behind", &err);
		goto out;
	}
	if (k->enc(&b1, &l1, m1, &err) < 0)
		fail(k, "a decoded message does not re-encode", &err);
	if (k->dec(m2, b1, l1, &err) < 0)
		fail(k, "an encoded message does not decode", &err);
	if (k->enc(&b2, &l2, m2, &err) < 0)
		fail(k, "a re-decoded message does not re-encode", &err);
	if (l1 != l2 || memcmp(b1, b2, l1) != 0)
		fail(k, "re-encoding differs", NULL);
	k->fre(m2);
	if (!all_zero(m2, k->size))
		fail(k, "free left bytes behind", NULL);
	k->fre(m1);
out:
	free(b1);
	free(b2);
	free(m1);
	free(m2);
	return 0;
}
