/*
 * tdxt.h - helpers shared by the libtdx tests: vectors by name, a quote
 * parsed from a vector, hex of a buffer.
 */
#ifndef TDXT_H
#define TDXT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tdx.h"

#define TV "tdx/go-tdx-guest/"
#define TV_SPR TV "tdx_prod_quote_SPR_E4.dat"
#define TV_V5 TV "quote_v5_sample.dat"
#define TV_COS TV "ccel-case/cos-113-tdx-quote.dat"
#define TV_TRUSTEE "tdx/trustee/tdx_quote_4.dat"
#define TV_ROOT "tdx/intel-root/trusted_root.pem"

/* Read a vector (cr_skip_test when the folder is missing is the caller's job). */
uint8_t *tt_vec(const char *rel, size_t *len);

/* Parse buf or fail the test. */
void tt_parse(struct tdx_quote *q, const uint8_t *buf, size_t len);

/* The Intel root from the vectors, pinned; fails the test if it does not load. */
tdx_trust *tt_intel_trust(void);

/* UTC time from "YYYY-MM-DD". */
time_t tt_date(int y, int m, int d);

/* Lower-case hex of n bytes in a static buffer (one at a time). */
const char *tt_hex(const uint8_t *p, size_t n);

/* 1 if haystack contains needle. */
int tt_has(const char *haystack, const char *needle);

#endif
