/*
 * swtpm_fixture.c - see swtpm_fixture.h.
 */
#include "swtpm_fixture.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tpmq.h"

struct swtpm_fx fx_tpm[FX_MAX_TPMS];

static char fx_root_buf[256];
static char fx_trust_buf[600];

static const char *fixtures(void)
{
	const char *f = getenv("EPH_FIXTURES");

	if (f == NULL || *f == '\0')
		f = EPH_SOURCE_DIR "/swtpm-fixtures";
	return f;
}

/*
 * /tmp/eph-tpmtest.<pid of the criterion runner>: test processes are the
 * runner's children, the report hooks run in the runner itself.
 */
static const char *fx_root_for(pid_t runner)
{
	snprintf(fx_root_buf, sizeof(fx_root_buf), "/tmp/eph-tpmtest.%ld", (long)runner);
	return fx_root_buf;
}

const char *fx_ca_dir(void)
{
	static char ca[300];

	snprintf(ca, sizeof(ca), "%s/ca", fx_root_for(getppid()));
	return ca;
}

const char *fx_path(const char *name)
{
	static char paths[8][700];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", fx_tpm[0].dir, name);
	return p;
}

void fx_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "cannot write %s", path);
	cr_assert_eq(fwrite(buf, 1, len, f), len, "short write to %s", path);
	cr_assert_eq(fclose(f), 0);
}

