/*
 * sim_conv_test.c - the converters on the real public traces (skipped with a
 * visible message when they are absent): counts, ranges, determinism, and
 * the documented assumptions (Azure's asked size and CPU rule, Alibaba's
 * synthetic usage flag). Also bad input to the converters.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <unistd.h>

#include "sim_test_util.h"

static void check_common(const struct sim_trace *t)
{
	struct eph_err err = { { 0 } };
	size_t i;

	cr_assert_eq(sim_trace_check(t, &err), 0, "%s", err.msg);
	for (i = 0; i < t->n; i++) {
		cr_assert(t->req[i].cpu_max <= 4000000u);
		cr_assert(t->req[i].mem_max <= 4000000u);
	}
}

Test(sim_conv, bitbrains)
{
	const char *d = stu_traces("sim_conv::bitbrains");
	struct sim_conv_opts o;
	struct sim_trace *t = NULL;
	struct eph_err err = { { 0 } };
	char dir[4096];
	size_t i, per_cls[16] = { 0 };
	uint32_t c16;

	if (d == NULL)
		cr_skip_test("traces missing");
	snprintf(dir, sizeof(dir), "%s/bitbrains_rnd", d);
	sim_conv_opts_default(&o);
	cr_assert_eq(sim_trace_from_bitbrains_dir(&t, dir, &o, &err), 0, "%s", err.msg);
	check_common(t);
	cr_assert_eq(t->ncls, 10);
	/* 10 VMs x ~720 hourly windows (a month), a few lost to gaps */
	cr_assert(t->n > 6500 && t->n <= 7450, "n %zu", t->n);
	cr_assert_float_eq(t->req[0].arrival_s, 0, 1e-9);
	cr_assert(t->req[t->n - 1].arrival_s < 31 * 86400.0);
	for (i = 0; i < t->n; i++) {
		const struct sim_request *r = &t->req[i];

		cr_assert_eq(r->usage_src, SIM_USAGE_MEASURED);
		cr_assert_float_eq(r->duration_s, 3600, 1e-9);
		cr_assert(r->asked_cpu % 1000 == 0 && r->asked_cpu >= 1000 && r->asked_cpu <= 32000);
		/* 20 samples in the files exceed the provisioned MHz, by up to 55 % */
		cr_assert(r->cpu_max <= 1.6 * r->asked_cpu, "usage far above provisioned");
		cr_assert(r->asked_mem >= 150 && r->asked_mem <= 100000);
		per_cls[r->cls]++;
	}
	for (i = 0; i < 10; i++)
		cr_assert(per_cls[i] > 600, "class %zu has %zu windows", i, per_cls[i]);
	/* VM 16: 1 core, 2 GiB provisioned (README table) */
	cr_assert_eq(sim_trace_class_find(t, "bb-16", 5, &c16), 0);
	for (i = 0; i < t->n; i++)
		if (t->req[i].cls == c16) {
			cr_assert_eq(t->req[i].asked_cpu, 1000);
			cr_assert_eq(t->req[i].asked_mem, 2048);
		}
	sim_trace_free(t);
}

Test(sim_conv, azure_functions)
{
	const char *d = stu_traces("sim_conv::azure_functions");
	struct sim_conv_opts o;
	struct sim_trace *t = NULL, *t2 = NULL, *all = NULL;
	struct eph_err err = { { 0 } };
	char dir[4096];
	size_t i, high = 0;

	if (d == NULL)
		cr_skip_test("traces missing");
	snprintf(dir, sizeof(dir), "%s/azure_functions_2019/invitro_500", d);
	sim_conv_opts_default(&o);
	o.max_per_minute = 2;
	cr_assert_eq(sim_trace_from_azure_functions(&t, dir, &o, &err), 0, "%s", err.msg);
	check_common(t);
	cr_assert_eq(t->ncls, 500);
	/* sum over function-minutes of min(count, 2), computed from the file */
	cr_assert_eq(t->n, 85311);
	cr_assert(t->req[t->n - 1].arrival_s < 480 * 60.0);
	for (i = 0; i < t->n; i++) {
		const struct sim_request *r = &t->req[i];

		cr_assert_eq(r->usage_src, SIM_USAGE_DERIVED);
		cr_assert_eq(r->role, SIM_ROLE_FUNCTION);
		cr_assert_eq(r->asked_cpu, 1000);
		cr_assert_eq(r->asked_mem, 1536);
		cr_assert(r->duration_s >= 0.001 && r->duration_s < 86400.0);
		cr_assert(r->mem_max < 8192, "mem %u", r->mem_max);
		cr_assert(r->cpu_max >= 50 && fabs(r->cpu_max - fmax(50, r->mem_max / 1.769)) < 2,
			  "cpu %u mem %u", r->cpu_max, r->mem_max);
		high += r->sens == SIM_SENS_HIGH;
	}
	cr_assert(high > 0 && high < t->n / 3);
	/* the same seed gives the same trace; no cap gives all 3,037,902 */
	cr_assert_eq(sim_trace_from_azure_functions(&t2, dir, &o, &err), 0);
	cr_assert_eq(t2->n, t->n);
	cr_assert(memcmp(t->req, t2->req, t->n * sizeof(*t->req)) == 0);
	o.max_per_minute = 0;
	cr_assert_eq(sim_trace_from_azure_functions(&all, dir, &o, &err), 0, "%s", err.msg);
	cr_assert_eq(all->n, 3037902);
	sim_trace_free(all);
	sim_trace_free(t);
	sim_trace_free(t2);
}

