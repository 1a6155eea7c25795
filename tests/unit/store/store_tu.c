/*
 * store_tu.c - the store tests' shared helpers (see store_tu.h).
 */
#define _XOPEN_SOURCE 700
#include "store_tu.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

void stu_setup(void)
{
	snprintf(dir, sizeof(dir), "%s/eph-store-XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void stu_teardown(void)
{
	if (dir[0] != '\0')
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *stu_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

store *stu_open(const struct store_opts *opts)
{
	struct eph_err err = {{0}};
	store *st = NULL;
	int rc = store_open(&st, stu_path("store.db"), opts, &err);

	cr_assert_eq(rc, 0, "store_open: %d %s", rc, err.msg);
	return st;
}

void stu_agent(char id[STORE_ID_SIZE], store *st, const uint8_t secret[32])
{
	static const uint8_t ek[] = {0x30, 0x82, 0x01, 0x00, 0xaa};
	static const uint8_t ak[] = {0x00, 0x01, 0x00, 0x0b, 0x42};
	static const uint8_t name[] = {0x00, 0x0b, 1, 2, 3, 4};
	struct store_agent a = {
		.ek_cert = {ek, sizeof(ek)},
		.ak_pub = {ak, sizeof(ak)},
		.ak_name = {name, sizeof(name)},
		.hostname = "guest-1",
		.cvm = "none",
		.created_at = 1000,
	};
	struct eph_err err = {{0}};
	int rc = store_agent_register(id, st, &a, secret, 32, &err);

	cr_assert_eq(rc, 0, "register: %s", err.msg);
}

void stu_env(char id[STORE_ID_SIZE], store *st, int64_t at)
{
	struct store_env e = {
		.requester = "alice@example.org",
		.attrs = "{\"role\":\"analyst\",\"confidence\":0.9}",
		.policy = "{\"max_vcpus\":2,\"network\":\"none\"}",
		.size = 1,
		.count = 1,
		.prewarm = 0,
		.driver = "sandbox",
		.ttl_s = 3600,
		.reattest_s = 60,
		.created_at = at,
	};
	struct eph_err err = {{0}};
	int rc = store_env_create(id, st, &e, &err);

	cr_assert_eq(rc, 0, "env create: %s", err.msg);
}

sqlite3 *stu_raw(void)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(stu_path("store.db"), &db, SQLITE_OPEN_READWRITE, NULL);

	cr_assert_eq(rc, SQLITE_OK, "raw open: %s", sqlite3_errstr(rc));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

int64_t stu_raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s: no row", sql);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}
