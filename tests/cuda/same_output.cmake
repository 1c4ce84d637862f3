# cmake -DFIRST=<program> -DSECOND=<program> -P same_output.cmake: runs both; fails unless both exit
# 0 and print the same lines (tests/cuda/mixed_host.cpp).
foreach(program FIRST SECOND)
  execute_process(COMMAND ${${program}} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  message("${${program}}:\n${output}")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${${program}} exited with ${status}")
  endif()
  set(output_${program} "${output}")
endforeach()
if(NOT output_FIRST STREQUAL output_SECOND)
  message(FATAL_ERROR "the two programs printed different results")
endif()
