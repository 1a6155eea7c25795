/*
 * decode.c - the table-driven decoder of wire bodies: one CBOR map with
 * unsigned integer keys (RFC 8949 major type 5 over major type 0 keys),
 * read through a struct wire__msg table.
 *
 * Example, an activate_resp {1: 1, 19: "ok"}:
 *   a2          map(2)
 *      01 01    key 1 (version): 1
 *      13 62 6f6b   key 19 (status): text(2) "ok"
 *
 * Order of checks: structure (scan.c: size, definite lengths, depth, item
 * count, trailing bytes, top-level map), then the version, then every pair
 * (key an unsigned integer; a known key at most once and of the right CBOR
 * type; strings within their caps; text valid UTF-8 without control
 * characters), then duplicates among unknown keys, then required keys, then
 * the message's own cross-field rule. Unknown keys are skipped.
 *
 * Version: requests and responses carry WIRE_K_VERSION == WIRE_VERSION (the
 * broker answers in the version it was asked in); wire_error accepts any
 * version or none, so that a refusal from a newer or older peer, including
 * "unsupported version", can always be read.
 *
 * Not here: semantic checks of enumerated strings (cvm, directive, state),
 * which are the reader's; unwrapping CBOR tags (a tagged value on a known
 * key is the wrong type); reading scalars (values.c).
 */
#include "wire-priv.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A definite byte string of at most cap bytes (exactly cap if exact). */
static int get_bstr(const cbor_item_t *item, size_t cap, bool exact, const char *what,
		    struct eph_err *err)
{
	size_t n;

	if (!cbor_isa_bytestring(item))
		return eph_err_set(err, EPH_EFORMAT, "%s: expected byte string, got %s", what,
				   wire__type_name(item));
	if (!cbor_bytestring_is_definite(item))
		return eph_err_set(err, EPH_EFORMAT, "%s: indefinite-length byte string", what);
	n = cbor_bytestring_length(item);
	if (exact && n != cap)
		return eph_err_set(err, EPH_EFORMAT, "%s: byte string of %zu bytes, expected %zu",
				   what, n, cap);
	if (n > cap)
		return eph_err_set(err, EPH_EFORMAT, "%s: byte string of %zu bytes exceeds %zu",
				   what, n, cap);
	return 0;
}

static int get_bytes(struct wire_bytes *b, const cbor_item_t *item, size_t cap,
		     const char *what, struct eph_err *err)
{
	size_t n;
	int rc;

	rc = get_bstr(item, cap, false, what, err);
	if (rc < 0)
		return rc;
	n = cbor_bytestring_length(item);
	if (n == 0)
		return 0;
	b->p = malloc(n);
	if (b->p == NULL)
		return eph_err_set(err, EPH_ENOMEM, "%s: out of memory for %zu bytes", what, n);
	memcpy(b->p, cbor_bytestring_handle(item), n);
	b->len = n;
	return 0;
}

static int get_fixed(uint8_t *dst, const cbor_item_t *item, size_t n, const char *what,
		     struct eph_err *err)
{
	int rc;

	rc = get_bstr(item, n, true, what, err);
	if (rc < 0)
		return rc;
	memcpy(dst, cbor_bytestring_handle(item), n);
	return 0;
}

static int decode_field(void *msg, const struct wire__field *f, const cbor_item_t *v,
			const char *what, struct eph_err *err)
{
	uint8_t *at = (uint8_t *)msg + f->off;
	uint64_t x;
	int rc;

	switch (f->type) {
	case WIRE_T_UINT64:
	case WIRE_T_UINT32:
		rc = wire__get_uint(&x, v, f->type == WIRE_T_UINT32 ? UINT32_MAX : UINT64_MAX,
				    what, err);
		if (rc < 0)
			return rc;
		if (f->type == WIRE_T_UINT32)
			*(uint32_t *)at = (uint32_t)x;
		else
			*(uint64_t *)at = x;
		return 0;
	case WIRE_T_TEXT:
		return wire__get_text((char *)at, f->cap, v, what, err);
	case WIRE_T_BYTES:
		return get_bytes((struct wire_bytes *)at, v, f->cap, what, err);
	case WIRE_T_FIXED:
		return get_fixed(at, v, f->cap, what, err);
	case WIRE_T_CUSTOM:
		rc = f->ops->decode(msg, v, f, err);
		if (rc < 0)
			eph_err_prefix(err, rc, "%s", what);
		return rc;
	}
	return eph_err_set(err, EPH_EFAIL, "%s: field type %d", what, (int)f->type);
}

