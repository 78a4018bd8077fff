# calp::testing: what a host needs to prove its own storage with calp's tests.
#
#   include/calp/testing/storage_conformance.hpp  the conformance suite (doctest)
#   include/calp/testing/failing_storage.hpp      fault injection (a storage_wrapper)
#
# Header-only: an INTERFACE target that brings calp::calp and doctest::doctest. A host
# links it into a test executable that has a doctest main:
#
#   find_package(calp REQUIRED)          # calp::testing is defined when doctest is found
#   add_executable(my_storage_conformance my_storage_conformance.cpp)
#   target_link_libraries(my_storage_conformance PRIVATE my_storage calp::testing)
#
# Include this file from the top-level CMakeLists.txt after the `calp` target exists.
# The headers are installed with the others (`install(DIRECTORY include/calp …)`). The
# target is exported only when doctest is found here, into its own export set
# (calpTestingTargets.cmake), so that a host using only calp::calp never needs doctest.
# Without doctest at build time a host still has the headers: link calp::calp and its
# own doctest (any 2.4.x), as calp::testing would.

find_package(doctest QUIET)

add_library(calp_testing INTERFACE)
add_library(calp::testing ALIAS calp_testing)
set_target_properties(calp_testing PROPERTIES EXPORT_NAME testing)
target_compile_features(calp_testing INTERFACE cxx_std_20)
target_link_libraries(calp_testing INTERFACE calp::calp)
if(doctest_FOUND)
  target_link_libraries(calp_testing INTERFACE doctest::doctest)
endif()

if(CALP_INSTALL AND doctest_FOUND)
  install(TARGETS calp_testing EXPORT calpTestingTargets)
  install(EXPORT calpTestingTargets NAMESPACE calp::
    DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/calp")
endif()
