/*
 * sim_rng.c - the simulator's PRNG: xoshiro256** (Blackman and Vigna, 2018)
 * seeded through splitmix64, plus a stateless hash-to-uniform for sampling
 * that must not depend on the order of calls.
 *
 * Not cryptographic, and deliberately not rand(): its sequence differs
 * between C libraries, and one seed must fix every episode everywhere.
 */
#include <math.h>

#include "sim-priv.h"

uint64_t sim__splitmix64(uint64_t *x)
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

void sim__rng_seed(struct sim__rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = sim__splitmix64(&seed);
}

uint64_t sim__rng_next(struct sim__rng *r)
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

double sim__rng_unif(struct sim__rng *r)
{
	return (double)(sim__rng_next(r) >> 11) * 0x1.0p-53;
}

double sim__rng_norm(struct sim__rng *r)
{
	double u1 = sim__rng_unif(r);
	double u2 = sim__rng_unif(r);

	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double sim__hash_unif(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t x = a;
	uint64_t h = sim__splitmix64(&x);

	x = h ^ b;
	h = sim__splitmix64(&x);
	x = h ^ c;
	h = sim__splitmix64(&x);
	return (double)(h >> 11) * 0x1.0p-53;
}
