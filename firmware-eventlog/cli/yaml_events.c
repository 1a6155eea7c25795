/*
 * yaml_events.c - print the events of a firmware event log in the YAML that
 * tpm2_eventlog from tpm2-tools 5.4 (Debian 12) prints with its default
 * --eventlog-version=1.
 *
 * Layout per event (TCG PC Client PFP 1.05 section 10.2):
 *   - EventNum: 1
 *     PCRIndex: 0
 *     EventType: EV_EFI_PLATFORM_FIRMWARE_BLOB
 *     DigestCount: 2
 *     Digests:
 *     - AlgorithmId: sha1
 *       Digest: "d1ee..."
 *     EventSize: 16
 *     Event:
 *       BlobBase: 0x900000
 *       BlobLength: 0xb00000
 * The Spec ID header event prints as TCG_PCR_EVENT (one SHA1 "Digest") and
 * its SpecID block.
 *
 * Event data is decoded exactly where tpm2_eventlog 5.4 decodes it (UEFI
 * variables, image loads, firmware blobs, EV_IPL/EV_EFI_ACTION/EV_POST_CODE
 * strings) and printed as hex otherwise, truncated to 1024 bytes as
 * tpm2_eventlog does. Deliberately different from tpm2_eventlog:
 *   - legacy SHA1 logs get "- EventNum: N" lines (tpm2_eventlog omits them
 *     and prints invalid YAML);
 *   - data too short for its structure prints as hex instead of reading
 *     past the event (tpm2_eventlog either fails or over-reads);
 *   - device paths print as hex (Debian's tpm2_eventlog does too; upstream
 *     builds with libefivar print text);
 *   - strings keep YAML valid when they contain newlines.
 * The bytes are read through eph_cur; the library decoders are stricter
 * (they reject trailing bytes) than tpm2_eventlog, whose output we follow.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "eph_cur.h"
#include "evcli-priv.h"

#define HEX_EVENT_MAX 1024 /* tpm2_eventlog's EVENT_BUF_MAX, in bytes */

/* The event types tpm2-tools 5.4 names; others print "Unknown event type". */
static const char *type_name(uint32_t type)
{
	const char *name;

	switch (type) {
	case EV_PREBOOT_CERT:
	case EV_POST_CODE:
	case EV_UNUSED:
	case EV_NO_ACTION:
	case EV_SEPARATOR:
	case EV_ACTION:
	case EV_EVENT_TAG:
	case EV_S_CRTM_CONTENTS:
	case EV_S_CRTM_VERSION:
	case EV_CPU_MICROCODE:
	case EV_PLATFORM_CONFIG_FLAGS:
	case EV_TABLE_OF_DEVICES:
	case EV_COMPACT_HASH:
	case EV_IPL:
	case EV_IPL_PARTITION_DATA:
	case EV_NONHOST_CODE:
	case EV_NONHOST_CONFIG:
	case EV_NONHOST_INFO:
	case EV_OMIT_BOOT_DEVICE_EVENTS:
	case EV_EFI_VARIABLE_DRIVER_CONFIG:
	case EV_EFI_VARIABLE_BOOT:
	case EV_EFI_BOOT_SERVICES_APPLICATION:
	case EV_EFI_BOOT_SERVICES_DRIVER:
	case EV_EFI_RUNTIME_SERVICES_DRIVER:
	case EV_EFI_GPT_EVENT:
	case EV_EFI_ACTION:
	case EV_EFI_PLATFORM_FIRMWARE_BLOB:
	case EV_EFI_HANDOFF_TABLES:
	case EV_EFI_PLATFORM_FIRMWARE_BLOB2:
	case EV_EFI_HANDOFF_TABLES2:
	case EV_EFI_VARIABLE_BOOT2:
	case EV_EFI_HCRTM_EVENT:
	case EV_EFI_VARIABLE_AUTHORITY:
		name = evlog_event_type_name(type);
		return name != NULL ? name : "Unknown event type";
	default:
		return "Unknown event type";
	}
}

static void print_hex_event(FILE *f, const uint8_t *data, size_t n)
{
	fputs("  Event: \"", f);
	evcli_hex(f, data, n, HEX_EVENT_MAX);
	fputs("\"\n", f);
}

/* "  Event: |-" and the bytes up to the first NUL, as tpm2 "%.*s". */
static void print_cstr_event(FILE *f, const uint8_t *data, size_t n)
{
	fputs("  Event: |-\n    ", f);
	evcli_cstr_block(f, data, n, "    ");
	fputc('\n', f);
}

