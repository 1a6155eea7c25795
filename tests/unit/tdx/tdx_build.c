/*
 * tdx_build.c - see tdx_build.h. Quote layout: Intel TDX DCAP Quoting
 * Library API A.3 (v4) / A.4 (v5); SGX extension: Intel SGX PCK
 * Certificate and CRL Profile 1.3.5.
 */
#include <criterion/criterion.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "tdx_build.h"
#include "testutil.h"

const char tb_root_pem[] = "-----BEGIN CERTIFICATE-----\n"
                           "MIIByjCCAXGgAwIBAgIERVBITTAKBggqhkjOPQQDAjBJMS4wLAYDVQQDDCVFcGhl\n"
                           "bWVyYSBURVNUIFNHWCBSb290IENBIChub3QgSW50ZWwpMRcwFQYDVQQKDA5FcGhl\n"
                           "bWVyYSB0ZXN0czAgFw0yMDAxMDEwMDAwMDBaGA8yMDk5MTIzMTIzNTk1OVowSTEu\n"
                           "MCwGA1UEAwwlRXBoZW1lcmEgVEVTVCBTR1ggUm9vdCBDQSAobm90IEludGVsKTEX\n"
                           "MBUGA1UECgwORXBoZW1lcmEgdGVzdHMwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
                           "AATWkw2QFupUX35jidB6b3GvliYa75QH0NGz1KD2hFmWdBanHPuH6I33gTlcsZOV\n"
                           "v6OvMbAPqNgzxDgASLtEntLWo0UwQzASBgNVHRMBAf8ECDAGAQH/AgEBMA4GA1Ud\n"
                           "DwEB/wQEAwIBBjAdBgNVHQ4EFgQUDoY3296wMHhrrLZK5+aLIlhN9DAwCgYIKoZI\n"
                           "zj0EAwIDRwAwRAIgUFyjuRos4D5LqKm8ReB9qvcAmM6h3j30EvkC9j8sH/MCIA92\n"
                           "8qIIkM2EBg+yejG4iyey35kbuDqJkKgRiIKjqjJQ\n"
                           "-----END CERTIFICATE-----\n";

/* Test-only key of tb_root_pem; it protects nothing. */
const char tb_root_key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPEt3QWXQ8KFIjq60\n"
                               "oJZAHjFxh24+M9JE0at7C0F0PUihRANCAATWkw2QFupUX35jidB6b3GvliYa75QH\n"
                               "0NGz1KD2hFmWdBanHPuH6I33gTlcsZOVv6OvMbAPqNgzxDgASLtEntLW\n"
                               "-----END PRIVATE KEY-----\n";

const uint8_t tb_comp_svn[16] = {5, 5, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0};

static const uint8_t sgx_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* DER TLV with definite length (<= 0xffff). */
static void der(struct tu_buf *b, uint8_t tag, const void *p, size_t n)
{
	tu_u8(b, tag);
	if (n < 0x80) {
		tu_u8(b, (uint8_t)n);
	} else if (n < 0x100) {
		tu_u8(b, 0x81);
		tu_u8(b, (uint8_t)n);
	} else {
		tu_u8(b, 0x82);
		tu_u8(b, (uint8_t)(n >> 8));
		tu_u8(b, (uint8_t)n);
	}
	tu_put(b, p, n);
}

/* SEQUENCE { OID sgx_oid.arc[.sub], value } */
static void member(struct tu_buf *b, uint8_t arc, uint8_t sub, uint8_t tag, const void *v, size_t n)
{
	struct tu_buf oid = {0}, seq = {0};

	tu_put(&oid, sgx_oid, sizeof(sgx_oid));
	tu_u8(&oid, arc);
	if (sub)
		tu_u8(&oid, sub);
	der(&seq, 0x06, oid.p, oid.n);
	der(&seq, tag, v, n);
	der(b, 0x30, seq.p, seq.n);
	tu_free(&oid);
	tu_free(&seq);
}

static void sgx_ext(struct tu_buf *out, int pinst)
{
	struct tu_buf tcb = {0}, all = {0};
	static const uint8_t ppid[16] = {0xaa, 0xbb}, cpusvn[16] = {5, 5, 2, 2, 3, 1, 0, 3};
	static const uint8_t pceid[2] = {0, 0}, inst[16] = {0x82, 0x54};
	uint8_t one, type = 1;
	unsigned i;

	for (i = 0; i < 16; i++) {
		one = tb_comp_svn[i];
		member(&tcb, 2, (uint8_t)(i + 1), 0x02, &one, 1);
	}
	one = TB_PCESVN;
	member(&tcb, 2, 17, 0x02, &one, 1);
	member(&tcb, 2, 18, 0x04, cpusvn, 16);
	member(&all, 1, 0, 0x04, ppid, 16);
	member(&all, 2, 0, 0x30, tcb.p, tcb.n);
	member(&all, 3, 0, 0x04, pceid, 2);
	member(&all, 4, 0, 0x04, TB_FMSPC, 6);
	member(&all, 5, 0, 0x0a, &type, 1);
	if (pinst)
		member(&all, 6, 0, 0x04, inst, 16);
	der(out, 0x30, all.p, all.n);
	tu_free(&tcb);
	tu_free(&all);
}

