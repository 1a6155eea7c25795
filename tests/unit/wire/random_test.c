/*
 * random_test.c - hostile bytes: random buffers and mutated valid
 * messages through every decoder never crash, and a failure always says
 * why; and the seed corpus of tests/fuzz/wire_fuzzer.c, written from the
 * encoders (selector byte + body, see that file) when EPH_WIRE_SEEDS_DIR
 * is set:
 *   EPH_WIRE_SEEDS_DIR=tests/fuzz/corpora/wire test_wire --filter wire_seeds/write_fuzz_corpus
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt.h"

typedef int (*dec_fn)(const uint8_t *, size_t, struct eph_err *);

#define DEC(n)                                                                  \
	static int dec_##n(const uint8_t *b, size_t l, struct eph_err *e)       \
	{                                                                       \
		struct wire_##n m;                                              \
		int rc = wire_##n##_decode(&m, b, l, e);                        \
		if (rc == 0)                                                    \
			wire_##n##_free(&m);                                    \
		return rc;                                                      \
	}

DEC(error)
DEC(register_req)
DEC(register_resp)
DEC(activate_req)
DEC(activate_resp)
DEC(challenge_resp)
DEC(attest_req)
DEC(attest_resp)
DEC(env_create_req)
DEC(env)

static const dec_fn decs[10] = {dec_error,          dec_register_req, dec_register_resp,
				dec_activate_req,   dec_activate_resp, dec_challenge_resp,
				dec_attest_req,     dec_attest_resp,  dec_env_create_req,
				dec_env};

/* Selector (fuzzer numbering) and encoding of each message, small content. */
struct seed {
	char name[32];
	uint8_t sel;
	uint8_t *p;
	size_t n;
};

#define ENC(sel_, T, fill)                                                              \
	do {                                                                            \
		struct wire_##T m;                                                      \
		fill;                                                                   \
		cr_assert_eq(wire_##T##_encode(&s[k].p, &s[k].n, &m, &e), 0, "%s", e.msg); \
		s[k].sel = sel_;                                                        \
		snprintf(s[k].name, sizeof(s[k].name), "%s", #T);                       \
		k++;                                                                    \
	} while (0)

static size_t make_seeds(struct seed *s)
{
	struct eph_err e = {{0}};
	size_t k = 0;

	ENC(0, error, wt_error(&m));
	ENC(1, register_req, wt_register_req(&m));
	ENC(2, register_resp, wt_register_resp(&m));
	ENC(3, activate_req, wt_activate_req(&m));
	ENC(4, activate_resp, wt_activate_resp(&m));
	ENC(5, challenge_resp, wt_challenge_resp(&m));
	ENC(6, attest_req, wt_attest_req(&m, 0));
	ENC(7, attest_resp, wt_attest_resp(&m));
	ENC(8, env_create_req, wt_env_create_req(&m));
	ENC(9, env, wt_env(&m));
	return k;
}

static void free_seeds(struct seed *s, size_t n)
{
	while (n-- > 0)
		free(s[n].p);
	wt_release();
}

static void check(int rc, const struct eph_err *e)
{
	if (rc < 0)
		cr_assert_neq(e->msg[0], '\0', "a refusal without a message");
}

Test(wire_random, random_bytes_never_crash)
{
	struct eph_err e;
	uint64_t st = 7;
	uint8_t buf[512];
	size_t i, n;

	for (i = 0; i < 200000; i++) {
		wt_fill(buf, sizeof(buf), &st);
		n = buf[0] % sizeof(buf);
		if (i % 3 == 0)
			buf[1] = (uint8_t)(0xa0 | (buf[1] & 0x1f)); /* often a map head */
		memset(&e, 0, sizeof(e));
		check(decs[i % 10](buf + 1, n, &e), &e);
	}
}

Test(wire_random, mutated_messages_never_crash)
{
	struct seed s[10];
	struct eph_err e;
	uint64_t st = 11;
	uint8_t r[8], *p;
	size_t ns, i, j, k, n;

	ns = make_seeds(s);
	for (i = 0; i < 50000; i++) {
		k = i % ns;
		n = s[k].n;
		p = malloc(n);
		cr_assert_not_null(p);
		memcpy(p, s[k].p, n);
		wt_fill(r, sizeof(r), &st);
		for (j = 0; j < (size_t)(r[0] % 4) + 1; j++) {
			wt_fill(r, sizeof(r), &st);
			p[((size_t)r[1] << 16 | (size_t)r[2] << 8 | r[3]) % n] = r[4];
		}
		memset(&e, 0, sizeof(e));
		/* the right decoder, and now and then a wrong one */
		check(decs[r[5] % 8 ? s[k].sel : r[6] % 10](p, n, &e), &e);
		free(p);
	}
	free_seeds(s, ns);
}

Test(wire_seeds, write_fuzz_corpus)
{
	const char *dir = getenv("EPH_WIRE_SEEDS_DIR");
	struct seed s[10];
	struct eph_err e = {{0}};
	char path[4096];
	size_t ns, i;
	FILE *f;

	ns = make_seeds(s);
	for (i = 0; i < ns; i++) {
		cr_assert_eq(decs[s[i].sel](s[i].p, s[i].n, &e), 0, "%s: %s", s[i].name, e.msg);
		if (dir == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%u-%s", dir, s[i].sel, s[i].name);
		f = fopen(path, "wb");
		cr_assert_not_null(f, "cannot write %s", path);
		cr_assert_eq(fwrite(&s[i].sel, 1, 1, f), 1);
		cr_assert_eq(fwrite(s[i].p, 1, s[i].n, f), s[i].n);
		cr_assert_eq(fclose(f), 0);
	}
	free_seeds(s, ns);
}
