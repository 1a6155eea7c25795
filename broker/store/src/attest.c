/*
 * attest.c - attestation verdicts: every one is recorded, refusals too, with
 * its AR4SI vector, reason, quote clock counters and evidence digests; an
 * agent's history; the counters of its last accepted quote, which appraisal
 * compares with the next quote to catch replays and unreported reboots.
 *
 * Deliberately not here: judging evidence (appraise does), and the evidence
 * itself (only its digests are kept: event logs and IMA logs are large).
 * agent_id is not a foreign key so that refusals of unknown agents are kept.
 * TPM clock values >= 2^63 are stored as their two's-complement int64 and
 * read back unchanged.
 */
#include <string.h>

#include "store-priv.h"

#define ATTEST_COLS                                                                     \
	"id, agent_id, at, nonce, accepted, tv_instance, tv_configuration, "            \
	"tv_executables, tv_file_system, tv_hardware, tv_runtime_opaque, "              \
	"tv_storage_opaque, tv_sourced_data, reason, clock IS NOT NULL, "               \
	"coalesce(clock, 0), coalesce(reset_count, 0), coalesce(restart_count, 0), "    \
	"quote_digest, eventlog_digest, ima_digest, cvm_digest"

int store_attest_record(int64_t *id, store *st, const struct store_attestation *a,
			struct eph_err *err)
{
	static const char what[] = "recording an attestation";
	struct store__q q;
	unsigned i;
	int rc;

	if (id != NULL)
		*id = 0;
	rc = store__need(a->agent_id, "agent_id", what, err);
	if (rc == 0)
		rc = store__need(a->reason, "reason", what, err);
	if (rc < 0)
		return rc;
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st,
			      "INSERT INTO attestations (agent_id, at, nonce, accepted, "
			      "tv_instance, tv_configuration, tv_executables, tv_file_system, "
			      "tv_hardware, tv_runtime_opaque, tv_storage_opaque, "
			      "tv_sourced_data, reason, clock, reset_count, restart_count, "
			      "quote_digest, eventlog_digest, ima_digest, cvm_digest) "
			      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      what, err);
	if (rc < 0)
		goto fail;
	store__q_text(&q, a->agent_id);
	store__q_int(&q, a->at);
	store__q_blob(&q, a->nonce.p, a->nonce.len);
	store__q_int(&q, a->accepted ? 1 : 0);
	for (i = 0; i < STORE_AR4SI_N; i++)
		store__q_int(&q, a->ar4si[i]);
	store__q_text(&q, a->reason);
	if (a->has_counters) {
		store__q_int(&q, (int64_t)a->counters.clock);
		store__q_int(&q, a->counters.reset_count);
		store__q_int(&q, a->counters.restart_count);
	} else {
		store__q_text(&q, NULL);
		store__q_text(&q, NULL);
		store__q_text(&q, NULL);
	}
	store__q_blob(&q, a->quote_digest.p, a->quote_digest.len);
	store__q_blob(&q, a->eventlog_digest.p, a->eventlog_digest.len);
	store__q_blob(&q, a->ima_digest.p, a->ima_digest.len);
	store__q_blob(&q, a->cvm_digest.p, a->cvm_digest.len);
	rc = store__q_exec(&q, err);
	store__q_finish(&q);
	if (rc < 0)
		goto fail;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);

	if (a->accepted) {
		/* Unknown agents simply match no row. */
		rc = store__q_prepare(&q, st,
				      "UPDATE agents SET last_attest_at = max(coalesce("
				      "last_attest_at, 0), ?) WHERE id = ?",
				      what, err);
		if (rc < 0)
			goto fail;
		store__q_int(&q, a->at);
		store__q_text(&q, a->agent_id);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
		if (rc < 0)
			goto fail;
	}
	return store__commit(st, err);
fail:
	store__rollback(st);
	return rc;
}

static void attest_row(struct store_attestation *a, sqlite3_stmt *s)
{
	unsigned i;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->agent_id = store__col_text(s, 1);
	a->at = sqlite3_column_int64(s, 2);
	a->nonce = store__col_blob(s, 3);
	a->accepted = sqlite3_column_int(s, 4);
	for (i = 0; i < STORE_AR4SI_N; i++)
		a->ar4si[i] = (int8_t)sqlite3_column_int(s, 5 + (int)i);
	a->reason = store__col_text(s, 13);
	a->has_counters = sqlite3_column_int(s, 14);
	a->counters.clock = (uint64_t)sqlite3_column_int64(s, 15);
	a->counters.reset_count = (uint32_t)sqlite3_column_int64(s, 16);
	a->counters.restart_count = (uint32_t)sqlite3_column_int64(s, 17);
	a->quote_digest = store__col_blob(s, 18);
	a->eventlog_digest = store__col_blob(s, 19);
	a->ima_digest = store__col_blob(s, 20);
	a->cvm_digest = store__col_blob(s, 21);
}

int store_attest_foreach(store *st, const char *agent_id, store_attest_cb cb, void *ctx,
			 struct eph_err *err)
{
	struct store_attestation a;
	struct store__q q;
	int rc;

	if (agent_id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "listing attestations: no agent");
	rc = store__q_prepare(&q, st,
			      "SELECT " ATTEST_COLS " FROM attestations WHERE agent_id = ? "
			      "ORDER BY at, id",
			      "listing attestations", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, agent_id);
	while ((rc = store__q_step(&q, err)) > 0) {
		attest_row(&a, q.stmt);
		rc = cb(&a, ctx);
		if (rc != 0)
			break;
	}
	store__q_finish(&q);
	return rc;
}

int store_attest_last_accepted(struct store_quote_counters *out, store *st, const char *agent_id,
			       struct eph_err *err)
{
	struct store__q q;
	int rc;

	memset(out, 0, sizeof(*out));
	if (agent_id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "last accepted quote: no agent");
	rc = store__q_prepare(&q, st,
			      "SELECT clock, reset_count, restart_count FROM attestations "
			      "WHERE agent_id = ? AND accepted = 1 AND clock IS NOT NULL "
			      "ORDER BY at DESC, id DESC LIMIT 1",
			      "last accepted quote", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, agent_id);
	rc = store__q_step(&q, err);
	if (rc == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "agent %s has no accepted quote", agent_id);
	if (rc > 0) {
		out->clock = (uint64_t)sqlite3_column_int64(q.stmt, 0);
		out->reset_count = (uint32_t)sqlite3_column_int64(q.stmt, 1);
		out->restart_count = (uint32_t)sqlite3_column_int64(q.stmt, 2);
		rc = 0;
	}
	store__q_finish(&q);
	return rc;
}
