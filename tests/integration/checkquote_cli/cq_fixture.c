/*
 * cq_fixture.c - see cq_fixture.h. The quotes are made by shell scripts
 * (gen_script, batch_script below, written into the folder as gen.sh and
 * batch.sh) so that every step is a tpm2-tools command line one can rerun
 * by hand; the byte flips in between are done here in C.
 */
#include "cq_fixture.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/*
 * Run in the fixture folder with TPM2TOOLS_TCTI set, under sh -e. swtpm
 * has 3 transient object slots and no resource manager: every command that
 * leaves objects loaded is followed by a flush.
 */
static const char gen_script[] =
    "fl() { tpm2_flushcontext -t >/dev/null; }\n"
    "ak() { tpm2_createak -C \"$1\" -c \"$2.ctx\" -G \"$3\" -g sha256 -s \"$4\" -u \"$2.pub\" "
    "-f tss >/dev/null; fl; }\n"
    "quote() { tpm2_quote -c \"$1.ctx\" -l " CQF_PCRS " -q " CQF_NONCE
    " -m \"$2.msg\" -s \"$2.sig\" -o \"$2.pcrs\" -g sha256 >/dev/null; fl; }\n"
    "pem() { tpm2_readpublic -c \"$1.ctx\" -f pem -o \"$1.pem\" >/dev/null; fl; }\n"
    "ak 0x81010001 rsa rsa rsassa\n"
    "ak 0x81010001 rsa2 rsa rsassa\n"
    "tpm2_createek -c eccek.ctx -G ecc -u eccek.pub >/dev/null\n"
    "ak eccek.ctx ecc ecc ecdsa\n"
    "pem rsa\n"
    "pem ecc\n"
    "quote rsa rsa\n"
    "quote rsa2 rsa2\n"
    "quote ecc ecc\n"
    "tpm2_quote -c rsa.ctx -l sha256:0,1,2,3+sha1:0 -q " CQF_NONCE
    " -m wide.msg -s wide.sig -o wide.pcrs >/dev/null; fl\n"
    "tpm2_quote -c rsa.ctx -l sha256:0,1 -q " CQF_NONCE
    " -m narrow.msg -s narrow.sig -o narrow.pcrs >/dev/null; fl\n"
    "printf '%s' " CQF_NONCE " | xxd -r -p > nonce.bin\n"
    "tpm2_pcrread -o before.vals " CQF_PCRS " >/dev/null\n"
    "tpm2_pcrextend 1:sha256=" /* another boot: PCR 1 moves on */
    "0101010101010101010101010101010101010101010101010101010101010101,"
    "sha1=0101010101010101010101010101010101010101\n"
    "tpm2_pcrread -o after.vals " CQF_PCRS " >/dev/null\n"
    "quote rsa after\n";

static char dir_buf[256];
static char skip_buf[512];

static const char *fixtures(void)
{
	const char *f = getenv("EPH_FIXTURES");

	if (f == NULL || *f == '\0')
		f = EPH_SOURCE_DIR "/swtpm-fixtures";
	return f;
}

static const char *root_for(pid_t runner)
{
	snprintf(dir_buf, sizeof(dir_buf), "/tmp/eph-cqtest.%ld", (long)runner);
	return dir_buf;
}

const char *cqf_path(const char *name)
{
	static char paths[8][512];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir_buf, name);
	return p;
}

const char *cqf_tool(void)
{
	static char tool[1024];
	const char *b = getenv("EPH_BINARY_DIR");

	if (b == NULL || *b == '\0')
		b = EPH_BINARY_DIR;
	snprintf(tool, sizeof(tool), "%s/tpm/ephemera-checkquote", b);
	cr_assert_eq(access(tool, X_OK), 0, "%s is not built", tool);
	return tool;
}

