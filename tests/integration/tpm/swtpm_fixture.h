/*
 * swtpm_fixture.h - a provisioned swtpm per test, through swtpm-fixtures/
 * ($EPH_FIXTURES): swtpm-up.sh in a fresh mktemp folder, swtpm-down.sh
 * --wipe afterwards.
 *
 * Criterion forks a process per test and runs a suite's .init/.fini in it,
 * so each test gets its own TPM (~1 s: swtpm_setup with EK certs). All TPMs
 * of one test binary run share one CA folder (created once, ~1 s) under
 * /tmp/eph-tpmtest.<runner pid>/; a report hook in the runner stops any
 * swtpm a crashed test left behind and removes that folder at the end.
 */
#ifndef SWTPM_FIXTURE_H
#define SWTPM_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#define FX_MAX_TPMS 2

struct swtpm_fx {
	int up;             /* started and not yet stopped */
	char dir[512];      /* the test's own folder (mkdtemp) */
	char state[600];    /* dir/tpm: swtpm state */
	char tcti[128];     /* "swtpm:host=127.0.0.1,port=P" */
};

/* The TPMs of the running test; fx_tpm[0] is the one .init started. */
extern struct swtpm_fx fx_tpm[FX_MAX_TPMS];

/*
 * Start TPM number i (0 or 1) of this test; ecc also gives it an ECC P-256
 * EK certificate (swtpm-up.sh --ecc). Asserts on failure.
 */
void fx_up(int i, int ecc);

/* Stop and wipe every TPM of this test that is up (never asserts). */
void fx_down_all(void);

/* Criterion .init/.fini: one TPM (without the P-256 EK cert) per test. */
void fx_setup(void);
void fx_setup_ecc(void);
void fx_teardown(void);

/* The shared CA folder and (exported once per test) its trust bundle. */
const char *fx_ca_dir(void);
const char *fx_trust_dir(void);

/* Path of a new file name in the running test's folder (static buffer, one
 * of 8 rotating). */
const char *fx_path(const char *name);

/* Write a buffer to a file; asserts. */
void fx_write(const char *path, const void *buf, size_t len);

/* Count of transient objects + loaded sessions on TPM i (tpm2_getcap). */
int fx_tpm_handles(int i);

/* Milliseconds on a monotonic clock. */
double fx_ms(void);

typedef struct tpmq_tpm tpmq_tpm;

/* tpmq_open() on TPM i; asserts. */
tpmq_tpm *fx_open(int i);

/* tpmq_open + tpmq_create_ek(ek_alg) + tpmq_create_ak(ak_alg); asserts.
 * The outputs (may be NULL) are new buffers. */
tpmq_tpm *fx_open_ek_ak(int i, int ek_alg, int ak_alg, uint8_t **ek_pub, size_t *ek_pub_len,
			uint8_t **ak_pub, size_t *ak_pub_len, uint8_t **ak_priv, size_t *ak_priv_len);

#endif
