/*
 * evlog.h - libevlog: the TCG firmware event log and the Linux IMA
 * measurement list, parsed from untrusted bytes, replayed into PCRs.
 *
 * Firmware log (TCG PC Client Platform Firmware Profile 1.05, section 10):
 *   - legacy SHA1-only TCG_PCR_EVENT logs (TPM 1.2 style, "Spec ID Event00"
 *     or no Spec ID event at all);
 *   - crypto-agile logs: a TCG_PCR_EVENT header holding the
 *     TCG_EfiSpecIDEvent ("Spec ID Event03") and its algorithm table, then
 *     TCG_PCR_EVENT2 entries with one digest per algorithm;
 *   - confidential-computing logs (UEFI 2.10 CC event log, TDX CCEL): same
 *     layout, index = CC measurement register (1..4 = RTMR0..3), optional
 *     0xFF padding after the last event (EVLOG_F_CCEL).
 * IMA (Linux security/integrity/ima): binary_runtime_measurements and
 * ascii_runtime_measurements, templates ima, ima-ng, ima-sig.
 *
 * Not here: judging what the events mean against a policy (broker/appraise),
 * reading PCRs from a TPM (tpm/).
 *
 * Every function returns 0 or a negative EPH_E* code and fills err with one
 * line naming what was wrong and the byte offset or entry where it was.
 */
#ifndef EVLOG_H
#define EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"
#include "eph_hash.h"

#define EVLOG_MAX_ALGS 8   /* entries kept from a Spec ID algorithm table */
#define EVLOG_NUM_PCRS 24  /* PCR 0..23 */
#define EVLOG_MAX_DIGEST EPH_HASH_MAX
#define EVLOG_MAX_EVENT_DATA (16u << 20) /* one event's data, sanity cap */

/* Event types (PFP 1.05 table 9, UEFI additions at 0x80000000). */
#define EV_PREBOOT_CERT 0x00000000
#define EV_POST_CODE 0x00000001
#define EV_UNUSED 0x00000002
#define EV_NO_ACTION 0x00000003
#define EV_SEPARATOR 0x00000004
#define EV_ACTION 0x00000005
#define EV_EVENT_TAG 0x00000006
#define EV_S_CRTM_CONTENTS 0x00000007
#define EV_S_CRTM_VERSION 0x00000008
#define EV_CPU_MICROCODE 0x00000009
#define EV_PLATFORM_CONFIG_FLAGS 0x0000000A
#define EV_TABLE_OF_DEVICES 0x0000000B
#define EV_COMPACT_HASH 0x0000000C
#define EV_IPL 0x0000000D
#define EV_IPL_PARTITION_DATA 0x0000000E
#define EV_NONHOST_CODE 0x0000000F
#define EV_NONHOST_CONFIG 0x00000010
#define EV_NONHOST_INFO 0x00000011
#define EV_OMIT_BOOT_DEVICE_EVENTS 0x00000012
#define EV_POST_CODE2 0x00000013
#define EV_EFI_EVENT_BASE 0x80000000
#define EV_EFI_VARIABLE_DRIVER_CONFIG 0x80000001
#define EV_EFI_VARIABLE_BOOT 0x80000002
#define EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003
#define EV_EFI_BOOT_SERVICES_DRIVER 0x80000004
#define EV_EFI_RUNTIME_SERVICES_DRIVER 0x80000005
#define EV_EFI_GPT_EVENT 0x80000006
#define EV_EFI_ACTION 0x80000007
#define EV_EFI_PLATFORM_FIRMWARE_BLOB 0x80000008
#define EV_EFI_HANDOFF_TABLES 0x80000009
#define EV_EFI_PLATFORM_FIRMWARE_BLOB2 0x8000000A
#define EV_EFI_HANDOFF_TABLES2 0x8000000B
#define EV_EFI_VARIABLE_BOOT2 0x8000000C
#define EV_EFI_GPT_EVENT2 0x8000000D
#define EV_EFI_HCRTM_EVENT 0x80000010
#define EV_EFI_VARIABLE_AUTHORITY 0x800000E0
#define EV_EFI_SPDM_FIRMWARE_BLOB 0x800000E1
#define EV_EFI_SPDM_FIRMWARE_CONFIG 0x800000E2

/* ---------------------------------------------------------------------- */
/* Firmware event log                                                      */
/* ---------------------------------------------------------------------- */

typedef struct evlog_log evlog_log; /* opaque; owns a copy of the bytes */

/* Parse flags. */
#define EVLOG_F_CCEL 0x1 /* CC event log: any header index, MR index semantics */
/* Accept fill after the last event: the rest all 0xFF or all 0x00, or an
 * event header with index 0xFFFFFFFF (end marker of fixed-size buffers). */
