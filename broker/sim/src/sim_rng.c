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
	return eph_splitmix64(x);
}

void sim__rng_seed(struct sim__rng *r, uint64_t seed)
{
	eph_rng_seed(&r->g, seed);
}

uint64_t sim__rng_next(struct sim__rng *r)
{
	return eph_rng_next(&r->g);
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
