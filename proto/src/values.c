/*
 * values.c - reading the scalar values of a decoded CBOR tree (RFC 8949
 * major types 0, 1, 3 and 7), for the table walk and the nested handlers,
 * each failure naming the value ("key 19 (status): ..."):
 *   - unsigned integers with an upper bound (a negative integer is named
 *     with its value: 0x20 is "-1");
 *   - text strings: valid UTF-8 (RFC 3629: no overlong forms, surrogates
 *     or code points beyond U+10FFFF), no NUL and no other C0 control
 *     character or DEL (every text here is one loggable line), at most
 *     cap - 1 bytes so that the copy is NUL-terminated. Example:
 *     62 6f6b ("ok") is read; 63 6f006b (NUL inside) and 62 c080 (an
 *     overlong NUL) are refused;
 *   - the CBOR type of an item as words, for "expected X, got Y".
 *
 * Not here: byte strings and the table walk (decode.c).
 */
#include "wire-priv.h"

#include <stdio.h>
#include <string.h>

const char *wire__type_name(const cbor_item_t *item)
{
	switch (cbor_typeof(item)) {
	case CBOR_TYPE_UINT:
		return "unsigned integer";
	case CBOR_TYPE_NEGINT:
		return "negative integer";
	case CBOR_TYPE_BYTESTRING:
		return "byte string";
	case CBOR_TYPE_STRING:
		return "text string";
	case CBOR_TYPE_ARRAY:
		return "array";
	case CBOR_TYPE_MAP:
		return "map";
	case CBOR_TYPE_TAG:
		return "tag";
	case CBOR_TYPE_FLOAT_CTRL:
		/* Not cbor_is_bool()/cbor_is_null(): libcbor 0.8 asserts when they
		 * meet a float. Only ask a control item for its value. */
		if (!cbor_float_ctrl_is_ctrl(item))
			return "float";
		switch (cbor_ctrl_value(item)) {
		case CBOR_CTRL_FALSE:
		case CBOR_CTRL_TRUE:
			return "boolean";
		case CBOR_CTRL_NULL:
			return "null";
		case CBOR_CTRL_UNDEF:
			return "undefined";
		default:
			return "simple value";
		}
	}
	return "unknown type";
}

/* "-5" for the CBOR negative integer whose raw argument is n (value -1-n). */
const char *wire__negint_str(char buf[24], uint64_t n)
{
	if (n == UINT64_MAX)
		return "-18446744073709551616";
	snprintf(buf, 24, "-%llu", (unsigned long long)n + 1);
	return buf;
}

int wire__get_uint(uint64_t *v, const cbor_item_t *item, uint64_t max, const char *what,
		   struct eph_err *err)
{
	char neg[24];
	uint64_t x;

	if (cbor_isa_negint(item))
		return eph_err_set(err, EPH_EFORMAT, "%s: negative integer %s, expected 0..%llu",
				   what, wire__negint_str(neg, cbor_get_int(item)),
				   (unsigned long long)max);
	if (!cbor_isa_uint(item))
		return eph_err_set(err, EPH_EFORMAT, "%s: expected unsigned integer, got %s", what,
				   wire__type_name(item));
	x = cbor_get_int(item);
	if (x > max)
		return eph_err_set(err, EPH_EFORMAT, "%s: %llu exceeds %llu", what,
				   (unsigned long long)x, (unsigned long long)max);
	*v = x;
	return 0;
}

/* Length of the UTF-8 sequence led by b, 0 when b cannot lead one. */
static size_t utf8_seq_len(uint8_t b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

size_t wire__utf8_check(const uint8_t *s, size_t n)
{
	size_t i = 0, k, j;
	uint32_t cp;

	while (i < n) {
		k = utf8_seq_len(s[i]);
		if (k == 0 || k > n - i)
			return i;
		cp = k == 1 ? s[i] : (uint32_t)(s[i] & (0x7f >> k));
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
		if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += k;
	}
	return n;
}

int wire__check_text(const uint8_t *s, size_t n, const char *what, struct eph_err *err)
{
	size_t i, bad;

	for (i = 0; i < n; i++) {
		if (s[i] == 0)
			return eph_err_set(err, EPH_EFORMAT, "%s: NUL in text string at byte %zu",
					   what, i);
		if (s[i] < 0x20 || s[i] == 0x7f)
			return eph_err_set(err, EPH_EFORMAT,
					   "%s: control character 0x%02x in text string at byte %zu",
					   what, s[i], i);
	}
	bad = wire__utf8_check(s, n);
	if (bad != n)
		return eph_err_set(err, EPH_EFORMAT, "%s: invalid UTF-8 at byte %zu", what, bad);
	return 0;
}

int wire__get_text(char *dst, size_t cap, const cbor_item_t *item, const char *what,
		   struct eph_err *err)
{
	size_t n;
	int rc;

	if (!cbor_isa_string(item))
		return eph_err_set(err, EPH_EFORMAT, "%s: expected text string, got %s", what,
				   wire__type_name(item));
	if (!cbor_string_is_definite(item))
		return eph_err_set(err, EPH_EFORMAT, "%s: indefinite-length text string", what);
	n = cbor_string_length(item);
	if (n > cap - 1)
		return eph_err_set(err, EPH_EFORMAT, "%s: text string of %zu bytes exceeds %zu",
				   what, n, cap - 1);
	rc = wire__check_text(cbor_string_handle(item), n, what, err);
	if (rc < 0)
		return rc;
	if (n > 0)
		memcpy(dst, cbor_string_handle(item), n);
	dst[n] = '\0';
	return 0;
}
