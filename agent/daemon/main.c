/*
 * main.c - ephemera-agent: open the TPM, enrol once (or reload the saved
 * AK; enrol again when the TPM no longer accepts it), attest, and re-attest
 * every period or before the broker's deadline, whichever is sooner.
 * Network failures are retried with exponential backoff (1 s doubling to
 * 5 min, "equal jitter" from getrandom); a refusal ends the process with a
 * distinct exit code so that the lifecycle manager decides. One line per
 * event on stderr: "TIME LEVEL EVENT key=value ...", with a "<N>" syslog
 * priority prefix when stderr is the journal (JOURNAL_STREAM).
 *
 * The TPM context is opened afresh after any failed TPM command (ESAPI
 * stays in an error state for ever once its TCTI broke: a restarted swtpm,
 * a reset device), and each open first flushes the transient objects and
 * sessions a killed predecessor left behind: without a resource manager
 * nothing else does, and three of them fill the TPM (0x902).
 *
 * SIGTERM/SIGINT stay blocked while a round runs and are taken with
 * sigtimedwait() while sleeping, so a round is always finished (bounded by
 * libagentc's timeouts) and no signal is lost between check and sleep.
 *
 * Not here: the options (config.c) and everything the conversation with
 * the broker and the TPM involves (agent/client, tpm).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#include "agentd.h"
#include "tpmq.h"

#define BACKOFF_FIRST_MS 1000UL
#define BACKOFF_MAX_MS (300UL * 1000)
#define DEADLINE_MARGIN_S 10UL

enum lvl { L_ERROR, L_WARN, L_INFO, L_DEBUG };

/* What a step of the loop came to. */
enum step {
	S_OK,      /* done: sleep until the next round */
	S_NET,     /* the broker could not be reached or authenticated: back off */
	S_RETRY,   /* something else that may pass (a 4xx, a TPM hiccup): back off */
	S_REFUSED, /* the broker refused this machine: exit AGENTD_EXIT_REFUSED */
};

struct agentd {
	const struct agentd_opts *o;
	agentc *a;
	tpmq_tpm *tpm;            /* NULL after a TPM failure: reopened next round */
	struct agentc_evidence ev;
	sigset_t sigs;            /* SIGTERM, SIGINT: blocked, taken while sleeping */
	int stop;                 /* a signal came */
	int enrolled;             /* agentc_enrol succeeded in this process */
	int force;                /* the next enrolment ignores the state folder */
	unsigned long backoff_ms; /* last backoff base; 0 after a success */
	unsigned long next_s;     /* after S_OK: seconds until the next round */
};

static int verbose, journal;

