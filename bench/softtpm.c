/*
 * softtpm.c - the TPM side of an agent's identity, in software, for the
 * fleet load benchmark (bench/fleet_load.c). Every byte a real TPM would
 * send is built here the way the TPM builds it; the broker checks them
 * with its ordinary code. References are to TPM 2.0 Library Part 1-3
 * (rev. 1.59) and the TCG EK Credential Profile 2.3.
 *
 *   EK   (Profile 2.3, 2.2.1.4 templates L-1 / L-2): RSA 2048 or NIST
 *        P-256, nameAlg SHA-256, objectAttributes 0x000300b2 (fixedTPM,
 *        fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted,
 *        decrypt), authPolicy = PolicySecret(TPM_RH_ENDORSEMENT)
 *        837197674484b3f8..., symmetric AES-128-CFB, scheme NULL.
 *   AK   restricted signing key as tpm2_createak / agentc make it:
 *        objectAttributes 0x00050072 (fixedTPM, fixedParent,
 *        sensitiveDataOrigin, userWithAuth, restricted, sign), ECC P-256,
 *        scheme ECDSA-SHA256, kdf NULL, symmetric NULL, nameAlg SHA-256.
 *        Name (Part 1, 16): 000b || SHA-256(TPMT_PUBLIC as marshalled).
 *        Qualified name (Part 1, 16.5): QN(EK) = 000b || H(4000000b ||
 *        Name(EK)), QN(AK) = 000b || H(QN(EK) || Name(AK)); the quote's
 *        qualifiedSigner carries QN(AK), as a TPM fills it from the
 *        loaded object, not the bare name.
 *   ActivateCredential (Part 1, 24 "Credential Protection"; Part 3, 12.5):
 *        seed    RSA: RSA-OAEP(SHA-256, MGF1-SHA-256, label "IDENTITY\0")
 *                ECC: Z = (d_EK * E).x, KDFe(SHA-256, Z, "IDENTITY", E.x,
 *                EK.x, 256) (Part 1, 11.4.10.3)
 *        HMACkey = KDFa(SHA-256, seed, "INTEGRITY", -, -, 256)
 *        check   HMAC-SHA-256(HMACkey, encIdentity || name) (Part 1, 24.5)
 *        symKey  = KDFa(SHA-256, seed, "STORAGE", name, -, 128)
 *        decrypt AES-128-CFB, IV 0, of encIdentity = TPM2B_DIGEST(credential)
 *        KDFa is SP 800-108 counter mode with HMAC (Part 1, 11.4.10.2):
 *        HMAC(key, [i]32 || label || 00 || contextU || contextV || [bits]32).
 *   Quote (Part 3, 18.4; Part 2, 10.12.12 TPMS_ATTEST): magic ff544347,
 *        type 8018, qualifiedSigner, extraData = the nonce, clockInfo,
 *        firmwareVersion, TPMS_QUOTE_INFO {TPML_PCR_SELECTION, pcrDigest =
 *        SHA-256 of the selected PCR values in index order}, marshalled
 *        with libtss2-mu; signature ECDSA over SHA-256(attest), r and s
 *        as 32-byte big-endian integers in TPMT_SIGNATURE (Part 2, 11.3.4).
 *
 * Deliberately not here: hiding the private keys (they live in process
 * memory), PCR extends (the caller gives values), authorisation sessions,
 * policy, NV. This is a load generator's identity, never a TPM.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "softtpm.h"

#define DIGEST 32 /* SHA-256, the nameAlg of every key here */

struct softtpm_ca {
	EVP_PKEY *key;
	X509 *cert;
};

struct softtpm_ek {
	enum softtpm_ek_alg alg;
	EVP_PKEY *key;
	uint8_t ecc_x[32]; /* unique.ecc.x: KDFe's partyVInfo */
	uint8_t pub[SOFTTPM_PUBLIC_MAX];
	size_t pub_len;
	uint8_t qname[SOFTTPM_NAME_LEN]; /* qualified name, for its children */
};

