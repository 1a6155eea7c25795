/*
 * appraise_ima.c - the IMA allowlist: a keylime runtime policy
 * (keylime/keylime: keylime/ima/ima.py, "runtime policy" format 1):
 *
 *   {"meta": {"version": 1, ...}, "release": 0,
 *    "digests": {"/usr/bin/sh": ["c76e...", "..."], ...},
 *    "excludes": ["/tmp/.*", "boot_aggregate"],
 *    "keyrings": {}, "ima": {...}, "ima-buf": {}, "verification-keys": ""}
 *
 * Used here: "digests" (required; each digest hex of a known hash size) and
 * "excludes" (regular expressions matched at the start of the path, as
 * Python's re.match does; compiled as POSIX extended expressions, so
 * Python-only syntax such as \d or (?:...) is refused at load time). The
 * other keylime keys are accepted and ignored: keyrings and ima-buf entries
 * are not appraised by Ephemera. An exclude with unbalanced parentheses, or
 * whose compiled form would be too large (stacked or nested repetitions,
 * see regex_size), is refused before regcomp sees it.
 *
 * Not here: walking the measurement list (appraise.c).
 */
#include "appraise-priv.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hex.h"

void appraise__free_ima(appraise_refs *refs)
{
	for (size_t i = 0; i < refs->nima; i++)
		free(refs->ima[i].path);
	free(refs->ima);
	for (size_t i = 0; i < refs->nexcl; i++)
		regfree(&refs->excl[i]);
	free(refs->excl);
	refs->ima = NULL;
	refs->nima = 0;
	refs->excl = NULL;
	refs->nexcl = 0;
	refs->has_ima = false;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct appraise__imapair *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c != 0 ? c : strcmp(x->hex, y->hex);
}

static bool hex_digest_ok(const char *s, size_t len)
{
	uint8_t tmp[APPRAISE_MAX_DIGEST];

	if (len != 40 && len != 64 && len != 96 && len != 128)
		return false;
	return eph_hex_decode(tmp, sizeof(tmp), s, len) == (long)(len / 2);
}

static int add_pairs(appraise_refs *refs, const json_t *digests, struct eph_err *err)
{
	const char *path;
	json_t *list, *e;
	size_t total = 0, i;

	json_object_foreach((json_t *)digests, path, list) {
		if (!json_is_array(list))
			return eph_err_set(err, EPH_EFORMAT,
					   "IMA allowlist: digests[\"%.64s\"]: expected a list of hex digests",
					   path);
		total += json_array_size(list);
	}
	refs->ima = calloc(total + 1, sizeof(*refs->ima));
	if (refs->ima == NULL)
		return eph_err_set(err, EPH_ENOMEM, "IMA allowlist: out of memory (%zu digests)",
				   total);
	json_object_foreach((json_t *)digests, path, list) {
		json_array_foreach(list, i, e) {
			struct appraise__imapair *p = &refs->ima[refs->nima];
			const char *hex = json_is_string(e) ? json_string_value(e) : "";
			size_t len = json_is_string(e) ? json_string_length(e) : 0;

			if (!hex_digest_ok(hex, len))
				return eph_err_set(err, EPH_EFORMAT,
						   "IMA allowlist: digests[\"%.64s\"][%zu]: not a hex digest of a known size",
						   path, i);
			p->path = strdup(path);
			if (p->path == NULL)
				return eph_err_set(err, EPH_ENOMEM, "IMA allowlist: out of memory");
			for (size_t k = 0; k < len; k++) {
				char c = hex[k];

				p->hex[k] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
			}
			p->hex[len] = '\0';
			refs->nima++;
		}
	}
	qsort(refs->ima, refs->nima, sizeof(*refs->ima), pair_cmp);
	return 0;
}

/*
 * An estimate of the size of the parse tree glibc's regcomp builds for pat,
 * saturating at EXCL_MAX_NODES + 1. regcomp copies the repeated
 * subexpression for '+' (x+ = x x*) and for each bound of an interval
 * (x{2,4} = x x x? x?), so stacked or nested repetitions ("a+++...",
 * "((a+)+)+...", "(a{99}){99}") grow it exponentially: the fuzzer found a
 * 120-byte allowlist that made regcomp allocate more than 2 GiB. Adjacent
 * repetition operators ("a**", "()+++"; undefined in POSIX EREs) are
 * refused outright: over an empty subexpression they cost regcomp
 * exponential time without growing the tree. Returns ULONG_MAX for
 * unbalanced parentheses, which would otherwise escape the "^(...)" the
 * pattern is wrapped in (an exclude "a)|(.*" would match every path).
 */
#define EXCL_MAX_NODES 4096u
#define EXCL_MAX_DEPTH 64
#define EXCL_UNBALANCED ULONG_MAX

static unsigned long sat(unsigned long v)
{
	return v > EXCL_MAX_NODES ? EXCL_MAX_NODES + 1 : v;
}

