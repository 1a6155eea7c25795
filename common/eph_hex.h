/*
 * eph_hex.h - lower-case hex encoding and strict hex decoding.
 */
#ifndef EPH_HEX_H
#define EPH_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write 2*n lower-case hex digits and a NUL into out (outlen >= 2*n+1).
 * Returns 0, or -1 when out is too small (out then holds "").
 */
int eph_hex_encode(char *out, size_t outlen, const uint8_t *buf, size_t n);

/*
 * Decode exactly hexlen hex digits (either case, no prefix, no spaces) into
 * out. Returns the number of bytes written, or -1 on an odd length, a
 * non-hex character, or an out buffer smaller than hexlen/2.
 */
long eph_hex_decode(uint8_t *out, size_t outlen, const char *hex, size_t hexlen);

#endif
