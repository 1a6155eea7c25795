/*
 * fixtures_link.c - builds the swtpm fixture of tests/integration/tpm (a
 * swtpm per test, shared CA, cleanup hook) into this test binary
 * (eph_add_criterion globs one folder).
 */
#include "../tpm/swtpm_fixture.c"
