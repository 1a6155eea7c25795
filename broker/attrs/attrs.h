/*
 * attrs.h - attested attributes (prefix attrs_): a small set of named
 * values, each with where it came from (its source kind), the warnings
 * raised while establishing it, and a confidence in [0,1].
 *
 * What this module does:
 *   - the attribute set and its accessors (attrs_set_*, attrs_get, attrs_at);
 *   - confidence rules as data (struct attrs_conf, loaded from the
 *     "confidence" object of policy.json) and computing each attribute's
 *     confidence from its source and warnings with them;
 *   - JSON load/dump of attribute sets (the file `ephemeractl policy explain
 *     --attrs FILE` reads).
 *
 * What it does not do: decide anything (broker/policy), appraise evidence
 * (broker/appraise), verify requester tokens (broker/cwt). The set is
 * bounded (ATTRS_MAX attributes) and plain data: copy it freely.
 *
 * Confidence (DESIGN.md, "Attested attributes and confidence"):
 *   confidence = base(name, source) - warnings * penalty(name), clamped to [0,1]
 * where base and penalty come from the rules: per_attribute overrides first,
 * then the defaults for the source kind. Built-in defaults (used until a
 * policy supplies its own): hardware 1.0, hardware_stale 0.7, issuer 0.8,
 * self 0.3, warning_penalty 0.15.
 *
 * Not thread-safe: a set belongs to one thread at a time.
 */
#ifndef ATTRS_H
#define ATTRS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "eph_err.h"

#define ATTRS_NAME_MAX 64    /* name bytes with the NUL: [a-z0-9_.-], 1..63 */
#define ATTRS_VALUE_MAX 256  /* string value bytes with the NUL (= WIRE_MAX_TEXT) */
#define ATTRS_MAX 64         /* attributes in one set */
#define ATTRS_MAX_WARN 4     /* warning texts kept per attribute (all are counted) */
#define ATTRS_WARN_MAX 160   /* one warning text, with the NUL */
#define ATTRS_CONF_MAX 32    /* per_attribute entries in confidence rules */
#define ATTRS_FILE_MAX (1u << 20) /* an attribute file, bytes */

enum attrs_type {
	ATTRS_STR = 1,
	ATTRS_INT = 2,
	ATTRS_BOOL = 3,
};

/* Where a value came from; the order is from most to least trusted. */
enum attrs_source {
	ATTRS_SRC_HW_FRESH = 0, /* "hardware": verified hardware-rooted evidence, fresh nonce */
	ATTRS_SRC_HW_STALE = 1, /* "hardware_stale": verified, but from an earlier challenge */
	ATTRS_SRC_ISSUER = 2,   /* "issuer": signed by a trusted issuer (CWT) */
	ATTRS_SRC_SELF = 3,     /* "self": asserted by the requester, unverified */
};
#define ATTRS_SRC_N 4

struct attrs_attr {
	char name[ATTRS_NAME_MAX];
	enum attrs_type type;
	char str[ATTRS_VALUE_MAX]; /* ATTRS_STR value ("" otherwise) */
	long long num;             /* ATTRS_INT value */
	bool flag;                 /* ATTRS_BOOL value */
	enum attrs_source source;
	unsigned nwarn;            /* number of warnings, all counted */
	char warn[ATTRS_MAX_WARN][ATTRS_WARN_MAX]; /* the first ATTRS_MAX_WARN texts */
	double confidence;         /* [0,1]; from the rules last applied (built-in
	                            * defaults until attrs_conf_apply) */
};

typedef struct attrs_set attrs_set; /* opaque */

/* An empty set; free with attrs_free(). */
int attrs_new(attrs_set **out, struct eph_err *err);
void attrs_free(attrs_set *set);

/*
 * Set (add or replace) an attribute. Replacing drops the old warnings.
 * EPH_EFORMAT for a bad name or an over-long value, EPH_EFAIL when the set
 * is full.
 */
int attrs_set_str(attrs_set *set, const char *name, const char *value, enum attrs_source src,
		  struct eph_err *err);
int attrs_set_int(attrs_set *set, const char *name, long long value, enum attrs_source src,
		  struct eph_err *err);
int attrs_set_bool(attrs_set *set, const char *name, bool value, enum attrs_source src,
		   struct eph_err *err);

