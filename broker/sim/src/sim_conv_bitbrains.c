/*
 * sim_conv_bitbrains.c - GWA-T-12 Bitbrains (Rnd) VM traces to requests.
 *
 * Input: a folder of <anything>_<vm>.csv files, one VM each, fields
 * separated by ';' plus a TAB, one header line, then one row per ~300 s:
 *   1372629804;	1;	2925.99956;	5.85199912;	0.2;	2097152.0;	130021.6;	...
 *   (Unix s; cores; CPU provisioned MHz; CPU used MHz; used %; memory
 *    provisioned KB; memory used KB; disk and network, ignored)
 * The header says "[ms]" but the values are seconds (a known GWA quirk).
 *
 * Conversion: each VM's month is cut into windows of o->window_s seconds
 * aligned to multiples of it in Unix time; each window with at least 3
 * samples is one request of class "bb-<vm>": asked = the provisioned size
 * (cores * 1000 m, provisioned KB / 1024, the window's maximum), duration =
 * the window, usage = p50/p95/max of the window's samples (CPU m = used MHz /
 * provisioned MHz * cores * 1000; memory MiB = used KB / 1024): MEASURED.
 * Attributes are not in the trace: role service (confidence 1: the
 * operator registers VMs), sensitivity medium (confidence 0.5: assumed).
 * Arrivals are relative to the earliest window of all VMs.
 * Deliberately not read: disk and network columns; files other than *.csv.
 */
#define _POSIX_C_SOURCE 200809L /* opendir */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

#define MAX_FILES 4096
#define MAX_WIN_SAMPLES 512
#define MIN_WIN_SAMPLES 3

struct win {
	double start; /* Unix s, -1 when empty */
	unsigned n;
	double cpu[MAX_WIN_SAMPLES], mem[MAX_WIN_SAMPLES];
	double asked_cpu, asked_mem;
};

static uint32_t ceil32(double v)
{
	return v <= 0 ? 0 : v >= 4e9 ? 4000000000u : (uint32_t)ceil(v);
}

static int flush(struct sim_trace *t, struct win *w, uint32_t cls, const struct sim_conv_opts *o,
		 struct eph_err *err)
{
	struct sim_request r = { 0 };
	int rc;

	if (w->start < 0 || w->n < MIN_WIN_SAMPLES) {
		w->start = -1;
		w->n = 0;
		return 0;
	}
	r.arrival_s = w->start; /* made relative by the caller */
	r.duration_s = o->window_s;
	if (o->max_duration_s > 0 && r.duration_s > o->max_duration_s)
		r.duration_s = o->max_duration_s;
	r.cls = cls;
	r.role = SIM_ROLE_SERVICE;
	r.sens = SIM_SENS_MEDIUM;
	r.role_conf = 1.0f;
	r.sens_conf = 0.5f;
	r.usage_src = SIM_USAGE_MEASURED;
	r.asked_cpu = ceil32(w->asked_cpu);
	r.asked_mem = ceil32(w->asked_mem);
	if (r.asked_cpu == 0)
		r.asked_cpu = 1;
	if (r.asked_mem == 0)
		r.asked_mem = 1;
	r.cpu_p50 = ceil32(sim__pct_d(w->cpu, w->n, 0.5));
	r.cpu_p95 = ceil32(sim__pct_d(w->cpu, w->n, 0.95));
	r.cpu_max = ceil32(w->cpu[w->n - 1]);
	r.mem_p50 = ceil32(sim__pct_d(w->mem, w->n, 0.5));
	r.mem_p95 = ceil32(sim__pct_d(w->mem, w->n, 0.95));
	r.mem_max = ceil32(w->mem[w->n - 1]);
	rc = sim_trace_push(t, &r, err);
	w->start = -1;
	w->n = 0;
	return rc;
}