/* Is the decoded field empty (a required one must not be)? */
static bool field_empty(const void *msg, const struct wire__field *f)
{
	const uint8_t *at = (const uint8_t *)msg + f->off;

	switch (f->type) {
	case WIRE_T_TEXT:
		return at[0] == '\0';
	case WIRE_T_BYTES:
		return ((const struct wire_bytes *)at)->len == 0;
	case WIRE_T_CUSTOM:
		return !f->ops->present(msg, f);
	default:
		return false;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int wire__find_duplicate(uint64_t *keys, size_t n, uint64_t *dup)
{
	size_t i;

	if (n < 2)
		return 0;
	qsort(keys, n, sizeof(*keys), cmp_u64);
	for (i = 1; i < n; i++) {
		if (keys[i] == keys[i - 1]) {
			*dup = keys[i];
			return 1;
		}
	}
	return 0;
}

static int check_version(const struct wire__msg *m, const struct cbor_pair *pairs, size_t n,
			 struct eph_err *err)
{
	bool seen = false;
	uint64_t v;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (!cbor_isa_uint(pairs[i].key) || cbor_get_int(pairs[i].key) != WIRE_K_VERSION)
			continue;
		if (seen)
			return eph_err_set(err, EPH_EFORMAT, "key 1 (version): duplicate");
		seen = true;
		rc = wire__get_uint(&v, pairs[i].value, UINT64_MAX, "key 1 (version)", err);
		if (rc < 0)
			return rc;
		if (m->version == WIRE_V_EXACT && v != WIRE_VERSION)
			return eph_err_set(err, EPH_EUNSUPPORTED,
					   "key 1 (version): version %llu, this build speaks %d",
					   (unsigned long long)v, WIRE_VERSION);
	}
	if (!seen && m->version == WIRE_V_EXACT)
		return eph_err_set(err, EPH_EFORMAT, "required key 1 (version) missing");
	return 0;
}

static const struct wire__field *find_field(const struct wire__msg *m, uint64_t key,
					    size_t *idx)
{
	size_t i;

	for (i = 0; i < m->nfields; i++) {
		if (m->fields[i].key == key) {
			*idx = i;
			return &m->fields[i];
		}
	}
	return NULL;
}

static int walk(const struct wire__msg *m, void *msg, const cbor_item_t *root,
		struct eph_err *err)
{
	const struct cbor_pair *pairs = cbor_map_handle(root);
	size_t n = cbor_map_size(root), i, idx = 0;
	const struct wire__field *f;
	uint64_t *keys = NULL, key, dup;
	uint32_t seen = 0;
	char what[64];
	int rc;

	rc = check_version(m, pairs, n, err);
	if (rc < 0)
		goto out;
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (keys == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory for %zu keys", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (cbor_isa_negint(pairs[i].key)) {
			rc = eph_err_set(err, EPH_EFORMAT, "key %s: keys must be unsigned integers",
					 wire__negint_str(what, cbor_get_int(pairs[i].key)));
			goto out;
		}
		if (!cbor_isa_uint(pairs[i].key)) {
			rc = eph_err_set(err, EPH_EFORMAT,
					 "key of type %s: keys must be unsigned integers",
					 wire__type_name(pairs[i].key));
			goto out;
		}
		key = cbor_get_int(pairs[i].key);
		keys[i] = key;
		f = find_field(m, key, &idx);
		if (f == NULL)
			continue; /* the version (checked above), or a newer peer's key */
		if (seen & (1u << idx)) {
			rc = eph_err_set(err, EPH_EFORMAT, "key %llu (%s): duplicate",
					 (unsigned long long)key, f->name);
			goto out;
		}
		seen |= 1u << idx;
		snprintf(what, sizeof(what), "key %llu (%s)", (unsigned long long)key, f->name);
		rc = decode_field(msg, f, pairs[i].value, what, err);
		if (rc < 0)
			goto out;
	}
	if (wire__find_duplicate(keys, n, &dup)) {
		rc = eph_err_set(err, EPH_EFORMAT, "key %llu: duplicate", (unsigned long long)dup);
		goto out;
	}
	for (i = 0; i < m->nfields; i++) {
		f = &m->fields[i];
		if (!f->required)
			continue;
		if (!(seen & (1u << i))) {
			rc = eph_err_set(err, EPH_EFORMAT, "required key %llu (%s) missing",
					 (unsigned long long)f->key, f->name);
			goto out;
		}
		if (field_empty(msg, f)) {
			rc = eph_err_set(err, EPH_EFORMAT, "key %llu (%s): required but empty",
					 (unsigned long long)f->key, f->name);
			goto out;
		}
	}
	if (m->check != NULL)
		rc = m->check(msg, err);
out:
	free(keys);
	return rc;
}

