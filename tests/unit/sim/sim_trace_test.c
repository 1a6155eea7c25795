/*
 * sim_trace_test.c - Ephemera's trace CSV: good rows parse to the right
 * requests, bad ones fail naming line and column, save/load round-trips,
 * and the time split.
 */
#include <criterion/criterion.h>
#include <unistd.h>

#include "sim_test_util.h"

#define HDR                                                                                       \
	"arrival_s,class,role,sensitivity,role_conf,sensitivity_conf,asked_vcpu_milli,"           \
	"asked_mem_mib,duration_s,cpu_p50_milli,cpu_p95_milli,cpu_max_milli,mem_p50_mib,"         \
	"mem_p95_mib,mem_max_mib,usage_source\n"
#define ROW "0,web-1,service,medium,0.9,0.5,1000,2048,60,100,200,300,400,500,600,measured\n"

static int parse(const char *s, struct sim_trace **t, struct eph_err *err)
{
	return sim_trace_parse_csv(t, (const uint8_t *)s, strlen(s), err);
}

Test(sim_csv, accepts_good_rows)
{
	const char *s = "# comment\n\n" HDR ROW
			"1.5,fn-a,function,high,1,1,250,256,0.001,0,0,0,1,1,1,derived\r\n"
			"1.5,web-1,batch,low,0,0,1,1,1e3,5,5,5,7,8,9,synthetic";
	struct sim_trace *t = NULL;
	struct eph_err err = { { 0 } };

	cr_assert_eq(parse(s, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t->n, 3);
	cr_assert_eq(t->ncls, 2);
	cr_assert_str_eq(sim_trace_class_name(t, t->req[0].cls), "web-1");
	cr_assert_eq(t->req[2].cls, t->req[0].cls);
	cr_assert_eq(t->req[0].role, SIM_ROLE_SERVICE);
	cr_assert_eq(t->req[0].sens, SIM_SENS_MEDIUM);
	cr_assert_float_eq(t->req[0].role_conf, 0.9f, 1e-6);
	cr_assert_eq(t->req[0].asked_mem, 2048);
	cr_assert_eq(t->req[0].cpu_max, 300);
	cr_assert_eq(t->req[0].mem_p95, 500);
	cr_assert_eq(t->req[0].usage_src, SIM_USAGE_MEASURED);
	cr_assert_eq(t->req[1].role, SIM_ROLE_FUNCTION);
	cr_assert_eq(t->req[1].sens, SIM_SENS_HIGH);
	cr_assert_float_eq(t->req[1].duration_s, 0.001, 1e-12);
	cr_assert_eq(t->req[2].usage_src, SIM_USAGE_SYNTHETIC);
	cr_assert_float_eq(t->req[2].duration_s, 1000.0, 1e-9);
	cr_assert_eq(sim_trace_check(t, &err), 0);
	sim_trace_free(t);
}

struct bad_case {
	const char *rows; /* after the header */
	const char *want; /* substring of the message */
};

Test(sim_csv, rejects_bad_rows_with_line_and_column)
{
	static const struct bad_case cases[] = {
		{ "x,web,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2, column 1 (arrival_s)" },
		{ "-1,web,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2, column 1" },
		{ "nan,web,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2, column 1" },
		{ "0x10,web,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2, column 1" },
		{ "0,we b,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2, column 2 (class)" },
		{ "0,,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2, column 2 (class)" },
		{ "0,web,admin,low,1,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2, column 3 (role)" },
		{ "0,web,service,secret,1,1,1,1,1,1,1,1,1,1,1,measured\n",
		  "line 2, column 4 (sensitivity)" },
		{ "0,web,service,low,1.5,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2, column 5" },
		{ "0,web,service,low,1,1,0,1,1,1,1,1,1,1,1,measured\n",
		  "line 2, column 7 (asked_vcpu_milli)" },
		{ "0,web,service,low,1,1,1,-5,1,1,1,1,1,1,1,measured\n", "line 2, column 8" },
		{ "0,web,service,low,1,1,1,1,0,1,1,1,1,1,1,measured\n", "line 2, column 9 (duration_s)" },
		{ "0,web,service,low,1,1,1,1,1,5,4,6,1,1,1,measured\n", "line 2, column 11" },
		{ "0,web,service,low,1,1,1,1,1,1,1,1,3,2,1,measured\n", "line 2, column 14" },
		{ "0,web,service,low,1,1,1,1,1,1,1,1,1,1,99999999999,measured\n",
		  "line 2, column 15 (mem_max_mib)" },
		{ "0,web,service,low,1,1,1,1,1,1,1,1,1,1,1,guessed\n", "line 2, column 16" },
		{ "0,web,service,low,1,1,1,1,1,1,1,1,1,1,1\n", "line 2, column 15: expected 16" },
		{ "0,web,service,low,1,1,1,1,1,1,1,1,1,1,1,measured,x\n", "line 2, column 17" },
		{ "0,\"web\",service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n", "line 2: quote" },
		{ ROW "5,web,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n"
		      "4,web,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n",
		  "line 4, column 1 (arrival_s): arrival before" },
		{ ROW "\n# c\n1,web,service,low,1,1,1,1,1,1,1,1,1,1,1,meas\n", "line 5, column 16" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[1024];
		struct sim_trace *t = (void *)1;
		struct eph_err err = { { 0 } };

		snprintf(buf, sizeof(buf), "%s%s", HDR, cases[i].rows);
		cr_assert_eq(parse(buf, &t, &err), EPH_EFORMAT, "case %zu parsed", i);
		cr_assert_null(t, "case %zu", i);
		cr_assert(strstr(err.msg, cases[i].want) != NULL, "case %zu: '%s' lacks '%s'", i,
			  err.msg, cases[i].want);
	}
}

Test(sim_csv, rejects_bad_header_and_nul)
{
	struct sim_trace *t = NULL;
	struct eph_err err = { { 0 } };
	const char nul[] = HDR "0,w\0b,service,low,1,1,1,1,1,1,1,1,1,1,1,measured\n";

	cr_assert_eq(parse("", &t, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "no header") != NULL, "%s", err.msg);
	cr_assert_eq(parse("arrival_s,klass,role,sensitivity,role_conf,sensitivity_conf,"
			   "asked_vcpu_milli,asked_mem_mib,duration_s,cpu_p50_milli,"
			   "cpu_p95_milli,cpu_max_milli,mem_p50_mib,mem_p95_mib,mem_max_mib,"
			   "usage_source\n",
			   &t, &err),
		     EPH_EFORMAT);
	cr_assert(strstr(err.msg, "line 1, column 2") != NULL, "%s", err.msg);
	cr_assert_eq(sim_trace_parse_csv(&t, (const uint8_t *)nul, sizeof(nul) - 1, &err),
		     EPH_EFORMAT);
	cr_assert(strstr(err.msg, "line 2, column 4: NUL") != NULL, "%s", err.msg);
}

Test(sim_csv, save_load_round_trip)
{
	struct sim_trace *a = NULL, *b = NULL;
	struct eph_err err = { { 0 } };
	char path[] = "/tmp/sim_rt_XXXXXX";
	size_t i;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(sim_trace_synthetic(&a, 500, 7, 0.5, 3, &err), 0, "%s", err.msg);
	cr_assert_eq(sim_trace_save_csv(a, path, &err), 0, "%s", err.msg);
	cr_assert_eq(sim_trace_load_csv(&b, path, &err), 0, "%s", err.msg);
	unlink(path);
	cr_assert_eq(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		cr_assert_float_eq(a->req[i].arrival_s, b->req[i].arrival_s, 1e-5);
		cr_assert_float_eq(a->req[i].duration_s, b->req[i].duration_s,
				   1e-5 * a->req[i].duration_s);
		cr_assert_str_eq(sim_trace_class_name(a, a->req[i].cls),
				 sim_trace_class_name(b, b->req[i].cls));
		cr_assert_eq(a->req[i].cpu_max, b->req[i].cpu_max);
		cr_assert_eq(a->req[i].mem_p50, b->req[i].mem_p50);
		cr_assert_eq(a->req[i].asked_mem, b->req[i].asked_mem);
		cr_assert_eq(a->req[i].sens, b->req[i].sens);
	}
	sim_trace_free(a);
	sim_trace_free(b);
}

Test(sim_csv, split_by_time)
{
	struct sim_trace *a = NULL, *tr = NULL, *ho = NULL, *x = NULL, *y = NULL;
	struct eph_err err = { { 0 } };

	cr_assert_eq(sim_trace_synthetic(&a, 1000, 5, 1.0, 9, &err), 0);
	cr_assert_eq(sim_trace_split_time(&tr, &ho, a, 0.75, &err), 0, "%s", err.msg);
	cr_assert_eq(tr->n + ho->n, a->n);
	cr_assert(tr->n >= 740 && tr->n <= 760, "train %zu", tr->n);
	cr_assert(tr->req[tr->n - 1].arrival_s < ho->req[0].arrival_s);
	cr_assert_eq(tr->ncls, a->ncls);
	cr_assert_eq(sim_trace_split_time(&x, &y, a, 1.0, &err), EPH_EFAIL);
	cr_assert_null(x);
	sim_trace_free(a);
	sim_trace_free(tr);
	sim_trace_free(ho);
}

Test(sim_csv, survives_mutated_input)
{
	static const char good[] = HDR ROW
		"1.5,fn-a,function,high,1,1,250,256,0.001,0,0,0,1,1,1,derived\n"
		"2,web-1,batch,low,0,0,1,1,1e3,5,5,5,7,8,9,synthetic\n";
	uint8_t buf[sizeof(good) + 8];
	uint64_t x = 12345;
	int i, ok = 0;

	for (i = 0; i < 5000; i++) {
		struct sim_trace *t = NULL;
		struct eph_err err = { { 0 } };
		size_t len = sizeof(good) - 1, k, flips;
		int rc;

		memcpy(buf, good, len);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		flips = 1 + (x >> 60);
		for (k = 0; k < flips; k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			buf[(x >> 33) % len] = (uint8_t)(x >> 13);
		}
		if ((x >> 7) % 4 == 0)
			len = (x >> 20) % len; /* truncate too */
		rc = sim_trace_parse_csv(&t, buf, len, &err);
		if (rc == 0) {
			cr_assert_eq(sim_trace_check(t, &err), 0, "accepted an invalid trace");
			ok++;
		} else {
			cr_assert_eq(rc, EPH_EFORMAT, "%s", err.msg);
			cr_assert(strstr(err.msg, "line ") != NULL, "%s", err.msg);
			cr_assert_null(t);
		}
		sim_trace_free(t);
	}
	cr_assert(ok > 0 && ok < 5000);
}
