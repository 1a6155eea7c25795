/*
 * imastate.c - each agent's position in its IMA measurement list (table
 * ima_state, migration 3): the entries the broker has accepted in the
 * current boot, the TPM resetCount that names that boot, and the PCR 10
 * value of every bank they replay to. It lets the broker check a chunk that
 * starts after entry 0 by extending from the stored PCR 10.
 *
 * pcr10 is packed, per bank: alg (u16, big-endian) | size (u8) | value.
 * sha1 + sha256 (2 + 1 + 20 + 2 + 1 + 32 = 58 bytes):
 *   0004 14 <20 bytes>  000b 20 <32 bytes>
 *
 * Deliberately not here: deciding whether a chunk follows on (api_evidence.c
 * does), and any history (one row per agent, replaced on each acceptance).
 */
#include <string.h>

#include "store-priv.h"

#define PACKED_MAX (STORE_IMA_BANKS * (3 + STORE_IMA_DIGEST_MAX))

static int check_state(const struct store_ima_state *s, const char *what, struct eph_err *err)
{
	unsigned i;

	if (s->num_banks == 0 || s->num_banks > STORE_IMA_BANKS)
		return eph_err_set(err, EPH_EFORMAT, "%s: %u PCR 10 banks, want 1..%u", what,
				   s->num_banks, STORE_IMA_BANKS);
	if (s->entries > (uint64_t)INT64_MAX)
		return eph_err_set(err, EPH_EFORMAT, "%s: %llu entries is out of range", what,
				   (unsigned long long)s->entries);
	for (i = 0; i < s->num_banks; i++)
		if (s->banks[i].size == 0 || s->banks[i].size > STORE_IMA_DIGEST_MAX)
			return eph_err_set(err, EPH_EFORMAT, "%s: bank 0x%04x: %u-byte value",
					   what, (unsigned)s->banks[i].alg,
					   (unsigned)s->banks[i].size);
	return 0;
}

static size_t pack(uint8_t *out, const struct store_ima_state *s)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i < s->num_banks; i++) {
		const struct store_ima_bank *b = &s->banks[i];

		out[n++] = (uint8_t)(b->alg >> 8);
		out[n++] = (uint8_t)b->alg;
		out[n++] = b->size;
		memcpy(out + n, b->pcr10, b->size);
		n += b->size;
	}
	return n;
}

static int unpack(struct store_ima_state *s, struct store_blob b, const char *agent_id,
		  struct eph_err *err)
{
	size_t pos = 0;

	s->num_banks = 0;
	while (pos < b.len) {
		struct store_ima_bank *k;

		if (s->num_banks == STORE_IMA_BANKS || b.len - pos < 3)
			goto bad;
		k = &s->banks[s->num_banks];
		k->alg = (uint16_t)((b.p[pos] << 8) | b.p[pos + 1]);
		k->size = b.p[pos + 2];
		pos += 3;
		if (k->size == 0 || k->size > STORE_IMA_DIGEST_MAX || b.len - pos < k->size)
			goto bad;
		memcpy(k->pcr10, b.p + pos, k->size);
		pos += k->size;
		s->num_banks++;
	}
	if (s->num_banks > 0)
		return 0;
bad:
	return eph_err_set(err, EPH_EFORMAT,
			   "IMA state of agent %s: stored PCR 10 value is damaged at byte %zu",
			   agent_id, pos);
}

int store_ima_get(struct store_ima_state *out, store *st, const char *agent_id,
		  struct eph_err *err)
{
	struct store__q q;
	int64_t entries;
	int rc;

	memset(out, 0, sizeof(*out));
	if (agent_id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "reading an IMA state: no agent");
	rc = store__q_prepare(&q, st,
			      "SELECT reset_count, entries, pcr10 FROM ima_state WHERE agent_id = ?",
			      "reading an IMA state", err);
	if (rc < 0)
		return rc;
	store__q_text(&q, agent_id);
	rc = store__q_step(&q, err);
	if (rc == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "agent %s has no IMA state", agent_id);
	if (rc > 0) {
		out->reset_count = (uint32_t)sqlite3_column_int64(q.stmt, 0);
		entries = sqlite3_column_int64(q.stmt, 1);
		out->entries = entries > 0 ? (uint64_t)entries : 0;
		rc = unpack(out, store__col_blob(q.stmt, 2), agent_id, err);
	}
	store__q_finish(&q);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int store_ima_set(store *st, const char *agent_id, const struct store_ima_state *s,
		  struct eph_err *err)
{
	static const char what[] = "writing an IMA state";
	uint8_t packed[PACKED_MAX];
	struct store__q q;
	size_t n;
	int rc;

	if (agent_id == NULL)
		return eph_err_set(err, EPH_EFORMAT, "%s: no agent", what);
	rc = check_state(s, what, err);
	if (rc < 0)
		return rc;
	n = pack(packed, s);
	rc = store__begin(st, err);
	if (rc < 0)
		return rc;
	/* Selecting from agents: an unknown agent inserts nothing. */
	rc = store__q_prepare(&q, st,
			      "INSERT INTO ima_state (agent_id, reset_count, entries, pcr10) "
			      "SELECT id, ?, ?, ? FROM agents WHERE id = ? "
			      "ON CONFLICT (agent_id) DO UPDATE SET "
			      "reset_count = excluded.reset_count, entries = excluded.entries, "
			      "pcr10 = excluded.pcr10",
			      what, err);
	if (rc == 0) {
		store__q_int(&q, s->reset_count);
		store__q_int(&q, (int64_t)s->entries);
		store__q_blob(&q, packed, n);
		store__q_text(&q, agent_id);
		rc = store__q_exec(&q, err);
		store__q_finish(&q);
	}
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = eph_err_set(err, EPH_ENOTFOUND, "%s: agent %s not registered", what, agent_id);
	if (rc == 0)
		return store__commit(st, err);
	store__rollback(st);
	return rc;
}
