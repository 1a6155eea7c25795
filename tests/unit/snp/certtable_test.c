/*
 * certtable_test.c - snp_certtable_parse on tables built here byte by byte:
 * the usual VCEK/ASK/ARK table with page padding, VLEK, unknown GUIDs,
 * the empty table; and every rejection: each truncation of a valid table,
 * offsets and lengths that lie (past the end, u32 wrap-around, into the
 * table), zero-GUID entries with data, empty certificates, duplicates,
 * overlaps, too many entries. The real VCEK of the vectors goes through
 * a table and snp_cert_parse to show the pointers are usable as they are.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

#define ENT 24

static const uint8_t other_guid[16] = {0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d,
                                       0x97, 0xff, 0xd1, 0x9f, 0x88, 0xdc, 0x67, 0xea};

struct ent {
	const uint8_t *guid; /* NULL: all-zero GUID */
	uint32_t off, len;
};

/* Write the entries (terminator added) and fill each certificate's bytes
 * that lie after the table and inside the buffer with its index + 1, into
 * a zeroed buffer of size total. */
static uint8_t *build(const struct ent *e, size_t n, size_t total)
{
	uint8_t *b = calloc(1, total);
	size_t i, k;

	cr_assert_not_null(b);
	cr_assert_geq(total, (n + 1) * ENT);
	for (i = 0; i < n; i++) {
		uint8_t *p = b + i * ENT;

		if (e[i].guid != NULL)
			memcpy(p, e[i].guid, 16);
		for (k = 0; k < 4; k++) {
			p[16 + k] = (uint8_t)(e[i].off >> (8 * k));
			p[20 + k] = (uint8_t)(e[i].len >> (8 * k));
		}
		if (e[i].guid != NULL && e[i].off >= (n + 1) * ENT &&
		    (size_t)e[i].off + e[i].len <= total)
			memset(b + e[i].off, (int)(i + 1), e[i].len);
	}
	return b;
}

static const uint8_t *G(enum snp_certtable_kind k)
{
	return snp_certtable_guid(k);
}

Test(snp_certtable, guids_are_the_ghcb_ones)
{
	/* Text form, byte for byte (GHCB spec 2.03, 4.1.8.1). */
	static const uint8_t vcek[16] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
	                                 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
	static const uint8_t ark[16] = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
	                                0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae};

	cr_assert_arr_eq(G(SNP_CERTTABLE_VCEK), vcek, 16);
	cr_assert_arr_eq(G(SNP_CERTTABLE_ARK), ark, 16);
	cr_assert_eq(G(SNP_CERTTABLE_ASK)[0], 0x4a);
	cr_assert_eq(G(SNP_CERTTABLE_VLEK)[0], 0xa8);
}

Test(snp_certtable, vcek_ask_ark_with_padding)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	struct ent e[3] = {{G(SNP_CERTTABLE_VCEK), 96, 1000},
	                   {G(SNP_CERTTABLE_ASK), 1096, 1500},
	                   {G(SNP_CERTTABLE_ARK), 2596, 1500}};
	uint8_t *b = build(e, 3, 16384);

	cr_assert_eq(snp_certtable_parse(&t, b, 16384, &err), 0, "%s", err.msg);
	cr_assert_eq(t.vcek, b + 96);
	cr_assert_eq(t.vcek_len, 1000);
	cr_assert_eq(t.ask, b + 1096);
	cr_assert_eq(t.ask_len, 1500);
	cr_assert_eq(t.ark, b + 2596);
	cr_assert_eq(t.ark_len, 1500);
	cr_assert_null(t.vlek);
	cr_assert_eq(t.vlek_len, 0);
	cr_assert_eq(t.n_entries, 3);
	cr_assert_eq(t.n_other, 0);
	cr_assert_eq(t.table_size, 96);
	cr_assert_eq(t.vcek[999], 1);
	cr_assert_eq(t.ark[0], 3);
	/* Exactly as long as the last certificate: no padding is fine too. */
	cr_assert_eq(snp_certtable_parse(&t, b, 4096, &err), 0, "%s", err.msg);
	free(b);
}

