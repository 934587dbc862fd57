# ctest driver: configures, builds and runs tests/consumer/add_subdirectory, which pulls in the
# ddnn source tree with add_subdirectory(). ddnn's options must default OFF there, so its tests,
# benchmarks and examples are not configured or built.
include(${CMAKE_CURRENT_LIST_DIR}/consumer_common.cmake)

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(build ${WORK_DIR}/build)
consumer_configure_build_run(${CONSUMER_SOURCE}/add_subdirectory ${build}
  -DDDNN_CONSUMER_DDNN_SOURCE=${DDNN_SOURCE})

foreach(dir IN ITEMS tests bench examples)
  if(EXISTS ${build}/ddnn/${dir})
    message(FATAL_ERROR "consumer test: ddnn configured its ${dir}/ as a subproject")
  endif()
endforeach()
if(EXISTS ${build}/ddnn/ddnnConfig.cmake)
  message(FATAL_ERROR "consumer test: ddnn generated its install config as a subproject")
endif()
