/*
 * appraise_refs_fuzzer.c - libFuzzer target for the reference-value files
 * of the policy folder (broker/appraise): golden-pcrs.json,
 * ima-allowlist.json (keylime runtime policy, with its "excludes" regular
 * expressions) and reference.json, through the from-buffer setters that
 * appraise_refs_load_dir uses, then one appraisal of fixed evidence
 * against what loaded, so that every reference kind is also used (PCR
 * comparison, allowlist lookups and exclude regexes, event digests,
 * images, SNP and TDX TCB levels).
 *
 * Input: byte 0 selects the file (% 3: 0 golden-pcrs.json, 1
 * ima-allowlist.json, 2 reference.json), the rest is its JSON text, e.g.
 *   00 | {"sha256": {"0": "0f35c214...39cf", "7": ["3365...4793"]}}
 *   01 | {"digests": {"/init": ["e900...b713"]}, "excludes": ["/tmp/.*"]}
 * Seeds: tests/fuzz/corpora/appraise_refs/ (docs/examples/policy/ and the
 * shapes tests/unit/appraise/refs_test.c refuses; tests/fuzz/make-json-seeds.py).
 *
 * Contracts checked (abort when broken): a refusal is EPH_EFORMAT or
 * EPH_ENOMEM with a message; appraisal with whatever loaded never fails
 * (every evidence situation is a result), gives each claim a known tier
 * and terminated reasons, and appraise_reasons_text stays in its buffer.
 *
 * Not here: reading the folder (tests/unit/appraise), evidence parsing
 * (evlog/ima/tpmq/snp/tdx targets).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraise.h"
#include "eph_hash.h"

/* TCG PC Client PFP event types (evlog.h; libappraise does not link libevlog). */
#define EV_EFI_VARIABLE_DRIVER_CONFIG 0x80000001u
#define EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "appraise_refs_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

/* The digests of docs/examples/policy, so that seeds from there match. */
static const char *const golden_hex[][2] = {
	{"0", "0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf"},
	{"2", "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969"},
	{"4", "d690bdac2aa8b73a1d718cb91990df07d0747b07ea57b3b2d0f0d511f0d90491"},
	{"7", "3365d7fa2b024c852913c06e04ffbfa6ea5289f743bbf1a76f7ffdf21ed84793"},
};

static uint8_t h_init[20], h_sh[20], h_other[20];
static struct appraise_event events[2];
static struct appraise_ima_entry ima[4];
static struct appraise_evidence ev[2]; /* an SNP guest, a TDX guest */

static void unhex(uint8_t *out, size_t n, const char *hex)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0'
							      : hex[2 * i + 1] - 'a' + 10);

		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

