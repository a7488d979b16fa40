#pragma once
// The synapse table built on the device: the same generator as the host build (synfire/connect.hpp) run by
// one thread per entity, the same table as synfire::build_synapses bit for bit (offsets, synapses and their
// order within each source), without the host ever holding the synapses.
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "cuda_check.hpp"
#include "synfire/model.hpp"
#include "synfire/network.hpp"

namespace synfire::cuda {

/// The synapse table in device memory (CSR by global source id, as synapse_table) with host copies of its
/// small parts.
struct device_synapse_table {
    device_buffer<std::uint64_t> offsets;      ///< [neurons + 1]; empty without projections
    device_buffer<synapse> synapses;           ///< [size]
    std::vector<std::uint64_t> host_offsets;   ///< offsets on the host; empty without projections
    std::vector<std::uint64_t> base;           ///< [populations + 1] first global id of each population
    std::vector<bool> receives;                ///< per population: whether a projection targets it
    int min_delay = 0, max_delay = 0;          ///< [steps]; 0 without synapses
    std::uint64_t size = 0;                    ///< synapses
    double build_seconds = 0.0;                ///< wall time of the build, returned with everything on the device [s]
    double phase_seconds[4] = {0, 0, 0, 0};    ///< of which counting and scanning, drawing, sorting (ties included), packing [s]
    std::uint64_t peak_bytes = 0;              ///< device memory the build held at once, the finished table included
    std::uint64_t sort_bytes = 0;              ///< of which the segmented sort's temporary storage
    bool long_ties = false;                    ///< some source had over 32 synapses of one key: sorted twice

    bool empty() const { return size == 0; }
    /// As synfire::ring_slots: max_delay + min_delay, 0 without synapses.
    int ring_slots() const { return size == 0 ? 0 : max_delay + min_delay; }
};

/// Builds the model's synapse table on the current device, on stream s; returns when it is complete (s is
/// synchronised). Throws runtime_failure as build_synapses does when a drawn weight exceeds 1e9 or a drawn
/// delay 32767 steps, and on CUDA errors (out of memory included). Needs at most
/// gpu_memory_plan::synapses + gpu_memory_plan::construction of free device memory (peak_bytes reports it).
device_synapse_table build_synapses_on_device(const model& m, cudaStream_t s);

/// The table copied back to the host (tests, checks); build_seconds is the device build's.
synapse_table to_host(const device_synapse_table& t);

}  // namespace synfire::cuda