static void print_blob(FILE *f, const uint8_t *data, size_t n)
{
	struct eph_cur c;
	uint64_t base, length;

	eph_cur_init(&c, data, n);
	if (eph_cur_u64le(&c, &base) < 0 || eph_cur_u64le(&c, &length) < 0) {
		print_hex_event(f, data, n);
		return;
	}
	fprintf(f, "  Event:\n    BlobBase: 0x%" PRIx64 "\n    BlobLength: 0x%" PRIx64 "\n", base,
	        length);
}

static void print_blob2(FILE *f, const uint8_t *data, size_t n)
{
	struct evlog_blob b;

	if (evlog_decode_blob(&b, data, n, 1, NULL) < 0) {
		print_hex_event(f, data, n);
		return;
	}
	fprintf(f, "  Event:\n    BlobDescriptionSize: %u\n    BlobDescription: \"",
	        (unsigned)b.desc_len);
	evcli_hex(f, b.desc, b.desc_len, b.desc_len);
	fprintf(f, "\"\n    BlobBase: 0x%" PRIx64 "\n    BlobLength: 0x%" PRIx64 "\n", b.base,
	        b.length);
}

/* UEFI_VARIABLE_DATA; trailing bytes after VariableData are tolerated. */
static void print_efi_var(FILE *f, const uint8_t *data, size_t n)
{
	struct eph_cur c;
	const uint8_t *guid, *name, *var;
	uint64_t name_len, data_len;

	eph_cur_init(&c, data, n);
	if (eph_cur_bytes(&c, 16, &guid) < 0 || eph_cur_u64le(&c, &name_len) < 0 ||
	    eph_cur_u64le(&c, &data_len) < 0 || name_len > eph_cur_left(&c) / 2 ||
	    eph_cur_bytes(&c, (size_t)name_len * 2, &name) < 0 || data_len > eph_cur_left(&c) ||
	    eph_cur_bytes(&c, (size_t)data_len, &var) < 0) {
		print_hex_event(f, data, n);
		return;
	}
	fputs("  Event:\n    VariableName: ", f);
	evcli_guid(f, guid);
	fprintf(f,
	        "\n    UnicodeNameLength: %" PRIu64 "\n    VariableDataLength: %" PRIu64
	        "\n    UnicodeName: ",
	        name_len, data_len);
	evcli_utf16(f, name, (size_t)name_len);
	fputc('\n', f);
	if (data_len != 0) {
		fputs("    VariableData: \"", f);
		evcli_hex(f, var, (size_t)data_len, (size_t)data_len);
		fputs("\"\n", f);
	}
}

/* UEFI_IMAGE_LOAD_EVENT; like tpm2_eventlog the device path printed is
 * everything after the fixed 32 bytes, whatever LengthOfDevicePath says. */
static void print_image(FILE *f, const uint8_t *data, size_t n)
{
	struct eph_cur c;
	uint64_t loc, len, link, dplen;

	eph_cur_init(&c, data, n);
	if (eph_cur_u64le(&c, &loc) < 0 || eph_cur_u64le(&c, &len) < 0 ||
	    eph_cur_u64le(&c, &link) < 0 || eph_cur_u64le(&c, &dplen) < 0) {
		print_hex_event(f, data, n);
		return;
	}
	fprintf(f,
	        "  Event:\n"
	        "    ImageLocationInMemory: 0x%" PRIx64 "\n"
	        "    ImageLengthInMemory: %" PRIu64 "\n"
	        "    ImageLinkTimeAddress: 0x%" PRIx64 "\n"
	        "    LengthOfDevicePath: %" PRIu64 "\n"
	        "    DevicePath: '",
	        loc, len, link, dplen);
	evcli_hex(f, data + c.pos, eph_cur_left(&c), eph_cur_left(&c));
	fputs("'\n", f);
}

/* EV_IPL: one double-quoted line per '\n'-separated line of the data. */
static void print_ipl(FILE *f, const uint8_t *data, size_t n)
{
	size_t i = 0, len;
	const uint8_t *nl;

	fputs("  Event:\n    String: |-\n", f);
	do {
		nl = memchr(data + i, '\n', n - i);
		len = nl != NULL ? (size_t)(nl - (data + i)) : n - i;
		fputs("      \"", f);
		evcli_ipl_line(f, data + i, len);
		fputs("\"\n", f);
		i += len + (nl != NULL);
	} while (i < n);
}

