#pragma once
// Spike delivery as device functions, shared by the per-step delivery kernel (spike_delivery.cu), the
// bitmap delivery of fused windows (spike_delivery.cu) and the persistent window kernel (lif_update.cu).
// Coherent: the spike list and its count were written by other blocks of the same launch, so they are read
// past L1 (ld.global.cg). The synapse table and its offsets never change during a run: read-only loads.
#include <cstddef>
#include <cstdint>

#include "launchers.hpp"
#include "list_partition.hpp"
#include "synfire/network.hpp"

namespace synfire::cuda {

template <bool Coherent>
__device__ __forceinline__ std::uint32_t load_u32(const std::uint32_t* p) {
    if constexpr (Coherent) return __ldcg(p);
    else return *p;
}

template <bool Coherent>
__device__ __forceinline__ spike_range load_range(const spike_range* p) {
    if constexpr (Coherent) {
        const longlong2 v = __ldcg(reinterpret_cast<const longlong2*>(p));
        return spike_range{static_cast<std::uint64_t>(v.x), static_cast<std::uint64_t>(v.y)};
    } else {
        return *p;
    }
}

// A synapse read as one 16-byte word: x target, y delay | population << 16 | receptor << 24, z and w the
// weight's low and high halves (network.hpp's layout, little-endian).
static_assert(sizeof(synapse) == 16 && offsetof(synapse, target) == 0 && offsetof(synapse, delay) == 4 &&
                  offsetof(synapse, population) == 6 && offsetof(synapse, receptor) == 7 && offsetof(synapse, weight) == 8,
              "the delivery kernels read synapses as four 32-bit words");

/// How synapses are loaded: 0 (the default) read-only (ld.global.nc); 1 streaming (ld.global.cs: evict first,
/// from L1 and L2, so that the table's stream, which a step never reads twice, does not push the input rings
/// out of L2). Each translation unit including this has its own copy, which set_streaming_synapse_loads
/// (launchers.hpp) sets in all of them.
static __constant__ unsigned streaming_synapse_loads;

/// Synapse e of the table (16-byte aligned: device allocations are), one 16-byte load.
__device__ __forceinline__ uint4 load_synapse(const synapse* synapses, std::uint64_t e) {
    const uint4* p = reinterpret_cast<const uint4*>(synapses) + e;
    return streaming_synapse_loads ? __ldcs(p) : __ldg(p);
}

/// *p += v at L2 without a return value (a reduction: no round trip back to the thread).
__device__ __forceinline__ void reduce_add(unsigned long long* p, unsigned long long v) {
    asm volatile("red.relaxed.gpu.global.add.u64 [%0], %1;" ::"l"(__cvta_generic_to_global(p)), "l"(v) : "memory");
}

/// Adds a synapse's weight to its target's slot for step_slot (< slots) + delay (< slots) with an int64
/// reduction: two's complement, so a signed add.
__device__ __forceinline__ void add_synapse(uint4 s, const ring_view* rings, int step_slot, int slots) {
    const ring_view r = rings[(s.y >> 16) & 0xFFu];
    int slot = step_slot + static_cast<int>(s.y & 0xFFFFu);
    if (slot >= slots) slot -= slots;
    auto* acc = static_cast<unsigned long long*>(r.data) + (static_cast<std::size_t>(slot) * r.n + s.x) * r.receptors + (s.y >> 24);
    reduce_add(acc, (static_cast<unsigned long long>(s.w) << 32) | s.z);
}

/// Synapses [lo, hi) walked by the Worker threads of a worker (lane = the thread's place in it): each thread
/// loads up to four synapses before it adds any, so four loads per thread are in flight at once.
template <unsigned Worker>
__device__ __forceinline__ void deliver_range(std::uint64_t lo, std::uint64_t hi, unsigned lane, const synapse* synapses, const ring_view* rings,
                                              int step_slot, int slots) {
    constexpr unsigned batch = 4;
    for (std::uint64_t e = lo + lane; e < hi; e += batch * Worker) {
        uint4 s[batch];
#pragma unroll
        for (unsigned u = 0; u < batch; ++u)
            if (e + u * Worker < hi) s[u] = load_synapse(synapses, e + u * Worker);
#pragma unroll
        for (unsigned u = 0; u < batch; ++u)
            if (e + u * Worker < hi) add_synapse(s[u], rings, step_slot, slots);
    }
}

/// Copies the ring views (one per population, at most 256: synapse::population is 8 bits) to shared memory;
/// the caller synchronises the block before use.
__device__ __forceinline__ void stage_rings(ring_view* staged, const ring_view* rings, int count) {
    for (int p = static_cast<int>(threadIdx.x); p < count; p += static_cast<int>(blockDim.x)) staged[p] = rings[p];
}

/// The spikes of step `step` in list[0, spikes) (their synapse ranges), handed out to workers of Worker threads: a
/// warp (Worker = 32, for networks whose neurons have small fan-outs) or the whole block (Worker = BlockSize).
/// With at least as many spikes as workers each worker walks whole spikes; with fewer, each spike is split
/// into parts = workers / spikes ranges, one per worker, so a few spikes spread over the whole grid. Control
/// flow is uniform within a worker. rings: the staged ring views.
/// Blocks [0, blocks) share the work; this one is `block` (blockIdx.x and gridDim.x: the whole grid).
template <bool Coherent, unsigned BlockSize, unsigned Worker = BlockSize>
__device__ __forceinline__ void deliver_spikes_body(const spike_range* list, std::uint32_t spikes, std::int64_t step, const synapse* synapses,
                                                    const ring_view* rings, int slots, std::uint32_t block, std::uint32_t blocks) {
    static_assert(BlockSize % Worker == 0 && Worker % 32 == 0, "workers are whole warps that divide the block");
    constexpr unsigned per_block = BlockSize / Worker;
    if (spikes == 0) return;
    const std::uint32_t workers = blocks * per_block;
    const std::uint32_t worker = block * per_block + threadIdx.x / Worker;
    const unsigned lane = threadIdx.x % Worker;
    const int step_slot = static_cast<int>(step % slots);
    if (spikes >= workers) {
        for (std::uint64_t i = worker; i < spikes; i += workers) {
            const spike_range r = load_range<Coherent>(list + i);
            deliver_range<Worker>(r.begin, r.end, lane, synapses, rings, step_slot, slots);
        }
        return;
    }
    const std::uint32_t parts = workers / spikes;  // spikes · parts <= workers: one range per worker
    const std::uint32_t spike = worker / parts;
    if (spike >= spikes) return;
    const std::uint32_t part = worker - spike * parts;
    const spike_range r = load_range<Coherent>(list + spike);
    const std::uint64_t begin = r.begin, len = r.end - r.begin;
    std::uint64_t chunk;  // as part_of_range (list_partition.hpp), written out: the same arithmetic compiles to fewer spills here
    if (len <= 0xFFFFFFFFu) {  // 32-bit division (a 64-bit one is a long emulated sequence)
        const auto l = static_cast<std::uint32_t>(len);
        chunk = l / parts + (l % parts != 0);
    } else {
        chunk = len / parts + (len % parts != 0);
    }
    const std::uint64_t lo = static_cast<std::uint64_t>(part) * chunk;
    if (lo >= len) return;
    deliver_range<Worker>(begin + lo, begin + (len - lo < chunk ? len : lo + chunk), lane, synapses, rings, step_slot, slots);
}

/// The same with the count read here (*count spikes).
template <bool Coherent, unsigned BlockSize, unsigned Worker = BlockSize>
__device__ __forceinline__ void deliver_step_body(const spike_range* list, const std::uint32_t* count, std::int64_t step,
                                                  const synapse* synapses, const ring_view* rings, int slots) {
    deliver_spikes_body<Coherent, BlockSize, Worker>(list, load_u32<Coherent>(count), step, synapses, rings, slots, blockIdx.x, gridDim.x);
}

/// deliver_spikes_body with warp or block workers chosen at run time (uniform across the grid), shared by
/// blocks [0, blocks) of which this is `block`.
template <bool Coherent, unsigned BlockSize>
__device__ __forceinline__ void deliver_spikes_among(bool warp_workers, const spike_range* list, std::uint32_t spikes, std::int64_t step,
                                                     const synapse* synapses, const ring_view* rings, int slots, std::uint32_t block,
                                                     std::uint32_t blocks) {
    if (warp_workers) deliver_spikes_body<Coherent, BlockSize, 32>(list, spikes, step, synapses, rings, slots, block, blocks);
    else deliver_spikes_body<Coherent, BlockSize>(list, spikes, step, synapses, rings, slots, block, blocks);
}

/// The same shared by the whole grid.
template <bool Coherent, unsigned BlockSize>
__device__ __forceinline__ void deliver_spikes_by(bool warp_workers, const spike_range* list, std::uint32_t spikes, std::int64_t step,
                                                  const synapse* synapses, const ring_view* rings, int slots) {
    deliver_spikes_among<Coherent, BlockSize>(warp_workers, list, spikes, step, synapses, rings, slots, blockIdx.x, gridDim.x);
}

/// Early list delivery (the persistent window kernel with deferred delivery, block workers): the step
/// before's list shared by a fixed partition (list_partition.hpp), so that a block's first range is read
/// beside the count and the ring slot at the top of the step, its first synapses are loaded before the
/// neuron step, and only their reductions (and any further rounds) come after the step's own work: the
/// list's chain of loads runs beside the update's instead of after it. Per thread: start(), issue(),
/// finish(), in that order, by every thread of the block (control flow uniform across it).
template <unsigned BlockSize>
struct early_list {
    static constexpr unsigned batch = 2;  ///< synapses per thread loaded before the neuron step (the microcircuit: its whole part)
    fixed_partition partition;
    const spike_range* list = nullptr;
    std::int64_t step = 0;
    std::uint32_t count = 0;
    spike_range first{0, 0};
    std::uint64_t next = 0, end = 0;  ///< the thread's next synapse of the first spike's part, and the part's end
    uint4 s[batch];

