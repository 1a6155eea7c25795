/*
 * chain.c - the AMD certificate chain of an SNP signing key (KDS spec
 * #57230, "Certificate Chain"): VCEK <- ASK <- ARK, or VLEK <- ASVK <- ARK.
 * ARK and ASK/ASVK are RSA-4096 keys signing with RSASSA-PSS SHA-384
 * (salt 48); the VCEK/VLEK is an ECDSA P-384 key.
 *
 * The ARK is pinned: AMD publishes one per product line, long-lived (the
 * Milan ARK runs 2020-2045), so its SHA-256 fingerprint is compiled in and
 * an ARK that differs is refused whatever folder it came from. The
 * fingerprints are of the DER of the ARKs that KDS serves at
 * https://kdsintf.amd.com/vcek/v1/<product>/cert_chain (same ARK for the
 * vlek/ paths).
 *
 * Checked here, each with its own message: the products the names give
 * agree; the pin; the ARK's self-signature; the ASK is a CA (basic
 * constraints), issued by the ARK (names, key identifiers, key usage:
 * X509_check_issued) and signed by it; likewise the leaf by the ASK; the
 * leaf is an ECDSA P-384 key; each certificate is valid at `at`.
 * Not here: CRLs (roots.c), the AMD extensions (vcek_ext.c).
 */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "snp-priv.h"

static const uint8_t pin_milan[32] = {
    0x69, 0xd0, 0x63, 0xb4, 0x53, 0x44, 0xd2, 0x6a, 0x2e, 0x94, 0xe1, 0xf4, 0x21, 0x0d, 0xe4, 0x9e,
    0xf5, 0x55, 0x30, 0x82, 0x87, 0xd4, 0xc1, 0x74, 0x44, 0x5c, 0x95, 0x63, 0x9a, 0x54, 0x0b, 0xcd,
};
static const uint8_t pin_genoa[32] = {
    0x4c, 0x65, 0x98, 0xd1, 0x9c, 0x18, 0x71, 0x9c, 0x5d, 0xfd, 0x4a, 0x7d, 0x33, 0x5f, 0x67, 0x4e,
    0x5b, 0xfe, 0x1d, 0x8f, 0x80, 0x0c, 0xea, 0x2c, 0xf2, 0x70, 0xc1, 0x0d, 0x10, 0x3d, 0xb2, 0xf1,
};
static const uint8_t pin_turin[32] = {
    0x1f, 0x08, 0x41, 0x61, 0xa4, 0x4b, 0xb6, 0xd9, 0x37, 0x78, 0xa9, 0x04, 0x87, 0x7d, 0x48, 0x19,
    0xca, 0xfa, 0x5d, 0x05, 0xef, 0x41, 0x93, 0xb2, 0xde, 0xd9, 0xdd, 0x9c, 0x73, 0xdd, 0x3f, 0x6a,
};

const uint8_t *snp_ark_pin(enum snp_product p)
{
	switch (p) {
	case SNP_PRODUCT_MILAN:
		return pin_milan;
	case SNP_PRODUCT_GENOA:
		return pin_genoa;
	case SNP_PRODUCT_TURIN:
		return pin_turin;
	default:
		return NULL;
	}
}

void snp__time_str(char *buf, size_t size, const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "(unreadable time)");
}

