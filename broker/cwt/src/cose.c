/*
 * cose.c - take a COSE_Sign1 apart and check it (RFC 9052 sections 3, 4.2,
 * 4.4; ES256 per RFC 9053 section 2.1; CWT tag per RFC 8392 section 6).
 *
 *   COSE_Sign1 = [ protected: bstr .cbor header_map / bstr .size 0,
 *                  unprotected: header_map, payload: bstr, signature: bstr ]
 *   e.g. d2 84 43 a1 01 26  a1 04 42 6b 31  45 a1 01 61 61 ...  58 40 <r||s>
 *        18([<<{1: -7}>>, {4: 'k1'}, <<{1: "a"}>>, sig])
 *   Sig_structure = ["Signature1", protected, h'', payload]
 *        84 6a 5369676e617475726531 43 a10126 40 45 a1016161
 *
 * Accepted framings: untagged, 18(...), 61(18(...)). 61 around an untagged
 * array is refused (RFC 8392 section 6 requires a COSE tag inside), as are
 * other COSE message tags (unsupported) and any other tag (format).
 * Headers: alg must be -7 and only in the protected bucket; a label in both
 * buckets, crit (we understand no extension), content type (nested tokens)
 * and a nil (detached) payload are refused; kid, if present in either
 * bucket, is a bstr of at most CWT_KID_MAX bytes; other labels are ignored.
 *
 * Not here: which issuer the kid names (trust.c), claims (claims.c).
 */
#include "cwt-priv.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static const char *alg_name(int64_t alg)
{
	switch (alg) {
	case -7: return "ES256";
	case -35: return "ES384";
	case -36: return "ES512";
	case -8: return "EdDSA";
	case -37: return "PS256";
	case -257: return "RS256";
	case 4: return "HMAC 256/64";
	case 5: return "HMAC 256/256";
	case 6: return "HMAC 384/384";
	case 7: return "HMAC 512/512";
	default: return "unknown";
	}
}

static int cose_tag_refusal(uint64_t tag, size_t off, struct eph_err *err)
{
	const char *name = NULL;

	switch (tag) {
	case 16: name = "COSE_Encrypt0"; break;
	case 17: name = "COSE_Mac0"; break;
	case 96: name = "COSE_Encrypt"; break;
	case 97: name = "COSE_Mac"; break;
	case 98: name = "COSE_Sign"; break;
	default: break;
	}
	if (name != NULL)
		return eph_err_set(err, EPH_EUNSUPPORTED,
				   "token: %s (tag %llu) at byte %zu is not supported, only COSE_Sign1",
				   name, (unsigned long long)tag, off);
	return eph_err_set(err, EPH_EFORMAT, "token: unexpected tag %llu at byte %zu",
			   (unsigned long long)tag, off);
}

/* Past the optional tags to the array head. */
static int read_frame(struct cwt__rd *r, struct cwt__item *it, struct eph_err *err)
{
	int rc;

	rc = cwt__rd_head(r, it, err);
	if (rc < 0)
		return rc;
	if (it->type == CWT_T_TAG && it->v == 61) {
		rc = cwt__rd_head(r, it, err);
		if (rc < 0)
			return rc;
		if (it->type != CWT_T_TAG)
			return eph_err_set(err, EPH_EFORMAT,
					   "token: CWT tag 61 must enclose a COSE tag (RFC 8392 section 6), found none at byte %zu",
					   it->off);
	}
	if (it->type == CWT_T_TAG) {
		if (it->v != 18)
			return cose_tag_refusal(it->v, it->off, err);
		rc = cwt__rd_head(r, it, err);
		if (rc < 0)
			return rc;
		if (it->type == CWT_T_TAG)
			return eph_err_set(err, EPH_EFORMAT, "token: unexpected tag %llu at byte %zu",
					   (unsigned long long)it->v, it->off);
	}
	if (it->type != CWT_T_ARRAY || it->v != 4)
		return eph_err_set(err, EPH_EFORMAT,
				   "token: COSE_Sign1 must be an array of 4 at byte %zu", it->off);
	return 0;
}

/* Labels of the protected bucket, to refuse the same label in both. */
struct labels {
	struct cwt__label l[CWT_MAX_PAIRS];
	size_t n;
};

