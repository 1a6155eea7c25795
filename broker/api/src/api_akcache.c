/*
 * api_akcache.c - parsed AKs per agent, so that an attestation does not pay
 * for unmarshalling and importing the AK (about 3 ms for RSA) every time.
 * A fixed number of slots, least recently used evicted; an agent's AK never
 * changes after registration (a new AK is a new registration, a new id), but
 * the entry is still checked against the stored bytes.
 *
 * Not here: trust decisions (the key was checked at registration).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-priv.h"

struct slot {
	char id[STORE_ID_SIZE];
	tpmq_key *key;
	uint8_t *pub; /* the TPM2B_PUBLIC it was parsed from */
	size_t pub_len;
	uint64_t used;
};

struct api__akcache {
	size_t cap;
	uint64_t tick;
	struct slot *slots;
};

int api__akcache_new(struct api__akcache **out, size_t capacity)
{
	struct api__akcache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return -1;
	c->slots = calloc(capacity, sizeof(*c->slots));
	if (c->slots == NULL) {
		free(c);
		return -1;
	}
	c->cap = capacity;
	*out = c;
	return 0;
}

static void slot_clear(struct slot *s)
{
	tpmq_key_free(s->key);
	free(s->pub);
	memset(s, 0, sizeof(*s));
}

void api__akcache_free(struct api__akcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->cap; i++)
		slot_clear(&c->slots[i]);
	free(c->slots);
	free(c);
}

int api__akcache_get(const tpmq_key **out, struct api__akcache *c, const char *agent_id,
		     const uint8_t *ak_pub, size_t ak_pub_len, struct eph_err *err)
{
	struct slot *victim = &c->slots[0];
	tpmq_key *key = NULL;
	uint8_t *copy = NULL;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < c->cap; i++) {
		struct slot *s = &c->slots[i];

		if (s->key != NULL && strcmp(s->id, agent_id) == 0 && s->pub_len == ak_pub_len &&
		    memcmp(s->pub, ak_pub, ak_pub_len) == 0) {
			s->used = ++c->tick;
			*out = s->key;
			return 0;
		}
		if (s->used < victim->used)
			victim = s;
	}
	rc = tpmq_key_from_public(&key, ak_pub, ak_pub_len, err);
	if (rc < 0)
		return rc;
	copy = malloc(ak_pub_len);
	if (copy == NULL) {
		tpmq_key_free(key);
		return eph_err_set(err, EPH_ENOMEM, "out of memory");
	}
	memcpy(copy, ak_pub, ak_pub_len);
	slot_clear(victim);
	snprintf(victim->id, sizeof(victim->id), "%s", agent_id);
	victim->key = key;
	victim->pub = copy;
	victim->pub_len = ak_pub_len;
	victim->used = ++c->tick;
	*out = key;
	return 0;
}
