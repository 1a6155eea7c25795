# tests/cmake/packaging.cmake - the packaging tests (included by
# tests/CMakeLists.txt):
#   packaging_guest_selftest  builds the guest image (packaging/guest), boots
#                             it under qemu TCG with a swtpm vTPM against a
#                             real broker on 127.0.0.1 and checks that its
#                             agent enrols and attests; label "vm". Skips
#                             (exit 77, "SKIP: ...") when qemu or what the
#                             image needs is not installed.
#   packaging_guest_selftest_ovmf  the same with Debian's OVMF firmware
#                             (UEFI event log; the initrd measured into PCR 9)
#   packaging_debs            builds the two .debs (CPack) and installs them
#                             into a scratch root; label "packaging". Reuses
#                             this build when packaging/cpack.cmake is
#                             included, else makes its own Release build.
# They work in folders of this build (packaging-guest/, packaging-debs/); the
# guest's kernel .deb is cached in packaging-guest/cache.
if(TARGET ephemera-agent AND TARGET ephemera-broker AND TARGET ephemeractl)
  add_test(NAME packaging_guest_selftest
           COMMAND ${CMAKE_SOURCE_DIR}/packaging/guest/selftest.sh
                   --bin ${CMAKE_BINARY_DIR} --guest ${CMAKE_BINARY_DIR}/packaging-guest)
  # The same through Debian's OVMF: the UEFI event log, the initrd in PCR 9.
  add_test(NAME packaging_guest_selftest_ovmf
           COMMAND ${CMAKE_SOURCE_DIR}/packaging/guest/selftest.sh --ovmf
                   --bin ${CMAKE_BINARY_DIR} --guest ${CMAKE_BINARY_DIR}/packaging-guest)
  set_tests_properties(packaging_guest_selftest packaging_guest_selftest_ovmf PROPERTIES
    LABELS "vm" TIMEOUT 600 SKIP_RETURN_CODE 77
    # Both may rebuild the one guest image folder: never at the same time.
    RESOURCE_LOCK packaging_guest
    # Its own bound ends it (and stops qemu, swtpm, the broker) before ctest's.
    ENVIRONMENT "EPH_SELFTEST_TIMEOUT=540")
endif()

if(TARGET ephemera-agent AND TARGET ephemera-broker)
  add_test(NAME packaging_debs
           COMMAND ${CMAKE_SOURCE_DIR}/packaging/build-debs.sh
                   ${CMAKE_BINARY_DIR}/packaging-debs --from-build ${CMAKE_BINARY_DIR})
  set_tests_properties(packaging_debs PROPERTIES LABELS "packaging" TIMEOUT 900
    SKIP_RETURN_CODE 77)
endif()
