/*
 * pcr_file.c - read the PCR file tpm2_quote -o / tpm2_pcrread -o write in
 * their default "serialized" format (tpm2-tools lib/pcr.c,
 * pcr_fwrite_serialized): raw tss2 structures in host layout, i.e. C
 * structs with padding, little-endian integers on x86-64 and arm64:
 *
 *   TPML_PCR_SELECTION   count u32 | 16 x { hash u16 | sizeofSelect u8 |
 *                        pcrSelect[4] | pad u8 }                   132 bytes
 *   u32                  number n of TPML_DIGEST lists that follow
 *   n x TPML_DIGEST      count u32 | 8 x { size u16 | buffer[64] } 532 bytes
 *
 *   01000000 0b00 03 00804100 00 ...        1 bank: sha256 PCRs 15, 16, 22
 *   01000000                                 1 digest list
 *   03000000 2000 <32 bytes PCR15> <32 pad> 2000 <PCR16> ... 2000 <PCR22>
 *
 * The digests, across all lists, are the selected PCRs in selection order
 * (banks in order, PCRs ascending); how tpm2-tools split them into lists
 * (one per TPM2_PCR_Read) does not matter here. The file must have
 * exactly this size, as many digests as selected PCRs, each of its bank's
 * size. Not handled: files written on big-endian hosts, the "values"
 * format (bare digests without the selection).
 */
#include <string.h>

#include "eph_cur.h"
#include "tpmq-priv.h"

#define SEL_ENTRY 8                        /* sizeof(TPMS_PCR_SELECTION) */
#define SEL_SIZE (4 + 16 * SEL_ENTRY)      /* sizeof(TPML_PCR_SELECTION) */
#define DIG_ENTRY 66                       /* sizeof(TPM2B_DIGEST) */
#define LIST_SIZE (4 + 8 * DIG_ENTRY)      /* sizeof(TPML_DIGEST) */
#define MAX_LISTS 64

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* buf holds at least SEL_SIZE bytes (checked by the caller). */
static int read_sel(struct tpmq_pcrsel *sel, const uint8_t *buf, struct eph_err *err)
{
	TPML_PCR_SELECTION tpml;
	uint32_t count = le32(buf), i;
	const uint8_t *e;

	if (count > TPM2_NUM_PCR_BANKS)
		return eph_err_set(err, EPH_EFORMAT,
				   "tpm2-tools PCR file: selection count %u (big-endian file?)",
				   (unsigned)count);
	memset(&tpml, 0, sizeof(tpml));
	tpml.count = count;
	for (i = 0; i < count && i < TPM2_NUM_PCR_BANKS; i++) {
		e = buf + 4 + (size_t)i * SEL_ENTRY;
		tpml.pcrSelections[i].hash = (uint16_t)(e[0] | e[1] << 8);
		tpml.pcrSelections[i].sizeofSelect = e[2];
		memcpy(tpml.pcrSelections[i].pcrSelect, e + 3, sizeof(tpml.pcrSelections[i].pcrSelect));
	}
	return tpmq__pcrsel_from_tpml(sel, &tpml, err);
}

int tpmq_pcrs_from_tpm2tools(struct tpmq_pcrs *out, struct tpmq_pcrsel *sel, const uint8_t *buf,
			     size_t len, struct eph_err *err)
{
	struct tpmq_pcrsel s;
	struct eph_cur c;
	const uint8_t *list = NULL, *d;
	uint32_t nlists, lcount, l, k, b = 0, pcr = 0;
	uint16_t dsize;
	size_t want;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sel != NULL)
		memset(sel, 0, sizeof(*sel));
	if (len < SEL_SIZE + 4)
		return eph_err_set(err, EPH_EFORMAT, "tpm2-tools PCR file: truncated: %zu bytes",
				   len);
	rc = read_sel(&s, buf, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "tpm2-tools PCR file");
	eph_cur_init(&c, buf, len);
	(void)eph_cur_skip(&c, SEL_SIZE);
	(void)eph_cur_u32le(&c, &nlists);
	if (nlists > MAX_LISTS || eph_cur_left(&c) != (size_t)nlists * LIST_SIZE)
		return eph_err_set(err, EPH_EFORMAT,
				   "tpm2-tools PCR file: %u digest lists but %zu bytes follow",
				   (unsigned)nlists, eph_cur_left(&c));

	out->num_banks = s.num_banks;
	for (k = 0; k < s.num_banks; k++)
		out->banks[k].alg = s.banks[k].alg;
	for (l = 0; l < nlists; l++) {
		if (eph_cur_bytes(&c, LIST_SIZE, &list) < 0)
			return eph_err_set(err, EPH_EFORMAT, "tpm2-tools PCR file: truncated");
		lcount = le32(list);
		if (lcount > 8)
			return eph_err_set(err, EPH_EFORMAT,
					   "tpm2-tools PCR file: digest list %u holds %u digests",
					   (unsigned)l, (unsigned)lcount);
		for (k = 0; k < lcount; k++) {
			/* Next selected PCR in selection order. */
			while (b < s.num_banks && (pcr >= TPMQ_NUM_PCRS ||
						   !(s.banks[b].mask & (1u << pcr)))) {
				if (pcr >= TPMQ_NUM_PCRS) {
					b++;
					pcr = 0;
				} else {
					pcr++;
				}
			}
			if (b == s.num_banks)
				return eph_err_set(err, EPH_EFORMAT,
						   "tpm2-tools PCR file: more digests than selected PCRs");
			d = list + 4 + (size_t)k * DIG_ENTRY;
			dsize = (uint16_t)(d[0] | d[1] << 8);
			want = eph_hash_size(s.banks[b].alg);
			if (dsize != want)
				return eph_err_set(err, EPH_EFORMAT,
						   "tpm2-tools PCR file: %s PCR %u has a %u-byte digest",
						   eph_hash_name(s.banks[b].alg), (unsigned)pcr,
						   dsize);
			memcpy(out->banks[b].pcr[pcr], d + 2, want);
			out->banks[b].mask |= 1u << pcr;
			pcr++;
		}
	}
	for (k = 0; k < s.num_banks; k++)
		if (out->banks[k].mask != s.banks[k].mask)
			return eph_err_set(err, EPH_EFORMAT,
					   "tpm2-tools PCR file: fewer digests than selected PCRs (%s)",
					   eph_hash_name(s.banks[k].alg));
	if (sel != NULL)
		*sel = s;
	return 0;
}
