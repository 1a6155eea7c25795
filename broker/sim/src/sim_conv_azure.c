/*
 * sim_conv_azure.c - Azure Functions 2019 (the invitro 500-function sample)
 * to requests.
 *
 * Input (comma-separated, one header line each, joined on HashFunction):
 *   invocations.csv  HashOwner,HashApp,HashFunction,Trigger,480,...,959
 *                    (invocations of that function in each minute of day)
 *   durations.csv    HashOwner,HashApp,HashFunction,Average,Count,Minimum,
 *                    Maximum,percentile_Average_{0,1,25,50,75,99,100} (ms)
 *   memory.csv       HashFunction,HashOwner,HashApp,SampleCount,
 *                    AverageAllocatedMb,AverageAllocatedMb_pct{1,5,25,50,75,
 *                    95,99,100} (MB, treated as MiB)
 *
 * Conversion (docs/sim-trace-format.md, "Azure Functions"):
 *  - class "az-" + the first 40 hex digits of HashFunction; role function;
 *  - each minute with c invocations gives min(c, max_per_minute) requests
 *    (all if 0) spread over the minute at seeded positions; arrival 0 is
 *    the first minute column;
 *  - duration: a draw from the function's duration percentiles (inverse CDF,
 *    linear between the knots), at least 1 ms; DERIVED usage;
 *  - memory: a draw from the function's memory percentiles, flat during the
 *    invocation (p50 = p95 = max);
 *  - CPU is not in the trace. ASSUMPTION: proportional CPU as on AWS Lambda
 *    (one vCPU per 1769 MB): peak = max(50 m, mem / 1769 vCPU), p95 = 0.9,
 *    p50 = 0.6 of the peak;
 *  - asked = 1000 m / 1536 MiB, one Consumption-plan instance (there is no
 *    requested size in the trace);
 *  - sensitivity is not in the trace: SYNTHETIC per owner, from the first hex
 *    digit of HashOwner (0-9 low, a-d medium, e-f high), confidence 0.5.
 * Every draw is a hash of (seed, function, minute, index): the same seed
 * gives the same trace whatever the file order. Functions without duration
 * or memory rows are left out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

#define MAX_MINUTES 1440
#define NAME_HEX 40

struct fn {
	uint8_t sens;
	uint8_t have_dur, have_mem;
	double dur_ms[7];  /* knots at q = 0, .01, .25, .5, .75, .99, 1 */
	double mem_mb[8];  /* knots at q = .01, .05, .25, .5, .75, .95, .99, 1 */
	uint32_t *count;   /* per minute, nmin */
};

struct az {
	struct sim_trace *t;
	struct fn *fn;     /* by class id */
	uint32_t nfn;
	unsigned nmin;
};

static int fn_class(struct az *a, const struct sim__field *h, const char *file, size_t line,
		    int add, uint32_t *id, struct eph_err *err)
{
	char name[SIM_CLASS_MAX];
	size_t i;

	if (h->n < NAME_HEX)
		return eph_err_set(err, EPH_EFORMAT, "%s: line %zu: HashFunction too short", file,
				   line);
	for (i = 0; i < NAME_HEX; i++) {
		char c = h->p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return eph_err_set(err, EPH_EFORMAT, "%s: line %zu: HashFunction not hex",
					   file, line);
	}
	memcpy(name, "az-", 3);
	memcpy(name + 3, h->p, NAME_HEX);
	if (!add)
		return sim_trace_class_find(a->t, name, 3 + NAME_HEX, id) < 0 ? EPH_ENOTFOUND : 0;
	return sim_trace_class_id(a->t, name, 3 + NAME_HEX, id, err);
}