Test(snp_certtable, vlek_and_unknown_guids)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	struct ent e[3] = {{other_guid, 200, 10},
	                   {G(SNP_CERTTABLE_VLEK), 100, 50},
	                   {G(SNP_CERTTABLE_ARK), 150, 50}};
	uint8_t *b = build(e, 3, 210);

	cr_assert_eq(snp_certtable_parse(&t, b, 210, &err), 0, "%s", err.msg);
	cr_assert_null(t.vcek);
	cr_assert_eq(t.vlek, b + 100);
	cr_assert_eq(t.vlek_len, 50);
	cr_assert_eq(t.n_entries, 3);
	cr_assert_eq(t.n_other, 1);
	free(b);
}

Test(snp_certtable, empty_table)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	uint8_t b[ENT] = {0};

	cr_assert_eq(snp_certtable_parse(&t, b, sizeof(b), &err), 0, "%s", err.msg);
	cr_assert_eq(t.n_entries, 0);
	cr_assert_null(t.vcek);
	cr_assert_eq(t.table_size, ENT);
}

Test(snp_certtable, every_truncation_is_refused)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	struct ent e[3] = {{G(SNP_CERTTABLE_VCEK), 96, 40},
	                   {G(SNP_CERTTABLE_ASK), 136, 40},
	                   {G(SNP_CERTTABLE_ARK), 176, 40}};
	uint8_t *b = build(e, 3, 216);
	size_t len;
	int rc;

	cr_assert_eq(snp_certtable_parse(&t, b, 216, &err), 0, "%s", err.msg);
	for (len = 0; len < 216; len++) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overruns */

		memcpy(copy, b, len);
		err.msg[0] = '\0';
		rc = snp_certtable_parse(&t, copy, len, &err);
		cr_assert_eq(rc, EPH_EFORMAT, "length %zu accepted", len);
		cr_assert_neq(err.msg[0], '\0');
		cr_assert_null(t.vcek, "output cleared on failure");
		free(copy);
	}
	cr_assert_eq(snp_certtable_parse(&t, b, 40, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "SNP certificate table: entry 1 at 0x18 is cut short (40 "
	                          "bytes): no all-zero terminator");
	cr_assert_eq(snp_certtable_parse(&t, b, 215, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "SNP certificate table: entry 2 (ARK) at 0xb0 length 0x28 "
	                          "runs past the end of the 215-byte buffer");
	cr_assert_eq(snp_certtable_parse(&t, NULL, 0, &err), EPH_EFORMAT);
	free(b);
}

static void refused(const struct ent *e, size_t n, size_t total, const char *msg)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	uint8_t *b = build(e, n, total);

	cr_assert_eq(snp_certtable_parse(&t, b, total, &err), EPH_EFORMAT, "accepted: %s", msg);
	cr_assert_str_eq(err.msg, msg);
	free(b);
}

Test(snp_certtable, lying_offsets_and_lengths)
{
	struct ent past[2] = {{G(SNP_CERTTABLE_VCEK), 72, 100}, {G(SNP_CERTTABLE_ARK), 172, 29}};
	struct ent wrap[1] = {{G(SNP_CERTTABLE_VCEK), 0xffffff00u, 0x200}};
	struct ent far[1] = {{G(SNP_CERTTABLE_VCEK), 0x7fffffffu, 1}};
	struct ent huge[1] = {{G(SNP_CERTTABLE_VCEK), 48, 0xffffffffu}};
	struct ent in_table[2] = {{G(SNP_CERTTABLE_VCEK), 72, 10}, {G(SNP_CERTTABLE_ASK), 60, 10}};
	struct ent at_zero[1] = {{G(SNP_CERTTABLE_VCEK), 0, 48}};

	refused(past, 2, 200,
	        "SNP certificate table: entry 1 (ARK) at 0xac length 0x1d runs past the end of "
	        "the 200-byte buffer");
	refused(wrap, 1, 128,
	        "SNP certificate table: entry 0 (VCEK) at 0xffffff00 length 0x200 runs past the "
	        "end of the 128-byte buffer");
	refused(far, 1, 128,
	        "SNP certificate table: entry 0 (VCEK) at 0x7fffffff length 0x1 runs past the "
	        "end of the 128-byte buffer");
	refused(huge, 1, 128,
	        "SNP certificate table: entry 0 (VCEK) at 0x30 length 0xffffffff runs past the "
	        "end of the 128-byte buffer");
	refused(in_table, 2, 128,
	        "SNP certificate table: entry 1 (ASK) at offset 0x3c overlaps the table "
	        "(0x0..0x48)");
	refused(at_zero, 1, 128,
	        "SNP certificate table: entry 0 (VCEK) at offset 0x0 overlaps the table "
	        "(0x0..0x30)");
}

