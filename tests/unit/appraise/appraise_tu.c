/*
 * appraise_tu.c - see appraise_tu.h.
 */
#include "appraise_tu.h"

#include <criterion/criterion.h>
#include <string.h>

#include "eph_hash.h"

static const char golden[] =
	"{\"sha256\": {"
	"\"0\": \"1111111111111111111111111111111111111111111111111111111111111111\","
	"\"7\": [\"7777777777777777777777777777777777777777777777777777777777777777\","
	"        \"7878787878787878787878787878787878787878787878787878787878787878\"]}}";

static const char reference[] =
	"{\"event_digests\": [{\"pcr\": 4, \"type\": \"EV_EFI_BOOT_SERVICES_APPLICATION\","
	" \"digests\": [\"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\","
	"               \"a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2\"]}],"
	" \"images\": [\"sha256:5151515151515151515151515151515151515151515151515151515151515151\"],"
	" \"tcb\": {\"snp\": {\"minimum\": {\"bootloader\": 3, \"tee\": 0, \"snp\": 8, \"microcode\": 115},"
	"                   \"recommended\": {\"bootloader\": 3, \"tee\": 0, \"snp\": 14, \"microcode\": 209}}}}";

static const char ima[] =
	"{\"digests\": {"
	" \"/usr/bin/sh\": [\"0101010101010101010101010101010101010101010101010101010101010101\"],"
	" \"/usr/lib/libc.so.6\": [\"0202020202020202020202020202020202020202020202020202020202020202\","
	"                          \"0303030303030303030303030303030303030303030303030303030303030303\"]},"
	" \"excludes\": [\"/tmp/.*\"]}";

static void event(struct appraise_event *e, uint32_t pcr, uint32_t type, uint8_t fill)
{
	memset(e, 0, sizeof(*e));
	e->pcr = pcr;
	e->type = type;
	e->num_digests = 1;
	e->digests[0].alg = EPH_ALG_SHA256;
	e->digests[0].size = 32;
	memset(e->digests[0].bytes, fill, 32);
}

void atu_init(struct atu *t)
{
	struct eph_err err = {{0}};
	struct appraise_tpm *tpm = &t->ev.tpm;
	static const char *const paths[ATU_NIMA] = {"boot_aggregate", "/usr/bin/sh",
						    "/usr/lib/libc.so.6"};
	static const uint8_t fills[ATU_NIMA] = {0x00, 0x01, 0x03};

	memset(t, 0, sizeof(*t));
	tpm->present = tpm->quote_ok = tpm->nonce_fresh = tpm->ak_ok = true;
	tpm->ek_cert = tpm->ek_chain_ok = true;
	snprintf(tpm->ek_id, sizeof(tpm->ek_id), "sha256:e1e1");
	snprintf(tpm->ak_name, sizeof(tpm->ak_name), "000b%s", "a0a0");
	tpm->num_banks = 1;
	tpm->banks[0].alg = EPH_ALG_SHA256;
	tpm->banks[0].mask = (1u << 0) | (1u << 4) | (1u << 7) | (1u << 10);
	memset(tpm->banks[0].pcr[0], 0x11, 32);
	memset(tpm->banks[0].pcr[4], 0x44, 32);
	memset(tpm->banks[0].pcr[7], 0x78, 32);

	event(&t->events[0], 0, 0x80000008, 0xf0);             /* firmware blob */
	event(&t->events[1], 4, 0x80000003, 0xa1);             /* shim */
	event(&t->events[2], 4, 0x4, 0x5e);                    /* separator */
	event(&t->events[3], 4, 0x80000003, 0xa2);             /* kernel */
	t->ev.evlog.present = true;
	t->ev.evlog.replay_ok = true;
	t->ev.evlog.events = t->events;
	t->ev.evlog.num_events = ATU_NEV;
	t->ev.evlog.secure_boot = 1;

	for (int i = 0; i < ATU_NIMA; i++) {
		memset(t->ima_hash[i], fills[i], 32);
		t->ima[i].path = paths[i];
		t->ima[i].alg = EPH_ALG_SHA256;
		t->ima[i].hash = t->ima_hash[i];
		t->ima[i].hash_len = 32;
	}
	t->ev.ima.present = t->ev.ima.template_ok = t->ev.ima.replay_ok = true;
	t->ev.ima.entries = t->ima;
	t->ev.ima.num_entries = ATU_NIMA;

	cr_assert_eq(appraise_refs_new(&t->refs, &err), 0);
	atu_golden(t, golden);
	atu_reference(t, reference);
	atu_ima_refs(t, ima);
}

void atu_fini(struct atu *t)
{
	appraise_result_free(t->res);
	appraise_refs_free(t->refs);
	t->res = NULL;
	t->refs = NULL;
}

void atu_run(struct atu *t)
{
	struct eph_err err = {{0}};

	appraise_result_free(t->res);
	t->res = NULL;
	cr_assert_eq(appraise_run(&t->res, &t->ev, t->refs, NULL, &err), 0, "%s", err.msg);
}

void atu_expect(const struct atu *t, unsigned claim, unsigned tier, const char *needle)
{
	const char *why = t->res->reason[claim];

	cr_assert_eq(t->res->tier[claim], tier, "%s: tier %u, expected %u (%s)",
		     appraise_claim_name(claim), t->res->tier[claim], tier, why);
	if (needle == NULL)
		cr_assert_str_empty(why, "%s", why);
	else
		cr_assert(strstr(why, needle) != NULL, "\"%s\" not in \"%s\"", needle, why);
}

void atu_golden(struct atu *t, const char *json)
{
	struct eph_err err = {{0}};

	cr_assert_eq(appraise_refs_set_golden(t->refs, json, strlen(json), &err), 0, "%s", err.msg);
}

void atu_reference(struct atu *t, const char *json)
{
	struct eph_err err = {{0}};

	cr_assert_eq(appraise_refs_set_reference(t->refs, json, strlen(json), &err), 0, "%s",
		     err.msg);
}

void atu_ima_refs(struct atu *t, const char *json)
{
	struct eph_err err = {{0}};

	cr_assert_eq(appraise_refs_set_ima(t->refs, json, strlen(json), &err), 0, "%s", err.msg);
}