int snp__check_time(const struct snp_cert *c, const char *role, time_t at, struct eph_err *err)
{
	const ASN1_TIME *nb = X509_get0_notBefore(c->x509);
	const ASN1_TIME *na = X509_get0_notAfter(c->x509);
	char when[40], now[40];
	struct tm tm;

	if (gmtime_r(&at, &tm) == NULL ||
	    strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(now, sizeof(now), "%lld", (long long)at);
	if (X509_cmp_time(nb, &at) >= 0) {
		snp__time_str(when, sizeof(when), nb);
		return eph_err_set(err, EPH_EVERIFY, "%s %s is not valid before %s (checked at %s)",
		                   role, c->cn, when, now);
	}
	if (X509_cmp_time(na, &at) <= 0) {
		snp__time_str(when, sizeof(when), na);
		return eph_err_set(err, EPH_EVERIFY, "%s %s expired at %s (checked at %s)", role,
		                   c->cn, when, now);
	}
	return 0;
}

int snp__check_signed(const struct snp_cert *subject, const char *srole,
                      const struct snp_cert *issuer, const char *irole, struct eph_err *err)
{
	EVP_PKEY *key = X509_get0_pubkey(issuer->x509);
	int v = X509_check_issued(issuer->x509, subject->x509);

	if (v != X509_V_OK)
		return eph_err_set(err, EPH_EVERIFY, "%s %s was not issued by %s %s: %s", srole,
		                   subject->cn, irole, issuer->cn,
		                   X509_verify_cert_error_string(v));
	if (key == NULL || X509_verify(subject->x509, key) != 1) {
		ERR_clear_error();
		return eph_err_set(err, EPH_EVERIFY, "%s %s: signature by %s %s does not verify",
		                   srole, subject->cn, irole, issuer->cn);
	}
	return 0;
}

static int check_pin(const struct snp_cert *ark, enum snp_product product, struct eph_err *err)
{
	const uint8_t *pin = snp_ark_pin(product);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char got[65], want[65];

	if (pin == NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED, "no ARK is pinned for product %s",
		                   snp_product_name(product));
	if (X509_digest(ark->x509, EVP_sha256(), md, &n) != 1 || n != 32) {
		ERR_clear_error();
		return eph_err_set(err, EPH_EFAIL, "cannot hash ARK %s", ark->cn);
	}
	if (memcmp(md, pin, 32) != 0) {
		snp__hex(got, sizeof(got), md, 32);
		snp__hex(want, sizeof(want), pin, 32);
		return eph_err_set(err, EPH_EVERIFY,
		                   "ARK \"%s\" SHA-256 %.16s... is not the pinned ARK-%s %.16s...",
		                   ark->cn, got, snp_product_name(product), want);
	}
	return 0;
}

int snp__check_ark(const struct snp_cert *ark, enum snp_product product, struct eph_err *err)
{
	int rc = check_pin(ark, product, err);

	if (rc == 0)
		rc = snp__check_signed(ark, "ARK", ark, "ARK", err);
	if (rc == 0 && X509_check_ca(ark->x509) < 1)
		rc = eph_err_set(err, EPH_EVERIFY, "ARK %s is not a CA", ark->cn);
	return rc;
}

static int check_leaf_key(const struct snp_cert *leaf, const char *role, struct eph_err *err)
{
	EVP_PKEY *key = X509_get0_pubkey(leaf->x509);
	char group[32] = "";
	size_t glen = 0;

	if (key == NULL || !EVP_PKEY_is_a(key, "EC") ||
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &glen) != 1 ||
	    strcmp(group, "secp384r1") != 0) {
		ERR_clear_error();
		return eph_err_set(err, EPH_EVERIFY, "%s %s key is not ECDSA P-384 (%s)", role,
		                   leaf->cn, group[0] ? group : "not EC");
	}
	return 0;
}

int snp_verify_chain(const snp_cert *vcek, const snp_cert *ask, const snp_cert *ark,
                     enum snp_product product, time_t at, struct eph_err *err)
{
	const char *lrole, *irole;
	enum snp_cert_kind want;
	int rc;

	if (vcek->kind == SNP_CERT_VCEK) {
		lrole = "VCEK";
		irole = "ASK";
		want = SNP_CERT_ASK;
	} else if (vcek->kind == SNP_CERT_VLEK) {
		lrole = "VLEK";
		irole = "ASVK";
		want = SNP_CERT_ASVK;
	} else {
		return eph_err_set(err, EPH_EVERIFY,
		                   "leaf certificate \"%s\" is not a VCEK or VLEK", vcek->cn);
	}
	if (product == SNP_PRODUCT_UNKNOWN)
		product = vcek->product;
	if (product == SNP_PRODUCT_UNKNOWN)
		return eph_err_set(err, EPH_EUNSUPPORTED,
		                   "%s issuer names no known product (Milan, Genoa, Turin)", lrole);
	if (vcek->product != product)
		return eph_err_set(err, EPH_EVERIFY, "%s is issued for %s, expected %s", lrole,
		                   snp_product_name(vcek->product), snp_product_name(product));
	if (ask->kind != want || ask->product != product)
		return eph_err_set(err, EPH_EVERIFY,
		                   "%s must be signed by the %s of %s, got \"%s\"", lrole, irole,
		                   snp_product_name(product), ask->cn);
	rc = snp__check_ark(ark, product, err);
	if (rc == 0)
		rc = snp__check_signed(ask, irole, ark, "ARK", err);
	if (rc == 0 && X509_check_ca(ask->x509) < 1)
		rc = eph_err_set(err, EPH_EVERIFY, "%s %s is not a CA (basic constraints)", irole,
		                 ask->cn);
	if (rc == 0)
		rc = snp__check_signed(vcek, lrole, ask, irole, err);
	if (rc == 0)
		rc = check_leaf_key(vcek, lrole, err);
	if (rc == 0)
		rc = snp__check_time(ark, "ARK", at, err);
	if (rc == 0)
		rc = snp__check_time(ask, irole, at, err);
	if (rc == 0)
		rc = snp__check_time(vcek, lrole, at, err);
	return rc;
}
