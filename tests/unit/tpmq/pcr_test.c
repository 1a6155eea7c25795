/*
 * pcr_test.c - PCR selection text, the PCR composite digest, and the
 * tpm2-tools serialized PCR file (built here byte by byte in host layout).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "eph_hex.h"
#include "tq.h"

Test(tpmq_pcr, selection_parse)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel s;

	cr_assert_eq(tpmq_pcrsel_parse(&s, "sha256:0,1,2+sha1:all", &err), 0, "%s", err.msg);
	cr_assert_eq(s.num_banks, 2);
	cr_assert_eq(s.banks[0].alg, EPH_ALG_SHA256);
	cr_assert_eq(s.banks[0].mask, 0x7);
	cr_assert_eq(s.banks[1].alg, EPH_ALG_SHA1);
	cr_assert_eq(s.banks[1].mask, 0xffffff);
	cr_assert_eq(tpmq_pcrsel_parse(&s, "0xb:23,0x10+sha384:none", &err), 0, "%s", err.msg);
	cr_assert_eq(s.banks[0].alg, EPH_ALG_SHA256);
	cr_assert_eq(s.banks[0].mask, (1u << 23) | (1u << 16));
	cr_assert_eq(s.banks[1].mask, 0);

	static const char *const bad[] = {
		"", "sha256", "sha256:", "sha256:24", "md5:1", "sha256:1,,2", "sha256:1,",
		"sha256:1+sha256:2", "sha1:1+sha256:1+sha384:1+sha512:1+sm3_256:1", "sha256:-1",
		"sha256:1 ", "sha256:0x", "+sha256:1", "sha256:1+", "sha256:99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		cr_assert_eq(tpmq_pcrsel_parse(&s, bad[i], &err), EPH_EFORMAT, "\"%s\" accepted",
			     bad[i]);
		cr_assert(tq_has(err.msg, "PCR selection"), "%s", err.msg);
	}
}

Test(tpmq_pcr, digest_known_value_and_missing_pcr)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrs pcrs = {0};
	struct tpmq_pcrsel sel = {0};
	uint8_t d[TPMQ_MAX_DIGEST], want[32];
	size_t dl = 0;

	pcrs.num_banks = 1;
	pcrs.banks[0].alg = EPH_ALG_SHA256;
	pcrs.banks[0].mask = 1u << 16;
	sel.num_banks = 1;
	sel.banks[0].alg = EPH_ALG_SHA256;
	sel.banks[0].mask = 1u << 16;
	cr_assert_eq(tpmq_pcr_digest(d, &dl, EPH_ALG_SHA256, &sel, &pcrs, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(dl, 32);
	eph_hex_decode(want, 32, "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
		       64);
	cr_assert_arr_eq(d, want, 32);
	/* SHA1 of the same 32 bytes: the bank's size, the quote's hash. */
	cr_assert_eq(tpmq_pcr_digest(d, &dl, EPH_ALG_SHA1, &sel, &pcrs, &err), 0);
	cr_assert_eq(dl, 20);
	sel.banks[0].mask |= 1u << 3;
	cr_assert_eq(tpmq_pcr_digest(d, &dl, EPH_ALG_SHA256, &sel, &pcrs, &err), EPH_ENOTFOUND);
	cr_assert(tq_has(err.msg, "sha256 PCR 3"), "%s", err.msg);
	cr_assert_eq(tpmq_pcr_digest(d, &dl, 0x0042, &sel, &pcrs, &err), EPH_EUNSUPPORTED);
}

/* tpm2-tools serialized file: sha256 {15,16,22} + sha1 {0}, split 3 + 1. */
static size_t build_file(uint8_t *f)
{
	size_t o = 0;
	int i;

	memset(f, 0, 2048);
	f[0] = 2; /* selection count */
	f[4] = 0x0b, f[6] = 3, f[7] = 0x00, f[8] = 0x80, f[9] = 0x41;
	f[12] = 0x04, f[14] = 3, f[15] = 0x01;
	o = 132;
	f[o] = 2; /* two digest lists */
	o += 4;
	f[o] = 3;
	for (i = 0; i < 3; i++) {
		f[o + 4 + i * 66] = 32;
		memset(f + o + 4 + i * 66 + 2, 0x10 + i, 32);
	}
	o += 532;
	f[o] = 1;
	f[o + 4] = 20;
	memset(f + o + 4 + 2, 0xaa, 20);
	o += 532;
	return o;
}

Test(tpmq_pcr, tpm2tools_file)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrs p;
	struct tpmq_pcrsel s;
	uint8_t f[2048];
	size_t n = build_file(f), i;

	cr_assert_eq(tpmq_pcrs_from_tpm2tools(&p, &s, f, n, &err), 0, "%s", err.msg);
	cr_assert_eq(s.num_banks, 2);
	cr_assert_eq(p.banks[0].mask, (1u << 15) | (1u << 16) | (1u << 22));
	cr_assert_eq(p.banks[0].pcr[22][0], 0x12);
	cr_assert_eq(p.banks[1].alg, EPH_ALG_SHA1);
	cr_assert_eq(p.banks[1].mask, 1);
	cr_assert_eq(p.banks[1].pcr[0][19], 0xaa);

	for (i = 0; i < n; i++)
		cr_assert_eq(tpmq_pcrs_from_tpm2tools(&p, &s, f, i, &err), EPH_EFORMAT,
			     "cut at %zu", i);
	cr_assert_eq(tpmq_pcrs_from_tpm2tools(&p, &s, f, n + 1, &err), EPH_EFORMAT);
	f[136 + 4] = 20; /* sha256 digest of 20 bytes */
	cr_assert_eq(tpmq_pcrs_from_tpm2tools(&p, &s, f, n, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "sha256 PCR 15 has a 20-byte digest"), "%s", err.msg);
	n = build_file(f);
	f[136 + 532] = 2; /* more digests than selected */
	cr_assert_eq(tpmq_pcrs_from_tpm2tools(&p, &s, f, n, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "more digests"), "%s", err.msg);
	f[136 + 532] = 0; /* fewer */
	cr_assert_eq(tpmq_pcrs_from_tpm2tools(&p, &s, f, n, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "fewer digests"), "%s", err.msg);
	n = build_file(f);
	f[3] = 1; /* big-endian count */
	cr_assert_eq(tpmq_pcrs_from_tpm2tools(&p, &s, f, n, &err), EPH_EFORMAT);
	n = build_file(f);
	f[6] = 4, f[10] = 1; /* PCR 24 */
	cr_assert_eq(tpmq_pcrs_from_tpm2tools(&p, &s, f, n, &err), EPH_EFORMAT);
	cr_assert(tq_has(err.msg, "above 23"), "%s", err.msg);
}
