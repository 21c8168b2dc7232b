# Runs one compile-fail case: the compile must fail, and its output must contain the sentence given
# on the case's "// EXPECT:" line. Invoked by CTest as cmake -P with CXX, SOURCE and INCLUDE set.
file(STRINGS "${SOURCE}" expect_line REGEX "^// EXPECT: ")
string(REPLACE "// EXPECT: " "" expected "${expect_line}")
if(expected STREQUAL "")
  message(FATAL_ERROR "${SOURCE} has no '// EXPECT:' line")
endif()
execute_process(
  COMMAND "${CXX}" -std=c++20 -fsyntax-only -I "${INCLUDE}" ${EXTRA_INCLUDES} "${SOURCE}"
  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must fail with: ${expected}")
endif()
string(FIND "${out}${err}" "${expected}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "${SOURCE} failed to compile, but without the expected message\n  expected: ${expected}\n  compiler said:\n${err}")
endif()
message(STATUS "${SOURCE}: fails with the expected message")
