#pragma once
// Synaptic input accumulates in int64 fixed point: integer addition is associative, so atomics in any
// order give the same sum on every backend. Weights are converted once on the host; each step converts
// the accumulated value to float once.
#include <cmath>
#include <cstdint>

#include "synfire/host_device.hpp"

namespace synfire {

/// Fixed-point units per pA (or mV for iaf_psc_delta): 2^32, so |sum| < 2^31 pA and a resolution of 2.3e-10.
inline constexpr double fixed_point_scale = 4294967296.0;

/// Host: a weight [pA or mV] in fixed point, rounded to nearest.
inline std::int64_t to_fixed(double w) { return std::llrint(w * fixed_point_scale); }

/// Accumulated input as float: one correctly rounded int64 -> float conversion, then an exact scaling by 2^-32.
SYNFIRE_HD float fixed_to_float(std::int64_t acc) { return static_cast<float>(acc) * 0x1p-32f; }

}  // namespace synfire
