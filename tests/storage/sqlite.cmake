# The record codec both SQL storages share, and the SQLite storage: the conformance
# suite, then what is proper to one file (bad files, freshness between handles,
# durability after kill -9, several processes on one file).
if(TARGET calp_storage_codec)
  calp_add_test(storage_codec_test codec_test.cpp)
  target_link_libraries(storage_codec_test PRIVATE calp_storage_codec)
endif()

if(TARGET calp::storage_sqlite)
  # The tests also read and damage files through SQLite's own C API.
  find_package(SQLite3 REQUIRED)
  foreach(name storage_sqlite_test storage_sqlite_process_test)
    string(REPLACE "storage_" "" source "${name}")
    calp_add_test(${name} ${source}.cpp)
    target_link_libraries(${name} PRIVATE calp::storage_sqlite SQLite::SQLite3)
    target_link_libraries(${name} PRIVATE calp::testing)
  endforeach()
endif()
