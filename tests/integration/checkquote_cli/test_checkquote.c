/*
 * test_checkquote.c - ephemera-checkquote against tpm2_checkquote (tpm2-tools
 * 5.4) on quotes from a real swtpm (cq_fixture.c): on the same files, ours
 * accepts exactly when tpm2_checkquote does, and prints tpm2_checkquote's
 * output before its own "verified:" section. Also the keylime emulator
 * vector (read in place), --batch, and the command line itself.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cq_fixture.h"
#include "testutil.h"

#define Q CQF_NONCE

TestSuite(cq);

static const char *need_quotes(void)
{
	const char *dir = cqf_dir();

	if (dir == NULL)
		cr_skip_test("no swtpm quotes (see SKIP above)");
	return dir;
}

struct run {
	int st;    /* exit status */
	char *out; /* stdout */
	char *err; /* stderr */
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Run "PROG ARGS" in the fixture folder. */
static struct run run_in(const char *prog, const char *args)
{
	struct run r = {0, NULL, NULL};

	r.st = cqf_sh(&r.out, &r.err, "cd '%s' && '%s' %s", cqf_path(""), prog, args);
	cr_assert_not_null(r.out);
	cr_assert_not_null(r.err);
	return r;
}

/*
 * Both tools on the same arguments: both accept (want_exit 0), or both
 * refuse and ours exits with want_exit. With accept, our stdout starts with
 * exactly what tpm2_checkquote printed.
 */