/* Read a small text file into a new buffer ("" if unreadable). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 8192);
	size_t n;

	if (buf == NULL)
		return NULL;
	if (f != NULL) {
		n = fread(buf, 1, 8191, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

int cqf_sh(char **out, char **err, const char *fmt, ...)
{
	char cmd[8192], full[8192 + 600], errpath[512], *o = NULL;
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(errpath, sizeof(errpath), "%s/stderr.%ld", dir_buf[0] ? dir_buf : "/tmp",
	         (long)getpid());
	snprintf(full, sizeof(full), "( %s ) 2>'%s'", cmd, errpath);
	st = tu_run(full, &o);
	if (out != NULL)
		*out = o;
	else
		free(o);
	if (err != NULL)
		*err = slurp(errpath);
	unlink(errpath);
	return st;
}

/* Write a copy of file src as dst with byte off XORed with 0x01. */
static int flip(const char *dir, const char *src, const char *dst, long off)
{
	char sp[512], dp[512];
	uint8_t buf[4096];
	size_t n;
	FILE *f;

	snprintf(sp, sizeof(sp), "%s/%s", dir, src);
	snprintf(dp, sizeof(dp), "%s/%s", dir, dst);
	f = fopen(sp, "rb");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (off < 0)
		off += (long)n;
	if (off < 0 || (size_t)off >= n)
		return -1;
	buf[off] ^= 0x01;
	f = fopen(dp, "wb");
	if (f == NULL)
		return -1;
	if (fwrite(buf, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Record why the quotes are unavailable; tests print it and skip. */
static void set_skip(const char *why, const char *detail)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(skip_buf, sizeof(skip_buf), "%s%s%s", why, detail ? ": " : "",
	         detail ? detail : "");
	n = strlen(skip_buf);
	while (n > 0 && (skip_buf[n - 1] == '\n' || skip_buf[n - 1] == ' '))
		skip_buf[--n] = '\0';
	for (n = 0; skip_buf[n] != '\0'; n++)
		if (skip_buf[n] == '\n')
			skip_buf[n] = ' ';
	snprintf(path, sizeof(path), "%s/skip", dir_buf);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs(skip_buf, f);
		fclose(f);
	}
}

/*
 * The --batch folder: 3 good quotes (RSA with nonce.hex and pcrs.bin, ECC
 * by PEM key with a raw nonce, the second RSA AK with neither) and 2 bad
 * ones (wrong nonce, flipped ECDSA signature byte).
 */
static const char batch_script[] =
    "mkdir -p batch/good-rsa batch/good-ecc-pem batch/good-rsa2 batch/bad-nonce batch/bad-sig\n"
    "cp rsa.pub batch/good-rsa/ak.pub; cp rsa.msg batch/good-rsa/quote.msg\n"
    "cp rsa.sig batch/good-rsa/quote.sig; cp rsa.pcrs batch/good-rsa/pcrs.bin\n"
    "echo " CQF_NONCE " > batch/good-rsa/nonce.hex\n"
    "cp ecc.pem batch/good-ecc-pem/ak.pem; cp ecc.msg batch/good-ecc-pem/quote.msg\n"
    "cp ecc.sig batch/good-ecc-pem/quote.sig; cp ecc.pcrs batch/good-ecc-pem/pcrs.bin\n"
    "cp nonce.bin batch/good-ecc-pem/nonce\n"
    "cp rsa2.pub batch/good-rsa2/ak.pub; cp rsa2.msg batch/good-rsa2/quote.msg\n"
    "cp rsa2.sig batch/good-rsa2/quote.sig\n"
    "cp rsa.pub batch/bad-nonce/ak.pub; cp rsa.msg batch/bad-nonce/quote.msg\n"
    "cp rsa.sig batch/bad-nonce/quote.sig; cp rsa.pcrs batch/bad-nonce/pcrs.bin\n"
    "echo " CQF_OTHER_NONCE " > batch/bad-nonce/nonce.hex\n"
    "cp ecc.pub batch/bad-sig/ak.pub; cp ecc.msg batch/bad-sig/quote.msg\n"
    "cp ecc.badsig batch/bad-sig/quote.sig; cp ecc.pcrs batch/bad-sig/pcrs.bin\n"
    "cp nonce.bin batch/bad-sig/nonce\n";

static int write_script(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	if (fputs(text, f) < 0) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static void generate(const char *dir)
{
	static const char *tools[] = {
	    "swtpm",         "swtpm_setup",   "tpm2_checkquote", "tpm2_quote",
	    "tpm2_createak", "tpm2_createek", "tpm2_pcrextend",  "xxd"};
	char tcti[256], *out = NULL, *err = NULL, *nl;
	size_t i;
	int st;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		if (cqf_sh(NULL, NULL, "command -v %s >/dev/null", tools[i]) != 0) {
			set_skip(tools[i], "not installed (apt-get install swtpm swtpm-tools "
			                   "tpm2-tools xxd)");
			return;
		}
	}
	st = cqf_sh(&out, &err, "'%s/swtpm-up.sh' --ca '%s/ca' '%s/tpm'", fixtures(), dir, dir);
	if (st != 0 || out == NULL || strncmp(out, "swtpm:", 6) != 0) {
		set_skip("swtpm-up.sh failed", err);
		goto out;
	}
	nl = strchr(out, '\n');
	if (nl != NULL)
		*nl = '\0';
	snprintf(tcti, sizeof(tcti), "%s", out);
	free(err);
	err = NULL;

	if (write_script(dir, "gen.sh", gen_script) < 0 ||
	    write_script(dir, "batch.sh", batch_script) < 0) {
		set_skip("cannot write scripts into", dir);
		goto down;
	}
	st = cqf_sh(NULL, &err, "cd '%s' && TPM2TOOLS_TCTI='%s' sh -e gen.sh", dir, tcti);
	if (st != 0) {
		set_skip("making quotes with tpm2-tools failed", err);
		goto down;
	}
	/* Signatures: a byte inside the RSA signature / the ECDSA r. Messages:
	 * a byte of clockInfo (offset 62: magic, type, a 34-byte signer name, a
	 * 16-byte nonce come first) and the last byte (pcrDigest). */
	if (flip(dir, "rsa.sig", "rsa.badsig", 16) < 0 ||
	    flip(dir, "ecc.sig", "ecc.badsig", 11) < 0 ||
	    flip(dir, "rsa.msg", "rsa.badclock", 62) < 0 ||
	    flip(dir, "ecc.msg", "ecc.baddigest", -1) < 0) {
		set_skip("cannot flip bytes in", dir);
		goto down;
	}
	free(err);
	err = NULL;
	st = cqf_sh(NULL, &err, "cd '%s' && sh -e batch.sh", dir);
	if (st != 0)
		set_skip("writing the batch folder failed", err);
down:
	cqf_sh(NULL, NULL, "'%s/swtpm-down.sh' --wipe '%s/tpm' >/dev/null", fixtures(), dir);
out:
	free(out);
	free(err);
}

/* In the runner, before the first test: make the quotes. */
ReportHook(PRE_ALL)(CR_UNUSED struct criterion_test_set *tests)
{
	const char *dir = root_for(getpid());
	char cmd[512], *out = NULL;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	tu_run(cmd, &out);
	free(out);
	if (mkdir(dir, 0700) != 0) {
		fprintf(stderr, "cq_fixture: cannot create %s\n", dir);
		return;
	}
	generate(dir);
}

/* In the runner, after all tests: make sure the swtpm is gone, remove all. */
ReportHook(POST_ALL)(CR_UNUSED struct criterion_global_stats *stats)
{
	const char *dir = root_for(getpid());
	char cmd[1024], *out = NULL;

	snprintf(cmd, sizeof(cmd),
	         "'%s/swtpm-down.sh' --wipe '%s/tpm' >/dev/null 2>&1; rm -rf '%s'", fixtures(), dir,
	         dir);
	tu_run(cmd, &out);
	free(out);
}

const char *cqf_dir(void)
{
	const char *dir = root_for(getppid());
	char path[512], *why;
	struct stat st;

	snprintf(path, sizeof(path), "%s/skip", dir);
	if (stat(path, &st) == 0) {
		why = slurp(path);
		fprintf(stderr, "SKIP: %s\n", why != NULL ? why : "quotes unavailable");
		free(why);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/batch/bad-sig/quote.sig", dir);
	if (stat(path, &st) != 0) {
		fprintf(stderr, "SKIP: no quotes in %s (the runner's hook did not run?)\n", dir);
		return NULL;
	}
	return dir;
}
