/*
 * wire-priv.h - what the files of proto/src share (prefix wire__): the
 * per-message field tables that drive one generic encoder and one generic
 * decoder, the growable output buffer the encoders write into, and the
 * helpers the nested-value handlers (PCR banks, AR4SI result, attributes)
 * use to read and write their parts.
 *
 * Layering: scan.c checks the raw bytes' structure (definite lengths,
 * depth, item count, trailing bytes) with libcbor's streaming decoder;
 * only then decode.c lets cbor_load() build a tree, walks the top-level map
 * through a table, reads scalars through values.c and hands nested values
 * to pcrs.c / attrs.c; encode.c
 * writes the same tables back out; messages.c holds the ten tables and the
 * public wire_<msg>_encode/_decode/_free.
 *
 * Not here: transport, HTTP status codes, semantic checks of enumerated
 * text values (cvm, directive, state ...), which belong to the reader.
 */
#ifndef WIRE_PRIV_H
#define WIRE_PRIV_H

#include <cbor.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"
#include "wire.h"

/* Structural limits of a body, enforced by wire__scan before cbor_load. */
#define WIRE_MAX_DEPTH 16   /* nesting of arrays, maps and tags; the top-level map is 1 */
#define WIRE_MAX_ITEMS 4096 /* data items in one body, map keys included */

enum wire__type {
	WIRE_T_UINT64, /* uint64_t */
	WIRE_T_UINT32, /* uint32_t: larger values are refused */
	WIRE_T_TEXT,   /* char[cap]: NUL-terminated, at most cap - 1 bytes of text */
	WIRE_T_BYTES,  /* struct wire_bytes: at most cap bytes, owned after decoding */
	WIRE_T_FIXED,  /* uint8_t[cap]: exactly cap bytes */
	WIRE_T_CUSTOM, /* a nested value: see struct wire__ops */
};

/* An output buffer that grows; the first failure sticks and is reported once. */
struct wire__w {
	uint8_t *p;
	size_t len;
	size_t cap;
	int rc; /* 0, or EPH_ENOMEM / EPH_EFORMAT (body would exceed WIRE_MAX_BODY) */
};

struct wire__field;

/* A nested value: its handler checks and writes it, and reads it back. */
struct wire__ops {
	/* Does msg have something to write for this field (non-empty)? */
	bool (*present)(const void *msg, const struct wire__field *f);
	/* Check the value in msg and append it to w; the key is already written. */
	int (*encode)(struct wire__w *w, const void *msg, const struct wire__field *f,
		      struct eph_err *err);
	/* Fill the field from item. Nested values live inline: nothing to free. */
	int (*decode)(void *msg, const cbor_item_t *item, const struct wire__field *f,
		      struct eph_err *err);
};

struct wire__field {
	uint64_t key;   /* enum wire_key */
	const char *name;
	enum wire__type type;
	size_t off;     /* offsetof the value in the message struct */
	size_t cap;     /* TEXT: array size; BYTES: max length; FIXED: exact length */
	size_t aux;     /* CUSTOM with a count: offsetof num_banks / num_attrs */
	bool required;  /* must be present and non-empty (uints: present) */
	const struct wire__ops *ops; /* CUSTOM only */
};

enum wire__version_rule {
	WIRE_V_EXACT, /* WIRE_K_VERSION present and == WIRE_VERSION */
	WIRE_V_ANY,   /* any value or none: a refusal stays readable across versions */
};

struct wire__msg {
	const char *name;
	size_t size;                      /* sizeof the message struct */
	enum wire__version_rule version;
	const struct wire__field *fields; /* in ascending key order, all > WIRE_K_VERSION */
	size_t nfields;                   /* at most 32 */
	/* A rule across fields ("one of ek_cert / ek_pub"), or NULL. */
	int (*check)(const void *msg, struct eph_err *err);
};

/* scan.c: refuse what cbor_load must never see. 0 or EPH_EFORMAT. */
int wire__scan(const uint8_t *buf, size_t len, struct eph_err *err);

/* decode.c */
int wire__decode(const struct wire__msg *m, void *msg, const uint8_t *buf, size_t len,
		 struct eph_err *err);
void wire__free(const struct wire__msg *m, void *msg);
/* Sorts keys; 1 and *dup when two of them are equal, else 0. */
int wire__find_duplicate(uint64_t *keys, size_t n, uint64_t *dup);

/* values.c */
const char *wire__type_name(const cbor_item_t *item);
/* An unsigned integer <= max; what names the value in messages. */
int wire__get_uint(uint64_t *v, const cbor_item_t *item, uint64_t max, const char *what,
		   struct eph_err *err);
/* A text string into dst[cap], NUL-terminated, checked by wire__check_text. */
int wire__get_text(char *dst, size_t cap, const cbor_item_t *item, const char *what,
		   struct eph_err *err);
/* Offset of the first byte that is not valid UTF-8 (RFC 3629), n if none. */
size_t wire__utf8_check(const uint8_t *s, size_t n);
/* Valid UTF-8 without NUL or other control characters (one-line, loggable). */
int wire__check_text(const uint8_t *s, size_t n, const char *what, struct eph_err *err);
/* "-5" for the negative integer whose CBOR argument is n (value -1-n). */
const char *wire__negint_str(char buf[24], uint64_t n);

/* encode.c */
int wire__encode(uint8_t **out, size_t *out_len, const struct wire__msg *m, const void *msg,
		 struct eph_err *err);
void wire__w_uint(struct wire__w *w, uint64_t v);
void wire__w_bytes(struct wire__w *w, const uint8_t *p, size_t n);
void wire__w_text(struct wire__w *w, const char *s, size_t n);
void wire__w_array(struct wire__w *w, size_t n);
void wire__w_map(struct wire__w *w, size_t n);
void wire__w_float(struct wire__w *w, float v);
/* The text of a char[cap] field, checked as the decoder would: length or -1. */
int wire__text_len(size_t *n, const char *s, size_t cap, const char *what, struct eph_err *err);

/* pcrs.c, attrs.c */
extern const struct wire__ops wire__pcrs_ops;
extern const struct wire__ops wire__result_ops;
extern const struct wire__ops wire__attrs_ops;

#endif
