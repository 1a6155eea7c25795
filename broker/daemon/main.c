/*
 * main.c - ephemera-broker: parse the options (opts.c), start broker/api on
 * a libevent loop, write the port file, log one line per event to stderr
 * ("2026-01-02T03:04:05Z INFO what: why"), reload the policy on SIGHUP and
 * stop gracefully on SIGTERM/SIGINT. See --help for options and exit codes.
 *
 * Not here: anything the API does (broker/api).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "api.h"
#include "broker-opts.h"
#include "qemu.h"
#include "sandbox.h"

static int verbose;

static void log_line(void *ctx, enum api_log_level level, const char *what, const char *why)
{
	static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)ctx;
	if (level == API_LOG_DEBUG && !verbose)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s %s%s%s\n", ts, names[level], what, why && *why ? ": " : "",
		why ? why : "");
}

static int gen_self_signed(const char *dir)
{
	struct eph_err err = {{0}};
	char key[4096], cert[4096], pin[128];

	if ((size_t)snprintf(key, sizeof(key), "%s/broker-key.pem", dir) >= sizeof(key) ||
	    (size_t)snprintf(cert, sizeof(cert), "%s/broker-cert.pem", dir) >= sizeof(cert)) {
		fprintf(stderr, "ephemera-broker: --gen-self-signed: path too long\n");
		return BROKER_EXIT_GENCERT;
	}
	if (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0) {
		fprintf(stderr, "ephemera-broker: cannot create or write %s\n", dir);
		return BROKER_EXIT_GENCERT;
	}
	if (api_tls_self_signed(pin, sizeof(pin), key, cert, 365, &err) < 0) {
		fprintf(stderr, "ephemera-broker: %s\n", err.msg);
		return BROKER_EXIT_GENCERT;
	}
	printf("key  %s\ncert %s\npin  %s\n", key, cert, pin);
	return BROKER_EXIT_OK;
}

static int write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ephemera-vmfwd: --vm-forwarder, else beside this build's broker, else
 * where the Debian package puts it. */
static const char *find_forwarder(const char *given, char *buf, size_t len)
{
	char self[4096];
	ssize_t n;

	if (given != NULL)
		return given;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(buf, len, "%s/../driver/qemu/ephemera-vmfwd", self) < len &&
			    access(buf, X_OK) == 0)
				return buf;
		}
	}
	return "/usr/lib/ephemera/ephemera-vmfwd";
}

/* --driver qemu: VMs of packaging/guest's image, agents dialling back to
 * this broker's fixed port through the forwarder. */
static int make_qemu(struct driver **drv, struct broker_opts *o, const char *root)
{
	struct driver_qemu_config qc;
	struct eph_err err = {{0}};
	char pin[128], fwd[4096];

	if (api_tls_pin(pin, sizeof(pin), o->api.tls_cert, &err) < 0) {
		log_line(NULL, API_LOG_ERROR, "cannot start: qemu driver", err.msg);
		return -1;
	}
	memset(&qc, 0, sizeof(qc));
	qc.state_root = root;
	qc.kernel = o->vm_kernel;
	qc.initrd = o->vm_initrd;
	qc.accel = o->vm_accel;
	qc.fixtures_dir = o->fixtures;
	qc.ca_dir = o->vtpm_ca;
	qc.forwarder = find_forwarder(o->vm_fwd, fwd, sizeof(fwd));
	qc.broker_host = "127.0.0.1";
	qc.broker_port = o->api.port;
	qc.broker_pin = pin;
	qc.broker_cert = o->api.tls_cert;
	qc.debug_shell = o->vm_debug_shell;
	if (o->api.lc_boot_s == 0)
		o->api.lc_boot_s = 180;
	if (driver_qemu_new(drv, &qc, &err) < 0) {
		log_line(NULL, API_LOG_ERROR, "cannot start: qemu driver", err.msg);
		return -1;
	}
	log_line(NULL, API_LOG_INFO, "driver qemu", driver_qemu_accel(*drv));
	return 0;
}

/*
 * --driver sandbox: the driver the API provisions with. Its state root is
 * made here (0700) so that the default unix socket can live in it.
 */
