/*
 * db.c - the plumbing every store file uses: SQLite errors to EPH codes,
 * nested transactions (BEGIN IMMEDIATE, then savepoints), a statement
 * wrapper that binds parameters in order, UUIDs, JSON checks, and packing a
 * row into one allocation.
 *
 * Deliberately not here: any SQL naming a table, and any string-built SQL.
 * Values only ever reach SQLite as bound parameters.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "store-priv.h"

int store__sqlerr(struct store *st, int rc, const char *what, struct eph_err *err)
{
	const char *msg = st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return eph_err_set(err, EPH_EIO, "%s: disk full (%s)", what, msg);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return eph_err_set(err, EPH_EIO, "%s: database busy after %d ms (%s)", what,
				   st != NULL ? st->busy_ms : 0, msg);
	case SQLITE_NOMEM:
		return eph_err_set(err, EPH_ENOMEM, "%s: out of memory in SQLite", what);
	default:
		return eph_err_set(err, EPH_EIO, "%s: %s (SQLite error %d)", what, msg, rc);
	}
}

static int run(struct store *st, const char *sql, struct eph_err *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store__sqlerr(st, rc, sql, err);
	return 0;
}

int store__begin(struct store *st, struct eph_err *err)
{
	int rc;

	if (st->tx_depth == 0) {
		rc = run(st, "BEGIN IMMEDIATE", err);
	} else {
		/* SQLite may have rolled the enclosing transaction back itself
		 * (disk full): refuse to go on as if it were still open. */
		if (sqlite3_get_autocommit(st->db))
			return eph_err_set(err, EPH_EIO,
					   "the enclosing transaction was rolled back by SQLite");
		rc = run(st, "SAVEPOINT eph", err);
	}
	if (rc < 0)
		return rc;
	st->tx_depth++;
	return 0;
}

int store__commit(struct store *st, struct eph_err *err)
{
	int rc;

	assert(st->tx_depth > 0);
	if (sqlite3_get_autocommit(st->db)) {
		st->tx_depth--;
		return eph_err_set(err, EPH_EIO, "commit: the transaction was rolled back by SQLite");
	}
	rc = run(st, st->tx_depth == 1 ? "COMMIT" : "RELEASE eph", err);
	if (rc < 0) {
		/* Leave nothing half-open: roll back what the commit left. */
		store__rollback(st);
		return rc;
	}
	st->tx_depth--;
	return 0;
}

void store__rollback(struct store *st)
{
	assert(st->tx_depth > 0);
	if (!sqlite3_get_autocommit(st->db)) {
		if (st->tx_depth == 1) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		} else {
			sqlite3_exec(st->db, "ROLLBACK TO eph", NULL, NULL, NULL);
			sqlite3_exec(st->db, "RELEASE eph", NULL, NULL, NULL);
		}
	}
	st->tx_depth--;
}

int store__q_prepare(struct store__q *q, struct store *st, const char *sql, const char *what,
		     struct eph_err *err)
{
	int rc;

	memset(q, 0, sizeof(*q));
	q->st = st;
	q->what = what;
	q->idx = 1;
	rc = sqlite3_prepare_v2(st->db, sql, -1, &q->stmt, NULL);
	if (rc != SQLITE_OK) {
		q->stmt = NULL;
		return store__sqlerr(st, rc, what, err);
	}
	return 0;
}

static void bound(struct store__q *q, int rc)
{
	if (rc != SQLITE_OK && q->bind_rc == SQLITE_OK)
		q->bind_rc = rc;
	q->idx++;
}

void store__q_text(struct store__q *q, const char *s)
{
	if (s == NULL)
		bound(q, sqlite3_bind_null(q->stmt, q->idx));
	else
		bound(q, sqlite3_bind_text64(q->stmt, q->idx, s, strlen(s), SQLITE_TRANSIENT,
					     SQLITE_UTF8));
}

