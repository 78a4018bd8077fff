# Runs the front-desk example on every sample household and checks it answers for every
# member with the agent named.
file(GLOB households "${DATA_DIR}/*.json")
list(LENGTH households count)
if(count LESS 5)
  message(FATAL_ERROR "expected the sample households in ${DATA_DIR}")
endif()
foreach(h IN LISTS households)
  execute_process(COMMAND "${FRONT_DESK}" --agent A4521 "${h}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "front_desk failed on ${h}: ${err}")
  endif()
  if(NOT out MATCHES "agent A4521" OR NOT out MATCHES "\\[(oui|non)\\] consulter le dossier")
    message(FATAL_ERROR "front_desk output on ${h} is not what an agent needs:\n${out}")
  endif()
endforeach()