struct softtpm_ak {
	EVP_PKEY *key;
	uint8_t pub[SOFTTPM_PUBLIC_MAX];
	size_t pub_len;
	uint8_t name[SOFTTPM_NAME_LEN];
	uint8_t qname[SOFTTPM_NAME_LEN];
};

/* PolicySecret(TPM_RH_ENDORSEMENT): the EK templates' authPolicy. */
static const uint8_t ek_policy[DIGEST] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
	0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
	0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

void softtpm_free(void *p)
{
	OPENSSL_free(p);
}

static int ossl_fail(struct eph_err *err, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[120] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return eph_err_set(err, EPH_EFAIL, "softtpm: %s failed%s%s", what, buf[0] ? ": " : "",
			   buf);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int sha256(uint8_t out[DIGEST], const uint8_t *a, size_t alen, const uint8_t *b,
		  size_t blen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(c, a, alen) == 1 &&
		 (blen == 0 || EVP_DigestUpdate(c, b, blen) == 1) &&
		 EVP_DigestFinal_ex(c, out, NULL) == 1;

	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

static int bn_param(uint8_t *out, size_t len, const EVP_PKEY *k, const char *which)
{
	BIGNUM *bn = NULL;
	int ok;

	if (EVP_PKEY_get_bn_param(k, which, &bn) != 1)
		return -1;
	ok = BN_bn2binpad(bn, out, (int)len) == (int)len;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* Marshal pub into out (TPM2B_PUBLIC) and compute nameAlg || H(TPMT_PUBLIC). */
static int marshal_public(uint8_t *out, size_t *out_len, uint8_t name[SOFTTPM_NAME_LEN],
			  const TPM2B_PUBLIC *pub, struct eph_err *err)
{
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, out, SOFTTPM_PUBLIC_MAX, &off) != TSS2_RC_SUCCESS ||
	    off < 2 || get16(out) != off - 2)
		return eph_err_set(err, EPH_EFAIL, "softtpm: TPM2B_PUBLIC does not marshal");
	*out_len = off;
	put16(name, TPM2_ALG_SHA256);
	if (sha256(name + 2, out + 2, off - 2, NULL, 0) < 0)
		return ossl_fail(err, "SHA-256 of TPMT_PUBLIC");
	return 0;
}

/* QN(child) = nameAlg || H(QN(parent) || Name(child)) (Part 1, 16.5). */
static int qualify(uint8_t qn[SOFTTPM_NAME_LEN], const uint8_t *parent_qn, size_t pqn_len,
		   const uint8_t name[SOFTTPM_NAME_LEN])
{
	put16(qn, TPM2_ALG_SHA256);
	return sha256(qn + 2, parent_qn, pqn_len, name, SOFTTPM_NAME_LEN);
}

/* ---------------------------------------------------------------------- */
/* Keys                                                                    */
/* ---------------------------------------------------------------------- */

int softtpm_ek_new(struct softtpm_ek **out, enum softtpm_ek_alg alg, struct eph_err *err)
{
	static const uint8_t endorsement[4] = {0x40, 0x00, 0x00, 0x0b}; /* TPM_RH_ENDORSEMENT */
	struct softtpm_ek *ek = calloc(1, sizeof(*ek));
	TPM2B_PUBLIC pub;
	TPMT_PUBLIC *t = &pub.publicArea;
	uint8_t name[SOFTTPM_NAME_LEN];
	int rc;

	*out = NULL;
	if (ek == NULL)
		return eph_err_set(err, EPH_ENOMEM, "softtpm: out of memory");
	memset(&pub, 0, sizeof(pub));
	ek->alg = alg;
	t->nameAlg = TPM2_ALG_SHA256;
	t->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	t->authPolicy.size = DIGEST;
	memcpy(t->authPolicy.buffer, ek_policy, DIGEST);
	if (alg == SOFTTPM_EK_RSA2048) {
		TPMS_RSA_PARMS *p = &t->parameters.rsaDetail;

		t->type = TPM2_ALG_RSA;
		p->symmetric.algorithm = TPM2_ALG_AES;
		p->symmetric.keyBits.aes = 128;
		p->symmetric.mode.aes = TPM2_ALG_CFB;
		p->scheme.scheme = TPM2_ALG_NULL;
		p->keyBits = 2048;
		p->exponent = 0; /* the default, 65537 */
		ek->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		if (ek->key == NULL ||
		    bn_param(t->unique.rsa.buffer, 256, ek->key, OSSL_PKEY_PARAM_RSA_N) < 0) {
			rc = ossl_fail(err, "RSA-2048 EK generation");
			goto fail;
		}
		t->unique.rsa.size = 256;
	} else if (alg == SOFTTPM_EK_P256) {
		TPMS_ECC_PARMS *p = &t->parameters.eccDetail;

		t->type = TPM2_ALG_ECC;
		p->symmetric.algorithm = TPM2_ALG_AES;
		p->symmetric.keyBits.aes = 128;
		p->symmetric.mode.aes = TPM2_ALG_CFB;
		p->scheme.scheme = TPM2_ALG_NULL;
		p->curveID = TPM2_ECC_NIST_P256;
		p->kdf.scheme = TPM2_ALG_NULL;
		ek->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (ek->key == NULL ||
		    bn_param(t->unique.ecc.x.buffer, 32, ek->key, OSSL_PKEY_PARAM_EC_PUB_X) < 0 ||
		    bn_param(t->unique.ecc.y.buffer, 32, ek->key, OSSL_PKEY_PARAM_EC_PUB_Y) < 0) {
			rc = ossl_fail(err, "P-256 EK generation");
			goto fail;
		}
		t->unique.ecc.x.size = t->unique.ecc.y.size = 32;
		memcpy(ek->ecc_x, t->unique.ecc.x.buffer, 32);
	} else {
		rc = eph_err_set(err, EPH_EUNSUPPORTED, "softtpm: EK kind %d", (int)alg);
		goto fail;
	}
	rc = marshal_public(ek->pub, &ek->pub_len, name, &pub, err);
	if (rc == 0 && qualify(ek->qname, endorsement, sizeof(endorsement), name) < 0)
		rc = ossl_fail(err, "EK qualified name");
	if (rc < 0)
		goto fail;
	*out = ek;
	return 0;
fail:
	softtpm_ek_free(ek);
	return rc;
}

void softtpm_ek_free(struct softtpm_ek *ek)
{
	if (ek == NULL)
		return;
	EVP_PKEY_free(ek->key);
	free(ek);
}

const uint8_t *softtpm_ek_public(const struct softtpm_ek *ek, size_t *len)
{
	*len = ek->pub_len;
	return ek->pub;
}

int softtpm_ak_new(struct softtpm_ak **out, const struct softtpm_ek *parent,
		   struct eph_err *err)
{
	struct softtpm_ak *ak = calloc(1, sizeof(*ak));
	TPM2B_PUBLIC pub;
	TPMT_PUBLIC *t = &pub.publicArea;
	TPMS_ECC_PARMS *p = &t->parameters.eccDetail;
	int rc;

	*out = NULL;
	if (ak == NULL)
		return eph_err_set(err, EPH_ENOMEM, "softtpm: out of memory");
	memset(&pub, 0, sizeof(pub));
	t->type = TPM2_ALG_ECC;
	t->nameAlg = TPM2_ALG_SHA256;
	t->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	p->symmetric.algorithm = TPM2_ALG_NULL;
	p->scheme.scheme = TPM2_ALG_ECDSA;
	p->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->curveID = TPM2_ECC_NIST_P256;
	p->kdf.scheme = TPM2_ALG_NULL;
	ak->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (ak->key == NULL ||
	    bn_param(t->unique.ecc.x.buffer, 32, ak->key, OSSL_PKEY_PARAM_EC_PUB_X) < 0 ||
	    bn_param(t->unique.ecc.y.buffer, 32, ak->key, OSSL_PKEY_PARAM_EC_PUB_Y) < 0) {
		rc = ossl_fail(err, "P-256 AK generation");
		goto fail;
	}
	t->unique.ecc.x.size = t->unique.ecc.y.size = 32;
	rc = marshal_public(ak->pub, &ak->pub_len, ak->name, &pub, err);
	if (rc == 0 && qualify(ak->qname, parent->qname, SOFTTPM_NAME_LEN, ak->name) < 0)
		rc = ossl_fail(err, "AK qualified name");
	if (rc < 0)
		goto fail;
	*out = ak;
	return 0;
fail:
	softtpm_ak_free(ak);
	return rc;
}

void softtpm_ak_free(struct softtpm_ak *ak)
{
	if (ak == NULL)
		return;
	EVP_PKEY_free(ak->key);
	free(ak);
}

const uint8_t *softtpm_ak_public(const struct softtpm_ak *ak, size_t *len)
{
	*len = ak->pub_len;
	return ak->pub;
}

const uint8_t *softtpm_ak_name(const struct softtpm_ak *ak)
{
	return ak->name;
}

/* ---------------------------------------------------------------------- */
/* EK certificate authority                                                */
/* ---------------------------------------------------------------------- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* Validity: from a day ago (clock skew) for ten years. */
static int set_validity(X509 *x)
{
	return X509_gmtime_adj(X509_getm_notBefore(x), -86400L) != NULL &&
			       X509_time_adj_ex(X509_getm_notAfter(x), 3650, 0, NULL) != NULL
		       ? 0
		       : -1;
}

int softtpm_ca_new(struct softtpm_ca **out, struct eph_err *err)
{
	struct softtpm_ca *ca = calloc(1, sizeof(*ca));
	X509_NAME *n;

	*out = NULL;
	if (ca == NULL)
		return eph_err_set(err, EPH_ENOMEM, "softtpm: out of memory");
	ca->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca->cert = X509_new();
	if (ca->key == NULL || ca->cert == NULL)
		goto fail;
	n = X509_get_subject_name(ca->cert);
	if (X509_set_version(ca->cert, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(ca->cert), 1) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				       (const unsigned char *)"Ephemera bench", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				       (const unsigned char *)"fleet-load EK CA", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(ca->cert, n) != 1 || set_validity(ca->cert) < 0 ||
	    X509_set_pubkey(ca->cert, ca->key) != 1 ||
	    add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash") < 0 ||
	    X509_sign(ca->cert, ca->key, EVP_sha256()) <= 0)
		goto fail;
	*out = ca;
	return 0;
fail:
	softtpm_ca_free(ca);
	return ossl_fail(err, "making the EK CA");
}

int softtpm_ca_load(struct softtpm_ca **out, const char *cert_pem, const char *key_pem,
		    struct eph_err *err)
{
	struct softtpm_ca *ca = calloc(1, sizeof(*ca));
	BIO *b = NULL;

	*out = NULL;
	if (ca == NULL)
		return eph_err_set(err, EPH_ENOMEM, "softtpm: out of memory");
	b = BIO_new_file(cert_pem, "r");
	ca->cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	b = BIO_new_file(key_pem, "r");
	ca->key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (ca->cert == NULL || ca->key == NULL || X509_check_private_key(ca->cert, ca->key) != 1) {
		softtpm_ca_free(ca);
		ERR_clear_error();
		return eph_err_set(err, EPH_EIO, "softtpm: cannot load the EK CA from %s and %s",
				   cert_pem, key_pem);
	}
	*out = ca;
	return 0;
}

int softtpm_ca_write(const struct softtpm_ca *ca, const char *cert_pem, const char *key_pem,
		     struct eph_err *err)
{
	BIO *b = BIO_new_file(cert_pem, "w");
	int ok = b != NULL && PEM_write_bio_X509(b, ca->cert) == 1;

	BIO_free(b);
	b = ok ? BIO_new_file(key_pem, "w") : NULL;
	ok = b != NULL && PEM_write_bio_PrivateKey(b, ca->key, NULL, NULL, 0, NULL, NULL) == 1;
	BIO_free(b);
	if (!ok) {
		ERR_clear_error();
		return eph_err_set(err, EPH_EIO, "softtpm: cannot write %s / %s", cert_pem,
				   key_pem);
	}
	return 0;
}

void softtpm_ca_free(struct softtpm_ca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca);
}