static int read_invocations(struct az *a, const char *path, struct eph_err *err)
{
	struct sim__field *f = NULL;
	struct sim__lines ls;
	uint8_t *buf = NULL;
	const char *p = NULL;
	size_t len = 0, n = 0;
	int k, rc, ncol = 0, c_fn = -1, c_own = -1;
	uint64_t v;

	f = calloc(SIM__CSV_MAX_FIELDS + 1, sizeof(*f));
	if (f == NULL)
		return eph_err_set(err, EPH_ENOMEM, "azure: out of memory");
	rc = sim__read_file(&buf, &len, path, err);
	if (rc < 0)
		goto out;
	sim__lines_init(&ls, buf, len);
	while ((rc = sim__lines_next(&ls, &p, &n, err)) > 0) {
		uint32_t id;
		unsigned m;

		if (n == 0)
			continue;
		k = sim__split(p, n, ',', f, SIM__CSV_MAX_FIELDS + 1);
		if (k < 0 || k > SIM__CSV_MAX_FIELDS) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu: too many columns", path,
					 ls.line);
			break;
		}
		if (ncol == 0) {
			c_fn = sim__col(f, k, "HashFunction");
			c_own = sim__col(f, k, "HashOwner");
			if (c_fn != 2 || c_own != 0 || k < 5 || k - 4 > MAX_MINUTES) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "%s: line 1: header is not HashOwner,HashApp,"
						 "HashFunction,Trigger,<minutes>", path);
				break;
			}
			ncol = k;
			a->nmin = (unsigned)(k - 4);
			continue;
		}
		if (k != ncol) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu, column %d: expected %d columns",
					 path, ls.line, k < ncol ? k : ncol + 1, ncol);
			break;
		}
		rc = fn_class(a, &f[c_fn], path, ls.line, 1, &id, err);
		if (rc < 0)
			break;
		if (id >= a->nfn) {
			uint32_t cap = a->nfn ? a->nfn * 2 : 256;
			void *q;

			while (cap <= id)
				cap *= 2;
			q = realloc(a->fn, cap * sizeof(*a->fn));
			if (q == NULL) {
				rc = eph_err_set(err, EPH_ENOMEM, "azure: out of memory");
				break;
			}
			a->fn = q;
			memset(a->fn + a->nfn, 0, (cap - a->nfn) * sizeof(*a->fn));
			a->nfn = cap;
		}
		if (a->fn[id].count != NULL) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu: function listed twice", path,
					 ls.line);
			break;
		}
		a->fn[id].count = calloc(a->nmin, sizeof(uint32_t));
		if (a->fn[id].count == NULL) {
			rc = eph_err_set(err, EPH_ENOMEM, "azure: out of memory");
			break;
		}
		{
			char c0 = f[c_own].n ? f[c_own].p[0] : '0';

			a->fn[id].sens = (uint8_t)(c0 >= 'e' ? SIM_SENS_HIGH :
						   c0 >= 'a' ? SIM_SENS_MEDIUM : SIM_SENS_LOW);
		}
		for (m = 0; m < a->nmin; m++) {
			if (sim__f_u64(&f[4 + m], 0, 100000000, &v) < 0) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "%s: line %zu, column %u: not a count", path, ls.line,
						 m + 5);
				goto out;
			}
			a->fn[id].count[m] = (uint32_t)v;
		}
	}
	if (rc == 0 && ncol == 0)
		rc = eph_err_set(err, EPH_EFORMAT, "%s: no header", path);
out:
	free(buf);
	free(f);
	return rc;
}

/* durations.csv (mem = 0) or memory.csv (mem = 1) */
static int read_stats(struct az *a, const char *path, int mem, struct eph_err *err)
{
	static const char *const dcol[7] = {
		"percentile_Average_0",	 "percentile_Average_1",  "percentile_Average_25",
		"percentile_Average_50", "percentile_Average_75", "percentile_Average_99",
		"percentile_Average_100",
	};
	static const char *const mcol[8] = {
		"AverageAllocatedMb_pct1",  "AverageAllocatedMb_pct5",	"AverageAllocatedMb_pct25",
		"AverageAllocatedMb_pct50", "AverageAllocatedMb_pct75", "AverageAllocatedMb_pct95",
		"AverageAllocatedMb_pct99", "AverageAllocatedMb_pct100",
	};
	struct sim__field f[64];
	struct sim__lines ls;
	uint8_t *buf = NULL;
	const char *p = NULL;
	size_t len = 0, n = 0;
	int col[8], nk = mem ? 8 : 7, k, rc, ncol = 0, c_fn = -1, i;

	rc = sim__read_file(&buf, &len, path, err);
	if (rc < 0)
		return rc;
	sim__lines_init(&ls, buf, len);
	while ((rc = sim__lines_next(&ls, &p, &n, err)) > 0) {
		struct fn *fn;
		uint32_t id;
		double v[8];

		if (n == 0)
			continue;
		k = sim__split(p, n, ',', f, 64);
		if (k < 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu: too many columns", path,
					 ls.line);
			break;
		}
		if (ncol == 0) {
			c_fn = sim__col(f, k, "HashFunction");
			for (i = 0; i < nk; i++)
				col[i] = sim__col(f, k, mem ? mcol[i] : dcol[i]);
			for (i = 0; i < nk; i++)
				if (col[i] < 0)
					break;
			if (c_fn < 0 || i < nk) {
				rc = eph_err_set(err, EPH_EFORMAT, "%s: line 1: missing column %s", path,
						 c_fn < 0 ? "HashFunction" : mem ? mcol[i] : dcol[i]);
				break;
			}
			ncol = k;
			continue;
		}
		if (k != ncol) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu: expected %d columns", path,
					 ls.line, ncol);
			break;
		}
		rc = fn_class(a, &f[c_fn], path, ls.line, 0, &id, err);
		if (rc == EPH_ENOTFOUND || (rc == 0 && (id >= a->nfn || !a->fn[id].count))) {
			rc = 0; /* a function without invocations: nothing to do */
			continue;
		}
		if (rc < 0)
			break;
		for (i = 0; i < nk; i++) {
			if (sim__f_double(&f[col[i]], 0, 1e9, &v[i]) < 0 ||
			    (i > 0 && v[i] < v[i - 1])) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "%s: line %zu, column %d: bad or unordered percentile",
						 path, ls.line, col[i] + 1);
				goto out;
			}
		}
		fn = &a->fn[id];
		if (mem) {
			memcpy(fn->mem_mb, v, sizeof(fn->mem_mb));
			fn->have_mem = 1;
		} else {
			memcpy(fn->dur_ms, v, sizeof(fn->dur_ms));
			fn->have_dur = 1;
		}
	}
	if (rc == 0 && ncol == 0)
		rc = eph_err_set(err, EPH_EFORMAT, "%s: no header", path);
