/*
 * evlog_ccel.c - the ACPI CCEL table, which tells a confidential guest where
 * its CC event log lives (ACPI 6.5, section 5.2.34 "CC Event Log ACPI
 * Table"; Linux exposes it as /sys/firmware/acpi/tables/CCEL and the log
 * itself as /sys/firmware/acpi/tables/data/CCEL).
 *
 *   0  Signature      "CCEL"                  43 43 45 4c
 *   4  Length         u32le, 56               38 00 00 00
 *   8  Revision       u8                      01
 *   9  Checksum       u8, whole table sums to 0 mod 256
 *  10  OEMID[6], OEM Table ID[8], OEM Revision u32, Creator ID u32,
 *      Creator Revision u32                   (standard ACPI header, 36 bytes)
 *  36  CC Type        u8   (1 SEV, 2 TDX)     02
 *  37  CC Subtype     u8                      00
 *  38  Reserved       u16
 *  40  LAML           u64le  log area minimum length   00 00 01 00 00 00 00 00
 *  48  LASA           u64le  log area start address
 *
 * Only the layout is checked here; where the log area is and whether it is
 * readable is the agent's business.
 */
#include <string.h>

#include "eph_cur.h"
#include "evlog-priv.h"

#define CCEL_LEN 56

int evlog_ccel_table_parse(struct evlog_ccel_table *out, const uint8_t *buf, size_t len,
			   struct eph_err *err)
{
	struct eph_cur c;
	const uint8_t *sig = NULL, *oem = NULL;
	uint32_t length;
	uint8_t sum = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len < CCEL_LEN)
		return eph_err_set(err, EPH_EFORMAT, "CCEL table is %zu bytes, must be %d", len,
				   CCEL_LEN);
	eph_cur_init(&c, buf, len);
	(void)eph_cur_bytes(&c, 4, &sig);
	(void)eph_cur_u32le(&c, &length);
	if (memcmp(sig, "CCEL", 4) != 0)
		return eph_err_set(err, EPH_EFORMAT, "not a CCEL table: signature %02x%02x%02x%02x",
				   sig[0], sig[1], sig[2], sig[3]);
	if (length != CCEL_LEN || len != CCEL_LEN)
		return eph_err_set(err, EPH_EFORMAT,
				   "CCEL table length field %u, file %zu bytes, both must be %d",
				   length, len, CCEL_LEN);
	for (i = 0; i < len; i++)
		sum = (uint8_t)(sum + buf[i]);
	if (sum != 0)
		return eph_err_set(err, EPH_EFORMAT, "CCEL table checksum is off by 0x%02x", sum);
	(void)eph_cur_u8(&c, &out->revision);
	(void)eph_cur_skip(&c, 1);
	(void)eph_cur_bytes(&c, 6, &oem);
	memcpy(out->oem_id, oem, 6);
	(void)eph_cur_skip(&c, 8 + 4 + 4 + 4);
	(void)eph_cur_u8(&c, &out->cc_type);
	(void)eph_cur_u8(&c, &out->cc_subtype);
	(void)eph_cur_skip(&c, 2);
	(void)eph_cur_u64le(&c, &out->laml);
	(void)eph_cur_u64le(&c, &out->lasa);
	return 0;
}
