/*
 * attrs_test.c - the attribute set, confidence rules (sources, warnings,
 * per-attribute overrides, validation) and JSON load/dump.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static json_t *js(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	cr_assert_not_null(j, "test JSON: %s", jerr.text);
	return j;
}

Test(attrs, set_get_iterate_in_order)
{
	struct eph_err err = {{0}};
	attrs_set *s = NULL;

	cr_assert_eq(attrs_new(&s, &err), 0);
	cr_assert_eq(attrs_set_str(s, "role", "analyst", ATTRS_SRC_ISSUER, &err), 0);
	cr_assert_eq(attrs_set_int(s, "clearance", 3, ATTRS_SRC_ISSUER, &err), 0);
	cr_assert_eq(attrs_set_bool(s, "secure_boot", true, ATTRS_SRC_HW_FRESH, &err), 0);
	cr_assert_eq(attrs_count(s), 3);
	cr_assert_str_eq(attrs_at(s, 0)->name, "role");
	cr_assert_str_eq(attrs_at(s, 2)->name, "secure_boot");
	cr_assert_null(attrs_at(s, 3));
	cr_assert_eq(attrs_get(s, "clearance")->type, ATTRS_INT);
	cr_assert_eq(attrs_get(s, "clearance")->num, 3);
	cr_assert(attrs_get(s, "secure_boot")->flag);
	cr_assert_null(attrs_get(s, "missing"));
	attrs_free(s);
}

Test(attrs, replace_keeps_position_and_drops_warnings)
{
	struct eph_err err = {{0}};
	attrs_set *s = NULL;

	cr_assert_eq(attrs_new(&s, &err), 0);
	cr_assert_eq(attrs_set_str(s, "a", "1", ATTRS_SRC_SELF, &err), 0);
	cr_assert_eq(attrs_set_str(s, "b", "2", ATTRS_SRC_SELF, &err), 0);
	cr_assert_eq(attrs_warn(s, "a", "stale", &err), 0);
	cr_assert_eq(attrs_get(s, "a")->nwarn, 1);
	cr_assert_eq(attrs_set_str(s, "a", "3", ATTRS_SRC_ISSUER, &err), 0);
	cr_assert_eq(attrs_count(s), 2);
	cr_assert_str_eq(attrs_at(s, 0)->str, "3");
	cr_assert_eq(attrs_at(s, 0)->nwarn, 0);
	cr_assert_eq(attrs_warn(s, "zzz", "x", &err), EPH_ENOTFOUND);
	attrs_free(s);
}

Test(attrs, refuses_bad_names_long_values_and_overflow)
{
	struct eph_err err = {{0}};
	attrs_set *s = NULL;
	char longv[ATTRS_VALUE_MAX + 8];
	char name[16];

	cr_assert_eq(attrs_new(&s, &err), 0);
	cr_assert_eq(attrs_set_str(s, "Role", "x", ATTRS_SRC_SELF, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "Role") != NULL, "%s", err.msg);
	cr_assert_eq(attrs_set_str(s, "", "x", ATTRS_SRC_SELF, &err), EPH_EFORMAT);
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	cr_assert_eq(attrs_set_str(s, "v", longv, ATTRS_SRC_SELF, &err), EPH_EFORMAT);
	for (int i = 0; i < ATTRS_MAX; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		cr_assert_eq(attrs_set_int(s, name, i, ATTRS_SRC_SELF, &err), 0);
	}
	cr_assert_eq(attrs_set_int(s, "one_more", 1, ATTRS_SRC_SELF, &err), EPH_EFAIL);
	cr_assert(strstr(err.msg, "full") != NULL, "%s", err.msg);
	attrs_free(s);
}

Test(attrs, default_confidence_by_source)
{
	struct attrs_conf c;
	struct attrs_attr a = {.name = "x", .type = ATTRS_STR};

	attrs_conf_default(&c);
	a.source = ATTRS_SRC_HW_FRESH;
	cr_assert(NEAR(attrs_confidence(&c, &a), 1.0));
	a.source = ATTRS_SRC_HW_STALE;
	cr_assert(NEAR(attrs_confidence(&c, &a), 0.7));
	a.source = ATTRS_SRC_ISSUER;
	cr_assert(NEAR(attrs_confidence(&c, &a), 0.8));
	a.source = ATTRS_SRC_SELF;
	cr_assert(NEAR(attrs_confidence(&c, &a), 0.3));
}

Test(attrs, warnings_lower_confidence_and_clamp_at_zero)
{
	struct eph_err err = {{0}};
	struct attrs_conf c;
	attrs_set *s = NULL;

	attrs_conf_default(&c);
	cr_assert_eq(attrs_new(&s, &err), 0);
	cr_assert_eq(attrs_set_bool(s, "secure_boot", true, ATTRS_SRC_HW_FRESH, &err), 0);
	cr_assert_eq(attrs_set_str(s, "role", "x", ATTRS_SRC_SELF, &err), 0);
	cr_assert_eq(attrs_warn(s, "secure_boot", "unknown event in PCR 4", &err), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(attrs_warn(s, "role", "w", &err), 0);
	attrs_conf_apply(&c, s);
	cr_assert(NEAR(attrs_get(s, "secure_boot")->confidence, 0.85));
	cr_assert(NEAR(attrs_get(s, "role")->confidence, 0.0)); /* 0.3 - 0.45 */
	/* More warnings than kept texts: all counted. */
	for (int i = 0; i < ATTRS_MAX_WARN + 2; i++)
		cr_assert_eq(attrs_warn(s, "secure_boot", "again", &err), 0);
	cr_assert_eq(attrs_get(s, "secure_boot")->nwarn, ATTRS_MAX_WARN + 3);
	cr_assert_str_eq(attrs_get(s, "secure_boot")->warn[0], "unknown event in PCR 4");
	attrs_free(s);
}