static int read_kid(struct cwt__sign1 *s, const struct cwt__item *v, const char *where,
		    struct eph_err *err)
{
	if (v->type != CWT_T_BSTR)
		return eph_err_set(err, EPH_EFORMAT, "%s: kid (4) at byte %zu is not a byte string",
				   where, v->off);
	if (v->n == 0 || v->n > CWT_KID_MAX)
		return eph_err_set(err, EPH_EFORMAT, "%s: kid of %zu bytes, expected 1..%u", where,
				   v->n, CWT_KID_MAX);
	s->kid = v->p;
	s->kid_len = v->n;
	return 0;
}

/* Walk one header map; prot says which bucket, seen holds protected labels. */
static int walk_headers(struct cwt__sign1 *s, struct cwt__rd *r, bool prot, struct labels *seen,
			bool *have_alg, struct eph_err *err)
{
	struct cwt__item m, k, v;
	struct cwt__label l;
	uint64_t i;
	size_t j;
	int rc;

	rc = cwt__rd_head(r, &m, err);
	if (rc < 0)
		return rc;
	if (m.type != CWT_T_MAP)
		return eph_err_set(err, EPH_EFORMAT, "%s: not a map", r->what);
	for (i = 0; i < m.v; i++) {
		rc = cwt__rd_head(r, &k, err);
		if (rc < 0)
			return rc;
		if (cwt__label_of(&l, &k) < 0)
			return eph_err_set(err, EPH_EFORMAT, "%s: label at byte %zu is not an int or tstr",
					   r->what, k.off);
		rc = cwt__rd_head(r, &v, err);
		if (rc < 0)
			return rc;
		if (prot) {
			seen->l[seen->n++] = l;
		} else {
			for (j = 0; j < seen->n; j++) {
				if (cwt__label_eq(&l, &seen->l[j]))
					return eph_err_set(err, EPH_EFORMAT,
							   "unprotected header: label at byte %zu also in the protected header",
							   k.off);
			}
		}
		if (!l.is_text && l.i == CWT_HDR_ALG) {
			int64_t alg;

			if (!prot)
				return eph_err_set(err, EPH_EFORMAT,
						   "unprotected header: alg (1) must be in the protected header");
			if (cwt__item_int(&v, &alg) < 0)
				return eph_err_set(err, EPH_EUNSUPPORTED,
						   "protected header: alg (1) is not an integer algorithm id");
			if (alg != CWT_COSE_ALG_ES256)
				return eph_err_set(err, EPH_EUNSUPPORTED,
						   "protected header: alg %lld (%s) refused, only ES256 (-7)",
						   (long long)alg, alg_name(alg));
			s->alg = alg;
			*have_alg = true;
		} else if (!l.is_text && l.i == CWT_HDR_CRIT) {
			if (!prot)
				return eph_err_set(err, EPH_EFORMAT,
						   "unprotected header: crit (2) must be in the protected header");
			return eph_err_set(err, EPH_EUNSUPPORTED,
					   "protected header: crit (2) lists extensions this verifier does not understand");
		} else if (!l.is_text && l.i == CWT_HDR_CTY) {
			return eph_err_set(err, EPH_EUNSUPPORTED,
					   "%s: content type (3): nested or non-CWT payloads are not supported",
					   r->what);
		} else if (!l.is_text && l.i == CWT_HDR_KID) {
			rc = read_kid(s, &v, r->what, err);
			if (rc < 0)
				return rc;
		}
		rc = cwt__rd_skip(r, &v, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cwt__sign1_parse(struct cwt__sign1 *s, const uint8_t *token, size_t len,
		     struct eph_err *err)
{
	struct labels seen = { .n = 0 };
	struct cwt__item it, prot, unprot, payload, sig;
	struct cwt__rd r, hr;
	bool have_alg = false;
	int rc;

	memset(s, 0, sizeof(*s));
	if (len > CWT_MAX_TOKEN)
		return eph_err_set(err, EPH_EFORMAT, "token: %zu bytes exceeds %u", len,
				   CWT_MAX_TOKEN);
	rc = cwt__cbor_check(token, len, "token", err);
	if (rc < 0)
		return rc;
	cwt__rd_init(&r, token, len, "token");
	rc = read_frame(&r, &it, err);
	if (rc < 0)
		return rc;
	rc = cwt__rd_head(&r, &prot, err);
	if (rc < 0)
		return rc;
	if (prot.type != CWT_T_BSTR)
		return eph_err_set(err, EPH_EFORMAT, "token: protected header at byte %zu is not a bstr",
				   prot.off);
	unprot.off = r.pos;
	rc = cwt__rd_head(&r, &unprot, err);
	if (rc == 0 && unprot.type != CWT_T_MAP)
		rc = eph_err_set(err, EPH_EFORMAT, "token: unprotected header at byte %zu is not a map",
				 unprot.off);
	if (rc == 0)
		rc = cwt__rd_skip(&r, &unprot, err);
	if (rc < 0)
		return rc;
	rc = cwt__rd_head(&r, &payload, err);
	if (rc < 0)
		return rc;
	if (payload.type == CWT_T_SIMPLE && r.buf[payload.off] == 0xf6)
		return eph_err_set(err, EPH_EUNSUPPORTED, "token: detached payload (nil) not supported");
	if (payload.type != CWT_T_BSTR)
		return eph_err_set(err, EPH_EFORMAT, "token: payload at byte %zu is not a bstr",
				   payload.off);
	rc = cwt__rd_head(&r, &sig, err);
	if (rc < 0)
		return rc;
	if (sig.type != CWT_T_BSTR || sig.n != 64)
		return eph_err_set(err, EPH_EFORMAT,
				   "token: signature at byte %zu is not a 64-byte bstr (ES256 r || s)",
				   sig.off);
	s->prot = prot.p;
	s->prot_len = prot.n;
	s->payload = payload.p;
	s->payload_len = payload.n;
	s->sig = sig.p;

	/* Protected: a serialized map, or zero bytes for an empty one. */
	if (prot.n > 0) {
		rc = cwt__cbor_check(prot.p, prot.n, "protected header", err);
		if (rc < 0)
			return rc;
		cwt__rd_init(&hr, prot.p, prot.n, "protected header");
		rc = walk_headers(s, &hr, true, &seen, &have_alg, err);
		if (rc < 0)
			return rc;
	}
	/* Unprotected: read again from the token, where the check passed. */
	cwt__rd_init(&hr, token, len, "unprotected header");
	hr.pos = unprot.off;
	rc = walk_headers(s, &hr, false, &seen, &have_alg, err);
	if (rc < 0)
		return rc;
	if (!have_alg)
		return eph_err_set(err, EPH_EFORMAT, "protected header: no alg (1)");
	return 0;
}

int cwt__sig_structure(uint8_t **out, size_t *out_len, const uint8_t *prot, size_t prot_len,
		       const uint8_t *payload, size_t payload_len, struct eph_err *err)
{
	static const char ctx[] = "Signature1";
	struct cwt__w w = { 0 };

	*out = NULL;
	*out_len = 0;
	cwt__w_array(&w, 4);
	cwt__w_tstr(&w, ctx);
	cwt__w_bstr(&w, prot, prot_len);
	cwt__w_bstr(&w, NULL, 0); /* external_aad */
	cwt__w_bstr(&w, payload, payload_len);
	if (w.rc < 0) {
		free(w.p);
		return eph_err_set(err, w.rc, "Sig_structure: cannot encode");
	}
	*out = w.p;
	*out_len = w.len;
	return 0;
}

bool cwt__is_p256(EVP_PKEY *key)
{
	char group[32];
	size_t glen = 0;

	if (key == NULL || !EVP_PKEY_is_a(key, "EC"))
		return false;
	if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1)
		return false;
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

/* r || s (32 + 32 bytes, RFC 9053 section 2.1) to the DER OpenSSL wants. */
static int raw_to_der(uint8_t **der, int *der_len, const uint8_t *sig)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int rc = -1;

	*der = NULL;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || r == NULL || s == NULL)
		goto out;
	if (ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	*der_len = i2d_ECDSA_SIG(es, der);
	if (*der_len <= 0) {
		*der = NULL;
		goto out;
	}
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

int cwt__sign1_verify(const struct cwt__sign1 *s, EVP_PKEY *pub, struct eph_err *err)
{
	EVP_MD_CTX *md = NULL;
	uint8_t *tbs = NULL, *der = NULL;
	size_t tbs_len = 0;
	int der_len = 0, ok, rc;

	rc = cwt__sig_structure(&tbs, &tbs_len, s->prot, s->prot_len, s->payload,
				s->payload_len, err);
	if (rc < 0)
		return rc;
	if (raw_to_der(&der, &der_len, s->sig) < 0) {
		rc = eph_err_set(err, EPH_ENOMEM, "signature: cannot convert r || s to DER");
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "signature: out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) != 1) {
		rc = eph_err_set(err, EPH_EFAIL, "signature: cannot set up ES256 verification");
		goto out;
	}
	ok = EVP_DigestVerify(md, der, (size_t)der_len, tbs, tbs_len);
	if (ok != 1) {
		rc = eph_err_set(err, EPH_EVERIFY, "signature: ES256 signature does not verify");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	free(tbs);
	return rc;
}
