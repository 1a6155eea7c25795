# packaging/install.cmake - install() rules of the two Debian packages, one
# install component each: "broker" (ephemera-broker, the management host's
# daemon and tools) and "agent" (ephemera-agent, for guests). Included by
# packaging/cpack.cmake once every target exists (end of the top directory).
#
# Not here: the rules without a component in the subfolders' CMakeLists
# (plain `cmake --install`); CPack packages only these two components. And no
# /etc files: configurations ship as examples under /usr/share/doc/<pkg>/,
# so that nothing starts before the administrator wrote its configuration
# (both units have ConditionPathExists= on theirs).
include_guard(GLOBAL)

set(_eph_src ${CMAKE_SOURCE_DIR})
set(_eph_pkg ${CMAKE_SOURCE_DIR}/packaging)

# --- ephemera-broker -----------------------------------------------------------
foreach(_t ephemera-broker ephemeractl ephemera-eventlog ephemera-checkquote
           ephemera-cvm ephemera-train ephemera-token ephemera-sim)
  if(TARGET ${_t})
    install(TARGETS ${_t} RUNTIME DESTINATION bin COMPONENT broker)
  endif()
endforeach()
# qemu's user-mode network runs it once per guest connection to the broker.
if(TARGET ephemera-vmfwd)
  install(TARGETS ephemera-vmfwd RUNTIME DESTINATION lib/ephemera COMPONENT broker)
endif()
install(FILES ${_eph_pkg}/systemd/ephemera-broker.service
        DESTINATION lib/systemd/system COMPONENT broker)
install(FILES ${_eph_pkg}/ephemera-broker.conf.example
        DESTINATION share/doc/ephemera-broker/examples COMPONENT broker)
install(DIRECTORY ${_eph_src}/docs/examples/policy
        DESTINATION share/doc/ephemera-broker/examples COMPONENT broker)
if(EXISTS ${_eph_src}/docs/examples/sandbox-policy)
  install(DIRECTORY ${_eph_src}/docs/examples/sandbox-policy
          DESTINATION share/doc/ephemera-broker/examples COMPONENT broker)
endif()
file(GLOB _eph_docs ${_eph_src}/docs/*.md)
install(FILES ${_eph_src}/README.md ${_eph_pkg}/README.md ${_eph_docs}
        DESTINATION share/doc/ephemera-broker COMPONENT broker)
# What --driver sandbox|qemu needs on the management host: the swtpm
# fixtures (vTPMs with EK certificates from a local CA) and the default
# Q-network model (--qnet-model).
set(_eph_fx swtpm-up.sh swtpm-down.sh swtpm-ca.sh ek-p256.sh fixture-lib.sh)
list(TRANSFORM _eph_fx PREPEND ${_eph_src}/swtpm-fixtures/)
install(PROGRAMS ${_eph_fx} DESTINATION share/ephemera/swtpm-fixtures COMPONENT broker)
if(EXISTS ${_eph_src}/broker/qnet/models/default.cbor)
  install(FILES ${_eph_src}/broker/qnet/models/default.cbor
          DESTINATION share/ephemera/models COMPONENT broker)
endif()
# The guest recipe, so that a management host can build VM images.
# (Not selftest.sh and guest-shell.py: test tools of the source tree.)
install(PROGRAMS ${_eph_pkg}/guest/build-guest.sh ${_eph_pkg}/guest/mkconfig-cpio.sh
                 ${_eph_pkg}/guest/init.sh ${_eph_pkg}/guest/agent-run.sh
                 ${_eph_pkg}/guest/shell-ttyS1.sh ${_eph_pkg}/guest/udhcpc.script
        DESTINATION share/ephemera/guest COMPONENT broker)
install(FILES ${_eph_pkg}/guest/inittab ${_eph_pkg}/guest/README.md
        DESTINATION share/ephemera/guest COMPONENT broker)

# --- ephemera-agent ----------------------------------------------------------------
if(TARGET ephemera-agent)
  install(TARGETS ephemera-agent RUNTIME DESTINATION sbin COMPONENT agent)
endif()
install(FILES ${_eph_pkg}/systemd/ephemera-agent.service
        DESTINATION lib/systemd/system COMPONENT agent)
install(FILES ${_eph_pkg}/ephemera-agent.conf.example
        DESTINATION share/doc/ephemera-agent/examples COMPONENT agent)
install(FILES ${_eph_src}/docs/ephemera-agent.md ${_eph_pkg}/README.md
        DESTINATION share/doc/ephemera-agent COMPONENT agent)

# --- what Debian wants in every package: copyright and changelog.Debian.gz ---------
set(_eph_deb ${CMAKE_BINARY_DIR}/packaging-deb)
file(MAKE_DIRECTORY ${_eph_deb})
foreach(_c broker agent)
  configure_file(${_eph_pkg}/debian/copyright.in ${_eph_deb}/${_c}/copyright @ONLY)
  set(EPH_DEB_PACKAGE ephemera-${_c})
  configure_file(${_eph_pkg}/debian/changelog.in ${_eph_deb}/${_c}/changelog.Debian @ONLY)
  # gzip -n: no name or time stamp, so the package is reproducible.
  execute_process(COMMAND gzip -n -9 -f ${_eph_deb}/${_c}/changelog.Debian
                  RESULT_VARIABLE _eph_gz)
  if(NOT _eph_gz EQUAL 0)
    message(WARNING "packaging: gzip of changelog.Debian failed (${_eph_gz})")
  endif()
  install(FILES ${_eph_deb}/${_c}/copyright ${_eph_deb}/${_c}/changelog.Debian.gz
          DESTINATION share/doc/ephemera-${_c} COMPONENT ${_c})
endforeach()