#define EVLOG_F_ALLOW_PADDING 0x2

enum evlog_format {
	EVLOG_FMT_SHA1 = 1,         /* legacy TCG_PCR_EVENT throughout */
	EVLOG_FMT_CRYPTO_AGILE = 2, /* Spec ID Event03 header + TCG_PCR_EVENT2 */
};

struct evlog_alg {
	uint16_t alg;  /* TPM_ALG_ID (EPH_ALG_*) */
	uint16_t size; /* digest size in bytes */
};

/* The TCG_EfiSpecIDEvent of a crypto-agile log (PFP 1.05, 10.4.5.1). */
struct evlog_specid {
	char signature[17]; /* "Spec ID Event03", NUL-terminated */
	uint32_t platform_class;
	uint8_t version_minor;
	uint8_t version_major;
	uint8_t errata;
	uint8_t uintn_size; /* 1: UINT32, 2: UINT64 */
	uint32_t num_algs;
	struct evlog_alg algs[EVLOG_MAX_ALGS];
	uint8_t vendor_info_size;
	const uint8_t *vendor_info; /* points into the log's copy */
};

struct evlog_digest {
	uint16_t alg;
	uint16_t size;
	const uint8_t *bytes; /* points into the log's copy */
};

struct evlog_event {
	uint32_t num;     /* 0-based position in the log, the header is 0 */
	size_t offset;    /* byte offset of the event in the log */
	uint32_t pcr;     /* PCR index (CC logs: MR index) */
	uint32_t type;    /* EV_* */
	uint32_t num_digests;
	struct evlog_digest digests[EVLOG_MAX_ALGS];
	uint32_t data_size;
	const uint8_t *data; /* event data, points into the log's copy */
};

/*
 * Parse a whole log. buf is copied; events point into the copy and live as
 * long as *out. On failure *out is NULL and err names the event number and
 * byte offset that broke. An empty buffer is an error.
 */
int evlog_parse(evlog_log **out, const uint8_t *buf, size_t len, unsigned flags,
		struct eph_err *err);

/* Free a log from evlog_parse; NULL is fine. */
void evlog_free(evlog_log *log);

enum evlog_format evlog_get_format(const evlog_log *log);

/* The Spec ID event of a crypto-agile log, NULL for a legacy log. */
const struct evlog_specid *evlog_get_specid(const evlog_log *log);

/* Bytes of fill ignored at the end under EVLOG_F_ALLOW_PADDING (else 0). */
size_t evlog_trailing_bytes(const evlog_log *log);

/* Number of events, the header event included. */
size_t evlog_count(const evlog_log *log);

/* Event i (0 <= i < evlog_count), NULL when out of range. */
const struct evlog_event *evlog_event_at(const evlog_log *log, size_t i);

/* The digest of an event in one bank, NULL if the event has none for alg. */
const struct evlog_digest *evlog_event_digest(const struct evlog_event *ev, uint16_t alg);

/*
 * For the event types whose digest PFP 1.05 defines as the hash of the event
 * data (EV_SEPARATOR, EV_ACTION, EV_EFI_ACTION, EV_EFI_VARIABLE_DRIVER_CONFIG,
 * EV_EFI_VARIABLE_BOOT(2), EV_EFI_GPT_EVENT), check every digest against the
 * data. Returns 0 when all
 * match, EPH_EVERIFY naming the event and bank when one does not (the data
 * was changed after it was measured), EPH_EUNSUPPORTED for the other types,
 * whose digest covers something outside the log.
 */
int evlog_event_check_digest(const struct evlog_event *ev, struct eph_err *err);

/* "EV_EFI_VARIABLE_BOOT" for EV_EFI_VARIABLE_BOOT; NULL for unknown types. */
const char *evlog_event_type_name(uint32_t type);

/* ---------------------------------------------------------------------- */
/* Replay                                                                  */
/* ---------------------------------------------------------------------- */

/* One PCR bank: values of PCR 0..23 in one algorithm. */
struct evlog_bank {
	uint16_t alg;
	uint16_t size;
	uint32_t extended; /* bit i set: PCR i was extended at least once */
	uint32_t incomplete; /* bit i set: an event for PCR i had no digest in this bank */
	uint8_t pcr[EVLOG_NUM_PCRS][EVLOG_MAX_DIGEST];
};

struct evlog_replay {
	uint32_t num_banks;
	struct evlog_bank banks[EVLOG_MAX_ALGS];
	uint8_t startup_locality; /* from the StartupLocality event, else 0 */
};

