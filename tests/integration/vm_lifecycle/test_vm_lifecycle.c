/*
 * test_vm_lifecycle.c - issue 8's end to end: a real ephemera-broker with
 * --driver qemu boots a VM of packaging/guest's image (KVM if a probe boot
 * works, else TCG) with a swtpm vTPM of its own; the agent baked into the
 * image enrols and attests through the vTPM, the broker binds it to the
 * environment by the vTPM's EK certificate and marks the environment
 * running; its policy asks for encryption at rest, so the broker releases
 * the key of its encrypted data disk then and the disk appears in the
 * guest; the test extends PCR 8 inside the guest (its test shell on the
 * second serial port) and the broker destroys the VM within one period.
 * Afterwards no qemu or swtpm process and no VM folder is left.
 *
 * Skips visibly ("SKIP: vm_lifecycle: ...") when qemu cannot run here or
 * the guest image cannot be built (no Debian archive).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../env_lifecycle/envs_fixture.h"
#include "store.h"

static const char *bdir2(void)
{
	const char *b = getenv("EPH_BINARY_DIR");

	return b != NULL && *b ? b : EPH_BINARY_DIR;
}

static void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void skip(const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "SKIP: vm_lifecycle: %s\n", msg);
	cr_skip_test("%s", msg);
	abort();
}

/* The guest image in BUILD/qemu-guest (shared with test_qemu_vm), built
 * when missing or older than the agent. */
static void guest_image(char *kern, size_t klen, char *initrd, size_t ilen)
{
	char guest[600], agent[600], cmd[4600];
	struct stat a, g;

	snprintf(guest, sizeof(guest), "%s/qemu-guest", bdir2());
	snprintf(agent, sizeof(agent), "%s/agent/daemon/ephemera-agent", bdir2());
	snprintf(kern, klen, "%s/vmlinuz", guest);
	snprintf(initrd, ilen, "%s/initrd-base.cpio.gz", guest);
	if (stat(agent, &a) < 0)
		skip("%s is not built", agent);
	snprintf(cmd, sizeof(cmd), "grep -q virtio_blk '%s/guest.info'", guest);
	if (stat(kern, &g) == 0 && stat(initrd, &g) == 0 && g.st_mtime >= a.st_mtime &&
	    ef_sh(cmd, NULL) == 0) /* images from before the data disk lack virtio_blk */
		return;
	snprintf(cmd, sizeof(cmd),
		 "flock '%s.lock' '%s/packaging/guest/build-guest.sh' '%s' --agent '%s' "
		 "--cache '%s-cache' >'%s.log' 2>&1",
		 guest, EPH_SOURCE_DIR, guest, bdir2(), guest, guest);
	if (ef_sh(cmd, NULL) != 0)
		skip("packaging/guest/build-guest.sh failed (see %s.log)", guest);
}

static unsigned free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned p = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		p = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return p;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

TestSuite(vm_lifecycle, .init = ef_setup, .fini = ef_teardown);

Test(vm_lifecycle, vm_attests_drifts_and_is_destroyed)
{
	char kern[700], initrd[700], args[2000], id[STORE_ID_SIZE], why[512], cmd[1600];
	char *out = NULL;
	const char *accel = getenv("EPH_QEMU_ACCEL");
	long t0;
	int s;

	if (geteuid() != 0)
		skip("needs root");
	if (ef_sh("command -v qemu-system-x86_64 >/dev/null", NULL) != 0)
		skip("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
	guest_image(kern, sizeof(kern), initrd, sizeof(initrd));
	snprintf(args, sizeof(args),
		 "--driver qemu --vm-kernel '%s' --vm-initrd '%s' --vm-accel %s --vm-debug-shell",
		 kern, initrd, accel && *accel ? accel : "auto");
	ef_broker_start_with(args, free_port());
	/* confidential data: the policy asks for encryption at rest */
	ef_sensitivity = "confidential";
	/* a Debian kernel, the initrd in RAM (an ASan agent makes it large)
	 * and the agent: 512 MiB, the policy's "medium" */
	ef_mem_mib = 512;
	cr_assert_eq(ef_env_create(id, "vmuser", 2, 600), 0);

	/* TCG boot + AK creation + enrolment: up to a few minutes on a busy
	 * machine (a quiet one: ~7 s) */
	t0 = now_ms();
	s = ef_wait_state(id, STORE_ENV_RUNNING, 240000);
	cr_assert_eq(s, STORE_ENV_RUNNING, "VM is %d, not running; log:\n%s", s, ef_log());
	cr_log_info("VM running %ld ms after the request", now_ms() - t0);
	cr_assert(strstr(ef_log(), "vTPM EK matches") != NULL, "agent not bound by its EK");

	/* at rest: the data disk was attached only now that it attested */
	t0 = now_ms();
	while (strstr(ef_log(), "disk key released") == NULL && now_ms() - t0 < 10000)
		usleep(200000);
	cr_assert(strstr(ef_log(), "disk key released") != NULL, "log:\n%s", ef_log());
	snprintf(cmd, sizeof(cmd),
		 "python3 '%s/packaging/guest/guest-shell.py' '%s/envs/vm-%s/shell.sock' "
		 "'for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/block/vda ] && break; sleep 1; done; "
		 "cat /sys/block/vda/size' 2>&1",
		 EPH_SOURCE_DIR, ef_dir, id);
	cr_assert_eq(ef_sh(cmd, &out), 0, "guest shell: %s", out ? out : "");
	cr_assert(out && strtol(out, NULL, 10) > 0, "no /dev/vda in the guest: %s", out ? out : "");
	free(out);
	out = NULL;

	/* drift inside the guest: its test shell on ttyS1 */
	snprintf(cmd, sizeof(cmd),
		 "python3 '%s/packaging/guest/guest-shell.py' '%s/envs/vm-%s/shell.sock' "
		 "'tpm2_pcrextend 8:sha256=0101010101010101010101010101010101010101010101010101010101010101"
		 " && echo extended' 2>&1",
		 EPH_SOURCE_DIR, ef_dir, id);
	cr_assert_eq(ef_sh(cmd, &out), 0, "guest shell: %s", out ? out : "");
	cr_assert(out && strstr(out, "extended"), "guest shell: %s", out ? out : "");
	free(out);
	t0 = now_ms();
	s = ef_wait_state(id, STORE_ENV_DESTROYED, 5000 + 6000);
	cr_assert_eq(s, STORE_ENV_DESTROYED, "drifted VM still %d; log:\n%s", s, ef_log());
	ef_env_state(id, why, sizeof(why));
	cr_assert(strstr(why, "drift") && strstr(why, "PCR 8"), "reason: %s", why);
	cr_log_info("VM destroyed %ld ms after the PCR extend", now_ms() - t0);

	ef_broker_stop();
	cr_assert_eq(ef_leaked_processes(), 0, "qemu or swtpm left");
	snprintf(cmd, sizeof(cmd), "ls '%s/envs' | grep -c '^vm-' || true", ef_dir);
	cr_assert_eq(ef_sh(cmd, &out), 0);
	cr_assert_eq(strtol(out ? out : "1", NULL, 10), 0, "VM folders left: %s", out);
	free(out);
}
