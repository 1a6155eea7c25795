/*
 * test_lifecycle.c - what an agent does across restarts: a saved AK
 * reloaded in a new context quotes with the same key; many open/quote/close
 * cycles leave no transient object behind (no resource manager: a leak
 * ends in TPM_RC_OBJECT_MEMORY, 0x902, after 3 objects on swtpm). Also
 * measures the agent-side operations.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "swtpm_fixture.h"
#include "tpmq.h"

TestSuite(lifecycle, .init = fx_setup, .fini = fx_teardown);

static void quote_and_verify(tpmq_tpm *tpm, const tpmq_key *ak, const char *what)
{
	struct eph_err err = {{0}};
	struct tpmq_pcrsel sel;
	struct tpmq_pcrs pcrs;
	uint8_t *a = NULL, *s = NULL, nonce[20];
	size_t an = 0, sn = 0;
	int rc;

	cr_assert_eq(tpmq_pcrsel_parse(&sel, "sha256:0,1,2,3,4,5,6,7", &err), 0, "%s", err.msg);
	cr_assert_eq(RAND_bytes(nonce, sizeof(nonce)), 1);
	rc = tpmq_quote(&a, &an, &s, &sn, tpm, &sel, nonce, sizeof(nonce), &err);
	cr_assert_eq(rc, 0, "%s: tpmq_quote: %s", what, err.msg);
	rc = tpmq_pcr_read(&pcrs, tpm, &sel, &err);
	cr_assert_eq(rc, 0, "%s: tpmq_pcr_read: %s", what, err.msg);
	rc = tpmq_quote_verify(NULL, ak, a, an, s, sn, nonce, sizeof(nonce), &pcrs, &err);
	cr_assert_eq(rc, 0, "%s: tpmq_quote_verify: %s", what, err.msg);
	free(a);
	free(s);
}

Test(lifecycle, saved_ak_reloads_in_a_new_context)
{
	struct eph_err err = {{0}};
	uint8_t *ek1 = NULL, *ek2 = NULL, *pub = NULL, *priv = NULL;
	size_t ek1n = 0, ek2n = 0, pub_len = 0, priv_len = 0;
	tpmq_tpm *tpm = fx_open_ek_ak(0, TPMQ_RSA2048, TPMQ_RSA2048, &ek1, &ek1n, &pub, &pub_len,
				      &priv, &priv_len);
	tpmq_key *ak = NULL;
	int rc;

	cr_assert_eq(tpmq_key_from_public(&ak, pub, pub_len, &err), 0, "%s", err.msg);
	quote_and_verify(tpm, ak, "fresh AK");
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0);

	/* A new process: EK again (same key: same template, same seed). */
	tpm = fx_open(0);
	rc = tpmq_load_ak(tpm, pub, pub_len, priv, priv_len, &err);
	cr_assert_lt(rc, 0, "loaded an AK without its parent EK");
	cr_assert_eq(tpmq_create_ek(&ek2, &ek2n, tpm, TPMQ_RSA2048, &err), 0, "%s", err.msg);
	cr_assert_eq(ek1n, ek2n);
	cr_assert_arr_eq(ek1, ek2, ek1n, "EK changed between contexts");
	rc = tpmq_load_ak(tpm, pub, pub_len, priv, priv_len, &err);
	cr_assert_eq(rc, 0, "tpmq_load_ak: %s", err.msg);
	quote_and_verify(tpm, ak, "reloaded AK");
	tpmq_close(tpm);
	cr_assert_eq(fx_tpm_handles(0), 0);

	tpmq_key_free(ak);
	free(ek1);
	free(ek2);
	free(pub);
	free(priv);
}