/* Add (or replace) a copy of a, warnings and confidence included. */
int attrs_put(attrs_set *set, const struct attrs_attr *a, struct eph_err *err);

/*
 * Record a warning against an existing attribute: it lowers the confidence
 * by the warning penalty. EPH_ENOTFOUND when name is not in the set.
 * The text is truncated to ATTRS_WARN_MAX-1 bytes.
 */
int attrs_warn(attrs_set *set, const char *name, const char *text, struct eph_err *err);

/* The attribute called name, NULL if absent. Valid until the set changes. */
const struct attrs_attr *attrs_get(const attrs_set *set, const char *name);

/* Iteration in insertion order: attrs_at(set, i) for i < attrs_count(set). */
size_t attrs_count(const attrs_set *set);
const struct attrs_attr *attrs_at(const attrs_set *set, size_t i);

/* The value as text: "analyst", "3", "true". Truncates to n-1 bytes. */
void attrs_value_text(char *out, size_t n, const struct attrs_attr *a);

/* "hardware", "hardware_stale", "issuer", "self". */
const char *attrs_source_name(enum attrs_source src);
/* Inverse of attrs_source_name; -1 for an unknown name. */
int attrs_source_from_name(enum attrs_source *out, const char *name);

/* A valid attribute name: 1..ATTRS_NAME_MAX-1 bytes of [a-z0-9_.-]. */
bool attrs_name_ok(const char *name);

/* ---------------------------------------------------------------------- */
/* Confidence rules                                                        */
/* ---------------------------------------------------------------------- */

struct attrs_conf_attr {
	char name[ATTRS_NAME_MAX];
	bool has_base[ATTRS_SRC_N]; /* which sources this entry overrides */
	double base[ATTRS_SRC_N];
	bool has_penalty;
	double penalty;
};

struct attrs_conf {
	double base[ATTRS_SRC_N]; /* per source kind, [0,1] */
	double penalty;           /* per warning, [0,1] */
	size_t nattr;
	struct attrs_conf_attr attr[ATTRS_CONF_MAX];
};

/* The built-in defaults listed at the top of this file. */
void attrs_conf_default(struct attrs_conf *conf);

/*
 * Read rules from a JSON object:
 *   {"hardware": 1.0, "hardware_stale": 0.7, "issuer": 0.8, "self": 0.3,
 *    "warning_penalty": 0.15,
 *    "per_attribute": {"role": {"self": 0.1, "warning_penalty": 0.3}, ...}}
 * Every key is optional (missing ones keep the built-in defaults); unknown
 * keys, non-numbers and values outside [0,1] are EPH_EFORMAT. On failure
 * `where` (may be NULL) receives the dotted path of the bad value relative
 * to obj ("per_attribute.role.self") so the caller can name its line.
 */
int attrs_conf_from_json(struct attrs_conf *conf, const json_t *obj, char *where, size_t wn,
			 struct eph_err *err);

/* The confidence the rules give a (its source and its warning count). */
double attrs_confidence(const struct attrs_conf *conf, const struct attrs_attr *a);

/* Recompute every attribute's confidence with conf. */
void attrs_conf_apply(const struct attrs_conf *conf, attrs_set *set);

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */
/* ---------------------------------------------------------------------- */

/*
 * An attribute file is one JSON object, attribute name -> description:
 *   {"role":      {"value": "analyst", "source": "issuer"},
 *    "clearance": {"value": 3, "source": "issuer", "warnings": ["issuer key rotated"]},
 *    "secure_boot": {"value": true, "source": "hardware"}}
 * value: string, integer or boolean (its JSON type is the attribute type);
 * source: required; warnings: optional array of strings; confidence:
 * optional and informational (what attrs_to_json wrote): it is kept, and
 * recomputed whenever rules are applied. Unknown keys are refused.
 * EPH_EFORMAT names the line (syntax) or the attribute and key (meaning).
 */
int attrs_from_json(attrs_set **out, const char *text, size_t len, struct eph_err *err);

/* attrs_from_json on a file ("-": standard input), at most ATTRS_FILE_MAX bytes. */
int attrs_load_file(attrs_set **out, const char *path, struct eph_err *err);

/* The set in the format above (confidence included) as a new NUL-terminated
 * string; free() it. */
int attrs_to_json(char **out, const attrs_set *set, struct eph_err *err);

#endif
