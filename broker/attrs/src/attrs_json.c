/*
 * attrs_json.c - attribute sets to and from JSON (format in attrs.h).
 *
 * Not here: JSON of confidence rules (attrs_conf.c). Files are read whole
 * with a cap (ATTRS_FILE_MAX); jansson does the parsing and rejects
 * duplicate keys (JSON_REJECT_DUPLICATES).
 */
#include "attrs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eph_file.h"

static int one_attr(attrs_set *set, const char *name, const json_t *o, struct eph_err *err)
{
	struct attrs_attr a;
	const char *key;
	json_t *v, *value = NULL, *source = NULL, *warnings = NULL, *conf = NULL;

	if (!attrs_name_ok(name))
		return eph_err_set(err, EPH_EFORMAT,
				   "attribute \"%.64s\": bad name (1..%d bytes of a-z 0-9 _ . -)", name,
				   ATTRS_NAME_MAX - 1);
	if (!json_is_object(o))
		return eph_err_set(err, EPH_EFORMAT,
				   "attribute %s: expected an object {\"value\", \"source\"}", name);
	json_object_foreach((json_t *)o, key, v) {
		if (strcmp(key, "value") == 0)
			value = v;
		else if (strcmp(key, "source") == 0)
			source = v;
		else if (strcmp(key, "warnings") == 0)
			warnings = v;
		else if (strcmp(key, "confidence") == 0)
			conf = v;
		else
			return eph_err_set(err, EPH_EFORMAT,
					   "attribute %s: unknown key \"%.64s\" (value, source, warnings, confidence)",
					   name, key);
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.name, name, strlen(name) + 1);
	if (value == NULL)
		return eph_err_set(err, EPH_EFORMAT, "attribute %s: no \"value\"", name);
	if (json_is_string(value)) {
		if (json_string_length(value) >= ATTRS_VALUE_MAX ||
		    strlen(json_string_value(value)) != json_string_length(value))
			return eph_err_set(err, EPH_EFORMAT,
					   "attribute %s: value longer than %d bytes or holds NUL",
					   name, ATTRS_VALUE_MAX - 1);
		a.type = ATTRS_STR;
		memcpy(a.str, json_string_value(value), json_string_length(value) + 1);
	} else if (json_is_integer(value)) {
		a.type = ATTRS_INT;
		a.num = json_integer_value(value);
	} else if (json_is_boolean(value)) {
		a.type = ATTRS_BOOL;
		a.flag = json_is_true(value);
	} else {
		return eph_err_set(err, EPH_EFORMAT,
				   "attribute %s: value must be a string, an integer or a boolean", name);
	}
	if (source == NULL || !json_is_string(source))
		return eph_err_set(err, EPH_EFORMAT,
				   "attribute %s: \"source\" must be one of hardware, hardware_stale, issuer, self",
				   name);
	if (attrs_source_from_name(&a.source, json_string_value(source)) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "attribute %s: unknown source \"%.32s\" (hardware, hardware_stale, issuer, self)",
				   name, json_string_value(source));
	if (warnings != NULL) {
		size_t i;
		json_t *w;

		if (!json_is_array(warnings))
			return eph_err_set(err, EPH_EFORMAT,
					   "attribute %s: \"warnings\" must be an array of strings", name);
		json_array_foreach(warnings, i, w) {
			if (!json_is_string(w))
				return eph_err_set(err, EPH_EFORMAT,
						   "attribute %s: warnings[%zu] is not a string", name, i);
			if (a.nwarn < ATTRS_MAX_WARN) {
				size_t n = strnlen(json_string_value(w), ATTRS_WARN_MAX - 1);

				memcpy(a.warn[a.nwarn], json_string_value(w), n);
				a.warn[a.nwarn][n] = '\0';
			}
			a.nwarn++;
		}
	}
	if (conf != NULL) {
		double d;

		if (!json_is_number(conf))
			return eph_err_set(err, EPH_EFORMAT,
					   "attribute %s: \"confidence\" must be a number in [0,1]", name);
		d = json_number_value(conf);
		if (!(d >= 0.0 && d <= 1.0))
			return eph_err_set(err, EPH_EFORMAT,
					   "attribute %s: confidence %g is outside [0,1]", name, d);
		a.confidence = d;
	} else {
		struct attrs_conf def;

		attrs_conf_default(&def);
		a.confidence = attrs_confidence(&def, &a);
	}
	return attrs_put(set, &a, err);
}

