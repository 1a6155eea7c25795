/*
 * evlog_bench.c - how fast libevlog parses and replays real firmware event
 * logs, in process.
 *
 *   evlog_bench [-t SECONDS] [-n ITERATIONS] FILE...
 *
 * Each file is read into memory once. Then evlog_parse + evlog_replay (every
 * bank of the log) + evlog_free run in a loop until both at least SECONDS
 * (default 1) have passed and ITERATIONS (default 10) loops are done; with
 * -n alone, exactly ITERATIONS loops run. Printed per file, tab-separated
 * (lines starting with '#' are comments):
 *
 *   file  bytes  events  iterations  us_per_log  events_per_s  status
 *
 * us_per_log is the wall time of one parse+replay of the whole log;
 * events_per_s counts every event of the log, the header included. A log
 * that fails to parse with flags 0 is retried with EVLOG_F_ALLOW_PADDING,
 * then EVLOG_F_CCEL | EVLOG_F_ALLOW_PADDING; status is "ok", "padding" or
 * "ccel+padding" (needed those flags), "replay: <error>" (then only the parse
 * is timed) or "parse: <error>" (error with flags 0; not timed).
 * Exits 0 if every file was read, 1 otherwise.
 *
 * Not here: the comparison with tpm2_eventlog and whole-process timing
 * (bench/run-evlog-bench.sh does both in the same run).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eph_file.h"
#include "evlog.h"

#define BENCH_MAX_LOG (64u << 20)

struct bench_opts {
	double min_secs;
	unsigned long min_iters;
	int fixed; /* -n without -t: exactly min_iters loops */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One timed unit of work: parse, replay all banks, free. */
static int parse_replay(const uint8_t *buf, size_t len, unsigned flags, int replay,
                        struct evlog_replay *r, struct eph_err *err)
{
	evlog_log *log = NULL;
	int rc;

	rc = evlog_parse(&log, buf, len, flags, err);
	if (rc < 0)
		return rc;
	if (replay)
		rc = evlog_replay(r, log, err);
	evlog_free(log);
	return rc;
}

static int bench_file(const char *path, const struct bench_opts *o)
{
	static struct evlog_replay r; /* ~12 KiB, reused */
	struct eph_err err = {{0}};
	evlog_log *log = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, events;
	unsigned flags = 0;
	unsigned long iters = 0;
	int replay = 1, rc;
	char status[EPH_ERR_MSG_MAX + 16] = "ok";
	double t0, elapsed;

	rc = eph_file_read(&buf, &len, path, BENCH_MAX_LOG, &err);
	if (rc < 0) {
		fprintf(stderr, "evlog_bench: %s\n", err.msg);
		return -1;
	}

	/* Untimed first pass: pick the flags, count events, check replay. */
	rc = evlog_parse(&log, buf, len, flags, &err);
	if (rc < 0) {
		struct eph_err err2 = {{0}};

		flags = EVLOG_F_ALLOW_PADDING;
		snprintf(status, sizeof(status), "padding");
		if (evlog_parse(&log, buf, len, flags, &err2) < 0) {
			flags = EVLOG_F_CCEL | EVLOG_F_ALLOW_PADDING;
			snprintf(status, sizeof(status), "ccel+padding");
			if (evlog_parse(&log, buf, len, flags, &err2) < 0) {
				printf("%s\t%zu\t-\t0\t-\t-\tparse: %s\n", path, len, err.msg);
				free(buf);
				return 0;
			}
		}
	}
	events = evlog_count(log);
	memset(&err, 0, sizeof(err));
	if (evlog_replay(&r, log, &err) < 0) {
		replay = 0;
		snprintf(status, sizeof(status), "replay: %s", err.msg);
	}
	evlog_free(log);

	t0 = now();
	for (;;) {
		if (parse_replay(buf, len, flags, replay, &r, &err) < 0) {
			/* Same bytes, same flags: cannot fail now unless memory ran out. */
			fprintf(stderr, "evlog_bench: %s: %s\n", path, err.msg);
			free(buf);
			return -1;
		}
		iters++;
		elapsed = now() - t0;
		if (o->fixed ? iters >= o->min_iters
		             : iters >= o->min_iters && elapsed >= o->min_secs)
			break;
	}
	printf("%s\t%zu\t%zu\t%lu\t%.2f\t%.0f\t%s\n", path, len, events, iters,
	       elapsed * 1e6 / (double)iters, (double)events * (double)iters / elapsed, status);
	free(buf);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: evlog_bench [-t SECONDS] [-n ITERATIONS] FILE...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {1.0, 10, 0};
	int i, failed = 0, have_t = 0, have_n = 0;
	char *end;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "-t") == 0) {
			o.min_secs = strtod(argv[++i], &end);
			if (*end != '\0' || !(o.min_secs >= 0 && o.min_secs <= 3600))
				return usage();
			have_t = 1;
		} else if (strcmp(argv[i], "-n") == 0) {
			o.min_iters = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || o.min_iters < 1 || o.min_iters > 1000000000ul)
				return usage();
			have_n = 1;
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	o.fixed = have_n && !have_t;

	if (o.fixed)
		printf("# parse+replay(all banks)+free, %lu iterations per log\n", o.min_iters);
	else
		printf("# parse+replay(all banks)+free, >= %.2f s and >= %lu iterations per log\n",
		       o.min_secs, o.min_iters);
	printf("# file\tbytes\tevents\titerations\tus_per_log\tevents_per_s\tstatus\n");
	for (; i < argc; i++)
		if (bench_file(argv[i], &o) < 0)
			failed = 1;
	return failed;
}
