/*
 * ima-priv.h - what the IMA measurement list files of libevlog share: the
 * list object, the limits applied to hostile input, and the helpers that
 * build and decode template data.
 *
 * Files: ima_list.c (lifetime, accessors, format detection), ima_binary.c
 * and ima_ascii.c (the two list formats), ima_template.c (template data of
 * ima / ima-ng / ima-sig / ima-buf), ima_verify.c (template hash check and
 * replay).
 */
#ifndef EVLOG_IMA_PRIV_H
#define EVLOG_IMA_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "evlog.h"

/* Limits on hostile input. */
#define EVLOG__IMA_MAX_ENTRIES (1u << 22)  /* 4 Mi entries per list */
#define EVLOG__IMA_MAX_NAME_LEN 255        /* binary template name length (kernel) */
#define EVLOG__IMA_MAX_DATA (64u << 10)    /* template data of one entry */
#define EVLOG__IMA_EVENT_NAME_LEN_MAX 255  /* "ima" template file name (kernel) */
#define EVLOG__IMA_OLD_DATA_LEN (20 + EVLOG__IMA_EVENT_NAME_LEN_MAX + 1)

/* One entry and what the public struct cannot say about it. */
struct evlog__ima_slot {
	struct evlog_ima_entry e;
	uint8_t *data;  /* owned template data, e.template_data points here */
	int data_known; /* 0: ascii entry of a template whose data we cannot rebuild */
};

struct evlog_ima {
	struct evlog__ima_slot *slots;
	size_t count;
	size_t cap;
	unsigned format; /* EVLOG_IMA_BINARY or EVLOG_IMA_ASCII */
};

/* Add an entry with a zeroed slot; *out points at it. EPH_ENOMEM/EFORMAT. */
int evlog__ima_append(struct evlog__ima_slot **out, struct evlog_ima *ima, struct eph_err *err);

/* "entry 3 (offset 418)" or "entry 3 (line 4)", for error messages. */
const char *evlog__ima_where(char *buf, size_t size, const struct evlog_ima *ima,
			     const struct evlog_ima_entry *e);

int evlog__ima_parse_binary(struct evlog_ima *ima, const uint8_t *buf, size_t len,
			    struct eph_err *err);
int evlog__ima_parse_ascii(struct evlog_ima *ima, const uint8_t *buf, size_t len,
			   struct eph_err *err);

/* Templates whose fields we know. */
enum evlog__ima_tmpl {
	EVLOG__IMA_T_OTHER = 0,
	EVLOG__IMA_T_IMA,  /* d | n, hashed as digest[20] || name padded to 256 */
	EVLOG__IMA_T_NG,   /* d-ng | n-ng */
	EVLOG__IMA_T_SIG,  /* d-ng | n-ng | sig */
	EVLOG__IMA_T_BUF,  /* d-ng | n-ng | buf */
};

enum evlog__ima_tmpl evlog__ima_template_kind(const char *name);

/*
 * Algorithm id for a kernel hash_algo_name ("sha256", "sm3", "sha3-256"),
 * 0 if unknown. *size gets the digest size (also for md5: 16), 0 if unknown.
 */
uint16_t evlog__ima_alg_from_name(const char *name, size_t len, size_t *size);

/* A plausible kernel hash algorithm name: 1..64 of [a-z0-9_-]. */
int evlog__ima_algo_name_ok(const char *name, size_t len);

/* A growable buffer in which template data is built. */
struct evlog__ima_tbuf {
	uint8_t *p;
	size_t n;
	size_t cap;
};

int evlog__ima_tbuf_put(struct evlog__ima_tbuf *b, const void *src, size_t n);
/* Append u32le(n1 + n2) || src1[n1] || src2[n2] (one template field). */
int evlog__ima_tbuf_field(struct evlog__ima_tbuf *b, const void *src1, size_t n1,
			  const void *src2, size_t n2);

/*
 * Build the "ima" template data as it is hashed: digest[20] || name padded
 * with NULs to 256 bytes. name_len <= 255 and name holds no NUL (checked by
 * the caller). out must hold EVLOG__IMA_OLD_DATA_LEN bytes.
 */
void evlog__ima_build_old(uint8_t *out, const uint8_t *digest, const char *name,
			  size_t name_len);

/*
 * Fill the decoded fields of e (file hash, file name, sig) from
 * e->template_data for the known templates; leave them empty for others.
 * Returns 0 or EPH_EFORMAT with a message without the entry prefix.
 */
int evlog__ima_decode(struct evlog_ima_entry *e, struct eph_err *err);

#endif
