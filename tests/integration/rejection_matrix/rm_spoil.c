/*
 * rm_spoil.c - the bad inputs that take more than a line to make: an EK
 * certificate re-signed by a second CA the test makes, an IMA list measured
 * into the TPM's PCR 10 (and an edited copy), a firmware event log with one
 * digest byte changed, an SEV-SNP certificate table around a vector VCEK,
 * a CBOR body with one value of the wrong type.
 *
 * Not here: sending anything, judging answers.
 */
#include "rm_spoil.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "eph_hash.h"
#include "snp.h"
#include "testutil.h"

uint8_t *rm_ek_cert_other_ca(size_t *len)
{
	const uint8_t *p = rm.ek_cert;
	X509 *x = d2i_X509(NULL, &p, (long)rm.ek_cert_len);
	EVP_PKEY *ca = EVP_EC_gen("P-256");
	X509_NAME *n = X509_NAME_new();
	uint8_t *der = NULL, *q;
	int l;

	cr_assert_not_null(x);
	cr_assert_not_null(ca);
	cr_assert_not_null(n);
	/* Everything of the genuine certificate stays (subject, EK key, TCG
	 * extensions); only who vouches for it changes. */
	cr_assert_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
						(const unsigned char *)"Rejection Matrix Rogue EK CA",
						-1, -1, 0),
		     1);
	cr_assert_eq(X509_set_issuer_name(x, n), 1);
	cr_assert_gt(X509_sign(x, ca, EVP_sha256()), 0);
	l = i2d_X509(x, NULL);
	cr_assert_gt(l, 0);
	der = malloc((size_t)l);
	cr_assert_not_null(der);
	q = der;
	cr_assert_eq(i2d_X509(x, &q), l);
	*len = (size_t)l;
	X509_NAME_free(n);
	EVP_PKEY_free(ca);
	X509_free(x);
	return der;
}

/* Measure an ima-ng entry into PCR 10 (every bank, H_bank(data)) and append
 * it to a binary list: u32 10 | SHA1(data) | u32 6 "ima-ng" | u32 len data. */
static void ima_measure(struct tu_buf *list, const char *path, uint8_t fill)
{
	static const char algo[] = "sha256:";
	struct tu_buf d = {0};
	struct eph_err err = {{0}};
	uint8_t dig[32], h[20];

	memset(dig, fill, sizeof(dig));
	tu_u32(&d, (uint32_t)(sizeof(algo) + sizeof(dig)));
	tu_put(&d, algo, sizeof(algo));
	tu_put(&d, dig, sizeof(dig));
	tu_u32(&d, (uint32_t)strlen(path) + 1);
	tu_put(&d, path, strlen(path) + 1);
	cr_assert_eq(tpmq_pcr_extend_data(rm.tpm, 10, d.p, d.n, &err), 0, "%s", err.msg);
	cr_assert_eq(eph_hash(EPH_ALG_SHA1, d.p, d.n, h), 0);
	tu_u32(list, 10);
	tu_put(list, h, sizeof(h));
	tu_u32(list, 6);
	tu_put(list, "ima-ng", 6);
	tu_u32(list, (uint32_t)d.n);
	tu_put(list, d.p, d.n);
	tu_free(&d);
}

void rm_ima_list(uint8_t **out, size_t *len, int edited)
{
	static struct tu_buf list;
	static size_t second; /* where the second entry's file digest starts */

	if (list.n == 0) {
		ima_measure(&list, RM_IMA_ALLOWED, 0x11);
		second = list.n;
		ima_measure(&list, RM_IMA_ROGUE, 0x22);
		/* 4 pcr + 20 template hash + 4 + 6 name + 4 len + 4 + "sha256:\0" */
		second += 4 + 20 + 4 + 6 + 4 + 4 + 8;
	}
	*out = malloc(list.n);
	cr_assert_not_null(*out);
	memcpy(*out, list.p, list.n);
	*len = list.n;
	if (edited) {
		cr_assert_eq((*out)[second], 0x22);
		(*out)[second] ^= 0x01; /* the file digest no longer matches the template hash */
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t rm_evlog_spoil(uint8_t *log, size_t len)
{
	size_t spec, ev;
	uint32_t pcr;

	/* Spec ID event (TCG_PCR_EVENT: pcr, type, sha1[20], size, data), then
	 * the first TCG_PCR_EVENT2: pcr, type, count, {alg u16, digest}... */
	cr_assert_gt(len, 32u);
	spec = le32(log + 28);
	ev = 32 + spec;
	cr_assert_gt(len, ev + 14 + 20);
	pcr = le32(log + ev);
	log[ev + 14] ^= 0x01; /* first byte of the event's first digest */
	return pcr;
}

uint8_t *rm_snp_certtable(size_t *len, const uint8_t *vcek, size_t vcek_len)
{
	const uint8_t *guid = snp_certtable_guid(SNP_CERTTABLE_VCEK);
	size_t n = 48 + vcek_len;
	uint8_t *t = calloc(1, n);

	cr_assert_not_null(t);
	memcpy(t, guid, 16);
	t[16] = 48; /* offset, u32le: right after the table and its terminator */
	t[20] = (uint8_t)vcek_len;
	t[21] = (uint8_t)(vcek_len >> 8);
	t[22] = (uint8_t)(vcek_len >> 16);
	memcpy(t + 48, vcek, vcek_len);
	*len = n;
	return t;
}

void rm_cbor_wrong_type(uint8_t *body, size_t len)
{
	size_t i;

	/* key 2 (agent_id) then a text string of 36 (0x78 0x24): make the
	 * same 36 bytes a byte string (0x58), one type off, nothing else. */
	for (i = 0; i + 2 < len; i++) {
		if (body[i] == WIRE_K_AGENT_ID && body[i + 1] == 0x78 && body[i + 2] == 36) {
			body[i + 1] = 0x58;
			return;
		}
	}
	cr_assert_fail("no agent id text string in the attest body");
}