static void logev(enum lvl level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logev(enum lvl level, const char *event, const char *fmt, ...)
{
	static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	static const int prio[] = {3, 4, 6, 7};
	char ts[32], details[1024] = "";
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	int n;

	if (level == L_DEBUG && !verbose)
		return;
	if (fmt != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(details, sizeof(details), fmt, ap);
		va_end(ap);
		if (n < 0)
			details[0] = '\0';
		/* truncation keeps the start of the line, which is what matters */
	}
	/* one event, one line: the broker's messages must not forge others */
	for (char *p = details; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (journal)
		fprintf(stderr, "<%d>", prio[level]);
	fprintf(stderr, "%s %s %s%s%s\n", ts, names[level], event, details[0] ? " " : "", details);
}

static const char *tier_name(uint8_t t)
{
	if (t == 0)
		return "none";
	if (t < 32)
		return "affirming";
	if (t < 96)
		return "warning";
	return "contraindicated";
}

/* The worst tier of the vector, as a verdict. */
static const char *verdict(const struct wire_attest_resp *r)
{
	uint8_t worst = 0;
	int i;

	for (i = 1; i <= WIRE_AR_NUM; i++)
		if (r->result[i] > worst)
			worst = r->result[i];
	return tier_name(worst);
}

static void fmt_time(char *buf, size_t size, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "none");
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep ms milliseconds or until SIGTERM/SIGINT; returns 1 on a signal. */
static int nap(struct agentd *d, unsigned long ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
	                      .tv_nsec = (long)(ms % 1000) * 1000000L};
	double end = mono_s() + (double)ms / 1000;
	double left;
	int sig;

	for (;;) {
		sig = sigtimedwait(&d->sigs, NULL, &ts);
		if (sig > 0) {
			logev(L_INFO, "stopping", "signal=%s",
			      sig == SIGTERM ? "SIGTERM" : "SIGINT");
			d->stop = 1;
			return 1;
		}
		if (errno != EINTR)
			return 0;
		left = end - mono_s();
		if (left <= 0)
			return 0;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	}
}

/* The next backoff delay: base 1 s doubling to 5 min, delay in [base/2, base]. */
static unsigned long backoff(struct agentd *d)
{
	uint32_t r = 0;

	d->backoff_ms = d->backoff_ms == 0 ? BACKOFF_FIRST_MS : d->backoff_ms * 2;
	if (d->backoff_ms > BACKOFF_MAX_MS)
		d->backoff_ms = BACKOFF_MAX_MS;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = 0; /* no entropy yet this early at boot: no jitter, still bounded */
	return d->backoff_ms / 2 + r % (d->backoff_ms / 2 + 1);
}

/*
 * Open the TPM (closing the old context if any) and flush what a previous
 * process left loaded in it. The AK must be loaded again afterwards.
 */
static int tpm_open(struct agentd *d, struct eph_err *err)
{
	struct eph_err e2 = {{0}};
	unsigned n = 0;
	int rc;

	tpmq_close(d->tpm);
	d->tpm = NULL;
	d->enrolled = 0;
	rc = tpmq_open(&d->tpm, d->o->tcti, err);
	if (rc < 0)
		return rc;
	if (tpmq_flush_stale(&n, d->tpm, &e2) < 0)
		logev(L_WARN, "tpm-flush-failed", "reason=\"%s\"", e2.msg);
	else if (n > 0)
		logev(L_WARN, "tpm-flushed",
		      "handles=%u reason=\"left loaded by a previous process\"", n);
	return 0;
}

/* After a failed TPM command: drop the context, the next round reopens it. */
static void tpm_failed(struct agentd *d, const struct eph_err *err)
{
	if (strncmp(err->msg, "TPM:", 4) != 0)
		return;
	tpmq_close(d->tpm);
	d->tpm = NULL;
	d->enrolled = 0;
}

/* Transport or broker authentication, as opposed to a TPM failure (which
 * libagentc prefixes "TPM:") or a refusal. */
static int is_net(int rc, const struct eph_err *err)
{
	return (rc == EPH_EIO || rc == EPH_EVERIFY) && strncmp(err->msg, "TPM:", 4) != 0;
}

static enum step enrol(struct agentd *d)
{
	struct agentc_refusal ref;
	struct eph_err err = {{0}};
	enum agentc_enrolment how = 0;
	unsigned flags = d->force ? AGENTC_ENROL_FORCE : 0;
	int rc, had_state = 0;

	if (!d->force) {
		rc = agentc_state_load(d->a, &err);
		if (rc == 0) {
			had_state = 1;
		} else if (rc != EPH_ENOTFOUND) {
			logev(L_WARN, "state-damaged", "dir=%s reason=\"%s\" action=enrol-again",
			      d->o->state_dir, err.msg);
			flags = AGENTC_ENROL_FORCE;
		}
	}
	memset(&ref, 0, sizeof(ref));
	rc = agentc_enrol(&how, &ref, d->a, d->tpm, flags, &err);
	if (rc == 0) {
		logev(L_INFO, how == AGENTC_RELOADED ? "reloaded" : "enrolled", "agent=%s",
		      agentc_agent_id(d->a));
		d->enrolled = 1;
		d->force = 0;
		return S_OK;
	}
	if (is_net(rc, &err)) {
		logev(L_WARN, "broker-unreachable", "step=enrol reason=\"%s\"", err.msg);
		return S_NET;
	}
	if (rc == EPH_EPOLICY) {
		logev(L_ERROR, "refused", "step=enrol http=%ld code=%s reason=\"%s\"",
		      ref.http_status, ref.code[0] ? ref.code : "-", err.msg);
		return S_REFUSED;
	}
	if (had_state && rc != EPH_EIO) {
		/* the saved AK no longer loads: TPM cleared or replaced */
		logev(L_WARN, "state-rejected", "dir=%s reason=\"%s\" action=enrol-again",
		      d->o->state_dir, err.msg);
		d->force = 1;
		return enrol(d);
	}
	logev(L_ERROR, "enrol-failed", "reason=\"%s\"", err.msg);
	tpm_failed(d, &err);
	return S_RETRY;
}

static enum step attest(struct agentd *d)
{
	struct agentc_result res;
	struct eph_err err = {{0}};
	char dl[32];
	unsigned long next = d->o->period_s;
	int rc;

	memset(&res, 0, sizeof(res));
	logev(L_DEBUG, "attesting", "agent=%s", agentc_agent_id(d->a));
	rc = agentc_attest(&res, d->a, d->tpm, &d->ev, &err);
	if (rc == 0) {
		const struct wire_attest_resp *r = &res.resp;
		time_t now = time(NULL);

		if (r->deadline != 0) {
			uint64_t left =
			    r->deadline > (uint64_t)now ? r->deadline - (uint64_t)now : 0;
			uint64_t margin =
			    left > 2 * DEADLINE_MARGIN_S ? DEADLINE_MARGIN_S : left / 2;

			if (left - margin < next)
				next = left - margin > 0 ? (unsigned long)(left - margin) : 1;
		}
		fmt_time(dl, sizeof(dl), r->deadline);
		logev(strcmp(r->directive, "continue") == 0 ? L_INFO : L_ERROR, "attested",
		      "agent=%s verdict=%s configuration=%s executables=%s directive=%s "
		      "deadline=%s ima=%llu+%llu cvm=%s next_s=%lu",
		      agentc_agent_id(d->a), verdict(r),
		      tier_name(r->result[WIRE_AR_CONFIGURATION]),
		      tier_name(r->result[WIRE_AR_EXECUTABLES]), r->directive, dl,
		      (unsigned long long)res.ima_offset, (unsigned long long)res.ima_entries,
		      res.cvm[0] ? res.cvm : "none", next);
		if (strcmp(r->directive, "continue") != 0) {
			logev(L_ERROR, "refused", "step=attest agent=%s directive=%s verdict=%s",
			      agentc_agent_id(d->a), r->directive, verdict(r));
			return S_REFUSED;
		}
		d->next_s = next;
		return S_OK;
	}
	if (is_net(rc, &err)) {
		logev(L_WARN, "broker-unreachable", "step=attest reason=\"%s\"", err.msg);
		return S_NET;
	}
	if (rc == EPH_ENOTFOUND) {
		logev(L_WARN, "unknown-agent", "agent=%s reason=\"%s\" action=enrol-again",
		      agentc_agent_id(d->a), err.msg);
		d->enrolled = 0;
		d->force = 1;
		return S_RETRY;
	}
	if (rc == EPH_EPOLICY) {
		long st = res.refusal.http_status;

		logev(st == 403 || st == 409 || st == 422 ? L_ERROR : L_WARN, "refused",
		      "step=attest agent=%s http=%ld code=%s reason=\"%s\"", agentc_agent_id(d->a),
		      st, res.refusal.code[0] ? res.refusal.code : "-", res.refusal.message);
		if (st == 403 || st == 409 || st == 422)
			return S_REFUSED;
		return S_RETRY;
	}
	logev(L_ERROR, "attest-failed", "agent=%s reason=\"%s\"", agentc_agent_id(d->a), err.msg);
	tpm_failed(d, &err);
	return S_RETRY;
}

/*
 * The loop. "Started" means one attestation was accepted: before that,
 * network failures count against --start-timeout (exit 4) and other
 * failures end the process (exit 6); afterwards everything but a refusal is
 * retried for ever.
 */
static int run(struct agentd *d)
{
	double give_up = mono_s() + (double)d->o->start_timeout_s;
	int started = 0;

	while (!d->stop) {
		struct eph_err err = {{0}};
		enum step s = S_OK;
		unsigned long ms;

		if (d->tpm == NULL && tpm_open(d, &err) < 0) {
			logev(L_ERROR, "no-tpm", "tcti=%s reason=\"%s\"",
			      d->o->tcti ? d->o->tcti : "(default)", err.msg);
			s = S_RETRY;
		} else if (!d->enrolled) {
			s = enrol(d);
		}

		if (s == S_OK)
			s = attest(d);
		switch (s) {
		case S_OK:
			started = 1;
			d->backoff_ms = 0;
			if (d->o->once)
				return AGENTD_EXIT_OK;
			nap(d, d->next_s * 1000);
			continue;
		case S_REFUSED:
			return AGENTD_EXIT_REFUSED;
		case S_RETRY:
			if (!started && !d->force) {
				logev(L_ERROR, "cannot-start",
				      "reason=\"the first round failed (logged above)\"");
				return AGENTD_EXIT_INTERNAL;
			}
			break;
		case S_NET:
			break;
		}
		ms = backoff(d);
		if (!started && d->o->start_timeout_s != 0) {
			double left = give_up - mono_s();

			if (left <= 0) {
				logev(
				    L_ERROR, "giving-up",
				    "reason=\"broker %s not reached or authenticated within %lus\"",
				    d->o->broker, d->o->start_timeout_s);
				return AGENTD_EXIT_BROKER;
			}
			if ((double)ms > left * 1000)
				ms = (unsigned long)(left * 1000) + 1;
		}
		logev(L_INFO, "backoff", "retry_ms=%lu", ms);
		nap(d, ms);
	}
	return AGENTD_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct agentd_opts o;
	struct agentd d;
	struct agentc_config cfg;
	struct tsm_options tsm;
	struct eph_err err = {{0}};
	int code, rc;
	const char *js;

	rc = agentd_opts_parse(&o, argc, argv, &code);
	if (rc != 0) {
		agentd_opts_free(&o);
		return rc > 0 ? AGENTD_EXIT_OK : code;
	}
	verbose = o.verbose;
	js = getenv("JOURNAL_STREAM");
	journal = js != NULL && *js != '\0';
	if (getenv("TSS2_LOG") == NULL)
		setenv("TSS2_LOG", "all+NONE", 0);

	memset(&d, 0, sizeof(d));
	d.o = &o;
	sigemptyset(&d.sigs);
	sigaddset(&d.sigs, SIGTERM);
	sigaddset(&d.sigs, SIGINT);
	if (sigprocmask(SIG_BLOCK, &d.sigs, NULL) != 0) {
		logev(L_ERROR, "cannot-start", "reason=\"sigprocmask: %s\"", strerror(errno));
		agentd_opts_free(&o);
		return AGENTD_EXIT_INTERNAL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		logev(L_ERROR, "cannot-start", "reason=\"curl_global_init failed\"");
		agentd_opts_free(&o);
		return AGENTD_EXIT_INTERNAL;
	}

	memset(&tsm, 0, sizeof(tsm));
	tsm.root = o.tsm_root;
	tsm.privlevel = -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.broker_url = o.broker;
	cfg.pin = o.pin;
	cfg.cacert = o.cacert;
	cfg.unix_socket = o.unix_socket;
	cfg.state_dir = o.state_dir;
	cfg.hostname = o.hostname;
	cfg.ak_alg = o.ak_alg;
	cfg.cvm = o.cvm;
	cfg.tsm = &tsm;
	d.ev.eventlog = o.eventlog;
	d.ev.ima = o.ima;
	d.ev.boot_id = o.boot_id;
	d.ev.pcrs = o.pcrs;

	code = AGENTD_EXIT_CONFIG;
	if (agentc_new(&d.a, &cfg, &err) < 0) {
		logev(L_ERROR, "bad-config", "reason=\"%s\"", err.msg);
		goto out;
	}
	code = AGENTD_EXIT_NOTPM;
	if (tpm_open(&d, &err) < 0) {
		logev(L_ERROR, "no-tpm", "tcti=%s reason=\"%s\"", o.tcti ? o.tcti : "(default)",
		      err.msg);
		goto out;
	}
	logev(L_INFO, "starting", "broker=%s tcti=%s state=%s period_s=%lu%s", o.broker,
	      o.tcti ? o.tcti : "(default)", o.state_dir, o.period_s, o.once ? " once" : "");
	code = run(&d);
	logev(code == AGENTD_EXIT_OK ? L_INFO : L_ERROR, "stopped", "exit=%d", code);
out:
	tpmq_close(d.tpm);
	agentc_free(d.a);
	curl_global_cleanup();
	agentd_opts_free(&o);
	return code;
}
