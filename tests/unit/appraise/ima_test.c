/*
 * ima_test.c - the executables claim: IMA entries against a keylime
 * runtime policy (synthetic, then the shared keylime and tpm2-tss vectors,
 * read in place and parsed with libevlog as the broker does).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraise_tu.h"
#include "eph_hex.h"
#include "evlog.h"
#include "testutil.h"

static struct atu t;

static void setup(void)
{
	atu_init(&t);
}

static void teardown(void)
{
	atu_fini(&t);
}

TestSuite(ima, .init = setup, .fini = teardown);

Test(ima, file_not_in_allowlist_is_contraindicated)
{
	t.ima[1].path = "/usr/bin/evil";
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED,
		   "executables: contraindicated: /usr/bin/evil sha256:"
		   "0101010101010101010101010101010101010101010101010101010101010101 not in the IMA allowlist");
	cr_assert_str_eq(attrs_get(t.res->attrs, "ar4si.executables")->str, "contraindicated");
}

Test(ima, wrong_digest_for_listed_file_is_contraindicated)
{
	t.ima_hash[2][0] = 0xff;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED,
		   "/usr/lib/libc.so.6 sha256:ff03");
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED,
		   "is not an allowed digest for it");
}

Test(ima, excluded_paths_pass)
{
	t.ima[1].path = "/tmp/build/a.out";
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_AFFIRMING, NULL);
	/* Excludes are anchored at the start, as keylime's re.match. */
	t.ima[1].path = "/home/tmp/x";
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED, "/home/tmp/x");
}

Test(ima, violation_is_warning)
{
	t.ima[2].violation = true;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_WARNING, "violation at entry 2");
}

Test(ima, template_or_replay_failure_is_contraindicated)
{
	t.ev.ima.template_ok = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED, "template hashes");
	t.ev.ima.template_ok = true;
	t.ev.ima.replay_ok = false;
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED, "PCR 10");
}

Test(ima, allowlist_refusals)
{
	struct eph_err err = {{0}};
	static const char *const bad[][2] = {
		{"{\"excludes\": []}", "\"digests\""},
		{"{\"digests\": {\"/a\": [\"abc\"]}}", "digests[\"/a\"][0]"},
		{"{\"digests\": {\"/a\": \"0101\"}}", "expected a list"},
		{"{\"digests\": {}, \"excludes\": [\"(\"]}", "excludes[0]"},
		{"{\"digests\": {},\n \"excludes\": [}", "line 2"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = appraise_refs_set_ima(t.refs, bad[i][0], strlen(bad[i][0]), &err);

		cr_assert_eq(rc, EPH_EFORMAT, "%s", bad[i][0]);
		cr_assert(strstr(err.msg, bad[i][1]) != NULL, "\"%s\" not in \"%s\"", bad[i][1],
			  err.msg);
	}
	/* A refused allowlist leaves none: executables is then "none". */
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_NONE, "no IMA allowlist");
}

/* ---- vectors ---------------------------------------------------------- */

struct imalist {
	evlog_ima *ima;
	struct appraise_ima_entry *e;
	size_t n;
	int template_ok;
};

static void imalist_load(struct imalist *l, const char *rel, unsigned flags)
{
	struct eph_err err = {{0}};
	size_t len = 0, bad = 0;
	uint8_t *buf = tu_read(tu_vector_path(rel), &len);

	cr_assert_eq(evlog_ima_parse(&l->ima, buf, len, flags, &err), 0, "%s: %s", rel, err.msg);
	free(buf);
	l->n = evlog_ima_count(l->ima);
	l->e = calloc(l->n + 1, sizeof(*l->e));
	cr_assert_not_null(l->e);
	for (size_t i = 0; i < l->n; i++) {
		const struct evlog_ima_entry *x = evlog_ima_entry_at(l->ima, i);

		l->e[i].path = x->file_name;
		l->e[i].alg = x->file_hash_alg;
		l->e[i].hash = x->file_hash;
		l->e[i].hash_len = x->file_hash_len;
		l->e[i].violation = x->violation != 0;
	}
	l->template_ok = evlog_ima_check_template_hashes(l->ima, &bad, &err) == 0;
}

static void imalist_free(struct imalist *l)
{
	evlog_ima_free(l->ima);
	free(l->e);
}

static void use_list(const struct imalist *l)
{
	t.ev.ima.entries = l->e;
	t.ev.ima.num_entries = l->n;
	t.ev.ima.template_ok = l->template_ok;
	t.ev.ima.replay_ok = true; /* no quote comes with these vectors */
}

/* The keylime policy plus every measured (path, digest): what
 * `keylime-policy create runtime --base-policy P --ima-measurement-list L`
 * produces. skip: a path whose digest is left out. */
