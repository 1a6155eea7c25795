/*
 * policy-priv.h - what the files of broker/policy share: the loaded policy,
 * its rules and conditions, the JSON line index.
 */
#ifndef POLICY_PRIV_H
#define POLICY_PRIV_H

#include <jansson.h>

#include "policy.h"

#define POLICY__PATH_MAX 256 /* a dotted JSON path: rules[3].match.role.in[2] */

/* A value in a condition: the attribute types. */
struct policy__value {
	enum attrs_type type;
	char *str; /* ATTRS_STR, owned */
	long long num;
	bool flag;
};

/* Conditions on one attribute (all must hold). */
struct policy__cond {
	char attr[ATTRS_NAME_MAX];
	int present;        /* -1 not said, 0 must be absent, 1 must be present */
	bool has_eq;
	struct policy__value eq;
	size_t nin;         /* > 0: value must be one of in[] */
	struct policy__value *in;
	bool has_ge, has_le;
	long long ge, le;
	double min_conf;    /* < 0: the match's min_confidence */
	double max_conf;    /* > 1: none */
};

struct policy__rule {
	char name[POLICY_NAME_MAX];
	unsigned line;
	double min_conf;    /* match-level min_confidence, 0 when not given */
	size_t ncond;
	struct policy__cond *cond;
	struct policy_constraints c;
};

struct policy__pol {
	unsigned refs;      /* guarded by the engine's mutex */
	unsigned long generation;
	char file[4096];
	size_t nsizes;
	struct policy_size sizes[POLICY_MAX_SIZES];
	struct attrs_conf conf;
	struct policy_constraints defaults; /* built-ins overlaid with "defaults" */
	size_t nrules;
	struct policy__rule rules[POLICY_MAX_RULES];
};

/* Line index of a JSON text: dotted path -> line. */
struct policy__lines {
	size_t n, cap;
	struct {
		char *path;
		unsigned line;
	} *e;
};

/* Index every member and element of text (which jansson already parsed). */
int policy__lines_build(struct policy__lines *li, const char *text, size_t len);
/* The line of path, or of its longest indexed prefix; 1 if none. */
unsigned policy__lines_find(const struct policy__lines *li, const char *path);
void policy__lines_free(struct policy__lines *li);

/*
 * Parse and validate a whole policy.json (policy_parse.c). file names it
 * in messages. On failure *out is NULL and err holds "file:line: ...".
 */
int policy__parse(struct policy__pol **out, const char *file, const char *text, size_t len,
		  struct eph_err *err);
int policy__load_dir(struct policy__pol **out, const char *dir, struct eph_err *err);
void policy__pol_free(struct policy__pol *p);

/*
 * Parse a rule / a constraints object (policy_rule.c). On failure *where
 * holds the dotted path of the bad value, relative to obj.
 */
int policy__rule_parse(struct policy__rule *r, const json_t *obj, const struct policy__pol *p,
		       char *where, size_t wn, struct eph_err *err);
int policy__constraints_parse(struct policy_constraints *c, const json_t *obj,
			      const struct policy__pol *p, bool allow_deny, char *where,
			      size_t wn, struct eph_err *err);
void policy__rule_free(struct policy__rule *r);

/* Built-in defaults: every field set, the values of policy.h. */
void policy__builtin_defaults(struct policy_constraints *c, size_t nsizes);

/* Evaluate one rule (policy_eval.c): true when it matches; why explains. */
bool policy__rule_match(const struct policy__pol *p, const struct policy__rule *r,
			const attrs_set *attrs, char *why, size_t wn);
int policy__evaluate(struct policy_result **out, const struct policy__pol *p,
		     const attrs_set *attrs, struct eph_err *err);

/* The engine's current policy with a reference held; release it after. */
struct policy__pol *policy__acquire(policy_engine *e);
void policy__release(policy_engine *e, struct policy__pol *p);

#endif
