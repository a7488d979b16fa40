#pragma once
// Synaptic input accumulates in int64 fixed point: integer addition is associative, so atomics in any
// order give the same sum on every backend. Weights are converted once on the host; each step converts
// the accumulated value to float once.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "synfire/host_device.hpp"

namespace synfire {

/// Fixed-point units per pA (or mV for iaf_psc_delta): 2^32, so |sum| < 2^31 pA and a resolution of 2.3e-10.
inline constexpr double fixed_point_scale = 4294967296.0;

/// Host: a weight [pA or mV] in fixed point, rounded to nearest.
inline std::int64_t to_fixed(double w) { return std::llrint(w * fixed_point_scale); }

/// Accumulated input as float: one correctly rounded int64 -> float conversion, then an exact scaling by 2^-32.
SYNFIRE_HD float fixed_to_float(std::int64_t acc) { return static_cast<float>(acc) * 0x1p-32f; }

#ifndef __CUDA_ARCH__
/// fixed_to_float(acc[x]) for x < n, the same bits, in a loop that vectorises (x86 before AVX-512 has no packed
/// int64 conversion, so the plain loop is one scalar vcvtsi2ss per value): for |acc| < 2^51, acc added as an
/// integer to the bit pattern of the double 1.5 * 2^52 is the double 1.5 * 2^52 + acc, exactly; subtracting
/// 1.5 * 2^52 leaves acc as a double, and its conversion to float is then the one rounding of int64 -> float.
/// Blocks with a larger value take the scalar conversion.
inline void fixed_to_float_lanes(const std::int64_t* __restrict acc, std::size_t n, float* __restrict out) {
    std::uint64_t outside = 0;
    for (std::size_t x = 0; x < n; ++x) outside |= (static_cast<std::uint64_t>(acc[x]) + (std::uint64_t{1} << 51)) >> 52;
    if (outside) {
        for (std::size_t x = 0; x < n; ++x) out[x] = fixed_to_float(acc[x]);
        return;
    }
    for (std::size_t x = 0; x < n; ++x) {
        const std::uint64_t bits = static_cast<std::uint64_t>(acc[x]) + 0x4338000000000000ull;
        double d;
        std::memcpy(&d, &bits, sizeof d);
        out[x] = static_cast<float>(d - 0x1.8p52) * 0x1p-32f;
    }
}
#endif

}  // namespace synfire
