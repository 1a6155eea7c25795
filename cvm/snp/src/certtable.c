/*
 * certtable.c - locate the certificates in the certificate table of an SNP
 * extended guest request: the certs buffer of SNP_GET_EXT_REPORT
 * (/dev/sev-guest) and the auxblob of configfs-tsm, which the host fills
 * through the GHCB (GHCB specification #56421, revision 2.03, section
 * 4.1.8.1 "SNP Extended Guest Request", struct cert_table; Linux
 * Documentation/virt/coco/sev-guest.rst leaves the blob opaque and points
 * there).
 *
 * The table is an array of 24-byte entries at the start of the buffer,
 * ended by an all-zero entry; each entry names one certificate by GUID and
 * gives where its bytes are, relative to the start of the buffer:
 *
 *   0x00 GUID[16]   63 da 75 8d e6 64 45 64 ad c5 f4 b9 3b e8 ac cd  (VCEK)
 *   0x10 offset u32 48 00 00 00
 *   0x14 length u32 50 05 00 00
 *   0x18 GUID[16]   00 ... 00                                        (end)
 *   0x28 offset u32 00 00 00 00
 *   0x2C length u32 00 00 00 00
 *   0x30 the VCEK, DER, 0x550 bytes; then often zero padding to a page
 *
 * GUIDs, in the byte order of their text form (RFC 4122 order, as the
 * kernel, AMD's tools and the host stacks write them, not EFI's mixed
 * endianness):
 *   VCEK 63da758d-e664-4564-adc5-f4b93be8accd
 *   VLEK a8074bc2-a25a-483e-aae6-39c045a0b8a1
 *   ASK  4ab7b379-bbac-4fe4-a02f-05aef327c782 (an ASVK on VLEK hosts)
 *   ARK  c0b406a4-a803-4952-9743-3fb6014cd0ae
 *
 * The buffer comes from the host, so it is hostile: at most
 * SNP_CERTTABLE_MAX_ENTRIES entries; the terminator must be inside the
 * buffer; a zero GUID with a non-zero offset or length is refused; every
 * certificate must be non-empty, lie inside the buffer (offset + length
 * computed without overflow) and after the table, and not overlap another
 * entry's bytes; a GUID may appear once. Entries with other GUIDs are
 * checked the same way and counted, not returned. Bytes after the last
 * certificate (padding) are allowed.
 *
 * Not here: parsing or trusting the certificates (snp_cert_parse and
 * snp_roots_* do that; the ARK is trusted only through its pin).
 */
#include <string.h>

#include "eph_cur.h"
#include "snp-priv.h"

#define ENTRY_SIZE 24
#define GUID_SIZE 16

enum slot { SLOT_VCEK, SLOT_VLEK, SLOT_ASK, SLOT_ARK, SLOT_OTHER };

static const struct {
	const char *name;
	uint8_t guid[GUID_SIZE];
} known[] = {
    [SLOT_VCEK] = {"VCEK",
                   {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b,
                    0xe8, 0xac, 0xcd}},
    [SLOT_VLEK] = {"VLEK",
                   {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45,
                    0xa0, 0xb8, 0xa1}},
    [SLOT_ASK] = {"ASK",
                  {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3,
                   0x27, 0xc7, 0x82}},
    [SLOT_ARK] = {"ARK",
                  {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01,
                   0x4c, 0xd0, 0xae}},
};

const uint8_t *snp_certtable_guid(enum snp_certtable_kind kind)
{
	switch (kind) {
	case SNP_CERTTABLE_VCEK:
		return known[SLOT_VCEK].guid;
	case SNP_CERTTABLE_VLEK:
		return known[SLOT_VLEK].guid;
	case SNP_CERTTABLE_ASK:
		return known[SLOT_ASK].guid;
	case SNP_CERTTABLE_ARK:
		return known[SLOT_ARK].guid;
	}
	return NULL;
}

struct entry {
	const uint8_t *guid;
	uint32_t off, len;
	enum slot slot;
};

static enum slot slot_of(const uint8_t *guid)
{
	size_t i;

	for (i = 0; i < SLOT_OTHER; i++)
		if (memcmp(guid, known[i].guid, GUID_SIZE) == 0)
			return (enum slot)i;
	return SLOT_OTHER;
}

static int is_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* "VCEK" or the GUID's first 4 bytes in hex, for messages. */
static const char *entry_name(char *buf, size_t size, const struct entry *e)
{
	if (e->slot != SLOT_OTHER)
		return known[e->slot].name;
	snp__hex(buf, size, e->guid, 4);
	return buf;
}