int attrs_from_json(attrs_set **out, const char *text, size_t len, struct eph_err *err)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	attrs_set *set = NULL;
	const char *name;
	int rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return eph_err_set(err, EPH_EFORMAT, "attributes: line %d, column %d: %s", jerr.line,
				   jerr.column, jerr.text);
	if (!json_is_object(root)) {
		rc = eph_err_set(err, EPH_EFORMAT,
				 "attributes: expected an object of name -> {value, source}");
		goto out;
	}
	if (json_object_size(root) > ATTRS_MAX) {
		rc = eph_err_set(err, EPH_EFORMAT, "attributes: more than %d attributes", ATTRS_MAX);
		goto out;
	}
	rc = attrs_new(&set, err);
	if (rc < 0)
		goto out;
	json_object_foreach(root, name, v) {
		rc = one_attr(set, name, v, err);
		if (rc < 0)
			goto out;
	}
	*out = set;
	set = NULL;
out:
	attrs_free(set);
	json_decref(root);
	return rc;
}

int attrs_load_file(attrs_set **out, const char *path, struct eph_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = eph_file_read(&buf, &len, path, ATTRS_FILE_MAX, err);
	if (rc < 0)
		return rc;
	rc = attrs_from_json(out, (const char *)buf, len, err);
	if (rc < 0)
		eph_err_prefix(err, rc, "%s", path);
	free(buf);
	return rc;
}

static json_t *attr_json(const struct attrs_attr *a)
{
	json_t *o = json_object(), *w = json_array(), *v = NULL;

	if (o == NULL || w == NULL)
		goto fail;
	switch (a->type) {
	case ATTRS_STR:
		v = json_string(a->str);
		break;
	case ATTRS_INT:
		v = json_integer(a->num);
		break;
	default:
		v = json_boolean(a->flag);
		break;
	}
	if (json_object_set_new(o, "value", v) < 0 ||
	    json_object_set_new(o, "source", json_string(attrs_source_name(a->source))) < 0)
		goto fail;
	for (unsigned i = 0; i < a->nwarn && i < ATTRS_MAX_WARN; i++) {
		if (json_array_append_new(w, json_string(a->warn[i])) < 0)
			goto fail;
	}
	if (json_array_size(w) > 0) {
		if (json_object_set(o, "warnings", w) < 0)
			goto fail;
	}
	json_decref(w);
	/* Two decimals: what a human reads; the rules recompute it anyway. */
	if (json_object_set_new(o, "confidence",
				json_real((double)(long long)(a->confidence * 100.0 + 0.5) / 100.0)) <
	    0) {
		json_decref(o);
		return NULL;
	}
	return o;
fail:
	json_decref(w);
	json_decref(o);
	return NULL;
}

int attrs_to_json(char **out, const attrs_set *set, struct eph_err *err)
{
	json_t *root = json_object();
	int rc = 0;

	*out = NULL;
	if (root == NULL)
		return eph_err_set(err, EPH_ENOMEM, "attrs: out of memory writing JSON");
	for (size_t i = 0; i < attrs_count(set); i++) {
		const struct attrs_attr *a = attrs_at(set, i);
		json_t *o = attr_json(a);

		if (o == NULL || json_object_set_new(root, a->name, o) < 0) {
			rc = eph_err_set(err, EPH_ENOMEM, "attrs: out of memory writing %s", a->name);
			goto out;
		}
	}
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (*out == NULL)
		rc = eph_err_set(err, EPH_ENOMEM, "attrs: out of memory writing JSON");
out:
	json_decref(root);
	return rc;
}
