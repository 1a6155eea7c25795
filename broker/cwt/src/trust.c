/*
 * trust.c - the issuers a broker trusts: a name (the CWT iss claim, RFC
 * 8392 section 3.1.1) and an EC P-256 public key each, loaded from a
 * folder of <issuer>.pem files or added one by one; and the COSE key id
 * rule (RFC 9052 section 3.1, kid) with the RFC 9679 COSE Key Thumbprint.
 *
 *   trust/idp.example.pem   -----BEGIN PUBLIC KEY----- (P-256 SPKI)
 *   => tokens with iss "idp.example"; kid absent, "idp.example", or
 *      SHA-256(a4 01 02 20 01 21 58 20 <x> 22 58 20 <y>) (RFC 9679 section 3)
 *
 * Not here: certificates, key rotation beyond "one file per issuer",
 * revocation; what an issuer may assert (broker policy).
 */
#include "cwt-priv.h"

#include <dirent.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eph_file.h"
#include "eph_hash.h"

#define CWT_MAX_ISSUERS 256
#define CWT_MAX_PEM (64u << 10)

struct cwt_issuer {
	char name[CWT_NAME_MAX];
	EVP_PKEY *key;
	uint8_t thumb[32];        /* RFC 9679 thumbprint */
	uint8_t kid[CWT_KID_MAX]; /* an extra accepted kid (cwt_trust_add) */
	size_t kid_len;
};

struct cwt_trust {
	struct cwt_issuer *iss;
	size_t n;
	char aud[CWT_NAME_MAX]; /* "" = aud not checked */
};

int cwt_trust_new(cwt_trust **out, struct eph_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return eph_err_set(err, EPH_ENOMEM, "trust list: out of memory");
	return 0;
}

void cwt_trust_free(cwt_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		EVP_PKEY_free(t->iss[i].key);
	free(t->iss);
	free(t);
}

size_t cwt_trust_count(const cwt_trust *t)
{
	return t->n;
}

int cwt_key_thumbprint(uint8_t out[32], EVP_PKEY *key, struct eph_err *err)
{
	uint8_t ck[8 + 32 + 3 + 32] = { 0xa4, 0x01, 0x02, 0x20, 0x01, 0x21, 0x58, 0x20 };
	BIGNUM *x = NULL, *y = NULL;
	int rc = 0;

	if (!cwt__is_p256(key))
		return eph_err_set(err, EPH_EFORMAT, "key: not an EC P-256 key");
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
	    BN_bn2binpad(x, ck + 8, 32) != 32 || BN_bn2binpad(y, ck + 8 + 32 + 3, 32) != 32) {
		rc = eph_err_set(err, EPH_EFAIL, "key: cannot read the public point");
		goto out;
	}
	ck[40] = 0x22;
	ck[41] = 0x58;
	ck[42] = 0x20;
	if (eph_hash(EPH_ALG_SHA256, ck, sizeof(ck), out) < 0)
		rc = eph_err_set(err, EPH_EFAIL, "key: SHA-256 failed");
out:
	BN_free(x);
	BN_free(y);
	ERR_clear_error();
	return rc;
}

int cwt_trust_add(cwt_trust *t, const char *iss, EVP_PKEY *pub, const uint8_t *kid,
		  size_t kid_len, struct eph_err *err)
{
	struct cwt_issuer *grown, *e;
	size_t i;
	int rc;

	rc = cwt__text_ok((const uint8_t *)iss, strnlen(iss, CWT_NAME_MAX), CWT_NAME_MAX,
			  "issuer name", err);
	if (rc < 0)
		return rc;
	if (!cwt__is_p256(pub))
		return eph_err_set(err, EPH_EFORMAT, "issuer %s: key is not EC P-256", iss);
	if (kid_len > CWT_KID_MAX)
		return eph_err_set(err, EPH_EFORMAT, "issuer %s: kid of %zu bytes exceeds %u", iss,
				   kid_len, CWT_KID_MAX);
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->iss[i].name, iss) == 0)
			return eph_err_set(err, EPH_EFORMAT, "issuer %s: already trusted", iss);
	}
	if (t->n >= CWT_MAX_ISSUERS)
		return eph_err_set(err, EPH_EFORMAT, "issuer %s: more than %u issuers", iss,
				   CWT_MAX_ISSUERS);
	grown = realloc(t->iss, (t->n + 1) * sizeof(*t->iss));
	if (grown == NULL)
		return eph_err_set(err, EPH_ENOMEM, "issuer %s: out of memory", iss);
	t->iss = grown;
	e = &t->iss[t->n];
	memset(e, 0, sizeof(*e));
	rc = cwt_key_thumbprint(e->thumb, pub, err);
	if (rc < 0)
		return eph_err_prefix(err, rc, "issuer %s", iss);
	if (EVP_PKEY_up_ref(pub) != 1)
		return eph_err_set(err, EPH_EFAIL, "issuer %s: cannot reference the key", iss);
	memcpy(e->name, iss, strlen(iss) + 1);
	e->key = pub;
	if (kid_len > 0)
		memcpy(e->kid, kid, kid_len);
	e->kid_len = kid_len;
	t->n++;
	return 0;
}

