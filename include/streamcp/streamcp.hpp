// SPDX-License-Identifier: MIT
#pragma once

/// The public API of streamcp: ASA's AnomalyDetection_ChangePoint and
/// AnomalyDetection_SpikeAndDip, exact to ML.NET, for one series or per partition.

#include "streamcp/config.hpp"
#include "streamcp/core/batch_error.hpp"
#include "streamcp/core/betting.hpp"
#include "streamcp/core/erf.hpp"
#include "streamcp/core/kde_pvalue.hpp"
#include "streamcp/core/kde_pvalue_fast.hpp"
#include "streamcp/core/martingale.hpp"
#include "streamcp/core/ring_buffer.hpp"
#include "streamcp/function/anomaly_detection_change_point.hpp"
#include "streamcp/function/anomaly_detection_spike_and_dip.hpp"
#include "streamcp/function/event_time.hpp"
#include "streamcp/function/robust_change_point_function.hpp"
#include "streamcp/model/change_point_detector.hpp"
#include "streamcp/model/spike_and_dip_detector.hpp"
#include "streamcp/state/key_codec.hpp"
#include "streamcp/state/model_snapshot.hpp"
#include "streamcp/state/snapshot.hpp"
#include "streamcp/version.hpp"