/* The critical subjectAltName directoryName of an EK certificate
 * (Profile 2.3, 3.2.9): tcg-at-tpmManufacturer, -tpmModel, -tpmVersion. */
static int add_tpm_san(X509 *x)
{
	static const char *const attrs[3][2] = {
		{"2.23.133.2.1", "id:00001014"},  /* manufacturer: IBM, as swtpm says */
		{"2.23.133.2.2", "fleet-load"},   /* model */
		{"2.23.133.2.3", "id:20191023"}}; /* firmware version */
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	X509_NAME *dn = X509_NAME_new();
	int i, ok = gens != NULL && gn != NULL && dn != NULL;

	for (i = 0; ok && i < 3; i++) {
		ASN1_OBJECT *o = OBJ_txt2obj(attrs[i][0], 1);

		ok = o != NULL && X509_NAME_add_entry_by_OBJ(dn, o, MBSTRING_UTF8,
							     (const unsigned char *)attrs[i][1],
							     -1, -1, 0) == 1;
		ASN1_OBJECT_free(o);
	}
	if (ok) {
		GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
		dn = NULL;
		ok = sk_GENERAL_NAME_push(gens, gn) > 0;
		if (ok)
			gn = NULL;
	}
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 1, X509V3_ADD_DEFAULT) == 1;
	X509_NAME_free(dn);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return ok ? 0 : -1;
}

