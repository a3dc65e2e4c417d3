// SPDX-License-Identifier: MIT
#pragma once

/// The streamcp version. This header is the single source of the version number:
/// CMake, the Python package and the snapshot writer all read it from here.
#define STREAMCP_VERSION_MAJOR 0
#define STREAMCP_VERSION_MINOR 1
#define STREAMCP_VERSION_PATCH 0
#define STREAMCP_VERSION_STRING "0.1.0"
