/*
 * attrs.c - the two nested values of an appraisal's outcome:
 *
 * WIRE_K_RESULT, the AR4SI trustworthiness vector (draft-ietf-rats-ar4si,
 * 2.3): a map from claim (1..8, enum wire_ar4si_claim) to tier (0..127:
 * none 0, affirming 2..31, warning 32..95, contraindicated 96..127).
 *   a2 02 02 05 18 60      {configuration: affirming, hardware: contraindicated}
 * A claim not in the map is tier 0 (none); the encoder leaves tier-0 claims
 * out and the whole key when every claim is none.
 *
 * WIRE_K_ATTRS, attested attributes: an array of at most WIRE_MAX_ATTRS
 * arrays of exactly three items [tstr name, tstr value, float confidence],
 * name non-empty, confidence in [0,1] (NaN refused). Any float width is
 * read (half, single, double); the encoder writes single precision.
 *   81 83 64 726f6c65 65 61646d696e fa 3f400000    [["role", "admin", 0.75]]
 *
 * Refused: claims outside 1..8 or twice, tiers outside 0..127, more than
 * WIRE_MAX_ATTRS attributes, an attribute that is not a 3-item array, text
 * over WIRE_MAX_TEXT - 1 bytes or not valid UTF-8, confidence outside [0,1].
 *
 * Not here: what the attribute names mean or whether a confidence is
 * deserved (broker/attrs and the policy do that).
 */
#include "wire-priv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint8_t *result_of(void *msg, const struct wire__field *f)
{
	return (uint8_t *)msg + f->off;
}

static bool result_present(const void *msg, const struct wire__field *f)
{
	const uint8_t *r = result_of((void *)msg, f);
	int c;

	for (c = 0; c <= WIRE_AR_NUM; c++)
		if (r[c] != 0)
			return true;
	return false;
}

static int result_encode(struct wire__w *w, const void *msg, const struct wire__field *f,
			 struct eph_err *err)
{
	const uint8_t *r = result_of((void *)msg, f);
	size_t n = 0;
	int c;

	if (r[0] != 0)
		return eph_err_set(err, EPH_EFAIL, "result[0] is %u: claims are 1..%d", r[0],
				   WIRE_AR_NUM);
	for (c = 1; c <= WIRE_AR_NUM; c++) {
		if (r[c] > 127)
			return eph_err_set(err, EPH_EFAIL, "claim %d: tier %u outside 0..127", c,
					   r[c]);
		n += r[c] != 0;
	}
	wire__w_map(w, n);
	for (c = 1; c <= WIRE_AR_NUM; c++) {
		if (r[c] == 0)
			continue;
		wire__w_uint(w, (uint64_t)c);
		wire__w_uint(w, r[c]);
	}
	return 0;
}

static int result_decode(void *msg, const cbor_item_t *item, const struct wire__field *f,
			 struct eph_err *err)
{
	uint8_t *r = result_of(msg, f);
	const struct cbor_pair *pairs;
	uint64_t claim, tier;
	uint32_t seen = 0;
	char what[48];
	size_t n, i;
	int rc;

	if (!cbor_isa_map(item))
		return eph_err_set(err, EPH_EFORMAT, "expected map, got %s", wire__type_name(item));
	n = cbor_map_size(item);
	if (n > WIRE_AR_NUM)
		return eph_err_set(err, EPH_EFORMAT, "%zu claims exceed %d", n, WIRE_AR_NUM);
	pairs = cbor_map_handle(item);
	for (i = 0; i < n; i++) {
		rc = wire__get_uint(&claim, pairs[i].key, WIRE_AR_NUM, "claim", err);
		if (rc < 0)
			return rc;
		if (claim == 0)
			return eph_err_set(err, EPH_EFORMAT, "claim 0: claims are 1..%d",
					   WIRE_AR_NUM);
		if (seen & 1u << claim)
			return eph_err_set(err, EPH_EFORMAT, "claim %llu twice",
					   (unsigned long long)claim);
		seen |= 1u << claim;
		snprintf(what, sizeof(what), "claim %llu: tier", (unsigned long long)claim);
		rc = wire__get_uint(&tier, pairs[i].value, 127, what, err);
		if (rc < 0)
			return rc;
		r[claim] = (uint8_t)tier;
	}
	return 0;
}

const struct wire__ops wire__result_ops = {
	.present = result_present,
	.encode = result_encode,
	.decode = result_decode,
};

static struct wire_attr *attrs_of(void *msg, const struct wire__field *f)
{
	return (struct wire_attr *)((uint8_t *)msg + f->off);
}

