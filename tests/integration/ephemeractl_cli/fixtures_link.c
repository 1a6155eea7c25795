/*
 * fixtures_link.c - builds the TLS test server of tests/unit/agentc into
 * this test binary (eph_add_criterion globs one folder).
 */
#define _GNU_SOURCE /* strcasestr, before any system header */
#include "../../unit/agentc/tls_server.c"
