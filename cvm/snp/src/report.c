/*
 * report.c - parse an SEV-SNP ATTESTATION_REPORT (SEV-SNP Firmware ABI
 * specification #56860, "ATTESTATION_REPORT Structure"; version 2 since
 * ABI 1.51, version 3 adds the CPUID fields). All integers little-endian.
 *
 *   0x000 VERSION u32 (2, 3)        02 00 00 00
 *   0x004 GUEST_SVN u32             00 00 00 00
 *   0x008 POLICY u64                00 00 03 00 00 00 00 00  (SMT, bit 17)
 *   0x010 FAMILY_ID[16]  0x020 IMAGE_ID[16]
 *   0x030 VMPL u32                  00 00 00 00
 *   0x034 SIGNATURE_ALGO u32        01 00 00 00  (ECDSA P-384 SHA-384)
 *   0x038 CURRENT_TCB u64           02 00 00 00 00 00 05 44  (bl 2, snp 5, ucode 0x44)
 *   0x040 PLATFORM_INFO u64
 *   0x048 u32: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY
 *              (0 VCEK, 1 VLEK, 7 none), 31:5 reserved MBZ
 *   0x04C reserved MBZ u32
 *   0x050 REPORT_DATA[64]  0x090 MEASUREMENT[48]  0x0C0 HOST_DATA[32]
 *   0x0E0 ID_KEY_DIGEST[48]  0x110 AUTHOR_KEY_DIGEST[48]
 *   0x140 REPORT_ID[32]  0x160 REPORT_ID_MA[32]
 *   0x180 REPORTED_TCB u64
 *   0x188 v3: CPUID_FAM_ID u8, CPUID_MOD_ID u8, CPUID_STEP u8, then MBZ to 0x19F
 *         v2: MBZ to 0x19F
 *   0x1A0 CHIP_ID[64]
 *   0x1E0 COMMITTED_TCB u64
 *   0x1E8 CURRENT_BUILD, _MINOR, _MAJOR u8, reserved MBZ u8
 *   0x1EC COMMITTED_BUILD, _MINOR, _MAJOR u8, reserved MBZ u8
 *   0x1F0 LAUNCH_TCB u64 (present in version 2 already)
 *   0x1F8 reserved MBZ to 0x29F
 *   0x2A0 SIGNATURE[512]: R[72] and S[72] little-endian, zero-extended from
 *         48 bytes, then reserved MBZ (for ECDSA P-384)
 *
 * Not here: the signature itself (sig.c), what the fields should be
 * (appraise.c).
 */
#include <string.h>

#include "eph_cur.h"
#include "snp-priv.h"

#define ECDSA_FIELD 72

const char *snp_product_name(enum snp_product p)
{
	switch (p) {
	case SNP_PRODUCT_MILAN:
		return "Milan";
	case SNP_PRODUCT_GENOA:
		return "Genoa";
	case SNP_PRODUCT_TURIN:
		return "Turin";
	default:
		return "unknown";
	}
}

void snp_tcb_decode(struct snp_tcb *out, uint64_t raw, enum snp_product p)
{
	memset(out, 0, sizeof(*out));
	out->raw = raw;
	out->microcode = (uint8_t)(raw >> 56);
	if (p == SNP_PRODUCT_TURIN) {
		out->fmc = (uint8_t)raw;
		out->bootloader = (uint8_t)(raw >> 8);
		out->tee = (uint8_t)(raw >> 16);
		out->snp = (uint8_t)(raw >> 24);
	} else {
		out->bootloader = (uint8_t)raw;
		out->tee = (uint8_t)(raw >> 8);
		out->snp = (uint8_t)(raw >> 48);
	}
}

/*
 * Product line from CPUID family/model as the v3 report gives them
 * (extended family + family, extended model + model): Milan is family 19h
 * models 00h-0Fh, Genoa 19h models 10h-1Fh and A0h-AFh (Bergamo, Siena),
 * Turin family 1Ah models 00h-1Fh.
 */
