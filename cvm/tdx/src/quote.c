/*
 * quote.c - parse a TDX quote v4 / v5 from untrusted bytes.
 *
 * Intel TDX DCAP Quoting Library API (rev. 0.9+), appendix A.3 "Version 4
 * Quote Format" and A.4 "Version 5"; Intel SGX ECDSA Quote Library API,
 * A.4 for the QE report (SGX REPORTBODY). All integers little-endian.
 *
 *   header (48)   0400 0200 81000000 0000 0000      version, att key type, TEE type, reserved
 *                 939a7233f79c4ca9940a0db3957f0607  QE vendor id (Intel)
 *                 <20 bytes user data>
 *   v5 only       0300 88020000                     body type 3 (TDX 1.5), body size 648
 *   body (584|648) TEE_TCB_SVN[16] MRSEAM[48] MRSIGNERSEAM[48] SEAMATTRIBUTES[8]
 *                 TDATTRIBUTES[8] XFAM[8] MRTD[48] MRCONFIGID[48] MROWNER[48]
 *                 MROWNERCONFIG[48] RTMR0..3[4x48] REPORTDATA[64]
 *                 (1.5: + TEE_TCB_SVN2[16] MRSERVICETD[48])
 *   cbb10000      signature data length (0x10cb = 4299)
 *   signature data:
 *     quote signature[64] (r||s over header [+ type/size] + body)
 *     attestation key[64] (P-256 x||y)
 *     0600 55100000  certification data type 6, size 0x1055
 *       QE report[384] QE report signature[64]
 *       2000 <32 bytes>  QE authentication data size + data
 *       0500 5d0e0000    certification data type 5 (PCK chain PEM), size
 *       "-----BEGIN CERTIFICATE-----..."
 *
 * Strictness: each size must fit in what is left of its container, and
 * the type 6 certification data must fill the signature data exactly, as
 * the nested type 5 data must fill the type 6 data: nothing unsigned can
 * hide inside. Bytes after the signature data are tolerated and counted
 * (quote providers that return fixed-size buffers pad with zeros).
 *
 * Not here: any signature or certificate check (verify.c, pck.c).
 */
#include <string.h>

#include "eph_cur.h"
#include "tdx-priv.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Take n bytes for what; base is the cursor's offset in the whole quote. */
static int need(struct eph_cur *c, size_t base, size_t n, const uint8_t **p, const char *what,
                struct eph_err *err)
{
	if (eph_cur_bytes(c, n, p) < 0)
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: %s needs %zu bytes at offset %zu, %zu left", what, n,
		                   base + c->pos, eph_cur_left(c));
	return 0;
}

static int parse_header(struct tdx_quote *q, struct eph_cur *c, struct eph_err *err)
{
	const uint8_t *p = NULL;
	int rc;

	rc = need(c, 0, TDX_HEADER_SIZE, &p, "header", err);
	if (rc < 0)
		return rc;
	q->version = (uint16_t)(p[0] | p[1] << 8);
	q->att_key_type = (uint16_t)(p[2] | p[3] << 8);
	q->tee_type =
	    (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
	q->reserved1 = (uint16_t)(p[8] | p[9] << 8);
	q->reserved2 = (uint16_t)(p[10] | p[11] << 8);
	memcpy(q->qe_vendor_id, p + 12, 16);
	memcpy(q->user_data, p + 28, 20);
	if (q->version != TDX_QUOTE_V4 && q->version != TDX_QUOTE_V5)
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: header version %u at offset 0, expected 4 or 5",
		                   q->version);
	if (q->att_key_type != TDX_ATT_KEY_ECDSA_P256)
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "TDX quote: attestation key type %u at offset 2, expected 2 (ECDSA P-256)",
		    q->att_key_type);
	if (q->tee_type != TDX_TEE_TYPE_TDX)
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: TEE type 0x%x at offset 4, expected 0x81 (TDX)",
		                   q->tee_type);
	return 0;
}

