/*
 * agentconf.c - the text of a VM's /etc/ephemera/agent.conf, in the keys
 * of agent/daemon/config.c ("key = value" per line; an unknown key makes
 * the agent refuse the file, so only known keys are written).
 *
 * Fixed by the driver: broker (the URL the guest reaches through its
 * guestfwd), pin, tcti device:/dev/tpmrm0 (the vTPM behind tpm-crb), state_dir on the
 * initramfs, hostname = the env id (the broker matches agents to
 * environments by it). From the spec's environment, EPH_* variables the
 * agent understands (the sandbox driver passes the same names to its
 * workloads' environment):
 *   EPH_PERIOD_S -> period_s      EPH_PCRS -> pcrs      EPH_AK_ALG -> ak_alg
 *   EPH_START_TIMEOUT -> start_timeout   EPH_VERBOSE -> verbose
 * Others (EPH_TCTI, EPH_ENV_ID, EPH_NET_*) mean nothing inside a VM and are
 * ignored. A value with a control character, '#' or longer than 200 bytes
 * is refused: it would break or extend the line format.
 *
 * No cacert line, although /etc/ephemera/broker.pem is in the archive: with
 * a CA file the agent also checks the host name, and the broker's
 * certificate names the host's address, not QV_GUEST_BROKER_IP. The pin is
 * the trust decision (agent/client/src/http.c).
 *
 * Not here: checking that the agent accepts the values (it does, at boot).
 */
#include <stdio.h>
#include <string.h>

#include "qemu-priv.h"

#define VAL_MAX 200

static const struct {
	const char *env;
	const char *key;
} env_keys[] = {
	{ "EPH_PERIOD_S", "period_s" },
	{ "EPH_PCRS", "pcrs" },
	{ "EPH_AK_ALG", "ak_alg" },
	{ "EPH_START_TIMEOUT", "start_timeout" },
	{ "EPH_VERBOSE", "verbose" },
};
#define N_ENV_KEYS (sizeof(env_keys) / sizeof(env_keys[0]))

static int val_ok(const char *v)
{
	size_t l = strlen(v), i;

	if (l == 0 || l > VAL_MAX)
		return 0;
	for (i = 0; i < l; i++)
		if ((unsigned char)v[i] < ' ' || v[i] == 0x7f || v[i] == '#')
			return 0;
	return 1;
}

struct out {
	char *buf;
	size_t cap, len;
	int full;
};

static void add(struct out *o, const char *key, const char *val)
{
	int n;

	if (o->full)
		return;
	n = snprintf(o->buf + o->len, o->cap - o->len, "%s = %s\n", key, val);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

/* The value of NAME=... in envp, or NULL. */
static const char *env_get(char *const *envp, const char *name)
{
	size_t l = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, l) == 0 && (*envp)[l] == '=')
			return *envp + l + 1;
	return NULL;
}

int qv__agent_conf(char *buf, size_t cap, const struct qv_agent_in *in, struct eph_err *err)
{
	struct out o = { buf, cap, 0, 0 };
	const char *seen[N_ENV_KEYS] = { NULL };
	char num[24];
	size_t i;
	int n;

	if (!val_ok(in->broker_url) || !in->pin || !val_ok(in->pin) || !val_ok(in->hostname))
		return eph_err_set(err, EPH_EFORMAT, "agent config: bad broker URL, pin or name");
	for (i = 0; i < N_ENV_KEYS; i++) {
		seen[i] = env_get(in->envp, env_keys[i].env);
		if (seen[i] && !val_ok(seen[i]))
			return eph_err_set(err, EPH_EFORMAT, "agent config: %s has a bad value",
					   env_keys[i].env);
	}
	if (in->pcrs && !val_ok(in->pcrs))
		return eph_err_set(err, EPH_EFORMAT, "agent config: bad PCR selection");
	n = snprintf(o.buf, o.cap, "# agent.conf of VM %s, written by the ephemera qemu driver\n",
		     in->hostname);
	if (n < 0 || (size_t)n >= o.cap)
		return eph_err_set(err, EPH_ENOMEM, "agent config longer than %zu bytes", cap);
	o.len = (size_t)n;
	add(&o, "broker", in->broker_url);
	add(&o, "pin", in->pin);
	add(&o, "tcti", "device:/dev/tpmrm0");
	add(&o, "state_dir", "/var/lib/ephemera-agent");
	add(&o, "hostname", in->hostname);
	if (in->period_s && !seen[0]) {
		snprintf(num, sizeof(num), "%u", in->period_s);
		add(&o, "period_s", num);
	}
	if (in->pcrs && !seen[1])
		add(&o, "pcrs", in->pcrs);
	for (i = 0; i < N_ENV_KEYS; i++)
		if (seen[i])
			add(&o, env_keys[i].key, seen[i]);
	if (o.full)
		return eph_err_set(err, EPH_ENOMEM, "agent config longer than %zu bytes", cap);
	return 0;
}
