/*
 * eph_hex.c - hex encode/decode with explicit lengths (no sscanf).
 */
#include "eph_hex.h"

int eph_hex_encode(char *out, size_t outlen, const uint8_t *buf, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (outlen == 0)
		return -1;
	if (n > (outlen - 1) / 2) {
		out[0] = '\0';
		return -1;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * n] = '\0';
	return 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long eph_hex_decode(uint8_t *out, size_t outlen, const char *hex, size_t hexlen)
{
	size_t i;

	if (hexlen % 2 != 0 || hexlen / 2 > outlen)
		return -1;
	for (i = 0; i < hexlen / 2; i++) {
		int hi = nibble(hex[2 * i]);
		int lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(hexlen / 2);
}
