/*
 * pck_ext.c - decode the Intel SGX extension of a PCK certificate
 * (OID 1.2.840.113741.1.13.1; "Intel SGX PCK Certificate and CRL Profile"
 * 1.4, section 1.3.5), a DER SEQUENCE of (OID, value) pairs:
 *
 *   30 82 01c1                                 SEQUENCE
 *     30 1e 06 0a 2a864886f84d010d0101 04 10 <PPID 16>
 *     30 82 0151 06 0a 2a864886f84d010d0102 30 82 0141   TCB
 *        30 10 06 0b 2a864886f84d010d010201 02 01 03     SGX TCB comp 01 SVN = 3
 *        ... comp 02..16 (.2.2 .. .2.16), PCESVN (.2.17, INTEGER),
 *        CPUSVN (.2.18, OCTET STRING 16)
 *     30 10 06 0a 2a864886f84d010d0103 04 02 0000      PCE-ID
 *     30 14 06 0a 2a864886f84d010d0104 04 06 <FMSPC 6>
 *     30 0f 06 0a 2a864886f84d010d0105 0a 01 01        SGX type (ENUMERATED)
 *     [30 .. .1.6 OCTET STRING 16 PlatformInstanceID]  Platform CA certs only
 *     [30 .. .1.7 SEQUENCE Configuration]              ignored
 *
 * The certificate is checked against Intel's root before this runs, but
 * the bytes are still read through the bounds-checked cursor: a minimal
 * DER reader (one-byte tags, definite lengths up to 3 bytes). Unknown
 * members are skipped; PPID, TCB, PCE-ID, FMSPC and SGX type must be there.
 */
#include <string.h>

#include "eph_cur.h"
#include "tdx-priv.h"

/* 1.2.840.113741.1.13.1 */
static const uint8_t sgx_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

#define HAVE_PPID 0x01
#define HAVE_TCB 0x02
#define HAVE_PCEID 0x04
#define HAVE_FMSPC 0x08
#define HAVE_TYPE 0x10
#define HAVE_ALL 0x1f

static int tlv(struct eph_cur *c, uint8_t *tag, struct eph_cur *val)
{
	const uint8_t *p;
	uint8_t b, i, n;
	size_t len = 0;

	if (eph_cur_u8(c, tag) < 0 || eph_cur_u8(c, &b) < 0)
		return -1;
	if ((*tag & 0x1f) == 0x1f)
		return -1; /* multi-byte tags: not in this extension */
	if (b < 0x80) {
		len = b;
	} else {
		n = b & 0x7f;
		if (n == 0 || n > 3)
			return -1;
		for (i = 0; i < n; i++) {
			if (eph_cur_u8(c, &b) < 0)
				return -1;
			len = len << 8 | b;
		}
	}
	if (eph_cur_bytes(c, len, &p) < 0)
		return -1;
	eph_cur_init(val, p, len);
	return 0;
}

/* A SEQUENCE { OID, value }: *arc is the OID's arcs below sgx_oid (up to 2). */
static int member(struct eph_cur *c, unsigned *arc, unsigned *sub, uint8_t *vtag,
                  struct eph_cur *val)
{
	struct eph_cur seq, oid;
	uint8_t tag;

	if (tlv(c, &tag, &seq) < 0 || tag != 0x30)
		return -1;
	if (tlv(&seq, &tag, &oid) < 0 || tag != 0x06 || oid.len < sizeof(sgx_oid) + 1 ||
	    oid.len > sizeof(sgx_oid) + 2 || memcmp(oid.base, sgx_oid, sizeof(sgx_oid)) != 0)
		return -1;
	*arc = oid.base[sizeof(sgx_oid)];
	*sub = oid.len == sizeof(sgx_oid) + 2 ? oid.base[sizeof(sgx_oid) + 1] : 0;
	if (*arc >= 0x80 || *sub >= 0x80)
		return -1;
	if (tlv(&seq, vtag, val) < 0 || eph_cur_left(&seq) != 0)
		return -1;
	return 0;
}