/* Read entries up to and including the terminator into ents; *n excludes it. */
static int read_entries(struct entry *ents, size_t *n, const uint8_t *buf, size_t len,
                        struct eph_err *err)
{
	struct eph_cur c;
	struct entry e;

	eph_cur_init(&c, buf, len);
	for (*n = 0;; (*n)++) {
		if (eph_cur_bytes(&c, GUID_SIZE, &e.guid) < 0 || eph_cur_u32le(&c, &e.off) < 0 ||
		    eph_cur_u32le(&c, &e.len) < 0)
			return eph_err_set(err, EPH_EFORMAT,
			                   "SNP certificate table: entry %zu at 0x%zx is cut short "
			                   "(%zu bytes): no all-zero terminator",
			                   *n, *n * ENTRY_SIZE, len);
		if (is_zero(e.guid, GUID_SIZE)) {
			if (e.off != 0 || e.len != 0)
				return eph_err_set(err, EPH_EFORMAT,
				                   "SNP certificate table: entry %zu has a zero GUID "
				                   "but offset 0x%x length 0x%x",
				                   *n, e.off, e.len);
			return 0;
		}
		if (*n == SNP_CERTTABLE_MAX_ENTRIES)
			return eph_err_set(err, EPH_EFORMAT,
			                   "SNP certificate table: more than %d entries",
			                   SNP_CERTTABLE_MAX_ENTRIES);
		e.slot = slot_of(e.guid);
		ents[*n] = e;
	}
}

/* Each entry non-empty, inside buf, after the table, unique and disjoint. */
static int check_entries(const struct entry *ents, size_t n, size_t table_end, size_t len,
                         struct eph_err *err)
{
	char a[12], b[12];
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct entry *e = &ents[i];

		if (e->len == 0)
			return eph_err_set(err, EPH_EFORMAT,
			                   "SNP certificate table: entry %zu (%s) is empty", i,
			                   entry_name(a, sizeof(a), e));
		if (e->off < table_end)
			return eph_err_set(err, EPH_EFORMAT,
			                   "SNP certificate table: entry %zu (%s) at offset 0x%x "
			                   "overlaps the table (0x0..0x%zx)",
			                   i, entry_name(a, sizeof(a), e), e->off, table_end);
		if (e->off > len || e->len > len - e->off)
			return eph_err_set(err, EPH_EFORMAT,
			                   "SNP certificate table: entry %zu (%s) at 0x%x length 0x%x "
			                   "runs past the end of the %zu-byte buffer",
			                   i, entry_name(a, sizeof(a), e), e->off, e->len, len);
		for (j = 0; j < i; j++) {
			const struct entry *f = &ents[j];

			if (memcmp(e->guid, f->guid, GUID_SIZE) == 0)
				return eph_err_set(err, EPH_EFORMAT,
				                   "SNP certificate table: entries %zu and %zu are "
				                   "both %s",
				                   j, i, entry_name(a, sizeof(a), e));
			/* Both lie inside buf, so these sums cannot overflow. */
			if ((size_t)e->off < (size_t)f->off + f->len &&
			    (size_t)f->off < (size_t)e->off + e->len)
				return eph_err_set(err, EPH_EFORMAT,
				                   "SNP certificate table: entries %zu (%s) and %zu "
				                   "(%s) overlap",
				                   j, entry_name(b, sizeof(b), f), i,
				                   entry_name(a, sizeof(a), e));
		}
	}
	return 0;
}

int snp_certtable_parse(struct snp_certtable *out, const uint8_t *buf, size_t len,
                        struct eph_err *err)
{
	struct entry ents[SNP_CERTTABLE_MAX_ENTRIES];
	size_t n = 0, i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (buf == NULL && len != 0)
		return eph_err_set(err, EPH_EFAIL, "SNP certificate table: no buffer");
	rc = read_entries(ents, &n, buf, len, err);
	if (rc == 0)
		rc = check_entries(ents, n, (n + 1) * ENTRY_SIZE, len, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		const uint8_t *p = buf + ents[i].off;

		switch (ents[i].slot) {
		case SLOT_VCEK:
			out->vcek = p;
			out->vcek_len = ents[i].len;
			break;
		case SLOT_VLEK:
			out->vlek = p;
			out->vlek_len = ents[i].len;
			break;
		case SLOT_ASK:
			out->ask = p;
			out->ask_len = ents[i].len;
			break;
		case SLOT_ARK:
			out->ark = p;
			out->ark_len = ents[i].len;
			break;
		case SLOT_OTHER:
			out->n_other++;
			break;
		}
	}
	out->n_entries = n;
	out->table_size = (n + 1) * ENTRY_SIZE;
	return 0;
}