static uint32_t *nattrs_of(void *msg, const struct wire__field *f)
{
	return (uint32_t *)((uint8_t *)msg + f->aux);
}

static bool attrs_present(const void *msg, const struct wire__field *f)
{
	return *nattrs_of((void *)msg, f) > 0;
}

static int attrs_encode(struct wire__w *w, const void *msg, const struct wire__field *f,
			struct eph_err *err)
{
	const struct wire_attr *a = attrs_of((void *)msg, f);
	uint32_t n = *nattrs_of((void *)msg, f), i;
	size_t nlen, vlen;
	char what[48];
	int rc;

	if (n > WIRE_MAX_ATTRS)
		return eph_err_set(err, EPH_EFAIL, "%u attributes exceed %d", n, WIRE_MAX_ATTRS);
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "attr %u: name", i);
		rc = wire__text_len(&nlen, a[i].name, sizeof(a[i].name), what, err);
		if (rc < 0)
			return rc;
		if (nlen == 0)
			return eph_err_set(err, EPH_EFAIL, "attr %u: empty name", i);
		snprintf(what, sizeof(what), "attr %u: value", i);
		rc = wire__text_len(&vlen, a[i].value, sizeof(a[i].value), what, err);
		if (rc < 0)
			return rc;
		if (!(a[i].confidence >= 0.0f && a[i].confidence <= 1.0f))
			return eph_err_set(err, EPH_EFAIL, "attr %u (%s): confidence %g outside [0,1]",
					   i, a[i].name, (double)a[i].confidence);
	}
	wire__w_array(w, n);
	for (i = 0; i < n; i++) {
		wire__w_array(w, 3);
		wire__w_text(w, a[i].name, strlen(a[i].name));
		wire__w_text(w, a[i].value, strlen(a[i].value));
		wire__w_float(w, a[i].confidence);
	}
	return 0;
}

static int decode_attr(struct wire_attr *a, uint32_t i, const cbor_item_t *item,
		       struct eph_err *err)
{
	cbor_item_t **it;
	char what[48];
	double c;
	int rc;

	if (!cbor_isa_array(item) || cbor_array_size(item) != 3)
		return eph_err_set(err, EPH_EFORMAT,
				   "attr %u: expected [name, value, confidence], got %s of %zu", i,
				   wire__type_name(item),
				   cbor_isa_array(item) ? cbor_array_size(item) : (size_t)1);
	it = cbor_array_handle(item);
	snprintf(what, sizeof(what), "attr %u: name", i);
	rc = wire__get_text(a->name, sizeof(a->name), it[0], what, err);
	if (rc < 0)
		return rc;
	if (a->name[0] == '\0')
		return eph_err_set(err, EPH_EFORMAT, "attr %u: empty name", i);
	snprintf(what, sizeof(what), "attr %u: value", i);
	rc = wire__get_text(a->value, sizeof(a->value), it[1], what, err);
	if (rc < 0)
		return rc;
	if (!cbor_is_float(it[2]))
		return eph_err_set(err, EPH_EFORMAT, "attr %u (%s): confidence: expected float, got %s",
				   i, a->name, wire__type_name(it[2]));
	c = cbor_float_get_float(it[2]);
	if (!(c >= 0.0 && c <= 1.0)) /* NaN fails both */
		return eph_err_set(err, EPH_EFORMAT, "attr %u (%s): confidence %g outside [0,1]", i,
				   a->name, c);
	a->confidence = (float)c;
	return 0;
}

static int attrs_decode(void *msg, const cbor_item_t *item, const struct wire__field *f,
			struct eph_err *err)
{
	struct wire_attr *a = attrs_of(msg, f);
	uint32_t *count = nattrs_of(msg, f);
	cbor_item_t **it;
	size_t n, i;
	int rc;

	if (!cbor_isa_array(item))
		return eph_err_set(err, EPH_EFORMAT, "expected array, got %s",
				   wire__type_name(item));
	n = cbor_array_size(item);
	if (n > WIRE_MAX_ATTRS)
		return eph_err_set(err, EPH_EFORMAT, "%zu attributes exceed %d", n,
				   WIRE_MAX_ATTRS);
	it = cbor_array_handle(item);
	for (i = 0; i < n; i++) {
		rc = decode_attr(&a[i], (uint32_t)i, it[i], err);
		if (rc < 0)
			return rc;
	}
	*count = (uint32_t)n;
	return 0;
}

const struct wire__ops wire__attrs_ops = {
	.present = attrs_present,
	.encode = attrs_encode,
	.decode = attrs_decode,
};