static enum snp_product product_from_cpuid(uint8_t fam, uint8_t mod)
{
	if (fam == 0x19 && mod <= 0x0f)
		return SNP_PRODUCT_MILAN;
	if (fam == 0x19 && ((mod >= 0x10 && mod <= 0x1f) || (mod >= 0xa0 && mod <= 0xaf)))
		return SNP_PRODUCT_GENOA;
	if (fam == 0x1a && mod <= 0x1f)
		return SNP_PRODUCT_TURIN;
	return SNP_PRODUCT_UNKNOWN;
}

/* The offset of the first non-zero byte in buf[lo..hi), or hi. */
static size_t first_nonzero(const uint8_t *buf, size_t lo, size_t hi)
{
	for (; lo < hi; lo++)
		if (buf[lo] != 0)
			return lo;
	return hi;
}

static int mbz(const uint8_t *buf, size_t lo, size_t hi, const char *what, struct eph_err *err)
{
	size_t at = first_nonzero(buf, lo, hi);

	if (at != hi)
		return eph_err_set(err, EPH_EFORMAT,
		                   "SNP report: reserved %s [0x%03zx..0x%03zx] must be zero, byte "
		                   "0x%03zx is 0x%02x",
		                   what, lo, hi - 1, at, buf[at]);
	return 0;
}

/* A 72-byte little-endian ECDSA coordinate into 48 big-endian bytes. */
static int ecdsa_coord(uint8_t *out, const uint8_t *le, const char *name, struct eph_err *err)
{
	size_t i, nz = first_nonzero(le, SNP_ECDSA_COORD_SIZE, ECDSA_FIELD);

	if (nz != ECDSA_FIELD)
		return eph_err_set(err, EPH_EFORMAT,
		                   "SNP report: signature %s does not fit in 48 bytes (byte %zu of "
		                   "its field is 0x%02x)",
		                   name, nz, le[nz]);
	for (i = 0; i < SNP_ECDSA_COORD_SIZE; i++)
		out[i] = le[SNP_ECDSA_COORD_SIZE - 1 - i];
	return 0;
}

static void take(struct eph_cur *c, void *dst, size_t n)
{
	const uint8_t *p = NULL;

	/* The length was checked once up front; every read below fits. */
	if (eph_cur_bytes(c, n, &p) == 0)
		memcpy(dst, p, n);
}

