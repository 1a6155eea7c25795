/*
 * rng.c - the trainer's and initialiser's PRNG: xoshiro256** (Blackman and
 * Vigna, 2018) seeded through splitmix64, so that one 64-bit seed fixes every
 * random choice and a run is reproducible on any platform.
 *
 * Not cryptographic, and deliberately not rand(): its sequence differs
 * between C libraries.
 */
#include "qnet-priv.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void qnet__rng_seed(struct qnet__rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t qnet__rng_next(struct qnet__rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

float qnet__rng_float(struct qnet__rng *r)
{
	return (float)(qnet__rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

uint64_t qnet__rng_below(struct qnet__rng *r, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do
		x = qnet__rng_next(r);
	while (x >= limit);
	return x % n;
}
