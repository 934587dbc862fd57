# ctest driver: builds tests/model_exchange twice — with the suite's compiler and -march=native,
# and with clang++ for the baseline x86-64 (or any other second compiler) — then has each load
# the float-cloud model the other saved. Float logits may differ in their last bits between the
# two builds; the model file must still load in both (its documented tolerance for float layers).
#   cmake -DDDNN_SOURCE= -DEXCHANGE_SOURCE= -DWORK_DIR= -DGENERATOR= -DCXX_COMPILER=
#         -DSECOND_COMPILER= [-DMAKE_PROGRAM=] [-DCOMPILER_LAUNCHER=] -P model_exchange.cmake
cmake_minimum_required(VERSION 3.21)
foreach(var IN ITEMS DDNN_SOURCE EXCHANGE_SOURCE WORK_DIR GENERATOR CXX_COMPILER SECOND_COMPILER)
  if(NOT ${var})
    message(FATAL_ERROR "model exchange: -D${var}=... is required")
  endif()
endforeach()

function(exchange_run)
  list(JOIN ARGN " " shown)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${shown}\n${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "model exchange: command failed (${rc}): ${shown}")
  endif()
endfunction()

function(exchange_build name compiler flags)
  set(build ${WORK_DIR}/${name})
  set(args -S ${EXCHANGE_SOURCE} -B ${build} -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${compiler}
      -DCMAKE_BUILD_TYPE=Release -DDDNN_SOURCE=${DDNN_SOURCE} "-DEXCHANGE_FLAGS=${flags}")
  if(MAKE_PROGRAM)
    list(APPEND args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
  endif()
  if(COMPILER_LAUNCHER)
    list(APPEND args -DCMAKE_CXX_COMPILER_LAUNCHER=${COMPILER_LAUNCHER})
  endif()
  exchange_run(${CMAKE_COMMAND} ${args})
  exchange_run(${CMAKE_COMMAND} --build ${build})
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
exchange_build(native ${CXX_COMPILER} "-march=native")
exchange_build(generic ${SECOND_COMPILER} "")
set(native ${WORK_DIR}/native/model_exchange)
set(generic ${WORK_DIR}/generic/model_exchange)
exchange_run(${native} save ${WORK_DIR}/from_native.json)
exchange_run(${generic} save ${WORK_DIR}/from_generic.json)
exchange_run(${generic} load ${WORK_DIR}/from_native.json)
exchange_run(${native} load ${WORK_DIR}/from_generic.json)
# Whether the two builds' logits differed at all: reported, not required (it depends on the CPU).
file(READ ${WORK_DIR}/from_native.json a)
file(READ ${WORK_DIR}/from_generic.json b)
if(a STREQUAL b)
  message("model exchange: both builds wrote identical files")
else()
  message("model exchange: the two builds' files differ (float logits), and each loads the other's")
endif()
message("model-exchange OK")
