# Issue 8 end to end through the broker: --driver qemu, a VM of the
# packaging/guest image whose agent attests through its vTPM, drift inside
# the guest -> destroyed. Label "vm"; skips visibly without qemu.
if(TARGET ephemera-broker AND TARGET ephemera-agent AND TARGET ephemeractl AND TARGET driver
   AND TARGET ephemera-token AND TARGET ephemera-vmfwd)
  file(GLOB vmlc_srcs CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/integration/vm_lifecycle/*.c)
  add_executable(test_vm_lifecycle ${vmlc_srcs})
  target_link_libraries(test_vm_lifecycle PRIVATE eph_testutil store driver)
  add_dependencies(test_vm_lifecycle ephemera-broker ephemera-agent ephemeractl ephemera-token
                   ephemera-vmfwd)
  add_test(NAME test_vm_lifecycle COMMAND test_vm_lifecycle --jobs 1 --short-filename)
  set_tests_properties(test_vm_lifecycle PROPERTIES
    LABELS "vm" TIMEOUT 600 RUN_SERIAL TRUE
    SKIP_REGULAR_EXPRESSION "SKIP: vm_lifecycle:"
    ENVIRONMENT "EPH_BINARY_DIR=${CMAKE_BINARY_DIR}")
endif()
