/*
 * vectors_test.c - every firmware event log of ../shared/vectors/eventlog
 * parses (or is refused, for the NEGATIVE ones) and replays to the PCR
 * values recorded from the real machines.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "eph_hex.h"
#include "evlog.h"
#include "testutil.h"

static evlog_log *parse_vector(const char *rel, unsigned flags)
{
	struct eph_err err = {{0}};
	evlog_log *log = NULL;
	uint8_t *buf;
	size_t len;
	int rc;

	buf = tu_read(tu_vector_path(rel), &len);
	rc = evlog_parse(&log, buf, len, flags, &err);
	free(buf);
	cr_assert_eq(rc, 0, "%s: %s", rel, err.msg);
	cr_assert_not_null(log);
	return log;
}

/* Fill a bank from {"0": "hex", "4": "hex"}; returns the PCR mask. */
static uint32_t bank_from_json(struct evlog_bank *bank, uint16_t alg, json_t *obj)
{
	const char *key;
	json_t *val;
	uint32_t mask = 0;

	memset(bank, 0, sizeof(*bank));
	bank->alg = alg;
	bank->size = (uint16_t)eph_hash_size(alg);
	json_object_foreach(obj, key, val)
	{
		long idx = strtol(key, NULL, 10);
		const char *hex = json_string_value(val);

		cr_assert(idx >= 0 && idx < EVLOG_NUM_PCRS);
		cr_assert_eq(eph_hex_decode(bank->pcr[idx], EVLOG_MAX_DIGEST, hex, strlen(hex)),
			     (long)bank->size);
		mask |= 1u << idx;
	}
	return mask;
}

static void check_expected(const char *bin, const char *json)
{
	struct evlog_replay replay;
	struct eph_err err = {{0}};
	json_error_t jerr;
	json_t *root, *pcrs, *apps, *banks;
	const char *alg_name;
	evlog_log *log;
	int checked = 0;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	root = json_load_file(tu_vector_path(json), 0, &jerr);
	cr_assert_not_null(root, "%s: %s", json, jerr.text);
	log = parse_vector(bin, 0);
	cr_assert_eq(evlog_replay(&replay, log, &err), 0, "%s: %s", bin, err.msg);

	pcrs = json_object_get(root, "pcrs");
	json_object_foreach(pcrs, alg_name, banks)
	{
		struct evlog_bank want;
		uint16_t alg = eph_hash_from_name(alg_name, strlen(alg_name));
		uint32_t mask = bank_from_json(&want, alg, banks);
		unsigned bad = 99;

		cr_assert_neq(alg, 0, "unknown bank %s", alg_name);
		cr_assert_eq(evlog_replay_compare(&replay, &want, mask, &bad, &err), 0,
			     "%s %s: %s", bin, alg_name, err.msg);
		checked++;
	}
	cr_assert_gt(checked, 0);

	/* EV_EFI_BOOT_SERVICES_APPLICATION digests in PCR 4, in order. */
	apps = json_object_get(root, "efi_app_digests");
	json_object_foreach(apps, alg_name, banks)
	{
		uint16_t alg = eph_hash_from_name(alg_name, strlen(alg_name));
		size_t i, k = 0;

		for (i = 0; i < evlog_count(log); i++) {
			const struct evlog_event *ev = evlog_event_at(log, i);
			const struct evlog_digest *d;
			char hex[2 * EVLOG_MAX_DIGEST + 1];

			if (ev->type != EV_EFI_BOOT_SERVICES_APPLICATION || ev->pcr != 4)
				continue;
			d = evlog_event_digest(ev, alg);
			cr_assert_not_null(d);
			cr_assert_lt(k, json_array_size(banks), "%s: more apps than expected", bin);
			eph_hex_encode(hex, sizeof(hex), d->bytes, d->size);
			cr_assert_str_eq(hex, json_string_value(json_array_get(banks, k)),
					 "%s: app %zu %s", bin, k, alg_name);
			k++;
		}
		cr_assert_eq(k, json_array_size(banks), "%s: %s apps", bin, alg_name);
	}
	evlog_free(log);
	json_decref(root);
}

#define EXPECTED_TEST(name, base)                                                          \
	Test(evlog_vectors, name)                                                          \
	{                                                                                  \
		check_expected("eventlog/" base ".bin", "eventlog/" base ".expected.json"); \
	}

