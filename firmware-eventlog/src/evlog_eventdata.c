/*
 * evlog_eventdata.c - decoding the data of the common event types
 * (TCG PC Client PFP 1.05, section 10.4; UEFI 2.x for the EFI structures).
 * All integers little-endian.
 *
 * UEFI_VARIABLE_DATA (EV_EFI_VARIABLE_*), PFP 10.4.3:
 *   VariableName GUID[16] | UnicodeNameLength u64 | VariableDataLength u64 |
 *   UnicodeName[UnicodeNameLength] (CHAR16) | VariableData[VariableDataLength]
 *   61dfe48bca93d211aa0d00e098032b8c 0a00000000000000 0100000000000000
 *   530065006300750072006500420006f006f007400 01        ("SecureBoot" = 1)
 *
 * UEFI_IMAGE_LOAD_EVENT (EV_EFI_BOOT_SERVICES_*, EV_EFI_RUNTIME_SERVICES_DRIVER):
 *   ImageLocationInMemory u64 | ImageLengthInMemory u64 |
 *   ImageLinkTimeAddress u64 | LengthOfDevicePath u64 | DevicePath[...]
 *
 * UEFI_PLATFORM_FIRMWARE_BLOB: BlobBase u64 | BlobLength u64
 * UEFI_PLATFORM_FIRMWARE_BLOB2: BlobDescriptionSize u8 | BlobDescription[] |
 *   BlobBase u64 | BlobLength u64
 * TCG_PCClientTaggedEvent (EV_EVENT_TAG): taggedEventID u32 |
 *   taggedEventDataSize u32 | taggedEventData[]
 * EV_SEPARATOR: u32, 0 or (error) 0xFFFFFFFF / 1.
 * EV_NO_ACTION: recognised by a 16-byte signature (PFP 10.4.5).
 *
 * The strings of EV_EFI_ACTION, EV_IPL, EV_POST_CODE and EV_S_CRTM_VERSION
 * need no decoding beyond their length; printing them is the caller's job.
 * Decoders check that the declared lengths add up to exactly the data size:
 * a structure with trailing bytes is as suspicious as a short one. The
 * exceptions are UEFI_VARIABLE_DATA and UEFI_IMAGE_LOAD_EVENT, which real
 * firmware (GCE) emits with trailing bytes: those are counted in ->trailing.
 */
#include <string.h>

#include "eph_cur.h"
#include "evlog-priv.h"

int evlog_decode_efi_var(struct evlog_efi_var *out, const uint8_t *buf, size_t len,
			 struct eph_err *err)
{
	struct eph_cur c;
	const uint8_t *guid;

	memset(out, 0, sizeof(*out));
	eph_cur_init(&c, buf, len);
	if (eph_cur_bytes(&c, 16, &guid) < 0 || eph_cur_u64le(&c, &out->name_len) < 0 ||
	    eph_cur_u64le(&c, &out->data_len) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "UEFI_VARIABLE_DATA truncated: %zu bytes, need 32", len);
	memcpy(out->guid, guid, 16);
	if (out->name_len > eph_cur_left(&c) / 2 ||
	    eph_cur_bytes(&c, (size_t)out->name_len * 2, &out->name) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "UEFI_VARIABLE_DATA: UnicodeNameLength %llu runs past the end",
				   (unsigned long long)out->name_len);
	if (out->data_len > eph_cur_left(&c) ||
	    eph_cur_bytes(&c, (size_t)out->data_len, &out->data) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "UEFI_VARIABLE_DATA: VariableDataLength %llu runs past the end",
				   (unsigned long long)out->data_len);
	out->trailing = eph_cur_left(&c);
	return 0;
}

int evlog_decode_efi_image(struct evlog_efi_image *out, const uint8_t *buf, size_t len,
			   struct eph_err *err)
{
	struct eph_cur c;