int snp_report_parse(struct snp_report *out, const uint8_t *buf, size_t len, struct eph_err *err)
{
	struct eph_cur c;
	uint64_t cur, rep, com, lau;
	uint32_t key_info;
	unsigned key;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len != SNP_REPORT_SIZE)
		return eph_err_set(err, EPH_EFORMAT,
		                   "SNP report is %zu bytes, an ATTESTATION_REPORT is exactly %d",
		                   len, SNP_REPORT_SIZE);
	eph_cur_init(&c, buf, len);
	(void)eph_cur_u32le(&c, &out->version);
	if (out->version != 2 && out->version != 3)
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "SNP report version %u at offset 0x000 is not supported (only 2 and 3)",
		    out->version);
	(void)eph_cur_u32le(&c, &out->guest_svn);
	(void)eph_cur_u64le(&c, &out->policy);
	if ((out->policy & SNP_POLICY_RESERVED_ONE) == 0)
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "SNP report: POLICY 0x%016llx has reserved bit 17 clear (must be 1)",
		    (unsigned long long)out->policy);
	if ((out->policy & ~SNP_POLICY_KNOWN_MASK) != 0)
		return eph_err_set(err, EPH_EFORMAT,
		                   "SNP report: POLICY 0x%016llx has reserved bits 63:26 set",
		                   (unsigned long long)out->policy);
	out->policy_abi_minor = (uint8_t)out->policy;
	out->policy_abi_major = (uint8_t)(out->policy >> 8);
	out->smt_allowed = (out->policy & SNP_POLICY_SMT) != 0;
	out->migrate_ma_allowed = (out->policy & SNP_POLICY_MIGRATE_MA) != 0;
	out->debug_allowed = (out->policy & SNP_POLICY_DEBUG) != 0;
	out->single_socket = (out->policy & SNP_POLICY_SINGLE_SOCKET) != 0;
	take(&c, out->family_id, sizeof(out->family_id));
	take(&c, out->image_id, sizeof(out->image_id));
	(void)eph_cur_u32le(&c, &out->vmpl);
	(void)eph_cur_u32le(&c, &out->signature_algo);
	(void)eph_cur_u64le(&c, &cur);
	(void)eph_cur_u64le(&c, &out->platform_info);
	(void)eph_cur_u32le(&c, &key_info);
	if (key_info >> 5)
		return eph_err_set(err, EPH_EFORMAT,
		                   "SNP report: reserved bits 31:5 of 0x048 are set (0x%08x)",
		                   key_info);
	key = (key_info >> 2) & 7;
	if (key != SNP_SIGNING_KEY_VCEK && key != SNP_SIGNING_KEY_VLEK &&
	    key != SNP_SIGNING_KEY_NONE)
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "SNP report: SIGNING_KEY %u at 0x048 is reserved (0 VCEK, 1 VLEK, 7 none)",
		    key);
	out->signing_key = (enum snp_signing_key)key;
	out->author_key_en = (key_info & 1) != 0;
	out->mask_chip_key = (key_info & 2) != 0;
	rc = mbz(buf, 0x04c, 0x050, "field", err);
	if (rc < 0)
		return rc;
	(void)eph_cur_skip(&c, 4);
	take(&c, out->report_data, sizeof(out->report_data));
	take(&c, out->measurement, sizeof(out->measurement));
	take(&c, out->host_data, sizeof(out->host_data));
	take(&c, out->id_key_digest, sizeof(out->id_key_digest));
	take(&c, out->author_key_digest, sizeof(out->author_key_digest));
	take(&c, out->report_id, sizeof(out->report_id));
	take(&c, out->report_id_ma, sizeof(out->report_id_ma));
	(void)eph_cur_u64le(&c, &rep);
	if (out->version >= 3) {
		(void)eph_cur_u8(&c, &out->cpuid_fam_id);
		(void)eph_cur_u8(&c, &out->cpuid_mod_id);
		(void)eph_cur_u8(&c, &out->cpuid_step);
		out->product = product_from_cpuid(out->cpuid_fam_id, out->cpuid_mod_id);
		rc = mbz(buf, 0x18b, 0x1a0, "field", err);
	} else {
		rc = mbz(buf, 0x188, 0x1a0, "field", err);
	}
	if (rc < 0)
		return rc;
	(void)eph_cur_skip(&c, 0x1a0 - c.pos);
	take(&c, out->chip_id, sizeof(out->chip_id));
	(void)eph_cur_u64le(&c, &com);
	(void)eph_cur_u8(&c, &out->current_build);
	(void)eph_cur_u8(&c, &out->current_minor);
	(void)eph_cur_u8(&c, &out->current_major);
	rc = mbz(buf, 0x1eb, 0x1ec, "byte", err);
	if (rc < 0)
		return rc;
	(void)eph_cur_skip(&c, 1);
	(void)eph_cur_u8(&c, &out->committed_build);
	(void)eph_cur_u8(&c, &out->committed_minor);
	(void)eph_cur_u8(&c, &out->committed_major);
	rc = mbz(buf, 0x1ef, 0x1f0, "byte", err);
	if (rc < 0)
		return rc;
	(void)eph_cur_skip(&c, 1);
	(void)eph_cur_u64le(&c, &lau);
	rc = mbz(buf, 0x1f8, SNP_SIGNED_SIZE, "field", err);
	if (rc < 0)
		return rc;
	snp_tcb_decode(&out->current_tcb, cur, out->product);
	snp_tcb_decode(&out->reported_tcb, rep, out->product);
	snp_tcb_decode(&out->committed_tcb, com, out->product);
	snp_tcb_decode(&out->launch_tcb, lau, out->product);

	if (out->signature_algo == SNP_SIG_ALGO_ECDSA_P384_SHA384) {
		rc = ecdsa_coord(out->sig_r, buf + SNP_SIGNED_SIZE, "R", err);
		if (rc == 0)
			rc = ecdsa_coord(out->sig_s, buf + SNP_SIGNED_SIZE + ECDSA_FIELD, "S", err);
		if (rc == 0)
			rc = mbz(buf, SNP_SIGNED_SIZE + 2 * ECDSA_FIELD, SNP_REPORT_SIZE,
			         "signature tail", err);
		if (rc < 0)
			return rc;
	}
	return 0;
}
