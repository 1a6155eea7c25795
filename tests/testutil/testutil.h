/*
 * testutil.h - helpers shared by the criterion tests: where the shared
 * vectors are, reading files, and a small builder that synthesises TCG event
 * logs byte by byte so rejection tests can shape exactly the bad input they
 * need.
 */
#ifndef EPH_TESTUTIL_H
#define EPH_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The shared vectors folder ($EPH_VECTORS or the configured default), or
 * NULL after printing a visible "SKIP: ..." line when it is missing; callers
 * then cr_skip_test().
 */
const char *tu_vectors(void);

/* Path of a file under the vectors folder, in a static buffer. */
const char *tu_vector_path(const char *rel);

/* Read a whole file; aborts the test (cr_assert) on failure. Free with free(). */
uint8_t *tu_read(const char *path, size_t *len);

/* Run a shell command, capture stdout into a new NUL-terminated buffer.
 * Returns the exit status (or -1); *out may be NULL if nothing was read. */
int tu_run(const char *cmd, char **out);

/* Decode standard base64 (with padding) into out, which must hold
 * 3*strlen(b64)/4 bytes. Returns the decoded length; asserts on bad input. */
int tu_base64_decode(uint8_t *out, const char *b64);

/* Growable byte buffer for building logs. */
struct tu_buf {
	uint8_t *p;
	size_t n;
	size_t cap;
};
void tu_put(struct tu_buf *b, const void *src, size_t n);
void tu_u8(struct tu_buf *b, uint8_t v);
void tu_u16(struct tu_buf *b, uint16_t v);
void tu_u32(struct tu_buf *b, uint32_t v);
void tu_u64(struct tu_buf *b, uint64_t v);
void tu_free(struct tu_buf *b);

/* Append a legacy TCG_PCR_EVENT carrying a Spec ID Event03 with these algs. */
void tu_specid(struct tu_buf *b, const uint16_t *algs, unsigned nalgs);
/* Append a TCG_PCR_EVENT2 whose digests are H(data) in each of algs. */
void tu_event2(struct tu_buf *b, uint32_t pcr, uint32_t type, const void *data, uint32_t len,
	       const uint16_t *algs, unsigned nalgs);
/* Append a legacy SHA1 TCG_PCR_EVENT with digest SHA1(data). */
void tu_event1(struct tu_buf *b, uint32_t pcr, uint32_t type, const void *data, uint32_t len);

#endif