    /// Loads the count and the block's first range (read past L1: written by other blocks of the launch) where
    /// it lies in the list's capacity (a spike past it is past the count too).
    __device__ __forceinline__ void start(const spike_range* l, std::size_t capacity, const std::uint32_t* count_of_step, std::int64_t st,
                                          fixed_partition f) {
        partition = f;
        list = l;
        step = st;
        count = __ldcg(count_of_step);
        if (partition.active(blockIdx.x) && partition.first_spike(blockIdx.x) < capacity) first = load_range<true>(list + partition.first_spike(blockIdx.x));
    }
    /// Loads the thread's first synapses of its part of the first spike (count and range arrived).
    __device__ __forceinline__ void issue(const synapse* synapses) {
        next = end = 0;
        if (!partition.active(blockIdx.x) || partition.first_spike(blockIdx.x) >= count) return;
        const part_bounds b = part_of_range(first.end - first.begin, partition.parts, partition.part(blockIdx.x));
        next = first.begin + b.lo + threadIdx.x;
        end = first.begin + b.hi;
#pragma unroll
        for (unsigned u = 0; u < batch; ++u)
            if (next + u * BlockSize < end) s[u] = load_synapse(synapses, next + u * BlockSize);
    }
    /// Adds the loaded synapses, delivers the rest of the part and the block's further spikes.
    __device__ __forceinline__ void finish(const synapse* synapses, const ring_view* rings, int slots) {
        const int step_slot = static_cast<int>(step % slots);
#pragma unroll
        for (unsigned u = 0; u < batch; ++u)
            if (next + u * BlockSize < end) add_synapse(s[u], rings, step_slot, slots);
        if (next + batch * BlockSize < end) deliver_range<BlockSize>(next + batch * BlockSize - threadIdx.x, end, threadIdx.x, synapses, rings, step_slot, slots);
        if (!partition.active(blockIdx.x)) return;
        for (std::uint32_t j = partition.first_spike(blockIdx.x) + partition.groups; j < count; j += partition.groups) {
            const spike_range r = load_range<true>(list + j);
            const part_bounds b = part_of_range(r.end - r.begin, partition.parts, partition.part(blockIdx.x));
            if (b.lo < b.hi) deliver_range<BlockSize>(r.begin + b.lo, r.begin + b.hi, threadIdx.x, synapses, rings, step_slot, slots);
        }
    }
};

/// A step's list delivered by claims (the persistent kernel's lists at the barrier, claimed): each spike in
/// `parts` parts (part_of_range), items spike * parts + part handed out in order by an atomic counter (zero
/// before the first claim), a whole part to the block that claims it, until none is left. Blocks that reach
/// the barrier early take the work; the last one to arrive finds little or nothing left. `first`: thread 0's
/// first claim (the caller issues it, atomicAdd(claims, 1), where there are spikes, and lets its round trip
/// run beside other work); the other threads' value is not read. Every thread of the block calls this (it
/// synchronises the block); `item` is a shared word of the block's.
template <unsigned BlockSize>
__device__ __forceinline__ void deliver_claimed(const spike_range* list, std::uint32_t spikes, std::uint32_t parts, std::uint32_t* claims,
                                                std::int64_t step, const synapse* synapses, const ring_view* rings, int slots,
                                                std::uint32_t& item, std::uint32_t first) {
    const std::uint64_t items = static_cast<std::uint64_t>(spikes) * parts;
    if (items == 0) return;  // uniform: nothing to claim
    const int step_slot = static_cast<int>(step % slots);
    for (bool claimed = true;; claimed = false) {
        if (threadIdx.x == 0) item = claimed ? first : atomicAdd(claims, 1u);
        __syncthreads();
        const std::uint32_t it = item;
        __syncthreads();  // every thread has read it before thread 0 claims again
        if (it >= items) return;
        const std::uint32_t spike = it / parts, part = it - spike * parts;
        const spike_range r = load_range<true>(list + spike);
        const part_bounds b = part_of_range(r.end - r.begin, parts, part);
        if (b.lo < b.hi) deliver_range<BlockSize>(r.begin + b.lo, r.begin + b.hi, threadIdx.x, synapses, rings, step_slot, slots);
    }
}

/// Deferred delivery (one launch, or one grid barrier, per step): a spiking neuron's synapses of one step's
/// delay, which the next step reads, are delivered at once by its own block; the rest of its synapses (delay
/// two steps or more: not read before the step after next) join the step's list and are delivered by the
/// whole grid during the next step. A block's own parts of one step, gathered in shared memory (a neuron
/// spikes at most once per step, so at most BlockSize of them).
template <unsigned BlockSize>
struct sender_parts {
    spike_range range[BlockSize];
    std::uint64_t start[BlockSize + 1];  ///< exclusive prefix of the ranges' lengths
    std::uint32_t count;                 ///< zeroed before the first append of a step
};

/// Index of the part holding element e of the concatenated parts: the last j < n with start[j] <= e.
__device__ __forceinline__ std::uint32_t part_of(const std::uint64_t* start, std::uint32_t n, std::uint64_t e) {
    std::uint32_t lo = 0, hi = n;
    while (hi - lo > 1) {
        const std::uint32_t mid = (lo + hi) / 2;
        if (start[mid] <= e) lo = mid;
        else hi = mid;
    }
    return lo;
}

/// Delivers the block's gathered parts of the step in ring slot step_slot: their synapses are walked as one
/// concatenated range by all threads, four loads in flight per thread. Every thread of the block calls this
/// after its appends; it synchronises the block and leaves parts.count zero (the caller synchronises the
/// block again before the next step's appends).
template <unsigned BlockSize>
__device__ __forceinline__ void deliver_sender_parts(sender_parts<BlockSize>& parts, int step_slot, const synapse* synapses, const ring_view* rings,
                                                     int slots) {
    __syncthreads();
    const std::uint32_t n = parts.count;
    if (n == 0) return;  // uniform across the block
    if (threadIdx.x < 32) {  // exclusive scan of the lengths by one warp, 32 parts at a time
        std::uint64_t carry = 0;
        for (std::uint32_t j0 = 0; j0 < n; j0 += 32) {
            const std::uint32_t j = j0 + threadIdx.x;
            const std::uint64_t len = j < n ? parts.range[j].end - parts.range[j].begin : 0;
            std::uint64_t sum = len;
#pragma unroll
            for (int d = 1; d < 32; d *= 2) {
                const std::uint64_t other = __shfl_up_sync(0xFFFFFFFFu, sum, d);
                if (static_cast<int>(threadIdx.x) >= d) sum += other;
            }
            if (j < n) parts.start[j] = carry + sum - len;
            carry += __shfl_sync(0xFFFFFFFFu, sum, 31);
        }
        if (threadIdx.x == 0) parts.start[n] = carry;
    }
    __syncthreads();
    const std::uint64_t total = parts.start[n];
    constexpr unsigned batch = 4;
    for (std::uint64_t e = threadIdx.x; e < total; e += batch * BlockSize) {
        uint4 s[batch];
#pragma unroll
        for (unsigned u = 0; u < batch; ++u) {
            const std::uint64_t x = e + u * BlockSize;
            if (x < total) {
                const std::uint32_t j = part_of(parts.start, n, x);
                s[u] = load_synapse(synapses, parts.range[j].begin + (x - parts.start[j]));
            }
        }
#pragma unroll
        for (unsigned u = 0; u < batch; ++u)
            if (e + u * BlockSize < total) add_synapse(s[u], rings, step_slot, slots);
    }
    __syncthreads();  // every thread has read the parts
    if (threadIdx.x == 0) parts.count = 0;
}

}  // namespace synfire::cuda
