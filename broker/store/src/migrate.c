/*
 * migrate.c - the schema as an ordered list of migrations, and applying it.
 *
 * Migration i (1-based) takes the database from version i-1 to i. Each runs
 * in its own BEGIN IMMEDIATE transaction together with its row in
 * schema_version, so a crash mid-migration leaves the previous version, and
 * two processes opening at once apply each step once (the second re-reads the
 * version under the write lock). A database whose version is newer than this
 * build is refused untouched. Migrations are constant SQL (no values), run
 * with sqlite3_exec. Never edit a released migration: append a new one and
 * bump STORE_SCHEMA_VERSION. docs/store-schema.md explains every column.
 *
 * Deliberately not here: downgrades, and data fix-ups that need C.
 */
#include <string.h>

#include "store-priv.h"

#define STORE_APP_ID 0x45504845 /* "EPHE" in PRAGMA application_id */

static const char *const migrations[] = {
	/* 1: agents, nonces, attestations, environments, history, audit log. */
	"PRAGMA application_id = 1162889285;\n" /* STORE_APP_ID */
	"CREATE TABLE agents (\n"
	"  id TEXT PRIMARY KEY NOT NULL,\n"
	"  ek_cert BLOB, ek_pub BLOB,\n"
	"  ak_pub BLOB NOT NULL, ak_name BLOB NOT NULL,\n"
	"  hostname TEXT NOT NULL, cvm TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  cred_hash BLOB,\n"
	"  activated_at INTEGER,\n"
	"  last_attest_at INTEGER,\n"
	"  next_deadline INTEGER,\n"
	"  CHECK (ek_cert IS NOT NULL OR ek_pub IS NOT NULL)\n"
	") STRICT;\n"
	"CREATE TABLE nonces (\n"
	"  nonce BLOB PRIMARY KEY NOT NULL CHECK (length(nonce) = 32),\n"
	"  agent_id TEXT NOT NULL REFERENCES agents(id),\n"
	"  issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,\n"
	"  used_at INTEGER\n"
	") STRICT;\n"
	"CREATE INDEX nonces_expiry ON nonces(expires_at);\n"
	"CREATE TABLE attestations (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  agent_id TEXT NOT NULL,\n"
	"  at INTEGER NOT NULL,\n"
	"  nonce BLOB,\n"
	"  accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),\n"
	"  tv_instance INTEGER NOT NULL, tv_configuration INTEGER NOT NULL,\n"
	"  tv_executables INTEGER NOT NULL, tv_file_system INTEGER NOT NULL,\n"
	"  tv_hardware INTEGER NOT NULL, tv_runtime_opaque INTEGER NOT NULL,\n"
	"  tv_storage_opaque INTEGER NOT NULL, tv_sourced_data INTEGER NOT NULL,\n"
	"  reason TEXT NOT NULL,\n"
	"  clock INTEGER, reset_count INTEGER, restart_count INTEGER,\n"
	"  quote_digest BLOB, eventlog_digest BLOB, ima_digest BLOB, cvm_digest BLOB\n"
	") STRICT;\n"
	"CREATE INDEX attestations_agent ON attestations(agent_id, at, id);\n"
	"CREATE TABLE environments (\n"
	"  id TEXT PRIMARY KEY NOT NULL,\n"
	"  requester TEXT NOT NULL,\n"
	"  attrs TEXT NOT NULL CHECK (json_valid(attrs)),\n"
	"  policy TEXT NOT NULL CHECK (json_valid(policy)),\n"
	"  size INTEGER NOT NULL, count INTEGER NOT NULL, prewarm INTEGER NOT NULL,\n"
	"  driver TEXT NOT NULL,\n"
	"  handle TEXT,\n"
	"  state TEXT NOT NULL CHECK (state IN ('requested', 'admitted', 'provisioning',\n"
	"    'attesting', 'running', 're-attesting', 'draining', 'destroyed', 'failed')),\n"
	"  ttl_s INTEGER NOT NULL, reattest_s INTEGER NOT NULL,\n"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL\n"
	") STRICT;\n"
	"CREATE INDEX environments_state ON environments(state, created_at);\n"
	"CREATE TABLE env_transitions (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  env_id TEXT NOT NULL REFERENCES environments(id),\n"
	"  at INTEGER NOT NULL,\n"
	"  from_state TEXT,\n"
	"  to_state TEXT NOT NULL,\n"
	"  reason TEXT NOT NULL\n"
	") STRICT;\n"
	"CREATE INDEX env_transitions_env ON env_transitions(env_id, id);\n"
	"CREATE TRIGGER env_transitions_no_update BEFORE UPDATE ON env_transitions\n"
	"  BEGIN SELECT RAISE(ABORT, 'env_transitions is append-only'); END;\n"
	"CREATE TRIGGER env_transitions_no_delete BEFORE DELETE ON env_transitions\n"
	"  BEGIN SELECT RAISE(ABORT, 'env_transitions is append-only'); END;\n"
	"CREATE TABLE audit_log (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"  at INTEGER NOT NULL,\n"
	"  actor TEXT NOT NULL, action TEXT NOT NULL,\n"
	"  object TEXT NOT NULL, detail TEXT NOT NULL\n"
	") STRICT;\n"
	"CREATE INDEX audit_log_object ON audit_log(object, id);\n"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log\n"
	"  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log\n"
	"  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n",

	/* 2: Q-network decisions and their outcomes (the RL transitions). */
	"CREATE TABLE decisions (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  env_id TEXT REFERENCES environments(id),\n"
	"  class TEXT NOT NULL,\n"
	"  at INTEGER NOT NULL,\n"
	"  state BLOB NOT NULL CHECK (length(state) = 128),\n"
	"  action INTEGER NOT NULL CHECK (action BETWEEN 0 AND 63),\n"
	"  mask INTEGER NOT NULL,\n"
	"  policy TEXT NOT NULL CHECK (json_valid(policy)),\n"
	"  model_hash BLOB\n"
	") STRICT;\n"
	"CREATE INDEX decisions_class ON decisions(class, at, id);\n"
	"CREATE TABLE outcomes (\n"
	"  decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),\n"
	"  at INTEGER NOT NULL,\n"
	"  reward REAL NOT NULL,\n"
	"  usage TEXT NOT NULL CHECK (json_valid(usage)),\n"
	"  done INTEGER NOT NULL CHECK (done IN (0, 1))\n"
	") STRICT;\n",

	/* 3: each agent's position in its IMA list (imastate.c packs pcr10). */
	"CREATE TABLE ima_state (\n"
	"  agent_id TEXT PRIMARY KEY NOT NULL REFERENCES agents(id),\n"
	"  reset_count INTEGER NOT NULL,\n"
	"  entries INTEGER NOT NULL CHECK (entries >= 0),\n"
	"  pcr10 BLOB NOT NULL\n"
	") STRICT;\n",

	/* 4: the environment an agent attests for (bound at registration by
	 * the vTPM's EK; NULL for agents of machines the broker did not make). */
	("ALTER TABLE agents ADD COLUMN env_id TEXT REFERENCES environments(id);\n"
	 "CREATE INDEX agents_env ON agents(env_id) WHERE env_id IS NOT NULL;\n"),
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

/* Version of the database: 0 if it has no schema_version table yet. */
static int read_version(unsigned *out, struct store *st, struct eph_err *err)
{
	struct store__q q;
	int64_t v;
	int rc;

	*out = 0;
	rc = store__q_prepare(&q, st,
			      "SELECT count(*) FROM sqlite_schema "
			      "WHERE type = 'table' AND name = 'schema_version'",
			      "reading the schema version", err);
	if (rc < 0)
		return rc;
	rc = store__q_step(&q, err);
	v = rc > 0 ? sqlite3_column_int64(q.stmt, 0) : 0;
	store__q_finish(&q);
	if (rc < 0 || v == 0)
		return rc < 0 ? rc : 0;

	rc = store__q_prepare(&q, st, "SELECT coalesce(max(version), 0) FROM schema_version",
			      "reading the schema version", err);
	if (rc < 0)
		return rc;
	rc = store__q_step(&q, err);
	v = rc > 0 ? sqlite3_column_int64(q.stmt, 0) : 0;
	store__q_finish(&q);
	if (rc < 0)
		return rc;
	if (v < 0 || v > 0xffff)
		return eph_err_set(err, EPH_EFORMAT, "schema version %lld is not a version",
				   (long long)v);
	*out = (unsigned)v;
	return 0;
}

/* An SQLite file with tables but neither our id nor our version table. */
static int check_foreign(struct store *st, struct eph_err *err)
{
	struct store__q q;
	int64_t app_id = 0, tables = 0;
	int rc;

	rc = store__q_prepare(&q, st, "PRAGMA application_id", "reading application_id", err);
	if (rc < 0)
		return rc;
	rc = store__q_step(&q, err);
	if (rc > 0)
		app_id = sqlite3_column_int64(q.stmt, 0);
	store__q_finish(&q);
	if (rc < 0)
		return rc;
	if (app_id != 0 && app_id != STORE_APP_ID)
		return eph_err_set(err, EPH_EFORMAT,
				   "not an Ephemera store (application_id 0x%llx)",
				   (unsigned long long)app_id);
	if (app_id == STORE_APP_ID)
		return 0;
	rc = store__q_prepare(&q, st, "SELECT count(*) FROM sqlite_schema", "reading the schema",
			      err);
	if (rc < 0)
		return rc;
	rc = store__q_step(&q, err);
	if (rc > 0)
		tables = sqlite3_column_int64(q.stmt, 0);
	store__q_finish(&q);
	if (rc < 0)
		return rc;
	if (tables > 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "not an Ephemera store (an SQLite database with other tables)");
	return 0;
}

static int apply(struct store *st, unsigned to, struct eph_err *err)
{
	struct store__q q;
	int rc;

	rc = sqlite3_exec(st->db,
			  "CREATE TABLE IF NOT EXISTS schema_version (\n"
			  "  version INTEGER PRIMARY KEY NOT NULL,\n"
			  "  applied_at INTEGER NOT NULL\n"
			  ") STRICT",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store__sqlerr(st, rc, "creating schema_version", err);
	rc = sqlite3_exec(st->db, migrations[to - 1], NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return eph_err_prefix(err, store__sqlerr(st, rc, "SQL", err), "migration %u", to);
	rc = store__q_prepare(&q, st,
			      "INSERT INTO schema_version (version, applied_at) "
			      "VALUES (?, unixepoch())",
			      "recording the schema version", err);
	if (rc < 0)
		return rc;
	store__q_int(&q, to);
	rc = store__q_exec(&q, err);
	store__q_finish(&q);
	return rc;
}

int store__migrate(struct store *st, unsigned target, struct eph_err *err)
{
	unsigned v;
	int rc;

	rc = check_foreign(st, err);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = read_version(&v, st, err);
		if (rc < 0)
			return rc;
		if (v > STORE_SCHEMA_VERSION)
			return eph_err_set(err, EPH_EUNSUPPORTED,
					   "database schema version %u is newer than this "
					   "build's %u: run a newer ephemera-broker",
					   v, STORE_SCHEMA_VERSION);
		if (v >= target)
			break;
		/* Under the write lock, read again: another process may have
		 * applied this step while we waited. */
		rc = store__begin(st, err);
		if (rc < 0)
			return rc;
		rc = read_version(&v, st, err);
		if (rc == 0 && v < target)
			rc = apply(st, v + 1, err);
		if (rc == 0)
			rc = store__commit(st, err);
		else
			store__rollback(st);
		if (rc < 0)
			return rc;
	}
	st->version = v;
	return 0;
}
