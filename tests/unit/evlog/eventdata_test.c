/*
 * eventdata_test.c - decoding event data of the common types, on bytes
 * built here and on the real logs, and refusing structures whose inner
 * lengths do not add up.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "evlog.h"
#include "testutil.h"

static const uint8_t efi_global_guid[16] = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
					    0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};

static void efi_var(struct tu_buf *b, const char *name, const void *data, size_t dlen)
{
	size_t i, n = strlen(name);

	tu_put(b, efi_global_guid, 16);
	tu_u64(b, n);
	tu_u64(b, dlen);
	for (i = 0; i < n; i++)
		tu_u16(b, (uint16_t)name[i]);
	tu_put(b, data, dlen);
}

Test(evlog_eventdata, efi_variable)
{
	struct tu_buf b = {0};
	struct evlog_efi_var v;
	struct eph_err err = {{0}};
	uint8_t one = 1;

	efi_var(&b, "SecureBoot", &one, 1);
	cr_assert_eq(evlog_decode_efi_var(&v, b.p, b.n, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(v.guid, efi_global_guid, 16), 0);
	cr_assert_eq(v.name_len, 10);
	cr_assert_eq(v.name[0], 'S');
	cr_assert_eq(v.name[18], 't');
	cr_assert_eq(v.data_len, 1);
	cr_assert_eq(v.data[0], 1);
	cr_assert_eq(v.trailing, 0);
	/* A trailing byte is counted (GCE firmware emits them)... */
	tu_u8(&b, 0);
	cr_assert_eq(evlog_decode_efi_var(&v, b.p, b.n, &err), 0);
	cr_assert_eq(v.trailing, 1);
	b.n--;
	/* ...short name, huge lengths: refused. */
	b.p[16] = 0xff;
	cr_assert_eq(evlog_decode_efi_var(&v, b.p, b.n, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "UnicodeNameLength") != NULL, "%s", err.msg);
	memset(b.p + 16, 0xff, 8);
	cr_assert_eq(evlog_decode_efi_var(&v, b.p, b.n, &err), EPH_EFORMAT);
	b.p[16] = 10;
	memset(b.p + 17, 0, 7);
	memset(b.p + 24, 0xff, 8);
	cr_assert_eq(evlog_decode_efi_var(&v, b.p, b.n, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "VariableDataLength") != NULL, "%s", err.msg);
	cr_assert_eq(evlog_decode_efi_var(&v, b.p, 31, &err), EPH_EFORMAT);
	tu_free(&b);
}

Test(evlog_eventdata, efi_image_load)
{
	struct tu_buf b = {0};
	struct evlog_efi_image img;
	struct eph_err err = {{0}};

	tu_u64(&b, 0x7e000000);
	tu_u64(&b, 0x1000);
	tu_u64(&b, 0);
	tu_u64(&b, 4);
	tu_put(&b, "\x7f\xff\x04\x00", 4); /* End of device path */
	cr_assert_eq(evlog_decode_efi_image(&img, b.p, b.n, &err), 0, "%s", err.msg);
	cr_assert_eq(img.location, 0x7e000000);
	cr_assert_eq(img.length, 0x1000);
	cr_assert_eq(img.devpath_len, 4);
	cr_assert_eq(img.devpath[0], 0x7f);
	b.p[24] = 5;
	cr_assert_eq(evlog_decode_efi_image(&img, b.p, b.n, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "LengthOfDevicePath 5") != NULL, "%s", err.msg);
	cr_assert_eq(evlog_decode_efi_image(&img, b.p, 20, &err), EPH_EFORMAT);
	tu_free(&b);
}