int softtpm_ek_certify(uint8_t **der, size_t *der_len, const struct softtpm_ca *ca,
		       const struct softtpm_ek *ek, uint64_t serial, struct eph_err *err)
{
	X509 *x = X509_new();
	unsigned char *p = NULL;
	int len = -1;

	*der = NULL;
	*der_len = 0;
	if (x == NULL || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
	    set_validity(x) < 0 || X509_set_pubkey(x, ek->key) != 1 || add_tpm_san(x) < 0 ||
	    add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, ca->cert, NID_key_usage,
		    ek->alg == SOFTTPM_EK_RSA2048 ? "critical,keyEncipherment"
						  : "critical,keyAgreement") < 0 ||
	    add_ext(x, ca->cert, NID_ext_key_usage, "2.23.133.8.1") < 0 || /* tcg-kp-EKCertificate */
	    add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always") < 0 ||
	    X509_sign(x, ca->key, EVP_sha256()) <= 0 || (len = i2d_X509(x, &p)) <= 0) {
		X509_free(x);
		return ossl_fail(err, "EK certificate");
	}
	X509_free(x);
	*der = p;
	*der_len = (size_t)len;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* TPM2_ActivateCredential                                                 */
/* ---------------------------------------------------------------------- */

/* KDFa(SHA-256, key, label, u, v, bits) (Part 1, 11.4.10.2); bits % 8 == 0. */
static int kdfa(uint8_t *out, const uint8_t *key, size_t key_len, const char *label,
		const uint8_t *u, size_t ulen, const uint8_t *v, size_t vlen, uint32_t bits)
{
	uint8_t in[4 + 32 + 2 * SOFTTPM_NAME_LEN + 4 + 64], blk[DIGEST];
	size_t llen = strlen(label) + 1, need = bits / 8, done = 0, n;
	unsigned int ol = 0;
	uint32_t i;

	if (4 + llen + ulen + vlen + 4 > sizeof(in))
		return -1;
	for (i = 1; done < need; i++) {
		n = 0;
		put32(in, i);
		n += 4;
		memcpy(in + n, label, llen); /* the label's NUL is part of it */
		n += llen;
		if (ulen)
			memcpy(in + n, u, ulen);
		n += ulen;
		if (vlen)
			memcpy(in + n, v, vlen);
		n += vlen;
		put32(in + n, bits);
		n += 4;
		if (HMAC(EVP_sha256(), key, (int)key_len, in, n, blk, &ol) == NULL || ol != DIGEST)
			return -1;
		memcpy(out + done, blk, need - done < DIGEST ? need - done : DIGEST);
		done += need - done < DIGEST ? need - done : DIGEST;
	}
	explicit_bzero(blk, sizeof(blk));
	return 0;
}