/* A non-negative DER INTEGER up to max. */
static int integer(const struct eph_cur *v, unsigned max, unsigned *out)
{
	size_t i;
	unsigned x = 0;

	if (v->len == 0 || v->len > 3 || (v->base[0] & 0x80))
		return -1;
	for (i = 0; i < v->len; i++)
		x = x << 8 | v->base[i];
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

static int octets(const struct eph_cur *v, uint8_t tag, uint8_t *out, size_t n)
{
	if (tag != 0x04 || v->len != n)
		return -1;
	memcpy(out, v->base, n);
	return 0;
}

static int parse_tcb(struct tdx_pck_info *out, struct eph_cur *c)
{
	struct eph_cur val;
	unsigned arc, sub, x, seen = 0;
	uint8_t tag;

	while (eph_cur_left(c) > 0) {
		if (member(c, &arc, &sub, &tag, &val) < 0 || arc != 2 || sub < 1 || sub > 18)
			return -1;
		if (seen & (1u << sub))
			return -1;
		seen |= 1u << sub;
		if (sub <= 16) {
			if (tag != 0x02 || integer(&val, 255, &x) < 0)
				return -1;
			out->comp_svn[sub - 1] = (uint8_t)x;
		} else if (sub == 17) {
			if (tag != 0x02 || integer(&val, 0xffff, &x) < 0)
				return -1;
			out->pcesvn = (uint16_t)x;
		} else if (octets(&val, tag, out->cpusvn, 16) < 0) {
			return -1;
		}
	}
	return seen == 0x7fffe ? 0 : -1; /* comps 1..16, PCESVN, CPUSVN */
}

int tdx__pck_ext_parse(struct tdx_pck_info *out, const uint8_t *der, size_t len,
                       struct eph_err *err)
{
	struct eph_cur c, top, val;
	unsigned arc, sub, x, have = 0;
	uint8_t tag;

	memset(out, 0, sizeof(*out));
	eph_cur_init(&c, der, len);
	if (tlv(&c, &tag, &top) < 0 || tag != 0x30 || eph_cur_left(&c) != 0)
		goto bad;
	while (eph_cur_left(&top) > 0) {
		if (member(&top, &arc, &sub, &tag, &val) < 0 || sub != 0)
			goto bad;
		switch (arc) {
		case 1:
			if (octets(&val, tag, out->ppid, 16) < 0)
				goto bad;
			have |= HAVE_PPID;
			break;
		case 2:
			if (tag != 0x30 || parse_tcb(out, &val) < 0)
				goto bad;
			have |= HAVE_TCB;
			break;
		case 3:
			if (octets(&val, tag, out->pce_id, 2) < 0)
				goto bad;
			have |= HAVE_PCEID;
			break;
		case 4:
			if (octets(&val, tag, out->fmspc, 6) < 0)
				goto bad;
			have |= HAVE_FMSPC;
			break;
		case 5:
			if (tag != 0x0a || integer(&val, 2, &x) < 0)
				goto bad;
			out->sgx_type = (int)x;
			have |= HAVE_TYPE;
			break;
		case 6:
			if (octets(&val, tag, out->platform_instance_id, 16) < 0)
				goto bad;
			out->has_platform_instance_id = 1;
			break;
		default:
			break; /* Configuration (.7) and later additions */
		}
	}
	if (have != HAVE_ALL)
		return eph_err_set(err, EPH_EFORMAT, "PCK certificate: SGX extension lacks %s",
		                   !(have & HAVE_PPID)    ? "PPID"
		                   : !(have & HAVE_TCB)   ? "TCB"
		                   : !(have & HAVE_PCEID) ? "PCE-ID"
		                   : !(have & HAVE_FMSPC) ? "FMSPC"
		                                          : "SGX type");
	return 0;
bad:
	return eph_err_set(err, EPH_EFORMAT,
	                   "PCK certificate: malformed SGX extension (%zu bytes of DER)", len);
}
