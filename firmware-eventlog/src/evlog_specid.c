/*
 * evlog_specid.c - TCG_EfiSpecIDEvent, the algorithm table of a crypto-agile
 * log (TCG PC Client PFP 1.05, section 10.4.5.1). It is the data of the first
 * event, which itself has the legacy TCG_PCR_EVENT layout.
 *
 *   signature[16]      "Spec ID Event03\0"
 *   platformClass      u32le   00000000
 *   specVersionMinor   u8      00
 *   specVersionMajor   u8      02
 *   specErrata         u8      00
 *   uintnSize          u8      02            (1: UINT32, 2: UINT64)
 *   numberOfAlgorithms u32le   02000000
 *   digestSizes[n]     {u16le algorithmId, u16le digestSize}
 *                              0400 1400 | 0b00 2000    (sha1/20, sha256/32)
 *   vendorInfoSize     u8      00
 *   vendorInfo[vendorInfoSize]
 *
 * Every algorithm must be one we know with its registered size: a table that
 * lies about a size would make every later digest read misaligned, and an
 * unknown algorithm could not be replayed. Duplicates are refused too.
 */
#include <string.h>

#include "eph_cur.h"
#include "evlog-priv.h"

int evlog__parse_specid(struct evlog_specid *out, const uint8_t *buf, size_t len,
			struct eph_err *err)
{
	struct eph_cur c;
	const uint8_t *sig;
	uint32_t i, j;

	memset(out, 0, sizeof(*out));
	eph_cur_init(&c, buf, len);
	if (eph_cur_bytes(&c, EVLOG__SPECID_SIG_LEN, &sig) < 0 ||
	    eph_cur_u32le(&c, &out->platform_class) < 0 || eph_cur_u8(&c, &out->version_minor) < 0 ||
	    eph_cur_u8(&c, &out->version_major) < 0 || eph_cur_u8(&c, &out->errata) < 0 ||
	    eph_cur_u8(&c, &out->uintn_size) < 0 || eph_cur_u32le(&c, &out->num_algs) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "Spec ID event truncated: %zu bytes, need at least 28", len);
	memcpy(out->signature, sig, EVLOG__SPECID_SIG_LEN);
	out->signature[EVLOG__SPECID_SIG_LEN] = '\0';
	if (out->num_algs == 0)
		return eph_err_set(err, EPH_EFORMAT, "Spec ID event lists no algorithms");
	if (out->num_algs > EVLOG_MAX_ALGS)
		return eph_err_set(err, EPH_EFORMAT,
				   "Spec ID event lists %u algorithms, at most %u supported",
				   out->num_algs, EVLOG_MAX_ALGS);
	for (i = 0; i < out->num_algs; i++) {
		struct evlog_alg *a = &out->algs[i];
		size_t want;

		if (eph_cur_u16le(&c, &a->alg) < 0 || eph_cur_u16le(&c, &a->size) < 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "Spec ID event truncated in algorithm %u of %u", i,
					   out->num_algs);
		want = eph_hash_size(a->alg);
		if (want == 0)
			return eph_err_set(err, EPH_EFORMAT,
					   "Spec ID event: unknown algorithm id 0x%04x", a->alg);
		if (a->size != want)
			return eph_err_set(err, EPH_EFORMAT,
					   "Spec ID event: %s digest size %u, must be %zu",
					   eph_hash_name(a->alg), a->size, want);
		for (j = 0; j < i; j++)
			if (out->algs[j].alg == a->alg)
				return eph_err_set(err, EPH_EFORMAT,
						   "Spec ID event lists %s twice",
						   eph_hash_name(a->alg));
	}
	if (eph_cur_u8(&c, &out->vendor_info_size) < 0 ||
	    eph_cur_bytes(&c, out->vendor_info_size, &out->vendor_info) < 0)
		return eph_err_set(err, EPH_EFORMAT, "Spec ID event truncated in vendorInfo");
	if (eph_cur_left(&c) != 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "Spec ID event has %zu bytes after vendorInfo", eph_cur_left(&c));
	return 0;
}
