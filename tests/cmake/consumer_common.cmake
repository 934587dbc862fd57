# Helpers shared by the consumer driver scripts (consumer_find_package.cmake,
# consumer_add_subdirectory.cmake). Expected -D variables:
#   DDNN_SOURCE      ddnn's source tree          CONSUMER_SOURCE  tests/consumer
#   WORK_DIR         scratch dir (wiped)         GENERATOR, MAKE_PROGRAM, CXX_COMPILER
#   CONFIG           build type / configuration  COMPILER_LAUNCHER (optional, e.g. ccache)
cmake_minimum_required(VERSION 3.21)

foreach(var IN ITEMS DDNN_SOURCE CONSUMER_SOURCE WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT ${var})
    message(FATAL_ERROR "consumer test: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

# Runs a command, echoes it and its output, and stops the test when it fails.
function(consumer_run)
  cmake_parse_arguments(ARG "" "OUTPUT_VARIABLE" "COMMAND" ${ARGN})
  list(JOIN ARG_COMMAND " " shown)
  message(STATUS "consumer test: ${shown}")
  execute_process(COMMAND ${ARG_COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer test: command failed (${rc}): ${shown}")
  endif()
  if(ARG_OUTPUT_VARIABLE)
    set(${ARG_OUTPUT_VARIABLE} "${out}" PARENT_SCOPE)
  endif()
endfunction()

# Configures <source> into <build> with the same generator, compiler and configuration as the
# ddnn build that runs this test, builds it, and runs <build>/app.
function(consumer_configure_build_run source build)
  set(args -S ${source} -B ${build} -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
      -DCMAKE_BUILD_TYPE=${CONFIG} ${ARGN})
  if(MAKE_PROGRAM)
    list(APPEND args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
  endif()
  if(COMPILER_LAUNCHER)
    list(APPEND args -DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER})
  endif()
  consumer_run(COMMAND ${CMAKE_COMMAND} ${args})
  consumer_run(COMMAND ${CMAKE_COMMAND} --build ${build} --config ${CONFIG})
  set(app ${build}/app)
  if(NOT EXISTS ${app})
    set(app ${build}/${CONFIG}/app)  # multi-configuration generators
  endif()
  consumer_run(COMMAND ${app} OUTPUT_VARIABLE out)
  if(NOT out MATCHES "ddnn-consumer OK")
    message(FATAL_ERROR "consumer test: the consumer did not print `ddnn-consumer OK`")
  endif()
endfunction()
