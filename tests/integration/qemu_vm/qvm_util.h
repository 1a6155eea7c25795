/*
 * qvm_util.h - what the qemu driver's VM tests share: build paths, failure
 * context, visible skips, shell commands, and the guest image they boot.
 */
#ifndef QVM_UTIL_H
#define QVM_UTIL_H

#include <stddef.h>

/* $EPH_BINARY_DIR (or the build's own) and BUILD/rel (four rotating buffers). */
const char *qvm_bdir(void);
const char *qvm_bp(const char *rel);
/* dir/name (eight rotating buffers). */
const char *qvm_path(const char *dir, const char *name);
/* The last 3000 bytes of a file, for failure messages (static buffer). */
const char *qvm_tail_of(const char *path);
/* Print "SKIP: qemu_vm: ..." (ctest's SKIP_REGULAR_EXPRESSION) and skip. */
void qvm_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Run a shell command; *out gets its output (free it). Its status. */
int qvm_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The packaging/guest image in BUILD/sub (guest gets that folder), built
 * when missing, older than the agent, or lacking a module named in need
 * (NULL: any image); skips when it cannot be built.
 */
void qvm_guest_image(char *guest, size_t len, const char *sub, const char *need);

#endif
