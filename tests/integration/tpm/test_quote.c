/*
 * test_quote.c - quotes from a swtpm checked by the broker side
 * (tpmq_quote_verify) and by tpm2_checkquote, which must agree; PCR reads
 * of more than 8 PCRs; PCR extension; nonce replay.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "eph_hash.h"
#include "eph_hex.h"
#include "swtpm_fixture.h"
#include "testutil.h"
#include "tpmq.h"

TestSuite(quote, .init = fx_setup, .fini = fx_teardown);

struct q {
	uint8_t *attest, *sig;
	size_t attest_len, sig_len;
	uint8_t nonce[32];
};

static void sel_parse(struct tpmq_pcrsel *sel, const char *spec)
{
	struct eph_err err = {{0}};

	cr_assert_eq(tpmq_pcrsel_parse(sel, spec, &err), 0, "%s: %s", spec, err.msg);
}

static void take_quote(struct q *q, tpmq_tpm *tpm, const struct tpmq_pcrsel *sel)
{
	struct eph_err err = {{0}};
	int rc;

	cr_assert_eq(RAND_bytes(q->nonce, sizeof(q->nonce)), 1);
	rc = tpmq_quote(&q->attest, &q->attest_len, &q->sig, &q->sig_len, tpm, sel, q->nonce,
			sizeof(q->nonce), &err);
	cr_assert_eq(rc, 0, "tpmq_quote: %s", err.msg);
}

static void free_quote(struct q *q)
{
	free(q->attest);
	free(q->sig);
}

static int verify(struct tpmq_attest *att, const tpmq_key *ak, const struct q *q,
		  const uint8_t *nonce, const struct tpmq_pcrs *pcrs, struct eph_err *err)
{
	return tpmq_quote_verify(att, ak, q->attest, q->attest_len, q->sig, q->sig_len, nonce, 32,
				 pcrs, err);
}

static void read_pcrs(struct tpmq_pcrs *pcrs, tpmq_tpm *tpm, const struct tpmq_pcrsel *sel)
{
	struct eph_err err = {{0}};

	cr_assert_eq(tpmq_pcr_read(pcrs, tpm, sel, &err), 0, "tpmq_pcr_read: %s", err.msg);
}

/* The PCR values of sel in selection order: tpm2_checkquote -f with -l. */
static size_t pcr_values(uint8_t *out, const struct tpmq_pcrsel *sel, const struct tpmq_pcrs *p)
{
	size_t n = 0, d;
	uint32_t b, i, k;

	for (b = 0; b < sel->num_banks; b++) {
		d = eph_hash_size(sel->banks[b].alg);
		for (k = 0; k < p->num_banks && p->banks[k].alg != sel->banks[b].alg; k++)
			;
		cr_assert_lt(k, p->num_banks);
		for (i = 0; i < TPMQ_NUM_PCRS; i++)
			if (sel->banks[b].mask & (1u << i)) {
				memcpy(out + n, p->banks[k].pcr[i], d);
				n += d;
			}
	}
	return n;
}

/* Run tpm2_checkquote on q; returns its exit status. */
static int checkquote(const char *pubfile, const struct q *q, const uint8_t *nonce,
		      const char *spec, const struct tpmq_pcrsel *sel, const struct tpmq_pcrs *pcrs,
		      const char *halg)
{
	static uint8_t vals[TPMQ_MAX_BANKS * TPMQ_NUM_PCRS * TPMQ_MAX_DIGEST];
	char hex[65], cmd[4096], *out = NULL;
	const char *msg = fx_path("q.msg"), *sig = fx_path("q.sig"), *pf = fx_path("q.pcrs");
	int st;

	fx_write(msg, q->attest, q->attest_len);
	fx_write(sig, q->sig, q->sig_len);
	fx_write(pf, vals, pcr_values(vals, sel, pcrs));
	cr_assert_eq(eph_hex_encode(hex, sizeof(hex), nonce, 32), 0);
	snprintf(cmd, sizeof(cmd),
		 "tpm2_checkquote -u '%s' -m '%s' -s '%s' -f '%s' -l '%s' -g %s -q %s >/dev/null "
		 "2>&1",
		 pubfile, msg, sig, pf, spec, halg, hex);
	st = tu_run(cmd, &out);
	free(out);
	return st;
}

