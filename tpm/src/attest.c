/*
 * attest.c - unmarshal the TPMS_ATTEST of a quote (TPM 2.0 Part 2, 10.12.12
 * TPMS_ATTEST, 10.12.4 TPMS_QUOTE_INFO), the bytes an AK signs:
 *
 *   ff544347          magic TPM_GENERATED_VALUE
 *   8018              type TPM_ST_ATTEST_QUOTE
 *   0022 000b 7ca5..  qualifiedSigner (TPM2B_NAME)
 *   0014 db1d..       extraData (TPM2B_DATA): the verifier's nonce
 *   000000000000176a  clockInfo.clock (u64, ms)
 *   00000000          clockInfo.resetCount
 *   00000000          clockInfo.restartCount
 *   01                clockInfo.safe
 *   2016051100162800  firmwareVersion
 *   00000001 000b 03 008041   pcrSelect: sha256 PCRs 15, 16, 22
 *   0020 ec1636c6..   pcrDigest (TPM2B_DIGEST)
 *
 * Magic and type are read first with the cursor so that a wrong one is
 * named as such (tss2-mu would reject an unknown type as a bad selector);
 * the rest is tss2-mu's, and must consume the buffer exactly. Limits of
 * this library on top: extraData at most TPMQ_MAX_NONCE bytes, 24 PCRs, 4
 * banks of known hashes.
 *
 * Not here: the signature and what the fields mean (quote_verify.c,
 * freshness.c).
 */
#include <string.h>
#include <tss2/tss2_rc.h>

#include "eph_cur.h"
#include "tpmq-priv.h"

int tpmq_attest_parse(struct tpmq_attest *out, const uint8_t *buf, size_t len,
		      struct eph_err *err)
{
	const TPMS_CLOCK_INFO *ci;
	const TPMS_QUOTE_INFO *qi;
	struct eph_cur c;
	TPMS_ATTEST a;
	uint32_t magic;
	uint16_t type;
	size_t off = 0;
	TSS2_RC trc;
	int rc;

	memset(out, 0, sizeof(*out));
	eph_cur_init(&c, buf, len);
	if (eph_cur_u32be(&c, &magic) < 0 || eph_cur_u16be(&c, &type) < 0)
		return eph_err_set(err, EPH_EFORMAT, "TPMS_ATTEST: truncated: %zu bytes", len);
	if (magic != TPMQ_GENERATED_VALUE)
		return eph_err_set(err, EPH_EFORMAT,
				   "TPMS_ATTEST: magic 0x%08x is not TPM_GENERATED_VALUE", magic);
	if (type != TPMQ_ST_ATTEST_QUOTE)
		return eph_err_set(err, EPH_EFORMAT,
				   "TPMS_ATTEST: type 0x%04x is not TPM_ST_ATTEST_QUOTE", type);

	memset(&a, 0, sizeof(a));
	trc = Tss2_MU_TPMS_ATTEST_Unmarshal(buf, len, &off, &a);
	if (trc != TSS2_RC_SUCCESS)
		return eph_err_set(err, EPH_EFORMAT, "TPMS_ATTEST: does not unmarshal (%zu bytes): %s",
				   len, Tss2_RC_Decode(trc));
	if (off != len)
		return eph_err_set(err, EPH_EFORMAT, "TPMS_ATTEST: %zu trailing bytes after offset %zu",
				   len - off, off);
	if (a.qualifiedSigner.size > sizeof(out->signer))
		return eph_err_set(err, EPH_EFORMAT, "TPMS_ATTEST: qualifiedSigner of %u bytes",
				   a.qualifiedSigner.size);
	if (a.extraData.size > sizeof(out->extra))
		return eph_err_set(err, EPH_EFORMAT,
				   "TPMS_ATTEST: extraData of %u bytes, at most %d", a.extraData.size,
				   TPMQ_MAX_NONCE);
	qi = &a.attested.quote;
	if (qi->pcrDigest.size > sizeof(out->pcr_digest))
		return eph_err_set(err, EPH_EFORMAT, "TPMS_ATTEST: pcrDigest of %u bytes",
				   qi->pcrDigest.size);
	rc = tpmq__pcrsel_from_tpml(&out->sel, &qi->pcrSelect, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "TPMS_ATTEST");

	ci = &a.clockInfo;
	out->magic = magic;
	out->type = type;
	out->signer_len = a.qualifiedSigner.size;
	memcpy(out->signer, a.qualifiedSigner.name, a.qualifiedSigner.size);
	out->extra_len = a.extraData.size;
	memcpy(out->extra, a.extraData.buffer, a.extraData.size);
	out->clock = ci->clock;
	out->reset_count = ci->resetCount;
	out->restart_count = ci->restartCount;
	out->safe = ci->safe;
	out->firmware_version = a.firmwareVersion;
	out->pcr_digest_len = qi->pcrDigest.size;
	memcpy(out->pcr_digest, qi->pcrDigest.buffer, qi->pcrDigest.size);
	return 0;
}
