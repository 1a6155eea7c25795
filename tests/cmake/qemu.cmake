# The qemu VM driver's tests (broker/driver/qemu): test_qemu_vm, label "vm".
# One executable: the parts that need no qemu run (cpio, QMP against a fake
# server, agent.conf, list/destroy on prepared folders), and one VM booted
# with the packaging/guest image against a real broker (skips visibly when
# qemu, swtpm or the guest image cannot be had). TCG boots are slow: 600 s.
if(COMMAND eph_add_criterion AND TARGET driver AND TARGET ephemera-vmfwd)
  eph_add_criterion(test_qemu_vm integration/qemu_vm vm driver)
  if(TARGET test_qemu_vm)
    foreach(dep ephemera-broker ephemeractl ephemera-agent ephemera-vmfwd)
      if(TARGET ${dep})
        add_dependencies(test_qemu_vm ${dep})
      endif()
    endforeach()
    # A test that cannot run prints "SKIP: qemu_vm: <why>"; ctest then
    # reports the executable as skipped, not passed.
    set_tests_properties(test_qemu_vm PROPERTIES TIMEOUT 600
      SKIP_REGULAR_EXPRESSION "SKIP: qemu_vm:"
      ENVIRONMENT
      "EPH_BINARY_DIR=${CMAKE_BINARY_DIR};EPH_FIXTURES=${CMAKE_SOURCE_DIR}/swtpm-fixtures")
  endif()
endif()
