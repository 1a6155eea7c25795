/*
 * fixtures_link.c - builds the swtpm fixture of tests/integration/tpm (a
 * swtpm per test, shared CA, cleanup hook) and the real-broker fixture into
 * this test binary (eph_add_criterion globs one folder).
 */
#include "../tpm/swtpm_fixture.c"
#include "../real_broker.c"
