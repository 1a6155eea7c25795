/*
 * ct.c - helpers shared by the cwt tests (see ct.h).
 */
#include "ct.h"

#include <criterion/criterion.h>
#include <openssl/ec.h>
#include <stdlib.h>
#include <string.h>

EVP_PKEY *ct_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	cr_assert_not_null(k);
	return k;
}

void ct_claims(struct cwt_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->present = CWT_REQUIRED_EPHEMERA | CWT_HAS_IAT | CWT_HAS_NBF | CWT_HAS_CTI |
		     CWT_HAS_APP_CLASS | CWT_HAS_AUD;
	snprintf(c->iss, sizeof(c->iss), "%s", CT_ISS);
	snprintf(c->sub, sizeof(c->sub), "alice");
	snprintf(c->aud, sizeof(c->aud), "ephemera-broker");
	snprintf(c->role, sizeof(c->role), "analyst");
	snprintf(c->cti_hex, sizeof(c->cti_hex), "0b71aa");
	snprintf(c->app.cls, sizeof(c->app.cls), "batch");
	c->clearance = 2;
	c->sensitivity = CWT_SENS_CONFIDENTIAL;
	c->app.vcpu_milli = 2000;
	c->app.mem_mib = 4096;
	c->app.duration_s = 3600;
	c->iat = c->nbf = CT_NOW - 10;
	c->exp = CT_NOW + 3600;
}

cwt_trust *ct_trust(EVP_PKEY *key)
{
	struct eph_err err = { { 0 } };
	cwt_trust *t = NULL;

	cr_assert_eq(cwt_trust_new(&t, &err), 0);
	cr_assert_eq(cwt_trust_add(t, CT_ISS, key, NULL, 0, &err), 0, "%s", err.msg);
	return t;
}

uint8_t *ct_mint(const struct cwt_claims *c, EVP_PKEY *key, unsigned flags, size_t *len)
{
	struct eph_err err = { { 0 } };
	uint8_t *tok = NULL;

	cr_assert_eq(cwt_sign(&tok, len, c, key, flags, &err), 0, "%s", err.msg);
	return tok;
}

void ct_raw(struct ct_buf *b, const void *p, size_t n)
{
	cr_assert(n <= sizeof(b->b) - b->n);
	if (n > 0)
		memcpy(b->b + b->n, p, n);
	b->n += n;
}

void ct_head(struct ct_buf *b, unsigned mt, uint64_t v)
{
	uint8_t h[9];
	size_t n, i;

	if (v < 24) {
		h[0] = (uint8_t)(mt << 5 | v);
		n = 1;
	} else {
		unsigned ai = v <= 0xff ? 24 : v <= 0xffff ? 25 : v <= 0xffffffffu ? 26 : 27;
		size_t w = (size_t)1 << (ai - 24);

		h[0] = (uint8_t)(mt << 5 | ai);
		for (i = 0; i < w; i++)
			h[1 + i] = (uint8_t)(v >> (8 * (w - 1 - i)));
		n = 1 + w;
	}
	ct_raw(b, h, n);
}

void ct_int(struct ct_buf *b, int64_t v)
{
	if (v >= 0)
		ct_head(b, 0, (uint64_t)v);
	else
		ct_head(b, 1, (uint64_t)(-1 - v));
}

void ct_tstr(struct ct_buf *b, const char *s)
{
	ct_head(b, 3, strlen(s));
	ct_raw(b, s, strlen(s));
}

void ct_bstr(struct ct_buf *b, const void *p, size_t n)
{
	ct_head(b, 2, n);
	ct_raw(b, p, n);
}

static int nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

void ct_hex(struct ct_buf *b, const char *hex)
{
	uint8_t byte;
	int hi, lo;

	while (*hex) {
		if (*hex == ' ' || *hex == '\n') {
			hex++;
			continue;
		}
		hi = nibble(hex[0]);
		lo = hex[1] ? nibble(hex[1]) : -1;
		cr_assert(hi >= 0 && lo >= 0, "bad hex in test: %s", hex);
		byte = (uint8_t)(hi << 4 | lo);
		ct_raw(b, &byte, 1);
		hex += 2;
	}
}

static int dropped(const int64_t *drop, int64_t key)
{
	for (; drop != NULL && *drop != 0; drop++) {
		if (*drop == key)
			return 1;
	}
	return 0;
}

void ct_payload(struct ct_buf *b, const int64_t *drop, unsigned extra)
{
	static const int64_t keys[] = { 1, 2, 4, 5, 6, 7, -65537, -65538, -65539, -65540 };
	size_t i, n = 0;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		n += !dropped(drop, keys[i]);
	ct_head(b, 5, n + extra);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (dropped(drop, keys[i]))
			continue;
		ct_int(b, keys[i]);
		switch (keys[i]) {
		case 1: ct_tstr(b, CT_ISS); break;
		case 2: ct_tstr(b, "alice"); break;
		case 4: ct_int(b, CT_NOW + 3600); break;
		case 5: ct_int(b, CT_NOW - 10); break;
		case 6: ct_int(b, CT_NOW - 10); break;
		case 7: ct_hex(b, "42 0b71"); break;
		case -65537: ct_tstr(b, "analyst"); break;
		case -65538: ct_int(b, 2); break;
		case -65539: ct_hex(b, "a3 01 1907d0 02 191000 03 190e10"); break;
		case -65540: ct_tstr(b, "confidential"); break;
		}
	}
}

void ct_prot_es256(struct ct_buf *b)
{
	ct_hex(b, "a1 01 26");
}

uint8_t *ct_sign_raw(const struct ct_buf *prot, const struct ct_buf *unprot,
		     const struct ct_buf *payload, EVP_PKEY *key, size_t *len)
{
	struct eph_err err = { { 0 } };
	uint8_t *tok = NULL;

	cr_assert_eq(cwt_sign1_raw(&tok, len, prot->b, prot->n, unprot->b, unprot->n, payload->b,
				   payload->n, key, &err),
		     0, "%s", err.msg);
	return tok;
}
