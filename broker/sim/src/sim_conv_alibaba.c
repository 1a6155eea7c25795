/*
 * sim_conv_alibaba.c - Alibaba cluster-trace-gpu-v2023 pods to requests.
 *
 * Input (comma-separated, one header line, columns found by name):
 *   openb_pod_list_default.csv  name,cpu_milli,memory_mib,num_gpu,gpu_milli,
 *       gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
 *       e.g. openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0
 *   openb_node_list_all_node.csv  sn,cpu_milli,memory_mib,gpu,model
 *
 * Conversion (docs/sim-trace-format.md, "Alibaba"):
 *  - arrival = creation_time, duration = deletion_time - creation_time (at
 *    least 1 s); pods never scheduled (empty scheduled_time) are left out;
 *  - asked = cpu_milli, memory_mib (at least 1); GPUs are ignored;
 *  - class "ali-<qos>-<gpu|cpu>"; role ml for GPU pods, else service (LS,
 *    Guaranteed) or batch (BE, Burstable); sensitivity high for Guaranteed,
 *    medium for LS, low otherwise (confidence 0.5: assumed);
 *  - USAGE IS SYNTHETIC (the trace has none): per pod, CPU peak = f * asked
 *    with f = exp(N(ln 0.35, 0.6)) clipped to [0.02, 1.5], p95 = 0.85 and
 *    p50 = 0.5 of the peak; memory peak = g * asked with
 *    g = exp(N(ln 0.5, 0.4)) clipped to [0.05, 1.2], p95 = 0.95, p50 = 0.85
 *    of the peak; N drawn from a hash of (seed, pod row);
 *  - the node list (optional) sets the host pool hint: the sum of the nodes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-priv.h"

enum { C_CPU, C_MEM, C_NGPU, C_GPUM, C_QOS, C_CREATE, C_DELETE, C_SCHED, NC };

static const char *const cname[NC] = {
	"cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "qos",
	"creation_time", "deletion_time", "scheduled_time",
};

static uint32_t ceil32(double v)
{
	return v <= 0 ? 0 : v >= 4e9 ? 4000000000u : (uint32_t)ceil(v);
}

static double hnorm(uint64_t seed, uint64_t row, uint64_t salt)
{
	double u1 = sim__hash_unif(seed, row, salt);
	double u2 = sim__hash_unif(seed, row, salt + 1);

	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double clip(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int pod_row(struct sim_trace *t, const struct sim__field *f, const int *col,
		   size_t line, const struct sim_conv_opts *o, const char *path,
		   struct eph_err *err)
{
	struct sim_request r = { 0 };
	const struct sim__field *q = &f[col[C_QOS]];
	double cpu, mem, ngpu, gpum, t0, t1, fc, fm;
	char name[SIM_CLASS_MAX];
	int gpu, n, i = 0;
	uint32_t id;

	if (f[col[C_SCHED]].n == 0)
		return 0; /* never scheduled */
	if (sim__f_double(&f[col[i = C_CPU]], 0, 1e8, &cpu) < 0 ||
	    sim__f_double(&f[col[i = C_MEM]], 0, 1e9, &mem) < 0 ||
	    sim__f_double(&f[col[i = C_NGPU]], 0, 1024, &ngpu) < 0 ||
	    sim__f_double(&f[col[i = C_GPUM]], 0, 1e6, &gpum) < 0 ||
	    sim__f_double(&f[col[i = C_CREATE]], 0, 1e11, &t0) < 0 ||
	    sim__f_double(&f[col[i = C_DELETE]], 0, 1e11, &t1) < 0 || t1 < t0)
		return eph_err_set(err, EPH_EFORMAT, "%s: line %zu, column %d (%s): bad value",
				   path, line, col[i] + 1, cname[i]);
	if (!(sim__f_eq(q, "LS") || sim__f_eq(q, "BE") || sim__f_eq(q, "Burstable") ||
	      sim__f_eq(q, "Guaranteed")))
		return eph_err_set(err, EPH_EFORMAT, "%s: line %zu, column %d (qos): unknown class",
				   path, line, col[C_QOS] + 1);
	gpu = ngpu > 0 || gpum > 0;
	n = snprintf(name, sizeof(name), "ali-%.*s-%s", (int)q->n, q->p, gpu ? "gpu" : "cpu");
	if (n < 0 || (size_t)n >= sizeof(name))
		return eph_err_set(err, EPH_EFAIL, "alibaba: class name too long");
	if (sim_trace_class_id(t, name, (size_t)n, &id, err) < 0)
		return eph_err_prefix(err, EPH_EFORMAT, "%s: line %zu", path, line);
	r.arrival_s = t0;
	r.duration_s = t1 - t0 < 1 ? 1 : t1 - t0;
	if (o->max_duration_s > 0 && r.duration_s > o->max_duration_s)
		r.duration_s = o->max_duration_s;
	r.cls = id;
	r.role = (uint8_t)(gpu ? SIM_ROLE_ML :
			   (sim__f_eq(q, "LS") || sim__f_eq(q, "Guaranteed")) ? SIM_ROLE_SERVICE :
									     SIM_ROLE_BATCH);
	r.sens = (uint8_t)(sim__f_eq(q, "Guaranteed") ? SIM_SENS_HIGH :
			   sim__f_eq(q, "LS") ? SIM_SENS_MEDIUM : SIM_SENS_LOW);
	r.role_conf = 1.0f;
	r.sens_conf = 0.5f;
	r.usage_src = SIM_USAGE_SYNTHETIC;
	r.asked_cpu = cpu < 1 ? 1 : ceil32(cpu);
	r.asked_mem = mem < 1 ? 1 : ceil32(mem);
	fc = clip(exp(log(0.35) + 0.6 * hnorm(o->seed, line, 1)), 0.02, 1.5);
	fm = clip(exp(log(0.5) + 0.4 * hnorm(o->seed, line, 3)), 0.05, 1.2);
	r.cpu_max = ceil32(fc * r.asked_cpu);
	r.cpu_p95 = ceil32(0.85 * fc * r.asked_cpu);
	r.cpu_p50 = ceil32(0.5 * fc * r.asked_cpu);
	r.mem_max = ceil32(fm * r.asked_mem);
	r.mem_p95 = ceil32(0.95 * fm * r.asked_mem);
	r.mem_p50 = ceil32(0.85 * fm * r.asked_mem);
	return sim_trace_push(t, &r, err);
}