static int parse_body(struct tdx_quote *q, struct eph_cur *c, struct eph_err *err)
{
	struct tdx_body *b = &q->body;
	const uint8_t *p = NULL;
	uint32_t size;
	uint16_t type;
	int rc, i;

	if (q->version == TDX_QUOTE_V5) {
		if (eph_cur_u16le(c, &type) < 0 || eph_cur_u32le(c, &size) < 0)
			return eph_err_set(err, EPH_EFORMAT,
			                   "TDX quote v5: body type/size truncated at offset %zu",
			                   c->pos);
		if (!(type == TDX_BODY_TYPE_TD10 && size == TDX_BODY10_SIZE) &&
		    !(type == TDX_BODY_TYPE_TD15 && size == TDX_BODY15_SIZE))
			return eph_err_set(err, EPH_EFORMAT,
			                   "TDX quote v5: body type %u size %u at offset 48, "
			                   "expected 2/584 or 3/648",
			                   type, size);
	} else {
		type = TDX_BODY_TYPE_TD10;
		size = TDX_BODY10_SIZE;
	}
	q->body_type = type;
	q->body_size = size;
	rc = need(c, 0, size, &p, "TD quote body", err);
	if (rc < 0)
		return rc;
	memcpy(b->tee_tcb_svn, p, 16);
	memcpy(b->mrseam, p + 16, 48);
	memcpy(b->mrsignerseam, p + 64, 48);
	b->seam_attributes = le64(p + 112);
	b->td_attributes = le64(p + 120);
	b->xfam = le64(p + 128);
	memcpy(b->mrtd, p + 136, 48);
	memcpy(b->mrconfigid, p + 184, 48);
	memcpy(b->mrowner, p + 232, 48);
	memcpy(b->mrownerconfig, p + 280, 48);
	for (i = 0; i < 4; i++)
		memcpy(b->rtmr[i], p + 328 + 48 * i, 48);
	memcpy(b->report_data, p + 520, 64);
	if (type == TDX_BODY_TYPE_TD15) {
		b->has_v15 = 1;
		memcpy(b->tee_tcb_svn2, p + 584, 16);
		memcpy(b->mrservicetd, p + 600, 48);
	}
	q->debug = (b->td_attributes & TDX_ATTR_DEBUG) != 0;
	q->sept_ve_disable = (b->td_attributes & TDX_ATTR_SEPT_VE_DISABLE) != 0;
	q->pks = (b->td_attributes & TDX_ATTR_PKS) != 0;
	q->key_locker = (b->td_attributes & TDX_ATTR_KL) != 0;
	q->perfmon = (b->td_attributes & TDX_ATTR_PERFMON) != 0;
	return 0;
}

static void decode_qe_report(struct tdx_qe_report *r, const uint8_t *p)
{
	memcpy(r->cpusvn, p, 16);
	r->miscselect =
	    (uint32_t)p[16] | (uint32_t)p[17] << 8 | (uint32_t)p[18] << 16 | (uint32_t)p[19] << 24;
	memcpy(r->attributes, p + 48, 16);
	memcpy(r->mrenclave, p + 64, 32);
	memcpy(r->mrsigner, p + 128, 32);
	r->isvprodid = (uint16_t)(p[256] | p[257] << 8);
	r->isvsvn = (uint16_t)(p[258] | p[259] << 8);
	memcpy(r->report_data, p + 320, 64);
}