/*
 * Replay every measuring event (all but EV_NO_ACTION) into PCRs, one bank
 * per algorithm of the log (sha1 alone for a legacy log). PCR 0 starts at
 * the StartupLocality value (PFP 1.05, 10.4.5.3), PCRs 17..22 at all-ones
 * as after TPM2_Startup, the others at zero. Banks whose algorithm this
 * OpenSSL lacks are an EPH_EUNSUPPORTED error.
 *
 * PFP asks for one digest per bank in every event, but real logs (and
 * tpm2-tools' fixtures) sometimes carry fewer: such a bank is extended only
 * with the digests present, like tpm2_eventlog does, and the PCR is marked
 * in bank->incomplete so that evlog_replay_compare refuses to vouch for it.
 */
int evlog_replay(struct evlog_replay *out, const evlog_log *log, struct eph_err *err);

/* The bank for alg in a replay, NULL if the log has no such bank. */
const struct evlog_bank *evlog_replay_bank(const struct evlog_replay *r, uint16_t alg);

/*
 * Compare replayed PCRs with given ones (e.g. read from a TPM or a quote),
 * for every PCR whose bit is set in mask, lowest first. Returns 0 when all
 * agree; EPH_EVERIFY with *first_bad (may be NULL) set to the first PCR that
 * differs or that the log left incomplete in this bank, and err showing
 * both values; EPH_ENOTFOUND when the replay has no bank for expected->alg.
 */