static void init(void)
{
	struct appraise_evidence *e = &ev[0];
	size_t i;

	unhex(h_init, 20, "e9002ba6c5a98f5b7a33dc6bbf9ac1863873b713");
	unhex(h_sh, 20, "3235ad2cc8ef196d5baf7a90887adecc6b20be52");
	memset(h_other, 0x5a, sizeof(h_other));

	e->tpm.present = e->tpm.quote_ok = e->tpm.nonce_fresh = e->tpm.ak_ok = true;
	e->tpm.ek_cert = e->tpm.ek_chain_ok = true;
	snprintf(e->tpm.ek_id, sizeof(e->tpm.ek_id), "sha256:%064x", 1);
	snprintf(e->tpm.ak_name, sizeof(e->tpm.ak_name), "000b%064x", 2);
	e->tpm.num_banks = 2;
	e->tpm.banks[0].alg = EPH_ALG_SHA256;
	e->tpm.banks[0].mask = 0x7ff;
	for (i = 0; i < sizeof(golden_hex) / sizeof(golden_hex[0]); i++)
		unhex(e->tpm.banks[0].pcr[golden_hex[i][0][0] - '0'], 32, golden_hex[i][1]);
	e->tpm.banks[1].alg = EPH_ALG_SHA1;
	e->tpm.banks[1].mask = 0x401;

	events[0].pcr = 4;
	events[0].type = EV_EFI_BOOT_SERVICES_APPLICATION;
	events[0].num_digests = 1;
	events[0].digests[0].alg = EPH_ALG_SHA256;
	events[0].digests[0].size = 32;
	unhex(events[0].digests[0].bytes, 32,
	      "6f6afb3caed004e727200a0c310731bd8ab4cd391b2d95cedf67d08e1e8e5e7e");
	events[1] = events[0];
	events[1].pcr = 7;
	events[1].type = EV_EFI_VARIABLE_DRIVER_CONFIG;
	e->evlog.present = e->evlog.replay_ok = true;
	e->evlog.events = events;
	e->evlog.num_events = 2;
	e->evlog.secure_boot = 1;
	e->evlog.kernel_digest =
		"sha256:6f6afb3caed004e727200a0c310731bd8ab4cd391b2d95cedf67d08e1e8e5e7e";
	e->evlog.image_digest =
		"sha256:0000000000000000000000000000000000000000000000000000000000000001";

	ima[0] = (struct appraise_ima_entry){"boot_aggregate", EPH_ALG_SHA1, h_other, 20, false};
	ima[1] = (struct appraise_ima_entry){"/init", EPH_ALG_SHA1, h_init, 20, false};
	ima[2] = (struct appraise_ima_entry){"/usr/bin/sh", EPH_ALG_SHA1, h_sh, 20, false};
	ima[3] = (struct appraise_ima_entry){"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
					     EPH_ALG_SHA1, h_other, 20, true};
	e->ima.present = e->ima.template_ok = e->ima.replay_ok = true;
	e->ima.entries = ima;
	e->ima.num_entries = 4;

	e->cvm.kind = APPRAISE_CVM_SNP;
	e->cvm.verified = e->cvm.binding_ok = e->cvm.measurement_ok = true;
	e->cvm.measurement_len = 48;
	e->cvm.snp_tcb = (struct appraise_snp_tcb){0, 3, 0, 14, 209};

	ev[1] = ev[0];
	ev[1].evlog.secure_boot = -1;
	ev[1].evlog.kernel_digest = NULL;
	ev[1].evlog.image_digest = NULL;
	ev[1].cvm.kind = APPRAISE_CVM_TDX;
	ev[1].cvm.debug = true;
	snprintf(ev[1].cvm.failed, sizeof(ev[1].cvm.failed), "vmpl");
	ev[1].cvm.tdx_tcb = APPRAISE_TDX_SW_HARDENING_NEEDED;
}

static void appraise(const appraise_refs *refs, const struct appraise_evidence *e)
{
	static char text[4096];
	struct eph_err err = {{0}};
	struct appraise_result *res = NULL;
	unsigned c;
	size_t lines;

	check(appraise_run(&res, e, refs, NULL, &err) == 0 && res != NULL, "appraise_run failed",
	      &err);
	for (c = 1; c <= WIRE_AR_NUM; c++) {
		check(appraise_tier_name(res->tier[c]) != NULL, "tier without a name", NULL);
		check(memchr(res->reason[c], '\0', sizeof(res->reason[c])) != NULL,
		      "reason not terminated", NULL);
	}
	lines = appraise_reasons_text(text, sizeof(text), res);
	check(lines <= WIRE_AR_NUM && memchr(text, '\0', sizeof(text)) != NULL,
	      "reasons text", NULL);
	appraise_result_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	appraise_refs *refs = NULL;
	const char *text;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	if (ev[0].tpm.num_banks == 0)
		init();
	text = (const char *)data + 1;
	len = size - 1;
	check(appraise_refs_new(&refs, &err) == 0, "appraise_refs_new", &err);
	switch (data[0] % 3) {
	case 0:
		rc = appraise_refs_set_golden(refs, text, len, &err);
		break;
	case 1:
		rc = appraise_refs_set_ima(refs, text, len, &err);
		break;
	default:
		rc = appraise_refs_set_reference(refs, text, len, &err);
		break;
	}
	if (rc < 0) {
		check(rc == EPH_EFORMAT || rc == EPH_ENOMEM, "refusal code", &err);
		check(err.msg[0] != '\0', "refusal without a message", &err);
	} else {
		check(rc == 0, "0 on success", &err);
	}
	/* After a refusal too: a failed setter must leave usable references. */
	appraise(refs, &ev[0]);
	appraise(refs, &ev[1]);
	appraise_refs_free(refs);
	return 0;
}