static int read_table(const char *path, int pods, struct sim_trace *t,
		      const struct sim_conv_opts *o, struct eph_err *err)
{
	struct sim__field f[32];
	struct sim__lines ls;
	uint8_t *buf = NULL;
	const char *p = NULL;
	size_t len = 0, n = 0;
	int col[NC], k, rc, ncol = 0, i;
	double cpu, mem;

	rc = sim__read_file(&buf, &len, path, err);
	if (rc < 0)
		return rc;
	sim__lines_init(&ls, buf, len);
	while ((rc = sim__lines_next(&ls, &p, &n, err)) > 0) {
		if (n == 0)
			continue;
		k = sim__split(p, n, ',', f, 32);
		if (k < 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu: too many columns", path,
					 ls.line);
			break;
		}
		if (ncol == 0) {
			for (i = 0; i < (pods ? NC : 2); i++) {
				col[i] = sim__col(f, k, cname[i]);
				if (col[i] < 0) {
					rc = eph_err_set(err, EPH_EFORMAT,
							 "%s: line 1: missing column %s", path,
							 cname[i]);
					goto out;
				}
			}
			ncol = k;
			continue;
		}
		if (k != ncol) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu: expected %d columns", path,
					 ls.line, ncol);
			break;
		}
		if (pods) {
			rc = pod_row(t, f, col, ls.line, o, path, err);
			if (rc < 0)
				break;
			continue;
		}
		if (sim__f_double(&f[col[C_CPU]], 0, 1e8, &cpu) < 0 ||
		    sim__f_double(&f[col[C_MEM]], 0, 1e10, &mem) < 0) {
			rc = eph_err_set(err, EPH_EFORMAT, "%s: line %zu: bad node capacity", path,
					 ls.line);
			break;
		}
		t->cap_cpu += cpu;
		t->cap_mem += mem;
	}
	if (rc == 0 && ncol == 0)
		rc = eph_err_set(err, EPH_EFORMAT, "%s: no header", path);
out:
	free(buf);
	return rc;
}

int sim_trace_from_alibaba_pods(struct sim_trace **out, const char *pod_csv,
				const char *node_csv, const struct sim_conv_opts *o,
				struct eph_err *err)
{
	struct sim_trace *t = NULL;
	int rc;

	*out = NULL;
	rc = sim_trace_new(&t, err);
	if (rc < 0)
		return rc;
	snprintf(t->source, sizeof(t->source), "alibaba-gpu-v2023 (synthetic usage)");
	rc = read_table(pod_csv, 1, t, o, err);
	if (rc == 0 && node_csv != NULL)
		rc = read_table(node_csv, 0, t, o, err);
	if (rc < 0) {
		sim_trace_free(t);
		return rc;
	}
	sim_trace_sort(t);
	*out = t;
	return 0;
}