static char *merged_policy(const char *policy, size_t plen, const struct imalist *l,
			   const char *skip)
{
	json_error_t jerr;
	json_t *root = json_loadb(policy, plen, 0, &jerr), *digests;
	char *out;

	cr_assert_not_null(root, "%s", jerr.text);
	digests = json_object_get(root, "digests");
	for (size_t i = 0; i < l->n; i++) {
		char hex[2 * APPRAISE_MAX_DIGEST + 1];
		json_t *list;

		if (strcmp(l->e[i].path, "boot_aggregate") == 0 ||
		    (skip != NULL && strcmp(l->e[i].path, skip) == 0))
			continue;
		cr_assert_eq(eph_hex_encode(hex, sizeof(hex), l->e[i].hash, l->e[i].hash_len), 0);
		list = json_object_get(digests, l->e[i].path);
		if (list == NULL) {
			list = json_array();
			json_object_set_new(digests, l->e[i].path, list);
		}
		json_array_append_new(list, json_string(hex));
	}
	out = json_dumps(root, 0);
	json_decref(root);
	return out;
}

/*
 * all_ok_tier: what the merged policy gives. The sha1 and sha384 logs
 * record boot_aggregate with an all-zero template hash, which IMA writes
 * for a measurement violation (or a boot without a TPM): a warning.
 */
static void keylime_case(const char *alg, const char *data_hex, unsigned all_ok_tier)
{
	char policy_rel[64], log_rel[64], needle[256], *merged;
	struct imalist l;
	size_t plen = 0;
	uint8_t *policy;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	snprintf(policy_rel, sizeof(policy_rel), "ima/keylime/policy-%s", alg);
	snprintf(log_rel, sizeof(log_rel), "ima/keylime/ima-log-%s", alg);
	policy = tu_read(tu_vector_path(policy_rel), &plen);
	imalist_load(&l, log_rel, EVLOG_IMA_ASCII);
	use_list(&l);

	/* The vector policy in place is keylime's *base* policy: it lists
	 * /base_policy_data only, so /data is not allowed. */
	atu_ima_refs(&t, (const char *)policy);
	atu_run(&t);
	snprintf(needle, sizeof(needle), "/data %s:%s not in the IMA allowlist", alg, data_hex);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED, needle);

	/* Merged with the measured list: every entry allowed. */
	merged = merged_policy((const char *)policy, plen, &l, NULL);
	atu_ima_refs(&t, merged);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, all_ok_tier,
		   all_ok_tier == WIRE_TIER_AFFIRMING ? NULL
						      : "violation at entry 0 (boot_aggregate)");
	free(merged);

	/* The same with /data's digest removed: contraindicated naming it. */
	merged = merged_policy((const char *)policy, plen, &l, "/data");
	atu_ima_refs(&t, merged);
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED, needle);
	free(merged);

	imalist_free(&l);
	free(policy);
}

Test(ima, keylime_sha256_vectors)
{
	keylime_case("sha256", "96d7fae8adb7286a419a88f78c13d35fb782d63df654b7db56f154765698b754",
		     WIRE_TIER_AFFIRMING);
}

Test(ima, keylime_sha1_vectors)
{
	keylime_case("sha1", "009b0d8ee8fb8d890fa70f9c8e02b3f1eded1509", WIRE_TIER_WARNING);
}

Test(ima, keylime_sha384_vectors)
{
	FILE *f;
	char line[512], hex[97] = "";

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	/* /data's sha384 digest, read from the log itself. */
	f = fopen(tu_vector_path("ima/keylime/ima-log-sha384"), "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, "sha384:");

		if (p != NULL && strstr(line, " /data") != NULL)
			memcpy(hex, p + 7, 96);
	}
	fclose(f);
	cr_assert_eq(strlen(hex), 96);
	keylime_case("sha384", hex, WIRE_TIER_WARNING);
}

Test(ima, keylime_unknown_algorithm_policy_refused)
{
	struct eph_err err = {{0}};
	size_t len = 0;
	uint8_t *policy;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	policy = tu_read(tu_vector_path("ima/keylime/policy-unknown"), &len);
	cr_assert_eq(appraise_refs_set_ima(t.refs, (const char *)policy, len, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "digests[\"/rootfs_data\"][0]") != NULL, "%s", err.msg);
	free(policy);
}

Test(ima, tpm2_tss_binary_list_with_example_allowlist)
{
	struct eph_err err = {{0}};
	appraise_refs *refs = NULL;
	struct imalist l;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	cr_assert_eq(appraise_refs_load_dir(&refs, EPH_SOURCE_DIR "/docs/examples/policy", &err), 0,
		     "%s", err.msg);
	appraise_refs_free(t.refs);
	t.refs = refs;
	imalist_load(&l, "ima/tpm2-tss/sml-ima-ng-sha1.bin", EVLOG_IMA_BINARY);
	cr_assert(l.template_ok);
	use_list(&l);
	t.ev.evlog.present = false; /* the example's golden PCRs are another machine's */
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_AFFIRMING, NULL);
	/* Drop /usr/bin/sh from the allowlist. */
	atu_ima_refs(&t, "{\"digests\": {\"/init\": [\"e9002ba6c5a98f5b7a33dc6bbf9ac1863873b713\"]},"
			 " \"excludes\": [\"/etc/ld\\\\.so\\\\.cache\", \"/usr/lib/.*\"]}");
	atu_run(&t);
	atu_expect(&t, WIRE_AR_EXECUTABLES, WIRE_TIER_CONTRAINDICATED,
		   "/usr/bin/sh sha1:3235ad2cc8ef196d5baf7a90887adecc6b20be52 not in the IMA allowlist");
	imalist_free(&l);
}