Test(evlog_eventdata, firmware_blobs)
{
	struct tu_buf b = {0};
	struct evlog_blob blob;
	struct eph_err err = {{0}};

	tu_u64(&b, 0x900000);
	tu_u64(&b, 0xb00000);
	cr_assert_eq(evlog_decode_blob(&blob, b.p, b.n, 0, &err), 0);
	cr_assert_eq(blob.base, 0x900000);
	cr_assert_eq(blob.length, 0xb00000);
	cr_assert_eq(evlog_decode_blob(&blob, b.p, 15, 0, &err), EPH_EFORMAT);
	tu_free(&b);

	tu_u8(&b, 4);
	tu_put(&b, "DXE!", 4);
	tu_u64(&b, 1);
	tu_u64(&b, 2);
	cr_assert_eq(evlog_decode_blob(&blob, b.p, b.n, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(blob.desc_len, 4);
	cr_assert_eq(memcmp(blob.desc, "DXE!", 4), 0);
	cr_assert_eq(blob.length, 2);
	b.p[0] = 200;
	cr_assert_eq(evlog_decode_blob(&blob, b.p, b.n, 1, &err), EPH_EFORMAT);
	tu_free(&b);
}

Test(evlog_eventdata, tagged_event_and_separator)
{
	struct tu_buf b = {0};
	struct evlog_tagged t;
	struct eph_err err = {{0}};
	int is_error = -1;

	tu_u32(&b, 0x12345678);
	tu_u32(&b, 3);
	tu_put(&b, "abc", 3);
	cr_assert_eq(evlog_decode_tagged(&t, b.p, b.n, &err), 0);
	cr_assert_eq(t.id, 0x12345678);
	cr_assert_eq(t.data_len, 3);
	b.p[4] = 4;
	cr_assert_eq(evlog_decode_tagged(&t, b.p, b.n, &err), EPH_EFORMAT);
	tu_free(&b);

	cr_assert_eq(evlog_decode_separator(&is_error, (const uint8_t *)"\0\0\0\0", 4, &err), 0);
	cr_assert_eq(is_error, 0);
	cr_assert_eq(evlog_decode_separator(&is_error, (const uint8_t *)"\xff\xff\xff\xff", 4,
					    &err),
		     0);
	cr_assert_eq(is_error, 1);
	cr_assert_eq(evlog_decode_separator(&is_error, (const uint8_t *)"\0\0\0", 3, &err),
		     EPH_EFORMAT);
}

Test(evlog_eventdata, no_action_kinds)
{
	uint8_t loc[17] = "StartupLocality";
	uint8_t got = 0;

	loc[16] = 4;
	cr_assert_eq(evlog_noaction_kind(loc, 17, &got), EVLOG_NOACTION_STARTUP_LOCALITY);
	cr_assert_eq(got, 4);
	cr_assert_eq(evlog_noaction_kind(loc, 16, &got), EVLOG_NOACTION_OTHER);
	cr_assert_eq(evlog_noaction_kind((const uint8_t *)"Spec ID Event03\0xxxx", 20, NULL),
		     EVLOG_NOACTION_SPECID);
	cr_assert_eq(evlog_noaction_kind((const uint8_t *)"SP800-155 Event\0", 16, NULL),
		     EVLOG_NOACTION_BIOS_INTEGRITY);
	cr_assert_eq(evlog_noaction_kind((const uint8_t *)"NvIndexInstance\0", 16, NULL),
		     EVLOG_NOACTION_NV_INDEX);
	cr_assert_eq(evlog_noaction_kind((const uint8_t *)"short", 5, NULL), EVLOG_NOACTION_OTHER);
}

Test(evlog_eventdata, type_names)
{
	cr_assert_str_eq(evlog_event_type_name(EV_EFI_VARIABLE_BOOT), "EV_EFI_VARIABLE_BOOT");
	cr_assert_str_eq(evlog_event_type_name(EV_SEPARATOR), "EV_SEPARATOR");
	cr_assert_str_eq(evlog_event_type_name(EV_EFI_HANDOFF_TABLES2), "EV_EFI_HANDOFF_TABLES2");
	cr_assert_null(evlog_event_type_name(0x7fffffff));
}

/*
 * On every real log: the structured events decode, the SecureBoot variable
 * of the Ubuntu no-secure-boot log says 0, and separators are normal.
 */
Test(evlog_eventdata, real_logs_decode)
{
	static const char *const logs[] = {
		"eventlog/ubuntu-2104-no-secure-boot.bin", "eventlog/ubuntu-2104-no-dbx.bin",
		"eventlog/arch-linux-workstation.bin",     "eventlog/cos-85-amd-sev.bin",
		"eventlog/glinux-alex.bin",                "eventlog/ubuntu-1804-amd-sev.bin",
		"eventlog/tpm2-tools/event-bootorder.bin",
	};
	size_t k, i;
	int saw_secureboot = 0;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	for (k = 0; k < sizeof(logs) / sizeof(logs[0]); k++) {
		struct eph_err err = {{0}};
		evlog_log *log = NULL;
		uint8_t *buf;
		size_t len;
		unsigned vars = 0, images = 0;

		buf = tu_read(tu_vector_path(logs[k]), &len);
		cr_assert_eq(evlog_parse(&log, buf, len, 0, &err), 0, "%s", err.msg);
		for (i = 0; i < evlog_count(log); i++) {
			const struct evlog_event *ev = evlog_event_at(log, i);
			struct evlog_efi_var v;
			struct evlog_efi_image img;
			int is_error;

			switch (ev->type) {
			case EV_EFI_VARIABLE_DRIVER_CONFIG:
			case EV_EFI_VARIABLE_BOOT:
			case EV_EFI_VARIABLE_AUTHORITY:
				cr_assert_eq(evlog_decode_efi_var(&v, ev->data, ev->data_size, &err),
					     0, "%s event %zu: %s", logs[k], i, err.msg);
				vars++;
				if (k == 0 && v.name_len == 10 && v.name[0] == 'S' &&
				    v.name[2] == 'e' && v.name[12] == 'B') {
					cr_assert_eq(v.data_len, 1);
					cr_assert_eq(v.data[0], 0, "SecureBoot should be off");
					saw_secureboot = 1;
				}
				break;
			case EV_EFI_BOOT_SERVICES_APPLICATION:
				cr_assert_eq(evlog_decode_efi_image(&img, ev->data, ev->data_size,
								    &err),
					     0, "%s event %zu: %s", logs[k], i, err.msg);
				images++;
				break;
			case EV_SEPARATOR:
				cr_assert_eq(evlog_decode_separator(&is_error, ev->data,
								    ev->data_size, &err),
					     0, "%s event %zu: %s", logs[k], i, err.msg);
				cr_assert_eq(is_error, 0);
				break;
			default:
				break;
			}
		}
		cr_assert_gt(vars, 0, "%s: no EFI variables", logs[k]);
		(void)images;
		evlog_free(log);
		free(buf);
	}
	cr_assert(saw_secureboot);
}

/* Every real log's self-describing events carry digests of their own data. */
Test(evlog_eventdata, real_logs_digests_cover_their_data)
{
	static const char *const logs[] = {
		"eventlog/arch-linux-workstation.bin",
		"eventlog/cos-85-amd-sev.bin",
		"eventlog/debian-10.bin",
		"eventlog/glinux-alex.bin",
		"eventlog/ubuntu-1804-amd-sev.bin",
		"eventlog/ubuntu-2104-no-dbx.bin",
		"eventlog/ubuntu-2104-no-secure-boot.bin",
		"eventlog/tpm2-tss/binary_measurements_nuc.bin",
		"eventlog/tpm2-tss/binary_measurements_pc_client.bin",
		"eventlog/go-attestation/sb_cert_eventlog",
		"eventlog/keylime/binary_bios_measurements",
		"eventlog/tpm2-tools/event-bootorder.bin",
	};
	size_t k, i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	for (k = 0; k < sizeof(logs) / sizeof(logs[0]); k++) {
		struct eph_err err = {{0}};
		evlog_log *log = NULL;
		uint8_t *buf;
		size_t len;
		unsigned checked = 0;

		buf = tu_read(tu_vector_path(logs[k]), &len);
		cr_assert_eq(evlog_parse(&log, buf, len, 0, &err), 0, "%s", err.msg);
		for (i = 0; i < evlog_count(log); i++) {
			int rc = evlog_event_check_digest(evlog_event_at(log, i), &err);

			cr_assert(rc == 0 || rc == EPH_EUNSUPPORTED, "%s: %s", logs[k], err.msg);
			checked += rc == 0;
		}
		cr_assert_gt(checked, 3, "%s: only %u events checked", logs[k], checked);
		evlog_free(log);
		free(buf);
	}
}

/* Editing a measured variable's value after the fact is caught. */
Test(evlog_eventdata, tampered_variable_data_is_caught)
{
	static const uint16_t algs[] = {EPH_ALG_SHA1, EPH_ALG_SHA256};
	struct tu_buf var = {0}, b = {0};
	struct eph_err err = {{0}};
	evlog_log *log = NULL;
	uint8_t zero = 0;
	const struct evlog_event *ev;

	efi_var(&var, "SecureBoot", &zero, 1);
	tu_specid(&b, algs, 2);
	tu_event2(&b, 7, EV_EFI_VARIABLE_DRIVER_CONFIG, var.p, (uint32_t)var.n, algs, 2);
	b.p[b.n - 1] = 1; /* claim Secure Boot was on */
	cr_assert_eq(evlog_parse(&log, b.p, b.n, 0, &err), 0, "%s", err.msg);
	ev = evlog_event_at(log, 1);
	cr_assert_eq(evlog_event_check_digest(ev, &err), EPH_EVERIFY);
	cr_assert(strstr(err.msg, "event 1") && strstr(err.msg, "sha1 digest does not match"),
		  "%s", err.msg);
	cr_assert_eq(evlog_event_check_digest(evlog_event_at(log, 0), &err), EPH_EUNSUPPORTED);
	evlog_free(log);
	tu_free(&b);
	tu_free(&var);
}
