/*
 * common_test.c - the shared helpers: bounds-checked cursor, hex, hashing,
 * error messages, bounded file reads.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eph_conf.h"
#include "eph_cur.h"
#include "eph_err.h"
#include "eph_file.h"
#include "eph_hash.h"
#include "eph_hex.h"

Test(common, cursor_never_reads_past_the_end)
{
	static const uint8_t buf[7] = {1, 2, 3, 4, 5, 6, 7};
	struct eph_cur c;
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	uint16_t v16 = 0;
	const uint8_t *p;

	eph_cur_init(&c, buf, sizeof(buf));
	cr_assert_eq(eph_cur_u32le(&c, &v32), 0);
	cr_assert_eq(v32, 0x04030201);
	cr_assert_eq(eph_cur_u64le(&c, &v64), -1);
	cr_assert_eq(c.pos, 4, "a failed read must not move the cursor");
	cr_assert_eq(eph_cur_u16be(&c, &v16), 0);
	cr_assert_eq(v16, 0x0506);
	cr_assert_eq(eph_cur_bytes(&c, 2, &p), -1);
	cr_assert_eq(eph_cur_bytes(&c, SIZE_MAX, &p), -1);
	cr_assert_eq(eph_cur_bytes(&c, 1, &p), 0);
	cr_assert_eq(*p, 7);
	cr_assert_eq(eph_cur_left(&c), 0);
}

Test(common, hex_round_trip_and_rejects)
{
	uint8_t out[4];
	char s[9];

	cr_assert_eq(eph_hex_encode(s, sizeof(s), (const uint8_t *)"\xde\xad\xbe\xef", 4), 0);
	cr_assert_str_eq(s, "deadbeef");
	cr_assert_eq(eph_hex_encode(s, 8, (const uint8_t *)"\xde\xad\xbe\xef", 4), -1);
	cr_assert_eq(eph_hex_decode(out, 4, "DEADbeef", 8), 4);
	cr_assert_eq(memcmp(out, "\xde\xad\xbe\xef", 4), 0);
	cr_assert_eq(eph_hex_decode(out, 4, "abc", 3), -1);
	cr_assert_eq(eph_hex_decode(out, 4, "zz", 2), -1);
	cr_assert_eq(eph_hex_decode(out, 1, "aabb", 4), -1);
}

Test(common, hash_table_and_extend)
{
	uint8_t pcr[32] = {0}, d[32], want[32];
	static const char *const sha256_abc =
		"\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
		"\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad";

	cr_assert_eq(eph_hash_size(EPH_ALG_SHA384), 48);
	cr_assert_eq(eph_hash_size(0x1234), 0);
	cr_assert_str_eq(eph_hash_name(EPH_ALG_SHA256), "sha256");
	cr_assert_eq(eph_hash_from_name("sha512", 6), EPH_ALG_SHA512);
	cr_assert_eq(eph_hash_from_name("sha5", 4), 0);
	cr_assert_eq(eph_hash(EPH_ALG_SHA256, "abc", 3, d), 0);
	cr_assert_eq(memcmp(d, sha256_abc, 32), 0);
	cr_assert_eq(eph_hash(0x1234, "abc", 3, d), -1);
	/* extend(0, d) = SHA256(0^32 || d) */
	{
		uint8_t cat[64] = {0};

		memcpy(cat + 32, d, 32);
		eph_hash(EPH_ALG_SHA256, cat, 64, want);
	}
	cr_assert_eq(eph_hash_extend(EPH_ALG_SHA256, pcr, d), 0);
	cr_assert_eq(memcmp(pcr, want, 32), 0);
}

