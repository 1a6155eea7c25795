# The rejection matrix (issue 9): a real ephemera-broker, a real swtpm and
# every kind of bad evidence, one row each (tests/integration/rejection_matrix).
# Included by tests/CMakeLists.txt; needs the broker with CWT, SNP and TDX
# support and tpm2-tools on the PATH (the non-AK keys are made with it).
if(NOT EPH_FUZZ AND TARGET api AND TARGET ephemera-broker AND TARGET cwt AND TARGET snp
   AND TARGET tdx AND TARGET tpmq)
  pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
  eph_add_criterion(test_rejection_matrix integration/rejection_matrix swtpm
    "wire;tpmq;cwt;snp;tdx;PkgConfig::CURL;PkgConfig::SQLITE;OpenSSL::Crypto")
  add_dependencies(test_rejection_matrix ephemera-broker)
  set_tests_properties(test_rejection_matrix PROPERTIES TIMEOUT 300 ENVIRONMENT
    "EPH_VECTORS=${EPH_VECTORS};EPH_BINARY_DIR=${CMAKE_BINARY_DIR};EPH_FIXTURES=${CMAKE_SOURCE_DIR}/swtpm-fixtures")
endif()
