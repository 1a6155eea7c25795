/*
 * tdxt.c - see tdxt.h.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "eph_hex.h"
#include "tdxt.h"
#include "testutil.h"

uint8_t *tt_vec(const char *rel, size_t *len) { return tu_read(tu_vector_path(rel), len); }

void tt_parse(struct tdx_quote *q, const uint8_t *buf, size_t len)
{
	struct eph_err err = {{0}};

	cr_assert_eq(tdx_quote_parse(q, buf, len, &err), 0, "parse: %s", err.msg);
}

tdx_trust *tt_intel_trust(void)
{
	struct eph_err err = {{0}};
	tdx_trust *t = NULL;

	cr_assert_eq(tdx_trust_load(&t, tu_vector_path(TV_ROOT), 0, &err), 0, "%s", err.msg);
	return t;
}

time_t tt_date(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return timegm(&tm);
}

const char *tt_hex(const uint8_t *p, size_t n)
{
	static char buf[2 * 1024 + 1];

	cr_assert(n <= 1024);
	eph_hex_encode(buf, sizeof(buf), p, n);
	return buf;
}

int tt_has(const char *haystack, const char *needle) { return strstr(haystack, needle) != NULL; }
