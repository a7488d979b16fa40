#pragma once
// How a step's spike list is shared among delivery workers: plain arithmetic, called by the delivery code on
// the device and tested on the host (tests/unit/test_list_partition.cpp). No CUDA types.
#include <cstdint>

#include "synfire/host_device.hpp"

namespace synfire::cuda {

/// [lo, hi) of a range's synapses, relative to its first.
struct part_bounds {
    std::uint64_t lo, hi;
};

/// Part `part` (< parts) of a range of len synapses cut into `parts` chunks of ceil(len / parts): empty (lo ==
/// hi) for the parts past its end. 32-bit division where len fits (a 64-bit one is a long emulated sequence).
SYNFIRE_HD part_bounds part_of_range(std::uint64_t len, std::uint32_t parts, std::uint32_t part) {
    std::uint64_t chunk;
    if (len <= 0xFFFFFFFFu) {
        const auto l = static_cast<std::uint32_t>(len);
        chunk = l / parts + (l % parts != 0);
    } else {
        chunk = len / parts + (len % parts != 0);
    }
    const std::uint64_t lo = static_cast<std::uint64_t>(part) * chunk;
    if (lo >= len) return {len, len};
    return {lo, len - lo < chunk ? len : lo + chunk};
}

/// A partition of a list among `workers` workers that needs no count: each spike in `parts` parts; worker w
/// takes part w % parts of spikes w / parts, w / parts + groups, w / parts + 2·groups, ... (groups = workers /
/// parts) while they are below the count; workers from groups · parts on take none. A worker's first spike is
/// known before the count is, so its range can be read beside the count. Every synapse of every spike below
/// the count is taken by exactly one worker.
struct fixed_partition {
    std::uint32_t parts = 1, groups = 1;

    SYNFIRE_HD static fixed_partition of(std::uint32_t workers, std::uint32_t parts) {
        fixed_partition f;
        if (workers < 1) workers = 1;
        f.parts = parts < 1 ? 1 : (parts > workers ? workers : parts);
        f.groups = workers / f.parts;
        return f;
    }
    SYNFIRE_HD bool active(std::uint32_t worker) const { return worker < groups * parts; }
    SYNFIRE_HD std::uint32_t first_spike(std::uint32_t worker) const { return worker / parts; }
    SYNFIRE_HD std::uint32_t part(std::uint32_t worker) const { return worker % parts; }
};

/// Parts per spike for a fixed partition among `workers` workers when steps have about `spikes` spikes: as
/// many as keep one round (every spike a group) — workers / spikes, at least 1.
inline std::uint32_t parts_for(std::uint32_t workers, double spikes) {
    if (!(spikes >= 1.0)) return workers < 1 ? 1 : workers;
    const double p = static_cast<double>(workers) / spikes;
    return p < 1.0 ? 1u : static_cast<std::uint32_t>(p);
}

}  // namespace synfire::cuda