static unsigned long regex_size(const char *p)
{
	unsigned long open[EXCL_MAX_DEPTH], cur = 0, last = 0, m, n;
	unsigned depth = 0;
	int quant = 0; /* the previous token was a repetition operator */
	char *end;

	while (*p != '\0' && cur <= EXCL_MAX_NODES) {
		char c = *p++;

		if (c == '*' || c == '?' || c == '+' || (c == '{' && *p >= '0' && *p <= '9')) {
			if (quant)
				return EXCL_MAX_NODES + 1;
			quant = 1;
		} else {
			quant = 0;
		}
		if (c == ')' && depth == 0)
			return EXCL_UNBALANCED;
		if (c == '(') {
			if (depth == EXCL_MAX_DEPTH)
				return EXCL_MAX_NODES + 1;
			open[depth++] = cur;
			cur = last = 0;
		} else if (c == ')' && depth > 0) {
			last = sat(cur + 1);
			cur = sat(open[--depth] + last);
		} else if (c == '|') {
			cur = sat(cur + 1);
			last = 0;
		} else if (c == '*' || c == '?') {
			cur = sat(cur + 1);
			last = sat(last + 1);
		} else if (c == '+') {
			cur = sat(cur + last + 1);
			last = sat(2 * last + 1);
		} else if (c == '{' && *p >= '0' && *p <= '9') {
			m = strtoul(p, &end, 10);
			n = m + 1; /* x{m,} = m copies and a star */
			if (*end == ',' && end[1] >= '0' && end[1] <= '9')
				n = strtoul(end + 1, &end, 10);
			else if (*end == ',')
				end++;
			if (*end == '}')
				p = end + 1;
			n = sat(n > m ? n : m);
			cur = sat(cur + sat(last * (n > 0 ? n - 1 : 0)) + 1);
			last = sat(last * n + 1);
		} else {
			if (c == '\\' && *p != '\0') {
				p++;
			} else if (c == '[') {
				/* One atom: [^]...], with [:class:], [.x.], [=x=] inside. */
				if (*p == '^')
					p++;
				if (*p == ']')
					p++;
				while (*p != '\0' && *p != ']') {
					if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
						const char *q = strchr(p + 2, p[1]);

						p = q != NULL && q[1] == ']' ? q + 2 : p + 1;
					} else {
						p++;
					}
				}
				if (*p == ']')
					p++;
			}
			cur = sat(cur + 1);
			last = 1;
		}
	}
	if (cur <= EXCL_MAX_NODES && depth > 0)
		return EXCL_UNBALANCED;
	return cur;
}

static int add_excludes(appraise_refs *refs, const json_t *ex, struct eph_err *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(ex))
		return eph_err_set(err, EPH_EFORMAT, "IMA allowlist: excludes: expected a list");
	refs->excl = calloc(json_array_size(ex) + 1, sizeof(*refs->excl));
	if (refs->excl == NULL)
		return eph_err_set(err, EPH_ENOMEM, "IMA allowlist: out of memory");
	json_array_foreach(ex, i, e) {
		char pat[1024];
		unsigned long size;
		int r;

		if (!json_is_string(e) || json_string_length(e) > sizeof(pat) - 8)
			return eph_err_set(err, EPH_EFORMAT,
					   "IMA allowlist: excludes[%zu]: expected a regular expression",
					   i);
		size = regex_size(json_string_value(e));
		if (size == EXCL_UNBALANCED)
			return eph_err_set(err, EPH_EFORMAT,
					   "IMA allowlist: excludes[%zu] \"%.64s\": unbalanced parentheses",
					   i, json_string_value(e));
		if (size > EXCL_MAX_NODES)
			return eph_err_set(err, EPH_EFORMAT,
					   "IMA allowlist: excludes[%zu] \"%.64s\": too complex "
					   "(repetitions stacked or expanding past %u nodes)",
					   i, json_string_value(e), EXCL_MAX_NODES);
		snprintf(pat, sizeof(pat), "^(%s)", json_string_value(e));
		r = regcomp(&refs->excl[refs->nexcl], pat, REG_EXTENDED | REG_NOSUB);
		if (r != 0) {
			char msg[128];

			regerror(r, NULL, msg, sizeof(msg));
			return eph_err_set(err, EPH_EFORMAT, "IMA allowlist: excludes[%zu] \"%.64s\": %s",
					   i, json_string_value(e), msg);
		}
		refs->nexcl++;
	}
	return 0;
}

int appraise_refs_set_ima(appraise_refs *refs, const char *text, size_t len, struct eph_err *err)
{
	json_error_t jerr;
	json_t *root, *digests, *ex;
	int rc;

	appraise__free_ima(refs);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return eph_err_set(err, EPH_EFORMAT, "IMA allowlist: line %d, column %d: %s",
				   jerr.line, jerr.column, jerr.text);
	digests = json_object_get(root, "digests");
	if (!json_is_object(root) || !json_is_object(digests)) {
		rc = eph_err_set(err, EPH_EFORMAT,
				 "IMA allowlist: expected a keylime runtime policy with a \"digests\" object");
		goto out;
	}
	rc = add_pairs(refs, digests, err);
	if (rc < 0)
		goto out;
	ex = json_object_get(root, "excludes");
	if (ex != NULL) {
		rc = add_excludes(refs, ex, err);
		if (rc < 0)
			goto out;
	}
	refs->has_ima = true;
out:
	if (rc < 0)
		appraise__free_ima(refs);
	json_decref(root);
	return rc;
}

int appraise__ima_lookup(const appraise_refs *refs, const char *path, const char *hex)
{
	size_t lo = 0, hi = refs->nima;
	bool listed = false;

	for (size_t i = 0; i < refs->nexcl; i++) {
		if (regexec(&refs->excl[i], path, 0, NULL, 0) == 0)
			return 1;
	}
	/* First pair with pair.path >= path. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(refs->ima[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < refs->nima && strcmp(refs->ima[i].path, path) == 0; i++) {
		listed = true;
		if (strcmp(refs->ima[i].hex, hex) == 0)
			return 0;
	}
	return listed ? -2 : -1;
}
