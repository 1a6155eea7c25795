/*
 * evlog_digestcheck.c - does an event's digest cover its own data?
 *
 * For most event types the digest is of something outside the log (an image
 * in memory, a firmware volume), so the log alone cannot be checked. For a
 * few, PFP 1.05 section 10.4 defines the digest as the hash of the event data
 * itself; there a mismatch means the data was edited after measurement (the
 * PCRs still replay, because replay uses the digests), which an appraiser
 * that reads the data (say, the SecureBoot variable) must know.
 *
 * EV_EFI_VARIABLE_BOOT is hashed two ways in the field: over the whole
 * UEFI_VARIABLE_DATA (PFP 1.05) or over VariableData alone (EDK2 before
 * PFP 1.05, TCG EFI Platform 1.22); both are accepted.
 *
 * Not checked: EV_EFI_VARIABLE_AUTHORITY, because shim logs its own packed
 * structure with a digest over a different byte range than it records (seen
 * in GCE Debian and COS logs: the digest covers all but the last byte), and
 * EV_IPL, whose digest is over a boot loader specific encoding.
 */
#include <string.h>

#include "evlog-priv.h"

static int covers_data(uint32_t type)
{
	switch (type) {
	case EV_SEPARATOR:
	case EV_ACTION:
	case EV_EFI_ACTION:
	case EV_EFI_VARIABLE_DRIVER_CONFIG:
	case EV_EFI_VARIABLE_BOOT:
	case EV_EFI_VARIABLE_BOOT2:
	case EV_EFI_GPT_EVENT:
		return 1;
	default:
		return 0;
	}
}

int evlog_event_check_digest(const struct evlog_event *ev, struct eph_err *err)
{
	uint8_t h[EVLOG_MAX_DIGEST];
	uint32_t i;

	if (!covers_data(ev->type))
		return EPH_EUNSUPPORTED;
	for (i = 0; i < ev->num_digests; i++) {
		const struct evlog_digest *d = &ev->digests[i];
		struct evlog_efi_var var;

		if (eph_hash(d->alg, ev->data, ev->data_size, h) < 0)
			return eph_err_set(err, EPH_EUNSUPPORTED, "%s is not available",
					   eph_hash_name(d->alg));
		if (memcmp(h, d->bytes, d->size) == 0)
			continue;
		if (ev->type == EV_EFI_VARIABLE_BOOT &&
		    evlog_decode_efi_var(&var, ev->data, ev->data_size, NULL) == 0 &&
		    eph_hash(d->alg, var.data, (size_t)var.data_len, h) == 0 &&
		    memcmp(h, d->bytes, d->size) == 0)
			continue;
		return eph_err_set(err, EPH_EVERIFY,
				   "event %u at offset %zu (%s, PCR %u): %s digest does not match "
				   "the event data",
				   ev->num, ev->offset, evlog_event_type_name(ev->type), ev->pcr,
				   eph_hash_name(d->alg));
	}
	return 0;
}
