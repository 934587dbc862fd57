# cmake -DNM=<nm> -DTABLES=<obj> -DTABLE_ISAS=<isa>|... [-DABSENT_ISAS=<isa>|...]
#       [-DOTHERS=<obj>|...] -P check_native_kernels_once.cmake
#
# A native-mode program built with DDNN_NATIVE_KERNELS_EXTERN compiles its kernels once
# (ddnn/kernels/native_kernel_tables.hpp): TABLES must define make_kernel_table<isa::X> for each
# of TABLE_ISAS and for none of ABSENT_ISAS (a TU that selects some), and none of OTHERS may
# define a kernel table or a kernel entry point (they would have compiled the kernels again).
cmake_minimum_required(VERSION 3.21)
if(NOT NM OR NOT TABLES OR NOT TABLE_ISAS)
  message(FATAL_ERROR "usage: cmake -DNM=<nm> -DTABLES=<obj> -DTABLE_ISAS=<isa>|... "
                      "[-DABSENT_ISAS=<isa>|...] [-DOTHERS=<obj>|...] -P ${CMAKE_CURRENT_LIST_FILE}")
endif()

function(defined_symbols object out_var)
  if(NOT EXISTS "${object}")
    message(FATAL_ERROR "missing object ${object} (build the project before running ctest)")
  endif()
  execute_process(COMMAND "${NM}" -C --defined-only "${object}"
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${object}: ${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

defined_symbols("${TABLES}" tables)
string(REPLACE "|" ";" isas "${TABLE_ISAS}")
foreach(isa IN LISTS isas)
  if(NOT tables MATCHES "make_kernel_table<ddnn::(v[0-9]+::)?isa::${isa}>")
    message(FATAL_ERROR "${TABLES} does not define make_kernel_table<isa::${isa}>")
  endif()
endforeach()
string(REPLACE "|" ";" absent "${ABSENT_ISAS}")
foreach(isa IN LISTS absent)
  if(tables MATCHES "make_kernel_table<ddnn::(v[0-9]+::)?isa::${isa}>")
    message(FATAL_ERROR "${TABLES} defines make_kernel_table<isa::${isa}>, which it did not select")
  endif()
endforeach()

string(REPLACE "|" ";" others "${OTHERS}")
foreach(object IN LISTS others)
  defined_symbols("${object}" symbols)
  string(REGEX MATCH "[^\n]*(make_kernel_table|kernel_entry_points)[^\n]*" found "${symbols}")
  if(found)
    message(FATAL_ERROR "${object} compiles the kernels again: ${found}")
  endif()
endforeach()
list(LENGTH isas n_isas)
list(LENGTH absent n_absent)
list(LENGTH others n_others)
message(STATUS "the kernel tables of ${n_isas} ISAs are compiled here (${n_absent} left to other "
               "objects); ${n_others} other objects declare them extern")
