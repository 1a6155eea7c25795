# The environment lifecycle end to end: a real broker with --driver sandbox,
# sandboxes with their own swtpm and agent, drift / deadline / TTL / delete,
# kill -9 of the broker while provisioning. Needs root, cgroups, swtpm.
# --jobs 1: the tests time re-attestation periods; two at once on two cores
# would measure the machine, not the broker.
if(TARGET ephemera-broker AND TARGET ephemera-agent AND TARGET ephemeractl AND TARGET driver
   AND TARGET ephemera-token)
  file(GLOB envlc_srcs CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/integration/env_lifecycle/*.c)
  add_executable(test_env_lifecycle ${envlc_srcs})
  target_link_libraries(test_env_lifecycle PRIVATE eph_testutil store driver)
  add_dependencies(test_env_lifecycle ephemera-broker ephemera-agent ephemeractl ephemera-token)
  add_test(NAME test_env_lifecycle COMMAND test_env_lifecycle --jobs 1 --short-filename)
  set_tests_properties(test_env_lifecycle PROPERTIES
    LABELS "sandbox;swtpm" TIMEOUT 600 RUN_SERIAL TRUE
    ENVIRONMENT "EPH_BINARY_DIR=${CMAKE_BINARY_DIR}")
endif()