/* libcbor frees without wiping: clear the top-level byte strings (the
 * credential secret, the activated secret) before handing the tree back. */
static void wipe_tree(cbor_item_t *root)
{
	struct cbor_pair *pairs;
	size_t i;

	if (!cbor_isa_map(root))
		return;
	pairs = cbor_map_handle(root);
	for (i = 0; i < cbor_map_size(root); i++) {
		if (cbor_isa_bytestring(pairs[i].value) &&
		    cbor_bytestring_is_definite(pairs[i].value) &&
		    cbor_bytestring_length(pairs[i].value) > 0)
			explicit_bzero(cbor_bytestring_handle(pairs[i].value),
				       cbor_bytestring_length(pairs[i].value));
	}
}

int wire__decode(const struct wire__msg *m, void *msg, const uint8_t *buf, size_t len,
		 struct eph_err *err)
{
	struct cbor_load_result res;
	cbor_item_t *root = NULL;
	int rc;

	assert(msg != NULL && m->nfields <= 32); /* walk() keeps a 32-bit seen mask */
	memset(msg, 0, m->size);
	if (buf == NULL && len > 0) {
		rc = eph_err_set(err, EPH_EFAIL, "NULL buffer of %zu bytes", len);
		goto out;
	}
	rc = wire__scan(buf, len, err);
	if (rc < 0)
		goto out;
	memset(&res, 0, sizeof(res));
	root = cbor_load(buf, len, &res);
	if (root == NULL || res.read != len || !cbor_isa_map(root) ||
	    !cbor_map_is_definite(root)) {
		/* The scan passed, so only memory can fail here; say so either way. */
		if (res.error.code == CBOR_ERR_MEMERROR)
			rc = eph_err_set(err, EPH_ENOMEM, "out of memory decoding %zu bytes", len);
		else
			rc = eph_err_set(err, EPH_EFORMAT, "malformed CBOR at byte %zu",
					 res.error.position);
		goto out;
	}
	rc = walk(m, msg, root, err);
out:
	if (root != NULL) {
		wipe_tree(root);
		cbor_decref(&root);
	}
	if (rc < 0) {
		wire__free(m, msg);
		eph_err_prefix(err, rc, "%s", m->name);
	}
	return rc;
}

void wire__free(const struct wire__msg *m, void *msg)
{
	struct wire_bytes *b;
	size_t i;

	if (msg == NULL)
		return;
	for (i = 0; i < m->nfields; i++) {
		if (m->fields[i].type != WIRE_T_BYTES)
			continue;
		b = (struct wire_bytes *)((uint8_t *)msg + m->fields[i].off);
		if (b->p != NULL) {
			explicit_bzero(b->p, b->len);
			free(b->p);
		}
	}
	explicit_bzero(msg, m->size);
}