static EVP_PKEY *gen_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	cr_assert_not_null(k);
	return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
	cr_assert_not_null(e);
	cr_assert(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, int ca,
                       time_t not_after, const struct tu_buf *sgx)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	static long serial = 100;

	cr_assert(x && n);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	cr_assert(ASN1_TIME_set(X509_getm_notBefore(x), 1577836800)); /* 2020-01-01 */
	cr_assert(ASN1_TIME_set(X509_getm_notAfter(x), not_after));
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Ephemera tests",
	                           -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_set_pubkey(x, key);
	if (ca) {
		add_ext(x, issuer ? issuer : x, NID_basic_constraints,
		        "critical,CA:TRUE,pathlen:0");
		add_ext(x, issuer ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	}
	if (sgx != NULL) {
		ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;

		cr_assert(obj && os && ASN1_OCTET_STRING_set(os, sgx->p, (int)sgx->n));
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
		cr_assert_not_null(e);
		cr_assert(X509_add_ext(x, e, -1));
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	cr_assert(X509_sign(x, ikey ? ikey : key, EVP_sha256()));
	return x;
}

static void pem_append(struct tu_buf *b, X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	cr_assert(bio && PEM_write_bio_X509(bio, x));
	n = BIO_get_mem_data(bio, &p);
	tu_put(b, p, (size_t)n);
	BIO_free(bio);
}

static void sign_raw(uint8_t out[64], EVP_PKEY *key, const uint8_t *msg, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der_sig[80];
	const unsigned char *p = der_sig;
	size_t sl = sizeof(der_sig);
	ECDSA_SIG *s;

	cr_assert(md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
	cr_assert(EVP_DigestSign(md, der_sig, &sl, msg, len) == 1);
	s = d2i_ECDSA_SIG(NULL, &p, (long)sl);
	cr_assert_not_null(s);
	cr_assert(BN_bn2binpad(ECDSA_SIG_get0_r(s), out, 32) == 32);
	cr_assert(BN_bn2binpad(ECDSA_SIG_get0_s(s), out + 32, 32) == 32);
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(md);
}

static void raw_pub(uint8_t out[64], EVP_PKEY *k)
{
	uint8_t pt[65];
	size_t n = 0;

	cr_assert(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n));
	cr_assert(n == 65 && pt[0] == 4);
	memcpy(out, pt + 1, 64);
}

static EVP_PKEY *root_key(void)
{
	BIO *bio = BIO_new_mem_buf(tb_root_key_pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	cr_assert_not_null(k);
	BIO_free(bio);
	return k;
}

static X509 *root_cert(void)
{
	BIO *bio = BIO_new_mem_buf(tb_root_pem, -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

	cr_assert_not_null(x);
	BIO_free(bio);
	return x;
}

static void body(struct tu_buf *b, struct tb_quote *q, const struct tb_opts *o)
{
	uint8_t svn[16] = {3, 0, 5};
	uint8_t mr[48];
	int i;

	svn[1] = o->module_major;
	tu_put(b, svn, 16);
	memset(mr, 0x5e, 48);
	tu_put(b, mr, 48); /* MRSEAM */
	memset(mr, 0, 48);
	tu_put(b, mr, 48); /* MRSIGNERSEAM */
	tu_u64(b, 0);      /* SEAMATTRIBUTES */
	tu_u64(b, o->td_attributes ? o->td_attributes : TDX_ATTR_SEPT_VE_DISABLE);
	tu_u64(b, 0x61ae7);
	memset(q->mrtd, 0x7d, 48);
	tu_put(b, q->mrtd, 48);
	memset(mr, 0xc0, 48);
	tu_put(b, mr, 48); /* MRCONFIGID */
	memset(mr, 0x03, 48);
	tu_put(b, mr, 48); /* MROWNER */
	memset(mr, 0x0c, 48);
	tu_put(b, mr, 48); /* MROWNERCONFIG */
	for (i = 0; i < 4; i++) {
		memset(q->rtmr[i], 0x10 + i, 48);
		tu_put(b, q->rtmr[i], 48);
	}
	for (i = 0; i < 64; i++)
		q->report_data[i] = (uint8_t)i;
	tu_put(b, q->report_data, 64);
	if (o->version == 5 && o->body15) {
		uint8_t svn2[16] = {3, 0, 5};

		tu_put(b, svn2, 16);
		memset(mr, 0x5d, 48);
		tu_put(b, mr, 48);
	}
}

void tb_build(struct tb_quote *q, const struct tb_opts *in)
{
	struct tb_opts o = *in;
	struct tu_buf b = {0}, chain = {0}, ext = {0}, cert = {0};
	EVP_PKEY *rk, *cak = gen_key(), *pckk = gen_key(), *ak = gen_key();
	X509 *root, *ca, *leaf;
	uint8_t sig[64], akraw[64], auth[512], h[32], qe_rep[384], qe_sig[64];
	unsigned i;

	memset(q, 0, sizeof(*q));
	if (o.version == 0)
		o.version = 4;
	if (o.qe_auth_len == 0)
		o.qe_auth_len = 32;
	cr_assert(o.qe_auth_len <= sizeof(auth));
	if (o.self_root) {
		rk = gen_key();
		root = make_cert("Ephemera TEST SGX Root CA (not Intel)", rk, NULL, NULL, 1,
		                 4102444799, NULL);
	} else {
		rk = root_key();
		root = root_cert();
	}
	ca = make_cert("Intel SGX PCK Platform CA", cak, root, rk, 1, 4102444799, NULL);
	sgx_ext(&ext, o.platform_instance);
	leaf = make_cert("Intel SGX PCK Certificate", pckk, ca, cak, 0,
	                 o.leaf_not_after ? o.leaf_not_after : 4102444799, &ext);
	pem_append(&chain, leaf);
	pem_append(&chain, ca);
	pem_append(&chain, root);

	/* header */
	tu_u16(&b, (uint16_t)o.version);
	tu_u16(&b, TDX_ATT_KEY_ECDSA_P256);
	tu_u32(&b, TDX_TEE_TYPE_TDX);
	tu_u32(&b, 0);
	tu_put(&b, "\x93\x9a\x72\x33\xf7\x9c\x4c\xa9\x94\x0a\x0d\xb3\x95\x7f\x06\x07", 16);
	tu_put(&b, "Ephemera test quote.", 20);
	if (o.version == 5) {
		tu_u16(&b, o.body15 ? TDX_BODY_TYPE_TD15 : TDX_BODY_TYPE_TD10);
		tu_u32(&b, o.body15 ? TDX_BODY15_SIZE : TDX_BODY10_SIZE);
	}
	body(&b, q, &o);

	/* QE report binding the attestation key */
	raw_pub(akraw, ak);
	for (i = 0; i < o.qe_auth_len; i++)
		auth[i] = (uint8_t)i;
	{
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		cr_assert(
		    EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, akraw, 64) &&
		    EVP_DigestUpdate(md, auth, o.qe_auth_len) && EVP_DigestFinal_ex(md, h, NULL));
		EVP_MD_CTX_free(md);
	}
	memset(qe_rep, 0, sizeof(qe_rep));
	qe_rep[48] = 0x11;              /* ATTRIBUTES */
	memset(qe_rep + 64, 0xe1, 32);  /* MRENCLAVE */
	memset(qe_rep + 128, 0xdc, 32); /* MRSIGNER */
	qe_rep[256] = 2;                /* ISVPRODID */
	qe_rep[258] = 4;                /* ISVSVN */
	memcpy(qe_rep + 320, h, 32);
	sign_raw(qe_sig, pckk, qe_rep, sizeof(qe_rep));

	tu_put(&cert, qe_rep, sizeof(qe_rep));
	tu_put(&cert, qe_sig, 64);
	tu_u16(&cert, o.qe_auth_len);
	tu_put(&cert, auth, o.qe_auth_len);
	tu_u16(&cert, TDX_CERT_PCK_CHAIN);
	tu_u32(&cert, (uint32_t)chain.n);
	tu_put(&cert, chain.p, chain.n);

	sign_raw(sig, ak, b.p, b.n);
	tu_u32(&b, (uint32_t)(64 + 64 + 6 + cert.n));
	tu_put(&b, sig, 64);
	tu_put(&b, akraw, 64);
	tu_u16(&b, TDX_CERT_QE_REPORT);
	tu_u32(&b, (uint32_t)cert.n);
	tu_put(&b, cert.p, cert.n);
	for (i = 0; i < o.trailing; i++)
		tu_u8(&b, 0);

	q->buf = b.p;
	q->len = b.n;
	tu_free(&chain);
	tu_free(&ext);
	tu_free(&cert);
	X509_free(root);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(pckk);
	EVP_PKEY_free(ak);
}

void tb_free(struct tb_quote *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

tdx_trust *tb_trust(void)
{
	struct eph_err err = {{0}};
	tdx_trust *t = NULL;

	cr_assert_eq(tdx_trust_new(&t, (const uint8_t *)tb_root_pem, strlen(tb_root_pem),
	                           TDX_TRUST_ANY_ROOT, &err),
	             0, "%s", err.msg);
	return t;
}
