/*
 * agents.c - registered agents: registration with the hash of the expected
 * credential secret, single-use activation, deadlines, reading them back.
 *
 * Deliberately not here: checking the EK chain or the AK attributes, and
 * making the credential (tpm/ does; this file only keeps the result). The
 * secret itself is never stored: SHA-256 of a 32-byte random value needs no
 * slow hash, and the hash is dropped once activation succeeds.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eph_hash.h"
#include "store-priv.h"

#define AGENT_COLS                                                                    \
	"id, ek_cert, ek_pub, ak_pub, ak_name, hostname, cvm, created_at, "           \
	"coalesce(activated_at, 0), coalesce(last_attest_at, 0), "                    \
	"coalesce(next_deadline, 0), env_id"

/* Fill a from the current row of s; pointers stay SQLite's. */
static void agent_row(struct store_agent *a, sqlite3_stmt *s)
{
	const char *id = store__col_text(s, 0);

	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id != NULL ? id : "");
	a->ek_cert = store__col_blob(s, 1);
	a->ek_pub = store__col_blob(s, 2);
	a->ak_pub = store__col_blob(s, 3);
	a->ak_name = store__col_blob(s, 4);
	a->hostname = store__col_text(s, 5);
	a->env_id = store__col_text(s, 11);
	a->cvm = store__col_text(s, 6);
	a->created_at = sqlite3_column_int64(s, 7);
	a->activated_at = sqlite3_column_int64(s, 8);
	a->last_attest_at = sqlite3_column_int64(s, 9);
	a->next_deadline = sqlite3_column_int64(s, 10);
}