/* KDFe(SHA-256, Z, "IDENTITY", u, v, 256) (Part 1, 11.4.10.3): one block. */
static int kdfe_identity(uint8_t seed[DIGEST], const uint8_t z[32], const uint8_t u[32],
			 const uint8_t v[32])
{
	static const char use[] = "IDENTITY"; /* sizeof includes the NUL */
	uint8_t in[4 + 32 + sizeof(use) + 64];
	size_t n = 0;

	put32(in, 1);
	n += 4;
	memcpy(in + n, z, 32);
	n += 32;
	memcpy(in + n, use, sizeof(use));
	n += sizeof(use);
	memcpy(in + n, u, 32);
	n += 32;
	memcpy(in + n, v, 32);
	n += 32;
	return sha256(seed, in, n, NULL, 0);
}

static int rsa_seed(uint8_t seed[DIGEST], const struct softtpm_ek *ek, const uint8_t *ct,
		    size_t ct_len, struct eph_err *err)
{
	static const char label[] = "IDENTITY";
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek->key, NULL);
	uint8_t buf[512];
	size_t outl = sizeof(buf);
	void *lab = OPENSSL_memdup(label, sizeof(label));
	int rc = 0;

	if (ctx == NULL || lab == NULL || EVP_PKEY_decrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, lab, (int)sizeof(label)) != 1) {
		rc = ossl_fail(err, "RSA-OAEP set-up");
		goto out;
	}
	lab = NULL; /* ctx owns it */
	if (EVP_PKEY_decrypt(ctx, buf, &outl, ct, ct_len) != 1 || outl != DIGEST) {
		ERR_clear_error();
		rc = eph_err_set(err, EPH_EVERIFY,
				 "ActivateCredential: the secret does not decrypt with this EK");
		goto out;
	}
	memcpy(seed, buf, DIGEST);
