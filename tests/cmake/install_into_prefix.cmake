# SPDX-License-Identifier: MIT
# cmake -DBUILD_DIR=<streamcp build tree> -DPREFIX=<fresh prefix> -P install_into_prefix.cmake
#
# Installs the build tree into an emptied prefix, for the find_package consumer test.
foreach(var BUILD_DIR PREFIX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_into_prefix.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${PREFIX} failed: ${result}")
endif()
foreach(file include/streamcp/streamcp.hpp include/streamcp/version.hpp)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "install_into_prefix.cmake: ${PREFIX}/${file} was not installed")
  endif()
endforeach()