int store_agent_register(char id[STORE_ID_SIZE], store *st, const struct store_agent *a,
			 const uint8_t *cred_secret, size_t secret_len, struct eph_err *err)
{
	static const char what[] = "registering an agent";
	uint8_t hash[32];
	struct store__q q;
	int rc;

	id[0] = '\0';
	if (a->ek_cert.len == 0 && a->ek_pub.len == 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: neither EK certificate nor EK key", what);
	if (a->ak_pub.len == 0 || a->ak_name.len == 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: AK public key or name missing", what);
	rc = store__need(a->hostname, "hostname", what, err);
	if (rc == 0)
		rc = store__need(a->cvm, "cvm", what, err);
	if (rc < 0)
		return rc;
	if (cred_secret == NULL || secret_len == 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: no credential secret", what);
	if (eph_hash(EPH_ALG_SHA256, cred_secret, secret_len, hash) < 0)
		return eph_err_set(err, EPH_EFAIL, "%s: SHA-256 unavailable", what);

	rc = store__uuid(id, err);
	if (rc < 0)
		goto out;
	rc = store__begin(st, err);
	if (rc < 0)
		goto out;
	rc = store__q_prepare(&q, st,
			      "INSERT INTO agents (id, ek_cert, ek_pub, ak_pub, ak_name, hostname, "
			      "cvm, created_at, cred_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      what, err);
	if (rc == 0) {
		store__q_text(&q, id);
		store__q_blob(&q, a->ek_cert.p, a->ek_cert.len);
		store__q_blob(&q, a->ek_pub.p, a->ek_pub.len);
		store__q_blob(&q, a->ak_pub.p, a->ak_pub.len);
		store__q_blob(&q, a->ak_name.p, a->ak_name.len);
		store__q_text(&q, a->hostname);
		store__q_text(&q, a->cvm);
		store__q_int(&q, a->created_at);
		store__q_blob(&q, hash, sizeof(hash));
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0)
		rc = store__commit(st, err);
	else
		store__rollback(st);
out:
	explicit_bzero(hash, sizeof(hash));
	if (rc < 0)
		id[0] = '\0';
	return rc;
}

int store_agent_activate(store *st, const char *id, const uint8_t *secret, size_t secret_len,
			 int64_t now, struct eph_err *err)
{
	static const char what[] = "activating an agent";
	uint8_t hash[32];
	struct store_blob want;
	struct store__q q = {0};
	int rc;

	if (id == NULL || secret == NULL || secret_len == 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: id or secret missing", what);
	if (eph_hash(EPH_ALG_SHA256, secret, secret_len, hash) < 0)
		return eph_err_set(err, EPH_EFAIL, "%s: SHA-256 unavailable", what);
	rc = store__begin(st, err);
	if (rc < 0)
		goto out;
	rc = store__q_prepare(&q, st, "SELECT cred_hash FROM agents WHERE id = ?", what, err);
	if (rc < 0)
		goto rollback;
	store__q_text(&q, id);
	rc = store__q_step(&q, err);
	if (rc == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "%s: agent %s not registered", what, id);
	if (rc < 0)
		goto rollback;
	want = store__col_blob(q.stmt, 0);
	if (want.len == 0) {
		rc = eph_err_set(err, EPH_EVERIFY, "%s: agent %s has no pending credential "
				 "(already activated)", what, id);
		goto rollback;
	}
	if (want.len != sizeof(hash) || CRYPTO_memcmp(want.p, hash, sizeof(hash)) != 0) {
		rc = eph_err_set(err, EPH_EVERIFY, "%s: agent %s: credential secret does not match",
				 what, id);
		goto rollback;
	}
	store__q_finish(&q);

	rc = store__q_prepare(&q, st,
			      "UPDATE agents SET cred_hash = NULL, activated_at = ? WHERE id = ?",
			      what, err);
	if (rc < 0)
		goto rollback;
	store__q_int(&q, now);
	store__q_text(&q, id);
	rc = store__q_exec(&q, err);
	store__q_finish(&q);
	if (rc < 0)
		goto rollback;
	rc = store__commit(st, err);
	goto out;
rollback:
	store__q_finish(&q);
	store__rollback(st);
out:
	explicit_bzero(hash, sizeof(hash));
	return rc;
}

/* One UPDATE of an agent's row in its own transaction; EPH_ENOTFOUND if no
 * row has that id. sql binds (value, id), value an integer or a text. */
static int update_agent(store *st, const char *what, const char *sql, const char *id,
			const char *text, int64_t num, struct eph_err *err)
{
	struct store__q q;
	int rc;

	if (id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: no id", what);
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	rc = store__q_prepare(&q, st, sql, what, err);
	if (rc == 0) {
		if (text != NULL)
			store__q_text(&q, text);
		else
			store__q_int(&q, num);
		store__q_text(&q, id);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "%s: agent %s not registered", what, id);
	if (rc == 0)
		return store__commit(st, err);
	store__rollback(st);
	return rc;
}

int store_agent_set_deadline(store *st, const char *id, int64_t next_deadline,
			     struct eph_err *err)
{
	return update_agent(st, "setting an agent's deadline",
			    "UPDATE agents SET next_deadline = ? WHERE id = ?", id, NULL,
			    next_deadline, err);
}

int store_agent_bind_env(store *st, const char *id, const char *env_id, struct eph_err *err)
{
	if (env_id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "binding an agent: no environment");
	return update_agent(st, "binding an agent to its environment",
			    "UPDATE agents SET env_id = ? WHERE id = ?", id, env_id, 0, err);
}

static struct store_agent *agent_copy(const struct store_agent *a)
{
	struct store_agent *c;
	struct store__pack pk;
	size_t n;

	n = a->ek_cert.len + a->ek_pub.len + a->ak_pub.len + a->ak_name.len +
	    store__pack_size(a->hostname) + store__pack_size(a->cvm) +
	    store__pack_size(a->env_id);
	c = calloc(1, sizeof(*c) + n);
	if (c == NULL)
		return NULL;
	*c = *a;
	pk.p = (uint8_t *)(c + 1);
	pk.left = n;
	c->ek_cert = store__pack_blob(&pk, a->ek_cert);
	c->ek_pub = store__pack_blob(&pk, a->ek_pub);
	c->ak_pub = store__pack_blob(&pk, a->ak_pub);
	c->ak_name = store__pack_blob(&pk, a->ak_name);
	c->hostname = store__pack_str(&pk, a->hostname);
	c->cvm = store__pack_str(&pk, a->cvm);
	c->env_id = store__pack_str(&pk, a->env_id);
	return c;
}

int store_agent_get(struct store_agent **out, store *st, const char *id, struct eph_err *err)
{
	struct store_agent a;
	struct store__q q;
	int rc;

	*out = NULL;
	if (id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "reading an agent: no id");
	rc = store__q_prepare(&q, st, "SELECT " AGENT_COLS " FROM agents WHERE id = ?",
			      "reading an agent", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, id);
	rc = store__q_step(&q, err);
	if (rc == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "agent %s not registered", id);
	if (rc > 0) {
		agent_row(&a, q.stmt);
		*out = agent_copy(&a);
		rc = *out != NULL ? 0 : eph_err_set(err, EPH_ENOMEM, "reading an agent: out of memory");
	}
	store__q_finish(&q);
	return rc;
}

void store_agent_free(struct store_agent *a)
{
	free(a);
}

int store_agent_foreach(store *st, store_agent_cb cb, void *ctx, struct eph_err *err)
{
	struct store_agent a;
	struct store__q q;
	int rc;

	rc = store__q_prepare(&q, st, "SELECT " AGENT_COLS " FROM agents ORDER BY created_at, id",
			      "listing agents", err);
	if (rc < 0)
		return rc;
	while ((rc = store__q_step(&q, err)) > 0) {
		agent_row(&a, q.stmt);
		rc = cb(&a, ctx);
		if (rc != 0)
			break;
	}
	store__q_finish(&q);
	return rc;
}