Test(quote, every_ak_alg_verifies_and_tpm2_checkquote_agrees)
{
	static const struct {
		enum tpmq_keyalg alg;
		const char *halg;
	} algs[] = {
		{TPMQ_RSA2048, "sha256"},
		{TPMQ_RSA2048_PSS, "sha256"},
		{TPMQ_ECC_P256, "sha256"},
		{TPMQ_ECC_P384, "sha384"},
	};
	/* At most 8 PCRs: tpm2_checkquote 5.4 cannot read more from a
	 * values file (tpm2_quote -F values output included). */
	const char *spec = "sha256:0,1,7,16+sha1:0,7,16";
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs pcrs;
	struct tpmq_attest att;
	tpmq_tpm *tpm = fx_open(0);
	uint8_t *ekp = NULL;
	size_t ekn = 0, i;
	int rc, cq;

	sel_parse(&sel, spec);
	cr_assert_eq(tpmq_create_ek(&ekp, &ekn, tpm, TPMQ_RSA2048, &err), 0, "%s", err.msg);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		uint8_t *pub = NULL, *priv = NULL, bad[32];
		size_t pub_len = 0, priv_len = 0;
		const char *pubfile = fx_path("ak.pub");
		tpmq_key *ak = NULL;
		struct q q = {0};

		rc = tpmq_create_ak(&pub, &pub_len, &priv, &priv_len, tpm, algs[i].alg, &err);
		cr_assert_eq(rc, 0, "alg %d: tpmq_create_ak: %s", algs[i].alg, err.msg);
		cr_assert_eq(tpmq_key_from_public(&ak, pub, pub_len, &err), 0, "%s", err.msg);
		take_quote(&q, tpm, &sel);
		read_pcrs(&pcrs, tpm, &sel);

		memset(&att, 0, sizeof(att));
		rc = verify(&att, ak, &q, q.nonce, &pcrs, &err);
		cr_assert_eq(rc, 0, "alg %d: tpmq_quote_verify: %s", algs[i].alg, err.msg);
		cr_assert_eq(att.extra_len, 32);
		cr_assert_arr_eq(att.extra, q.nonce, 32);
		cr_assert_eq(att.sel.num_banks, 2);

		/*
		 * tpm2_checkquote 5.4 refuses every RSA-PSS quote of this swtpm,
		 * also those tpm2_quote --scheme rsapss makes itself (it
		 * verifies with a digest-sized salt; libtpms signs with the
		 * largest salt). So for PSS only our verifier is checked.
		 */
		cq = algs[i].alg != TPMQ_RSA2048_PSS;
		fx_write(pubfile, pub, pub_len);
		rc = cq ? checkquote(pubfile, &q, q.nonce, spec, &sel, &pcrs, algs[i].halg) : 0;
		cr_assert_eq(rc, 0, "alg %d: tpm2_checkquote refused a quote we accept", algs[i].alg);

		/* Both refuse a wrong nonce. */
		memcpy(bad, q.nonce, 32);
		bad[0] ^= 0x80;
		rc = verify(NULL, ak, &q, bad, &pcrs, &err);
		cr_assert_eq(rc, EPH_EVERIFY, "alg %d: wrong nonce: rc %d", algs[i].alg, rc);
		rc = cq ? checkquote(pubfile, &q, bad, spec, &sel, &pcrs, algs[i].halg) : 1;
		cr_assert_neq(rc, 0, "alg %d: tpm2_checkquote accepted a wrong nonce", algs[i].alg);

		/* Both refuse a PCR value that is not the quoted one. */
		pcrs.banks[0].pcr[16][0] ^= 1;
		rc = verify(NULL, ak, &q, q.nonce, &pcrs, &err);
		cr_assert_eq(rc, EPH_EVERIFY, "alg %d: wrong PCR: rc %d", algs[i].alg, rc);
		rc = cq ? checkquote(pubfile, &q, q.nonce, spec, &sel, &pcrs, algs[i].halg) : 1;
		cr_assert_neq(rc, 0, "alg %d: tpm2_checkquote accepted a wrong PCR", algs[i].alg);
		pcrs.banks[0].pcr[16][0] ^= 1;

		/* A PEM AK (no TPM attributes) works with tpm2_checkquote too. */
		if (cq) {
			char *pem = NULL;

			cr_assert_eq(tpmq_key_to_pem(&pem, ak, &err), 0, "%s", err.msg);
			pubfile = fx_path("ak.pem");
			fx_write(pubfile, pem, strlen(pem));
			rc = checkquote(pubfile, &q, q.nonce, spec, &sel, &pcrs, algs[i].halg);
			cr_assert_eq(rc, 0, "alg %d: tpm2_checkquote (PEM AK) refused", algs[i].alg);
			free(pem);
		}
		free_quote(&q);
		tpmq_key_free(ak);
		free(pub);
		free(priv);
	}
	free(ekp);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0, "transient handles left after tpmq_close");
}