int evlog_replay_compare(const struct evlog_replay *r, const struct evlog_bank *expected,
			 uint32_t mask, unsigned *first_bad, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* Event data (PFP 1.05 section 10.4, UEFI 2.x)                            */
/* ---------------------------------------------------------------------- */

/* UEFI_VARIABLE_DATA: EV_EFI_VARIABLE_DRIVER_CONFIG / _BOOT / _BOOT2 / _AUTHORITY */
struct evlog_efi_var {
	uint8_t guid[16]; /* VariableName GUID, as stored (mixed endian) */
	uint64_t name_len; /* UnicodeNameLength, in UTF-16 code units */
	uint64_t data_len; /* VariableDataLength */
	const uint8_t *name; /* UTF-16LE, name_len*2 bytes */
	const uint8_t *data;
	size_t trailing; /* bytes after VariableData (some GCE firmware), ignored */
};

/* UEFI_IMAGE_LOAD_EVENT: EV_EFI_BOOT_SERVICES_APPLICATION / _DRIVER, EV_EFI_RUNTIME_SERVICES_DRIVER */
struct evlog_efi_image {
	uint64_t location;  /* ImageLocationInMemory */
	uint64_t length;    /* ImageLengthInMemory */
	uint64_t link_addr; /* ImageLinkTimeAddress */
	uint64_t devpath_len;
	const uint8_t *devpath; /* EFI_DEVICE_PATH_PROTOCOL bytes */
	size_t trailing; /* bytes after DevicePath (some GCE firmware), ignored */
};

/* UEFI_PLATFORM_FIRMWARE_BLOB(2): EV_EFI_PLATFORM_FIRMWARE_BLOB(2), also EV_POST_CODE blobs */
struct evlog_blob {
	uint8_t desc_len;       /* BLOB2 only */
	const uint8_t *desc;    /* BLOB2 only */
	uint64_t base;
	uint64_t length;
};

/* TCG_PCClientTaggedEvent: EV_EVENT_TAG */
struct evlog_tagged {
	uint32_t id;
	uint32_t data_len;
	const uint8_t *data;
};

/* EV_NO_ACTION flavours recognised by their signature. */
enum evlog_noaction_kind {
	EVLOG_NOACTION_OTHER = 0,
	EVLOG_NOACTION_SPECID,           /* "Spec ID Event03" / "Spec ID Event00" */
	EVLOG_NOACTION_STARTUP_LOCALITY, /* "StartupLocality\0" + UINT8 */
	EVLOG_NOACTION_BIOS_INTEGRITY,   /* "SP800-155 Event" */
	EVLOG_NOACTION_NV_INDEX,         /* "NvIndexInstance" */
	EVLOG_NOACTION_NV_DYNAMIC,       /* "NvIndexDynamic" */
};

int evlog_decode_efi_var(struct evlog_efi_var *out, const uint8_t *buf, size_t len,
			 struct eph_err *err);
int evlog_decode_efi_image(struct evlog_efi_image *out, const uint8_t *buf, size_t len,
			   struct eph_err *err);
/* blob2 != 0 for the UEFI_PLATFORM_FIRMWARE_BLOB2 layout (leading description). */
int evlog_decode_blob(struct evlog_blob *out, const uint8_t *buf, size_t len, int blob2,
		      struct eph_err *err);
int evlog_decode_tagged(struct evlog_tagged *out, const uint8_t *buf, size_t len,
			struct eph_err *err);
/* Kind of an EV_NO_ACTION event's data; *locality set for STARTUP_LOCALITY. */
enum evlog_noaction_kind evlog_noaction_kind(const uint8_t *buf, size_t len, uint8_t *locality);

/*
 * EV_SEPARATOR data is 4 bytes: 0x00000000 for a normal separator,
 * 0xFFFFFFFF (or 0x00000001 in some firmware) for an error. Returns 0 and
 * sets *is_error, or EPH_EFORMAT for other sizes.
 */
int evlog_decode_separator(int *is_error, const uint8_t *buf, size_t len, struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* ACPI CCEL table (where a confidential guest's CC event log lives)        */
/* ---------------------------------------------------------------------- */

#define EVLOG_CC_TYPE_SEV 1
#define EVLOG_CC_TYPE_TDX 2

struct evlog_ccel_table {
	uint8_t revision;
	char oem_id[7];     /* NUL-terminated */
	uint8_t cc_type;    /* EVLOG_CC_TYPE_* */
	uint8_t cc_subtype;
	uint64_t laml;      /* log area minimum length */
	uint64_t lasa;      /* log area start address (guest physical) */
};

/* Parse the 56-byte ACPI CCEL table (ACPI 6.5, 5.2.34), checksum included. */
int evlog_ccel_table_parse(struct evlog_ccel_table *out, const uint8_t *buf, size_t len,
			   struct eph_err *err);

/* ---------------------------------------------------------------------- */
/* IMA measurement list                                                    */
/* ---------------------------------------------------------------------- */

typedef struct evlog_ima evlog_ima; /* opaque; owns its entries */

#define EVLOG_IMA_BINARY 0x1 /* binary_runtime_measurements (host byte order: LE) */
#define EVLOG_IMA_ASCII 0x2  /* ascii_runtime_measurements */
#define EVLOG_IMA_AUTO 0x3   /* decide from the first bytes */

#define EVLOG_IMA_TEMPLATE_HASH_LEN 20 /* the list records SHA1 template hashes */

struct evlog_ima_entry {
	uint32_t num;    /* 0-based position in the list */
	size_t offset;   /* byte offset (binary) or line number - 1 (ascii) */
	uint32_t pcr;    /* 10 unless the policy says otherwise */
	uint8_t template_hash[EVLOG_IMA_TEMPLATE_HASH_LEN];
	int violation;   /* template hash all zero: a measurement violation */
	char template_name[256];     /* "ima", "ima-ng", "ima-sig", or a custom
				      * ima_template_fmt such as "d-ng|n-ng|sig"; NUL-terminated */
	uint32_t template_data_len;
	const uint8_t *template_data; /* as hashed into template_hash; owned by the list */
	/* Decoded fields of the known templates (NULL/0 when absent): */
	uint16_t file_hash_alg;       /* EPH_ALG_*; sha1 for the "ima" template */
	uint32_t file_hash_len;
	const uint8_t *file_hash;
	uint32_t file_name_len;       /* without the NUL */
	const char *file_name;        /* NUL-terminated */
	uint32_t sig_len;             /* ima-sig */
	const uint8_t *sig;
};

/* Parse a measurement list; flags: EVLOG_IMA_BINARY, _ASCII or _AUTO. An
 * empty input is an empty list, not an error. */
int evlog_ima_parse(evlog_ima **out, const uint8_t *buf, size_t len, unsigned flags,
		    struct eph_err *err);
void evlog_ima_free(evlog_ima *ima);
size_t evlog_ima_count(const evlog_ima *ima);
const struct evlog_ima_entry *evlog_ima_entry_at(const evlog_ima *ima, size_t i);

/*
 * Check every entry's template hash against SHA1 of its template data
 * (violations excepted). Returns 0, or EPH_EVERIFY with *first_bad set to the
 * first entry that does not match.
 */
int evlog_ima_check_template_hashes(const evlog_ima *ima, size_t *first_bad,
				    struct eph_err *err);

/*
 * Replay the list into PCR `pcr` (normally 10) of bank alg, starting from
 * zero. sha1 extends the recorded template hashes; other banks extend
 * H_alg(template data) as Linux >= 5.8 does for non-SHA1 banks. A violation
 * extends all-ones in every bank. out must hold eph_hash_size(alg) bytes.
 */
int evlog_ima_replay(uint8_t *out, const evlog_ima *ima, uint16_t alg, uint32_t pcr,
		     struct eph_err *err);

/*
 * Like evlog_ima_replay, but extend the entries into the value already in
 * *pcr (in/out, eph_hash_size(alg) bytes) instead of zero: the way to carry a
 * list on from a PCR value replayed earlier when only the entries after it
 * arrive (an agent sending its list in chunks). On failure *pcr holds a
 * partial result and must not be used.
 */
int evlog_ima_extend(uint8_t *pcr, const evlog_ima *ima, uint16_t alg, uint32_t pcr_index,
		     struct eph_err *err);

#endif
