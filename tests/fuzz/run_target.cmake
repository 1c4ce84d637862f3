# Runs one fuzz target for CTest (tests/CMakeLists.txt, test fuzz.<target>): a fresh copy of its seed
# corpus and regression inputs in CORPUS (never the source tree), SECONDS of fuzzing, crash inputs
# kept in ARTIFACTS. Fails when libFuzzer reports anything.
#   cmake -DFUZZER=... -DSEEDS=... -DREGRESSIONS=... -DCORPUS=... -DARTIFACTS=... -DDICT=... -DSECONDS=20 -P run_target.cmake
file(REMOVE_RECURSE ${CORPUS})
file(MAKE_DIRECTORY ${CORPUS} ${ARTIFACTS})
foreach(dir IN ITEMS ${SEEDS} ${REGRESSIONS})
  if(IS_DIRECTORY ${dir})
    file(GLOB inputs ${dir}/*)
    file(COPY ${inputs} DESTINATION ${CORPUS})
  endif()
endforeach()
set(dict_option)
if(EXISTS "${DICT}")
  set(dict_option -dict=${DICT})
endif()
execute_process(COMMAND ${FUZZER} ${CORPUS} ${dict_option} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
                        -malloc_limit_mb=2048 -artifact_prefix=${ARTIFACTS}/ RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a failing input (exit status ${result}); see ${ARTIFACTS}")
endif()