void store__q_blob(struct store__q *q, const void *p, size_t n)
{
	if (p == NULL || n == 0)
		bound(q, sqlite3_bind_null(q->stmt, q->idx));
	else
		bound(q, sqlite3_bind_blob64(q->stmt, q->idx, p, n, SQLITE_TRANSIENT));
}

void store__q_int(struct store__q *q, int64_t v)
{
	bound(q, sqlite3_bind_int64(q->stmt, q->idx, v));
}

void store__q_real(struct store__q *q, double v)
{
	bound(q, sqlite3_bind_double(q->stmt, q->idx, v));
}

int store__q_step(struct store__q *q, struct eph_err *err)
{
	int rc;

	if (q->bind_rc != SQLITE_OK)
		return eph_err_set(err, q->bind_rc == SQLITE_NOMEM ? EPH_ENOMEM : EPH_EIO,
				   "%s: binding parameter: %s", q->what, sqlite3_errstr(q->bind_rc));
	rc = sqlite3_step(q->stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store__sqlerr(q->st, rc, q->what, err);
}

int store__q_exec(struct store__q *q, struct eph_err *err)
{
	int rc = store__q_step(q, err);

	if (rc > 0)
		return eph_err_set(err, EPH_EFAIL, "%s: statement returned a row", q->what);
	return rc;
}

void store__q_finish(struct store__q *q)
{
	sqlite3_finalize(q->stmt);
	q->stmt = NULL;
}

const char *store__col_text(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

struct store_blob store__col_blob(sqlite3_stmt *s, int col)
{
	struct store_blob b = {NULL, 0};
	int n;

	b.p = sqlite3_column_blob(s, col);
	n = sqlite3_column_bytes(s, col);
	if (b.p == NULL || n <= 0) {
		b.p = NULL;
		return b;
	}
	b.len = (size_t)n;
	return b;
}

int store__uuid(char out[STORE_ID_SIZE], struct eph_err *err)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[16];
	size_t i, o = 0;
	ssize_t n;

	do
		n = getrandom(r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r))
		return eph_err_set(err, EPH_EIO, "new id: getrandom: %s",
				   n < 0 ? strerror(errno) : "short read");
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (i = 0; i < sizeof(r); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 0x0f];
	}
	out[o] = '\0';
	assert(o == STORE_ID_SIZE - 1);
	return 0;
}

int store__json_check(struct store *st, const char *text, const char *what,
		      struct eph_err *err)
{
	struct store__q q;
	int rc;

	if (text == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: missing", what);
	rc = store__q_prepare(&q, st, "SELECT json_valid(?)", what, err);
	if (rc < 0)
		return rc;
	store__q_text(&q, text);
	rc = store__q_step(&q, err);
	if (rc > 0)
		rc = sqlite3_column_int(q.stmt, 0) == 1
			     ? 0
			     : eph_err_set(err, EPH_EFORMAT, "%s: not valid JSON", what);
	else if (rc == 0)
		rc = eph_err_set(err, EPH_EFAIL, "%s: json_valid returned nothing", what);
	store__q_finish(&q);
	return rc;
}

int store__need(const char *s, const char *field, const char *what, struct eph_err *err)
{
	if (s == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: %s missing", what, field);
	return 0;
}

size_t store__pack_size(const char *s)
{
	return s == NULL ? 0 : strlen(s) + 1;
}

const char *store__pack_str(struct store__pack *pk, const char *s)
{
	size_t n = store__pack_size(s);
	char *d;

	if (s == NULL)
		return NULL;
	assert(n <= pk->left);
	d = (char *)pk->p;
	memcpy(d, s, n);
	pk->p += n;
	pk->left -= n;
	return d;
}

struct store_blob store__pack_blob(struct store__pack *pk, struct store_blob b)
{
	struct store_blob d = {NULL, 0};

	if (b.len == 0)
		return d;
	assert(b.len <= pk->left);
	memcpy(pk->p, b.p, b.len);
	d.p = pk->p;
	d.len = b.len;
	pk->p += b.len;
	pk->left -= b.len;
	return d;
}
