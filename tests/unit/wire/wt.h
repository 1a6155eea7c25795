/*
 * wt.h - helpers of the libwire tests: realistic messages of every type,
 * a tiny CBOR writer for shaping exactly the bad bytes a rejection test
 * needs, hex input for hand-written messages, and field-by-field equality.
 */
#ifndef WIRE_TEST_H
#define WIRE_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* A growable byte buffer; every append aborts the test on failure. */
struct wb {
	uint8_t *p;
	size_t n;
	size_t cap;
};
void wb_put(struct wb *b, const void *src, size_t n);
void wb_u8(struct wb *b, uint8_t v);
/* A CBOR head: major type 0..7 and argument, shortest form. */
void wb_head(struct wb *b, unsigned major, uint64_t v);
void wb_uint(struct wb *b, uint64_t v);
void wb_neg(struct wb *b, uint64_t n); /* the integer -1-n */
void wb_bstr(struct wb *b, const void *p, size_t n);
void wb_bfill(struct wb *b, size_t n, uint8_t fill); /* n bytes of fill */
void wb_tstr(struct wb *b, const char *s);
void wb_tstrn(struct wb *b, const void *s, size_t n);
void wb_free(struct wb *b);

/* Hex (spaces ignored) into a new buffer; aborts on bad hex. */
uint8_t *wt_hex(const char *hex, size_t *len);

/* Deterministic pseudo-random bytes (xorshift), for content and fuzzing. */
void wt_fill(uint8_t *p, size_t n, uint64_t *state);

/*
 * Realistic messages. Byte strings point into buffers owned by the test
 * (freed by wt_release) or, with big = 0, at small content suitable for
 * fuzz seeds. attest_req: 3 PCR banks, a 20 KB event log (big); attrs: 8.
 */
void wt_error(struct wire_error *m);
void wt_register_req(struct wire_register_req *m);
void wt_register_resp(struct wire_register_resp *m);
void wt_activate_req(struct wire_activate_req *m);
void wt_activate_resp(struct wire_activate_resp *m);
void wt_challenge_resp(struct wire_challenge_resp *m);
void wt_attest_req(struct wire_attest_req *m, int big);
void wt_attest_resp(struct wire_attest_resp *m);
void wt_env_create_req(struct wire_env_create_req *m);
void wt_env(struct wire_env *m);
void wt_release(void); /* frees every buffer the wt_<msg> calls made */

/* Field-by-field equality; cr_assert on the first difference. */
void wt_eq_bytes(const struct wire_bytes *a, const struct wire_bytes *b, const char *what);
void wt_eq_attest_req(const struct wire_attest_req *a, const struct wire_attest_req *b);
void wt_eq_attrs(const struct wire_attr *a, const struct wire_attr *b, uint32_t n);

/* Assert that rc is code and err contains needle. */
void wt_refused(int rc, int code, const struct eph_err *err, const char *needle);

#endif
