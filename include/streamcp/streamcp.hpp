// SPDX-License-Identifier: MIT
#pragma once

/// The public API of streamcp (docs/api.md): ASA's AnomalyDetection_ChangePoint and
/// AnomalyDetection_SpikeAndDip, exact to ML.NET, and the robust change-point detector, for one
/// series or per partition. The building blocks under core/, state/ and detail/ are internals:
/// include them by name if you need them; they may change in any release.

#include "streamcp/config.hpp"
#include "streamcp/core/batch_error.hpp"
#include "streamcp/eigen.hpp"
#include "streamcp/function/anomaly_detection_change_point.hpp"
#include "streamcp/function/anomaly_detection_spike_and_dip.hpp"
#include "streamcp/function/event_time.hpp"
#include "streamcp/function/robust_change_point_function.hpp"
#include "streamcp/model/change_point_detector.hpp"
#include "streamcp/model/robust_change_point_detector.hpp"
#include "streamcp/model/spike_and_dip_detector.hpp"
#include "streamcp/state/key_codec.hpp"
#include "streamcp/state/snapshot.hpp"
#include "streamcp/state/snapshot_error.hpp"
#include "streamcp/version.hpp"