static int make_driver(struct driver **drv, struct broker_opts *o, char *sock, size_t sock_len)
{
	struct driver_sandbox_config sc;
	struct eph_err err = {{0}};
	const char *root = o->env_root ? o->env_root : "/var/lib/ephemera/envs";

	*drv = NULL;
	if (o->driver == NULL || strcmp(o->driver, "none") == 0)
		return 0;
	if (root[0] != '/') {
		log_line(NULL, API_LOG_ERROR, "cannot start", "--env-root must be absolute");
		return -1;
	}
	if (mkdir(root, 0700) != 0 && access(root, W_OK) != 0) {
		log_line(NULL, API_LOG_ERROR, "cannot start", "cannot create --env-root");
		return -1;
	}
	if (strcmp(o->driver, "qemu") == 0) {
		if (make_qemu(drv, o, root) < 0)
			return -1;
	} else {
		memset(&sc, 0, sizeof(sc));
		sc.state_root = root;
		sc.fixtures_dir = o->fixtures;
		sc.ca_dir = o->vtpm_ca;
		if (driver_sandbox_new(drv, &sc, &err) < 0) {
			log_line(NULL, API_LOG_ERROR, "cannot start: sandbox driver", err.msg);
			return -1;
		}
		log_line(NULL, API_LOG_INFO, "driver sandbox", driver_sandbox_backend(*drv));
	}
	if (o->api.unix_socket == NULL) {
		if ((size_t)snprintf(sock, sock_len, "%s/broker.sock", root) >= sock_len) {
			log_line(NULL, API_LOG_ERROR, "cannot start", "--env-root path too long");
			return -1;
		}
		o->api.unix_socket = sock;
	}
	o->api.driver = *drv;
	if (o->api.disk_master == NULL) {
		static char master[4096];

		if ((size_t)snprintf(master, sizeof(master), "%s/disk-master.key", root) <
		    sizeof(master))
			o->api.disk_master = master;
	}
	return 0;
}

struct sigctx {
	struct event_base *base;
	api *api;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sigctx *s = arg;
	struct eph_err err = {{0}};

	(void)what;
	if (sig == SIGHUP) {
		if (api_reload_policy(s->api, &err) < 0)
			log_line(NULL, API_LOG_ERROR, "policy reload refused, old policy kept",
				 err.msg);
		else
			log_line(NULL, API_LOG_INFO, "policy reloaded", "");
		return;
	}
	log_line(NULL, API_LOG_INFO, "stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopexit(s->base, NULL);
}

int main(int argc, char **argv)
{
	struct broker_opts o;
	struct eph_err err = {{0}};
	struct event_base *base = NULL;
	struct event *ev[3] = {NULL, NULL, NULL};
	static const int sigs[3] = {SIGHUP, SIGTERM, SIGINT};
	struct sigctx sc;
	api *a = NULL;
	struct driver *drv = NULL;
	char msg[64], sock[4096];
	int code, rc, i;

	setenv("TSS2_LOG", "all+NONE", 0);
	signal(SIGPIPE, SIG_IGN);
	rc = broker_opts_parse(&o, argc, argv, &code);
	if (rc != 0) {
		broker_opts_free(&o);
		return rc > 0 ? BROKER_EXIT_OK : code;
	}
	if (o.gen_dir != NULL) {
		code = gen_self_signed(o.gen_dir);
		broker_opts_free(&o);
		return code;
	}
	verbose = o.verbose;
	o.api.log = log_line;
	code = BROKER_EXIT_START;
	base = event_base_new();
	if (base == NULL) {
		log_line(NULL, API_LOG_ERROR, "cannot start", "event_base_new failed");
		goto out;
	}
	if (make_driver(&drv, &o, sock, sizeof(sock)) < 0)
		goto out;
	if (api_new(&a, base, &o.api, &err) < 0) {
		log_line(NULL, API_LOG_ERROR, "cannot start", err.msg);
		goto out;
	}
	sc.base = base;
	sc.api = a;
	for (i = 0; i < 3; i++) {
		ev[i] = evsignal_new(base, sigs[i], on_signal, &sc);
		if (ev[i] == NULL || event_add(ev[i], NULL) != 0) {
			log_line(NULL, API_LOG_ERROR, "cannot start", "signal handlers");
			goto out;
		}
	}
	if (o.port_file != NULL && write_port_file(o.port_file, api_port(a)) < 0) {
		log_line(NULL, API_LOG_ERROR, "cannot write the port file", o.port_file);
		code = BROKER_EXIT_PORTFILE;
		goto out;
	}
	snprintf(msg, sizeof(msg), "%s:%u TLS 1.3", o.api.listen_addr ? o.api.listen_addr
								      : "127.0.0.1",
		 (unsigned)api_port(a));
	log_line(NULL, API_LOG_INFO, "listening", msg);
	if (o.api.unix_socket != NULL)
		log_line(NULL, API_LOG_INFO, "listening", o.api.unix_socket);
	code = event_base_dispatch(base) < 0 ? BROKER_EXIT_FAIL : BROKER_EXIT_OK;
	log_line(NULL, API_LOG_INFO, "stopped", "");
out:
	for (i = 0; i < 3; i++)
		if (ev[i] != NULL)
			event_free(ev[i]);
	api_free(a);
	driver_free(drv); /* environments stay; the next start reconciles them */
	if (base != NULL)
		event_base_free(base);
	broker_opts_free(&o);
	return code;
}