Test(attrs, rules_from_json_with_per_attribute_overrides)
{
	struct eph_err err = {{0}};
	struct attrs_conf c;
	struct attrs_attr a = {.name = "role", .type = ATTRS_STR, .source = ATTRS_SRC_SELF};
	json_t *j = js("{\"self\": 0.25, \"warning_penalty\": 0.1,"
		       " \"per_attribute\": {\"role\": {\"self\": 0.05, \"warning_penalty\": 0.01}}}");

	cr_assert_eq(attrs_conf_from_json(&c, j, NULL, 0, &err), 0, "%s", err.msg);
	cr_assert(NEAR(attrs_confidence(&c, &a), 0.05));
	a.nwarn = 2;
	cr_assert(NEAR(attrs_confidence(&c, &a), 0.03));
	memcpy(a.name, "user", 5);
	cr_assert(NEAR(attrs_confidence(&c, &a), 0.05)); /* 0.25 - 2 * 0.1 */
	a.source = ATTRS_SRC_ISSUER;
	cr_assert(NEAR(attrs_confidence(&c, &a), 0.6)); /* built-in issuer 0.8 kept */
	json_decref(j);
}

Test(attrs, rules_refused_with_path)
{
	struct eph_err err = {{0}};
	struct attrs_conf c;
	char where[128];
	json_t *j;

	j = js("{\"issuer\": 1.5}");
	cr_assert_eq(attrs_conf_from_json(&c, j, where, sizeof(where), &err), EPH_EFORMAT);
	cr_assert_str_eq(where, "issuer");
	cr_assert(strstr(err.msg, "outside [0,1]") != NULL, "%s", err.msg);
	json_decref(j);

	j = js("{\"per_attribute\": {\"role\": {\"self\": \"high\"}}}");
	cr_assert_eq(attrs_conf_from_json(&c, j, where, sizeof(where), &err), EPH_EFORMAT);
	cr_assert_str_eq(where, "per_attribute.role.self");
	json_decref(j);

	j = js("{\"hardwares\": 1.0}");
	cr_assert_eq(attrs_conf_from_json(&c, j, where, sizeof(where), &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "unknown key \"hardwares\"") != NULL, "%s", err.msg);
	json_decref(j);
}

static const char sample[] =
	"{\n"
	"  \"role\": {\"value\": \"analyst\", \"source\": \"issuer\"},\n"
	"  \"clearance\": {\"value\": 3, \"source\": \"issuer\", \"warnings\": [\"key rotated\"]},\n"
	"  \"secure_boot\": {\"value\": true, \"source\": \"hardware\"}\n"
	"}\n";

Test(attrs, json_load_dump_roundtrip)
{
	struct eph_err err = {{0}};
	attrs_set *s = NULL, *t = NULL;
	char *text = NULL;

	cr_assert_eq(attrs_from_json(&s, sample, strlen(sample), &err), 0, "%s", err.msg);
	cr_assert_eq(attrs_count(s), 3);
	cr_assert_eq(attrs_get(s, "clearance")->nwarn, 1);
	cr_assert(NEAR(attrs_get(s, "clearance")->confidence, 0.65));
	cr_assert_eq(attrs_to_json(&text, s, &err), 0);
	cr_assert(strstr(text, "\"confidence\": 0.65") != NULL, "%s", text);
	cr_assert_eq(attrs_from_json(&t, text, strlen(text), &err), 0, "%s", err.msg);
	for (size_t i = 0; i < attrs_count(s); i++) {
		const struct attrs_attr *a = attrs_at(s, i), *b = attrs_at(t, i);

		cr_assert_str_eq(a->name, b->name);
		cr_assert_eq(a->type, b->type);
		cr_assert_str_eq(a->str, b->str);
		cr_assert_eq(a->num, b->num);
		cr_assert_eq(a->flag, b->flag);
		cr_assert_eq(a->source, b->source);
		cr_assert_eq(a->nwarn, b->nwarn);
		cr_assert(NEAR(a->confidence, b->confidence));
	}
	free(text);
	attrs_free(s);
	attrs_free(t);
}

static void refused(const char *text, const char *needle)
{
	struct eph_err err = {{0}};
	attrs_set *s = NULL;

	cr_assert_eq(attrs_from_json(&s, text, strlen(text), &err), EPH_EFORMAT, "%s", text);
	cr_assert_null(s);
	cr_assert(strstr(err.msg, needle) != NULL, "\"%s\" not in \"%s\"", needle, err.msg);
}

Test(attrs, json_refusals_name_attribute_and_reason)
{
	refused("{\"role\": {\"value\": \"a\", \"source\": \"cosmic\"}}", "unknown source \"cosmic\"");
	refused("{\"role\": {\"value\": 1.5, \"source\": \"self\"}}", "role: value must be");
	refused("{\"role\": {\"value\": \"a\"}}", "role: \"source\"");
	refused("{\"role\": {\"value\": \"a\", \"source\": \"self\", \"colour\": 1}}",
		"unknown key \"colour\"");
	refused("{\"role\": {\"value\": \"a\", \"source\": \"self\", \"confidence\": 2}}",
		"outside [0,1]");
	refused("{\"Bad Name\": {\"value\": \"a\", \"source\": \"self\"}}", "bad name");
	refused("{\n\"role\": {\"value\": \"a\",,}\n}", "line 2");
	refused("[1, 2]", "expected an object");
}
