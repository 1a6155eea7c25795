/*
 * test_state.c - the agent state folder (atomic 0600 files, reload after a
 * restart, damage detected) and the IMA chunking, through libagentc's
 * private interface (no TPM and no broker needed).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../agent/client/src/agentc-priv.h"
#include "testutil.h"

static char dir[128];
static char state[200];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/agentc-state.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static agentc *client(void)
{
	struct agentc_config cfg = {0};
	struct eph_err err = {{0}};
	agentc *a = NULL;

	cfg.broker_url = "https://127.0.0.1:9";
	cfg.pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	cfg.state_dir = state;
	cr_assert_eq(agentc_new(&a, &cfg, &err), 0, "%s", err.msg);
	return a;
}

static const char *ak_vector(void)
{
	if (tu_vectors() == NULL)
		cr_skip_test("no shared vectors");
	return tu_vector_path("tpm-quote/keylime-emulator/ak.pub");
}

/* Enrol by hand: what enrol.c does after the broker said yes. */
static void save_enrolled(agentc *a, const char *id)
{
	struct eph_err err = {{0}};
	size_t pub_len = 0;
	uint8_t *pub = tu_read(ak_vector(), &pub_len);
	uint8_t *priv = malloc(40);

	memset(priv, 0x5a, 40);
	cr_assert_eq(agentc__state_set_ak(a, pub, pub_len, priv, 40, &err), 0, "%s", err.msg);
	snprintf(a->agent_id, sizeof(a->agent_id), "%s", id);
	a->ek_alg = TPMQ_ECC_P384;
	cr_assert_eq(agentc__state_save(a, &err), 0, "%s", err.msg);
	a->have_state = 1;
}

static mode_t mode_of(const char *name)
{
	char p[300];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", state, name);
	cr_assert_eq(stat(p, &st), 0, "%s missing", p);
	return st.st_mode & 07777;
}

Test(agentc_state, round_trip_after_restart, .init = setup, .fini = teardown)
{
	struct eph_err err = {{0}};
	agentc *a = client(), *b;
	DIR *d;
	struct dirent *de;
	int files = 0;

	cr_assert_eq(agentc_state_load(a, &err), EPH_ENOTFOUND, "%s", err.msg);
	cr_assert_null(agentc_agent_id(a));
	save_enrolled(a, "agent-7f3a");
	cr_assert_eq(mode_of("agent"), 0600);
	cr_assert_eq(mode_of("ak.pub"), 0600);
	cr_assert_eq(mode_of("ak.priv"), 0600);
	cr_assert_eq(mode_of("ima"), 0600);
	cr_assert_eq(mode_of("."), 0700);
	d = opendir(state);
	while ((de = readdir(d)) != NULL) {
		cr_assert_neq(de->d_name[0] == '.' && strlen(de->d_name) > 2, 1,
		              "temporary file %s left behind", de->d_name);
		files++;
	}
	closedir(d);
	cr_assert_eq(files, 6);

	/* "Restart": a new client reads what the old one wrote. */
	b = client();
	cr_assert_eq(agentc_state_load(b, &err), 0, "%s", err.msg);
	cr_assert_str_eq(agentc_agent_id(b), "agent-7f3a");
	cr_assert_eq(b->ek_alg, TPMQ_ECC_P384);
	cr_assert_eq(b->ak_pub_len, a->ak_pub_len);
	cr_assert_arr_eq(b->ak_pub, a->ak_pub, a->ak_pub_len);
	cr_assert_eq(b->ak_priv_len, 40);
	cr_assert_arr_eq(b->ak_priv, a->ak_priv, 40);
	cr_assert_eq(b->ak_name_len, a->ak_name_len);
	cr_assert_gt(b->ak_name_len, 2);
	cr_assert_arr_eq(b->ak_name, a->ak_name, a->ak_name_len);
	agentc_free(a);
	agentc_free(b);
}