Test(snp_certtable, bad_entries)
{
	struct ent empty[1] = {{G(SNP_CERTTABLE_VCEK), 48, 0}};
	struct ent dup[2] = {{G(SNP_CERTTABLE_ASK), 72, 10}, {G(SNP_CERTTABLE_ASK), 82, 10}};
	struct ent dup_other[2] = {{other_guid, 72, 10}, {other_guid, 82, 10}};
	struct ent overlap[2] = {{G(SNP_CERTTABLE_VCEK), 72, 20}, {G(SNP_CERTTABLE_ARK), 91, 5}};
	struct ent same[2] = {{G(SNP_CERTTABLE_VCEK), 72, 20}, {G(SNP_CERTTABLE_ARK), 72, 20}};
	struct ent zero_guid[2] = {{G(SNP_CERTTABLE_VCEK), 72, 20}, {NULL, 92, 4}};

	refused(empty, 1, 128, "SNP certificate table: entry 0 (VCEK) is empty");
	refused(dup, 2, 128, "SNP certificate table: entries 0 and 1 are both ASK");
	refused(dup_other, 2, 128, "SNP certificate table: entries 0 and 1 are both 92f81bc3");
	refused(overlap, 2, 128, "SNP certificate table: entries 0 (VCEK) and 1 (ARK) overlap");
	refused(same, 2, 128, "SNP certificate table: entries 0 (VCEK) and 1 (ARK) overlap");
	refused(zero_guid, 2, 128,
	        "SNP certificate table: entry 1 has a zero GUID but offset 0x5c length 0x4");
}

Test(snp_certtable, adjacent_certificates_do_not_overlap)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	struct ent e[2] = {{G(SNP_CERTTABLE_VCEK), 72, 20}, {G(SNP_CERTTABLE_ARK), 92, 20}};
	uint8_t *b = build(e, 2, 112);

	cr_assert_eq(snp_certtable_parse(&t, b, 112, &err), 0, "%s", err.msg);
	free(b);
}

Test(snp_certtable, too_many_entries)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	size_t n = SNP_CERTTABLE_MAX_ENTRIES + 1, total = (n + 1) * ENT + n, i;
	struct ent *e = calloc(n, sizeof(*e));
	uint8_t (*guids)[16] = calloc(n, 16);
	uint8_t *b;

	for (i = 0; i < n; i++) {
		memcpy(guids[i], other_guid, 16);
		guids[i][15] = (uint8_t)i;
		e[i].guid = guids[i];
		e[i].off = (uint32_t)((n + 1) * ENT + i);
		e[i].len = 1;
	}
	b = build(e, n, total);
	cr_assert_eq(snp_certtable_parse(&t, b, total, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "SNP certificate table: more than 64 entries");
	free(b);
	/* Exactly the maximum is fine. */
	n = SNP_CERTTABLE_MAX_ENTRIES;
	total = (n + 1) * ENT + n;
	for (i = 0; i < n; i++)
		e[i].off = (uint32_t)((n + 1) * ENT + i);
	b = build(e, n, total);
	cr_assert_eq(snp_certtable_parse(&t, b, total, &err), 0, "%s", err.msg);
	cr_assert_eq(t.n_other, n);
	free(b);
	free(guids);
	free(e);
}

Test(snp_certtable, real_vcek_through_a_table)
{
	struct eph_err err = {{0}};
	struct snp_certtable t;
	snp_cert *c = NULL;
	size_t vlen, total;
	uint8_t *vcek, *b;
	struct ent e[1];

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors folder missing");
	vcek = ts_vec("snp/go-sev-guest/vcek.der", &vlen);
	e[0].guid = G(SNP_CERTTABLE_VCEK);
	e[0].off = 2 * ENT;
	e[0].len = (uint32_t)vlen;
	total = 2 * ENT + vlen + 100;
	b = build(e, 1, total);
	memcpy(b + 2 * ENT, vcek, vlen);
	cr_assert_eq(snp_certtable_parse(&t, b, total, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_cert_parse(&c, t.vcek, t.vcek_len, &err), 0, "%s", err.msg);
	cr_assert_eq(snp_cert_kind(c), SNP_CERT_VCEK);
	snp_cert_free(c);
	free(b);
	free(vcek);
}