Test(common, err_set_and_prefix)
{
	struct eph_err err = {{0}};
	char longp[400];

	cr_assert_eq(eph_err_set(&err, EPH_EFORMAT, "bad %s at %d", "thing", 7), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "bad thing at 7");
	cr_assert_eq(eph_err_prefix(&err, EPH_EFORMAT, "file %s", "x.bin"), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "file x.bin: bad thing at 7");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	eph_err_prefix(&err, EPH_EFAIL, "%s", longp);
	cr_assert_eq(strlen(err.msg), EPH_ERR_MSG_MAX - 1);
	cr_assert_eq(eph_err_set(NULL, EPH_EIO, "ignored"), EPH_EIO);
	cr_assert_str_eq(eph_rc_str(EPH_EVERIFY), "verification failed");
}

Test(common, file_read_caps_size_and_reports_missing)
{
	struct eph_err err = {{0}};
	char path[] = "/tmp/eph_file_testXXXXXX";
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	cr_assert_eq(eph_file_read(&buf, &len, path, 100, &err), 0, "%s", err.msg);
	cr_assert_eq(len, 10);
	cr_assert_eq(buf[10], '\0');
	free(buf);
	cr_assert_eq(eph_file_read(&buf, &len, path, 9, &err), EPH_EFORMAT);
	cr_assert_null(buf);
	cr_assert(strstr(err.msg, "larger than 9 bytes") != NULL, "%s", err.msg);
	unlink(path);
	cr_assert_eq(eph_file_read(&buf, &len, path, 100, &err), EPH_ENOTFOUND);
	cr_assert(strstr(err.msg, "cannot open") != NULL, "%s", err.msg);
}

Test(common, report_data_binding_is_sha512_of_nonce_then_name)
{
	uint8_t got[64], want[64], cat[5];

	memcpy(cat, "abc", 3);
	memcpy(cat + 3, "\x00\x0b", 2);
	cr_assert_eq(eph_bind_report_data(got, (const uint8_t *)"abc", 3,
					  (const uint8_t *)"\x00\x0b", 2),
		     0);
	cr_assert_eq(eph_hash(EPH_ALG_SHA512, cat, 5, want), 0);
	cr_assert_eq(memcmp(got, want, 64), 0);
}

struct conf_seen {
	int n;
	char keys[4][32];
	char vals[4][32];
};

static int conf_cb(void *ctx, const struct eph_conf_line *l, struct eph_err *err)
{
	struct conf_seen *s = ctx;

	if (strcmp(l->key, "stop") == 0)
		return eph_err_set(err, EPH_EFORMAT, "%s: stop here", l->where);
	snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", l->key);
	snprintf(s->vals[s->n], sizeof(s->vals[0]), "%s", l->val);
	s->n++;
	return 0;
}

Test(common, conf_lines_comments_and_errors)
{
	char text[] = "# comment\n\n  port = 8443 \r\nname=  a b \nempty =\nstop = 1\nnever = 2";
	char bad[] = "ok = 1\nno equals sign here\n";
	char nokey[] = " = value\n";
	struct conf_seen s;
	struct eph_err err = {{0}};

	memset(&s, 0, sizeof(s));
	cr_assert_eq(eph_conf_parse(text, strlen(text), "f.conf", conf_cb, &s, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "f.conf:6: stop here");
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.keys[0], "port");
	cr_assert_str_eq(s.vals[0], "8443");
	cr_assert_str_eq(s.vals[1], "a b");
	cr_assert_str_eq(s.vals[2], "");
	memset(&s, 0, sizeof(s));
	cr_assert_eq(eph_conf_parse(bad, strlen(bad), "g.conf", conf_cb, &s, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "g.conf:2: expected key = value");
	cr_assert_eq(eph_conf_parse(nokey, strlen(nokey), "h", conf_cb, &s, &err), EPH_EFORMAT);
	cr_assert_str_eq(err.msg, "h:1: empty key");
	cr_assert_eq(eph_conf_parse(text, sizeof(text), "n", conf_cb, &s, &err), EPH_EFORMAT);
	cr_assert(strstr(err.msg, "NUL byte") != NULL, "%s", err.msg);
}
