/*
 * store_tu.h - helpers shared by the store tests: a fresh temporary folder
 * per test (removed afterwards), a database path in it, sample agents and
 * environments, and a raw SQLite connection for looking under the API.
 */
#ifndef STORE_TU_H
#define STORE_TU_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

/* criterion .init / .fini: make and remove this test's folder. */
void stu_setup(void);
void stu_teardown(void);

/* "<test folder>/name", in a static buffer per call site's choice of name. */
const char *stu_path(const char *name);

/* Open stu_path("store.db") with opts (may be NULL); asserts success. */
store *stu_open(const struct store_opts *opts);

/* Register a sample agent whose credential secret is `secret` (32 bytes). */
void stu_agent(char id[STORE_ID_SIZE], store *st, const uint8_t secret[32]);

/* Create a sample environment in state requested at time `at`. */
void stu_env(char id[STORE_ID_SIZE], store *st, int64_t at);

/* A raw read-write connection to the test database; asserts success. */
sqlite3 *stu_raw(void);
/* SELECT returning one integer, through a raw connection. */
int64_t stu_raw_int(sqlite3 *db, const char *sql);

#endif
