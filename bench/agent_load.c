/*
 * agent_load.c - load on the broker: N concurrent agents attesting in a
 * loop for S seconds; prints appraisals/s and the latency distribution of
 * a whole round (GET /v1/challenge, TPM2_Quote + PCR reads, POST
 * /v1/attest), and what the TPM part alone costs, so that the broker's
 * share can be read off.
 *
 * Each simulated agent is real: its own swtpm (TCTI), its own EK/AK, its
 * own enrolment and state folder, its own TLS connection (kept alive) and
 * a firmware event log that matches its PCRs. Nothing is replayed: the
 * broker's nonces are single-use, so every round needs a fresh quote, and
 * a swtpm serves one connection at a time, so one TPM per agent is what
 * makes concurrency real. The ceiling this puts on the figures (software
 * TPM speed, same machine) is printed next to them.
 *
 * Usage: agent_load --broker URL --pin PIN --state-root DIR --seconds S
 *                   --agent TCTI,EVENTLOG [--agent ...]
 * (bench/run-agent-load.sh sets everything up and tears it down.)
 *
 * Not here: starting swtpm or the broker (the script does).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "agentc.h"
#include "tpmq.h"

#define MAX_AGENTS 64
#define MAX_SAMPLES 200000

struct agent {
	int idx;
	char tcti[128];
	char eventlog[512];
	char state[600];
	/* results */
	double *lat_ms;
	size_t n, ok, refused, failed;
	double quote_ms; /* TPM quote + PCR reads alone, median of 5 */
	char first_error[EPH_ERR_MSG_MAX];
	int setup_failed;
};

static const char *g_broker, *g_pin;
static double g_seconds = 10;
static pthread_barrier_t g_start;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* TPM part of a round: PCR read, quote, PCR read (as agentc_attest does). */
static double tpm_round_ms(tpmq_tpm *tpm)
{
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs *pcrs = calloc(1, sizeof(*pcrs));
	struct eph_err err;
	uint8_t nonce[32] = {1}, *q = NULL, *s = NULL;
	size_t ql = 0, sl = 0;
	double t[5], t0;
	int i;

	tpmq_pcrsel_parse(&sel, AGENTC_DEFAULT_PCRS, &err);
	for (i = 0; i < 5; i++) {
		t0 = now_ms();
		tpmq_pcr_read(pcrs, tpm, &sel, &err);
		tpmq_quote(&q, &ql, &s, &sl, tpm, &sel, nonce, sizeof(nonce), &err);
		tpmq_pcr_read(pcrs, tpm, &sel, &err);
		t[i] = now_ms() - t0;
		free(q);
		free(s);
		q = s = NULL;
	}
	free(pcrs);
	qsort(t, 5, sizeof(t[0]), cmp_double);
	return t[2];
}

static void *run(void *arg)
{
	struct agent *ag = arg;
	struct agentc_config cfg = {0};
	struct agentc_evidence ev = {0};
	struct agentc_result *res = calloc(1, sizeof(*res));
	enum agentc_enrolment how;
	struct eph_err err = {{0}};
	char host[64];
	agentc *a = NULL;
	tpmq_tpm *tpm = NULL;
	double end, t0;

	snprintf(host, sizeof(host), "load-agent-%d", ag->idx);
	cfg.broker_url = g_broker;
	cfg.pin = g_pin;
	cfg.state_dir = ag->state;
	cfg.hostname = host;
	cfg.cvm = AGENTC_CVM_NONE;
	cfg.ak_alg = 2; /* TPMQ_ECC_P256: fast to create; quotes cost about the same */
	ev.eventlog = ag->eventlog;
	ev.ima = "";
	if (res == NULL || agentc_new(&a, &cfg, &err) < 0 || tpmq_open(&tpm, ag->tcti, &err) < 0 ||
	    agentc_enrol(&how, NULL, a, tpm, 0, &err) < 0) {
		ag->setup_failed = 1;
		if (snprintf(ag->first_error, sizeof(ag->first_error), "setup: %s", err.msg) < 0)
			ag->first_error[0] = '\0';
	} else {
		ag->quote_ms = tpm_round_ms(tpm);
	}
	pthread_barrier_wait(&g_start);
	if (ag->setup_failed)
		goto out;
	end = now_ms() + g_seconds * 1e3;
	while (now_ms() < end && ag->n < MAX_SAMPLES) {
		int rc;

		t0 = now_ms();
		rc = agentc_attest(res, a, tpm, &ev, &err);
		ag->lat_ms[ag->n++] = now_ms() - t0;
		if (rc == 0) {
			ag->ok++;
		} else {
			if (rc == EPH_EPOLICY || rc == EPH_ENOTFOUND)
				ag->refused++;
			else
				ag->failed++;
			if (ag->first_error[0] == '\0')
				if (snprintf(ag->first_error, sizeof(ag->first_error), "%s", err.msg) < 0)
					ag->first_error[0] = '\0';
		}
	}
out:
	agentc_free(a);
	tpmq_close(tpm);
	free(res);
	return NULL;
}

