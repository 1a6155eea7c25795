/*
 * evlog_ccel_fuzzer.c - libFuzzer target for the ACPI CCEL table parser
 * (evlog_ccel_table_parse). Any input must be accepted or refused with a
 * message, never read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "evlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evlog_ccel_table t;
	struct eph_err err;

	err.msg[0] = '\0';
	if (evlog_ccel_table_parse(&t, data, size, &err) != 0 && err.msg[0] == '\0')
		__builtin_trap();
	return 0;
}
