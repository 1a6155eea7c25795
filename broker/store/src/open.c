/*
 * open.c - opening the store: the connection, its pragmas (WAL,
 * synchronous, foreign keys, busy timeout, size cap), migrations; closing;
 * the public transaction calls.
 *
 * Why synchronous=FULL: in WAL mode NORMAL already survives a crash of the
 * broker (the WAL is in the page cache), but a power loss may roll back the
 * last commits. The broker writes a transition and a driver handle *before*
 * acting on them; after a power loss a lost handle could leave on-disk
 * driver state (vTPM directories, images) that only the store names. FULL
 * costs one fsync of the WAL per commit, which at the broker's rate (a few
 * commits per environment change) is noise. NORMAL stays available
 * (store_opts.sync_normal) for bulk imports and the simulator.
 *
 * Deliberately not here: the schema (migrate.c) and any table access.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-priv.h"

static int pragma_text(struct store *st, const char *sql, char *out, size_t outlen,
		       struct eph_err *err)
{
	struct store__q q;
	const char *v;
	int rc;

	rc = store__q_prepare(&q, st, sql, sql, err);
	if (rc < 0)
		return rc;
	rc = store__q_step(&q, err);
	if (rc == 0)
		rc = eph_err_set(err, EPH_EIO, "%s: no result", sql);
	if (rc > 0) {
		v = store__col_text(q.stmt, 0);
		snprintf(out, outlen, "%s", v != NULL ? v : "");
		rc = 0;
	}
	store__q_finish(&q);
	return rc;
}

static int pragma_exec(struct store *st, const char *sql, struct eph_err *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store__sqlerr(st, rc, sql, err);
	return 0;
}

/*
 * Cap the file at max_bytes. PRAGMA takes no bound parameters; the number
 * is an integer computed here, never text from a caller.
 */
static int set_max_bytes(struct store *st, uint64_t max_bytes, struct eph_err *err)
{
	struct store__q q;
	int64_t page_size = 0;
	uint64_t pages;
	char sql[64];
	int rc;

	rc = store__q_prepare(&q, st, "PRAGMA page_size", "PRAGMA page_size", err);
	if (rc < 0)
		return rc;
	rc = store__q_step(&q, err);
	if (rc > 0)
		page_size = sqlite3_column_int64(q.stmt, 0);
	store__q_finish(&q);
	if (rc < 0)
		return rc;
	if (page_size <= 0)
		return eph_err_set(err, EPH_EIO, "PRAGMA page_size: no answer");
	pages = max_bytes / (uint64_t)page_size;
	if (pages < 1)
		pages = 1;
	if (pages > UINT32_MAX - 1)
		pages = UINT32_MAX - 1;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %" PRIu64, pages);
	return pragma_exec(st, sql, err);
}

static int configure(struct store *st, const struct store_opts *o, struct eph_err *err)
{
	char mode[16];
	int rc;

	rc = pragma_exec(st, "PRAGMA foreign_keys = ON", err);
	if (rc < 0)
		return rc;
	rc = pragma_text(st, "PRAGMA journal_mode = WAL", mode, sizeof(mode), err);
	if (rc < 0)
		return rc;
	if (strcmp(mode, "wal") != 0)
		return eph_err_set(err, EPH_EUNSUPPORTED,
				   "cannot use WAL on this file system (journal mode stays '%s')",
				   mode);
	rc = pragma_exec(st, o->sync_normal ? "PRAGMA synchronous = NORMAL"
					    : "PRAGMA synchronous = FULL",
			 err);
	if (rc < 0)
		return rc;
	if (o->max_bytes > 0)
		rc = set_max_bytes(st, o->max_bytes, err);
	return rc;
}

int store_open(store **out, const char *path, const struct store_opts *opts, struct eph_err *err)
{
	static const struct store_opts defaults;
	const struct store_opts *o = opts != NULL ? opts : &defaults;
	struct store *st = NULL;
	int rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return eph_err_set(err, EPH_EFORMAT, "store: no database path");
	if (o->target_version > STORE_SCHEMA_VERSION)
		return eph_err_set(err, EPH_EUNSUPPORTED,
				   "store: target version %u is newer than this build's %u",
				   o->target_version, STORE_SCHEMA_VERSION);
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return eph_err_set(err, EPH_ENOMEM, "store: out of memory");
	st->busy_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : STORE_BUSY_MS_DEFAULT;

	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = st->db != NULL ? store__sqlerr(st, rc, path, err)
				    : eph_err_set(err, EPH_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, st->busy_ms);

	rc = configure(st, o, err);
	if (rc < 0)
		goto prefix;
	rc = store__migrate(st, o->target_version ? o->target_version : STORE_SCHEMA_VERSION,
			    err);
	if (rc < 0)
		goto prefix;
	*out = st;
	return 0;
prefix:
	/* SQLITE_NOTADB and friends come out of the first pragma. */
	if (sqlite3_errcode(st->db) == SQLITE_NOTADB)
		rc = eph_err_set(err, EPH_EFORMAT, "%s: not an SQLite database", path);
	else
		eph_err_prefix(err, rc, "%s", path);
out:
	store_free(st);
	return rc;
}

void store_free(store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL) {
		/* A transaction the caller forgot is rolled back, never committed. */
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(st->db);
	}
	free(st);
}

unsigned store_schema_version(const store *st)
{
	return st->version;
}

int store_tx_begin(store *st, struct eph_err *err)
{
	return store__begin(st, err);
}

int store_tx_commit(store *st, struct eph_err *err)
{
	return store__commit(st, err);
}

void store_tx_rollback(store *st)
{
	store__rollback(st);
}
