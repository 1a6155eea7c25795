/*
 * tsm.h - libtsm: collecting a confidential-computing attestation report
 * inside the guest, through Linux configfs-tsm
 * (Documentation/ABI/testing/configfs-tsm-report) with /dev/sev-guest's
 * SNP_GET_EXT_REPORT ioctl as the fallback for kernels before 6.7.
 *
 * The agent asks for a report over 64 bytes of report_data (Ephemera binds
 * SHA-512(nonce || AK name), see eph_bind_report_data) and ships outblob
 * (the SNP report or the TDX quote) and auxblob (SNP: the GHCB certificate
 * table with VCEK/ASK/ARK) to the broker unparsed: verifying them is the
 * broker's job (cvm/snp, cvm/tdx).
 *
 * The configfs root is a parameter so that tests can point it at a fake
 * tree; nothing here depends on the real one.
 */
#ifndef TSM_H
#define TSM_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

#define TSM_DEFAULT_ROOT "/sys/kernel/config/tsm/report"
#define TSM_DEFAULT_SEV_DEV "/dev/sev-guest"
#define TSM_REPORT_DATA_LEN 64
#define TSM_MAX_BLOB (1u << 20) /* outblob/auxblob size cap */

enum tsm_provider {
	TSM_PROVIDER_UNKNOWN = 0,
	TSM_PROVIDER_SEV_GUEST, /* "sev_guest": outblob is an SNP ATTESTATION_REPORT */
	TSM_PROVIDER_TDX_GUEST, /* "tdx_guest": outblob is a TDX quote */
};

struct tsm_evidence {
	enum tsm_provider provider;
	char provider_name[32];  /* as the kernel names it, NUL-terminated */
	uint8_t *outblob;        /* owned */
	size_t outblob_len;
	uint8_t *auxblob;        /* owned; NULL when the provider gives none */
	size_t auxblob_len;
	uint32_t generation;     /* configfs generation the blobs belong to */
	unsigned attempts;       /* reads it took to get a consistent report */
};

struct tsm_options {
	const char *root;   /* configfs-tsm report folder; NULL: TSM_DEFAULT_ROOT */
	const char *sev_dev; /* fallback device; NULL: TSM_DEFAULT_SEV_DEV; "" disables */
	int privlevel;      /* SNP VMPL to request, -1 to leave the kernel's default */
	unsigned max_attempts; /* 0: 5 */
};

/*
 * Collect one report over report_data. Through configfs: create a report
 * entry, write inblob (and privlevel), read generation, outblob, auxblob,
 * generation again, and retry (bounded, with a short backoff) when another
 * writer changed the entry in between or when the report does not carry
 * our report_data; remove the entry. When configfs-tsm is absent, fall back
 * to /dev/sev-guest. EPH_ENOTFOUND when neither exists (not a confidential
 * guest); EPH_EVERIFY when no consistent report could be read.
 * Free with tsm_evidence_clear().
 */
int tsm_collect(struct tsm_evidence *out, const struct tsm_options *opts,
		const uint8_t report_data[TSM_REPORT_DATA_LEN], struct eph_err *err);

/* Release the blobs; the struct may be reused. */
void tsm_evidence_clear(struct tsm_evidence *ev);

/* "sev_guest" -> TSM_PROVIDER_SEV_GUEST, ... */
enum tsm_provider tsm_provider_from_name(const char *name);

/*
 * Where the provider's report format keeps report_data, so that a reader
 * can check the report answers its own request: SNP report offset 0x50,
 * TDX quote v4/v5 header (48) + body offset 520. Returns 0 and sets *off,
 * or EPH_EFORMAT when the blob is too short or of an unknown provider.
 */
int tsm_report_data_offset(size_t *off, enum tsm_provider p, const uint8_t *blob, size_t len,
			   struct eph_err *err);

#endif
