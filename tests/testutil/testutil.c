/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "eph_file.h"
#include "eph_hash.h"

#include <openssl/evp.h>

const char *tu_vectors(void)
{
	const char *v = getenv("EPH_VECTORS");
	struct stat st;

	if (v == NULL || *v == '\0')
		v = EPH_VECTORS_DEFAULT;
	if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "SKIP: shared vectors folder %s is missing\n", v);
		return NULL;
	}
	return v;
}

const char *tu_vector_path(const char *rel)
{
	static char path[4096];
	const char *v = getenv("EPH_VECTORS");

	if (v == NULL || *v == '\0')
		v = EPH_VECTORS_DEFAULT;
	snprintf(path, sizeof(path), "%s/%s", v, rel);
	return path;
}

uint8_t *tu_read(const char *path, size_t *len)
{
	struct eph_err err = {{0}};
	uint8_t *buf = NULL;
	int rc = eph_file_read(&buf, len, path, 64u << 20, &err);

	cr_assert_eq(rc, 0, "reading %s: %s", path, err.msg);
	return buf;
}

int tu_run(const char *cmd, char **out)
{
	FILE *p = popen(cmd, "r");
	char *buf = NULL, *nbuf;
	size_t n = 0, cap = 0, got;
	int st;

	*out = NULL;
	if (p == NULL)
		return -1;
	for (;;) {
		if (cap - n < 4097) {
			cap = cap ? cap * 2 : 65536;
			nbuf = realloc(buf, cap);
			cr_assert_not_null(nbuf);
			buf = nbuf;
		}
		got = fread(buf + n, 1, cap - n - 1, p);
		if (got == 0)
			break;
		n += got;
	}
	buf[n] = '\0';
	*out = buf;
	st = pclose(p);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

void tu_put(struct tu_buf *b, const void *src, size_t n)
{
	if (b->cap - b->n < n) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap - b->n < n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		cr_assert_not_null(b->p);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, src, n);
	b->n += n;
}

void tu_u8(struct tu_buf *b, uint8_t v)
{
	tu_put(b, &v, 1);
}

void tu_u16(struct tu_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	tu_put(b, x, 2);
}

void tu_u32(struct tu_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	tu_put(b, x, 4);
}

void tu_u64(struct tu_buf *b, uint64_t v)
{
	tu_u32(b, (uint32_t)v);
	tu_u32(b, (uint32_t)(v >> 32));
}

void tu_free(struct tu_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

void tu_specid(struct tu_buf *b, const uint16_t *algs, unsigned nalgs)
{
	static const char sig[16] = "Spec ID Event03";
	uint8_t zero[20] = {0};
	unsigned i;

	tu_u32(b, 0);            /* PCR */
	tu_u32(b, 3);            /* EV_NO_ACTION */
	tu_put(b, zero, 20);     /* SHA1 digest */
	tu_u32(b, 16 + 4 + 4 + 4 + nalgs * 4 + 1);
	tu_put(b, sig, 16);
	tu_u32(b, 0);            /* platformClass */
	tu_u8(b, 0);             /* specVersionMinor */
	tu_u8(b, 2);             /* specVersionMajor */
	tu_u8(b, 0);             /* specErrata */
	tu_u8(b, 2);             /* uintnSize */
	tu_u32(b, nalgs);
	for (i = 0; i < nalgs; i++) {
		tu_u16(b, algs[i]);
		tu_u16(b, (uint16_t)eph_hash_size(algs[i]));
	}
	tu_u8(b, 0);             /* vendorInfoSize */
}

void tu_event2(struct tu_buf *b, uint32_t pcr, uint32_t type, const void *data, uint32_t len,
	       const uint16_t *algs, unsigned nalgs)
{
	uint8_t d[EPH_HASH_MAX];
	unsigned i;

	tu_u32(b, pcr);
	tu_u32(b, type);
	tu_u32(b, nalgs);
	for (i = 0; i < nalgs; i++) {
		cr_assert_eq(eph_hash(algs[i], data, len, d), 0);
		tu_u16(b, algs[i]);
		tu_put(b, d, eph_hash_size(algs[i]));
	}
	tu_u32(b, len);
	tu_put(b, data, len);
}

void tu_event1(struct tu_buf *b, uint32_t pcr, uint32_t type, const void *data, uint32_t len)
{
	uint8_t d[20];

	cr_assert_eq(eph_hash(EPH_ALG_SHA1, data, len, d), 0);
	tu_u32(b, pcr);
	tu_u32(b, type);
	tu_put(b, d, 20);
	tu_u32(b, len);
	tu_put(b, data, len);
}

int tu_base64_decode(uint8_t *out, const char *b64)
{
	size_t len = strlen(b64);
	int n;

	if (len == 0)
		return 0;
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	cr_assert_geq(n, 0, "bad base64");
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (len >= 1 && b64[len - 1] == '=')
		n--;
	if (len >= 2 && b64[len - 2] == '=')
		n--;
	return n;
}