Test(quote, pcr_read_of_48_pcrs_matches_tpm2_pcrread)
{
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs pcrs;
	static uint8_t mine[48 * 32], theirs[48 * 32 + 1];
	char cmd[1024], *out = NULL;
	const char *f = fx_path("pcrread.bin");
	tpmq_tpm *tpm = fx_open(0);
	uint8_t *buf;
	size_t n, len = 0;

	sel_parse(&sel, "sha1:all+sha256:all");
	/* Make them differ from each other first (17..22 need locality 3/4). */
	for (n = 0; n < 17; n += 4) {
		struct eph_err err = {{0}};

		cr_assert_eq(tpmq_pcr_extend_data(tpm, (uint32_t)n, "x", 1, &err), 0, "%s", err.msg);
	}
	read_pcrs(&pcrs, tpm, &sel);
	cr_assert_eq(pcrs.num_banks, 2);
	cr_assert_eq(pcrs.banks[0].alg, EPH_ALG_SHA1);
	cr_assert_eq(pcrs.banks[0].mask, 0xffffff);
	cr_assert_eq(pcrs.banks[1].alg, EPH_ALG_SHA256);
	cr_assert_eq(pcrs.banks[1].mask, 0xffffff);
	n = pcr_values(mine, &sel, &pcrs);
	cr_assert_eq(n, 24 * 20 + 24 * 32);

	snprintf(cmd, sizeof(cmd), "TPM2TOOLS_TCTI='%s' tpm2_pcrread sha1:all+sha256:all -o '%s'",
		 fx_tpm[0].tcti, f);
	cr_assert_eq(tu_run(cmd, &out), 0, "tpm2_pcrread failed");
	free(out);
	buf = tu_read(f, &len);
	cr_assert_eq(len, n);
	memcpy(theirs, buf, len);
	cr_assert_arr_eq(mine, theirs, n, "tpmq_pcr_read differs from tpm2_pcrread");
	free(buf);
	tpmq_close(tpm);
}

Test(quote, unallocated_bank_is_enotfound)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs pcrs;
	tpmq_tpm *tpm = fx_open(0);
	int rc;

	/* The fixture allocates sha1 and sha256 only. */
	sel_parse(&sel, "sha256:0+sha384:0");
	rc = tpmq_pcr_read(&pcrs, tpm, &sel, &err);
	cr_assert_eq(rc, EPH_ENOTFOUND, "rc %d: %s", rc, err.msg);
	tpmq_close(tpm);
}

