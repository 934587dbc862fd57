# ctest driver: installs the ddnn build tree DDNN_BUILD into a fresh prefix under WORK_DIR, then
# builds and runs tests/consumer/binary_only against it with Eigen and nlohmann/json made
# unfindable (CMAKE_DISABLE_FIND_PACKAGE_*) and their headers poisoned on the include path: a
# program that uses binary inference only needs neither.
include(${CMAKE_CURRENT_LIST_DIR}/consumer_common.cmake)
if(NOT DDNN_BUILD)
  message(FATAL_ERROR "consumer test: -DDDNN_BUILD=<ddnn build tree> is required")
endif()

set(prefix ${WORK_DIR}/prefix)
set(poison ${WORK_DIR}/poison)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
consumer_run(COMMAND ${CMAKE_COMMAND} --install ${DDNN_BUILD} --prefix ${prefix} --config ${CONFIG})
file(WRITE ${poison}/nlohmann/json.hpp "#error \"binary inference must not need nlohmann/json\"\n")
file(WRITE ${poison}/Eigen/Core "#error \"binary inference must not need Eigen\"\n")
file(WRITE ${poison}/Eigen/Dense "#error \"binary inference must not need Eigen\"\n")

consumer_configure_build_run(${CONSUMER_SOURCE}/binary_only ${WORK_DIR}/build
  -DCMAKE_PREFIX_PATH=${prefix} -DDDNN_POISON_DIR=${poison}
  -DCMAKE_DISABLE_FIND_PACKAGE_Eigen3=ON -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON)
