/*
 * ima_build.c - see imatest.h.
 */
#include "imatest.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "evlog.h"

void it_sha1(uint8_t out[20], const void *data, size_t len)
{
	unsigned int n = 0;

	cr_assert_eq(EVP_Digest(data, len, out, &n, EVP_sha1(), NULL), 1);
	cr_assert_eq(n, 20);
}

static void field(struct tu_buf *d, const void *p, size_t n)
{
	tu_u32(d, (uint32_t)n);
	tu_put(d, p, n);
}

void it_ng_data(struct tu_buf *d, const char *algo, const uint8_t *dig, size_t dlen,
		const char *fname, const uint8_t *sig, size_t siglen, int with_sig)
{
	size_t alen = algo ? strlen(algo) : 0;

	if (algo) {
		tu_u32(d, (uint32_t)(alen + 2 + dlen));
		tu_put(d, algo, alen);
		tu_put(d, ":", 2); /* ':' and its NUL */
		tu_put(d, dig, dlen);
	} else {
		field(d, dig, dlen);
	}
	field(d, fname, strlen(fname) + 1);
	if (with_sig)
		field(d, sig, siglen);
}

void it_bin_raw(struct tu_buf *b, uint32_t pcr, const uint8_t *hash, const char *tname,
		const uint8_t *data, size_t len)
{
	uint8_t h[20];

	if (hash == NULL)
		it_sha1(h, data, len);
	else
		memcpy(h, hash, 20);
	tu_u32(b, pcr);
	tu_put(b, h, 20);
	tu_u32(b, (uint32_t)strlen(tname));
	tu_put(b, tname, strlen(tname));
	tu_u32(b, (uint32_t)len);
	tu_put(b, data, len);
}

void it_bin_ng(struct tu_buf *b, uint32_t pcr, const char *algo, const uint8_t *dig,
	       size_t dlen, const char *fname, const uint8_t *sig, size_t siglen, int with_sig,
	       int violation)
{
	static const uint8_t zero[20];
	struct tu_buf d = {0};

	it_ng_data(&d, algo, dig, dlen, fname, sig, siglen, with_sig);
	it_bin_raw(b, pcr, violation ? zero : NULL, with_sig ? "ima-sig" : "ima-ng", d.p, d.n);
	tu_free(&d);
}

void it_bin_old(struct tu_buf *b, uint32_t pcr, const uint8_t dig[20], const char *fname,
		int violation)
{
	uint8_t hashed[20 + 256] = {0};
	uint8_t h[20] = {0};
	size_t n = strlen(fname);

	cr_assert_leq(n, 255);
	memcpy(hashed, dig, 20);
	memcpy(hashed + 20, fname, n);
	if (!violation)
		it_sha1(h, hashed, sizeof(hashed));
	tu_u32(b, pcr);
	tu_put(b, h, 20);
	tu_u32(b, 3);
	tu_put(b, "ima", 3);
	tu_put(b, dig, 20);
	tu_u32(b, (uint32_t)n);
	tu_put(b, fname, n);
}

int it_parse_str(struct evlog_ima **out, const char *text, unsigned flags, char *msg,
		 size_t msgsize)
{
	struct eph_err err = {{0}};
	int rc = evlog_ima_parse(out, (const uint8_t *)text, strlen(text), flags, &err);

	snprintf(msg, msgsize, "%s", err.msg);
	return rc;
}