Test(agentc_state, overwrite_is_atomic_and_keeps_mode, .init = setup, .fini = teardown)
{
	struct eph_err err = {{0}};
	agentc *a = client(), *b = client();

	save_enrolled(a, "first");
	save_enrolled(a, "second");
	cr_assert_eq(mode_of("agent"), 0600);
	cr_assert_eq(agentc_state_load(b, &err), 0, "%s", err.msg);
	cr_assert_str_eq(agentc_agent_id(b), "second");
	agentc_free(a);
	agentc_free(b);
}

Test(agentc_state, mismatched_ak_detected, .init = setup, .fini = teardown)
{
	struct eph_err err = {{0}};
	agentc *a = client(), *b = client();
	char p[300];
	FILE *f;

	save_enrolled(a, "agent-1");
	/* An enrolment cut short: a new ak.pub, the old agent file. */
	snprintf(p, sizeof(p), "%s/ak.pub", state);
	f = fopen(p, "r+b");
	fseek(f, -1, SEEK_END);
	fputc(0x42, f);
	fclose(f);
	cr_assert_eq(agentc_state_load(b, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "ak_pub_sha256"), "%s", err.msg);
	cr_assert_null(agentc_agent_id(b));
	agentc_free(a);
	agentc_free(b);
}

Test(agentc_state, other_broker_means_not_enrolled, .init = setup, .fini = teardown)
{
	struct agentc_config cfg = {0};
	struct eph_err err = {{0}};
	agentc *a = client(), *b = NULL;

	save_enrolled(a, "agent-old");
	cfg.broker_url = "https://broker.example:8443";
	cfg.pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	cfg.state_dir = state;
	cr_assert_eq(agentc_new(&b, &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(agentc_state_load(b, &err), EPH_ENOTFOUND);
	cr_assert_not_null(strstr(err.msg, "not enrolled with https://broker.example:8443"), "%s",
	                   err.msg);
	agentc_free(a);
	agentc_free(b);
}

Test(agentc_state, damaged_agent_file, .init = setup, .fini = teardown)
{
	struct eph_err err = {{0}};
	agentc *a = client();

	cr_assert_eq(agentc__write_atomic(state, "agent", (const uint8_t *)"version 2\n", 10, &err),
	             0, "%s", err.msg);
	cr_assert_eq(agentc_state_load(a, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "version 1"), "%s", err.msg);
	static const char bad_alg[] =
		"version 1\nbroker https://127.0.0.1:9\nagent_id x\nek_alg dsa\n";

	cr_assert_eq(agentc__write_atomic(state, "agent", (const uint8_t *)bad_alg,
	                                  sizeof(bad_alg) - 1, &err),
	             0);
	cr_assert_eq(agentc_state_load(a, &err), EPH_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "ek_alg"), "%s", err.msg);
	agentc_free(a);
}

/* ---------------------------------------------------------------------- */
/* IMA                                                                     */
/* ---------------------------------------------------------------------- */

static void ima_ng(struct tu_buf *b, const char *fname)
{
	struct tu_buf d = {0};
	uint8_t h[20] = {1};

	tu_u32(&d, 8 + 32); /* d-ng field: "sha256:\0" + digest */
	tu_put(&d, "sha256:", 8);
	for (int i = 0; i < 32; i++)
		tu_u8(&d, (uint8_t)i);
	tu_u32(&d, (uint32_t)strlen(fname) + 1);
	tu_put(&d, fname, strlen(fname) + 1);
	tu_u32(b, 10);
	tu_put(b, h, 20);
	tu_u32(b, 6);
	tu_put(b, "ima-ng", 6);
	tu_u32(b, (uint32_t)d.n);
	tu_put(b, d.p, d.n);
	tu_free(&d);
}

Test(agentc_ima, walk_counts_whole_entries)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	uint64_t n = 0;
	size_t used = 0, one;

	ima_ng(&b, "/boot/vmlinuz");
	one = b.n;
	ima_ng(&b, "/usr/bin/bash");
	ima_ng(&b, "/usr/lib/libc.so.6");
	cr_assert_eq(agentc__ima_walk(&n, &used, b.p, b.n, b.n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 3);
	cr_assert_eq(used, b.n);
	/* cut inside the third entry: two whole ones */
	cr_assert_eq(agentc__ima_walk(&n, &used, b.p, b.n - 3, b.n, &err), 0);
	cr_assert_eq(n, 2);
	/* a byte bound that fits one entry and a half */
	cr_assert_eq(agentc__ima_walk(&n, &used, b.p, b.n, one + one / 2, &err), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(used, one);
	/* garbage */
	memset(b.p, 0xff, 8);
	cr_assert_eq(agentc__ima_walk(&n, &used, b.p, b.n, b.n, &err), EPH_EFORMAT);
	tu_free(&b);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

Test(agentc_ima, chunks_resume_and_new_boot_restarts, .init = setup, .fini = teardown)
{
	struct tu_buf b = {0};
	struct eph_err err = {{0}};
	struct agentc__ima_chunk c;
	char list[300], boot[300];
	agentc *a = client(), *r;
	size_t first;

	snprintf(list, sizeof(list), "%s/ima.bin", dir);
	snprintf(boot, sizeof(boot), "%s/boot_id", dir);
	write_file(boot, "11111111-2222-3333-4444-555555555555\n", 37);
	ima_ng(&b, "/a");
	ima_ng(&b, "/b");
	first = b.n;
	write_file(list, b.p, b.n);
	save_enrolled(a, "agent-ima");

	cr_assert_eq(agentc__ima_read(&c, a, list, boot, &err), 0, "%s", err.msg);
	cr_assert_eq(c.start, 0);
	cr_assert_eq(c.entries, 2);
	cr_assert_eq(c.len, first);
	cr_assert_str_eq(c.boot_id, "11111111-2222-3333-4444-555555555555");
	/* the broker accepted them (what agentc_attest does) */
	memcpy(a->boot_id, c.boot_id, sizeof(a->boot_id));
	a->ima_entries = c.start + c.entries;
	a->ima_bytes = c.start_bytes + c.len;
	cr_assert_eq(agentc__ima_save(a, &err), 0, "%s", err.msg);
	free(c.buf);

	/* more measurements, and a restart of the agent */
	ima_ng(&b, "/c");
	write_file(list, b.p, b.n);
	r = client();
	cr_assert_eq(agentc_state_load(r, &err), 0, "%s", err.msg);
	cr_assert_eq(agentc__ima_read(&c, r, list, boot, &err), 0, "%s", err.msg);
	cr_assert_eq(c.start, 2);
	cr_assert_eq(c.start_bytes, first);
	cr_assert_eq(c.entries, 1);
	cr_assert_eq(c.len, b.n - first);
	cr_assert_arr_eq(c.buf, b.p + first, c.len);
	free(c.buf);

	/* a reboot: the list starts again from entry 0 */
	write_file(boot, "99999999-2222-3333-4444-555555555555\n", 37);
	cr_assert_eq(agentc__ima_read(&c, r, list, boot, &err), 0, "%s", err.msg);
	cr_assert_eq(c.start, 0);
	cr_assert_eq(c.entries, 3);
	free(c.buf);

	/* disabled, and an explicit path that is missing */
	cr_assert_eq(agentc__ima_read(&c, r, "", boot, &err), 0);
	cr_assert_null(c.buf);
	cr_assert_eq(agentc__ima_read(&c, r, "/nonexistent/ima", boot, &err), EPH_ENOTFOUND);
	cr_assert_not_null(strstr(err.msg, "/nonexistent/ima"), "%s", err.msg);
	tu_free(&b);
	agentc_free(a);
	agentc_free(r);
}
