# Installs the calp build tree into a scratch prefix, then configures, builds and runs a
# small host project that only does find_package(calp CONFIG REQUIRED).
set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/consumer-build")
file(REMOVE_RECURSE "${prefix}" "${build}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

if(NOT BUILD_TYPE)
  set(BUILD_TYPE Debug)
endif()
run("${CMAKE_COMMAND}" --install "${CALP_BINARY_DIR}" --prefix "${prefix}" --config "${BUILD_TYPE}")
foreach(expected include/calp/calp.hpp share/calp/policy/caf-default.json)
  if(NOT EXISTS "${prefix}/${expected}")
    message(FATAL_ERROR "the install lacks ${expected}")
  endif()
endforeach()
run("${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${build}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
run("${CMAKE_COMMAND}" --build "${build}")
run("${build}/consumer")
if(NOT last_output MATCHES "dossier.read denied: conjoint_without_delegation")
  message(FATAL_ERROR "the consumer printed: ${last_output}")
endif()
