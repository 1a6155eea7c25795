/*
 * eph_file.h - read a whole file (or stdin) into memory, bounded.
 */
#ifndef EPH_FILE_H
#define EPH_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "eph_err.h"

/*
 * Read path ("-" for standard input) into a new buffer that the caller
 * frees. Refuses files larger than max bytes. A NUL is appended after the
 * data (not counted in *len) so text parsers may rely on it.
 */
int eph_file_read(uint8_t **out, size_t *len, const char *path, size_t max, struct eph_err *err);

#endif
