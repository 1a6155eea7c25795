/*
 * attrs_json_fuzzer.c - libFuzzer target for attribute files
 * (broker/attrs: attrs_from_json, the file `ephemeractl policy explain
 * --attrs FILE` and the broker's tests read), with a round-trip oracle
 * through attrs_to_json.
 *
 * Input: the JSON text, e.g.
 *   {"role": {"value": "analyst", "source": "issuer"},
 *    "clearance": {"value": 3, "source": "issuer", "warnings": ["rotated"]}}
 * Seeds: tests/fuzz/corpora/attrs_json/ (the shapes of tests/unit/attrs
 * and tests/unit/policy; tests/fuzz/make-json-seeds.py).
 *
 * Contracts checked (abort when broken): a refusal is EPH_EFORMAT (or
 * EPH_ENOMEM) with a message and leaves *out NULL; an accepted set has at
 * most ATTRS_MAX attributes with valid names, known types and sources,
 * confidences in [0,1], terminated texts; it dumps to JSON that parses
 * back to the same attributes and dumps again to the same text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const struct eph_err *err)
{
	if (ok)
		return;
	fprintf(stderr, "attrs_json_fuzzer: contract broken: %s (err: \"%s\")\n", what,
		err != NULL ? err->msg : "");
	abort();
}

static void check_attr(const struct attrs_attr *a)
{
	unsigned w;

	check(memchr(a->name, '\0', sizeof(a->name)) != NULL && attrs_name_ok(a->name),
	      "bad attribute name accepted", NULL);
	check(a->type == ATTRS_STR || a->type == ATTRS_INT || a->type == ATTRS_BOOL, "type",
	      NULL);
	check((unsigned)a->source < ATTRS_SRC_N, "source", NULL);
	check(memchr(a->str, '\0', sizeof(a->str)) != NULL, "value not terminated", NULL);
	check(a->confidence >= 0.0 && a->confidence <= 1.0, "confidence outside [0,1]", NULL);
	for (w = 0; w < a->nwarn && w < ATTRS_MAX_WARN; w++)
		check(memchr(a->warn[w], '\0', sizeof(a->warn[w])) != NULL,
		      "warning not terminated", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eph_err err = {{0}};
	attrs_set *set = (attrs_set *)&err, *back = NULL;
	char *j1 = NULL, *j2 = NULL;
	size_t i, n;
	int rc;

	rc = attrs_from_json(&set, (const char *)data, size, &err);
	if (rc < 0) {
		check(set == NULL, "failed parse left *out set", &err);
		check(rc == EPH_EFORMAT || rc == EPH_ENOMEM, "refusal code", &err);
		check(err.msg[0] != '\0', "refusal without a message", &err);
		return 0;
	}
	n = attrs_count(set);
	check(n <= ATTRS_MAX, "more than ATTRS_MAX attributes", NULL);
	check(attrs_at(set, n) == NULL, "attrs_at past the end", NULL);
	for (i = 0; i < n; i++) {
		const struct attrs_attr *a = attrs_at(set, i);

		check(a != NULL, "attrs_at in range returned NULL", NULL);
		check_attr(a);
		check(attrs_get(set, a->name) == a, "attrs_get misses an attribute", NULL);
	}
	check(attrs_to_json(&j1, set, &err) == 0, "an accepted set does not dump", &err);
	check(attrs_from_json(&back, j1, strlen(j1), &err) == 0, "own dump does not parse", &err);
	check(attrs_count(back) == n, "round trip changes the count", NULL);
	check(attrs_to_json(&j2, back, &err) == 0 && strcmp(j1, j2) == 0,
	      "round trip changes the dump", &err);
	free(j1);
	free(j2);
	attrs_free(back);
	attrs_free(set);
	return 0;
}