	memset(out, 0, sizeof(*out));
	eph_cur_init(&c, buf, len);
	if (eph_cur_u64le(&c, &out->location) < 0 || eph_cur_u64le(&c, &out->length) < 0 ||
	    eph_cur_u64le(&c, &out->link_addr) < 0 || eph_cur_u64le(&c, &out->devpath_len) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "UEFI_IMAGE_LOAD_EVENT truncated: %zu bytes, need 32", len);
	if (out->devpath_len > eph_cur_left(&c) ||
	    eph_cur_bytes(&c, (size_t)out->devpath_len, &out->devpath) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "UEFI_IMAGE_LOAD_EVENT: LengthOfDevicePath %llu runs past the end",
				   (unsigned long long)out->devpath_len);
	/* Real GCE firmware leaves bytes after the device path; the event's
	 * digest covers the image, not this structure, so tolerate them. */
	out->trailing = eph_cur_left(&c);
	return 0;
}

int evlog_decode_blob(struct evlog_blob *out, const uint8_t *buf, size_t len, int blob2,
		      struct eph_err *err)
{
	struct eph_cur c;

	memset(out, 0, sizeof(*out));
	eph_cur_init(&c, buf, len);
	if (blob2 && (eph_cur_u8(&c, &out->desc_len) < 0 ||
		      eph_cur_bytes(&c, out->desc_len, &out->desc) < 0))
		return eph_err_set(err, EPH_EFORMAT,
				   "UEFI_PLATFORM_FIRMWARE_BLOB2: description runs past the end");
	if (eph_cur_u64le(&c, &out->base) < 0 || eph_cur_u64le(&c, &out->length) < 0)
		return eph_err_set(err, EPH_EFORMAT, "UEFI_PLATFORM_FIRMWARE_BLOB%s truncated",
				   blob2 ? "2" : "");
	if (eph_cur_left(&c) != 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "UEFI_PLATFORM_FIRMWARE_BLOB%s: %zu bytes after BlobLength",
				   blob2 ? "2" : "", eph_cur_left(&c));
	return 0;
}

int evlog_decode_tagged(struct evlog_tagged *out, const uint8_t *buf, size_t len,
			struct eph_err *err)
{
	struct eph_cur c;

	memset(out, 0, sizeof(*out));
	eph_cur_init(&c, buf, len);
	if (eph_cur_u32le(&c, &out->id) < 0 || eph_cur_u32le(&c, &out->data_len) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "TCG_PCClientTaggedEvent truncated: %zu bytes, need 8", len);
	if (eph_cur_bytes(&c, out->data_len, &out->data) < 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "TCG_PCClientTaggedEvent: taggedEventDataSize %u runs past the "
				   "end",
				   out->data_len);
	if (eph_cur_left(&c) != 0)
		return eph_err_set(err, EPH_EFORMAT,
				   "TCG_PCClientTaggedEvent: %zu bytes after the data",
				   eph_cur_left(&c));
	return 0;
}

int evlog_decode_separator(int *is_error, const uint8_t *buf, size_t len, struct eph_err *err)
{
	uint32_t v;

	*is_error = 0;
	if (len != 4)
		return eph_err_set(err, EPH_EFORMAT, "EV_SEPARATOR data is %zu bytes, must be 4",
				   len);
	v = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
	    (uint32_t)buf[3] << 24;
	*is_error = v != 0;
	return 0;
}

static int sig_is(const uint8_t *buf, size_t len, const char *sig)
{
	/* Signatures are 16 bytes; shorter ones are NUL padded. */
	char pad[16] = {0};

	memcpy(pad, sig, strlen(sig));
	return len >= 16 && memcmp(buf, pad, 16) == 0;
}

enum evlog_noaction_kind evlog_noaction_kind(const uint8_t *buf, size_t len, uint8_t *locality)
{
	if (sig_is(buf, len, "Spec ID Event03") || sig_is(buf, len, "Spec ID Event02") ||
	    sig_is(buf, len, "Spec ID Event00"))
		return EVLOG_NOACTION_SPECID;
	if (len == 17 && sig_is(buf, len, "StartupLocality")) {
		if (locality != NULL)
			*locality = buf[16];
		return EVLOG_NOACTION_STARTUP_LOCALITY;
	}
	if (sig_is(buf, len, "SP800-155 Event"))
		return EVLOG_NOACTION_BIOS_INTEGRITY;
	if (sig_is(buf, len, "NvIndexInstance"))
		return EVLOG_NOACTION_NV_INDEX;
	if (sig_is(buf, len, "NvIndexDynamic"))
		return EVLOG_NOACTION_NV_DYNAMIC;
	return EVLOG_NOACTION_OTHER;
}
