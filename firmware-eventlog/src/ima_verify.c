/*
 * ima_verify.c - what an IMA list proves: each template hash is SHA1 of its
 * template data, and the entries extended in order give the PCR value.
 *
 * Replay follows the kernel (security/integrity/ima/ima_crypto.c,
 * ima_calc_field_array_hash(); ima_queue.c, ima_pcr_extend()):
 *  - the sha1 bank extends the template hash the list records;
 *  - any other bank extends H_alg(template data), which since Linux 5.8 is
 *    what the kernel computes per allocated bank; for the legacy "ima"
 *    template that is H_alg(digest || name padded to 256), the form stored
 *    as template_data (ima_template.c);
 *  - a violation (all-zero template hash) extends all-ones of the bank's
 *    size in every bank.
 * evlog_ima_extend carries a replay on from a given PCR value (a list sent
 * in chunks); evlog_ima_replay is that from zero.
 * Not emulated: banks the kernel has no hash for (it extends the SHA1
 * template hash zero-padded there); here such a bank is EPH_EUNSUPPORTED.
 */
#include <string.h>

#include "eph_hex.h"
#include "ima-priv.h"

int evlog_ima_check_template_hashes(const evlog_ima *ima, size_t *first_bad,
				    struct eph_err *err)
{
	char where[64], want[41], got[41];
	uint8_t d[EVLOG_IMA_TEMPLATE_HASH_LEN];
	const struct evlog__ima_slot *s = NULL;
	size_t i;

	if (first_bad != NULL)
		*first_bad = 0;
	if (ima == NULL)
		return eph_err_set(err, EPH_EFAIL, "IMA list: NULL list");
	for (i = 0; i < ima->count; i++) {
		s = &ima->slots[i];
		if (s->e.violation)
			continue;
		evlog__ima_where(where, sizeof(where), ima, &s->e);
		if (!s->data_known) {
			if (first_bad != NULL)
				*first_bad = i;
			return eph_err_set(err, EPH_EUNSUPPORTED,
					   "%s: template %s from an ascii list: its template data "
					   "cannot be rebuilt, the template hash is unchecked",
					   where, s->e.template_name);
		}
		if (eph_hash(EPH_ALG_SHA1, s->e.template_data, s->e.template_data_len, d) < 0)
			return eph_err_set(err, EPH_EUNSUPPORTED, "%s: SHA1 is not available", where);
		if (memcmp(d, s->e.template_hash, sizeof(d)) != 0) {
			if (first_bad != NULL)
				*first_bad = i;
			eph_hex_encode(want, sizeof(want), s->e.template_hash, sizeof(d));
			eph_hex_encode(got, sizeof(got), d, sizeof(d));
			return eph_err_set(err, EPH_EVERIFY,
					   "%s: template hash %s does not match SHA1 of its %s template "
					   "data %s",
					   where, want, s->e.template_name, got);
		}
	}
	return 0;
}

int evlog_ima_extend(uint8_t *pcr, const evlog_ima *ima, uint16_t alg, uint32_t pcr_index,
		     struct eph_err *err)
{
	uint8_t d[EPH_HASH_MAX];
	const struct evlog__ima_slot *s = NULL;
	const char *name = eph_hash_name(alg);
	size_t size = eph_hash_size(alg), i;
	char where[64];

	if (size == 0)
		return eph_err_set(err, EPH_EUNSUPPORTED, "IMA replay: unknown algorithm 0x%04x",
				   (unsigned)alg);
	if (ima == NULL)
		return eph_err_set(err, EPH_EFAIL, "IMA replay: NULL list");
	for (i = 0; i < ima->count; i++) {
		s = &ima->slots[i];
		if (s->e.pcr != pcr_index)
			continue;
		evlog__ima_where(where, sizeof(where), ima, &s->e);
		if (s->e.violation) {
			memset(d, 0xff, size);
		} else if (alg == EPH_ALG_SHA1) {
			memcpy(d, s->e.template_hash, EVLOG_IMA_TEMPLATE_HASH_LEN);
		} else if (!s->data_known) {
			return eph_err_set(err, EPH_EUNSUPPORTED,
					   "%s: template %s from an ascii list: cannot compute its %s "
					   "digest",
					   where, s->e.template_name, name);
		} else if (eph_hash(alg, s->e.template_data, s->e.template_data_len, d) < 0) {
			return eph_err_set(err, EPH_EUNSUPPORTED, "%s: %s is not available", where,
					   name);
		}
		if (eph_hash_extend(alg, pcr, d) < 0)
			return eph_err_set(err, EPH_EUNSUPPORTED, "%s: extending %s failed", where,
					   name);
	}
	return 0;
}

int evlog_ima_replay(uint8_t *out, const evlog_ima *ima, uint16_t alg, uint32_t pcr,
		     struct eph_err *err)
{
	size_t size = eph_hash_size(alg);

	if (size == 0)
		return eph_err_set(err, EPH_EUNSUPPORTED, "IMA replay: unknown algorithm 0x%04x",
				   (unsigned)alg);
	memset(out, 0, size);
	return evlog_ima_extend(out, ima, alg, pcr, err);
}
