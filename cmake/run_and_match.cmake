# Runs -DCOMMAND (a ;-list) and checks its exit code (-DEXIT_CODE) and that its output (stdout and
# stderr) contains each text of -DEXPECT (a ;-list).
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL EXIT_CODE)
  message(FATAL_ERROR "exit code ${result}, expected ${EXIT_CODE}:\n${output}")
endif()
foreach(text IN LISTS EXPECT)
  string(FIND "${output}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the output lacks:\n  ${text}\noutput:\n${output}")
  endif()
endforeach()
