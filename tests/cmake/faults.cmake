# Fault tests (issue 9): kill -9 of the broker and of agents, a full disk
# under the store, a swtpm that dies mid-quote, slow clients holding
# connections. Real ephemera-broker and ephemera-agent processes on swtpm
# fixture TPMs; the full-disk case mounts a tmpfs in a private mount
# namespace (root; it skips visibly otherwise). See docs/robustness.md.
if(NOT EPH_FUZZ AND TARGET ephemera-agent AND TARGET ephemera-broker AND TARGET wire)
  pkg_check_modules(FAULTS_CURL REQUIRED IMPORTED_TARGET libcurl)
  pkg_check_modules(FAULTS_SQLITE REQUIRED IMPORTED_TARGET sqlite3)
  eph_add_criterion(test_faults integration/faults swtpm
    "tpmq;wire;PkgConfig::FAULTS_CURL;PkgConfig::FAULTS_SQLITE;OpenSSL::SSL")
  add_dependencies(test_faults ephemera-agent ephemera-broker)
  set_tests_properties(test_faults PROPERTIES ENVIRONMENT
    "EPH_VECTORS=${EPH_VECTORS};EPH_BINARY_DIR=${CMAKE_BINARY_DIR};EPH_FIXTURES=${CMAKE_SOURCE_DIR}/swtpm-fixtures")
endif()