EXPECTED_TEST(arch_linux_workstation, "arch-linux-workstation")
EXPECTED_TEST(cos_85_amd_sev, "cos-85-amd-sev")
EXPECTED_TEST(debian_10_legacy_sha1, "debian-10")
EXPECTED_TEST(glinux_alex, "glinux-alex")
EXPECTED_TEST(ubuntu_1804_amd_sev, "ubuntu-1804-amd-sev")
EXPECTED_TEST(ubuntu_2104_no_dbx, "ubuntu-2104-no-dbx")
EXPECTED_TEST(ubuntu_2104_no_secure_boot, "ubuntu-2104-no-secure-boot")

Test(evlog_vectors, debian_10_is_legacy_sha1)
{
	evlog_log *log;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	log = parse_vector("eventlog/debian-10.bin", 0);
	cr_assert_eq(evlog_get_format(log), EVLOG_FMT_SHA1);
	cr_assert_null(evlog_get_specid(log));
	evlog_free(log);
}

/* Logs whose upstream test only asserts that they parse and replay. */
static const char *const parses[] = {
	"eventlog/go-attestation/coreos_36_shielded_vm_no_secure_boot_eventlog",
	"eventlog/go-attestation/crypto_agile_eventlog",
	"eventlog/go-attestation/ebs_event_missing_eventlog",
	"eventlog/go-attestation/sb_cert_eventlog",
	"eventlog/keylime/binary_bios_measurements",
	"eventlog/tpm2-tss/binary_measurements_nuc.bin",
	"eventlog/tpm2-tss/binary_measurements_pc_client.bin",
	"eventlog/tpm2-tools/event-arch-linux.bin",
	"eventlog/tpm2-tools/event-bootorder.bin",
	"eventlog/tpm2-tools/event-sd-boot-fedora37.bin",
	"eventlog/tpm2-tools/event-uefi-sha1-log.bin",
	"eventlog/tpm2-tools/event-uefiaction.bin",
	"eventlog/tpm2-tools/event-uefiservices.bin",
	"eventlog/tpm2-tools/event-uefivar.bin",
	"eventlog/tpm2-tools/event.bin",
};

Test(evlog_vectors, all_real_logs_parse_and_replay)
{
	size_t i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		struct evlog_replay replay;
		struct eph_err err = {{0}};
		evlog_log *log = parse_vector(parses[i], 0);

		cr_assert_gt(evlog_count(log), 0);
		cr_assert_eq(evlog_replay(&replay, log, &err), 0, "%s: %s", parses[i], err.msg);
		evlog_free(log);
	}
}

/*
 * tpm2-tools' fixture declares eventSize 37 for a Spec ID event that needs
 * 41 bytes (vendorInfoSize 4 + "deadbeef"); tpm2_eventlog reads the vendor
 * info past the event. PFP 1.05 10.4.5.1 puts vendorInfo inside the event, so
 * we refuse the log and say why.
 */
Test(evlog_vectors, specid_vendor_info_past_event_is_refused)
{
	struct eph_err err = {{0}};
	evlog_log *log = NULL;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tu_read(tu_vector_path("eventlog/tpm2-tools/specid-vendordata.bin"), &len);
	cr_assert_eq(evlog_parse(&log, buf, len, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "vendorInfo") != NULL, "%s", err.msg);
	free(buf);
}

/*
 * option_rom_eventlog (a Windows capture) ends in an event whose index is
 * 0xFFFFFFFF followed by 456 bytes of leftovers: refused as a PCR index out
 * of range by default, accepted as padding when the caller allows it.
 */
