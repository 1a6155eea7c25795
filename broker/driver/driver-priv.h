/*
 * driver-priv.h - small helpers every driver implementation (sandbox/,
 * qemu/) shares: joining paths and reading the short text files of /proc,
 * cgroupfs and their own state folders. Not part of driver.h's API.
 */
#ifndef EPH_DRIVER_PRIV_H
#define EPH_DRIVER_PRIV_H

#include <stddef.h>
#include <sys/types.h>

/* buf = a "/" b; -1 when it does not fit in cap. */
int driver__path(char *buf, size_t cap, const char *a, const char *b);

/* The whole of a small file into buf (NUL-terminated, cut at cap - 1);
 * its length, or -errno. */
ssize_t driver__read_str(char *buf, size_t cap, const char *path);

#endif
