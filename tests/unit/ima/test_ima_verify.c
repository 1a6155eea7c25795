/*
 * test_ima_verify.c - template hash checks and PCR replay over synthesised
 * lists, against values computed by hand (python hashlib) and written here.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hex.h"
#include "evlog.h"
#include "imatest.h"

static void unhex(uint8_t *out, size_t n, const char *hex)
{
	cr_assert_eq(eph_hex_decode(out, n, hex, strlen(hex)), (long)n);
}

/*
 * 1. PCR 10 ima-ng sha256:01..20 "/a"
 * 2. PCR 10 ima-ng violation, sha256 zeros "/v"
 * 3. PCR 11 ima-ng sha256:22*32 "/b"
 * 4. PCR 10 ima 33*20 "/c"
 */
static void build_tiny(struct tu_buf *b)
{
	uint8_t d[32], z[32] = {0}, t[32], o[20];
	size_t i;

	for (i = 0; i < 32; i++)
		d[i] = (uint8_t)(i + 1);
	memset(t, 0x22, sizeof(t));
	memset(o, 0x33, sizeof(o));
	it_bin_ng(b, 10, "sha256", d, 32, "/a", NULL, 0, 0, 0);
	it_bin_ng(b, 10, "sha256", z, 32, "/v", NULL, 0, 0, 1);
	it_bin_ng(b, 11, "sha256", t, 32, "/b", NULL, 0, 0, 0);
	it_bin_old(b, 10, o, "/c", 0);
}

static evlog_ima *parse(const struct tu_buf *b)
{
	struct eph_err err = {{0}};
	evlog_ima *ima = NULL;

	cr_assert_eq(evlog_ima_parse(&ima, b->p, b->n, EVLOG_IMA_BINARY, &err), 0, "%s",
		     err.msg);
	return ima;
}

Test(ima, replay_tiny_list_matches_hand_computed)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	uint8_t pcr[EPH_HASH_MAX], want[EPH_HASH_MAX];
	evlog_ima *ima = NULL;

	build_tiny(&b);
	ima = parse(&b);
	cr_assert(evlog_ima_entry_at(ima, 1)->violation);
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), 0, "%s", err.msg);

	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA1, 10, &err), 0, "%s", err.msg);
	unhex(want, 20, "8a15fd524335581a2207a15a4016901d9029bbe0");
	cr_assert_arr_eq(pcr, want, 20);

	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA256, 10, &err), 0, "%s", err.msg);
	unhex(want, 32, "a733fd5fb7e4d398949bf677c5ba3845efd0c85abae67ab9e0b22a142d524154");
	cr_assert_arr_eq(pcr, want, 32);

	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA1, 11, &err), 0, "%s", err.msg);
	unhex(want, 20, "aa967f1f3775b281bc4eb9300999fb14f46fc1b4");
	cr_assert_arr_eq(pcr, want, 20);

	/* no entry in PCR 12: stays zero */
	memset(want, 0, sizeof(want));
	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA384, 12, &err), 0, "%s", err.msg);
	cr_assert_arr_eq(pcr, want, 48);

	cr_assert_eq(evlog_ima_replay(pcr, ima, 0x1234, 10, &err), EPH_EUNSUPPORTED);
	cr_assert_not_null(strstr(err.msg, "0x1234"), "%s", err.msg);
	evlog_ima_free(ima);
	tu_free(&b);
}

Test(ima, tampered_template_data_fails_naming_the_entry)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	evlog_ima *ima = NULL;
	size_t bad = 0, off;

	build_tiny(&b);
	/* entry 2 starts after entries 0 and 1; flip the last byte of its digest */
	ima = parse(&b);
	off = evlog_ima_entry_at(ima, 2)->offset;
	evlog_ima_free(ima);
	b.p[off + 4 + 20 + 4 + 6 + 4 + 4 + 8 + 31] ^= 1;
	ima = parse(&b);
	cr_assert_eq(evlog_ima_check_template_hashes(ima, &bad, &err), EPH_EVERIFY);
	cr_assert_eq(bad, 2);
	cr_assert_not_null(strstr(err.msg, "entry 2 (offset "), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "does not match SHA1"), "%s", err.msg);
	evlog_ima_free(ima);

	/* the legacy template: tamper the file name */
	tu_free(&b);
	build_tiny(&b);
	b.p[b.n - 1] = 'd';
	ima = parse(&b);
	cr_assert_eq(evlog_ima_check_template_hashes(ima, &bad, &err), EPH_EVERIFY);
	cr_assert_eq(bad, 3);
	cr_assert_not_null(strstr(err.msg, "entry 3 (offset "), "%s", err.msg);
	evlog_ima_free(ima);
	tu_free(&b);
}

Test(ima, tampered_template_hash_changes_sha1_replay_only)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	uint8_t p1[32], p2[32], s1[32], s2[32];
	evlog_ima *ima = NULL;

	build_tiny(&b);
	ima = parse(&b);
	cr_assert_eq(evlog_ima_replay(p1, ima, EPH_ALG_SHA1, 10, &err), 0);
	cr_assert_eq(evlog_ima_replay(s1, ima, EPH_ALG_SHA256, 10, &err), 0);
	evlog_ima_free(ima);
	b.p[4] ^= 0x80; /* first byte of entry 0's template hash */
	ima = parse(&b);
	cr_assert_eq(evlog_ima_replay(p2, ima, EPH_ALG_SHA1, 10, &err), 0);
	cr_assert_eq(evlog_ima_replay(s2, ima, EPH_ALG_SHA256, 10, &err), 0);
	cr_assert_arr_neq(p1, p2, 20);
	cr_assert_arr_eq(s1, s2, 32);
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), EPH_EVERIFY);
	evlog_ima_free(ima);
	tu_free(&b);
}

Test(ima, violation_extends_all_ones_in_every_bank)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	uint8_t pcr[EPH_HASH_MAX], want[EPH_HASH_MAX], buf[2 * EPH_HASH_MAX];
	static const uint16_t algs[] = {EPH_ALG_SHA1, EPH_ALG_SHA256, EPH_ALG_SHA384,
					EPH_ALG_SHA512};
	uint8_t z[20] = {0};
	evlog_ima *ima = NULL;
	size_t i, n;

	it_bin_old(&b, 10, z, "boot_aggregate", 1);
	ima = parse(&b);
	cr_assert(evlog_ima_entry_at(ima, 0)->violation);
	cr_assert_eq(evlog_ima_check_template_hashes(ima, NULL, &err), 0);
	cr_assert_eq(evlog_ima_replay(pcr, ima, EPH_ALG_SHA1, 10, &err), 0);
	unhex(want, 20, "bac37b84f007d0238af95af707cac8d61254870e");
	cr_assert_arr_eq(pcr, want, 20);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		n = eph_hash_size(algs[i]);
		memset(buf, 0, n);
		memset(buf + n, 0xff, n);
		cr_assert_eq(eph_hash(algs[i], buf, 2 * n, want), 0);
		cr_assert_eq(evlog_ima_replay(pcr, ima, algs[i], 10, &err), 0, "%s", err.msg);
		cr_assert_arr_eq(pcr, want, n, "alg 0x%x", algs[i]);
	}
	evlog_ima_free(ima);
	tu_free(&b);
}
