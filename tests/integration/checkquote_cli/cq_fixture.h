/*
 * cq_fixture.h - quotes made once per test run by a real swtpm and
 * tpm2-tools, for the ephemera-checkquote tests.
 *
 * Before the first test, a report hook in the criterion runner brings up one
 * swtpm (swtpm-fixtures/swtpm-up.sh, its own CA), makes AKs and quotes with
 * tpm2_createek/createak/quote/pcrextend/pcrread into
 * /tmp/eph-cqtest.<runner pid>/, writes a --batch folder, and stops the
 * swtpm again: the tests themselves only run the two checkers on files. A
 * second hook removes the folder at the end. When swtpm or tpm2-tools are
 * missing, or making the quotes fails, every test that needs them skips
 * with a visible "SKIP: ..." line naming why.
 *
 * Files (in cqf_dir()), nonce CQF_NONCE, PCRs CQF_PCRS:
 *   rsa.pub rsa.pem  RSA AK (RSASSA-SHA256) under the RSA EK 0x81010001
 *   rsa2.pub         a second RSA AK, same EK
 *   ecc.pub ecc.pem  ECC P-256 AK (ECDSA-SHA256) under an ECC EK from
 *                    tpm2_createek -G ecc
 *   K.msg K.sig K.pcrs   tpm2_quote -m/-s/-o of AK K (rsa, rsa2, ecc)
 *   wide.* narrow.*  quotes by rsa of sha256:0,1,2,3+sha1:0 and sha256:0,1
 *   nonce.bin        the nonce as raw bytes
 *   before.vals      tpm2_pcrread -o of CQF_PCRS before PCR 1 was extended
 *   after.vals       the same after it was extended (another boot)
 *   after.msg after.sig after.pcrs   a quote by rsa after the extension
 *   rsa.badsig ecc.badsig   signatures with one byte flipped
 *   rsa.badclock ecc.baddigest   messages with one byte flipped
 *   batch/           3 good and 2 bad quotes in the --batch layout
 */
#ifndef CQ_FIXTURE_H
#define CQ_FIXTURE_H

#define CQF_NONCE "a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define CQF_OTHER_NONCE "a1b2c3d4e5f60718293a4b5c6d7e8f91"
#define CQF_PCRS "sha256:0,1,2+sha1:0"

/*
 * The folder with the files above, or NULL after printing "SKIP: reason"
 * (the caller then cr_skip_test()s).
 */
const char *cqf_dir(void);

/* Path of a file in cqf_dir() (static buffer, one of 8 rotating). */
const char *cqf_path(const char *name);

/* $EPH_BINARY_DIR/tpm/ephemera-checkquote; asserts that it exists. */
const char *cqf_tool(void);

/*
 * Run a shell command line; stdout into *out (may be NULL: discarded),
 * stderr into a file in the fixture folder whose text *err receives (may be
 * NULL). Returns the exit status (-1 if it did not exit).
 */
int cqf_sh(char **out, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
