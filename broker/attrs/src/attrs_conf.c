/*
 * attrs_conf.c - confidence rules: the built-in defaults, reading them from
 * the "confidence" object of a policy file, and computing an attribute's
 * confidence with them (formula in attrs.h).
 *
 * Not here: where the object sits in the policy file or which line it is
 * on (broker/policy maps the `where` path this file reports to a line).
 */
#include "attrs.h"

#include <stdio.h>
#include <string.h>

static const char *const src_keys[ATTRS_SRC_N] = {
	"hardware", "hardware_stale", "issuer", "self",
};

void attrs_conf_default(struct attrs_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->base[ATTRS_SRC_HW_FRESH] = 1.0;
	conf->base[ATTRS_SRC_HW_STALE] = 0.7;
	conf->base[ATTRS_SRC_ISSUER] = 0.8;
	conf->base[ATTRS_SRC_SELF] = 0.3;
	conf->penalty = 0.15;
}

static void set_where(char *where, size_t wn, const char *a, const char *b)
{
	if (where == NULL || wn == 0)
		return;
	if (b != NULL)
		snprintf(where, wn, "%s.%s", a, b);
	else
		snprintf(where, wn, "%s", a);
}

/* A number in [0,1] (integers 0 and 1 too). */
static int unit_number(double *out, const json_t *v, const char *path, struct eph_err *err)
{
	double d;

	if (!json_is_number(v))
		return eph_err_set(err, EPH_EFORMAT, "confidence.%s: expected a number in [0,1]",
				   path);
	d = json_number_value(v);
	if (!(d >= 0.0 && d <= 1.0))
		return eph_err_set(err, EPH_EFORMAT, "confidence.%s: %g is outside [0,1]", path, d);
	*out = d;
	return 0;
}

/* Index of a source key, or -1. */
static int src_key(const char *key)
{
	for (int i = 0; i < ATTRS_SRC_N; i++) {
		if (strcmp(key, src_keys[i]) == 0)
			return i;
	}
	return -1;
}

static int per_attr(struct attrs_conf_attr *ca, const char *name, const json_t *obj, char *where,
		    size_t wn, struct eph_err *err)
{
	const char *key;
	json_t *v;
	char path[160];
	int rc;

	if (!attrs_name_ok(name)) {
		set_where(where, wn, "per_attribute", name);
		return eph_err_set(err, EPH_EFORMAT, "confidence.per_attribute: bad attribute name \"%.64s\"",
				   name);
	}
	if (!json_is_object(obj)) {
		set_where(where, wn, "per_attribute", name);
		return eph_err_set(err, EPH_EFORMAT,
				   "confidence.per_attribute.%s: expected an object", name);
	}
	memset(ca, 0, sizeof(*ca));
	memcpy(ca->name, name, strlen(name) + 1);
	json_object_foreach((json_t *)obj, key, v) {
		int s = src_key(key);

		snprintf(path, sizeof(path), "per_attribute.%s.%s", name, key);
		if (s >= 0) {
			rc = unit_number(&ca->base[s], v, path, err);
			ca->has_base[s] = true;
		} else if (strcmp(key, "warning_penalty") == 0) {
			rc = unit_number(&ca->penalty, v, path, err);
			ca->has_penalty = true;
		} else {
			rc = eph_err_set(err, EPH_EFORMAT,
					 "confidence.%s: unknown key (hardware, hardware_stale, issuer, self, warning_penalty)",
					 path);
		}
		if (rc < 0) {
			set_where(where, wn, path, NULL);
			return rc;
		}
	}
	return 0;
}

int attrs_conf_from_json(struct attrs_conf *conf, const json_t *obj, char *where, size_t wn,
			 struct eph_err *err)
{
	const char *key;
	json_t *v;
	int rc = 0;

	attrs_conf_default(conf);
	if (where != NULL && wn > 0)
		where[0] = '\0';
	if (!json_is_object(obj))
		return eph_err_set(err, EPH_EFORMAT, "confidence: expected an object");
	json_object_foreach((json_t *)obj, key, v) {
		int s = src_key(key);

		if (s >= 0) {
			rc = unit_number(&conf->base[s], v, key, err);
		} else if (strcmp(key, "warning_penalty") == 0) {
			rc = unit_number(&conf->penalty, v, key, err);
		} else if (strcmp(key, "per_attribute") == 0) {
			const char *name;
			json_t *o;

			if (!json_is_object(v)) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "confidence.per_attribute: expected an object");
			} else if (json_object_size(v) > ATTRS_CONF_MAX) {
				rc = eph_err_set(err, EPH_EFORMAT,
						 "confidence.per_attribute: more than %d entries",
						 ATTRS_CONF_MAX);
			} else {
				json_object_foreach(v, name, o) {
					rc = per_attr(&conf->attr[conf->nattr], name, o, where, wn,
						      err);
					if (rc < 0)
						return rc;
					conf->nattr++;
				}
			}
		} else {
			rc = eph_err_set(err, EPH_EFORMAT,
					 "confidence: unknown key \"%.64s\" (hardware, hardware_stale, issuer, self, warning_penalty, per_attribute)",
					 key);
		}
		if (rc < 0) {
			set_where(where, wn, key, NULL);
			return rc;
		}
	}
	return 0;
}

double attrs_confidence(const struct attrs_conf *conf, const struct attrs_attr *a)
{
	double base, pen, c;
	unsigned s = (unsigned)a->source;

	if (s >= ATTRS_SRC_N)
		return 0.0;
	base = conf->base[s];
	pen = conf->penalty;
	for (size_t i = 0; i < conf->nattr; i++) {
		const struct attrs_conf_attr *ca = &conf->attr[i];

		if (strcmp(ca->name, a->name) != 0)
			continue;
		if (ca->has_base[s])
			base = ca->base[s];
		if (ca->has_penalty)
			pen = ca->penalty;
		break;
	}
	c = base - pen * (double)a->nwarn;
	if (c < 0.0)
		c = 0.0;
	if (c > 1.0)
		c = 1.0;
	return c;
}
