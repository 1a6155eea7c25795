/*
 * tdx_collateral_fuzzer.c - libFuzzer target for the TDX collateral and
 * PCK material the broker reads besides the quote itself (cvm/tdx): the
 * TCB info and QE identity JSON documents (Intel PCS v4), the PCK
 * certificate chain a quote carries (PEM: leaf, intermediate, root, then
 * the leaf's Intel SGX extension), the trust anchor PEM and CRLs.
 *
 * Input: byte 0 selects (% 5), the rest is the document:
 *   0  TCB info JSON: tdx_tcbinfo_parse, then tdx_tcb_evaluate for two
 *      fixed quotes (TDX module major 0 and 1) at 2024-06-01;
 *   1  QE identity JSON: tdx_qeid_parse, then tdx_qeid_evaluate;
 *   2  a PCK chain PEM, placed in an otherwise empty quote:
 *      tdx_quote_pck_info, then tdx_quote_verify against the fixed test
 *      root below (the chain is checked before the signatures, which fail);
 *   3  a trust anchor PEM: tdx_trust_new (any root, then Intel's pin);
 *   4  a CRL, DER or PEM: tdx_trust_add_crl onto the test root's trust.
 * e.g. 00 | {"tcbInfo":{"id":"TDX","version":3,"issueDate":"2024-01-01T00:00:00Z",...}}
 * Seeds: tests/fuzz/corpora/tdx_collateral/ (made by
 * tests/fuzz/make-json-seeds.py: PCS-shaped documents written for the
 * fixed quotes below, the PCK chains of the tdx_quote seeds, the test root,
 * a CRL it signed).
 *
 * Contracts checked (abort when broken): a refusal says why (EPH_EFORMAT,
 * EPH_EVERIFY, EPH_EUNSUPPORTED for an unknown document version, or
 * EPH_ENOMEM) and leaves *out NULL; an accepted TCB info
 * has a level count and an FMSPC; evaluation returns 0 with statuses that
 * have names, the matched level index at most the level count, and the
 * overall status the worse of platform and module, or EPH_EVERIFY with a
 * message; verification of the empty quote never succeeds.
 *
 * Not here: the quote's own bytes (tdx_quote_fuzzer.c), collateral
 * signatures (libtdx does not check them yet).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char root_pem[] = "-----BEGIN CERTIFICATE-----\n"
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

#define FUZZ_AT 1717200000 /* 2024-06-01: inside the seeds' issueDate..nextUpdate */
#define VERIFY_AT 1893456000 /* 2030-01-01: inside the test chains' validity */

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "tdx_collateral_fuzzer: contract broken: %s (err: \"%s\")\n", what,
	        err != NULL ? err->msg : "");
	abort();
}

static void refused(int rc, const struct eph_err *err)
{
	check(rc == EPH_EFORMAT || rc == EPH_EVERIFY || rc == EPH_ENOMEM || rc == EPH_EUNSUPPORTED,
	      "refusal code", err);
	check(err->msg[0] != '\0', "refusal without a message", err);
}

/* Two platforms: FMSPC 50806f000000, PCE-ID 0000, SGX components 3..,
 * PCESVN 11; TDX module major 0 (no identity) and major 1 ("TDX_01"). */
static struct tdx_quote quotes[2];
static struct tdx_pck_info pck;

static void init(void)
{
	static const uint8_t fmspc[6] = {0x50, 0x80, 0x6f, 0x00, 0x00, 0x00};
	int i;

	memcpy(pck.fmspc, fmspc, sizeof(fmspc));
	for (i = 0; i < 16; i++)
		pck.comp_svn[i] = (uint8_t)(i < 8 ? 3 : 0);
	pck.pcesvn = 11;
	for (i = 0; i < 2; i++) {
		struct tdx_quote *q = &quotes[i];

		q->version = 4;
		q->att_key_type = 2;
		q->tee_type = 0x81;
		q->body.tee_tcb_svn[0] = 3;
		q->body.tee_tcb_svn[1] = (uint8_t)i;
		q->body.tee_tcb_svn[2] = 5;
		q->qe_report.isvprodid = 2;
		q->qe_report.isvsvn = 4;
		q->qe_report.attributes[0] = 0x11;
		memset(q->qe_report.mrsigner, 0xdc, sizeof(q->qe_report.mrsigner));
	}
}

static void check_status(enum tdx_tcb_status s)
{
	check(s <= TDX_TCB_REVOKED && tdx_tcb_status_name(s) != NULL, "status without a name",
	      NULL);
}

