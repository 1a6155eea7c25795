/*
 * sign.c - mint a CWT as an ES256 COSE_Sign1 (RFC 9052 section 4.4,
 * RFC 9053 section 2.1, RFC 8392 section 7.1): for tests, the demo and
 * ephemera-token; the broker itself only verifies.
 *
 *   d2 84 58 25 a2 01 26 04 58 20 <thumbprint>   18([<<{1: -7, 4: kid}>>,
 *      a0  58 .. <claims>  58 40 <r || s>            {}, <<claims>>, sig])
 *
 * The signature is OpenSSL's DER ECDSA-Sig-Value converted to the fixed
 * 64-byte r || s that COSE requires (each integer left-padded to 32).
 *
 * Not here: key generation or storage (the tool reads a PEM), other
 * algorithms, countersignatures.
 */
#include "cwt-priv.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

static int es256_sign(uint8_t sig[64], EVP_PKEY *key, const uint8_t *tbs, size_t tbs_len,
		      struct eph_err *err)
{
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	uint8_t *der = NULL;
	const uint8_t *q;
	const BIGNUM *r, *s;
	size_t der_len = 0;
	int rc = EPH_EFAIL;

	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &der_len, tbs, tbs_len) != 1) {
		eph_err_set(err, rc, "ES256: cannot set up signing");
		goto out;
	}
	der = OPENSSL_malloc(der_len);
	if (der == NULL || EVP_DigestSign(md, der, &der_len, tbs, tbs_len) != 1) {
		eph_err_set(err, rc, "ES256: signing failed");
		goto out;
	}
	q = der;
	es = d2i_ECDSA_SIG(NULL, &q, (long)der_len);
	if (es == NULL) {
		eph_err_set(err, rc, "ES256: OpenSSL returned an unreadable signature");
		goto out;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) {
		eph_err_set(err, rc, "ES256: r or s longer than 32 bytes");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return rc;
}

int cwt_sign1_raw(uint8_t **out, size_t *out_len, const uint8_t *prot, size_t prot_len,
		  const uint8_t *unprot, size_t unprot_len, const uint8_t *payload,
		  size_t payload_len, EVP_PKEY *key, struct eph_err *err)
{
	struct cwt__w w = { 0 };
	uint8_t *tbs = NULL, sig[64];
	size_t tbs_len = 0;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!cwt__is_p256(key))
		return eph_err_set(err, EPH_EFORMAT, "signing key: not an EC P-256 key");
	rc = cwt__sig_structure(&tbs, &tbs_len, prot, prot_len, payload, payload_len, err);
	if (rc < 0)
		return rc;
	rc = es256_sign(sig, key, tbs, tbs_len, err);
	free(tbs);
	if (rc < 0)
		return rc;
	cwt__w_array(&w, 4);
	cwt__w_bstr(&w, prot, prot_len);
	cwt__w_raw(&w, unprot, unprot_len);
	cwt__w_bstr(&w, payload, payload_len);
	cwt__w_bstr(&w, sig, sizeof(sig));
	if (w.rc < 0) {
		free(w.p);
		return eph_err_set(err, w.rc, "COSE_Sign1: cannot encode (larger than %u bytes?)",
				   CWT_MAX_TOKEN);
	}
	*out = w.p;
	*out_len = w.len;
	return 0;
}

int cwt_sign(uint8_t **out, size_t *out_len, const struct cwt_claims *claims, EVP_PKEY *key,
	     unsigned flags, struct eph_err *err)
{
	static const uint8_t empty_map[] = { 0xa0 };
	struct cwt__w prot = { 0 }, payload = { 0 }, framed = { 0 };
	uint8_t thumb[32], *body = NULL;
	size_t body_len = 0;
	int rc;

	*out = NULL;
	*out_len = 0;
	rc = cwt_key_thumbprint(thumb, key, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "signing key");
	cwt__w_map(&prot, (flags & CWT_SIGN_NO_KID) ? 1 : 2);
	cwt__w_int(&prot, CWT_HDR_ALG);
	cwt__w_int(&prot, CWT_COSE_ALG_ES256);
	if (!(flags & CWT_SIGN_NO_KID)) {
		cwt__w_int(&prot, CWT_HDR_KID);
		cwt__w_bstr(&prot, thumb, sizeof(thumb));
	}
	rc = cwt__claims_encode(&payload, claims, err);
	if (rc < 0)
		goto out;
	if (prot.rc < 0 || payload.rc < 0) {
		rc = eph_err_set(err, prot.rc < 0 ? prot.rc : payload.rc,
				 "claims: cannot encode (larger than %u bytes?)", CWT_MAX_TOKEN);
		goto out;
	}
	rc = cwt_sign1_raw(&body, &body_len, prot.p, prot.len, empty_map, sizeof(empty_map),
			   payload.p, payload.len, key, err);
	if (rc < 0)
		goto out;
	if (flags & CWT_SIGN_TAG_CWT)
		cwt__w_tag(&framed, 61);
	if (!(flags & CWT_SIGN_UNTAGGED) || (flags & CWT_SIGN_TAG_CWT))
		cwt__w_tag(&framed, 18);
	cwt__w_raw(&framed, body, body_len);
	if (framed.rc < 0) {
		rc = eph_err_set(err, framed.rc, "token: cannot encode (larger than %u bytes?)",
				 CWT_MAX_TOKEN);
		goto out;
	}
	*out = framed.p;
	*out_len = framed.len;
	framed.p = NULL;
out:
	free(framed.p);
	free(body);
	free(prot.p);
	free(payload.p);
	return rc;
}