static void agree(int want_exit, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void agree(int want_exit, const char *fmt, ...)
{
	struct run ours, theirs;
	char args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	ours = run_in(cqf_tool(), args);
	theirs = run_in("tpm2_checkquote", args);
	cr_assert_eq(ours.st == 0, theirs.st == 0,
	             "disagree on %s: ours %d (%s), tpm2_checkquote %d (%s)", args, ours.st,
	             ours.err, theirs.st, theirs.err);
	cr_assert_eq(ours.st, want_exit, "%s: exit %d, wanted %d; stderr: %s", args, ours.st,
	             want_exit, ours.err);
	if (want_exit == 0) {
		cr_assert(strncmp(ours.out, theirs.out, strlen(theirs.out)) == 0,
		          "%s: output differs from tpm2_checkquote's\nours:\n%s\ntheirs:\n%s", args,
		          ours.out, theirs.out);
		cr_assert_not_null(strstr(ours.out, "\nverified:\n"), "%s", ours.out);
	} else {
		cr_assert_str_empty(ours.out, "%s: failed but printed %s", args, ours.out);
		cr_assert(strncmp(ours.err, "ephemera-checkquote: ", 21) == 0 &&
		              strchr(ours.err, '\n') == ours.err + strlen(ours.err) - 1,
		          "%s: stderr is not one line: %s", args, ours.err);
	}
	run_free(&ours);
	run_free(&theirs);
}

/* Our output for args, which must verify. */
static char *ours_ok(const char *args)
{
	struct run r = run_in(cqf_tool(), args);
	char *out = r.out;

	cr_assert_eq(r.st, 0, "%s: exit %d: %s", args, r.st, r.err);
	free(r.err);
	return out;
}

static void has(const char *out, const char *line)
{
	cr_assert_not_null(strstr(out, line), "\"%s\" missing from:\n%s", line, out);
}

Test(cq, good_rsa_quote)
{
	char *out;

	need_quotes();
	agree(0, "-u rsa.pub -m rsa.msg -s rsa.sig -f rsa.pcrs -q " Q);
	agree(0, "-u rsa.pub -m rsa.msg -s rsa.sig -q " Q);
	out = ours_ok("-u rsa.pub -m rsa.msg -s rsa.sig -f rsa.pcrs -q " Q " -g sha256");
	has(out, "  scheme: rsassa\n  hash: sha256\n");
	has(out, "  akPolicy: ok\n  nonce: ok\n  extraData: \"" Q "\"\n  pcrValues: ok\n");
	has(out, "  pcrSelection: " CQF_PCRS "\n");
	has(out, "  akName: \"000b");
	has(out, "  resetCount: ");
	free(out);
}

Test(cq, good_ecc_quote)
{
	char *out;

	need_quotes();
	agree(0, "-u ecc.pub -m ecc.msg -s ecc.sig -f ecc.pcrs -q " Q);
	out = ours_ok("-u ecc.pub -m ecc.msg -s ecc.sig -f ecc.pcrs -q " Q);
	has(out, "  scheme: ecdsa\n  hash: sha256\n");
	has(out, "  nonce: ok\n");
	free(out);
}

Test(cq, good_quote_pem_key_nonce_file_values_file)
{
	char *out;

	need_quotes();
	agree(0, "-u rsa.pem -m rsa.msg -s rsa.sig -f rsa.pcrs -q " Q);
	agree(0, "-u ecc.pem -m ecc.msg -s ecc.sig -f ecc.pcrs -q nonce.bin");
	/* tpm2_pcrread -o output with -l: the PCRs had not moved yet */
	agree(0, "-u rsa.pub -m rsa.msg -s rsa.sig -f before.vals -l " CQF_PCRS " -q " Q);
	out = ours_ok("-u ecc.pem -m ecc.msg -s ecc.sig -q " Q);
	has(out, "  akPolicy: unknown\n");
	cr_assert_null(strstr(out, "akName"));
	cr_assert_null(strstr(out, "pcrs:"), "no -f, no pcrs:");
	has(out, "  pcrValues: unchecked\n");
	free(out);
}

Test(cq, wrong_nonce)
{
	need_quotes();
	agree(4, "-u rsa.pub -m rsa.msg -s rsa.sig -f rsa.pcrs -q " CQF_OTHER_NONCE);
	agree(4, "-u ecc.pub -m ecc.msg -s ecc.sig -f ecc.pcrs -q " CQF_OTHER_NONCE);
	agree(4, "-u rsa.pub -m rsa.msg -s rsa.sig -q 00");
	agree(4, "-u rsa.pub -m rsa.msg -s rsa.sig -q ''"); /* empty nonce */
}

Test(cq, flipped_signature_byte)
{
	need_quotes();
	agree(4, "-u rsa.pub -m rsa.msg -s rsa.badsig -f rsa.pcrs -q " Q);
	agree(4, "-u ecc.pub -m ecc.msg -s ecc.badsig -f ecc.pcrs -q " Q);
}

Test(cq, flipped_message_byte)
{
	need_quotes();
	agree(4, "-u rsa.pub -m rsa.badclock -s rsa.sig -f rsa.pcrs -q " Q);
	agree(4, "-u ecc.pub -m ecc.baddigest -s ecc.sig -f ecc.pcrs -q " Q);
	agree(4, "-u ecc.pub -m ecc.baddigest -s ecc.sig -q " Q);
}

Test(cq, pcrs_of_another_boot)
{
	need_quotes();
	/* PCR 1 extended after the quote, re-read with tpm2_pcrread -o */
	agree(4, "-u rsa.pub -m rsa.msg -s rsa.sig -f after.vals -l " CQF_PCRS " -q " Q);
	/* the PCR file of a later quote */
	agree(4, "-u rsa.pub -m rsa.msg -s rsa.sig -f after.pcrs -q " Q);
	/* and that later quote with its own PCRs is fine */
	agree(0, "-u rsa.pub -m after.msg -s after.sig -f after.pcrs -q " Q);
	agree(0, "-u rsa.pub -m after.msg -s after.sig -f after.vals -l " CQF_PCRS " -q " Q);
}

Test(cq, pcr_file_of_other_pcrs)
{
	need_quotes();
	/* same boot, but more or fewer PCRs than the quote covers */
	agree(4, "-u rsa.pub -m rsa.msg -s rsa.sig -f wide.pcrs -q " Q);
	agree(4, "-u rsa.pub -m rsa.msg -s rsa.sig -f narrow.pcrs -q " Q);
	agree(4, "-u rsa.pub -m narrow.msg -s narrow.sig -f rsa.pcrs -q " Q);
	agree(0, "-u rsa.pub -m wide.msg -s wide.sig -f wide.pcrs -q " Q);
	agree(0, "-u rsa.pub -m narrow.msg -s narrow.sig -f narrow.pcrs -q " Q);
}

Test(cq, quote_checked_with_another_ak)
{
	need_quotes();
	agree(4, "-u rsa2.pub -m rsa.msg -s rsa.sig -f rsa.pcrs -q " Q);
	agree(4, "-u ecc.pub -m rsa.msg -s rsa.sig -f rsa.pcrs -q " Q);
	agree(4, "-u rsa.pub -m ecc.msg -s ecc.sig -f ecc.pcrs -q " Q);
	agree(4, "-u rsa.pem -m rsa2.msg -s rsa2.sig -q " Q);
	agree(0, "-u rsa2.pub -m rsa2.msg -s rsa2.sig -f rsa2.pcrs -q " Q);
}

Test(cq, batch_three_good_two_bad)
{
	struct run r;

	need_quotes();
	r = run_in(cqf_tool(), "--batch batch");
	cr_assert_eq(r.st, 4, "exit %d: %s", r.st, r.err);
	cr_assert(strncmp(r.out, "bad-nonce: FAILED: quote: extraData", 35) == 0, "%s", r.out);
	has(r.out, "\nbad-sig: FAILED: quote signature: ");
	has(r.out, "\ngood-ecc-pem: ok\ngood-rsa: ok\ngood-rsa2: ok\n3 verified, 2 failed\n");
	cr_assert_null(strstr(r.out, "repeat:"));
	run_free(&r);

	r = run_in(cqf_tool(), "--batch batch --batch-repeat 40");
	cr_assert_eq(r.st, 4);
	has(r.out, "3 verified, 2 failed\nrepeat: 40 rounds, 200 verifications in ");
	has(r.out, " quotes/s\n");
	run_free(&r);

	/* --require-ak: the PEM key has no attributes to check */
	r = run_in(cqf_tool(), "--batch batch --require-ak");
	cr_assert_eq(r.st, 4);
	has(r.out, "good-ecc-pem: FAILED: --require-ak");
	has(r.out, "2 verified, 3 failed\n");
	run_free(&r);
}

Test(cq, batch_all_good_and_bad_folders)
{
	struct run r;

	need_quotes();
	cr_assert_eq(cqf_sh(NULL, NULL,
	                    "cd '%s' && rm -rf goodonly && mkdir goodonly && cp -r batch/good-* "
	                    "goodonly/ && mkdir goodonly/.hidden && touch goodonly/stray-file",
	                    cqf_path("")),
	             0);
	r = run_in(cqf_tool(), "--batch goodonly");
	cr_assert_eq(r.st, 0, "exit %d: %s %s", r.st, r.out, r.err);
	cr_assert_str_eq(r.out, "good-ecc-pem: ok\ngood-rsa: ok\ngood-rsa2: ok\n"
	                        "3 verified, 0 failed\n");
	run_free(&r);

	/* a quote folder with a file missing fails, the others still verify */
	cr_assert_eq(cqf_sh(NULL, NULL, "cd '%s' && rm goodonly/good-rsa/quote.sig", cqf_path("")),
	             0);
	r = run_in(cqf_tool(), "--batch goodonly");
	cr_assert_eq(r.st, 4);
	has(r.out, "good-rsa: FAILED: cannot open ");
	has(r.out, "2 verified, 1 failed\n");
	run_free(&r);

	r = run_in(cqf_tool(), "--batch no-such-dir");
	cr_assert_eq(r.st, 3);
	run_free(&r);
	r = run_in(cqf_tool(), "--batch goodonly/.hidden");
	cr_assert_eq(r.st, 2, "an empty folder: %d", r.st);
	run_free(&r);
}

/* ---- the keylime emulator vector: no swtpm needed ---- */

static const char *keylime(void)
{
	if (tu_vectors() == NULL)
		cr_skip_test("no shared vectors");
	return tu_vector_path("tpm-quote/keylime-emulator");
}

#define KL_NONCE "db1db298db6d60e6385b7231743e9c3056a18003"

/* Run "PROG ARGS" in the vector folder. */
static struct run run_kl(const char *prog, const char *args)
{
	struct run r = {0, NULL, NULL};
	char cmd[4096], errf[256];

	snprintf(errf, sizeof(errf), "/tmp/eph-cqtest-err.%ld", (long)getpid());
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s 2>'%s'", keylime(), prog, args, errf);
	r.st = tu_run(cmd, &r.out);
	r.err = (char *)tu_read(errf, &(size_t){0});
	unlink(errf);
	return r;
}

Test(cq, keylime_vector_without_nonce)
{
	struct run r, t;

	r = run_kl(cqf_tool(), "-u ak.pub -m quote.out -s quotesig.out -f quotepcr.out");
	cr_assert_eq(r.st, 0, "exit %d: %s", r.st, r.err);
	has(r.out, "pcrs:\n  sha256:\n    15: 0x0000");
	has(r.out, "  nonce: unchecked\n  extraData: \"" KL_NONCE "\"\n  pcrValues: ok\n");
	has(r.out, "  pcrSelection: sha256:15,16,22\n");
	has(r.out,
	    "  signer: \"000b7ca54a622c87f30888b6da66f51e4a31ccb723cad8daa111a5006b44342dd623\"\n");
	has(r.out, "  clock: 5994\n  resetCount: 0\n  restartCount: 0\n");
	run_free(&r);

	/* The documented difference: without -q tpm2_checkquote wants an empty
	 * nonce and refuses this quote. */
	t.st = tu_run("command -v tpm2_checkquote >/dev/null", &t.out);
	free(t.out);
	if (t.st != 0) {
		fprintf(stderr, "SKIP: tpm2_checkquote missing: comparison not run\n");
		return;
	}
	t = run_kl("tpm2_checkquote", "-u ak.pub -m quote.out -s quotesig.out -f quotepcr.out");
	cr_assert_neq(t.st, 0);
	run_free(&t);

	/* With the nonce it found, both accept; the PEM key too. */
	r = run_kl(cqf_tool(),
	           "-u akpub.pem -m quote.out -s quotesig.out -f quotepcr.out -q " KL_NONCE);
	t = run_kl("tpm2_checkquote",
	           "-u akpub.pem -m quote.out -s quotesig.out -f quotepcr.out -q " KL_NONCE);
	cr_assert_eq(r.st, 0, "%s", r.err);
	cr_assert_eq(t.st, 0);
	cr_assert(strncmp(r.out, t.out, strlen(t.out)) == 0, "ours:\n%s\ntheirs:\n%s", r.out,
	          t.out);
	run_free(&r);
	run_free(&t);

	r = run_kl(cqf_tool(), "-u ak.pub -m quote.out -s quotesig.out -q 00" KL_NONCE);
	cr_assert_eq(r.st, 4);
	run_free(&r);
}

Test(cq, command_line)
{
	struct run r;

	r = run_kl(cqf_tool(), "--help");
	cr_assert_eq(r.st, 0);
	has(r.out, "Exit status:\n  0  the quote verified");
	has(r.out, "  6  internal error");
	has(r.out, "Batch folder layout");
	run_free(&r);

	r = run_kl(cqf_tool(), "");
	cr_assert_eq(r.st, 1);
	has(r.err, "-u, -m and -s are required");
	run_free(&r);
	r = run_kl(cqf_tool(), "-V");
	cr_assert_eq(r.st, 1, "-V is tpm2-tools' --verbose, never 'success'");
	run_free(&r);
	r = run_kl(cqf_tool(), "--batch-repeat 3 -u ak.pub -m quote.out -s quotesig.out");
	cr_assert_eq(r.st, 1);
	run_free(&r);
	r = run_kl(cqf_tool(),
	           "-u ak.pub -m quote.out -s quotesig.out -l sha256:99 -f quotepcr.out");
	cr_assert_eq(r.st, 1);
	run_free(&r);

	r = run_kl(cqf_tool(), "-u no-such.pub -m quote.out -s quotesig.out");
	cr_assert_eq(r.st, 3);
	cr_assert_str_eq(r.err, "ephemera-checkquote: cannot open no-such.pub: No such file or "
	                        "directory\n");
	run_free(&r);
	r = run_kl(cqf_tool(), "-u ak.pub -m ak.pub -s quotesig.out");
	cr_assert_eq(r.st, 2);
	has(r.err, "ephemera-checkquote: ak.pub: ");
	run_free(&r);
	r = run_kl(cqf_tool(), "-u ak.pub -m quote.out -s quote.out");
	cr_assert_eq(r.st, 2, "%s", r.err);
	run_free(&r);
	r = run_kl(cqf_tool(), "-u ak.pub -m quote.out -s quotesig.out -f quote.out");
	cr_assert_eq(r.st, 2, "%s", r.err);
	has(r.err, "ephemera-checkquote: quote.out: ");
	run_free(&r);
	r = run_kl(cqf_tool(), "-u ak.pub -m quote.out -s quotesig.out -e quote.out");
	cr_assert_eq(r.st, 5);
	run_free(&r);
	r = run_kl(cqf_tool(), "-u ak.pub -m quote.out -s quotesig.out -Q -q " KL_NONCE);
	cr_assert_eq(r.st, 0);
	cr_assert_str_empty(r.out);
	run_free(&r);
}
