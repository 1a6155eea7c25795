# fleet_load: thousands of simulated agents (software TPM identities,
# bench/softtpm.c) re-attesting against one ephemera-broker; see
# bench/run-fleet-load.sh and the "fleet load" section of bench/README.md.
# Included by bench/CMakeLists.txt. Links only what the agent side of the
# wire needs (wire, evlog for the event log's PCR values); the broker is a
# separate process.
if(TARGET wire AND TARGET evlog)
  pkg_check_modules(FLEET_CURL REQUIRED IMPORTED_TARGET libcurl)
  pkg_check_modules(FLEET_TSS2MU REQUIRED IMPORTED_TARGET tss2-mu)
  add_executable(fleet_load ${CMAKE_CURRENT_SOURCE_DIR}/fleet_load.c
                            ${CMAKE_CURRENT_SOURCE_DIR}/softtpm.c)
  target_link_libraries(fleet_load PRIVATE wire evlog eph_common PkgConfig::FLEET_CURL
                        PkgConfig::FLEET_TSS2MU OpenSSL::Crypto)
  if(TARGET ephemera-broker)
    # The script runs both; building fleet_load builds the broker it drives.
    add_dependencies(fleet_load ephemera-broker)
  endif()
endif()