int cwt_trust_set_audience(cwt_trust *t, const char *audience, struct eph_err *err)
{
	int rc;

	if (audience == NULL) {
		t->aud[0] = '\0';
		return 0;
	}
	rc = cwt__text_ok((const uint8_t *)audience, strnlen(audience, CWT_NAME_MAX),
			  CWT_NAME_MAX, "audience", err);
	if (rc < 0)
		return rc;
	memcpy(t->aud, audience, strlen(audience) + 1);
	return 0;
}

const char *cwt__trust_audience(const cwt_trust *t)
{
	return t->aud[0] != '\0' ? t->aud : NULL;
}

static bool bytes_eq(const uint8_t *a, size_t an, const void *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

int cwt__trust_lookup(EVP_PKEY **key, const cwt_trust *t, const char *iss, const uint8_t *kid,
		      size_t kid_len, struct eph_err *err)
{
	const struct cwt_issuer *e = NULL;
	size_t i;

	*key = NULL;
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->iss[i].name, iss) == 0) {
			e = &t->iss[i];
			break;
		}
	}
	if (e == NULL)
		return eph_err_set(err, EPH_EVERIFY, "issuer \"%.64s\" is not trusted", iss);
	if (kid != NULL && !bytes_eq(kid, kid_len, e->thumb, sizeof(e->thumb)) &&
	    !bytes_eq(kid, kid_len, e->name, strlen(e->name)) &&
	    !(e->kid_len > 0 && bytes_eq(kid, kid_len, e->kid, e->kid_len)))
		return eph_err_set(err, EPH_EVERIFY,
				   "kid of %zu bytes does not name issuer \"%.64s\"'s key", kid_len,
				   iss);
	*key = e->key;
	return 0;
}

/* <name>.pem with name in [A-Za-z0-9._:@-], not hidden: name length, else 0. */
static size_t issuer_file_name(const char *f)
{
	size_t n = strlen(f), i;

	if (n <= 4 || strcmp(f + n - 4, ".pem") != 0 || f[0] == '.')
		return 0;
	for (i = 0; i < n - 4; i++) {
		char ch = f[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' ||
		      ch == '@' || ch == '-'))
			return (size_t)-1;
	}
	return n - 4;
}

static int load_one(cwt_trust *t, const char *dir, const char *file, size_t name_len,
		    struct eph_err *err)
{
	char path[4096], name[CWT_NAME_MAX];
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	struct stat st;
	int rc;

	if (name_len >= sizeof(name))
		return eph_err_set(err, EPH_EFORMAT, "%s/%s: issuer name longer than %u bytes", dir,
				   file, CWT_NAME_MAX - 1);
	memcpy(name, file, name_len);
	name[name_len] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return eph_err_set(err, EPH_EFORMAT, "%s/%s: path too long", dir, file);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return eph_err_set(err, EPH_EIO, "%s: not a regular file", path);
	rc = eph_file_read(&pem, &pem_len, path, CWT_MAX_PEM, err);
	if (rc < 0)
		return rc;
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (bio != NULL)
		key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (key == NULL) {
		rc = eph_err_set(err, EPH_EFORMAT, "%s: no PEM PUBLIC KEY", path);
		goto out;
	}
	rc = cwt_trust_add(t, name, key, NULL, 0, err);
	if (rc < 0)
		eph_err_prefix(err, rc, "%s", path);
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(pem);
	return rc;
}

int cwt_trust_load_dir(cwt_trust **out, const char *dir, struct eph_err *err)
{
	cwt_trust *t = NULL;
	struct dirent *de;
	DIR *d = NULL;
	size_t name_len;
	int rc;

	*out = NULL;
	rc = cwt_trust_new(&t, err);
	if (rc < 0)
		return rc;
	d = opendir(dir);
	if (d == NULL) {
		rc = eph_err_set(err, EPH_EIO, "trust folder %s: cannot open", dir);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		name_len = issuer_file_name(de->d_name);
		if (name_len == 0)
			continue;
		if (name_len == (size_t)-1) {
			rc = eph_err_set(err, EPH_EFORMAT,
					 "%s/%s: issuer names are [A-Za-z0-9._:@-] only", dir,
					 de->d_name);
			goto out;
		}
		rc = load_one(t, dir, de->d_name, name_len, err);
		if (rc < 0)
			goto out;
	}
	if (t->n == 0) {
		rc = eph_err_set(err, EPH_ENOTFOUND, "trust folder %s: no issuer keys (*.pem)", dir);
		goto out;
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	cwt_trust_free(t);
	return rc;
}
