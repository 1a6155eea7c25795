# sandbox_bench: time to ready of the sandbox driver (cold, warm pool) vs
# unshare, bwrap and crun; see bench/run-sandbox-bench.sh. bench/CMakeLists.txt
# already made the executable and linked the driver; it also edits crun's
# generated config.json (jansson) and finds the checkout's swtpm-fixtures.
if(TARGET sandbox_bench AND TARGET driver)
  pkg_check_modules(SBXB_JANSSON REQUIRED IMPORTED_TARGET jansson)
  target_link_libraries(sandbox_bench PRIVATE PkgConfig::SBXB_JANSSON)
  target_compile_definitions(sandbox_bench PRIVATE EPH_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
