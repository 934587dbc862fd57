# ctest driver of fuzz.<NAME> (see CMakeLists.txt here):
#   cmake -DNAME= -DSOURCE= -DCORPUS= -DDDNN_SOURCE= -DCLANG= -DWORK_DIR= -DGENERATOR=
#         [-DMAKE_PROGRAM=] [-DCOMPILER_LAUNCHER=] [-DSECONDS=12] [-DLIBRARIES=a|b]
#         -P run_fuzzer.cmake
# (LIBRARIES: targets the harness links besides ddnn::ddnn, "|"-separated)
# 1. checks that CLANG links -fsanitize=fuzzer (else prints "ddnn fuzz: skipped" and succeeds,
#    which the test's SKIP_REGULAR_EXPRESSION reports as skipped);
# 2. configures (once) and builds project/ with CLANG into WORK_DIR/build;
# 3. runs the fuzzer once on every file of CORPUS, then fuzzes for SECONDS into a fresh scratch
#    corpus seeded from CORPUS (CORPUS itself is never written). Findings go to WORK_DIR/artifacts.
cmake_minimum_required(VERSION 3.21)
foreach(var IN ITEMS NAME SOURCE CORPUS DDNN_SOURCE CLANG WORK_DIR GENERATOR)
  if(NOT ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT SECONDS)
  set(SECONDS 12)
endif()
set(sanitizers -fsanitize=fuzzer,address,undefined)

# Runs a command; on failure prints its output (tail) and stops with `what`.
function(fuzz_run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(LENGTH "${out}" length)
    if(length GREATER 20000)
      math(EXPR start "${length} - 20000")
      string(SUBSTRING "${out}" ${start} -1 out)
    endif()
    list(JOIN ARGN " " shown)
    message("${out}")
    message(FATAL_ERROR "ddnn fuzz: ${what} failed (${rc}): ${shown}")
  endif()
  set(fuzz_output "${out}" PARENT_SCOPE)
endfunction()

# 1. libFuzzer present?
file(MAKE_DIRECTORY ${WORK_DIR}/probe)
file(WRITE ${WORK_DIR}/probe/probe.cpp
  "#include <cstddef>\n#include <cstdint>\n"
  "extern \"C\" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }\n")
execute_process(COMMAND ${CLANG} ${sanitizers} ${WORK_DIR}/probe/probe.cpp
                        -o ${WORK_DIR}/probe/probe
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message("${out}")
  message("ddnn fuzz: skipped: ${CLANG} cannot link ${sanitizers} "
          "(Debian: apt install libclang-rt-14-dev)")
  return()
endif()

# 2. build the harness with clang
set(build ${WORK_DIR}/build)
if(NOT EXISTS ${build}/CMakeCache.txt)
  set(args -S ${CMAKE_CURRENT_LIST_DIR}/project -B ${build} -G ${GENERATOR}
      -DCMAKE_CXX_COMPILER=${CLANG} -DCMAKE_BUILD_TYPE=RelWithDebInfo
      -DDDNN_SOURCE=${DDNN_SOURCE} -DFUZZER_NAME=${NAME} -DFUZZER_SOURCE=${SOURCE}
      -DFUZZER_LIBRARIES=${LIBRARIES})
  if(MAKE_PROGRAM)
    list(APPEND args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
  endif()
  if(COMPILER_LAUNCHER)
    list(APPEND args -DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER})
  endif()
  fuzz_run("configuring the fuzzer" ${CMAKE_COMMAND} ${args})
endif()
fuzz_run("building the fuzzer" ${CMAKE_COMMAND} --build ${build})
set(fuzzer ${build}/fuzz_${NAME})

# 3. the seed corpus once, then fuzzing
file(GLOB seeds LIST_DIRECTORIES false ${CORPUS}/*)
if(NOT seeds)
  message(FATAL_ERROR "ddnn fuzz: the corpus ${CORPUS} is empty")
endif()
list(SORT seeds)
set(artifacts ${WORK_DIR}/artifacts/)
file(REMOVE_RECURSE ${WORK_DIR}/artifacts ${WORK_DIR}/scratch_corpus)
file(MAKE_DIRECTORY ${WORK_DIR}/artifacts ${WORK_DIR}/scratch_corpus)
fuzz_run("running the seed corpus" ${fuzzer} -artifact_prefix=${artifacts} ${seeds})
list(LENGTH seeds seed_count)
message(STATUS "ddnn fuzz: ${NAME}: ${seed_count} seed files ran cleanly")
fuzz_run("fuzzing" ${fuzzer} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
         -max_len=8192 -print_final_stats=1 -artifact_prefix=${artifacts}
         ${WORK_DIR}/scratch_corpus ${CORPUS})
if(fuzz_output MATCHES "(Done [0-9]+ runs in [0-9]+ second[^\n]*)")
  message(STATUS "ddnn fuzz: ${NAME}: ${CMAKE_MATCH_1}")
endif()
if(fuzz_output MATCHES "(stat::number_of_executed_units: [0-9]+)")
  message(STATUS "ddnn fuzz: ${NAME}: ${CMAKE_MATCH_1}")
endif()