out:
	explicit_bzero(buf, sizeof(buf));
	OPENSSL_free(lab);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* enc = TPMS_ECC_POINT E (x, y: TPM2B each). */
static int ecc_seed(uint8_t seed[DIGEST], const struct softtpm_ek *ek, const uint8_t *enc,
		    size_t enc_len, struct eph_err *err)
{
	uint8_t point[65], z[32];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL, *dctx = NULL;
	EVP_PKEY *peer = NULL;
	size_t zlen = sizeof(z);
	int rc = 0;

	if (enc_len != 2 + 32 + 2 + 32 || get16(enc) != 32 || get16(enc + 34) != 32)
		return eph_err_set(err, EPH_EFORMAT,
				   "ActivateCredential: %zu-byte ECC point, expected P-256",
				   enc_len);
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, enc + 2, 32);
	memcpy(point + 33, enc + 36, 32);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
					     sizeof(point)) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		rc = ossl_fail(err, "reading the ephemeral ECC point");
		goto out;
	}
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek->key, NULL);
	if (dctx == NULL || EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, peer) != 1 || EVP_PKEY_derive(dctx, z, &zlen) != 1 ||
	    zlen != 32) {
		ERR_clear_error();
		rc = eph_err_set(err, EPH_EVERIFY, "ActivateCredential: ECDH with the EK failed");
		goto out;
	}
	if (kdfe_identity(seed, z, enc + 2, ek->ecc_x) < 0)
		rc = ossl_fail(err, "KDFe");
out:
	explicit_bzero(z, sizeof(z));
	EVP_PKEY_free(peer);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

