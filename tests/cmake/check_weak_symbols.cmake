# cmake -DNM=<nm> -DOBJECTS=<obj>|<obj>|... [-DPREFIX=<stem prefix>] -P check_weak_symbols.cmake
#
# Fails when a weak symbol (nm types W, V, u) is defined in more than one of OBJECTS. The ISA
# kernel objects are compiled with different -m flags; the linker keeps one copy of a weak
# symbol, so a shared one may run another ISA's instructions (SIGILL on a CPU without it).
# PREFIX, when given, is stripped from each object's file name to label it (its ISA).
cmake_minimum_required(VERSION 3.21)

if(NOT NM OR NOT OBJECTS)
  message(FATAL_ERROR "usage: cmake -DNM=<nm> -DOBJECTS=<a.o>|<b.o>... [-DPREFIX=<p>] "
                      "-P ${CMAKE_CURRENT_LIST_FILE}")
endif()
string(REPLACE "|" ";" objects "${OBJECTS}")
list(LENGTH objects count)
if(count LESS 2)
  message(FATAL_ERROR "need at least two objects, got: ${OBJECTS}")
endif()

set(ignored "DW.ref.__gxx_personality_v0")
set(labels "")
set(total 0)
foreach(object IN LISTS objects)
  if(NOT EXISTS "${object}")
    message(FATAL_ERROR "missing object ${object} (build the project before running ctest)")
  endif()
  get_filename_component(label "${object}" NAME)
  if(PREFIX)
    string(REGEX REPLACE "\\.(cpp|cc|cxx)\\.(o|obj)$" "" label "${label}")
    string(FIND "${label}" "${PREFIX}" at)
    if(at EQUAL 0)
      string(LENGTH "${PREFIX}" skip)
      string(SUBSTRING "${label}" ${skip} -1 label)
    endif()
  else()
    set(label "${object}")
  endif()
  list(APPEND labels "${label}")

  execute_process(COMMAND "${NM}" -C --defined-only "${object}"
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${object}: ${err}")
  endif()
  # Demangled names may contain ';' and '[' (e.g. [abi:cxx11]), which CMake lists treat specially.
  string(REPLACE "[" "<LSQB>" out "${out}")
  string(REPLACE "]" "<RSQB>" out "${out}")
  string(REPLACE ";" "<SEMI>" out "${out}")
  string(REPLACE "\n" ";" lines "${out}")
  set(n 0)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[0-9a-fA-F]* *([WVu]) (.+)$")
      set(symbol "${CMAKE_MATCH_2}")
      if(symbol IN_LIST ignored)
        continue()
      endif()
      string(MD5 key "${symbol}")
      if(NOT DEFINED where_${key})
        set(name_${key} "${symbol}")
        list(APPEND keys ${key})
      endif()
      list(APPEND where_${key} "${label}")
      math(EXPR n "${n} + 1")
    endif()
  endforeach()
  math(EXPR total "${total} + ${n}")
  message(STATUS "${label}: ${n} weak symbols")
endforeach()

set(shared 0)
set(report "")
foreach(key IN LISTS keys)
  set(defined_in ${where_${key}})
  list(REMOVE_DUPLICATES defined_in)
  list(LENGTH defined_in n)
  if(n GREATER 1)
    math(EXPR shared "${shared} + 1")
    set(symbol "${name_${key}}")
    string(REPLACE "<LSQB>" "[" symbol "${symbol}")
    string(REPLACE "<RSQB>" "]" symbol "${symbol}")
    string(REPLACE "<SEMI>" ";" symbol "${symbol}")
    list(JOIN defined_in ", " in)
    string(APPEND report "  ${symbol}    [defined in: ${in}]\n")
  endif()
endforeach()

list(JOIN labels ", " all)
if(shared GREATER 0)
  message(FATAL_ERROR
    "${shared} weak symbol(s) are defined in more than one ISA kernel object. The linker keeps one "
    "copy, which may use another ISA's instructions. Keep ISA-specific helpers in per-ISA "
    "specialisations (templates over the ISA tag) or anonymous namespaces, and use builtins "
    "rather than weak templates:\n${report}")
endif()
message(STATUS "OK: ${total} weak symbols in ${count} objects (${all}), none defined twice")
