/*
 * api_metrics.c - GET /metrics in the Prometheus text exposition format
 * (version 0.0.4), and the in-memory counters behind it:
 *   ephemera_attestations_total{result="accepted|refused"}   counter
 *   ephemera_attest_seconds                                  histogram
 *   ephemera_agents                                          gauge (store)
 *   ephemera_environments{state="..."}                       gauge (store)
 *   ephemera_http_requests_total{path="<route>",code="..."}  counter
 * The path label is the route pattern ("/v1/agents/{id}/attestations"),
 * never the raw path, so that the series stay bounded.
 *
 * Not here: persistence (counters restart with the process, as Prometheus
 * expects of counters), push gateways.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-priv.h"

static const double bucket_le[API_HIST_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
						   0.5,   1,    2.5,   5,    10,  30};

void api__metrics_http(struct api__metrics *m, const char *path, int code)
{
	size_t i;

	for (i = 0; i < m->nseries; i++) {
		if (m->series[i].code == code && strcmp(m->series[i].path, path) == 0) {
			m->series[i].count++;
			return;
		}
	}
	if (m->nseries == API_MAX_HTTP_SERIES) {
		m->series_dropped++;
		return;
	}
	m->series[m->nseries].path = path;
	m->series[m->nseries].code = code;
	m->series[m->nseries].count = 1;
	m->nseries++;
}

void api__metrics_attest(struct api__metrics *m, int accepted, double seconds)
{
	size_t i;

	if (accepted)
		m->attest_accepted++;
	else
		m->attest_refused++;
	for (i = 0; i < API_HIST_BUCKETS && seconds > bucket_le[i]; i++)
		;
	m->attest_hist[i]++;
	m->attest_sum += seconds;
	m->attest_count++;
}

static int count_agent(const struct store_agent *ag, void *ctx)
{
	(void)ag;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int count_env(const struct store_env *e, void *ctx)
{
	uint64_t *per_state = ctx;

	if ((int)e->state >= 0 && e->state < STORE_ENV_NSTATES)
		per_state[e->state]++;
	return 0;
}

void api__metrics_get(struct api__req *r)
{
	struct api__metrics *m = &r->api->metrics;
	struct eph_err err = {{0}};
	uint64_t agents = 0, envs[STORE_ENV_NSTATES] = {0}, cum = 0;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	rc = store_agent_foreach(r->api->st, count_agent, &agents, &err);
	if (rc == 0)
		rc = store_env_foreach(r->api->st, STORE_ENV_ANY, count_env, envs, &err);
	if (rc < 0) {
		api__refuse_rc(r, rc, "metrics", &err);
		return;
	}
	f = open_memstream(&text, &len);
	if (f == NULL) {
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	fprintf(f, "# HELP ephemera_attestations_total Attestations appraised, by verdict.\n"
		   "# TYPE ephemera_attestations_total counter\n"
		   "ephemera_attestations_total{result=\"accepted\"} %llu\n"
		   "ephemera_attestations_total{result=\"refused\"} %llu\n",
		(unsigned long long)m->attest_accepted, (unsigned long long)m->attest_refused);
	fprintf(f, "# HELP ephemera_attest_seconds Time to appraise one attestation.\n"
		   "# TYPE ephemera_attest_seconds histogram\n");
	for (i = 0; i < API_HIST_BUCKETS; i++) {
		cum += m->attest_hist[i];
		fprintf(f, "ephemera_attest_seconds_bucket{le=\"%g\"} %llu\n", bucket_le[i],
			(unsigned long long)cum);
	}
	cum += m->attest_hist[API_HIST_BUCKETS];
	fprintf(f, "ephemera_attest_seconds_bucket{le=\"+Inf\"} %llu\n"
		   "ephemera_attest_seconds_sum %.6f\n"
		   "ephemera_attest_seconds_count %llu\n",
		(unsigned long long)cum, m->attest_sum, (unsigned long long)m->attest_count);
	fprintf(f, "# HELP ephemera_agents Registered agents.\n"
		   "# TYPE ephemera_agents gauge\n"
		   "ephemera_agents %llu\n",
		(unsigned long long)agents);
	fprintf(f, "# HELP ephemera_environments Environments by lifecycle state.\n"
		   "# TYPE ephemera_environments gauge\n");
	for (i = 0; i < STORE_ENV_NSTATES; i++)
		fprintf(f, "ephemera_environments{state=\"%s\"} %llu\n",
			store_env_state_name((enum store_env_state)i), (unsigned long long)envs[i]);
	fprintf(f, "# HELP ephemera_http_requests_total HTTP requests answered, by route and status.\n"
		   "# TYPE ephemera_http_requests_total counter\n");
	for (i = 0; i < m->nseries; i++)
		fprintf(f, "ephemera_http_requests_total{path=\"%s\",code=\"%d\"} %llu\n",
			m->series[i].path, m->series[i].code,
			(unsigned long long)m->series[i].count);
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		api__refuse(r, API_HTTP_INTERNAL, "internal", "out of memory");
		return;
	}
	api__send_text(r, API_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
}
