/*
 * attrs.c - the attribute set: adding, replacing, warning, looking up,
 * iterating. A set is a fixed array of ATTRS_MAX entries in insertion order;
 * lookups are linear (a set holds a few dozen attributes).
 *
 * Not here: confidence rules (attrs_conf.c), JSON (attrs_json.c).
 */
#include "attrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct attrs_set {
	size_t n;
	struct attrs_attr a[ATTRS_MAX];
};

static const char *const src_names[ATTRS_SRC_N] = {
	[ATTRS_SRC_HW_FRESH] = "hardware",
	[ATTRS_SRC_HW_STALE] = "hardware_stale",
	[ATTRS_SRC_ISSUER] = "issuer",
	[ATTRS_SRC_SELF] = "self",
};

int attrs_new(attrs_set **out, struct eph_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return eph_err_set(err, EPH_ENOMEM, "attrs: out of memory for a set");
	return 0;
}

void attrs_free(attrs_set *set)
{
	free(set);
}

const char *attrs_source_name(enum attrs_source src)
{
	if ((unsigned)src >= ATTRS_SRC_N)
		return "?";
	return src_names[src];
}

int attrs_source_from_name(enum attrs_source *out, const char *name)
{
	for (unsigned i = 0; i < ATTRS_SRC_N; i++) {
		if (strcmp(name, src_names[i]) == 0) {
			*out = (enum attrs_source)i;
			return 0;
		}
	}
	return -1;
}

bool attrs_name_ok(const char *name)
{
	size_t n = strnlen(name, ATTRS_NAME_MAX);

	if (n == 0 || n >= ATTRS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

static struct attrs_attr *find(const attrs_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->a[i].name, name) == 0)
			return (struct attrs_attr *)&set->a[i];
	}
	return NULL;
}

/* *out = the slot for name (existing or new), cleared and named. */
static int slot(struct attrs_attr **out, attrs_set *set, const char *name, enum attrs_source src,
		struct eph_err *err)
{
	struct attrs_attr *a;
	struct attrs_conf def;

	*out = NULL;
	if (!attrs_name_ok(name))
		return eph_err_set(err, EPH_EFORMAT,
				   "attrs: bad attribute name \"%.80s\" (1..%d bytes of a-z 0-9 _ . -)",
				   name, ATTRS_NAME_MAX - 1);
	if ((unsigned)src >= ATTRS_SRC_N)
		return eph_err_set(err, EPH_EFORMAT, "attrs: attribute %s: bad source kind %d",
				   name, (int)src);
	a = find(set, name);
	if (a == NULL) {
		if (set->n == ATTRS_MAX)
			return eph_err_set(err, EPH_EFAIL, "attrs: set full (%d attributes) adding %s",
					   ATTRS_MAX, name);
		a = &set->a[set->n++];
	}
	memset(a, 0, sizeof(*a));
	memcpy(a->name, name, strlen(name) + 1);
	a->source = src;
	attrs_conf_default(&def);
	a->confidence = def.base[src];
	*out = a;
	return 0;
}

int attrs_set_str(attrs_set *set, const char *name, const char *value, enum attrs_source src,
		  struct eph_err *err)
{
	struct attrs_attr *a = NULL;
	size_t n = strnlen(value, ATTRS_VALUE_MAX);
	int rc;

	if (n >= ATTRS_VALUE_MAX)
		return eph_err_set(err, EPH_EFORMAT, "attrs: attribute %.80s: value longer than %d bytes",
				   name, ATTRS_VALUE_MAX - 1);
	rc = slot(&a, set, name, src, err);
	if (rc < 0)
		return rc;
	a->type = ATTRS_STR;
	memcpy(a->str, value, n + 1);
	return 0;
}

int attrs_set_int(attrs_set *set, const char *name, long long value, enum attrs_source src,
		  struct eph_err *err)
{
	struct attrs_attr *a = NULL;
	int rc = slot(&a, set, name, src, err);

	if (rc < 0)
		return rc;
	a->type = ATTRS_INT;
	a->num = value;
	return 0;
}

int attrs_set_bool(attrs_set *set, const char *name, bool value, enum attrs_source src,
		   struct eph_err *err)
{
	struct attrs_attr *a = NULL;
	int rc = slot(&a, set, name, src, err);

	if (rc < 0)
		return rc;
	a->type = ATTRS_BOOL;
	a->flag = value;
	return 0;
}

int attrs_put(attrs_set *set, const struct attrs_attr *src, struct eph_err *err)
{
	struct attrs_attr *a = NULL, tmp;
	int rc;

	if (src->type != ATTRS_STR && src->type != ATTRS_INT && src->type != ATTRS_BOOL)
		return eph_err_set(err, EPH_EFORMAT, "attrs: attribute %.80s: bad type %d",
				   src->name, (int)src->type);
	if (strnlen(src->str, ATTRS_VALUE_MAX) >= ATTRS_VALUE_MAX)
		return eph_err_set(err, EPH_EFORMAT, "attrs: attribute %.80s: unterminated value",
				   src->name);
	tmp = *src; /* src may live in this very set */
	rc = slot(&a, set, tmp.name, tmp.source, err);
	if (rc < 0)
		return rc;
	*a = tmp;
	return 0;
}

int attrs_warn(attrs_set *set, const char *name, const char *text, struct eph_err *err)
{
	struct attrs_attr *a = find(set, name);

	if (a == NULL)
		return eph_err_set(err, EPH_ENOTFOUND, "attrs: no attribute %.80s to warn about",
				   name);
	if (a->nwarn < ATTRS_MAX_WARN)
		snprintf(a->warn[a->nwarn], ATTRS_WARN_MAX, "%s", text);
	a->nwarn++;
	return 0;
}

const struct attrs_attr *attrs_get(const attrs_set *set, const char *name)
{
	return find(set, name);
}

size_t attrs_count(const attrs_set *set)
{
	return set->n;
}

const struct attrs_attr *attrs_at(const attrs_set *set, size_t i)
{
	return i < set->n ? &set->a[i] : NULL;
}

void attrs_value_text(char *out, size_t n, const struct attrs_attr *a)
{
	switch (a->type) {
	case ATTRS_STR:
		snprintf(out, n, "%s", a->str);
		break;
	case ATTRS_INT:
		snprintf(out, n, "%lld", a->num);
		break;
	case ATTRS_BOOL:
		snprintf(out, n, "%s", a->flag ? "true" : "false");
		break;
	default:
		snprintf(out, n, "?");
		break;
	}
}

void attrs_conf_apply(const struct attrs_conf *conf, attrs_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		set->a[i].confidence = attrs_confidence(conf, &set->a[i]);
}
