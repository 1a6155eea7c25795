/*
 * seeds_test.c - the seed corpus of tests/fuzz/tdx_quote_fuzzer.c:
 * synthesised quotes (tdx_build.c) that verify against the fixed test
 * root at the fuzzer's time, plus a few broken ones. Without
 * EPH_TDX_SEEDS_DIR the test only checks that every seed verifies (or is
 * refused, for the broken ones); with it, it also writes them there:
 *   EPH_TDX_SEEDS_DIR=tests/fuzz/corpora/tdx_quote test_tdx --filter tdx_seeds/write_fuzz_corpus
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_build.h"
#include "tdxt.h"

#define FUZZ_AT 1893456000 /* 2030-01-01, as in tdx_quote_fuzzer.c */

struct seed {
	const char *name;
	struct tb_opts o;
	size_t cut;      /* keep only this many bytes (0: all) */
	size_t patch_at; /* with patch_len bytes of patch (0: none) */
	const char *patch;
	size_t patch_len;
	int valid;
};

static const struct seed seeds[] = {
    {"v4-basic", {.version = 4}, 0, 0, NULL, 0, 1},
    {"v4-platform-instance", {.version = 4, .platform_instance = 1}, 0, 0, NULL, 0, 1},
    {"v4-debug-td", {.version = 4, .td_attributes = 0x10000001}, 0, 0, NULL, 0, 1},
    {"v4-zero-padded", {.version = 4, .trailing = 64}, 0, 0, NULL, 0, 1},
    {"v4-long-auth-data", {.version = 4, .qe_auth_len = 200}, 0, 0, NULL, 0, 1},
    {"v5-body10", {.version = 5}, 0, 0, NULL, 0, 1},
    {"v5-body15", {.version = 5, .body15 = 1}, 0, 0, NULL, 0, 1},
    {"v5-module-major-1", {.version = 5, .body15 = 1, .module_major = 1}, 0, 0, NULL, 0, 1},
    {"bad-truncated-in-body", {.version = 4}, 300, 0, NULL, 0, 0},
    {"bad-cert-type-5", {.version = 4}, 0, 632 + 4 + 128, "\x05\x00", 2, 0},
    {"bad-sig-len-past-end", {.version = 4}, 0, 632, "\xff\xff\x00\x00", 4, 0},
};

Test(tdx_seeds, write_fuzz_corpus)
{
	const char *dir = getenv("EPH_TDX_SEEDS_DIR");
	struct eph_err err = {{0}};
	struct tdx_verify_result res;
	struct tdx_quote q;
	tdx_trust *t = tb_trust();
	struct tb_quote b;
	char path[4096];
	size_t i, len;
	int rc;
	FILE *f;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		const struct seed *s = &seeds[i];

		tb_build(&b, &s->o);
		len = s->cut ? s->cut : b.len;
		if (s->patch_len)
			memcpy(b.buf + s->patch_at, s->patch, s->patch_len);
		rc = tdx_quote_parse(&q, b.buf, len, &err);
		if (rc == 0)
			rc = tdx_quote_verify(&res, &q, t, FUZZ_AT, &err);
		if (s->valid)
			cr_assert_eq(rc, 0, "%s: %s", s->name, err.msg);
		else
			cr_assert_lt(rc, 0, "%s accepted", s->name);
		if (dir != NULL) {
			snprintf(path, sizeof(path), "%s/%s", dir, s->name);
			f = fopen(path, "wb");
			cr_assert_not_null(f, "cannot write %s", path);
			cr_assert_eq(fwrite(b.buf, 1, len, f), len);
			fclose(f);
		}
		tb_free(&b);
	}
	tdx_trust_free(t);
}