Test(lifecycle, fifty_cycles_leak_no_handles)
{
	struct eph_err err = {{0}};
	uint8_t *pub = NULL, *priv = NULL;
	size_t pub_len = 0, priv_len = 0;
	tpmq_tpm *tpm = fx_open_ek_ak(0, TPMQ_RSA2048, TPMQ_ECC_P256, NULL, NULL, &pub, &pub_len,
				      &priv, &priv_len);
	tpmq_key *ak = NULL;
	char what[32];
	int i, rc;

	tpmq_close(tpm);
	cr_assert_eq(tpmq_key_from_public(&ak, pub, pub_len, &err), 0, "%s", err.msg);
	for (i = 0; i < 50; i++) {
		uint8_t *ekp = NULL;
		size_t ekn = 0;

		snprintf(what, sizeof(what), "cycle %d", i);
		tpm = fx_open(0);
		rc = tpmq_create_ek(&ekp, &ekn, tpm, TPMQ_RSA2048, &err);
		cr_assert_eq(rc, 0, "%s: tpmq_create_ek: %s", what, err.msg);
		rc = tpmq_load_ak(tpm, pub, pub_len, priv, priv_len, &err);
		cr_assert_eq(rc, 0, "%s: tpmq_load_ak: %s", what, err.msg);
		quote_and_verify(tpm, ak, what);
		/* An error path too: a refused load must not leak. */
		if (i % 10 == 0)
			cr_assert_lt(tpmq_load_ak(tpm, pub, pub_len, priv, priv_len - 1, &err), 0);
		tpmq_close(tpm);
		free(ekp);
	}
	cr_assert_eq(fx_tpm_handles(0), 0, "transient handles left after 50 cycles");
	tpmq_key_free(ak);
	free(pub);
	free(priv);
}

/* Not a check: prints what each agent-side step costs on swtpm. */
Test(lifecycle, timings)
{
	struct eph_err err = {{0}};
	static const struct {
		enum tpmq_keyalg alg;
		const char *name;
	} aks[] = {{TPMQ_RSA2048, "RSA 2048"}, {TPMQ_ECC_P256, "ECC P-256"}};
	tpmq_tpm *tpm = fx_open(0);
	struct tpmq_pcrsel sel;
	uint8_t *ekp = NULL, *pub = NULL, *priv = NULL, *a = NULL, *s = NULL, nonce[32] = {0};
	uint8_t *id = NULL, *es = NULL, name[TPMQ_NAME_MAX], secret[32] = {7}, got[64];
	size_t ekn = 0, pn = 0, vn = 0, an = 0, sn = 0, idn = 0, esn = 0, nn = 0, gn = 0;
	tpmq_key *ek = NULL, *ak = NULL;
	double t0, t;
	size_t i;
	int rc;

	cr_assert_eq(tpmq_pcrsel_parse(&sel, "sha256:0,1,2,3,4,5,6,7,8,9", &err), 0);
	t0 = fx_ms();
	cr_assert_eq(tpmq_create_ek(&ekp, &ekn, tpm, TPMQ_RSA2048, &err), 0, "%s", err.msg);
	t = fx_ms() - t0;
	fprintf(stderr, "timing: create EK RSA 2048 %.1f ms\n", t);
	cr_assert_eq(tpmq_key_from_public(&ek, ekp, ekn, &err), 0, "%s", err.msg);
	for (i = 0; i < sizeof(aks) / sizeof(aks[0]); i++) {
		t0 = fx_ms();
		rc = tpmq_create_ak(&pub, &pn, &priv, &vn, tpm, aks[i].alg, &err);
		t = fx_ms() - t0;
		cr_assert_eq(rc, 0, "%s", err.msg);
		fprintf(stderr, "timing: create+load AK %s %.1f ms\n", aks[i].name, t);

		t0 = fx_ms();
		rc = tpmq_quote(&a, &an, &s, &sn, tpm, &sel, nonce, sizeof(nonce), &err);
		t = fx_ms() - t0;
		cr_assert_eq(rc, 0, "%s", err.msg);
		fprintf(stderr, "timing: quote (%s AK, 10 PCRs) %.1f ms\n", aks[i].name, t);

		cr_assert_eq(tpmq_key_from_public(&ak, pub, pn, &err), 0, "%s", err.msg);
		cr_assert_eq(tpmq_key_name(name, &nn, ak, &err), 0, "%s", err.msg);
		cr_assert_eq(tpmq_make_credential(&id, &idn, &es, &esn, ek, name, nn, secret,
						  sizeof(secret), &err),
			     0, "%s", err.msg);
		t0 = fx_ms();
		rc = tpmq_activate_credential(got, &gn, tpm, id, idn, es, esn, &err);
		t = fx_ms() - t0;
		cr_assert_eq(rc, 0, "%s", err.msg);
		fprintf(stderr, "timing: activate credential (RSA EK, %s AK) %.1f ms\n",
			aks[i].name, t);
		tpmq_key_free(ak);
		free(pub);
		free(priv);
		free(a);
		free(s);
		free(id);
		free(es);
	}
	tpmq_key_free(ek);
	free(ekp);
	tpmq_close(tpm);
}
