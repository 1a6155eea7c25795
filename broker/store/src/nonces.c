/*
 * nonces.c - challenge nonces: issue, consume exactly once, purge.
 *
 * Consuming is one conditional UPDATE (right agent, unused, unexpired), so
 * two broker processes racing on the same nonce cannot both win; only when
 * it changes nothing do we read the row to say why. A nonce presented by the
 * wrong agent is not burnt, so an agent cannot spoil another's challenge.
 * now >= expires_at is expired.
 *
 * Deliberately not here: generating nonces (the caller draws them from its
 * CSPRNG) and binding them into quotes (tpm/ checks that).
 */
#include <string.h>

#include "store-priv.h"

int store_nonce_issue(store *st, const char *agent_id, const uint8_t nonce[STORE_NONCE_SIZE],
		      int64_t issued_at, int64_t expires_at, struct eph_err *err)
{
	static const char what[] = "issuing a nonce";
	struct store__q q = {0};
	int rc;

	if (agent_id == NULL || nonce == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: agent or nonce missing", what);
	if (expires_at <= issued_at)
		return eph_err_set(err, EPH_EFORMAT, "%s: expires before it is issued", what);
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st, "SELECT 1 FROM agents WHERE id = ?", what, err);
	if (rc < 0)
		goto fail;
	store__q_text(&q, agent_id);
	rc = store__q_step(&q, err);
	store__q_finish(&q);
	if (rc == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "%s: agent %s not registered", what, agent_id);
	if (rc < 0)
		goto fail;
	rc = store__q_prepare(&q, st, "SELECT 1 FROM nonces WHERE nonce = ?", what, err);
	if (rc < 0)
		goto fail;
	store__q_blob(&q, nonce, STORE_NONCE_SIZE);
	rc = store__q_step(&q, err);
	store__q_finish(&q);
	if (rc > 0)
		rc = eph_err_set(err, EPH_EPOLICY, "%s: nonce already issued", what);
	if (rc < 0)
		goto fail;
	rc = store__q_prepare(&q, st,
			      "INSERT INTO nonces (nonce, agent_id, issued_at, expires_at) "
			      "VALUES (?, ?, ?, ?)",
			      what, err);
	if (rc < 0)
		goto fail;
	store__q_blob(&q, nonce, STORE_NONCE_SIZE);
	store__q_text(&q, agent_id);
	store__q_int(&q, issued_at);
	store__q_int(&q, expires_at);
	rc = store__q_exec(&q, err);
	store__q_finish(&q);
	if (rc < 0)
		goto fail;
	return store__commit(st, err);
fail:
	store__rollback(st);
	return rc;
}

/* The UPDATE changed nothing: find out why, for the message. */
static int why_not(struct store *st, const char *agent_id, const uint8_t *nonce, int64_t now,
		   struct eph_err *err)
{
	static const char what[] = "consuming a nonce";
	struct store__q q;
	const char *owner;
	int rc;

	rc = store__q_prepare(&q, st,
			      "SELECT agent_id, used_at IS NOT NULL, expires_at FROM nonces "
			      "WHERE nonce = ?",
			      what, err);
	if (rc < 0)
		return rc;
	store__q_blob(&q, nonce, STORE_NONCE_SIZE);
	rc = store__q_step(&q, err);
	if (rc == 0) {
		rc = eph_err_set(err, EPH_EVERIFY, "nonce unknown");
	} else if (rc > 0) {
		owner = store__col_text(q.stmt, 0);
		if (owner == NULL || strcmp(owner, agent_id) != 0)
			rc = eph_err_set(err, EPH_EVERIFY, "nonce issued to another agent");
		else if (sqlite3_column_int(q.stmt, 1))
			rc = eph_err_set(err, EPH_EVERIFY, "nonce already used");
		else if (sqlite3_column_int64(q.stmt, 2) <= now)
			rc = eph_err_set(err, EPH_EVERIFY, "nonce expired");
		else
			rc = eph_err_set(err, EPH_EFAIL, "%s: not consumed, reason unknown", what);
	}
	store__q_finish(&q);
	return rc;
}

int store_nonce_consume(store *st, const char *agent_id, const uint8_t nonce[STORE_NONCE_SIZE],
			int64_t now, struct eph_err *err)
{
	static const char what[] = "consuming a nonce";
	struct store__q q;
	int rc;

	if (agent_id == NULL || nonce == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: agent or nonce missing", what);
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st,
			      "UPDATE nonces SET used_at = ? WHERE nonce = ? AND agent_id = ? "
			      "AND used_at IS NULL AND expires_at > ?",
			      what, err);
	if (rc == 0) {
		store__q_int(&q, now);
		store__q_blob(&q, nonce, STORE_NONCE_SIZE);
		store__q_text(&q, agent_id);
		store__q_int(&q, now);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0 && sqlite3_changes(st->db) != 1)
		rc = why_not(st, agent_id, nonce, now, err);
	if (rc == 0)
		return store__commit(st, err);
	store__rollback(st);
	return rc;
}

int store_nonce_purge(store *st, int64_t now, uint64_t *purged, struct eph_err *err)
{
	struct store__q q;
	int rc;

	if (purged != NULL)
		*purged = 0;
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st, "DELETE FROM nonces WHERE expires_at <= ?",
			      "purging nonces", err);
	if (rc == 0) {
		store__q_int(&q, now);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0 && purged != NULL)
		*purged = (uint64_t)sqlite3_changes64(st->db);
	if (rc == 0)
		return store__commit(st, err);
	store__rollback(st);
	return rc;
}
