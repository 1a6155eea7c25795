/*
 * sim_trace_fuzzer.c - libFuzzer target for Ephemera's trace CSV
 * (broker/sim: sim_trace_parse_csv, docs/sim-trace-format.md), the file
 * ephemera-sim and ephemera-train read traces from.
 *
 * Input: the CSV text, e.g.
 *   arrival_s,class,role,sensitivity,role_conf,...,usage_source\n
 *   0.000000,bb-16,service,medium,1,0.5,1000,2048,3600,3,4,6,127,132,135,measured\n
 * Seeds: tests/fuzz/corpora/sim_trace/ (rows as the tests write them;
 * tests/fuzz/make-json-seeds.py).
 *
 * Contracts checked (abort when broken): a refusal is EPH_EFORMAT (or
 * EPH_ENOMEM) with a message and leaves *out NULL; an accepted trace
 * passes sim_trace_check (ranges, order, classes) and every request's
 * class has a name.
 *
 * Not here: the converters of public traces (their own tests).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "sim_trace_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	struct sim_trace *t = (struct sim_trace *)&err;
	size_t i;
	int rc;

	rc = sim_trace_parse_csv(&t, data, size, &err);
	if (rc < 0) {
		check(t == NULL, "failed parse left *out set", &err);
		check(rc == EPH_EFORMAT || rc == EPH_ENOMEM, "refusal code", &err);
		check(err.msg[0] != '\0', "refusal without a message", &err);
		return 0;
	}
	check(rc == 0 && t != NULL, "success without a trace", &err);
	check(sim_trace_check(t, &err) == 0, "accepted trace fails sim_trace_check", &err);
	for (i = 0; i < t->n; i++)
		check(sim_trace_class_name(t, t->req[i].cls) != NULL, "request of an unnamed class",
		      NULL);
	sim_trace_free(t);
	return 0;
}
