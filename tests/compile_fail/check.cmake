# Runs one compile-fail case: the compile must fail, and its output must contain the sentence given
# on the case's "// EXPECT:" line. Invoked by CTest as cmake -P with CXX, SOURCE and INCLUDE set.
# Every "// EXPECT:" line must appear in the compiler's output (a case may name several things:
# the rule, and the quantities or names the compiler's "with ..." line must show).
file(STRINGS "${SOURCE}" expect_lines REGEX "^// EXPECT: ")
if(NOT expect_lines)
  message(FATAL_ERROR "${SOURCE} has no '// EXPECT:' line")
endif()
set(extra_includes "")
if(EIGEN_INCLUDE)
  list(APPEND extra_includes -I "${EIGEN_INCLUDE}")
endif()
execute_process(
  COMMAND "${CXX}" -std=c++20 -fsyntax-only -I "${INCLUDE}" ${extra_includes} "${SOURCE}"
  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must fail with: ${expect_lines}")
endif()
foreach(line ${expect_lines})
  string(REPLACE "// EXPECT: " "" expected "${line}")
  string(FIND "${out}${err}" "${expected}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "${SOURCE} failed to compile, but without the expected message\n  expected: ${expected}\n  compiler said:\n${err}")
  endif()
endforeach()
# Errors stay short: a wrong composition is one rule, not pages of template noise.
string(REGEX MATCHALL "error:" errors "${out}${err}")
list(LENGTH errors n_errors)
if(n_errors GREATER 3)
  message(FATAL_ERROR "${SOURCE}: ${n_errors} errors; a compile-time rule should stop the build with at most 3\n${err}")
endif()
message(STATUS "${SOURCE}: fails with the expected message")
