/*
 * vcek_ext.c - the AMD extensions of a VCEK or VLEK certificate (AMD
 * "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface
 * Specification" #57230, "VCEK Certificate Extensions"; VLEK likewise).
 * Each is a non-critical X.509 extension under 1.3.6.1.4.1.3704.1
 * (DER OID content 2b 06 01 04 01 9c 78 01 ...) whose extnValue holds:
 *
 *   .1     structVersion  INTEGER        02 01 00
 *   .2     productName    IA5String      16 08 4d 69 6c 61 6e 2d 42 30  "Milan-B0"
 *   .3.1   blSPL          INTEGER        02 01 02
 *   .3.2   teeSPL         INTEGER        02 01 00
 *   .3.3   snpSPL         INTEGER        02 01 05
 *   .3.4-7 reserved SPLs  INTEGER        02 01 00
 *   .3.8   ucodeSPL       INTEGER        02 01 44, or 02 02 00 a9 (169)
 *   .3.9   fmcSPL         INTEGER        Turin only
 *   .4     hwID           the 64 raw bytes of CHIP_ID (older KDS), or an
 *                         OCTET STRING 04 40 <64 bytes> (newer); 8 bytes on Turin
 *   .5     csp_id         IA5String      VLEK only
 *
 * The values are read here with a small DER reader over the cursor; only
 * OpenSSL's certificate parser sits in front of it.
 * Not here: whether the certificate is genuine (chain.c), whether it
 * matches a report (verify.c).
 */
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "eph_cur.h"
#include "snp-priv.h"

/* DER content of the OID 1.3.6.1.4.1.3704.1 */
static const uint8_t amd_arc[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x9c, 0x78, 0x01};

enum ext_id {
	EXT_STRUCT_VERSION,
	EXT_PRODUCT_NAME,
	EXT_BL,
	EXT_TEE,
	EXT_SNP,
	EXT_SPL4,
	EXT_SPL5,
	EXT_SPL6,
	EXT_SPL7,
	EXT_UCODE,
	EXT_FMC,
	EXT_HWID,
	EXT_CSP_ID,
	EXT_COUNT
};

static const struct {
	uint8_t sub[2];
	size_t sub_len;
	const char *name;
} ext_table[EXT_COUNT] = {
    [EXT_STRUCT_VERSION] = {{1}, 1, "structVersion (1.3.6.1.4.1.3704.1.1)"},
    [EXT_PRODUCT_NAME] = {{2}, 1, "productName (1.3.6.1.4.1.3704.1.2)"},
    [EXT_BL] = {{3, 1}, 2, "blSPL (1.3.6.1.4.1.3704.1.3.1)"},
    [EXT_TEE] = {{3, 2}, 2, "teeSPL (1.3.6.1.4.1.3704.1.3.2)"},
    [EXT_SNP] = {{3, 3}, 2, "snpSPL (1.3.6.1.4.1.3704.1.3.3)"},
    [EXT_SPL4] = {{3, 4}, 2, "spl_4 (1.3.6.1.4.1.3704.1.3.4)"},
    [EXT_SPL5] = {{3, 5}, 2, "spl_5 (1.3.6.1.4.1.3704.1.3.5)"},
    [EXT_SPL6] = {{3, 6}, 2, "spl_6 (1.3.6.1.4.1.3704.1.3.6)"},
    [EXT_SPL7] = {{3, 7}, 2, "spl_7 (1.3.6.1.4.1.3704.1.3.7)"},
    [EXT_UCODE] = {{3, 8}, 2, "ucodeSPL (1.3.6.1.4.1.3704.1.3.8)"},
    [EXT_FMC] = {{3, 9}, 2, "fmcSPL (1.3.6.1.4.1.3704.1.3.9)"},
    [EXT_HWID] = {{4}, 1, "hwID (1.3.6.1.4.1.3704.1.4)"},
    [EXT_CSP_ID] = {{5}, 1, "csp_id (1.3.6.1.4.1.3704.1.5)"},
};

struct raw_ext {
	const uint8_t *p; /* extnValue content, NULL when absent */
	size_t n;
};

/* Which AMD extension an OID is, or -1. */
static int ext_lookup(const ASN1_OBJECT *obj)
{
	const uint8_t *d = OBJ_get0_data(obj);
	size_t n = OBJ_length(obj), i;

	if (d == NULL || n <= sizeof(amd_arc) || memcmp(d, amd_arc, sizeof(amd_arc)) != 0)
		return -1;
	for (i = 0; i < EXT_COUNT; i++)
		if (n - sizeof(amd_arc) == ext_table[i].sub_len &&
		    memcmp(d + sizeof(amd_arc), ext_table[i].sub, ext_table[i].sub_len) == 0)
			return (int)i;
	return -1;
}

/* One DER TLV with a short or one-byte long length. */
static int der_tlv(struct eph_cur *c, uint8_t tag, const uint8_t **val, size_t *vlen)
{
	uint8_t t, l;

	if (eph_cur_u8(c, &t) < 0 || t != tag || eph_cur_u8(c, &l) < 0)
		return -1;
	if (l == 0x81) {
		if (eph_cur_u8(c, &l) < 0 || l < 0x80)
			return -1;
	} else if (l & 0x80) {
		return -1;
	}
	*vlen = l;
	return eph_cur_bytes(c, l, val);
}

