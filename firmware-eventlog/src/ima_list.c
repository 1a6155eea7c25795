/*
 * ima_list.c - the IMA measurement list object: choosing the format,
 * growing the entry array, freeing, and the accessors.
 *
 * Format detection (EVLOG_IMA_AUTO) looks at the first four bytes: the
 * binary list starts with a u32 PCR index, so with three NUL bytes (after
 * the low byte when little-endian, before it when big-endian, which the
 * binary parser then reports); the ascii list cannot hold a NUL. Anything
 * else, text garbage included, goes to the ascii parser, whose errors name
 * the line.
 *
 * Not here: the formats themselves (ima_binary.c, ima_ascii.c) and what is
 * done with the entries (ima_verify.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ima-priv.h"

int evlog__ima_append(struct evlog__ima_slot **out, struct evlog_ima *ima, struct eph_err *err)
{
	struct evlog__ima_slot *ns = NULL;
	size_t ncap;

	*out = NULL;
	if (ima->count >= EVLOG__IMA_MAX_ENTRIES)
		return eph_err_set(err, EPH_EFORMAT, "more than %u entries in the list",
				   EVLOG__IMA_MAX_ENTRIES);
	if (ima->count == ima->cap) {
		ncap = ima->cap ? ima->cap * 2 : 64;
		if (ncap > EVLOG__IMA_MAX_ENTRIES)
			ncap = EVLOG__IMA_MAX_ENTRIES;
		ns = realloc(ima->slots, ncap * sizeof(*ns));
		if (ns == NULL)
			return eph_err_set(err, EPH_ENOMEM, "entry %zu: out of memory", ima->count);
		ima->slots = ns;
		ima->cap = ncap;
	}
	*out = &ima->slots[ima->count];
	memset(*out, 0, sizeof(**out));
	(*out)->e.num = (uint32_t)ima->count;
	ima->count++;
	return 0;
}

const char *evlog__ima_where(char *buf, size_t size, const struct evlog_ima *ima,
			     const struct evlog_ima_entry *e)
{
	if (ima->format == EVLOG_IMA_ASCII)
		snprintf(buf, size, "entry %u (line %zu)", (unsigned)e->num, e->offset + 1);
	else
		snprintf(buf, size, "entry %u (offset %zu)", (unsigned)e->num, e->offset);
	return buf;
}

int evlog_ima_parse(evlog_ima **out, const uint8_t *buf, size_t len, unsigned flags,
		    struct eph_err *err)
{
	struct evlog_ima *ima = NULL;
	unsigned format;
	int rc;

	*out = NULL;
	if (buf == NULL && len != 0)
		return eph_err_set(err, EPH_EFAIL, "IMA list: NULL buffer of %zu bytes", len);
	if (flags != EVLOG_IMA_BINARY && flags != EVLOG_IMA_ASCII && flags != EVLOG_IMA_AUTO)
		return eph_err_set(err, EPH_EFAIL, "IMA list: bad flags 0x%x", flags);
	format = flags;
	if (format == EVLOG_IMA_AUTO) {
		if (len >= 4 && ((buf[1] == 0 && buf[2] == 0 && buf[3] == 0) ||
				 (buf[0] == 0 && buf[1] == 0 && buf[2] == 0)))
			format = EVLOG_IMA_BINARY;
		else
			format = EVLOG_IMA_ASCII;
	}
	ima = calloc(1, sizeof(*ima));
	if (ima == NULL)
		return eph_err_set(err, EPH_ENOMEM, "IMA list: out of memory");
	ima->format = format;
	if (format == EVLOG_IMA_ASCII)
		rc = evlog__ima_parse_ascii(ima, buf, len, err);
	else
		rc = evlog__ima_parse_binary(ima, buf, len, err);
	if (rc < 0)
		goto out;
	*out = ima;
	ima = NULL;
	rc = 0;
out:
	evlog_ima_free(ima);
	return rc;
}

void evlog_ima_free(evlog_ima *ima)
{
	size_t i;

	if (ima == NULL)
		return;
	for (i = 0; i < ima->count; i++)
		free(ima->slots[i].data);
	free(ima->slots);
	free(ima);
}

size_t evlog_ima_count(const evlog_ima *ima)
{
	return ima == NULL ? 0 : ima->count;
}

const struct evlog_ima_entry *evlog_ima_entry_at(const evlog_ima *ima, size_t i)
{
	if (ima == NULL || i >= ima->count)
		return NULL;
	return &ima->slots[i].e;
}
