/*
 * tsm_collect.c - choosing how to get a report (configfs-tsm first, then
 * /dev/sev-guest), and the provider formats' report_data locations.
 *
 * SNP ATTESTATION_REPORT (AMD SEV-SNP ABI 56860, table 22): REPORT_DATA is
 * bytes 0x50..0x8F. TDX quote v4 (Intel DCAP quote format): 48-byte header,
 * then the TD quote body whose REPORTDATA is at body offset 520; v5 puts a
 * 6-byte body descriptor (type u16, size u32) between header and body.
 */
#include <stdlib.h>
#include <string.h>

#include "tsm-priv.h"

enum tsm_provider tsm_provider_from_name(const char *name)
{
	if (strcmp(name, "sev_guest") == 0)
		return TSM_PROVIDER_SEV_GUEST;
	if (strcmp(name, "tdx_guest") == 0)
		return TSM_PROVIDER_TDX_GUEST;
	return TSM_PROVIDER_UNKNOWN;
}

int tsm_report_data_offset(size_t *off, enum tsm_provider p, const uint8_t *blob, size_t len,
			   struct eph_err *err)
{
	size_t at;

	switch (p) {
	case TSM_PROVIDER_SEV_GUEST:
		at = 0x50;
		break;
	case TSM_PROVIDER_TDX_GUEST:
		if (len < 2)
			return eph_err_set(err, EPH_EFORMAT, "TDX quote of %zu bytes", len);
		/* version is a little-endian u16 at offset 0 */
		at = (blob[0] | blob[1] << 8) >= 5 ? 48 + 6 + 520 : 48 + 520;
		break;
	default:
		return eph_err_set(err, EPH_EFORMAT, "unknown report provider");
	}
	if (len < at + TSM_REPORT_DATA_LEN)
		return eph_err_set(err, EPH_EFORMAT,
				   "report of %zu bytes is too short to hold report_data at %zu",
				   len, at);
	*off = at;
	return 0;
}

void tsm_evidence_clear(struct tsm_evidence *ev)
{
	free(ev->outblob);
	free(ev->auxblob);
	ev->outblob = NULL;
	ev->auxblob = NULL;
	ev->outblob_len = 0;
	ev->auxblob_len = 0;
	ev->generation = 0;
}

int tsm_collect(struct tsm_evidence *out, const struct tsm_options *opts,
		const uint8_t report_data[TSM_REPORT_DATA_LEN], struct eph_err *err)
{
	const char *root = opts && opts->root ? opts->root : TSM_DEFAULT_ROOT;
	const char *dev = opts && opts->sev_dev ? opts->sev_dev : TSM_DEFAULT_SEV_DEV;
	int privlevel = opts ? opts->privlevel : -1;
	unsigned attempts = opts && opts->max_attempts ? opts->max_attempts : 5;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = tsm__collect_configfs(out, root, report_data, privlevel, attempts, err);
	if (rc != EPH_ENOTFOUND || dev[0] == '\0')
		return rc;
	rc = tsm__collect_sevguest(out, dev, report_data, privlevel < 0 ? 0 : privlevel, err);
	if (rc == EPH_ENOTFOUND)
		return eph_err_set(err, EPH_ENOTFOUND,
				   "not a confidential guest: neither %s nor %s exists", root, dev);
	return rc;
}