Test(sim_conv, alibaba_pods)
{
	const char *d = stu_traces("sim_conv::alibaba_pods");
	struct sim_conv_opts o;
	struct sim_trace *t = NULL;
	struct eph_err err = { { 0 } };
	char pods[4096], nodes[4096];
	size_t i, ml = 0;

	if (d == NULL)
		cr_skip_test("traces missing");
	snprintf(pods, sizeof(pods), "%s/alibaba_gpu_v2023/openb_pod_list_default.csv", d);
	snprintf(nodes, sizeof(nodes), "%s/alibaba_gpu_v2023/openb_node_list_all_node.csv", d);
	sim_conv_opts_default(&o);
	cr_assert_eq(sim_trace_from_alibaba_pods(&t, pods, nodes, &o, &err), 0, "%s", err.msg);
	check_common(t);
	/* 8152 pods, 897 never scheduled */
	cr_assert_eq(t->n, 8152 - 897);
	cr_assert(t->ncls >= 6 && t->ncls <= 8);
	cr_assert(t->cap_cpu > 1e7 && t->cap_mem > 1e8, "pool %f %f", t->cap_cpu, t->cap_mem);
	for (i = 0; i < t->n; i++) {
		const struct sim_request *r = &t->req[i];

		cr_assert_eq(r->usage_src, SIM_USAGE_SYNTHETIC);
		cr_assert(r->cpu_max <= 1.5 * r->asked_cpu + 1);
		cr_assert(r->cpu_max >= 0.02 * r->asked_cpu - 1);
		cr_assert(r->mem_max <= 1.2 * r->asked_mem + 1);
		cr_assert(r->duration_s >= 1 && r->arrival_s <= 1.3e7);
		ml += r->role == SIM_ROLE_ML;
	}
	cr_assert(ml > t->n / 2);
	sim_trace_free(t);
}

Test(sim_conv, missing_and_bad_input)
{
	struct sim_conv_opts o;
	struct sim_trace *t = NULL;
	struct eph_err err = { { 0 } };
	char dir[] = "/tmp/sim_bb_XXXXXX", path[256];
	FILE *fp;

	sim_conv_opts_default(&o);
	cr_assert_eq(sim_trace_from_bitbrains_dir(&t, "/nonexistent/x", &o, &err), EPH_ENOTFOUND);
	cr_assert_eq(sim_trace_from_azure_functions(&t, "/nonexistent/x", &o, &err), EPH_ENOTFOUND);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/2013-7_1.csv", dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fputs("Timestamp [ms];\tCPU cores;\tx;\tx;\tx;\tx;\tx\n"
	      "1372629804;\t1;\t2925.9;\t5.8;\t0.2;\t2097152.0;\t130021.6\n"
	      "1372630104;\t1;\t2925.9;\tinf;\t0.2;\t2097152.0;\t130021.6\n",
	      fp);
	fclose(fp);
	cr_assert_eq(sim_trace_from_bitbrains_dir(&t, dir, &o, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "line 3, column 4") != NULL, "%s", err.msg);
	cr_assert_null(t);
	unlink(path);
	rmdir(dir);
}
