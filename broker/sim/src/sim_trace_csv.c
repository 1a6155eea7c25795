/*
 * sim_trace_csv.c - Ephemera's own trace format (docs/sim-trace-format.md):
 * parse it from untrusted bytes and write it.
 *
 * Format: UTF-8/ASCII text, one request per line, comma-separated, no
 * quoting; lines starting with '#' and empty lines are ignored; the first
 * other line is the header, exactly:
 *   arrival_s,class,role,sensitivity,role_conf,sensitivity_conf,
 *   asked_vcpu_milli,asked_mem_mib,duration_s,cpu_p50_milli,cpu_p95_milli,
 *   cpu_max_milli,mem_p50_mib,mem_p95_mib,mem_max_mib,usage_source
 * Example row:
 *   3600,bb-16,service,medium,0.9,0.9,1000,2048,3600,6,8,12,127,131,135,measured
 * Rows must be in non-decreasing arrival order. Every error names the line
 * and the 1-based column. Deliberately not accepted: quoting, other column
 * orders, extra columns, hex/inf/nan numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

#define NCOL 16
#define U_MAX 100000000ull /* 100,000 vCPU or ~95 TiB: more is not a request */

static const char *const col_name[NCOL] = {
	"arrival_s",	    "class",	       "role",		 "sensitivity",
	"role_conf",	    "sensitivity_conf", "asked_vcpu_milli", "asked_mem_mib",
	"duration_s",	    "cpu_p50_milli",   "cpu_p95_milli",	 "cpu_max_milli",
	"mem_p50_mib",	    "mem_p95_mib",     "mem_max_mib",	 "usage_source",
};

static const char *const role_name[SIM_ROLE_N] = { "service", "batch", "function", "ml" };
static const char *const sens_name[SIM_SENS_N] = { "low", "medium", "high" };
static const char *const src_name[SIM_USAGE_N] = { "measured", "derived", "synthetic" };

static int enum_of(const struct sim__field *f, const char *const *names, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (sim__f_eq(f, names[i]))
			return (int)i;
	return -1;
}

static int bad(struct eph_err *err, size_t line, unsigned col, const char *what)
{
	return eph_err_set(err, EPH_EFORMAT, "line %zu, column %u (%s): %s", line, col + 1,
			   col_name[col], what);
}

static int parse_row(struct sim_trace *t, const struct sim__field *f, size_t line,
		     struct sim_request *r, struct eph_err *err)
{
	uint64_t u[6];
	double d;
	int e;
	unsigned i;

	memset(r, 0, sizeof(*r));
	if (sim__f_double(&f[0], 0, 1e12, &r->arrival_s) < 0)
		return bad(err, line, 0, "not a number in [0, 1e12]");
	if (sim_trace_class_id(t, f[1].p, f[1].n, &r->cls, err) < 0)
		return eph_err_prefix(err, EPH_EFORMAT, "line %zu, column 2 (class)", line);
	if ((e = enum_of(&f[2], role_name, SIM_ROLE_N)) < 0)
		return bad(err, line, 2, "not service, batch, function or ml");
	r->role = (uint8_t)e;
	if ((e = enum_of(&f[3], sens_name, SIM_SENS_N)) < 0)
		return bad(err, line, 3, "not low, medium or high");
	r->sens = (uint8_t)e;
	if (sim__f_double(&f[4], 0, 1, &d) < 0)
		return bad(err, line, 4, "not a number in [0, 1]");
	r->role_conf = (float)d;
	if (sim__f_double(&f[5], 0, 1, &d) < 0)
		return bad(err, line, 5, "not a number in [0, 1]");
	r->sens_conf = (float)d;
	if (sim__f_u64(&f[6], 1, U_MAX, &u[0]) < 0)
		return bad(err, line, 6, "not an integer in [1, 1e8]");
	if (sim__f_u64(&f[7], 1, U_MAX, &u[1]) < 0)
		return bad(err, line, 7, "not an integer in [1, 1e8]");
	r->asked_cpu = (uint32_t)u[0];
	r->asked_mem = (uint32_t)u[1];
	if (sim__f_double(&f[8], 1e-6, 1e10, &r->duration_s) < 0)
		return bad(err, line, 8, "not a number in [1e-6, 1e10]");
	for (i = 0; i < 6; i++)
		if (sim__f_u64(&f[9 + i], 0, U_MAX, &u[i]) < 0)
			return bad(err, line, 9 + i, "not an integer in [0, 1e8]");
	if (u[0] > u[1] || u[1] > u[2])
		return bad(err, line, 10, "cpu percentiles must satisfy p50 <= p95 <= max");
	if (u[3] > u[4] || u[4] > u[5])
		return bad(err, line, 13, "mem percentiles must satisfy p50 <= p95 <= max");
	r->cpu_p50 = (uint32_t)u[0];
	r->cpu_p95 = (uint32_t)u[1];
	r->cpu_max = (uint32_t)u[2];
	r->mem_p50 = (uint32_t)u[3];
	r->mem_p95 = (uint32_t)u[4];
	r->mem_max = (uint32_t)u[5];
	if ((e = enum_of(&f[15], src_name, SIM_USAGE_N)) < 0)
		return bad(err, line, 15, "not measured, derived or synthetic");
	r->usage_src = (uint8_t)e;
	return 0;
}

