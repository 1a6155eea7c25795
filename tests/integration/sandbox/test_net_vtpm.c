/*
 * test_net_vtpm.c - veth mode (the sandbox sees eth0 with its /30 address,
 * reaches the host end with a UDP echo, and nothing else) and the
 * per-sandbox swtpm (tpm2_pcrread works with the TCTI in the environment;
 * two sandboxes have different EK certificates; destroy stops the swtpm).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sbx_fixture.h"

TestSuite(sandbox_net, .init = sbx_fx_setup, .fini = sbx_fx_teardown);

static void *echo_once(void *arg)
{
	int s = *(int *)arg;
	char buf[64];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

	if (n > 0)
		sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	return NULL;
}

static const char probe[] =
	"import os, socket\n"
	"print('ifaces', sorted(os.listdir('/sys/class/net')))\n"
	"os.system('ip -4 -o addr show dev eth0')\n"
	"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)\n"
	"s.sendto(b'ping', (os.environ['EPH_NET_HOST'], 47123))\n"
	"print('echo', s.recvfrom(64)[0].decode())\n"
	"for dst in ('192.0.2.2', '8.8.8.8', '169.254.169.254'):\n"
	"    try:\n"
	"        s.sendto(b'x', (dst, 53)); print('reached', dst)\n"
	"    except OSError as e:\n"
	"        print('unreachable', dst, e.errno)\n";

Test(sandbox_net, veth_sees_own_end_and_host_only)
{
	char id[DRIVER_ID_MAX + 1], h[DRIVER_HANDLE_MAX], hif[16], ha[16], sa[16], want[64];
	char *const argv[] = { "/usr/bin/python3", "-c", (char *)probe, NULL };
	struct driver_spec s;
	struct eph_err err = { { 0 } };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(47123) };
	struct timeval tv = { .tv_sec = 8 };
	pthread_t th;
	char *out;
	int us;

	snprintf(id, sizeof(id), "%s", sbx_id("veth"));
	s = sbx_spec(id, argv);
	s.net = DRIVER_NET_VETH;
	cr_assert_eq(driver_create(fx.d, h, &s, &err), 0, "create: %s", err.msg);
	cr_assert_eq(driver_sandbox_net_info(fx.d, hif, ha, sa, id), 0);
	cr_log_info("veth %s host %s sandbox %s", hif, ha, sa);
	cr_assert_neq(if_nametoindex(hif), 0);
	us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, ha, &a.sin_addr);
	cr_assert_eq(bind(us, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(us, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pthread_create(&th, NULL, echo_once, &us);
	cr_assert_eq(driver_start(fx.d, h, NULL, &err), 0, "start: %s", err.msg);
	cr_assert_eq(sbx_wait_exit(h, 20000), 0);
	pthread_join(th, NULL);
	close(us);
	out = sbx_console(id);
	fprintf(stderr, "veth console:\n%s", out);
	cr_expect(strstr(out, "ifaces ['eth0', 'lo']") != NULL, "interfaces: %s", out);
	snprintf(want, sizeof(want), "inet %s/30", sa);
	cr_expect(strstr(out, want) != NULL, "no %s: %s", want, out);
	cr_expect(strstr(out, "echo ping") != NULL, "no echo from the host end: %s", out);
	cr_expect(strstr(out, "reached") == NULL, "reached something beyond the host end: %s", out);
	cr_expect(strstr(out, "unreachable 8.8.8.8 101") != NULL, "%s", out);
	cr_expect(strstr(out, "unreachable 169.254.169.254 101") != NULL, "%s", out);
	free(out);
	cr_assert_eq(driver_destroy(fx.d, h, &err), 0, "destroy: %s", err.msg);
	cr_expect_eq(if_nametoindex(hif), 0, "veth %s left after destroy", hif);
}

static int read_pid(const char *id)
{
	char dir[PATH_MAX], p[PATH_MAX + 32], buf[32] = "";
	FILE *f;

	driver_sandbox_state_dir(fx.d, dir, sizeof(dir), id);
	snprintf(p, sizeof(p), "%s/tpm/swtpm.pid", dir);
	f = fopen(p, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return atoi(buf);
}

static int alive(int pid)
{
	char p[64], buf[512];
	FILE *f;
	char *c;

	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	f = fopen(p, "re");
	if (!f)
		return 0;
	c = fgets(buf, sizeof(buf), f);
	fclose(f);
	c = c ? strrchr(buf, ')') : NULL;
	return c && c[2] != 'Z'; /* a zombie counts as gone */
}

Test(sandbox_net, vtpm_per_sandbox)
{
	char ids[2][DRIVER_ID_MAX + 1], h[2][DRIVER_HANDLE_MAX], *out[2], *ek[2];
	char *const argv[] = { "/bin/sh", "-c",
			       "echo tcti=$EPH_TCTI; tpm2_pcrread sha256:0 && "
			       "tpm2_nvread 0x01c00002 | sha256sum | sed 's/^/ek=/'", NULL };
	struct driver_spec s;
	struct eph_err err = { { 0 } };
	int pid[2], i;
	double t0;

	for (i = 0; i < 2; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s", sbx_id(i ? "tpm2" : "tpm1"));
		s = sbx_spec(ids[i], argv);
		s.vtpm = 1;
		t0 = sbx_now_ms();
		cr_assert_eq(driver_create(fx.d, h[i], &s, &err), 0, "create: %s", err.msg);
		fprintf(stderr, "vtpm: create with a new swtpm took %.0f ms\n", sbx_now_ms() - t0);
		cr_assert_eq(driver_start(fx.d, h[i], NULL, &err), 0, "start: %s", err.msg);
		pid[i] = read_pid(ids[i]);
		cr_assert_gt(pid[i], 0);
	}
	for (i = 0; i < 2; i++) {
		cr_assert_eq(sbx_wait_exit(h[i], 30000), 0);
		out[i] = sbx_console(ids[i]);
		fprintf(stderr, "vtpm %d console:\n%s", i, out[i]);
		cr_expect(strstr(out[i], "tcti=swtpm:host=127.0.0.1,port=") != NULL);
		cr_expect(strstr(out[i], "sha256:") != NULL, "pcrread failed: %s", out[i]);
		ek[i] = strstr(out[i], "ek=");
		cr_assert_not_null(ek[i], "no EK cert read: %s", out[i]);
		cr_expect(strncmp(ek[i], "ek=e3b0c442", 11) != 0, "empty EK cert");
	}
	cr_expect(strncmp(ek[0], ek[1], 67) != 0, "both sandboxes have the same EK cert");
	for (i = 0; i < 2; i++) {
		cr_assert_eq(driver_destroy(fx.d, h[i], &err), 0, "destroy: %s", err.msg);
		cr_expect(!alive(pid[i]), "swtpm %d still alive", pid[i]);
		free(out[i]);
	}
}
