/*
 * refs_test.c - reference values: the example policy folder loads, bad
 * files are refused naming file and reason, and a real firmware event log
 * (shared vectors, parsed and replayed with libevlog) appraised against
 * the example folder's golden PCRs and event digests.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appraise_tu.h"
#include "eph_hash.h"
#include "evlog.h"
#include "testutil.h"

#define EXAMPLE EPH_SOURCE_DIR "/docs/examples/policy"

Test(refs, example_folder_loads)
{
	struct eph_err err = {{0}};
	appraise_refs *refs = NULL;

	cr_assert_eq(appraise_refs_load_dir(&refs, EXAMPLE, &err), 0, "%s", err.msg);
	appraise_refs_free(refs);
	/* An empty folder is fine: every claim needing references is none. */
	cr_assert_eq(appraise_refs_load_dir(&refs, "/nonexistent-ephemera", &err), 0, "%s",
		     err.msg);
	appraise_refs_free(refs);
}

static void refused(int (*set)(appraise_refs *, const char *, size_t, struct eph_err *),
		    const char *json, const char *needle)
{
	struct eph_err err = {{0}};
	appraise_refs *refs = NULL;

	cr_assert_eq(appraise_refs_new(&refs, &err), 0);
	cr_assert_eq(set(refs, json, strlen(json), &err), EPH_EFORMAT, "%s", json);
	cr_assert(strstr(err.msg, needle) != NULL, "\"%s\" not in \"%s\"", needle, err.msg);
	appraise_refs_free(refs);
}

Test(refs, bad_values_refused_with_reason)
{
	refused(appraise_refs_set_golden, "{\"sha999\": {}}", "unknown bank \"sha999\"");
	refused(appraise_refs_set_golden, "{\"sha256\": {\"24\": \"00\"}}", "not a PCR number");
	refused(appraise_refs_set_golden, "{\"sha1\": {\"0\": \"00\"}}",
		"sha1 PCR 0: value 0 is not 40 hex digits");
	refused(appraise_refs_set_golden, "{\"sha1\": {\"0\": []}}", "empty list");
	refused(appraise_refs_set_golden, "{\n\"sha1\": {\"0\": 1,}}", "line 2");
	refused(appraise_refs_set_reference, "{\"golden\": 1}", "unknown key \"golden\"");
	refused(appraise_refs_set_reference,
		"{\"event_digests\": [{\"pcr\": 4, \"type\": \"EV_NOPE\", \"digests\": []}]}",
		"event_digests[0]: type");
	refused(appraise_refs_set_reference, "{\"images\": [\"sha256:00\"]}", "images[0]");
	refused(appraise_refs_set_reference, "{\"tcb\": {\"snp\": {\"minimum\": {\"snp\": 300}}}}",
		"tcb.snp.minimum.snp");
	refused(appraise_refs_set_reference, "{\"tcb\": {\"tdx\": {\"warning\": [\"Fine\"]}}}",
		"tcb.tdx.warning[0]");
}

Test(refs, load_dir_names_the_file)
{
	struct eph_err err = {{0}};
	appraise_refs *refs = NULL;
	char dir[] = "/tmp/eph-refs-XXXXXX", path[128];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/reference.json", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("{\"images\": [\n  \"md5:00\"\n]}\n", f);
	fclose(f);
	cr_assert_eq(appraise_refs_load_dir(&refs, dir, &err), EPH_EFORMAT);
	cr_assert_null(refs);
	cr_assert(strstr(err.msg, "reference.json") != NULL, "%s", err.msg);
	cr_assert(strstr(err.msg, "images[0]") != NULL, "%s", err.msg);
	unlink(path);
	rmdir(dir);
}

/* A real log: every event, and the replayed PCRs as if a quote had
 * reported them. */
Test(refs, real_event_log_against_example_folder)
{
	struct eph_err err = {{0}};
	struct appraise_event *events = NULL;
	struct evlog_replay rp;
	const struct evlog_bank *b;
	struct atu t;
	evlog_log *log = NULL;
	size_t len = 0, n;
	uint8_t *buf;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tu_read(tu_vector_path("eventlog/cos-85-amd-sev.bin"), &len);
	cr_assert_eq(evlog_parse(&log, buf, len, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_replay(&rp, log, &err), 0, "%s", err.msg);
	b = evlog_replay_bank(&rp, EPH_ALG_SHA256);
	cr_assert_not_null(b);

	atu_init(&t);
	appraise_refs_free(t.refs);
	cr_assert_eq(appraise_refs_load_dir(&t.refs, EXAMPLE, &err), 0, "%s", err.msg);
	t.ev.tpm.banks[0].mask = 0x3ff; /* PCRs 0..9 */
	for (unsigned i = 0; i < 10; i++)
		memcpy(t.ev.tpm.banks[0].pcr[i], b->pcr[i], 32);
	n = evlog_count(log);
	events = calloc(n, sizeof(*events));
	cr_assert_not_null(events);
	for (size_t i = 0; i < n; i++) {
		const struct evlog_event *e = evlog_event_at(log, i);

		events[i].pcr = e->pcr;
		events[i].type = e->type;
		for (uint32_t d = 0; d < e->num_digests && d < APPRAISE_MAX_EV_DIGESTS; d++) {
			events[i].digests[d].alg = e->digests[d].alg;
			events[i].digests[d].size = e->digests[d].size;
			memcpy(events[i].digests[d].bytes, e->digests[d].bytes, e->digests[d].size);
			events[i].num_digests++;
		}
	}
	t.ev.evlog.events = events;
	t.ev.evlog.num_events = n;
	t.ev.evlog.secure_boot = -1;
	t.ev.ima.present = false;

	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_AFFIRMING, NULL);
	cr_assert_str_eq(attrs_get(t.res->attrs, "kernel_digest")->str,
			 "sha256:6f6afb3caed004e727200a0c310731bd8ab4cd391b2d95cedf67d08e1e8e5e7e");
	cr_assert_null(attrs_get(t.res->attrs, "secure_boot"));

	/* A different boot loader: PCR 4 no longer golden, its event unknown. */
	t.ev.tpm.banks[0].pcr[4][0] ^= 1;
	for (size_t i = n; i-- > 0;) {
		if (events[i].pcr == 4 && events[i].type == EV_EFI_BOOT_SERVICES_APPLICATION) {
			events[i].digests[1].bytes[0] ^= 1; /* digests[1]: sha256 in this log */
			break;
		}
	}
	atu_run(&t);
	atu_expect(&t, WIRE_AR_CONFIGURATION, WIRE_TIER_CONTRAINDICATED,
		   "sha256 PCR 4 = d790bdac2aa8b73a.. is not a golden value");
	cr_assert_eq(attrs_get(t.res->attrs, "kernel_digest")->nwarn, 0); /* not a warning tier */

	atu_fini(&t);
	free(events);
	evlog_free(log);
	free(buf);
}