/* QE report certification data (type 6): it must fill c exactly. */
static int parse_qe_cert(struct tdx_quote *q, struct eph_cur *c, size_t base, struct eph_err *err)
{
	uint32_t size;
	uint16_t type;
	int rc;

	rc = need(c, base, TDX_QE_REPORT_SIZE, &q->qe_report_raw, "QE report", err);
	if (rc < 0)
		return rc;
	decode_qe_report(&q->qe_report, q->qe_report_raw);
	rc = need(c, base, TDX_SIG_SIZE, &q->qe_report_sig, "QE report signature", err);
	if (rc < 0)
		return rc;
	if (eph_cur_u16le(c, &q->qe_auth_len) < 0)
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: QE auth data size truncated at offset %zu",
		                   base + c->pos);
	if (q->qe_auth_len > eph_cur_left(c))
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "TDX quote: QE auth data size %u at offset %zu exceeds the %zu bytes left",
		    q->qe_auth_len, base + c->pos - 2, eph_cur_left(c));
	rc = need(c, base, q->qe_auth_len, &q->qe_auth, "QE auth data", err);
	if (rc < 0)
		return rc;
	if (eph_cur_u16le(c, &type) < 0 || eph_cur_u32le(c, &size) < 0)
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "TDX quote: PCK certification data header truncated at offset %zu",
		    base + c->pos);
	if (type != TDX_CERT_PCK_CHAIN)
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: nested certification data type %u at offset %zu, "
		                   "expected 5 (PCK chain)",
		                   type, base + c->pos - 6);
	if (size != eph_cur_left(c))
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: PCK chain size %u at offset %zu, but %zu bytes are "
		                   "left in the QE certification data",
		                   size, base + c->pos - 4, eph_cur_left(c));
	if (size == 0)
		return eph_err_set(err, EPH_EFORMAT, "TDX quote: empty PCK chain");
	q->pck_chain_len = size;
	return need(c, base, size, &q->pck_chain, "PCK chain", err);
}

static int parse_sig_data(struct tdx_quote *q, struct eph_cur *c, struct eph_err *err)
{
	struct eph_cur s;
	const uint8_t *p = NULL;
	uint32_t size;
	uint16_t type;
	size_t base;
	int rc;

	if (eph_cur_u32le(c, &q->sig_data_len) < 0)
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: signature data length truncated at offset %zu",
		                   c->pos);
	if (q->sig_data_len > eph_cur_left(c))
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "TDX quote: signature data length %u at offset %zu exceeds the %zu bytes left",
		    q->sig_data_len, c->pos - 4, eph_cur_left(c));
	base = c->pos;
	rc = need(c, 0, q->sig_data_len, &p, "signature data", err);
	if (rc < 0)
		return rc;
	q->trailing = eph_cur_left(c);

	eph_cur_init(&s, p, q->sig_data_len);
	rc = need(&s, base, TDX_SIG_SIZE, &q->signature, "quote signature", err);
	if (rc < 0)
		return rc;
	rc = need(&s, base, TDX_AK_SIZE, &q->att_key, "attestation key", err);
	if (rc < 0)
		return rc;
	if (eph_cur_u16le(&s, &type) < 0 || eph_cur_u32le(&s, &size) < 0)
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: certification data header truncated at offset %zu",
		                   base + s.pos);
	if (type != TDX_CERT_QE_REPORT)
		return eph_err_set(
		    err, EPH_EFORMAT,
		    "TDX quote: certification data type %u at offset %zu, expected 6 (QE report)",
		    type, base + s.pos - 6);
	if (size != eph_cur_left(&s))
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: certification data size %u at offset %zu, but %zu "
		                   "bytes are left in the signature data",
		                   size, base + s.pos - 4, eph_cur_left(&s));
	eph_cur_init(&s, p + s.pos, size);
	/* type 6 data starts after signature, key and its 6-byte header */
	return parse_qe_cert(q, &s, base + TDX_SIG_SIZE + TDX_AK_SIZE + 6, err);
}

int tdx_quote_parse(struct tdx_quote *out, const uint8_t *buf, size_t len, struct eph_err *err)
{
	struct eph_cur c;
	int rc;

	memset(out, 0, sizeof(*out));
	if (buf == NULL || len == 0)
		return eph_err_set(err, EPH_EFORMAT, "TDX quote: empty input");
	if (len > TDX_QUOTE_MAX)
		return eph_err_set(err, EPH_EFORMAT,
		                   "TDX quote: %zu bytes, more than the %u allowed", len,
		                   TDX_QUOTE_MAX);
	eph_cur_init(&c, buf, len);
	rc = parse_header(out, &c, err);
	if (rc < 0)
		goto out;
	rc = parse_body(out, &c, err);
	if (rc < 0)
		goto out;
	out->signed_len = c.pos;
	rc = parse_sig_data(out, &c, err);
	if (rc < 0)
		goto out;
	out->raw = buf;
	out->raw_len = len;
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