static void usage(void)
{
	fputs("usage: agent_load --broker URL --pin PIN --state-root DIR [--seconds S]\n"
	      "                  --agent TCTI,EVENTLOG [--agent TCTI,EVENTLOG ...]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"broker", required_argument, NULL, 'b'},     {"pin", required_argument, NULL, 'p'},
	    {"state-root", required_argument, NULL, 'r'}, {"seconds", required_argument, NULL, 's'},
	    {"agent", required_argument, NULL, 'a'},      {NULL, 0, NULL, 0}};
	static struct agent agents[MAX_AGENTS];
	pthread_t th[MAX_AGENTS];
	const char *root = NULL;
	double *all, t0, wall, qsum = 0;
	size_t n = 0, total = 0, ok = 0, refused = 0, failed = 0, k;
	int opt, i, setup_failed = 0;
	char *end;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			g_broker = optarg;
			break;
		case 'p':
			g_pin = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 's':
			errno = 0;
			g_seconds = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || g_seconds <= 0 || g_seconds > 3600)
				usage();
			break;
		case 'a': {
			const char *comma = strrchr(optarg, ','); /* TCTIs hold commas */

			if (n == MAX_AGENTS || comma == NULL || (size_t)(comma - optarg) >= 128)
				usage();
			agents[n].idx = (int)n;
			snprintf(agents[n].tcti, sizeof(agents[n].tcti), "%.*s",
			         (int)(comma - optarg), optarg);
			snprintf(agents[n].eventlog, sizeof(agents[n].eventlog), "%s", comma + 1);
			n++;
			break;
		}
		default:
			usage();
		}
	}
	if (g_broker == NULL || g_pin == NULL || root == NULL || n == 0)
		usage();
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before the threads make clients */
	mkdir(root, 0700);
	for (k = 0; k < n; k++) {
		snprintf(agents[k].state, sizeof(agents[k].state), "%s/agent-%zu", root, k);
		agents[k].lat_ms = calloc(MAX_SAMPLES, sizeof(double));
		if (agents[k].lat_ms == NULL)
			return 1;
	}
	pthread_barrier_init(&g_start, NULL, (unsigned)n + 1);
	for (k = 0; k < n; k++)
		pthread_create(&th[k], NULL, run, &agents[k]);
	pthread_barrier_wait(&g_start); /* every agent enrolled (or failed) */
	t0 = now_ms();
	for (k = 0; k < n; k++)
		pthread_join(th[k], NULL);
	wall = (now_ms() - t0) / 1e3;

	for (k = 0; k < n; k++) {
		total += agents[k].n;
		ok += agents[k].ok;
		refused += agents[k].refused;
		failed += agents[k].failed;
		qsum += agents[k].quote_ms;
		setup_failed += agents[k].setup_failed;
	}
	all = calloc(total ? total : 1, sizeof(double));
	for (k = 0, total = 0; k < n; k++) {
		memcpy(all + total, agents[k].lat_ms, agents[k].n * sizeof(double));
		total += agents[k].n;
	}
	qsort(all, total, sizeof(double), cmp_double);
	printf("agents            %zu (one swtpm, EK, ECC P-256 AK and TLS connection each)\n", n);
	printf("duration          %.1f s\n", wall);
	printf("rounds            %zu: %zu accepted, %zu refused, %zu failed; %d agents failed "
	       "setup\n",
	       total, ok, refused, failed, setup_failed);
	printf("appraisals/s      %.1f (accepted rounds / wall time)\n", wall > 0 ? ok / wall : 0);
	if (total > 0)
		printf("round latency ms  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", all[total / 2],
		       all[(size_t)(total * 0.9)],
		       all[total * 99 / 100 < total ? total * 99 / 100 : total - 1],
		       all[total - 1]);
	printf("TPM part ms       %.1f (median PCR read + quote + PCR read, mean over agents)\n",
	       n ? qsum / (double)n : 0);
	for (i = 0; i < (int)n; i++)
		if (agents[i].first_error[0] != '\0') {
			printf("first error       agent %d: %s\n", i, agents[i].first_error);
			break;
		}
	for (k = 0; k < n; k++)
		free(agents[k].lat_ms);
	free(all);
	return failed || setup_failed ? 1 : 0;
}
