# The broker serving the int8 Q-network (api_qstate.c): a real broker with
# --driver sandbox --qnet-model broker/qnet/models/default.cbor, decisions
# read back from its store (decider, 32-float state, mask, model hash, warm
# pool), plus the serving/training featurization parity against
# broker/sim (no broker needed for those). Needs root, cgroups, swtpm for
# the integration part (it skips visibly otherwise).
if(TARGET ephemera-broker AND TARGET ephemera-agent AND TARGET ephemeractl AND TARGET driver
   AND TARGET ephemera-token AND TARGET api AND TARGET sim AND TARGET qnet)
  pkg_check_modules(BQN_JANSSON REQUIRED IMPORTED_TARGET jansson)
  file(GLOB bqn_srcs CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/integration/broker_qnet/*.c)
  add_executable(test_broker_qnet ${bqn_srcs})
  target_include_directories(test_broker_qnet PRIVATE
    ${CMAKE_SOURCE_DIR}/broker/api/src ${CMAKE_CURRENT_SOURCE_DIR}/integration/env_lifecycle)
  target_link_libraries(test_broker_qnet PRIVATE eph_testutil api store driver sim qnet tpmq
    PkgConfig::BQN_JANSSON OpenSSL::Crypto)
  target_compile_definitions(test_broker_qnet PRIVATE
    EPH_QNET_MODELS_DIR="${CMAKE_SOURCE_DIR}/broker/qnet/models" API_HAVE_QNET=1 API_HAVE_SIM=1)
  add_dependencies(test_broker_qnet ephemera-broker ephemera-agent ephemeractl ephemera-token)
  add_test(NAME test_broker_qnet COMMAND test_broker_qnet --jobs 1 --short-filename)
  set_tests_properties(test_broker_qnet PROPERTIES
    LABELS "sandbox;swtpm" TIMEOUT 600 RUN_SERIAL TRUE
    ENVIRONMENT "EPH_BINARY_DIR=${CMAKE_BINARY_DIR}")
endif()
