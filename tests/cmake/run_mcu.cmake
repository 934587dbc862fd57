# ctest's mcu.<core>: configure, build and test the Cortex-M project tests/mcu for one core
# (cmake -P with SOURCE, BUILD, TOOLCHAIN, CORE, EXPORTED, DEVICE_HEADER, GENERATOR).
foreach(step IN ITEMS configure build test)
  if(step STREQUAL "configure")
    set(command ${CMAKE_COMMAND} -S ${SOURCE} -B ${BUILD} -G ${GENERATOR}
                -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN} -DDDNN_MCU_CPU=${CORE}
                -DDDNN_EXPORTED_DIR=${EXPORTED} -DDDNN_DEVICE_HEADER=${DEVICE_HEADER})
  elseif(step STREQUAL "build")
    set(command ${CMAKE_COMMAND} --build ${BUILD})
  else()
    set(command ${CMAKE_CTEST_COMMAND} --test-dir ${BUILD} --output-on-failure -V)
  endif()
  execute_process(COMMAND ${command} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mcu ${CORE}: ${step} failed (${rc})")
  endif()
endforeach()
