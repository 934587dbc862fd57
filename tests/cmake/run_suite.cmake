# cmake -DRUN=[<emulator>|<args>|...|]<doctest binary> [-DEXPECT_BEST=<isa>] -P run_suite.cmake
#
# Runs a doctest binary (possibly under an emulator) and fails when it fails. With EXPECT_BEST,
# when the suite reports the ISA dispatch chose (tests/test_dispatch.cpp prints
# "MESSAGE: ... best: <isa>"), that ISA must be EXPECT_BEST: otherwise the (emulated) CPU or the
# build is not exercising the dispatch rung the run exists for.
cmake_minimum_required(VERSION 3.21)
if(NOT RUN)
  message(FATAL_ERROR "usage: cmake -DRUN=<a>|<b>... [-DEXPECT_BEST=<isa>] "
                      "-P ${CMAKE_CURRENT_LIST_FILE}")
endif()
string(REPLACE "|" ";" run "${RUN}")
execute_process(COMMAND ${run} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the suite failed (${rc}): ${run}")
endif()
if(EXPECT_BEST)
  if(out MATCHES "best: ([a-z0-9_]+)")
    if(NOT CMAKE_MATCH_1 STREQUAL EXPECT_BEST)
      message(FATAL_ERROR "dispatch chose ${CMAKE_MATCH_1} here, expected ${EXPECT_BEST}")
    endif()
    message(STATUS "dispatch chose ${CMAKE_MATCH_1}, as expected")
  else()
    message(WARNING "the suite no longer prints `best: <isa>`; the chosen ISA was not checked")
  endif()
endif()