int softtpm_activate(uint8_t *secret, size_t *secret_len, size_t cap,
		     const struct softtpm_ek *ek, const uint8_t *ak_name, size_t ak_name_len,
		     const uint8_t *id_object, size_t id_object_len, const uint8_t *enc_secret,
		     size_t enc_secret_len, struct eph_err *err)
{
	uint8_t seed[DIGEST], hkey[DIGEST], skey[16], mac[DIGEST], iv[16] = {0};
	uint8_t macin[2 + DIGEST + 2 + SOFTTPM_NAME_LEN], plain[2 + DIGEST];
	const uint8_t *hmac, *encid;
	EVP_CIPHER_CTX *c = NULL;
	size_t enc_len;
	unsigned int ml = 0;
	int outl = 0, fl = 0, rc;

	*secret_len = 0;
	/* TPM2B_ID_OBJECT: size | TPM2B_DIGEST integrityHMAC | encIdentity */
	if (id_object_len < 4 + DIGEST + 3 || get16(id_object) != id_object_len - 2 ||
	    get16(id_object + 2) != DIGEST)
		return eph_err_set(err, EPH_EFORMAT, "ActivateCredential: malformed %zu-byte "
				   "TPM2B_ID_OBJECT", id_object_len);
	hmac = id_object + 4;
	encid = id_object + 4 + DIGEST;
	enc_len = id_object_len - 4 - DIGEST;
	if (enc_len > sizeof(plain) || ak_name_len != SOFTTPM_NAME_LEN)
		return eph_err_set(err, EPH_EFORMAT, "ActivateCredential: encIdentity of %zu "
				   "bytes, name of %zu", enc_len, ak_name_len);
	/* TPM2B_ENCRYPTED_SECRET */
	if (enc_secret_len < 2 || get16(enc_secret) != enc_secret_len - 2)
		return eph_err_set(err, EPH_EFORMAT,
				   "ActivateCredential: malformed TPM2B_ENCRYPTED_SECRET");
	rc = ek->alg == SOFTTPM_EK_RSA2048
		     ? rsa_seed(seed, ek, enc_secret + 2, enc_secret_len - 2, err)
		     : ecc_seed(seed, ek, enc_secret + 2, enc_secret_len - 2, err);
	if (rc < 0)
		goto out;
	if (kdfa(hkey, seed, DIGEST, "INTEGRITY", NULL, 0, NULL, 0, 8 * DIGEST) < 0 ||
	    kdfa(skey, seed, DIGEST, "STORAGE", ak_name, ak_name_len, NULL, 0, 128) < 0) {
		rc = ossl_fail(err, "KDFa");
		goto out;
	}
	/* Integrity first (Part 1, 24.5): a blob for another name or EK stops here. */
	memcpy(macin, encid, enc_len);
	memcpy(macin + enc_len, ak_name, ak_name_len);
	if (HMAC(EVP_sha256(), hkey, DIGEST, macin, enc_len + ak_name_len, mac, &ml) == NULL ||
	    ml != DIGEST) {
		rc = ossl_fail(err, "HMAC");
		goto out;
	}
	if (CRYPTO_memcmp(mac, hmac, DIGEST) != 0) {
		rc = eph_err_set(err, EPH_EVERIFY, "ActivateCredential: integrity HMAC mismatch "
				 "(not made for this EK and AK name)");
		goto out;
	}
	c = EVP_CIPHER_CTX_new();
	if (c == NULL || EVP_DecryptInit_ex(c, EVP_aes_128_cfb128(), NULL, skey, iv) != 1 ||
	    EVP_DecryptUpdate(c, plain, &outl, encid, (int)enc_len) != 1 ||
	    EVP_DecryptFinal_ex(c, plain + outl, &fl) != 1 || (size_t)(outl + fl) != enc_len) {
		rc = ossl_fail(err, "AES-128-CFB");
		goto out;
	}
	/* TPM2B_DIGEST credential: exactly fills encIdentity. */
	if ((size_t)get16(plain) + 2 != enc_len || get16(plain) > cap) {
		rc = eph_err_set(err, EPH_EFORMAT, "ActivateCredential: credential of %u bytes "
				 "in %zu", get16(plain), enc_len);
		goto out;
	}
	memcpy(secret, plain + 2, get16(plain));
	*secret_len = get16(plain);
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(hkey, sizeof(hkey));
	explicit_bzero(skey, sizeof(skey));
	explicit_bzero(plain, sizeof(plain));
	explicit_bzero(macin, sizeof(macin));
	return rc;
}

