# The in-memory storage: the conformance suite, run directly and through a plain
# `calp::storage_wrapper`, then fault injection with `calp::testing::failing_storage`.
calp_add_test(storage_memory_test memory_test.cpp)
calp_add_test(storage_fault_injection_test fault_injection_test.cpp)
# Linked as a host links them.
target_link_libraries(storage_memory_test PRIVATE calp::testing)
target_link_libraries(storage_fault_injection_test PRIVATE calp::testing)
