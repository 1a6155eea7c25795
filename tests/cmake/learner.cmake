# The learner's tests (issue 6): test_qnet also drives the simulator
# (tests/unit/qnet/sim_agree_test.c: int8 vs float argmax agreement on the
# held-out states of a model trained on the simulator), so it links libsim;
# it reads the shipped default model from the source tree and the public
# traces from EPH_TRACES.
if(TARGET test_qnet AND TARGET sim)
  target_link_libraries(test_qnet PRIVATE sim)
  target_compile_definitions(test_qnet PRIVATE
    EPH_QNET_MODELS_DIR="${CMAKE_SOURCE_DIR}/broker/qnet/models")
  set_tests_properties(test_qnet PROPERTIES ENVIRONMENT
    "EPH_VECTORS=${EPH_VECTORS};EPH_BINARY_DIR=${CMAKE_BINARY_DIR};EPH_TRACES=${EPH_TRACES}")
endif()
