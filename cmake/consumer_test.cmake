# Builds and runs tests/consumer against est: -DMODE=install installs est into WORK_DIR/prefix and
# uses find_package(est); -DMODE=subdirectory uses add_subdirectory on the source tree.
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGV}\n${output}")
  endif()
endfunction()

set(consumer_options -DEST_CONSUMER_MODE=${MODE} -DEST_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_BUILD_TYPE=Release)
if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/est -DEST_BUILD_TESTS=OFF -DEST_BUILD_EXAMPLES=OFF
      -DEST_BUILD_BENCHMARKS=OFF)
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/est)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/est --prefix ${WORK_DIR}/prefix)
  list(APPEND consumer_options -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/consumer ${consumer_options})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer/consumer)