Test(evlog_vectors, option_rom_log_ends_in_end_marker)
{
	struct evlog_replay replay;
	struct eph_err err = {{0}};
	evlog_log *log = NULL;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tu_read(tu_vector_path("eventlog/go-attestation/option_rom_eventlog"), &len);
	cr_assert_eq(evlog_parse(&log, buf, len, 0, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "4294967295") != NULL, "%s", err.msg);
	cr_assert_eq(evlog_parse(&log, buf, len, EVLOG_F_ALLOW_PADDING, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_count(log), 60);
	cr_assert_eq(evlog_trailing_bytes(log), 456);
	cr_assert_eq(evlog_replay(&replay, log, &err), 0, "%s", err.msg);
	evlog_free(log);
	free(buf);
}

static const char *const negatives[] = {
	"eventlog/go-attestation/short_no_action_eventlog",
	"eventlog/keylime/binary_bios_measurements-bogus",
	"eventlog/keylime/binary_bios_measurements-empty",
};

Test(evlog_vectors, negative_logs_are_refused_with_a_message)
{
	size_t i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	for (i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
		struct eph_err err = {{0}};
		evlog_log *log = NULL;
		uint8_t *buf;
		size_t len;
		int rc;

		buf = tu_read(tu_vector_path(negatives[i]), &len);
		rc = evlog_parse(&log, buf, len, 0, &err);
		free(buf);
		cr_assert_eq(rc, EPH_EFORMAT, "%s accepted", negatives[i]);
		cr_assert_null(log);
		cr_assert_neq(err.msg[0], '\0');
	}
}

/* TDX CCEL logs: MR index 1..3 = RTMR0..2, SHA384, 0xFF padding. */
static void check_ccel_rtmrs(const char *bin, unsigned flags)
{
	struct evlog_replay replay;
	struct evlog_bank want;
	struct eph_err err = {{0}};
	json_error_t jerr;
	json_t *root, *rtmrs, *val;
	const char *key;
	evlog_log *log;
	uint32_t mask = 0;

	root = json_load_file(
		tu_vector_path("eventlog/ccel/go-eventlog-cos-113-intel-tdx-dupe-separator.expected.json"),
		0, &jerr);
	cr_assert_not_null(root);
	rtmrs = json_object_get(root, "rtmrs_sha384");
	memset(&want, 0, sizeof(want));
	want.alg = EPH_ALG_SHA384;
	want.size = 48;
	json_object_foreach(rtmrs, key, val)
	{
		long rtmr = strtol(key, NULL, 10);
		const char *hex = json_string_value(val);

		cr_assert_eq(eph_hex_decode(want.pcr[rtmr + 1], 48, hex, strlen(hex)), 48);
		mask |= 1u << (rtmr + 1);
	}
	log = parse_vector(bin, flags);
	cr_assert_eq(evlog_replay(&replay, log, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_replay_compare(&replay, &want, mask, NULL, &err), 0, "%s: %s", bin,
		     err.msg);
	evlog_free(log);
	json_decref(root);
}

Test(evlog_vectors, ccel_unpadded_replays_to_rtmrs)
{
	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	check_ccel_rtmrs("eventlog/ccel/go-eventlog-cos-113-intel-tdx-dupe-separator-unpadded.bin",
			 EVLOG_F_CCEL);
}

Test(evlog_vectors, ccel_padded_replays_to_rtmrs)
{
	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	check_ccel_rtmrs("eventlog/ccel/go-eventlog-cos-113-intel-tdx-dupe-separator.bin",
			 EVLOG_F_CCEL | EVLOG_F_ALLOW_PADDING);
}

Test(evlog_vectors, ccel_padding_refused_unless_allowed)
{
	struct eph_err err = {{0}};
	evlog_log *log = NULL;
	uint8_t *buf;
	size_t len;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	buf = tu_read(tu_vector_path("eventlog/ccel/go-eventlog-cos-113-intel-tdx-dupe-separator.bin"),
		      &len);
	cr_assert_eq(evlog_parse(&log, buf, len, EVLOG_F_CCEL, &err), EPH_EFORMAT);
	cr_assert_null(log);
	/* And a CC log is not a TPM log: the header in MR 1 is refused by default. */
	cr_assert_eq(evlog_parse(&log, buf, len, EVLOG_F_ALLOW_PADDING, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "PCR 1") != NULL, "%s", err.msg);
	free(buf);
}

Test(evlog_vectors, all_ccel_logs_parse)
{
	static const char *const ccel[] = {
		"eventlog/ccel/CCEL_AAEL_alibabacloud",
		"eventlog/ccel/CCEL_data_grub",
		"eventlog/ccel/CCEL_data_ovmf",
		"eventlog/ccel/go-eventlog-CCEL_unpadded.data.bin",
		"eventlog/ccel/go-eventlog-event_log.bin",
		"tdx/go-tdx-guest/ccel-case/ccel_data.dat",
	};
	size_t i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	for (i = 0; i < sizeof(ccel) / sizeof(ccel[0]); i++) {
		struct evlog_replay replay;
		struct eph_err err = {{0}};
		evlog_log *log = parse_vector(ccel[i], EVLOG_F_CCEL | EVLOG_F_ALLOW_PADDING);

		cr_assert_gt(evlog_count(log), 1, "%s", ccel[i]);
		cr_assert_eq(evlog_replay(&replay, log, &err), 0, "%s: %s", ccel[i], err.msg);
		cr_assert_not_null(evlog_replay_bank(&replay, EPH_ALG_SHA384));
		evlog_free(log);
	}
}

Test(evlog_vectors, ccel_acpi_tables)
{
	static const char *const tables[] = {"eventlog/ccel/go-eventlog-CCEL.bin",
					     "tdx/go-tdx-guest/ccel-case/ccel_table.dat"};
	size_t i;

	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	for (i = 0; i < 2; i++) {
		struct evlog_ccel_table t;
		struct eph_err err = {{0}};
		uint8_t *buf;
		size_t len;

		buf = tu_read(tu_vector_path(tables[i]), &len);
		cr_assert_eq(evlog_ccel_table_parse(&t, buf, len, &err), 0, "%s", err.msg);
		cr_assert_eq(t.cc_type, EVLOG_CC_TYPE_TDX);
		cr_assert_str_eq(t.oem_id, "INTEL ");
		cr_assert_gt(t.laml, 0);
		cr_assert_gt(t.lasa, 0);
		buf[40] ^= 1; /* checksum no longer adds up */
		cr_assert_eq(evlog_ccel_table_parse(&t, buf, len, &err), EPH_EFORMAT);
		cr_assert(strstr(err.msg, "checksum") != NULL, "%s", err.msg);
		cr_assert_eq(evlog_ccel_table_parse(&t, buf, len - 1, &err), EPH_EFORMAT);
		free(buf);
	}
}

/*
 * The trustee eventlog crate's parse of three CCEL logs, event by event:
 * MR index, type name, SHA-384 digest and the event data.
 */
static void check_ccel_parse(const char *bin, const char *json)
{
	json_error_t jerr;
	json_t *root, *events, *jev;
	evlog_log *log;
	size_t i;

	root = json_load_file(tu_vector_path(json), 0, &jerr);
	cr_assert_not_null(root, "%s: %s", json, jerr.text);
	events = json_object_get(root, "uefi_event_logs");
	log = parse_vector(bin, EVLOG_F_CCEL | EVLOG_F_ALLOW_PADDING);
	cr_assert_eq(evlog_count(log), json_array_size(events) + 1, "%s: event count", bin);
	json_array_foreach(events, i, jev)
	{
		const struct evlog_event *ev = evlog_event_at(log, i + 1);
		const struct evlog_digest *d = evlog_event_digest(ev, EPH_ALG_SHA384);
		const char *b64 = json_string_value(json_object_get(jev, "event"));
		const char *type = json_string_value(json_object_get(jev, "type_name"));
		json_t *jd = json_array_get(json_object_get(jev, "digests"), 0);
		char hex[2 * 48 + 1];
		uint8_t *data;
		int n;

		cr_assert_eq(ev->pcr, json_integer_value(json_object_get(jev, "index")),
			     "%s event %zu", bin, i + 1);
		cr_assert_str_eq(evlog_event_type_name(ev->type), type, "%s event %zu", bin, i + 1);
		cr_assert_not_null(d);
		eph_hex_encode(hex, sizeof(hex), d->bytes, d->size);
		cr_assert_str_eq(hex, json_string_value(json_object_get(jd, "digest")));
		data = malloc(strlen(b64) + 4);
		n = tu_base64_decode(data, b64);
		cr_assert_eq((uint32_t)n, ev->data_size, "%s event %zu size", bin, i + 1);
		cr_assert_eq(memcmp(data, ev->data, ev->data_size), 0, "%s event %zu data", bin,
			     i + 1);
		free(data);
	}
	evlog_free(log);
	json_decref(root);
}

Test(evlog_vectors, ccel_logs_match_trustee_parse)
{
	if (tu_vectors() == NULL)
		cr_skip_test("shared vectors missing");
	check_ccel_parse("eventlog/ccel/CCEL_AAEL_alibabacloud",
			 "eventlog/ccel/CCEL_AAEL_alibabacloud_out.json");
	check_ccel_parse("eventlog/ccel/CCEL_data_grub", "eventlog/ccel/CCEL_data_grub_out.json");
	check_ccel_parse("eventlog/ccel/CCEL_data_ovmf", "eventlog/ccel/CCEL_data_ovmf_out.json");
}
