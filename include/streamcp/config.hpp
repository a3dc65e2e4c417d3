// SPDX-License-Identifier: MIT
#pragma once

#include "streamcp/version.hpp"

/// Everything lives in a versioned inline namespace so that two copies of different
/// versions linked into one process (two Python extensions, two plugins) cannot collide.
#define STREAMCP_BEGIN_NAMESPACE \
    namespace streamcp {         \
    inline namespace v0 {
#define STREAMCP_END_NAMESPACE \
    }                          \
    }
