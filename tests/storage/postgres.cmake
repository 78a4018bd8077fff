# The PostgreSQL storage: the conformance suite, then what is proper to a server shared
# by several processes (bad URIs, newer schemas, freshness across pools, races between
# processes). The tests need a server: CALP_TEST_POSTGRES_URI, which
# scripts/with-postgres.sh sets (`scripts/with-postgres.sh ctest --test-dir build/dev`).
option(CALP_REQUIRE_POSTGRES
  "Fail the PostgreSQL tests when CALP_TEST_POSTGRES_URI is unset instead of skipping them" OFF)

if(NOT TARGET calp::storage_postgres)
  return()
endif()
# The tests also talk to the server behind calp's back (plain libpq); imported targets
# are local to the directory that found them.
find_package(PostgreSQL REQUIRED)

set(calp_postgres_tests
  storage_postgres_test storage_postgres_concurrency_test storage_postgres_conformance_test
  accounts_postgres_test authorizer_postgres_test)
calp_add_test(storage_postgres_test postgres_test.cpp)
calp_add_test(storage_postgres_concurrency_test postgres_concurrency_test.cpp)
calp_add_test(storage_postgres_conformance_test postgres_conformance_test.cpp)
target_link_libraries(storage_postgres_conformance_test PRIVATE calp::testing)
calp_add_test(accounts_postgres_test ../accounts/postgres_test.cpp)
target_link_libraries(accounts_postgres_test PRIVATE calp::testing)
calp_add_test(authorizer_postgres_test ../authorizer/postgres_test.cpp)

foreach(test IN LISTS calp_postgres_tests)
  target_link_libraries(${test} PRIVATE calp::storage_postgres PostgreSQL::PostgreSQL)
  target_compile_definitions(${test} PRIVATE
    "CALP_REQUIRE_POSTGRES=$<BOOL:${CALP_REQUIRE_POSTGRES}>")
endforeach()

# Without a server (and without CALP_REQUIRE_POSTGRES) each case prints the marker and
# ctest reports it skipped rather than passed. doctest_discover_tests learns the case
# names only at test time, so the property is set by a script ctest runs after the
# discovered lists (`<target>_TESTS`) are loaded.
set(calp_postgres_skip_script "${CMAKE_CURRENT_BINARY_DIR}/postgres_skip.cmake")
file(WRITE "${calp_postgres_skip_script}" "")
foreach(test IN LISTS calp_postgres_tests)
  file(APPEND "${calp_postgres_skip_script}"
    "if(${test}_TESTS)\n"
    "  set_tests_properties(\${${test}_TESTS} PROPERTIES\n"
    "    SKIP_REGULAR_EXPRESSION \"calp-postgres-tests: SKIPPED\")\n"
    "endif()\n")
endforeach()
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${calp_postgres_skip_script}")
