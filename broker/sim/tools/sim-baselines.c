/*
 * sim-baselines.c - ephemera-sim: convert a trace (or read one in
 * Ephemera's CSV schema), split it by time, and run every non-learned
 * baseline on the held-out part, printing one table row per policy.
 *
 *   ephemera-sim [options] bitbrains|azure|alibaba|csv PATH
 *
 * An example of the library's use and the reference numbers the Q-network is
 * compared with. Deliberately not here: the learned policies and plots
 * (ephemera-train eval).
 *
 * Exit codes (only grow at the end): 0 ok, 1 usage, 2 bad input, 3 failure.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_FAIL = 3 };

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: ephemera-sim [options] bitbrains|azure|alibaba|csv PATH\n"
		"  PATH: the Bitbrains folder, the Azure invitro folder, the Alibaba\n"
		"        pod list (the node list next to it is read too), or a trace CSV\n"
		"  --split F          train share by time (default 0.75); the rest is evaluated\n"
		"  --seed N           episode and conversion seed (default 1)\n"
		"  --lambda X --mu X  reward weights (cu per shortfall unit, cu per cold second)\n"
		"  --max-per-minute N Azure: invocations kept per function-minute (default 2)\n"
		"  --max-duration S   clip durations (default: Alibaba 86400, others none)\n"
		"  --cap-cpu M --cap-mem MIB  host pool (default: the trace's hint or 512 vCPU/1 TiB)\n"
		"  --save-trace FILE  also write the converted trace in Ephemera's CSV schema\n"
		"  --all              evaluate the whole trace instead of the held-out part\n");
}

static int num(const char *s, double lo, double hi, double *v)
{
	char *end = NULL;

	errno = 0;
	*v = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && isfinite(*v) && *v >= lo && *v <= hi ?
		       0 :
		       -1;
}

struct row {
	const char *name;
	sim_policy_fn fn;
	void *ctx;
};

int main(int argc, char **argv)
{
	struct sim_conv_opts co;
	struct sim_config cfg;
	struct sim_trace *all = NULL, *train = NULL, *held = NULL;
	const struct sim_trace *evalt;
	struct eph_err err = { { 0 } };
	struct sim_report rep[8];
	struct sim_vpa_ctx vpa0, vpa1;
	struct sim_static_ctx st = { 3, 0 };
	struct sim_asked_ctx ask = { 0 };
	struct sim_oracle_ctx orh = { 1 }, or0 = { 0 };
	sim_env *env = NULL;
	const char *kind = NULL, *path = NULL, *save = NULL;
	double split = 0.75, v, lambda = -1, mu = -1, cap_cpu = 0, cap_mem = 0, maxdur = -1;
	uint64_t seed = 1;
	unsigned mpm = 2;
	int whole = 0, i, rc = 0, ret = EXIT_FAIL, oracle_row = 4;
	char node[4096];
	clock_t t0;
	double secs;

	memset(&vpa0, 0, sizeof(vpa0));
	memset(&vpa1, 0, sizeof(vpa1));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--all") == 0) {
			whole = 1;
		} else if (more && strcmp(a, "--split") == 0 && num(argv[++i], 0.01, 0.99, &split) == 0) {
		} else if (more && strcmp(a, "--seed") == 0 && num(argv[++i], 0, 1e15, &v) == 0) {
			seed = (uint64_t)v;
		} else if (more && strcmp(a, "--lambda") == 0 && num(argv[++i], 0, 1e9, &lambda) == 0) {
		} else if (more && strcmp(a, "--mu") == 0 && num(argv[++i], 0, 1e9, &mu) == 0) {
		} else if (more && strcmp(a, "--max-per-minute") == 0 &&
			   num(argv[++i], 0, 1e6, &v) == 0) {
			mpm = (unsigned)v;
		} else if (more && strcmp(a, "--max-duration") == 0 &&
			   num(argv[++i], 0, 1e10, &maxdur) == 0) {
		} else if (more && strcmp(a, "--cap-cpu") == 0 && num(argv[++i], 1, 1e12, &cap_cpu) == 0) {
		} else if (more && strcmp(a, "--cap-mem") == 0 && num(argv[++i], 1, 1e12, &cap_mem) == 0) {
		} else if (more && strcmp(a, "--save-trace") == 0) {
			save = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "ephemera-sim: bad option or value: %s\n", a);
			usage(stderr);
			return EXIT_USAGE;
		} else if (kind == NULL) {
			kind = a;
		} else if (path == NULL) {
			path = a;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (kind == NULL || path == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}

	sim_conv_opts_default(&co);
	co.seed = seed;
	co.max_per_minute = mpm;
	if (maxdur >= 0)
		co.max_duration_s = maxdur;
	if (strcmp(kind, "bitbrains") == 0) {
		rc = sim_trace_from_bitbrains_dir(&all, path, &co, &err);
	} else if (strcmp(kind, "azure") == 0) {
		rc = sim_trace_from_azure_functions(&all, path, &co, &err);
	} else if (strcmp(kind, "alibaba") == 0) {
		const char *slash = strrchr(path, '/');
		int n = snprintf(node, sizeof(node), "%.*s%sopenb_node_list_all_node.csv",
				 slash ? (int)(slash - path) : 0, path, slash ? "/" : "");

		if (maxdur < 0)
			co.max_duration_s = 86400;
		if (n < 0 || (size_t)n >= sizeof(node)) {
			fprintf(stderr, "ephemera-sim: path too long\n");
			return EXIT_USAGE;
		}
		rc = sim_trace_from_alibaba_pods(&all, path, node, &co, &err);
	} else if (strcmp(kind, "csv") == 0) {
		rc = sim_trace_load_csv(&all, path, &err);
	} else {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (rc < 0) {
		fprintf(stderr, "ephemera-sim: %s\n", err.msg);
		return EXIT_INPUT;
	}
	if (save != NULL && sim_trace_save_csv(all, save, &err) < 0)
		goto fail;
	if (whole) {
		evalt = all;
	} else {
		if (sim_trace_split_time(&train, &held, all, split, &err) < 0)
			goto fail;
		evalt = held;
	}

	sim_config_default(&cfg);
	if (strcmp(kind, "alibaba") == 0)
		sim_config_large_sizes(&cfg); /* pods ask for up to 120 vCPU / 720 GiB */
	if (lambda >= 0)
		cfg.lambda = lambda;
	if (mu >= 0)
		cfg.mu = mu;
	if (all->cap_cpu > 0 && all->cap_mem > 0) {
		cfg.cap_cpu = all->cap_cpu;
		cfg.cap_mem = all->cap_mem;
	}
	if (cap_cpu > 0)
		cfg.cap_cpu = cap_cpu;
	if (cap_mem > 0)
		cfg.cap_mem = cap_mem;
	if (sim_env_new(&env, evalt, &cfg, &err) < 0 ||
	    sim_vpa_init(&vpa0, evalt->ncls, 0, &err) < 0 ||
	    sim_vpa_init(&vpa1, evalt->ncls, 1, &err) < 0)
		goto fail;

	{
		const struct row rows[] = {
			{ "static-2/2Gi", sim_policy_static, &st },
			{ "asked", sim_policy_asked, &ask },
			{ "vpa-p90", sim_policy_vpa, &vpa0 },
			{ "vpa-p90+prewarm1", sim_policy_vpa, &vpa1 },
			{ "oracle", sim_policy_oracle, &orh },
			{ "oracle-noprewarm", sim_policy_oracle, &or0 },
		};
		int nrows = (int)(sizeof(rows) / sizeof(rows[0]));

		printf("# ephemera-sim %s %s: %zu requests (%s part), %u classes, seed %llu\n",
		       kind, path, evalt->n, whole ? "whole" : "held-out", evalt->ncls,
		       (unsigned long long)seed);
		printf("# lambda %g cu/shortfall, mu %g cu/s, host pool %.0f m / %.0f MiB\n",
		       cfg.lambda, cfg.mu, cfg.cap_cpu, cfg.cap_mem);
		printf("%-18s %12s %8s %9s %6s %7s %9s %10s %12s %8s\n", "policy", "cost_cu",
		       "vs_orcl", "throttle", "oom", "reject", "cold", "cold_s", "mean_reward",
		       "ms");
		for (i = 0; i < nrows; i++) {
			sim_vpa_reset(&vpa0);
			sim_vpa_reset(&vpa1);
			t0 = clock();
			if (sim_evaluate(env, rows[i].fn, rows[i].ctx, seed, &rep[i], &err) < 0) {
				eph_err_prefix(&err, -1, "%s", rows[i].name);
				goto fail;
			}
			secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
			rep[i].alloc_cpu_s = secs; /* reuse: printed below */
		}
		for (i = 0; i < nrows; i++)
			printf("%-18s %12.3f %8.3f %9zu %6zu %7zu %9zu %10.1f %12.5f %8.1f\n",
			       rows[i].name, rep[i].cost,
			       rep[oracle_row].cost > 0 ? rep[i].cost / rep[oracle_row].cost : 0,
			       rep[i].throttle_events, rep[i].oom_events, rep[i].rejections,
			       rep[i].cold_starts, rep[i].cold_s, rep[i].mean_reward,
			       rep[i].alloc_cpu_s * 1000);
	}
	ret = EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "ephemera-sim: %s\n", err.msg);
out:
	sim_vpa_free(&vpa0);
	sim_vpa_free(&vpa1);
	sim_env_free(env);
	sim_trace_free(train);
	sim_trace_free(held);
	sim_trace_free(all);
	return ret;
}
