# qemu_bench: boot-to-first-attestation of the qemu VM driver (cold create
# and warm-pool claim, TCG and KVM when usable). bench/CMakeLists.txt's glob
# already made the executable; it needs the driver library, and the paths of
# the build (broker, agent, vmfwd) and of the checkout (fixtures, guest recipe).
if(TARGET qemu_bench AND TARGET driver)
  target_link_libraries(qemu_bench PRIVATE driver)
  target_compile_definitions(qemu_bench PRIVATE
    EPH_BINARY_DIR="${CMAKE_BINARY_DIR}" EPH_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  foreach(dep ephemera-broker ephemera-agent ephemera-vmfwd)
    if(TARGET ${dep})
      add_dependencies(qemu_bench ${dep})
    endif()
  endforeach()
endif()