out:
	free(buf);
	return rc;
}

static uint32_t ceil32(double v)
{
	return v <= 0 ? 0 : v >= 4e9 ? 4000000000u : (uint32_t)ceil(v);
}

static int generate(struct az *a, const struct sim_conv_opts *o, struct eph_err *err)
{
	static const double dq[7] = { 0, 0.01, 0.25, 0.5, 0.75, 0.99, 1 };
	static const double mq[8] = { 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1 };
	uint32_t id;
	unsigned m, j;
	int rc;

	for (id = 0; id < a->t->ncls && id < a->nfn; id++) {
		struct fn *fn = &a->fn[id];

		if (fn->count == NULL || !fn->have_dur || !fn->have_mem)
			continue;
		for (m = 0; m < a->nmin; m++) {
			unsigned c = fn->count[m];

			if (o->max_per_minute && c > o->max_per_minute)
				c = o->max_per_minute;
			for (j = 0; j < c; j++) {
				struct sim_request r = { 0 };
				uint64_t key = (uint64_t)m << 32 | j;
				double u = sim__hash_unif(o->seed, id, key);
				double ud = sim__hash_unif(o->seed ^ 0xd0, id, key);
				double um = sim__hash_unif(o->seed ^ 0x3e, id, key);
				double mem, cpu;

				r.arrival_s = 60.0 * m + 60.0 * (j + u) / c;
				r.duration_s = sim__knots(dq, fn->dur_ms, 7, ud) / 1000.0;
				if (r.duration_s < 0.001)
					r.duration_s = 0.001;
				if (o->max_duration_s > 0 && r.duration_s > o->max_duration_s)
					r.duration_s = o->max_duration_s;
				mem = sim__knots(mq, fn->mem_mb, 8, um);
				cpu = mem / 1769.0 * 1000.0;
				if (cpu < 50)
					cpu = 50;
				r.cls = id;
				r.role = SIM_ROLE_FUNCTION;
				r.sens = fn->sens;
				r.role_conf = 1.0f;
				r.sens_conf = 0.5f;
				r.usage_src = SIM_USAGE_DERIVED;
				r.asked_cpu = 1000;
				r.asked_mem = 1536;
				r.mem_max = r.mem_p95 = r.mem_p50 = ceil32(mem);
				r.cpu_max = ceil32(cpu);
				r.cpu_p95 = ceil32(0.9 * cpu);
				r.cpu_p50 = ceil32(0.6 * cpu);
				rc = sim_trace_push(a->t, &r, err);
				if (rc < 0)
					return rc;
			}
		}
	}
	return 0;
}

int sim_trace_from_azure_functions(struct sim_trace **out, const char *dir,
				   const struct sim_conv_opts *o, struct eph_err *err)
{
	struct az a = { 0 };
	char path[4096];
	static const char *const files[3] = { "invocations.csv", "durations.csv", "memory.csv" };
	uint32_t i;
	int rc, n, which;

	*out = NULL;
	rc = sim_trace_new(&a.t, err);
	if (rc < 0)
		return rc;
	snprintf(a.t->source, sizeof(a.t->source), "azure-functions-2019");
	for (which = 0; which < 3; which++) {
		n = snprintf(path, sizeof(path), "%s/%s", dir, files[which]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			rc = eph_err_set(err, EPH_EFAIL, "azure: path too long");
			goto out;
		}
		rc = which == 0 ? read_invocations(&a, path, err) :
				  read_stats(&a, path, which == 2, err);
		if (rc < 0)
			goto out;
	}
	rc = generate(&a, o, err);
	if (rc < 0)
		goto out;
	sim_trace_sort(a.t);
	*out = a.t;
	a.t = NULL;
out:
	for (i = 0; i < a.nfn; i++)
		free(a.fn[i].count);
	free(a.fn);
	sim_trace_free(a.t);
	return rc;
}
