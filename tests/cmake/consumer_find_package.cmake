# ctest driver: installs the ddnn build tree DDNN_BUILD into a fresh prefix under WORK_DIR, then
# configures, builds and runs tests/consumer/find_package against it (find_package(ddnn 0.1)).
# -DCONSUMER_MQTT=ON: the install has the mqtt component, and the consumer asks for it too.
include(${CMAKE_CURRENT_LIST_DIR}/consumer_common.cmake)
if(NOT DDNN_BUILD)
  message(FATAL_ERROR "consumer test: -DDDNN_BUILD=<ddnn build tree> is required")
endif()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
consumer_run(COMMAND ${CMAKE_COMMAND} --install ${DDNN_BUILD} --prefix ${prefix} --config ${CONFIG})

foreach(file IN ITEMS share/cmake/ddnn/ddnnConfig.cmake share/cmake/ddnn/ddnnConfigVersion.cmake
                      share/cmake/ddnn/ddnnTargets.cmake share/cmake/ddnn/ddnnKernels.cmake
                      include/ddnn/ddnn.hpp include/ddnn/kernels/kernel_table_impl.hpp)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "consumer test: the install lacks ${file}")
  endif()
endforeach()

if(CONSUMER_MQTT)
  if(NOT EXISTS ${prefix}/share/cmake/ddnn/ddnn_mqttTargets.cmake)
    message(FATAL_ERROR "consumer test: the install lacks share/cmake/ddnn/ddnn_mqttTargets.cmake")
  endif()
else()
  set(CONSUMER_MQTT OFF)
endif()

consumer_configure_build_run(${CONSUMER_SOURCE}/find_package ${WORK_DIR}/build
  -DCMAKE_PREFIX_PATH=${prefix} -DDDNN_EXPECTED_PREFIX=${prefix}
  -DDDNN_CONSUMER_MQTT=${CONSUMER_MQTT})
