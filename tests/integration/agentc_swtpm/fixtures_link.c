/*
 * fixtures_link.c - builds the shared test helpers of two other folders
 * into this test binary: the swtpm fixture of tests/integration/tpm (swtpm
 * per test, shared CA, cleanup hook) and the TLS server of
 * tests/unit/agentc. (eph_add_criterion globs one folder.)
 */
#define _GNU_SOURCE /* strcasestr, before any system header */
#include "../../unit/agentc/tls_server.c"
#include "../tpm/swtpm_fixture.c"
