/*
 * test_disk_full.c - fault case 3: the store's file system fills up while
 * an agent re-attests every second. The store lives on a 2 MiB tmpfs
 * mounted in a private mount namespace of this test process (criterion
 * forks one per test; the broker, its child, sees the mount, nobody else
 * does); a filler file takes the rest of the space. Checked: the broker
 * stays up and refuses what needs a write with HTTP 503 and a message that
 * says the disk is full; it still answers reads; once the filler is gone
 * the agent's backoff brings it back and it is accepted again; the store
 * passes PRAGMA integrity_check and holds every verdict the agent was told;
 * SIGTERM still ends the broker with 0.
 *
 * Needs root (unshare(CLONE_NEWNS), mount): skips visibly otherwise.
 *
 * Not here: the WAL's growth rules (SQLite's), a disk full at broker start
 * (store_open fails, exit 4, covered by the store's own tests).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../real_broker.h"
#include "../tpm/swtpm_fixture.h"
#include "faults.h"

static struct fl_broker br;
static struct fl_agent ag;
static char mnt[700];
static int mounted;

static void setup(void)
{
	fx_up(0, 0);
	fl_agent_init(&ag, 0, "guest-full");
}

static void teardown(void)
{
	fl_agent_stop(&ag);
	fl_broker_stop(&br);
	if (mounted)
		umount2(mnt, MNT_DETACH);
	fx_teardown();
}

/* Write zeros to path until the file system says ENOSPC; bytes written. */
static long long fill(const char *path)
{
	static char zeros[65536];
	long long total = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	for (;;) {
		ssize_t w = write(fd, zeros, sizeof(zeros));

		if (w > 0) {
			total += w;
			continue;
		}
		cr_assert(w < 0 && errno == ENOSPC, "filling %s: %s", path, strerror(errno));
		/* the last partial block too */
		while (write(fd, zeros, 512) > 0)
			total += 512;
		break;
	}
	close(fd);
	return total;
}

Test(faults, disk_full_store_refuses_cleanly_and_recovers, .init = setup, .fini = teardown)
{
	static const char *const loop[] = {"--period-s", "1", "--start-timeout", "0", NULL};
	char filler[760], store[760], path[300], id[64][64], *out = NULL;
	unsigned told, refusals;
	long long filled;
	long st;

	memset(&br, 0, sizeof(br));
	br.pid = -1;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0) {
		cr_skip_test("SKIP: the full-disk case needs root for a private mount namespace "
		             "(unshare: %s)",
		             strerror(errno));
		return;
	}
	/* our mounts must not propagate back to the machine */
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "%s", strerror(errno));
	snprintf(mnt, sizeof(mnt), "%s", fx_path("full"));
	cr_assert_eq(mkdir(mnt, 0700), 0);
	cr_assert_eq(mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=2m,mode=0700"), 0,
	             "mount tmpfs: %s", strerror(errno));
	mounted = 1;
	snprintf(store, sizeof(store), "%s/store.db", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fl_broker_init(&br, fx_path("broker"), store);
	fl_broker_start(&br);
	fl_agent_start(&ag, &br, loop);
	cr_assert(fl_wait_count(ag.log, "attested agent=", 2, 60, ag.pid), "%s", fl_read(ag.log));

	filled = fill(filler);
	cr_log_info("filler took %lld bytes; WAL %lld bytes", filled,
	            fl_size(fx_path("full/store.db-wal")));
	/* the next round needs a write (a nonce) that does not fit */
	cr_assert(fl_wait_count(ag.log, "disk full", 1, 30, ag.pid), "no refusal: %s | %s",
	          fl_read(ag.log), slurp(br.log));
	cr_assert_not_null(strstr(fl_read(ag.log), "HTTP 503 store-unavailable"), "%s",
	                   fl_read(ag.log));
	cr_assert_geq(fl_count(br.log, " 503 store-unavailable: "), 1, "%s", slurp(br.log));
	cr_assert_eq(waitpid(br.pid, NULL, WNOHANG), 0, "the broker died: %s", slurp(br.log));

	/* reads still work */
	cr_assert_eq(fl_enrolled_ids(id, 64, ag.log), 1);
	snprintf(path, sizeof(path), "/v1/agents/%s/attestations", id[0]);
	st = fl_https(&out, &br, "GET", path, NULL, 0);
	cr_assert_eq(st, 200, "GET %s while full: %ld %s", path, st, out);
	free(out);
	/* and a write asked for directly is refused with the same words */
	snprintf(path, sizeof(path), "/v1/challenge?agent=%s", id[0]);
	st = fl_https(&out, &br, "GET", path, NULL, 0);
	cr_assert_eq(st, 503, "GET %s while full: %ld %s", path, st, out);
	cr_assert_not_null(strstr(out, "disk full"), "%s", out);
	free(out);

	/* space comes back: the agent's backoff gets it accepted again */
	refusals = fl_count(ag.log, "disk full");
	told = fl_count(ag.log, "attested agent=");
	cr_assert_eq(unlink(filler), 0);
	cr_assert(fl_wait_count(ag.log, "attested agent=", told + 2, 60, ag.pid),
	          "no recovery: %s | %s", fl_read(ag.log), slurp(br.log));
	cr_log_info("%u refusals while full, then accepted again", refusals);
	cr_assert_eq(fl_agent_stop(&ag), 0, "%s", fl_read(ag.log));
	cr_assert_eq(fl_broker_stop(&br), 0, "%s", slurp(br.log));
	fl_assert_integrity(store);
	{
		char sql[200];

		told = fl_count(ag.log, "attested agent=");
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM attestations WHERE agent_id = '%s' AND accepted = 1",
		         id[0]);
		cr_assert_eq(fl_sql_int(store, sql), (int64_t)told,
		             "verdicts told %u, stored differently", told);
	}
}
