# packaging/cpack.cmake - the Debian packages (CPack DEB, one package per
# install component): ephemera-broker and ephemera-agent, Depends computed
# by dpkg-shlibdeps. Include it from the top CMakeLists.txt:
#     include(${CMAKE_SOURCE_DIR}/packaging/cpack.cmake)
# or, without editing it, configure with
#     -DCMAKE_PROJECT_INCLUDE=<src>/packaging/cpack.cmake
# (packaging/build-debs.sh does). Either way the install rules
# (install.cmake) and include(CPack) are deferred to the end of the top
# directory, when every target exists. Then: cpack -G DEB (in the build
# folder), or packaging/build-debs.sh OUTDIR.
#
# Not here: the install rules themselves (install.cmake) or checking the
# packages (build-debs.sh: dpkg-deb, lintian, a scratch-root install).
include_guard(GLOBAL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ephemera)
set(CPACK_PACKAGE_VENDOR "Ephemera")
set(CPACK_PACKAGE_CONTACT "Ephemera maintainers <maintainers@ephemera.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# A Debian revision: the packaging is not part of an upstream tarball
# (a native version would want changelog.gz, not changelog.Debian.gz).
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL broker agent)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://ephemera.invalid/")
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS OFF)

set(CPACK_DEBIAN_BROKER_PACKAGE_NAME ephemera-broker)
set(CPACK_DEBIAN_BROKER_PACKAGE_SECTION admin)
# The sandbox driver runs `ip` (iproute2); per-environment vTPMs are swtpm;
# the VM driver is qemu (OVMF for the UEFI boot path); building guests needs
# busybox-static and cpio.
set(CPACK_DEBIAN_BROKER_PACKAGE_DEPENDS "iproute2")
set(CPACK_DEBIAN_BROKER_PACKAGE_RECOMMENDS "swtpm, swtpm-tools, qemu-system-x86")
set(CPACK_DEBIAN_BROKER_PACKAGE_SUGGESTS "ovmf, busybox-static, cpio, tpm2-tools")
set(CPACK_COMPONENT_BROKER_DESCRIPTION
  "Ephemera broker: attested ephemeral environments\n\
The broker verifies requesters and TPM-backed agents (EK certificate chains,\n\
credential activation, quotes, firmware event logs, IMA, SEV-SNP/TDX\n\
reports), decides resource policies and creates and destroys sandboxes and\n\
QEMU VMs with per-environment vTPMs. Also: ephemeractl, ephemera-eventlog,\n\
ephemera-checkquote, ephemera-cvm, ephemera-token, ephemera-train and the\n\
guest image recipe.")

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME ephemera-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_SECTION admin)
# tpm2-tss opens the TCTI named in the configuration with dlopen(), which
# dpkg-shlibdeps cannot see: the device TCTI (/dev/tpmrm0) is a hard need.
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "libtss2-tcti-device0")
set(CPACK_COMPONENT_AGENT_DESCRIPTION
  "Ephemera agent: TPM enrolment and periodic attestation\n\
The agent enrols the machine's TPM with an Ephemera broker (EK certificate,\n\
attestation key, credential activation) and re-attests it periodically with\n\
TPM quotes, the firmware event log, IMA measurements and, in confidential\n\
VMs, SEV-SNP or TDX reports.")

# A deferred call's arguments are expanded when it runs, where
# CMAKE_CURRENT_LIST_DIR is no longer this folder: bake the path in now.
cmake_language(EVAL CODE "
  cmake_language(DEFER DIRECTORY [[${CMAKE_SOURCE_DIR}]]
                 CALL include [[${CMAKE_CURRENT_LIST_DIR}/install.cmake]])
  cmake_language(DEFER DIRECTORY [[${CMAKE_SOURCE_DIR}]] CALL include CPack)")