static int one_vm(struct sim_trace *t, const char *path, uint32_t cls,
		  const struct sim_conv_opts *o, struct win *w, struct eph_err *err)
{
	struct sim__lines ls;
	struct sim__field f[16];
	uint8_t *buf = NULL;
	const char *p = NULL;
	size_t len = 0, n = 0;
	int k, rc, col;

	rc = sim__read_file(&buf, &len, path, err);
	if (rc < 0)
		return rc;
	sim__lines_init(&ls, buf, len);
	w->start = -1;
	w->n = 0;
	while ((rc = sim__lines_next(&ls, &p, &n, err)) > 0) {
		double ts, cores, cap, used, mprov, mused, ws;

		if (ls.line == 1 || n == 0)
			continue; /* header */
		k = sim__split(p, n, ';', f, 16);
		if (k < 7) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu: expected 11 fields", path,
					 ls.line);
			break;
		}
		col = 0;
		if (sim__f_double(&f[0], 0, 1e11, &ts) < 0 ||
		    (col = 1, sim__f_double(&f[1], 0, 4096, &cores) < 0) ||
		    (col = 2, sim__f_double(&f[2], 0, 1e8, &cap) < 0) ||
		    (col = 3, sim__f_double(&f[3], 0, 1e8, &used) < 0) ||
		    (col = 5, sim__f_double(&f[5], 0, 1e12, &mprov) < 0) ||
		    (col = 6, sim__f_double(&f[6], 0, 1e12, &mused) < 0)) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu, column %d: bad number",
					 path, ls.line, col + 1);
			break;
		}
		ws = floor(ts / o->window_s) * o->window_s;
		if (w->start >= 0 && ws != w->start) {
			if (ws < w->start) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "%s: line %zu: timestamp goes back in time", path,
						 ls.line);
				break;
			}
			rc = flush(t, w, cls, o, err);
			if (rc < 0)
				break;
		}
		if (w->start < 0) {
			w->start = ws;
			w->asked_cpu = 0;
			w->asked_mem = 0;
		}
		if (w->n < MAX_WIN_SAMPLES) {
			w->cpu[w->n] = cap > 0 ? used / cap * cores * 1000.0 : 0;
			w->mem[w->n] = mused / 1024.0;
			w->n++;
		}
		if (cores * 1000.0 > w->asked_cpu)
			w->asked_cpu = cores * 1000.0;
		if (mprov / 1024.0 > w->asked_mem)
			w->asked_mem = mprov / 1024.0;
	}
	if (rc == 0)
		rc = flush(t, w, cls, o, err);
	free(buf);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "2013-7_16.csv" -> "bb-16"; the part after the last '_' (or the stem). */
static int class_name(char *out, size_t cap, const char *file)
{
	size_t n = strlen(file) - 4; /* without ".csv" */
	const char *s = file, *u = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (file[i] == '_')
			u = file + i + 1;
	if (u != NULL && u < file + n)
		s = u;
	n -= (size_t)(s - file);
	if (n == 0 || n + 4 > cap)
		return -1;
	memcpy(out, "bb-", 3);
	memcpy(out + 3, s, n);
	out[3 + n] = '\0';
	return 0;
}

int sim_trace_from_bitbrains_dir(struct sim_trace **out, const char *dir,
				 const struct sim_conv_opts *o, struct eph_err *err)
{
	struct sim_trace *t = NULL;
	struct win *w = NULL;
	char **names = NULL;
	size_t nnames = 0, i;
	DIR *d = NULL;
	struct dirent *de;
	double t0 = -1;
	char path[4096], cname[SIM_CLASS_MAX];
	int rc;

	*out = NULL;
	if (!(o->window_s >= 60) || !isfinite(o->window_s))
		return eph_err_set(err, EPH_EFAIL, "bitbrains: window_s must be >= 60");
	d = opendir(dir);
	if (d == NULL)
		return eph_err_set(err, EPH_ENOTFOUND, "bitbrains: cannot open folder %s", dir);
	rc = EPH_ENOMEM;
	names = calloc(MAX_FILES, sizeof(*names));
	w = malloc(sizeof(*w));
	if (names == NULL || w == NULL)
		goto nomem;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".csv") != 0 || de->d_name[0] == '.')
			continue;
		if (nnames == MAX_FILES) {
			rc = eph_err_set(err, EPH_EFAIL, "bitbrains: more than %d files in %s",
					 MAX_FILES, dir);
			goto out;
		}
		names[nnames] = malloc(n + 1);
		if (names[nnames] == NULL)
			goto nomem;
		memcpy(names[nnames], de->d_name, n + 1);
		nnames++;
	}
	if (nnames == 0) {
		rc = eph_err_set(err, EPH_ENOTFOUND, "bitbrains: no .csv files in %s", dir);
		goto out;
	}
	qsort(names, nnames, sizeof(*names), name_cmp); /* readdir order is not stable */
	rc = sim_trace_new(&t, err);
	if (rc < 0)
		goto out;
	snprintf(t->source, sizeof(t->source), "bitbrains");
	for (i = 0; i < nnames; i++) {
		uint32_t cls;
		int n;

		if (class_name(cname, sizeof(cname), names[i]) < 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "bitbrains: file name %s too long",
					 names[i]);
			goto out;
		}
		rc = sim_trace_class_id(t, cname, strlen(cname), &cls, err);
		if (rc < 0) {
			rc = eph_err_prefix(err, rc, "bitbrains: %s", names[i]);
			goto out;
		}
		n = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			rc = eph_err_set(err, EPH_EFAIL, "bitbrains: path too long");
			goto out;
		}
		rc = one_vm(t, path, cls, o, w, err);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < t->n; i++)
		if (t0 < 0 || t->req[i].arrival_s < t0)
			t0 = t->req[i].arrival_s;
	for (i = 0; i < t->n; i++)
		t->req[i].arrival_s -= t0;
	sim_trace_sort(t);
	*out = t;
	t = NULL;
	rc = 0;
	goto out;
nomem:
	rc = eph_err_set(err, EPH_ENOMEM, "bitbrains: out of memory");
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(w);
	sim_trace_free(t);
	return rc;
}