/* ---------------------------------------------------------------------- */
/* TPM2_Quote                                                              */
/* ---------------------------------------------------------------------- */

int softtpm_quote(uint8_t *attest, size_t *attest_len, uint8_t *sig, size_t *sig_len,
		  const struct softtpm_ak *ak, const struct softtpm_clock *clk,
		  const uint8_t *nonce, size_t nonce_len, const struct softtpm_pcrs *pcrs,
		  struct eph_err *err)
{
	TPMS_ATTEST a;
	TPMT_SIGNATURE s;
	TPMS_PCR_SELECTION *sel;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *sv;
	uint8_t der[80], vals[24 * DIGEST];
	const unsigned char *dp = der;
	size_t off = 0, dlen = sizeof(der), vlen = 0;
	unsigned i;
	int rc = 0;

	*attest_len = *sig_len = 0;
	if (nonce_len > sizeof(a.extraData.buffer))
		return eph_err_set(err, EPH_EFORMAT, "softtpm: %zu-byte nonce", nonce_len);
	memset(&a, 0, sizeof(a));
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.qualifiedSigner.size = SOFTTPM_NAME_LEN;
	memcpy(a.qualifiedSigner.name, ak->qname, SOFTTPM_NAME_LEN);
	a.extraData.size = (UINT16)nonce_len;
	memcpy(a.extraData.buffer, nonce, nonce_len);
	a.clockInfo.clock = clk->clock_ms;
	a.clockInfo.resetCount = clk->reset_count;
	a.clockInfo.restartCount = clk->restart_count;
	a.clockInfo.safe = TPM2_YES;
	a.firmwareVersion = clk->firmware_version;
	a.attested.quote.pcrSelect.count = 1;
	sel = &a.attested.quote.pcrSelect.pcrSelections[0];
	sel->hash = TPM2_ALG_SHA256;
	sel->sizeofSelect = 3;
	for (i = 0; i < 24; i++) {
		if (!(pcrs->mask & (1u << i)))
			continue;
		sel->pcrSelect[i / 8] |= (uint8_t)(1u << (i % 8));
		memcpy(vals + vlen, pcrs->pcr[i], DIGEST);
		vlen += DIGEST;
	}
	a.attested.quote.pcrDigest.size = DIGEST;
	if (sha256(a.attested.quote.pcrDigest.buffer, vals, vlen, NULL, 0) < 0)
		return ossl_fail(err, "pcrDigest");
	if (Tss2_MU_TPMS_ATTEST_Marshal(&a, attest, SOFTTPM_ATTEST_MAX, &off) != TSS2_RC_SUCCESS)
		return eph_err_set(err, EPH_EFAIL, "softtpm: TPMS_ATTEST does not marshal");
	*attest_len = off;

	/* A restricted key signs the digest of what the TPM itself built. */
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ak->key) != 1 ||
	    EVP_DigestSign(md, der, &dlen, attest, off) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &dp, (long)dlen)) == NULL) {
		rc = ossl_fail(err, "ECDSA signature");
		goto out;
	}
	ECDSA_SIG_get0(es, &r, &sv);
	memset(&s, 0, sizeof(s));
	s.sigAlg = TPM2_ALG_ECDSA;
	s.signature.ecdsa.hash = TPM2_ALG_SHA256;
	s.signature.ecdsa.signatureR.size = 32;
	s.signature.ecdsa.signatureS.size = 32;
	if (BN_bn2binpad(r, s.signature.ecdsa.signatureR.buffer, 32) != 32 ||
	    BN_bn2binpad(sv, s.signature.ecdsa.signatureS.buffer, 32) != 32) {
		rc = ossl_fail(err, "ECDSA r, s");
		goto out;
	}
	off = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(&s, sig, SOFTTPM_SIG_MAX, &off) != TSS2_RC_SUCCESS) {
		rc = eph_err_set(err, EPH_EFAIL, "softtpm: TPMT_SIGNATURE does not marshal");
		goto out;
	}
	*sig_len = off;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return rc;
}
