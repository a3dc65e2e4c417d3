# SPDX-License-Identifier: MIT
# Defines ProtonCpp::ProtonCpp (Qpid Proton C++) and sets PROTON_CPP_FOUND. Debian's
# libqpid-proton-cpp.pc requires .pc files the package does not ship, so the library is found
# directly. Used by the build and by the installed package config (the eventhubs connector).
if(TARGET ProtonCpp::ProtonCpp)
  set(PROTON_CPP_FOUND TRUE)
  return()
endif()
find_path(PROTON_CPP_INCLUDE_DIR proton/container.hpp)
find_library(PROTON_CPP_LIBRARY qpid-proton-cpp)
if(PROTON_CPP_INCLUDE_DIR AND PROTON_CPP_LIBRARY)
  set(PROTON_CPP_FOUND TRUE)
  add_library(ProtonCpp::ProtonCpp UNKNOWN IMPORTED GLOBAL)  # GLOBAL: the test double links it
  set_target_properties(ProtonCpp::ProtonCpp PROPERTIES
    IMPORTED_LOCATION "${PROTON_CPP_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PROTON_CPP_INCLUDE_DIR}")
else()
  set(PROTON_CPP_FOUND FALSE)
endif()
