/*
 * appraise.c - what a verified SNP report must show to be accepted: the
 * policy of struct snp_policy (snp.h), the REPORT_DATA binding of
 * DESIGN.md (SHA-512(nonce || AK name)), guest policy bits as the ABI spec
 * defines them (#56860, "Guest Policy").
 *
 * Every check runs, so that the verdict lists all failures; the message is
 * the first one, naming the field and both values. Digests are compared in
 * constant time (CRYPTO_memcmp), though none of them is secret.
 * Not here: whether the report is genuine (verify.c) - appraise only what
 * snp_verify accepted.
 */
#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eph_hash.h"
#include "snp-priv.h"

struct ctx {
	struct snp_verdict *v;
	struct eph_err *err;
};

static void check(struct ctx *c, unsigned bit, int ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check(struct ctx *c, unsigned bit, int ok, const char *fmt, ...)
{
	char msg[EPH_ERR_MSG_MAX];
	va_list ap;

	c->v->checked |= bit;
	if (ok)
		return;
	if (c->v->failed == 0) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		eph_err_set(c->err, EPH_EPOLICY, "%s", msg);
	}
	c->v->failed |= bit;
}

/* The first 8 bytes as hex, enough to tell two digests apart in a log. */
static const char *short_hex(char *buf, size_t size, const uint8_t *p)
{
	snp__hex(buf, size, p, 8);
	return buf;
}

static int all_ff(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0xff)
			return 0;
	return 1;
}

static void check_tcb(struct ctx *c, const struct snp_tcb *t, const struct snp_tcb *min)
{
	static const char *const names[] = {"fmc", "bootloader", "tee", "snp", "microcode"};
	const uint8_t got[] = {t->fmc, t->bootloader, t->tee, t->snp, t->microcode};
	const uint8_t want[] = {min->fmc, min->bootloader, min->tee, min->snp, min->microcode};
	size_t i;

	for (i = 0; i < sizeof(got); i++)
		check(c, SNP_CHECK_TCB, got[i] >= want[i],
		      "reported_tcb.%s %u is below the policy minimum %u", names[i], got[i],
		      want[i]);
}

int snp_appraise(struct snp_verdict *verdict, const struct snp_report *r,
                 const struct snp_policy *p, const uint8_t *expected_report_data,
                 struct eph_err *err)
{
	struct snp_verdict local;
	struct ctx c = {verdict != NULL ? verdict : &local, err};
	char h1[20], h2[20];
	size_t i;
	int found = -1;

	assert(r != NULL && p != NULL && expected_report_data != NULL);
	memset(c.v, 0, sizeof(*c.v));
	c.v->measurement_index = -1;

	check(&c, SNP_CHECK_REPORT_DATA,
	      CRYPTO_memcmp(r->report_data, expected_report_data, SNP_REPORT_DATA_SIZE) == 0,
	      "report_data %s... is not the expected %s... (nonce/AK binding)",
	      short_hex(h1, sizeof(h1), r->report_data),
	      short_hex(h2, sizeof(h2), expected_report_data));

	for (i = 0; i < p->n_measurements && i < SNP_POLICY_MAX_MEASUREMENTS && found < 0; i++)
		if (CRYPTO_memcmp(r->measurement, p->measurements[i], SNP_MEASUREMENT_SIZE) == 0)
			found = (int)i;
	c.v->measurement_index = found;
	if (p->n_measurements == 0 && !p->any_measurement)
		check(&c, SNP_CHECK_MEASUREMENT, 0,
		      "measurement %s...: the policy lists no measurement (nor any_measurement)",
		      short_hex(h1, sizeof(h1), r->measurement));
	else if (!p->any_measurement)
		check(&c, SNP_CHECK_MEASUREMENT, found >= 0,
		      "measurement %s... is none of the %zu policy measurements (first %s...)",
		      short_hex(h1, sizeof(h1), r->measurement), p->n_measurements,
		      short_hex(h2, sizeof(h2), p->measurements[0]));

	if (p->check_host_data)
		check(&c, SNP_CHECK_HOST_DATA,
		      CRYPTO_memcmp(r->host_data, p->host_data, SNP_HOST_DATA_SIZE) == 0,
		      "host_data %s... is not the policy's %s...",
		      short_hex(h1, sizeof(h1), r->host_data),
		      short_hex(h2, sizeof(h2), p->host_data));
	if (p->check_id_key_digest)
		check(&c, SNP_CHECK_ID_KEY,
		      CRYPTO_memcmp(r->id_key_digest, p->id_key_digest, SNP_KEY_DIGEST_SIZE) == 0,
		      "id_key_digest %s... is not the policy's %s...",
		      short_hex(h1, sizeof(h1), r->id_key_digest),
		      short_hex(h2, sizeof(h2), p->id_key_digest));

	check_tcb(&c, &r->reported_tcb, &p->min_tcb);
	check(&c, SNP_CHECK_GUEST_SVN, r->guest_svn >= p->min_guest_svn,
	      "guest_svn %u is below the policy minimum %u", r->guest_svn, p->min_guest_svn);
	check(&c, SNP_CHECK_DEBUG, p->allow_debug || !r->debug_allowed,
	      "policy 0x%llx allows debugging (POLICY.DEBUG=1), the policy requires 0",
	      (unsigned long long)r->policy);
	check(&c, SNP_CHECK_MIGRATION, p->allow_migration_agent || !r->migrate_ma_allowed,
	      "policy 0x%llx allows a migration agent (POLICY.MIGRATE_MA=1), the policy requires 0",
	      (unsigned long long)r->policy);
	check(&c, SNP_CHECK_MIGRATION,
	      p->allow_migration_agent || all_ff(r->report_id_ma, SNP_REPORT_ID_SIZE),
	      "report_id_ma %s... names a migration agent, the policy forbids one",
	      short_hex(h1, sizeof(h1), r->report_id_ma));
	check(&c, SNP_CHECK_VMPL, r->vmpl <= p->max_vmpl, "vmpl %u exceeds the policy maximum %u",
	      r->vmpl, p->max_vmpl);
	if (p->forbid_smt) {
		check(&c, SNP_CHECK_SMT, !r->smt_allowed,
		      "policy 0x%llx allows SMT (POLICY.SMT=1), the policy forbids it",
		      (unsigned long long)r->policy);
		check(&c, SNP_CHECK_SMT, (r->platform_info & SNP_PLATFORM_SMT_EN) == 0,
		      "platform_info 0x%llx has SMT enabled, the policy forbids it",
		      (unsigned long long)r->platform_info);
	}
	if (p->require_single_socket)
		check(&c, SNP_CHECK_SINGLE_SOCKET, r->single_socket,
		      "policy 0x%llx lacks SINGLE_SOCKET, the policy requires it",
		      (unsigned long long)r->policy);
	check(&c, SNP_CHECK_SIGNING_KEY,
	      r->signing_key == SNP_SIGNING_KEY_VCEK ||
	          (r->signing_key == SNP_SIGNING_KEY_VLEK && !p->forbid_vlek),
	      "signing_key %u is not allowed (the policy %s)", (unsigned)r->signing_key,
	      p->forbid_vlek ? "takes VCEK only" : "takes VCEK or VLEK");
	return c.v->failed ? EPH_EPOLICY : 0;
}

int snp_expected_report_data(uint8_t *out, const uint8_t *nonce, size_t nonce_len,
                             const uint8_t *ak_name, size_t ak_name_len)
{
	/* One definition of the binding for agent and broker: common/. */
	return eph_bind_report_data(out, nonce, nonce_len, ak_name, ak_name_len) < 0 ? EPH_EFAIL
										     : 0;
}