static void tcbinfo(const char *json, size_t len)
{
	struct eph_err err = {{0}};
	struct tdx_tcb_result r;
	tdx_tcbinfo *ti = (tdx_tcbinfo *)&err;
	int i, rc;

	rc = tdx_tcbinfo_parse(&ti, json, len, &err);
	if (rc < 0) {
		refused(rc, &err);
		check(ti == NULL, "refused TCB info left *out set", &err);
		return;
	}
	check(tdx_tcbinfo_fmspc(ti) != NULL, "TCB info without an FMSPC", NULL);
	for (i = 0; i < 2; i++) {
		memset(&err, 0, sizeof(err));
		rc = tdx_tcb_evaluate(&r, ti, &quotes[i], &pck, FUZZ_AT, &err);
		if (rc < 0) {
			check(rc == EPH_EVERIFY && err.msg[0] != '\0', "evaluation refusal", &err);
			continue;
		}
		check(rc == 0, "0 on success", &err);
		check_status(r.platform);
		check_status(r.module);
		check_status(r.overall);
		check(r.level <= tdx_tcbinfo_levels(ti), "matched level past the list", NULL);
		check(memchr(r.tcb_date, '\0', sizeof(r.tcb_date)) != NULL, "date not terminated",
		      NULL);
	}
	tdx_tcbinfo_free(ti);
}

static void qeid(const char *json, size_t len)
{
	struct eph_err err = {{0}};
	enum tdx_tcb_status s;
	tdx_qeid *qi = (tdx_qeid *)&err;
	int rc;

	rc = tdx_qeid_parse(&qi, json, len, &err);
	if (rc < 0) {
		refused(rc, &err);
		check(qi == NULL, "refused QE identity left *out set", &err);
		return;
	}
	memset(&err, 0, sizeof(err));
	rc = tdx_qeid_evaluate(&s, qi, &quotes[0], FUZZ_AT, &err);
	if (rc < 0)
		check(rc == EPH_EVERIFY && err.msg[0] != '\0', "evaluation refusal", &err);
	else
		check_status(s);
	tdx_qeid_free(qi);
}

static tdx_trust *test_trust(void)
{
	struct eph_err err = {{0}};
	tdx_trust *t = NULL;

	check(tdx_trust_new(&t, (const uint8_t *)root_pem, sizeof(root_pem) - 1,
	                    TDX_TRUST_ANY_ROOT, &err) == 0,
	      "fixed test root", &err);
	return t;
}

static void pck_chain(const uint8_t *data, size_t size)
{
	static tdx_trust *trust;
	static const uint8_t zero[512];
	struct eph_err err = {{0}};
	struct tdx_verify_result res;
	struct tdx_pck_info info;
	struct tdx_quote q;
	int rc;

	if (trust == NULL)
		trust = test_trust();
	if (size > UINT32_MAX)
		return;
	q = quotes[0];
	q.raw = zero;
	q.raw_len = sizeof(zero);
	q.signed_len = 48 + 584;
	q.signature = zero;
	q.att_key = zero;
	q.qe_report_raw = zero;
	q.qe_report_sig = zero;
	q.qe_auth = zero;
	q.pck_chain = data;
	q.pck_chain_len = (uint32_t)size;
	rc = tdx_quote_pck_info(&info, &q, &err);
	if (rc < 0)
		refused(rc, &err);
	else
		check(info.sgx_type >= 0 && info.sgx_type <= 2, "SGX type out of range", NULL);
	memset(&err, 0, sizeof(err));
	rc = tdx_quote_verify(&res, &q, trust, VERIFY_AT, &err);
	check(rc < 0, "an empty quote verified", &err);
	refused(rc, &err);
}

static void anchor(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	tdx_trust *t = (tdx_trust *)&err;
	int rc;

	rc = tdx_trust_new(&t, data, size, TDX_TRUST_ANY_ROOT, &err);
	if (rc < 0) {
		refused(rc, &err);
		check(t == NULL, "refused trust left *out set", &err);
	}
	tdx_trust_free(t);
	t = NULL;
	memset(&err, 0, sizeof(err));
	rc = tdx_trust_new(&t, data, size, 0, &err);
	check(rc < 0, "a non-Intel root passed the Intel pin", &err);
	refused(rc, &err);
	tdx_trust_free(t);
}

static void crl(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	tdx_trust *t = test_trust();
	int rc;

	rc = tdx_trust_add_crl(t, data, size, &err);
	if (rc < 0)
		refused(rc, &err);
	tdx_trust_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (pck.pcesvn == 0)
		init();
	switch (data[0] % 5) {
	case 0:
		tcbinfo((const char *)data + 1, size - 1);
		break;
	case 1:
		qeid((const char *)data + 1, size - 1);
		break;
	case 2:
		pck_chain(data + 1, size - 1);
		break;
	case 3:
		anchor(data + 1, size - 1);
		break;
	default:
		crl(data + 1, size - 1);
		break;
	}
	return 0;
}
