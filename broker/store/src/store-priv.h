/*
 * store-priv.h - what the files of the store share: the handle, error
 * mapping, transactions, a small prepared-statement wrapper that binds
 * parameters in order, UUIDs, and copying rows out of SQLite's memory.
 *
 * Not a public interface: nothing outside broker/store/src includes it.
 */
#ifndef STORE_PRIV_H
#define STORE_PRIV_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store {
	sqlite3 *db;
	unsigned version;  /* schema version after migrations */
	unsigned tx_depth; /* nesting of store__begin: 0 = no transaction */
	int busy_ms;
};

/*
 * Map an SQLite result to an EPH code with "what: <sqlite3_errmsg>".
 * SQLITE_FULL says "disk full", SQLITE_BUSY names the timeout, SQLITE_NOMEM
 * is EPH_ENOMEM, the rest EPH_EIO. Call before anything that may overwrite
 * the connection's message (a rollback).
 */
int store__sqlerr(struct store *st, int rc, const char *what, struct eph_err *err);

/*
 * A transaction: BEGIN IMMEDIATE at depth 0, a savepoint inside. Every
 * write goes through these so that it nests in a caller's store_tx_begin.
 */
int store__begin(struct store *st, struct eph_err *err);
int store__commit(struct store *st, struct eph_err *err);
void store__rollback(struct store *st);

/*
 * One prepared statement, parameters bound left to right by the q_* calls.
 * A failed bind is remembered and reported by the next store__q_step, so
 * callers bind without checking each call.
 */
struct store__q {
	struct store *st;
	sqlite3_stmt *stmt;
	const char *what;  /* names the operation in error messages */
	int idx;           /* next parameter index */
	int bind_rc;       /* first bind failure, SQLITE_OK if none */
};

int store__q_prepare(struct store__q *q, struct store *st, const char *sql, const char *what,
		     struct eph_err *err);
void store__q_text(struct store__q *q, const char *s);       /* NULL binds NULL */
void store__q_blob(struct store__q *q, const void *p, size_t n); /* n == 0 binds NULL */
void store__q_int(struct store__q *q, int64_t v);
void store__q_real(struct store__q *q, double v);
/* 1: a row is ready; 0: done; < 0: error set. */
int store__q_step(struct store__q *q, struct eph_err *err);
/* Step a statement that returns no rows; 0 or an error. */
int store__q_exec(struct store__q *q, struct eph_err *err);
void store__q_finish(struct store__q *q);

/* Column helpers: NULL text reads as NULL, NULL blob as {NULL, 0}. */
const char *store__col_text(sqlite3_stmt *s, int col);
struct store_blob store__col_blob(sqlite3_stmt *s, int col);

/* A random (version 4) UUID in lower-case text. */
int store__uuid(char out[STORE_ID_SIZE], struct eph_err *err);

/* EPH_EFORMAT unless text is valid JSON (SQLite's json_valid). */
int store__json_check(struct store *st, const char *text, const char *what,
		      struct eph_err *err);

/* EPH_EFORMAT naming field if s is NULL. */
int store__need(const char *s, const char *field, const char *what, struct eph_err *err);

/*
 * Copying a row out: total the sizes with store__pack_size, allocate once,
 * then store__pack_* hand out pieces of the allocation.
 */
struct store__pack {
	uint8_t *p;
	size_t left;
};
size_t store__pack_size(const char *s);          /* strlen + 1, 0 for NULL */
const char *store__pack_str(struct store__pack *pk, const char *s);
struct store_blob store__pack_blob(struct store__pack *pk, struct store_blob b);

/* Apply migrations up to target (checked against the newest). */
int store__migrate(struct store *st, unsigned target, struct eph_err *err);

#endif
