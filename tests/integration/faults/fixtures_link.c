/*
 * fixtures_link.c - builds the swtpm fixture of tests/integration/tpm (a
 * swtpm per test, shared CA, cleanup hook) and bin()/slurp()/stop_pid() of
 * the real-broker fixture into this test binary (eph_add_criterion globs
 * one folder). The fault tests start their brokers themselves (faults.c):
 * they restart one on the same port and store.
 */
#include "../real_broker.c"
#include "../tpm/swtpm_fixture.c"
