/*
 * qemu_bench.c - boot-to-first-attestation of VMs made by the qemu driver,
 * against a real ephemera-broker on 127.0.0.1, in one run:
 *   cold: driver create (swtpm provisioning with an EK certificate,
 *         per-VM initrd, qemu launched paused) + start (QMP cont) until the
 *         broker logs the agent's registration and its first accepted
 *         attestation; then destroy
 *   warm: a member made beforehand by the warm pool (warmpool_resize, not
 *         timed), warmpool_claim + start until the first accepted
 *         attestation; then destroy
 * with each usable accelerator: TCG always; KVM when the driver's "auto"
 * probe finds it usable, else the line "KVM unusable here: <reason>".
 * Times are read by polling the broker's log every 20 ms.
 *
 * Needs root, qemu-system-x86_64, swtpm, and the guest image of
 * packaging/guest (GUESTDIR/vmlinuz, GUESTDIR/initrd-base.cpio.gz; built
 * with build-guest.sh when missing). Prints figures only.
 *
 * Usage: qemu_bench [-n RUNS] [-g GUESTDIR]   (default 3 runs,
 *        GUESTDIR $EPH_BINARY_DIR/qemu-guest, the test's image)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "qemu.h"
#include "warmpool.h"

static char work[64], guest[600], pin[80], blog[128];
static unsigned port;
static pid_t broker = -1;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, double *t, int n)
{
	double sum = 0;
	int i;

	if (n == 0) {
		printf("  %-34s no successful run\n", name);
		return;
	}
	for (i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("  %-34s mean %8.0f ms  median %8.0f ms  min %8.0f ms  (%d runs)\n", name,
	       sum / n, t[n / 2], t[0], n);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *b = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 65536 + 1 > cap) {
			char *nb = realloc(b, cap + 65536 * 4);

			if (!nb)
				break;
			b = nb;
			cap += 65536 * 4;
		}
		r = fread(b + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

/* The word at s (up to a blank) into out; 0, or -1 when empty/too long. */
static int copy_word(const char *s, char *out, size_t cap)
{
	size_t n = strcspn(s, " \n");

	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/*
 * Poll the broker log from offset from: the agent registered with host
 * "env" (ms into *reg) and its first accepted attestation. 0, or -1 after
 * timeout_ms.
 */
static int wait_attested(const char *env, size_t from, double t0, double *reg, double *att,
			 int timeout_ms)
{
	char host[80], id[80] = "", acc[128];
	double end = now_ms() + timeout_ms;

	snprintf(host, sizeof(host), "host \"%s\"", env);
	*reg = *att = -1;
	while (now_ms() < end) {
		size_t n = 0;
		char *b = slurp(blog, &n), *p;

		if (b && n > from) {
			if (!id[0] && (p = strstr(b + from, host)) != NULL) {
				char *s = p;

				while (s > b + from && s[-1] != '\n')
					s--;
				s = strstr(s, "agent registered: ");
				if (s && s < p && copy_word(s + 18, id, sizeof(id)) == 0)
					*reg = now_ms() - t0;
			}
			if (id[0]) {
				snprintf(acc, sizeof(acc), "attestation accepted: agent %s", id);
				if (strstr(b + from, acc)) {
					*att = now_ms() - t0;
					free(b);
					return 0;
				}
			}
		}
		free(b);
		usleep(20000);
	}
	return -1;
}

static size_t log_size(void)
{
	struct stat st;

	return stat(blog, &st) == 0 ? (size_t)st.st_size : 0;
}

static int broker_up(void)
{
	char cmd[1024], portf[128], buf[32] = "";
	FILE *f;
	int i;

	if (sh("'%s/swtpm-fixtures/swtpm-ca.sh' --create %s/ca >/dev/null 2>&1 && "
	       "'%s/swtpm-fixtures/swtpm-ca.sh' %s/ca %s/trust >/dev/null 2>&1",
	       EPH_SOURCE_DIR, work, EPH_SOURCE_DIR, work, work) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s/broker/daemon/ephemera-broker' --gen-self-signed %s/broker",
		 EPH_BINARY_DIR, work);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(cmd, sizeof(cmd), f)) {
		char *p = strstr(cmd, "sha256//");

		if (p)
			copy_word(p, pin, sizeof(pin));
	}
	if (pclose(f) != 0 || !pin[0])
		return -1;
	if (sh("mkdir -p %s/pol && printf '%%s\\n' '{\"version\": 1, \"sizes\": [{\"name\": "
	       "\"s\", \"vcpu_milli\": 1000, \"mem_mib\": 512}], \"rules\": [{\"name\": "
	       "\"all\", \"match\": {}, \"constraints\": {}}]}' > %s/pol/policy.json",
	       work, work) != 0)
		return -1;
	snprintf(blog, sizeof(blog), "%s/broker.log", work);
	snprintf(portf, sizeof(portf), "%s/port", work);
	broker = fork();
	if (broker < 0)
		return -1;
	if (broker == 0) {
		char a[6][128];

		snprintf(a[0], sizeof(a[0]), "%s/broker/daemon/ephemera-broker", EPH_BINARY_DIR);
		snprintf(a[1], sizeof(a[1]), "%s/broker/broker-cert.pem", work);
		snprintf(a[2], sizeof(a[2]), "%s/broker/broker-key.pem", work);
		snprintf(a[3], sizeof(a[3]), "%s/store.db", work);
		snprintf(a[4], sizeof(a[4]), "%s/trust", work);
		snprintf(a[5], sizeof(a[5]), "%s/pol", work);
		if (!freopen(blog, "w", stderr))
			_exit(126);
		execl(a[0], a[0], "--port", "0", "--port-file", portf, "--tls-cert", a[1],
		      "--tls-key", a[2], "--store", a[3], "--ek-trust", a[4], "--policy", a[5],
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && !buf[0]; i++) {
		f = fopen(portf, "r");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		if (!buf[0])
			usleep(50000);
	}
	port = (unsigned)strtoul(buf, NULL, 10);
	return port ? 0 : -1;
}

static struct driver *make_driver(const char *accel, char *why, size_t cap)
{
	char kern[700], initrd[700], fwd[600], root[128], ca[128], cert[128];
	struct driver_qemu_config c = { 0 };
	struct eph_err err = { { 0 } };
	struct driver *d = NULL;

	snprintf(kern, sizeof(kern), "%s/vmlinuz", guest);
	snprintf(initrd, sizeof(initrd), "%s/initrd-base.cpio.gz", guest);
	snprintf(fwd, sizeof(fwd), "%s/broker/driver/qemu/ephemera-vmfwd", EPH_BINARY_DIR);
	snprintf(root, sizeof(root), "%s/vms", work);
	snprintf(ca, sizeof(ca), "%s/ca", work);
	snprintf(cert, sizeof(cert), "%s/broker/broker-cert.pem", work);
	c.state_root = root;
	c.kernel = kern;
	c.initrd = initrd;
	c.accel = accel;
	c.fixtures_dir = EPH_SOURCE_DIR "/swtpm-fixtures";
	c.ca_dir = ca;
	c.forwarder = fwd;
	c.broker_port = (uint16_t)port;
	c.broker_pin = pin;
	c.broker_cert = cert;
	if (driver_qemu_new(&d, &c, &err) < 0) {
		snprintf(why, cap, "%s", err.msg);
		return NULL;
	}
	snprintf(why, cap, "%s", driver_qemu_accel(d));
	return d;
}

static void bench_accel(const char *accel, int runs)
{
	double create[16], reg[16], att[16], cold[16], destroy[16], claim[16], wreg[16], warm[16];
	int nc = 0, nw = 0, i;
	char why[600], h[DRIVER_HANDLE_MAX], id[DRIVER_ID_MAX + 1];
	struct driver_spec sp = { .vcpu_milli = 1000, .mem_mib = 512, .net = DRIVER_NET_NONE,
				  .vtpm = 1 };
	struct eph_err err = { { 0 } };
	struct warmpool *wp = NULL;
	struct driver *d = make_driver(accel, why, sizeof(why));

	if (!d) {
		printf("%s: cannot run: %s\n", accel, why);
		return;
	}
	printf("accelerator %s: %s\n", accel, why);
	for (i = 0; i < runs && i < 16; i++) {
		double t0, t1, r, a;
		size_t from = log_size();

		snprintf(id, sizeof(id), "bench-%s-%d", accel, i);
		sp.env_id = id;
		t0 = now_ms();
		if (driver_create(d, h, &sp, &err) < 0) {
			printf("  run %d: create: %s\n", i, err.msg);
			continue;
		}
		t1 = now_ms();
		if (driver_start(d, h, NULL, &err) < 0 ||
		    wait_attested(id, from, t1, &r, &a, 300000) < 0) {
			printf("  run %d: no accepted attestation: %s\n", i, err.msg);
			driver_destroy(d, h, &err);
			continue;
		}
		create[nc] = t1 - t0;
		reg[nc] = r;
		att[nc] = a;
		cold[nc] = t1 - t0 + a;
		t0 = now_ms();
		driver_destroy(d, h, &err);
		destroy[nc] = now_ms() - t0;
		nc++;
	}
	if (warmpool_new(&wp, d, &err) == 0 &&
	    warmpool_set_class(wp, "bench", &sp, 0, &err) == 0) {
		for (i = 0; i < runs && i < 16; i++) {
			double t0, t1, r, a;
			size_t from;

			if (warmpool_resize(wp, "bench", 1, &err) < 0) {
				printf("  warm %d: resize: %s\n", i, err.msg);
				break;
			}
			from = log_size();
			t0 = now_ms();
			if (warmpool_claim(wp, h, id, "bench", &err) < 0) {
				printf("  warm %d: claim: %s\n", i, err.msg);
				break;
			}
			t1 = now_ms();
			if (driver_start(d, h, NULL, &err) < 0 ||
			    wait_attested(id, from, t0, &r, &a, 300000) < 0) {
				printf("  warm %d: no accepted attestation: %s\n", i, err.msg);
				driver_destroy(d, h, &err);
				continue;
			}
			claim[nw] = t1 - t0;
			wreg[nw] = r;
			warm[nw] = a;
			nw++;
			driver_destroy(d, h, &err);
		}
	}
	warmpool_free(wp);
	report("cold: create", create, nc);
	report("cold: start -> agent registered", reg, nc);
	report("cold: start -> first accepted", att, nc);
	report("cold: create+start -> accepted", cold, nc);
	report("destroy", destroy, nc);
	report("warm: claim", claim, nw);
	report("warm: claim+start -> registered", wreg, nw);
	report("warm: claim+start -> accepted", warm, nw);
	driver_free(d);
}

int main(int argc, char **argv)
{
	const char *b = getenv("EPH_BINARY_DIR");
	char why[600];
	struct driver *probe;
	int runs = 3, o, kvm;

	snprintf(guest, sizeof(guest), "%s/qemu-guest", b && *b ? b : EPH_BINARY_DIR);
	while ((o = getopt(argc, argv, "n:g:")) != -1) {
		if (o == 'n')
			runs = (int)strtol(optarg, NULL, 10);
		else if (o == 'g')
			snprintf(guest, sizeof(guest), "%s", optarg);
		else {
			fprintf(stderr, "usage: qemu_bench [-n RUNS] [-g GUESTDIR]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > 16)
		runs = 3;
	snprintf(work, sizeof(work), "/tmp/eph-qbench.XXXXXX");
	if (!mkdtemp(work))
		return 1;
	if (sh("test -s '%s/vmlinuz' && test -s '%s/initrd-base.cpio.gz' || "
	       "'%s/packaging/guest/build-guest.sh' '%s' --agent '%s' >%s/guest.log 2>&1",
	       guest, guest, EPH_SOURCE_DIR, guest, EPH_BINARY_DIR, work) != 0) {
		printf("SKIP: no guest image in %s and build-guest.sh failed (%s/guest.log)\n", guest,
		       work);
		return 0;
	}
	if (broker_up() < 0) {
		printf("SKIP: could not start ephemera-broker (see %s)\n", blog);
		goto out;
	}
	printf("qemu_bench: %d runs per mode, 1 vCPU, 512 MiB, vTPM, network none; broker %s "
	       "127.0.0.1:%u; guest %s\n", runs, EPH_BINARY_DIR, port, guest);
	probe = make_driver("auto", why, sizeof(why));
	kvm = probe && strncmp(why, "kvm", 3) == 0;
	driver_free(probe);
	if (!probe)
		printf("auto: %s\n", why);
	else if (!kvm)
		printf("KVM unusable here: %s\n", strstr(why, "here: ") ? strstr(why, "here: ") + 6 : why);
	if (kvm)
		bench_accel("kvm", runs);
	bench_accel("tcg", runs);
out:
	if (broker > 0) {
		kill(broker, SIGTERM);
		waitpid(broker, NULL, 0);
	}
	sh("rm -rf '%s'", work);
	return 0;
}
