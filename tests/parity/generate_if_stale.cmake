# Runs make_parity_fixtures.py for one configuration unless its output is already there from the
# same script and arguments (a stamp file records both), so re-running the suite does no needless
# work. Invoked by CTest as cmake -P with PYTHON, SCRIPT, OUT and ARGS (a ;-list) set.
file(SHA256 "${SCRIPT}" script_hash)
set(stamp_text "${script_hash} ${ARGS}")
set(stamp "${OUT}/fixtures.stamp")
if(EXISTS "${stamp}")
  file(READ "${stamp}" old)
  if(old STREQUAL stamp_text)
    message(STATUS "parity fixtures in ${OUT} are up to date")
    return()
  endif()
endif()
file(REMOVE "${stamp}")
execute_process(COMMAND "${PYTHON}" "${SCRIPT}" --out "${OUT}" ${ARGS} RESULT_VARIABLE r)
if(NOT r EQUAL 0)
  message(FATAL_ERROR "make_parity_fixtures.py failed (${r})")
endif()
file(WRITE "${stamp}" "${stamp_text}")
