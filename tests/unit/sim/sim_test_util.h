/*
 * sim_test_util.h - helpers shared by the simulator's tests: where the
 * public traces are, and building a trace by hand.
 */
#ifndef SIM_TEST_UTIL_H
#define SIM_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/*
 * TRACES FOLDER HELPER: $EPH_TRACES, or /work/shared/traces when unset (the
 * fallback is for running the binary by hand; ctest sets EPH_TRACES).
 * Returns NULL after printing a visible SKIP line when the folder is absent.
 */
static inline const char *stu_traces(const char *test)
{
	const char *d = getenv("EPH_TRACES");
	char probe[4096];
	FILE *fp;

	if (d == NULL || d[0] == '\0')
		d = "/work/shared/traces"; /* fallback: see above */
	snprintf(probe, sizeof(probe), "%s/README.md", d);
	fp = fopen(probe, "r");
	if (fp == NULL) {
		printf("SKIP %s: public traces not found at %s (set EPH_TRACES)\n", test, d);
		return NULL;
	}
	fclose(fp);
	return d;
}

/* A request with flat usage (p50 = p95 = max). */
static inline struct sim_request stu_req(double at, uint32_t cls, double dur, uint32_t cpu,
					 uint32_t mem)
{
	struct sim_request r;

	memset(&r, 0, sizeof(r));
	r.arrival_s = at;
	r.duration_s = dur;
	r.cls = cls;
	r.role = SIM_ROLE_SERVICE;
	r.sens = SIM_SENS_LOW;
	r.role_conf = 1;
	r.sens_conf = 1;
	r.usage_src = SIM_USAGE_SYNTHETIC;
	r.asked_cpu = 1000;
	r.asked_mem = 1024;
	r.cpu_p50 = r.cpu_p95 = r.cpu_max = cpu;
	r.mem_p50 = r.mem_p95 = r.mem_max = mem;
	return r;
}

#endif
