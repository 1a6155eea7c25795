/*
 * policy_tu.c - see policy_tu.h.
 */
#include "policy_tu.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

void ptu_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/eph-policy-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

void ptu_teardown(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/policy.json", dir);
	unlink(path);
	rmdir(dir);
}

const char *ptu_dir(void)
{
	return dir;
}

void ptu_write(const char *text)
{
	char path[128], tmp[140];
	FILE *f;

	snprintf(path, sizeof(path), "%s/policy.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(rename(tmp, path), 0);
}

policy_engine *ptu_engine(const char *text)
{
	struct eph_err err = {{0}};
	policy_engine *e = NULL;

	ptu_write(text);
	cr_assert_eq(policy_engine_new(&e, dir, &err), 0, "%s", err.msg);
	return e;
}

const char *ptu_refused(const char *text)
{
	static struct eph_err err;

	memset(&err, 0, sizeof(err));
	ptu_write(text);
	cr_assert_eq(policy_validate(dir, &err), EPH_EFORMAT, "accepted:\n%s", text);
	return err.msg;
}

attrs_set *ptu_attrs(const char *spec)
{
	struct eph_err err = {{0}};
	attrs_set *a = NULL;
	char buf[1024], *save = NULL;

	cr_assert_eq(attrs_new(&a, &err), 0);
	snprintf(buf, sizeof(buf), "%s", spec);
	/* Test input we wrote ourselves; split by hand on ',' '=' '/'. */
	for (char *item = buf; item != NULL && *item != '\0'; item = save) {
		char *comma = strchr(item, ','), *eq, *slash;
		enum attrs_source src;

		save = comma ? comma + 1 : NULL;
		if (comma)
			*comma = '\0';
		eq = strchr(item, '=');
		slash = strrchr(item, '/');
		cr_assert(eq && slash && slash > eq, "bad spec %s", item);
		*eq = *slash = '\0';
		cr_assert_eq(attrs_source_from_name(&src, slash + 1), 0, "%s", slash + 1);
		if (eq[1] == '#')
			cr_assert_eq(attrs_set_int(a, item, strtoll(eq + 2, NULL, 10), src, &err), 0);
		else if (eq[1] == '?')
			cr_assert_eq(attrs_set_bool(a, item, strcmp(eq + 2, "true") == 0, src, &err), 0);
		else
			cr_assert_eq(attrs_set_str(a, item, eq + 1, src, &err), 0, "%s", err.msg);
	}
	return a;
}

struct policy_result *ptu_eval(policy_engine *e, const attrs_set *a)
{
	struct eph_err err = {{0}};
	struct policy_result *r = NULL;

	cr_assert_eq(policy_evaluate(&r, e, a, &err), 0, "%s", err.msg);
	return r;
}

char *ptu_policy(const char *rules)
{
	static const char head[] =
		"{\n"
		"  \"version\": 1,\n"
		"  \"sizes\": [\n"
		"    {\"name\": \"s1\", \"vcpu_milli\": 250, \"mem_mib\": 256},\n"
		"    {\"name\": \"s2\", \"vcpu_milli\": 500, \"mem_mib\": 512},\n"
		"    {\"name\": \"s3\", \"vcpu_milli\": 1000, \"mem_mib\": 1024},\n"
		"    {\"name\": \"s4\", \"vcpu_milli\": 2000, \"mem_mib\": 2048},\n"
		"    {\"name\": \"s5\", \"vcpu_milli\": 4000, \"mem_mib\": 4096}\n"
		"  ],\n"
		"  \"rules\": ";
	size_t n = sizeof(head) + strlen(rules) + 4;
	char *out = malloc(n);

	cr_assert_not_null(out);
	snprintf(out, n, "%s%s\n}\n", head, rules);
	return out;
}
