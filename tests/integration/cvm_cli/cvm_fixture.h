/*
 * cvm_fixture.h - running ephemera-cvm from the criterion tests of
 * tests/integration/cvm_cli: the binary under $EPH_BINARY_DIR, vector
 * paths that stay valid for the whole test, and scratch copies of vectors
 * with one byte changed (the vectors themselves are only read).
 */
#ifndef CVM_FIXTURE_H
#define CVM_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

/* Skip the test visibly unless the vectors and the binary are there. */
void cvm_need_vectors(void);

/* A vector path (tu_vector_path) copied to storage that outlives the test. */
const char *cvm_vec(const char *rel);

/*
 * Run "ephemera-cvm ARGS" through the shell (ARGS from fmt; quote paths
 * yourself). Returns the exit status; *out gets stdout (free()), *err the
 * first line of stderr (static buffer) when err is not NULL.
 */
int cvm_run(char **out, const char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A scratch copy of a vector with byte off XORed with x (x 0: unchanged).
 * The path is valid for the test; the file is removed at exit. */
const char *cvm_scratch_copy(const char *rel, size_t off, uint8_t x);

/* Write bytes to a scratch file; returns its path. */
const char *cvm_scratch_write(const void *buf, size_t len);

/* Does s contain needle? (cr_assert with the output on failure) */
void cvm_expect(const char *s, const char *needle);

#endif
