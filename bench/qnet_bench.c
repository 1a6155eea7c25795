/*
 * qnet_bench.c - how long one Q-network decision takes: float forward +
 * masked argmax against int8 (integer-only) forward + masked argmax, in
 * process, on the same states and masks.
 *
 *   qnet_bench [-t SECONDS] [-m MODEL.cbor] [-s SEED]
 *
 * Without -m the network is the broker's shape, 32-64-64-60 (60 = 10 sizes
 * x 2 counts x 3 pre-warm levels), He-initialised from SEED and quantized on
 * 1000 random states; with -m a trained model file is timed (it must carry
 * the int8 part). 4096 states in [-2, 2] and random non-empty masks are drawn
 * once; each variant then loops over them until SECONDS (default 1) have
 * passed, three times, and the best run is reported as ns per decision,
 * both wall clock and this thread's CPU time (CLOCK_THREAD_CPUTIME_ID: on a
 * shared machine it leaves out the time other processes had the core).
 * The int8 figure includes the quantization of the float input, as the
 * broker pays it. Also printed: the machine, the compiler, the command, and
 * the argmax agreement of the two variants over the states.
 *
 * Not here: training, model loading time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qnet.h"

#define NSTATES 4096

static double clk(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void machine(void)
{
	char line[256], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) == 0) {
			char *c = strchr(line, ':');

			if (c != NULL) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = '\0';
			}
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	printf("# cpu: %s, %ld online\n", model, sysconf(_SC_NPROCESSORS_ONLN));
	f = fopen("/proc/loadavg", "r");
	if (f != NULL && fgets(line, sizeof(line), f) != NULL)
		printf("# load average at start: %s", line);
	if (f != NULL)
		fclose(f);
	printf("# compiler: " __VERSION__
#ifdef __OPTIMIZE__
	       " (optimised)"
#else
	       " (NOT optimised: figures are meaningless)"
#endif
	       "\n");
}

typedef int (*argmax_fn)(const qnet_model *, const float *, uint64_t, unsigned *,
			 struct eph_err *);

/*
 * Best of three runs of >= secs each: ns per decision, wall clock and this
 * thread's CPU time (the latter leaves out time the scheduler gave to other
 * processes on a shared machine).
 */
static void time_it(argmax_fn fn, const qnet_model *m, const float *x, const uint64_t *mask,
		    unsigned dim, double secs, unsigned long *sink, double *wall, double *cpu)
{
	double t0, c0, t, c;
	unsigned long n, i;
	unsigned a = 0;
	struct eph_err err;
	int run;

	*wall = *cpu = 1e30;
	for (run = 0; run < 3; run++) {
		n = 0;
		t0 = clk(CLOCK_MONOTONIC);
		c0 = clk(CLOCK_THREAD_CPUTIME_ID);
		do {
			for (i = 0; i < NSTATES; i++) {
				fn(m, x + i * dim, mask[i], &a, &err);
				*sink += a;
			}
			n += NSTATES;
			t = clk(CLOCK_MONOTONIC) - t0;
		} while (t < secs);
		c = clk(CLOCK_THREAD_CPUTIME_ID) - c0;
		if (t / (double)n * 1e9 < *wall)
			*wall = t / (double)n * 1e9;
		if (c / (double)n * 1e9 < *cpu)
			*cpu = c / (double)n * 1e9;
	}
}

int main(int argc, char **argv)
{
	unsigned dims[] = { 32, 64, 64, 60 }, dim, nact, i, j, agree = 0, af, ai;
	double secs = 1.0, tf, ti, cf, ci;
	const char *path = NULL;
	uint64_t seed = 1, s;
	struct eph_err err = {{0}};
	qnet_model *m = NULL;
	float *x = NULL;
	uint64_t *mask = NULL;
	unsigned long sink = 0;
	int opt, k;

	while ((opt = getopt(argc, argv, "t:m:s:")) != -1) {
		char *end = NULL;

		if (opt == 't') {
			secs = strtod(optarg, &end);
			if (*end != '\0' || !(secs > 0.0) || secs > 3600.0)
				goto usage;
		} else if (opt == 'm') {
			path = optarg;
		} else if (opt == 's') {
			seed = strtoull(optarg, &end, 10);
			if (*end != '\0')
				goto usage;
		} else {
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (path != NULL) {
		if (qnet_model_load_file(&m, path, &err) < 0) {
			fprintf(stderr, "qnet_bench: %s\n", err.msg);
			return 1;
		}
		if (!qnet_model_has_int8(m)) {
			fprintf(stderr, "qnet_bench: %s has no int8 part (ephemera-train quantize)\n",
				path);
			return 1;
		}
	} else if (qnet_model_new(&m, dims, 3, seed, &err) < 0) {
		fprintf(stderr, "qnet_bench: %s\n", err.msg);
		return 1;
	}
	dim = qnet_model_in_dim(m);
	nact = qnet_model_num_actions(m);
	x = malloc((size_t)NSTATES * dim * sizeof(*x));
	mask = malloc(NSTATES * sizeof(*mask));
	if (x == NULL || mask == NULL)
		return 1;
	s = seed;
	for (i = 0; i < NSTATES; i++) {
		for (j = 0; j < dim; j++)
			x[i * dim + j] = (float)(rnd(&s) >> 40) / 16777216.0f * 4.0f - 2.0f;
		do
			mask[i] = rnd(&s) & (nact >= 64 ? ~0ull : (1ull << nact) - 1);
		while (mask[i] == 0);
	}
	if (path == NULL && qnet_quantize(m, x, 1000, &err) < 0) {
		fprintf(stderr, "qnet_bench: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < NSTATES; i++) {
		qnet_float_argmax(m, x + i * dim, mask[i], &af, &err);
		qnet_int8_argmax(m, x + i * dim, mask[i], &ai, &err);
		agree += af == ai;
	}
	machine();
	printf("# command:");
	for (k = 0; k < argc; k++)
		printf(" %s", argv[k]);
	printf("\n# network:");
	for (i = 0; i <= qnet_model_num_layers(m); i++)
		printf("%s%u", i ? "-" : " ", qnet_model_dim(m, i));
	printf(" (%s), %d states, random masks, best of 3 runs of >= %.1f s\n",
	       path != NULL ? path : "He-initialised, quantized on 1000 random states", NSTATES,
	       secs);
	time_it(qnet_float_argmax, m, x, mask, dim, secs, &sink, &tf, &cf);
	time_it(qnet_int8_argmax, m, x, mask, dim, secs, &sink, &ti, &ci);
	printf("variant\twall_ns_per_decision\tcpu_ns_per_decision\tdecisions_per_s\n");
	printf("float32\t%.1f\t%.1f\t%.0f\n", tf, cf, 1e9 / tf);
	printf("int8\t%.1f\t%.1f\t%.0f\n", ti, ci, 1e9 / ti);
	printf("# int8/float (cpu): %.2f; argmax agreement %.2f%% of %d; goal int8 < 2000 ns: "
	       "%s (cpu), %s (wall)\n", ci / cf, 100.0 * agree / NSTATES, NSTATES,
	       ci < 2000.0 ? "met" : "NOT met", ti < 2000.0 ? "met" : "NOT met");
	printf("# (sink %lu)\n", sink % 10);
	free(x);
	free(mask);
	qnet_model_free(m);
	return 0;
usage:
	fprintf(stderr, "usage: qnet_bench [-t SECONDS] [-m MODEL.cbor] [-s SEED]\n");
	return 2;
}