int sim_trace_parse_csv(struct sim_trace **out, const uint8_t *buf, size_t len,
			struct eph_err *err)
{
	struct sim_trace *t = NULL;
	struct sim__lines ls;
	struct sim__field f[NCOL + 1];
	struct sim_request r;
	const char *p = NULL;
	size_t n = 0;
	int have_header = 0, k, rc;
	unsigned i;

	*out = NULL;
	rc = sim_trace_new(&t, err);
	if (rc < 0)
		return rc;
	snprintf(t->source, sizeof(t->source), "csv");
	sim__lines_init(&ls, buf, len);
	while ((rc = sim__lines_next(&ls, &p, &n, err)) > 0) {
		if (n == 0 || p[0] == '#')
			continue;
		k = sim__split(p, n, ',', f, NCOL + 1);
		if (k < 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "line %zu: quote or too many columns",
					 ls.line);
			goto out;
		}
		if (k != NCOL) {
			rc = eph_err_set(err, EPH_EFORMAT, "line %zu, column %d: expected %d columns",
					 ls.line, k < NCOL ? k : NCOL + 1, NCOL);
			goto out;
		}
		if (!have_header) {
			for (i = 0; i < NCOL; i++) {
				if (!sim__f_eq(&f[i], col_name[i])) {
					rc = eph_err_set(err, EPH_EFORMAT,
							 "line %zu, column %u: header must be %s",
							 ls.line, i + 1, col_name[i]);
					goto out;
				}
			}
			have_header = 1;
			continue;
		}
		rc = parse_row(t, f, ls.line, &r, err);
		if (rc < 0)
			goto out;
		if (t->n > 0 && r.arrival_s < t->req[t->n - 1].arrival_s) {
			rc = bad(err, ls.line, 0, "arrival before the previous row's");
			goto out;
		}
		rc = sim_trace_push(t, &r, err);
		if (rc < 0) {
			rc = eph_err_prefix(err, rc, "line %zu", ls.line);
			goto out;
		}
	}
	if (rc < 0)
		goto out;
	if (!have_header) {
		rc = eph_err_set(err, EPH_EFORMAT, "line %zu: no header line", ls.line);
		goto out;
	}
	*out = t;
	return 0;
out:
	sim_trace_free(t);
	return rc;
}

int sim_trace_load_csv(struct sim_trace **out, const char *path, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = sim__read_file(&buf, &len, path, err);
	if (rc < 0)
		return rc;
	rc = sim_trace_parse_csv(out, buf, len, err);
	if (rc < 0)
		eph_err_prefix(err, rc, "%s", path);
	free(buf);
	return rc;
}

int sim_trace_save_csv(const struct sim_trace *t, const char *path, struct eph_err *err)
{
	char line[512];
	FILE *fp;
	size_t i;
	unsigned c;
	int n, rc = 0;

	fp = fopen(path, "w");
	if (fp == NULL)
		return eph_err_set(err, EPH_EIO, "cannot create %s", path);
	fprintf(fp, "# ephemera sim trace (docs/sim-trace-format.md), source: %s\n", t->source);
	for (c = 0; c < NCOL; c++)
		fprintf(fp, "%s%c", col_name[c], c + 1 < NCOL ? ',' : '\n');
	for (i = 0; i < t->n; i++) {
		const struct sim_request *r = &t->req[i];

		n = snprintf(line, sizeof(line),
			     "%.6f,%s,%s,%s,%.3g,%.3g,%u,%u,%.6g,%u,%u,%u,%u,%u,%u,%s\n",
			     r->arrival_s, t->cls_name[r->cls], role_name[r->role],
			     sens_name[r->sens], (double)r->role_conf, (double)r->sens_conf,
			     r->asked_cpu, r->asked_mem, r->duration_s, r->cpu_p50, r->cpu_p95,
			     r->cpu_max, r->mem_p50, r->mem_p95, r->mem_max, src_name[r->usage_src]);
		if (n < 0 || (size_t)n >= sizeof(line) || fwrite(line, 1, (size_t)n, fp) != (size_t)n) {
			rc = eph_err_set(err, EPH_EIO, "writing %s, request %zu", path, i);
			break;
		}
	}
	if (fclose(fp) != 0 && rc == 0)
		rc = eph_err_set(err, EPH_EIO, "writing %s", path);
	return rc;
}
