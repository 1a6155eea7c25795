/* The environment lifecycle fixture (real broker via scripts/envs-setup.sh),
 * shared with tests/integration/env_lifecycle. */
#include "../env_lifecycle/envs_fixture.c"