Test(quote, extend_changes_pcrs_and_old_quotes_do_not_replay)
{
	/* 14 PCRs: more than one PCR_Read reply holds. */
	const char *spec = "sha256:0,1,2,3,4,5,6,7,8,9,10,16+sha1:0,16";
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs before, after;
	struct tpmq_attest a1, a2;
	uint8_t *pub = NULL, want[32];
	size_t pub_len = 0;
	tpmq_tpm *tpm = fx_open_ek_ak(0, TPMQ_RSA2048, TPMQ_ECC_P256, NULL, NULL, &pub, &pub_len,
				      NULL, NULL);
	tpmq_key *ak = NULL;
	struct q q1 = {0}, q2 = {0};
	static const char data[] = "ephemera test measurement";
	uint8_t d[32];
	int rc, b;

	sel_parse(&sel, spec);
	cr_assert_eq(tpmq_key_from_public(&ak, pub, pub_len, &err), 0, "%s", err.msg);
	take_quote(&q1, tpm, &sel);
	read_pcrs(&before, tpm, &sel);
	cr_assert_eq(verify(&a1, ak, &q1, q1.nonce, &before, &err), 0, "%s", err.msg);

	rc = tpmq_pcr_extend_data(tpm, 16, data, sizeof(data) - 1, &err);
	cr_assert_eq(rc, 0, "tpmq_pcr_extend_data: %s", err.msg);
	take_quote(&q2, tpm, &sel);
	read_pcrs(&after, tpm, &sel);

	/* The new values are H(old || H(data)) in both banks. */
	for (b = 0; b < 2; b++) {
		uint16_t alg = after.banks[b].alg;
		size_t dl = eph_hash_size(alg);

		memcpy(want, before.banks[b].pcr[16], dl);
		cr_assert_eq(eph_hash(alg, data, sizeof(data) - 1, d), 0);
		cr_assert_eq(eph_hash_extend(alg, want, d), 0);
		cr_assert_arr_eq(after.banks[b].pcr[16], want, dl, "bank %04x PCR 16", alg);
	}

	cr_assert_eq(verify(&a2, ak, &q2, q2.nonce, &after, &err), 0, "new quote: %s", err.msg);
	rc = verify(NULL, ak, &q2, q2.nonce, &before, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "new quote with old PCRs: rc %d", rc);
	rc = verify(NULL, ak, &q1, q1.nonce, &after, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "old quote with new PCRs: rc %d", rc);
	/* Replay: the old quote offered against the new challenge. */
	rc = verify(NULL, ak, &q1, q2.nonce, &before, &err);
	cr_assert_eq(rc, EPH_EVERIFY, "old quote, new nonce: rc %d", rc);
	/* And its counters say it is older. */
	cr_assert_eq(tpmq_attest_check_newer(&a1, &a2, &err), 0, "%s", err.msg);
	rc = tpmq_attest_check_newer(&a2, &a1, &err);
	cr_assert_lt(rc, 0, "an older quote passed as newer");

	free_quote(&q1);
	free_quote(&q2);
	tpmq_key_free(ak);
	free(pub);
	tpmq_close(tpm);
}

Test(quote, refuses_bad_arguments)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	uint8_t *a = NULL, *s = NULL, nonce[65] = {0};
	size_t an = 0, sn = 0;
	tpmq_tpm *tpm = fx_open(0);
	int rc;

	sel_parse(&sel, "sha256:0");
	rc = tpmq_quote(&a, &an, &s, &sn, tpm, &sel, nonce, 16, &err);
	cr_assert_lt(rc, 0, "quote without an AK");
	tpmq_close(tpm);
	tpm = fx_open_ek_ak(0, TPMQ_RSA2048, TPMQ_ECC_P256, NULL, NULL, NULL, NULL, NULL, NULL);
	rc = tpmq_quote(&a, &an, &s, &sn, tpm, &sel, nonce, 65, &err);
	cr_assert_eq(rc, EPH_EFORMAT, "65-byte nonce: rc %d", rc);
	cr_assert_null(a);
	cr_assert_null(s);
	rc = tpmq_pcr_extend_data(tpm, 24, "x", 1, &err);
	cr_assert_eq(rc, EPH_EFORMAT, "PCR 24: rc %d", rc);
	/* PCR 17 (DRTM) is not extendable from locality 0: an error, no more. */
	rc = tpmq_pcr_extend_data(tpm, 17, "x", 1, &err);
	cr_assert_lt(rc, 0, "PCR 17 extended from locality 0");
	cr_assert(strstr(err.msg, "locality") != NULL, "message: %s", err.msg);
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0);
}