static int ext_u8(uint8_t *out, const struct raw_ext *e, int id, struct eph_err *err)
{
	struct eph_cur c;
	const uint8_t *v = NULL;
	size_t n = 0;

	eph_cur_init(&c, e->p, e->n);
	if (der_tlv(&c, 0x02, &v, &n) < 0 || eph_cur_left(&c) != 0 || n == 0)
		return eph_err_set(err, EPH_EFORMAT, "VCEK extension %s is not one DER INTEGER",
		                   ext_table[id].name);
	if (v[0] & 0x80)
		return eph_err_set(err, EPH_EFORMAT, "VCEK extension %s is negative",
		                   ext_table[id].name);
	if (n == 2 && v[0] == 0 && v[1] & 0x80) {
		*out = v[1];
		return 0;
	}
	if (n != 1)
		return eph_err_set(err, EPH_EFORMAT,
		                   "VCEK extension %s is a %zu-byte INTEGER, an SPL is 0..255",
		                   ext_table[id].name, n);
	*out = v[0];
	return 0;
}

static int ext_ia5(char *out, size_t size, const struct raw_ext *e, int id, struct eph_err *err)
{
	struct eph_cur c;
	const uint8_t *v = NULL;
	size_t n = 0, i;

	eph_cur_init(&c, e->p, e->n);
	if (der_tlv(&c, 0x16, &v, &n) < 0 || eph_cur_left(&c) != 0)
		return eph_err_set(err, EPH_EFORMAT, "VCEK extension %s is not one DER IA5String",
		                   ext_table[id].name);
	if (n >= size)
		return eph_err_set(err, EPH_EFORMAT,
		                   "VCEK extension %s is %zu characters, at most %zu",
		                   ext_table[id].name, n, size - 1);
	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return eph_err_set(
			    err, EPH_EFORMAT,
			    "VCEK extension %s has byte 0x%02x at %zu, not printable",
			    ext_table[id].name, v[i], i);
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/* hwID: raw bytes of the expected size, or an OCTET STRING holding them. */
static int ext_hwid(struct snp_vcek_info *out, const struct raw_ext *e, size_t want,
                    struct eph_err *err)
{
	struct eph_cur c;
	const uint8_t *v = e->p;
	size_t n = e->n;

	if (n != want) {
		eph_cur_init(&c, e->p, e->n);
		if (der_tlv(&c, 0x04, &v, &n) < 0 || eph_cur_left(&c) != 0)
			return eph_err_set(err, EPH_EFORMAT,
			                   "VCEK hwID extension is %zu bytes: neither the raw "
			                   "%zu-byte ID nor an OCTET STRING",
			                   e->n, want);
		if (n != want)
			return eph_err_set(err, EPH_EFORMAT,
			                   "VCEK hwID OCTET STRING holds %zu bytes, %s needs %zu",
			                   n, snp_product_name(out->product), want);
	}
	memcpy(out->hwid, v, n);
	out->hwid_len = n;
	return 0;
}

/* "Milan-B0" -> Milan, 0; "Genoa" -> Genoa, -1. */
static int product_name(struct snp_vcek_info *out, struct eph_err *err)
{
	const char *dash = strchr(out->product_name, '-');
	size_t len = strlen(out->product_name);

	out->product = snp__product_from_prefix(out->product_name, len);
	if (out->product == SNP_PRODUCT_UNKNOWN)
		return eph_err_set(err, EPH_EUNSUPPORTED,
		                   "VCEK productName \"%s\" is not Milan, Genoa or Turin",
		                   out->product_name);
	out->stepping = -1;
	if (dash == NULL)
		return 0;
	if (strlen(dash) != 3 || dash[1] < 'A' || dash[1] > 'Z' || dash[2] < '0' || dash[2] > '9')
		return eph_err_set(err, EPH_EFORMAT,
		                   "VCEK productName \"%s\": stepping is not <letter><digit>",
		                   out->product_name);
	out->stepping = dash[2] - '0';
	return 0;
}

static int collect(struct raw_ext *raw, const X509 *x, struct eph_err *err)
{
	int i, n = X509_get_ext_count(x);

	for (i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		const ASN1_OCTET_STRING *val = X509_EXTENSION_get_data(ext);
		int id = ext_lookup(X509_EXTENSION_get_object(ext));

		if (id < 0) {
			if (X509_EXTENSION_get_critical(ext) && !X509_supported_extension(ext))
				return eph_err_set(err, EPH_EFORMAT,
				                   "VCEK extension %d is critical and unknown", i);
			continue;
		}
		if (raw[id].p != NULL)
			return eph_err_set(err, EPH_EFORMAT, "VCEK has extension %s twice",
			                   ext_table[id].name);
		raw[id].p = ASN1_STRING_get0_data(val);
		raw[id].n = (size_t)ASN1_STRING_length(val);
	}
	return 0;
}

static int require(const struct raw_ext *raw, int id, struct eph_err *err)
{
	if (raw[id].p == NULL)
		return eph_err_set(err, EPH_EFORMAT, "VCEK lacks extension %s", ext_table[id].name);
	return 0;
}

int snp_vcek_tcb(struct snp_vcek_info *out, const snp_cert *cert, struct eph_err *err)
{
	static const int spls[] = {EXT_BL, EXT_TEE, EXT_SNP, EXT_UCODE};
	struct raw_ext raw[EXT_COUNT];
	uint8_t v[EXT_COUNT];
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(raw, 0, sizeof(raw));
	memset(v, 0, sizeof(v));
	out->stepping = -1;
	if (cert->kind != SNP_CERT_VCEK && cert->kind != SNP_CERT_VLEK)
		return eph_err_set(err, EPH_EFORMAT,
		                   "certificate CN \"%s\" is not SEV-VCEK or SEV-VLEK", cert->cn);
	out->kind = cert->kind;
	rc = collect(raw, cert->x509, err);
	if (rc == 0)
		rc = require(raw, EXT_PRODUCT_NAME, err);
	if (rc == 0)
		rc = ext_ia5(out->product_name, sizeof(out->product_name), &raw[EXT_PRODUCT_NAME],
		             EXT_PRODUCT_NAME, err);
	if (rc == 0)
		rc = product_name(out, err);
	if (rc == 0 && raw[EXT_STRUCT_VERSION].p != NULL)
		rc =
		    ext_u8(&out->struct_version, &raw[EXT_STRUCT_VERSION], EXT_STRUCT_VERSION, err);
	for (i = 0; rc == 0 && i < sizeof(spls) / sizeof(spls[0]); i++) {
		rc = require(raw, spls[i], err);
		if (rc == 0)
			rc = ext_u8(&v[spls[i]], &raw[spls[i]], spls[i], err);
	}
	if (rc == 0 && out->product == SNP_PRODUCT_TURIN)
		rc = require(raw, EXT_FMC, err);
	for (i = EXT_SPL4; rc == 0 && i <= EXT_FMC; i++)
		if (raw[i].p != NULL)
			rc = ext_u8(&v[i], &raw[i], (int)i, err);
	if (rc < 0)
		return rc;

	if (out->product == SNP_PRODUCT_TURIN)
		out->tcb.raw = (uint64_t)v[EXT_FMC] | (uint64_t)v[EXT_BL] << 8 |
		               (uint64_t)v[EXT_TEE] << 16 | (uint64_t)v[EXT_SNP] << 24 |
		               (uint64_t)v[EXT_SPL5] << 32 | (uint64_t)v[EXT_SPL6] << 40 |
		               (uint64_t)v[EXT_SPL7] << 48 | (uint64_t)v[EXT_UCODE] << 56;
	else
		out->tcb.raw = (uint64_t)v[EXT_BL] | (uint64_t)v[EXT_TEE] << 8 |
		               (uint64_t)v[EXT_SPL4] << 16 | (uint64_t)v[EXT_SPL5] << 24 |
		               (uint64_t)v[EXT_SPL6] << 32 | (uint64_t)v[EXT_SPL7] << 40 |
		               (uint64_t)v[EXT_SNP] << 48 | (uint64_t)v[EXT_UCODE] << 56;
	snp_tcb_decode(&out->tcb, out->tcb.raw, out->product);

	if (out->kind == SNP_CERT_VCEK) {
		if (raw[EXT_CSP_ID].p != NULL)
			return eph_err_set(err, EPH_EFORMAT,
			                   "VCEK carries a VLEK csp_id extension");
		rc = require(raw, EXT_HWID, err);
		if (rc == 0)
			rc = ext_hwid(out, &raw[EXT_HWID],
			              out->product == SNP_PRODUCT_TURIN ? SNP_HWID_TURIN_SIZE
			                                                : SNP_CHIP_ID_SIZE,
			              err);
		return rc;
	}
	if (raw[EXT_HWID].p != NULL)
		return eph_err_set(err, EPH_EFORMAT, "VLEK carries a hwID extension");
	rc = require(raw, EXT_CSP_ID, err);
	if (rc == 0)
		rc = ext_ia5(out->csp_id, sizeof(out->csp_id), &raw[EXT_CSP_ID], EXT_CSP_ID, err);
	return rc;
}

int snp_vcek_check_product(const struct snp_vcek_info *info, enum snp_product product, int stepping,
                           struct eph_err *err)
{
	if (product != SNP_PRODUCT_UNKNOWN && info->product != product)
		return eph_err_set(err, EPH_EPOLICY, "expected product %s, got %s (\"%s\")",
		                   snp_product_name(product), snp_product_name(info->product),
		                   info->product_name);
	if (stepping >= 0 && info->stepping != stepping)
		return eph_err_set(err, EPH_EPOLICY, "expected product stepping %d, got %d",
		                   stepping, info->stepping);
	return 0;
}
