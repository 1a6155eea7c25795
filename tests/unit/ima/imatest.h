/*
 * imatest.h - builders for synthesised IMA measurement lists, shared by the
 * test_ima files. Each appends one entry to a tu_buf with a correct template
 * hash (SHA1 over the template data, computed through OpenSSL directly so the
 * tests do not check the library against itself).
 */
#ifndef IMATEST_H
#define IMATEST_H

#include <stddef.h>
#include <stdint.h>

#include "testutil.h"

/* SHA1 through OpenSSL's EVP, independent of eph_hash. */
void it_sha1(uint8_t out[20], const void *data, size_t len);

/* d-ng | n-ng [| sig]: algo NULL gives a bare digest; sig NULL + with_sig 0 gives ima-ng. */
void it_ng_data(struct tu_buf *d, const char *algo, const uint8_t *dig, size_t dlen,
		const char *fname, const uint8_t *sig, size_t siglen, int with_sig);

/* A binary entry of any template with raw template data and given hash (NULL: SHA1). */
void it_bin_raw(struct tu_buf *b, uint32_t pcr, const uint8_t *hash, const char *tname,
		const uint8_t *data, size_t len);

/* A binary ima-ng (or ima-sig when with_sig) entry; violation: zero hash. */
void it_bin_ng(struct tu_buf *b, uint32_t pcr, const char *algo, const uint8_t *dig,
	       size_t dlen, const char *fname, const uint8_t *sig, size_t siglen, int with_sig,
	       int violation);

/* A binary legacy "ima" entry; violation: zero hash. */
void it_bin_old(struct tu_buf *b, uint32_t pcr, const uint8_t dig[20], const char *fname,
		int violation);

/* Parse text as an ascii list; returns rc, *out set on success. */
struct evlog_ima;
int it_parse_str(struct evlog_ima **out, const char *text, unsigned flags, char *msg,
		 size_t msgsize);

#endif
