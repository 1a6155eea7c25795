/*
 * crl.c - revocation from operator-provided CRLs (RFC 5280, 5.; AMD KDS
 * spec #57230: https://kdsintf.amd.com/vcek/v1/<product>/crl is a DER
 * CertificateList signed by the ARK with RSA-PSS, listing revoked ASKs;
 * .../vlek/v1/<product>/crl likewise for ASVKs).
 *
 *   30 82 .. 30 82 ..        CertificateList, TBSCertList
 *     30 41 06 09 2a864886f70d01010a ...   signature: RSASSA-PSS
 *     30 7b ... 0c 09 "ARK-Milan"          issuer
 *     17 0d "2309..Z" 17 0d "2310..Z"      thisUpdate, nextUpdate
 *     30 .. { 30 .. 02 03 <serial> 17 0d <date> } ...  revoked
 *
 * A CRL counts for a certificate when its issuer name is the certificate's
 * issuer's subject. Such a CRL must verify with the issuer's key and be
 * current (thisUpdate <= at, and at < nextUpdate when present): a stale
 * CRL is refused rather than ignored, so that an operator who promised
 * revocation checking notices when the file is old. Nothing is fetched.
 * Not here: delta CRLs, indirect CRLs, issuing distribution points.
 */
#include <openssl/err.h>
#include <openssl/x509.h>

#include "snp-priv.h"

int snp__check_crls(X509_CRL *const *crls, size_t n, const struct snp_cert *subject,
                    const struct snp_cert *issuer, time_t at, struct eph_err *err)
{
	X509_NAME *iname = X509_get_subject_name(issuer->x509);
	char when[40];
	size_t i;

	for (i = 0; i < n; i++) {
		X509_CRL *crl = crls[i];
		X509_REVOKED *rev = NULL;
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), iname) != 0)
			continue;
		if (X509_CRL_verify(crl, X509_get0_pubkey(issuer->x509)) != 1) {
			ERR_clear_error();
			return eph_err_set(err, EPH_EVERIFY, "CRL of %s: signature does not verify",
			                   issuer->cn);
		}
		if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &at) >= 0) {
			snp__time_str(when, sizeof(when), X509_CRL_get0_lastUpdate(crl));
			return eph_err_set(err, EPH_EVERIFY,
			                   "CRL of %s is issued in the future (%s)", issuer->cn,
			                   when);
		}
		if (next != NULL && X509_cmp_time(next, &at) <= 0) {
			snp__time_str(when, sizeof(when), next);
			return eph_err_set(
			    err, EPH_EVERIFY,
			    "CRL of %s expired at %s: fetch a fresh one from AMD KDS", issuer->cn,
			    when);
		}
		if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(subject->x509)) ==
		    1) {
			snp__time_str(when, sizeof(when), X509_REVOKED_get0_revocationDate(rev));
			return eph_err_set(err, EPH_EVERIFY,
			                   "%s is revoked by the CRL of %s since %s", subject->cn,
			                   issuer->cn, when);
		}
	}
	return 0;
}