static void print_event_data(FILE *f, uint32_t type, const uint8_t *data, size_t n)
{
	fprintf(f, "  EventSize: %zu\n", n);
	if (n == 0)
		return;
	switch (type) {
	case EV_EFI_VARIABLE_DRIVER_CONFIG:
	case EV_EFI_VARIABLE_BOOT:
	case EV_EFI_VARIABLE_BOOT2:
	case EV_EFI_VARIABLE_AUTHORITY:
		print_efi_var(f, data, n);
		break;
	case EV_POST_CODE:
		if (n == 16)
			print_blob(f, data, n);
		else
			print_cstr_event(f, data, n);
		break;
	case EV_S_CRTM_CONTENTS:
	case EV_EFI_PLATFORM_FIRMWARE_BLOB:
		print_blob(f, data, n);
		break;
	case EV_EFI_PLATFORM_FIRMWARE_BLOB2:
		print_blob2(f, data, n);
		break;
	case EV_EFI_ACTION:
	case EV_EFI_HCRTM_EVENT:
		print_cstr_event(f, data, n);
		break;
	case EV_IPL:
		print_ipl(f, data, n);
		break;
	case EV_EFI_BOOT_SERVICES_APPLICATION:
	case EV_EFI_BOOT_SERVICES_DRIVER:
	case EV_EFI_RUNTIME_SERVICES_DRIVER:
		print_image(f, data, n);
		break;
	default:
		print_hex_event(f, data, n);
		break;
	}
}

static void print_specid_header(FILE *f, const struct evlog_event *ev,
                                const struct evlog_specid *sid)
{
	char buf[8];
	uint32_t i, n;

	fprintf(f, "- EventNum: %" PRIu32 "\n  PCRIndex: %" PRId32 "\n  EventType: %s\n", ev->num,
	        (int32_t)ev->pcr, type_name(ev->type));
	fputs("  Digest: \"", f);
	if (ev->num_digests > 0)
		evcli_hex(f, ev->digests[0].bytes, ev->digests[0].size, ev->digests[0].size);
	fprintf(f, "\"\n  EventSize: %" PRIu32 "\n", ev->data_size);
	fprintf(f,
	        "  SpecID:\n"
	        "  - Signature: %s\n"
	        "    platformClass: %" PRIu32 "\n"
	        "    specVersionMinor: %u\n"
	        "    specVersionMajor: %u\n"
	        "    specErrata: %u\n"
	        "    uintnSize: %u\n"
	        "    numberOfAlgorithms: %" PRIu32 "\n"
	        "    Algorithms:\n",
	        sid->signature, sid->platform_class, (unsigned)sid->version_minor,
	        (unsigned)sid->version_major, (unsigned)sid->errata, (unsigned)sid->uintn_size,
	        sid->num_algs);
	n = sid->num_algs < EVLOG_MAX_ALGS ? sid->num_algs : EVLOG_MAX_ALGS;
	for (i = 0; i < n; i++)
		fprintf(f,
		        "    - Algorithm[%" PRIu32 "]:\n"
		        "      algorithmId: %s\n"
		        "      digestSize: %u\n",
		        i, evcli_alg_name(sid->algs[i].alg, buf, sizeof(buf)),
		        (unsigned)sid->algs[i].size);
	fprintf(f, "    vendorInfoSize: %u\n", (unsigned)sid->vendor_info_size);
	if (sid->vendor_info_size != 0) {
		fputs("    vendorInfo: \"", f);
		evcli_hex(f, sid->vendor_info, sid->vendor_info_size, sid->vendor_info_size);
		fputs("\"\n", f);
	}
}

static void print_event(FILE *f, const struct evlog_event *ev)
{
	char buf[8];
	uint32_t i;

	fprintf(f,
	        "- EventNum: %" PRIu32 "\n"
	        "  PCRIndex: %" PRId32 "\n"
	        "  EventType: %s\n"
	        "  DigestCount: %" PRIu32 "\n"
	        "  Digests:\n",
	        ev->num, (int32_t)ev->pcr, type_name(ev->type), ev->num_digests);
	for (i = 0; i < ev->num_digests && i < EVLOG_MAX_ALGS; i++) {
		const struct evlog_digest *d = &ev->digests[i];

		fprintf(f, "  - AlgorithmId: %s\n    Digest: \"",
		        evcli_alg_name(d->alg, buf, sizeof(buf)));
		evcli_hex(f, d->bytes, d->size, d->size);
		fputs("\"\n", f);
	}
	print_event_data(f, ev->type, ev->data, ev->data_size);
}

void evcli_print_events(FILE *f, const evlog_log *log)
{
	const struct evlog_specid *sid = evlog_get_specid(log);
	size_t i, n = evlog_count(log);

	fputs("---\nversion: 1\nevents:\n", f);
	for (i = 0; i < n; i++) {
		const struct evlog_event *ev = evlog_event_at(log, i);

		if (i == 0 && sid != NULL)
			print_specid_header(f, ev, sid);
		else
			print_event(f, ev);
	}
}