double fx_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Contents of a small text file, for failure messages ("" if unreadable). */
static const char *fx_slurp(const char *path)
{
	static char buf[2048];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

void fx_up(int i, int ecc)
{
	struct swtpm_fx *fx = &fx_tpm[i];
	char cmd[2048], *out = NULL, *nl;
	const char *root = fx_root_for(getppid());
	int st;

	cr_assert(i >= 0 && i < FX_MAX_TPMS && !fx->up);
	mkdir(root, 0700);
	snprintf(fx->dir, sizeof(fx->dir), "%s/t.XXXXXX", root);
	cr_assert_not_null(mkdtemp(fx->dir), "mkdtemp %s", fx->dir);
	/* (two fields of one object: GCC's -Wrestrict dislikes snprintf here) */
	cr_assert_lt(strlen(fx->dir) + 5, sizeof(fx->state));
	memcpy(fx->state, fx->dir, strlen(fx->dir));
	memcpy(fx->state + strlen(fx->dir), "/tpm", 5);
	snprintf(cmd, sizeof(cmd), "'%s/swtpm-up.sh' %s --ca '%s' '%s' 2>'%s/up.log'", fixtures(),
		 ecc ? "--ecc" : "", fx_ca_dir(), fx->state, fx->dir);
	st = tu_run(cmd, &out);
	if (st != 0) {
		char log[700];

		snprintf(log, sizeof(log), "%s/up.log", fx->dir);
		cr_assert_fail("swtpm-up.sh failed (%d): %s", st, fx_slurp(log));
	}
	fx->up = 1;
	cr_assert_not_null(out);
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	cr_assert(strncmp(out, "swtpm:", 6) == 0, "swtpm-up.sh printed \"%s\"", out);
	snprintf(fx->tcti, sizeof(fx->tcti), "%s", out);
	free(out);
}

void fx_down_all(void)
{
	char cmd[2048], *out = NULL;
	int i;

	for (i = FX_MAX_TPMS - 1; i >= 0; i--) {
		struct swtpm_fx *fx = &fx_tpm[i];

		if (!fx->up)
			continue;
		snprintf(cmd, sizeof(cmd),
			 "'%s/swtpm-down.sh' --wipe '%s' >/dev/null 2>&1; rm -rf '%s'", fixtures(),
			 fx->state, fx->dir);
		tu_run(cmd, &out);
		free(out);
		out = NULL;
		fx->up = 0;
	}
}

void fx_setup(void)
{
	fx_up(0, 0);
}

void fx_setup_ecc(void)
{
	fx_up(0, 1);
}

void fx_teardown(void)
{
	fx_down_all();
}

const char *fx_trust_dir(void)
{
	char cmd[2048], *out = NULL;
	int st;

	snprintf(fx_trust_buf, sizeof(fx_trust_buf), "%s/trust", fx_tpm[0].dir);
	snprintf(cmd, sizeof(cmd), "'%s/swtpm-ca.sh' '%s' '%s' >/dev/null 2>&1", fixtures(),
		 fx_ca_dir(), fx_trust_buf);
	st = tu_run(cmd, &out);
	free(out);
	cr_assert_eq(st, 0, "swtpm-ca.sh %s %s failed", fx_ca_dir(), fx_trust_buf);
	return fx_trust_buf;
}

int fx_tpm_handles(int i)
{
	char cmd[512], *out = NULL, *p;
	int st, n = 0;

	snprintf(cmd, sizeof(cmd),
		 "TPM2TOOLS_TCTI='%s' tpm2_getcap handles-transient && "
		 "TPM2TOOLS_TCTI='%s' tpm2_getcap handles-loaded-session",
		 fx_tpm[i].tcti, fx_tpm[i].tcti);
	st = tu_run(cmd, &out);
	cr_assert_eq(st, 0, "tpm2_getcap failed");
	for (p = out; p && (p = strstr(p, "- 0x")) != NULL; p += 4)
		n++;
	free(out);
	return n;
}

tpmq_tpm *fx_open(int i)
{
	struct eph_err err = {{0}};
	tpmq_tpm *tpm = NULL;
	int rc = tpmq_open(&tpm, fx_tpm[i].tcti, &err);

	cr_assert_eq(rc, 0, "tpmq_open(%s): %s", fx_tpm[i].tcti, err.msg);
	cr_assert_not_null(tpm);
	return tpm;
}

tpmq_tpm *fx_open_ek_ak(int i, int ek_alg, int ak_alg, uint8_t **ek_pub, size_t *ek_pub_len,
			uint8_t **ak_pub, size_t *ak_pub_len, uint8_t **ak_priv, size_t *ak_priv_len)
{
	struct eph_err err = {{0}};
	tpmq_tpm *tpm = fx_open(i);
	uint8_t *ep = NULL, *ap = NULL, *av = NULL;
	size_t epn = 0, apn = 0, avn = 0;
	int rc;

	rc = tpmq_create_ek(&ep, &epn, tpm, (enum tpmq_keyalg)ek_alg, &err);
	cr_assert_eq(rc, 0, "tpmq_create_ek(%d): %s", ek_alg, err.msg);
	rc = tpmq_create_ak(&ap, &apn, &av, &avn, tpm, (enum tpmq_keyalg)ak_alg, &err);
	cr_assert_eq(rc, 0, "tpmq_create_ak(%d): %s", ak_alg, err.msg);
	if (ek_pub) {
		*ek_pub = ep;
		*ek_pub_len = epn;
	} else {
		free(ep);
	}
	if (ak_pub) {
		*ak_pub = ap;
		*ak_pub_len = apn;
	} else {
		free(ap);
	}
	if (ak_priv) {
		*ak_priv = av;
		*ak_priv_len = avn;
	} else {
		free(av);
	}
	return tpm;
}

/*
 * In the runner, after all tests: stop whatever a crashed or timed-out test
 * left running, then remove the run's folder (CA included).
 */
ReportHook(POST_ALL)(CR_UNUSED struct criterion_global_stats *stats)
{
	const char *root = fx_root_for(getpid());
	char cmd[2048], *out = NULL;
	DIR *d = opendir(root);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "t.", 2) != 0)
			continue;
		snprintf(cmd, sizeof(cmd), "'%s/swtpm-down.sh' --wipe '%s/%s/tpm' >/dev/null 2>&1",
			 fixtures(), root, e->d_name);
		if (tu_run(cmd, &out) != 0)
			fprintf(stderr, "swtpm_fixture: could not stop %s/%s/tpm\n", root,
				e->d_name);
		free(out);
		out = NULL;
	}
	closedir(d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	tu_run(cmd, &out);
	free(out);
}
