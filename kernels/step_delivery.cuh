#pragma once
// One step's spike delivery as a block-level device function, shared by the per-step delivery kernel
// (spike_delivery.cu) and the persistent window kernel (lif_update.cu). Coherent: the list and its count
// were written by other blocks of the same launch, so they are read past L1 (ld.global.cg).
#include <cstdint>

#include "launchers.hpp"

namespace synfire::cuda {

template <bool Coherent>
__device__ __forceinline__ std::uint32_t load_u32(const std::uint32_t* p) {
    if constexpr (Coherent) return __ldcg(p);
    else return *p;
}

/// The spikes of step `step` in list[0, *count), handed out to workers of Worker threads: a warp (Worker = 32,
/// for networks whose neurons have small fan-outs) or the whole block (Worker = BlockSize). Item (spike, part)
/// for part < parts = max(1, workers / spikes), so a few spikes spread over the whole grid and many give each
/// worker whole ones. Control flow is uniform within a worker.
template <bool Coherent, unsigned BlockSize, unsigned Worker = BlockSize>
__device__ __forceinline__ void deliver_step_body(const std::uint32_t* list, const std::uint32_t* count, std::int64_t step,
                                                  const std::uint64_t* offsets, const synapse* synapses, const ring_view* rings, int slots) {
    static_assert(BlockSize % Worker == 0 && Worker % 32 == 0, "workers are whole warps that divide the block");
    constexpr unsigned per_block = BlockSize / Worker;
    const std::uint32_t spikes = load_u32<Coherent>(count);
    if (spikes == 0) return;
    const std::uint64_t workers = static_cast<std::uint64_t>(gridDim.x) * per_block;
    const std::uint64_t worker = static_cast<std::uint64_t>(blockIdx.x) * per_block + threadIdx.x / Worker;
    const unsigned lane = threadIdx.x % Worker;
    const std::uint64_t parts = spikes >= workers ? 1u : workers / spikes;
    const std::uint64_t items = static_cast<std::uint64_t>(spikes) * parts;
    const int step_slot = static_cast<int>(step % slots);
    for (std::uint64_t item = worker; item < items; item += workers) {
        const std::uint32_t source = load_u32<Coherent>(list + item / parts);
        const std::uint64_t part = item % parts;
        const std::uint64_t begin = offsets[source], len = offsets[source + 1] - begin;
        const std::uint64_t lo = begin + len * part / parts, hi = begin + len * (part + 1) / parts;
        for (std::uint64_t e = lo + lane; e < hi; e += Worker) {
            const synapse s = synapses[e];
            const ring_view r = rings[s.population];
            int slot = step_slot + s.delay;  // delay < slots
            if (slot >= slots) slot -= slots;
            auto* acc = static_cast<unsigned long long*>(r.data) + (static_cast<std::size_t>(slot) * r.n + s.target) * r.receptors + s.receptor;
            atomicAdd(acc, static_cast<unsigned long long>(s.weight));  // two's complement: a signed add
        }
    }
}

}  // namespace synfire::cuda
