/*
 * wt.c - helpers of the libwire tests (see wt.h).
 */
#include "wt.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hash.h"

void wb_put(struct wb *b, const void *src, size_t n)
{
	if (n > b->cap - b->n) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap - b->n < n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		cr_assert_not_null(b->p);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->n, src, n);
	b->n += n;
}

void wb_u8(struct wb *b, uint8_t v)
{
	wb_put(b, &v, 1);
}

void wb_head(struct wb *b, unsigned major, uint64_t v)
{
	uint8_t h[9];
	size_t n, i;

	h[0] = (uint8_t)(major << 5);
	if (v < 24) {
		h[0] |= (uint8_t)v;
		n = 0;
	} else if (v <= 0xff) {
		h[0] |= 24;
		n = 1;
	} else if (v <= 0xffff) {
		h[0] |= 25;
		n = 2;
	} else if (v <= 0xffffffffu) {
		h[0] |= 26;
		n = 4;
	} else {
		h[0] |= 27;
		n = 8;
	}
	for (i = 0; i < n; i++)
		h[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	wb_put(b, h, 1 + n);
}

void wb_uint(struct wb *b, uint64_t v)
{
	wb_head(b, 0, v);
}

void wb_neg(struct wb *b, uint64_t n)
{
	wb_head(b, 1, n);
}

void wb_bstr(struct wb *b, const void *p, size_t n)
{
	wb_head(b, 2, n);
	wb_put(b, p, n);
}

void wb_bfill(struct wb *b, size_t n, uint8_t fill)
{
	uint8_t *p = malloc(n ? n : 1);

	cr_assert_not_null(p);
	memset(p, fill, n);
	wb_bstr(b, p, n);
	free(p);
}

void wb_tstr(struct wb *b, const char *s)
{
	wb_tstrn(b, s, strlen(s));
}

void wb_tstrn(struct wb *b, const void *s, size_t n)
{
	wb_head(b, 3, n);
	wb_put(b, s, n);
}

void wb_free(struct wb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *wt_hex(const char *hex, size_t *len)
{
	uint8_t *out = malloc(strlen(hex) / 2 + 1);
	size_t n = 0;
	int hi = -1, v;

	cr_assert_not_null(out);
	for (; *hex; hex++) {
		if (*hex == ' ' || *hex == '\n')
			continue;
		v = hexval(*hex);
		cr_assert_geq(v, 0, "bad hex digit '%c'", *hex);
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	cr_assert_lt(hi, 0, "odd number of hex digits");
	*len = n;
	return out;
}

void wt_fill(uint8_t *p, size_t n, uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
	*state = x;
}

#define WT_MAX_BUFS 64
static uint8_t *bufs[WT_MAX_BUFS];
static size_t nbufs;
static uint64_t seed = 42;

/* n pseudo-random bytes owned by this file until wt_release(). */
static struct wire_bytes blob(size_t n)
{
	struct wire_bytes b;

	cr_assert_lt(nbufs, WT_MAX_BUFS);
	b.p = malloc(n);
	cr_assert_not_null(b.p);
	wt_fill(b.p, n, &seed);
	b.len = n;
	bufs[nbufs++] = b.p;
	return b;
}

void wt_release(void)
{
	while (nbufs > 0)
		free(bufs[--nbufs]);
}

static void text(char *dst, size_t cap, const char *s)
{
	cr_assert_lt(strlen(s), cap);
	memcpy(dst, s, strlen(s) + 1);
}

void wt_error(struct wire_error *m)
{
	memset(m, 0, sizeof(*m));
	text(m->code, sizeof(m->code), "nonce-replayed");
	text(m->message, sizeof(m->message),
	     "nonce 3f2a... was already used by agent a-0042 at 2024-05-01T10:00:00Z");
}

void wt_register_req(struct wire_register_req *m)
{
	memset(m, 0, sizeof(*m));
	m->ek_cert = blob(1187);
	m->ak_pub = blob(282);
	text(m->hostname, sizeof(m->hostname), "guest-07.ephemera.test");
	text(m->cvm, sizeof(m->cvm), "sev-snp");
}

void wt_register_resp(struct wire_register_resp *m)
{
	memset(m, 0, sizeof(*m));
	text(m->agent_id, sizeof(m->agent_id), "a-5f0c3e9d2b7a4811");
	m->cred_blob = blob(68);
	m->cred_secret = blob(258);
}

void wt_activate_req(struct wire_activate_req *m)
{
	memset(m, 0, sizeof(*m));
	text(m->agent_id, sizeof(m->agent_id), "a-5f0c3e9d2b7a4811");
	m->secret = blob(32);
}

void wt_activate_resp(struct wire_activate_resp *m)
{
	memset(m, 0, sizeof(*m));
	text(m->status, sizeof(m->status), "activated");
}

void wt_challenge_resp(struct wire_challenge_resp *m)
{
	memset(m, 0, sizeof(*m));
	wt_fill(m->nonce, sizeof(m->nonce), &seed);
	m->expires = 1714557660;
}

static void bank(struct wire_pcr_bank *b, uint16_t alg, uint32_t mask)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->alg = alg;
	b->size = (uint8_t)eph_hash_size(alg);
	b->mask = mask;
	for (i = 0; i < 24; i++)
		if (mask & 1u << i)
			wt_fill(b->pcr[i], b->size, &seed);
}

void wt_attest_req(struct wire_attest_req *m, int big)
{
	memset(m, 0, sizeof(*m));
	text(m->agent_id, sizeof(m->agent_id), "a-5f0c3e9d2b7a4811");
	wt_fill(m->nonce, sizeof(m->nonce), &seed);
	m->quote = blob(big ? 145 : 40);
	m->sig = blob(big ? 262 : 16);
	m->num_banks = 3;
	bank(&m->banks[0], EPH_ALG_SHA1, 0x0004ff);      /* 0-7, 10 */
	bank(&m->banks[1], EPH_ALG_SHA256, 0xffffff);    /* all 24 */
	bank(&m->banks[2], EPH_ALG_SHA384, big ? 0x000481 : 0x1); /* 0, 7, 10 */
	m->eventlog = blob(big ? 20 * 1024 : 300);
	m->ima = blob(big ? 8 * 1024 : 100);
	m->ima_offset = 1234;
	if (big) {
		m->snp_report = blob(1184);
		m->snp_certs = blob(3200);
	}
}

static void attrs(struct wire_attr *a, uint32_t *n)
{
	static const struct {
		const char *name, *value;
		float c;
	} v[] = {
		{"user", "alice@example.org", 0.9f},
		{"role", "analyst", 0.9f},
		{"clearance", "secret", 0.75f},
		{"platform", "sev-snp", 1.0f},
		{"secure_boot", "on", 1.0f},
		{"kernel", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 1.0f},
		{"tcb", "bl=3 tee=0 snp=14 ucode=209", 0.5f},
		{"app_profile", "batch-etl \xc3\xa9t\xc3\xa9", 0.0f},
	};
	uint32_t i;

	for (i = 0; i < 8; i++) {
		text(a[i].name, sizeof(a[i].name), v[i].name);
		text(a[i].value, sizeof(a[i].value), v[i].value);
		a[i].confidence = v[i].c;
	}
	*n = 8;
}

void wt_attest_resp(struct wire_attest_resp *m)
{
	memset(m, 0, sizeof(*m));
	m->result[WIRE_AR_INSTANCE_IDENTITY] = WIRE_TIER_AFFIRMING;
	m->result[WIRE_AR_CONFIGURATION] = WIRE_TIER_WARNING;
	m->result[WIRE_AR_EXECUTABLES] = WIRE_TIER_AFFIRMING;
	m->result[WIRE_AR_HARDWARE] = WIRE_TIER_AFFIRMING;
	m->result[WIRE_AR_RUNTIME_OPAQUE] = WIRE_TIER_CONTRAINDICATED;
	text(m->directive, sizeof(m->directive), "continue");
	m->deadline = 1714558260;
	attrs(m->attrs, &m->num_attrs);
}

void wt_env_create_req(struct wire_env_create_req *m)
{
	memset(m, 0, sizeof(*m));
	m->claims = blob(611);
}

void wt_env(struct wire_env *m)
{
	memset(m, 0, sizeof(*m));
	text(m->env_id, sizeof(m->env_id), "env-20240501-0007");
	text(m->state, sizeof(m->state), "running");
	text(m->reason, sizeof(m->reason), "attested at 2024-05-01T10:01:00Z");
	text(m->size, sizeof(m->size), "m");
	m->count = 2;
	m->prewarm = 1;
	m->vcpu_milli = 2000;
	m->mem_mib = 4096;
	text(m->network, sizeof(m->network), "allowlist");
	text(m->encryption, sizeof(m->encryption), "confidential-only");
	m->ttl = 3600;
	m->reattest = 300;
	attrs(m->attrs, &m->num_attrs);
}

void wt_eq_bytes(const struct wire_bytes *a, const struct wire_bytes *b, const char *what)
{
	cr_assert_eq(a->len, b->len, "%s: length %zu != %zu", what, a->len, b->len);
	if (a->len > 0)
		cr_assert_eq(memcmp(a->p, b->p, a->len), 0, "%s differs", what);
	cr_assert(a->len > 0 || b->p == NULL, "%s: empty but not NULL", what);
}

void wt_eq_attrs(const struct wire_attr *a, const struct wire_attr *b, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		cr_assert_str_eq(a[i].name, b[i].name);
		cr_assert_str_eq(a[i].value, b[i].value);
		cr_assert_eq(a[i].confidence, b[i].confidence, "attr %u confidence", i);
	}
}

void wt_eq_attest_req(const struct wire_attest_req *a, const struct wire_attest_req *b)
{
	uint32_t i;

	cr_assert_str_eq(a->agent_id, b->agent_id);
	cr_assert_eq(memcmp(a->nonce, b->nonce, sizeof(a->nonce)), 0);
	wt_eq_bytes(&a->quote, &b->quote, "quote");
	wt_eq_bytes(&a->sig, &b->sig, "sig");
	cr_assert_eq(a->num_banks, b->num_banks);
	for (i = 0; i < a->num_banks; i++) {
		cr_assert_eq(a->banks[i].alg, b->banks[i].alg, "bank %u alg", i);
		cr_assert_eq(a->banks[i].mask, b->banks[i].mask, "bank %u mask", i);
		cr_assert_eq(a->banks[i].size, b->banks[i].size, "bank %u size", i);
		cr_assert_eq(memcmp(a->banks[i].pcr, b->banks[i].pcr, sizeof(a->banks[i].pcr)), 0,
			     "bank %u values", i);
	}
	wt_eq_bytes(&a->eventlog, &b->eventlog, "eventlog");
	wt_eq_bytes(&a->ima, &b->ima, "ima");
	cr_assert_eq(a->ima_offset, b->ima_offset);
	wt_eq_bytes(&a->snp_report, &b->snp_report, "snp_report");
	wt_eq_bytes(&a->snp_certs, &b->snp_certs, "snp_certs");
	wt_eq_bytes(&a->tdx_quote, &b->tdx_quote, "tdx_quote");
}

void wt_refused(int rc, int code, const struct eph_err *err, const char *needle)
{
	cr_assert_eq(rc, code, "rc %d, expected %d (%s)", rc, code, err->msg);
	cr_assert(strstr(err->msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err->msg,
		  needle);
}
