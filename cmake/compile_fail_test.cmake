# Runs one compile-fail test: -DCOMPILER, -DFLAGS (a response file), -DSOURCE, -DEXPECTATION
# (compile: SOURCE must compile; fail: with EST_COMPILE_FAIL defined it must fail, and the compiler
# must say what SOURCE's comments expect):
#   // expect: TEXT     TEXT is in the first "error:" line (est's own words naming the mistake)
#   // names: TEXT      TEXT is in the output up to that line (the types of the mistake, which g++
#                       prints in "In instantiation of" before it)
# and there are at most 2 "error:" lines: one mistake, one error.
# -DPRECOMPILED (optional): a header that includes est.hpp, forced first, with its .gch beside it.
set(command ${COMPILER} @${FLAGS} -fsyntax-only ${SOURCE})
if(PRECOMPILED)
  list(APPEND command -include ${PRECOMPILED})
endif()
if(EXPECTATION STREQUAL "fail")
  list(APPEND command -DEST_COMPILE_FAIL)
endif()
execute_process(COMMAND ${command} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)

if(EXPECTATION STREQUAL "compile")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "the compiling twin of ${SOURCE} does not compile:\n${output}")
  endif()
  return()
endif()

if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled with EST_COMPILE_FAIL, but must not")
endif()

string(REGEX MATCHALL "error:" errors "${output}")
list(LENGTH errors error_count)
if(error_count GREATER 2)
  message(FATAL_ERROR "${SOURCE} gives ${error_count} error lines; one mistake must give at most 2:\n${output}")
endif()

# The first error line, and everything before it.
string(FIND "${output}" "error:" at)
string(SUBSTRING "${output}" 0 ${at} before_error)
string(SUBSTRING "${output}" ${at} -1 from_error)
string(FIND "${from_error}" "\n" line_end)
string(SUBSTRING "${from_error}" 0 ${line_end} first_error)
string(APPEND before_error "${first_error}")

file(STRINGS ${SOURCE} expectations REGEX "^// expect: ")
file(STRINGS ${SOURCE} names REGEX "^// names: ")
if(NOT expectations)
  message(FATAL_ERROR "${SOURCE} lists no '// expect: ' line")
endif()
foreach(line IN LISTS expectations)
  string(REPLACE "// expect: " "" text "${line}")
  string(FIND "${first_error}" "${text}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "the first error line of ${SOURCE} lacks:\n  ${text}\nfirst error line:\n  ${first_error}\n"
                        "output:\n${output}")
  endif()
endforeach()
foreach(line IN LISTS names)
  string(REPLACE "// names: " "" text "${line}")
  string(FIND "${before_error}" "${text}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "the output of ${SOURCE} up to its first error lacks:\n  ${text}\noutput:\n${output}")
  endif()
endforeach()
