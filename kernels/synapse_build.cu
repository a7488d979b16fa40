// The synapse table built on the device, in the host build's two passes over the same pure draws
// (synfire/connect.hpp): a kernel over each projection's entities counts every source's synapses, a CUB scan
// turns the counts into offsets, the same kernel again writes each synapse's order key and weight at its
// source's atomic cursor, and a CUB segmented sort by order key per source restores the host's canonical
// order; equal keys (multapses of one delay) are then ordered by weight, so the table equals the host's bit
// for bit. Peak: two copies of the synapses (32 B each) plus the sort's temporary storage.
#include <cub/block/block_reduce.cuh>
#include <cub/device/device_scan.cuh>
#include <cub/device/device_segmented_sort.cuh>
#include <cuda/functional>

#include <algorithm>
#include <chrono>

#include "synapse_build.hpp"
#include "synfire/connect.hpp"
#include "synfire/cuda.hpp"
#include "synfire/errors.hpp"

namespace synfire::cuda {
namespace {

constexpr unsigned block = 256;
constexpr std::uint64_t max_tie_run = 32;  ///< longer runs of one key within a source: a full second sort

/// Every synapse of entities tid, tid + stride, ...: counted into rows[source] (count pass), or written at
/// the cursor rows[source] as order key and weight (fill pass). Each thread owns 2^log2_slots of floyd_slots.
template <bool fill>
__global__ void __launch_bounds__(block) generate_kernel(connect::projection_view v, philox_key key, std::uint64_t src_base,
                                                         std::uint64_t n_entities, std::uint64_t* rows, std::uint64_t* floyd_slots,
                                                         std::uint32_t log2_slots, std::uint64_t* __restrict__ keys,
                                                         std::int64_t* __restrict__ weights) {
    const std::uint64_t tid = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
    connect::floyd_set chosen{floyd_slots ? floyd_slots + (tid << log2_slots) : nullptr, log2_slots, 0};
    for (std::uint64_t e = tid; e < n_entities; e += stride)
        connect::entity_synapses(v, key, e, chosen, [&](std::uint64_t i, std::uint64_t j, std::uint64_t entity, std::uint64_t q) {
            const auto slot = static_cast<std::uint64_t>(atomicAdd(reinterpret_cast<unsigned long long*>(rows + src_base + i), 1ull));
            if constexpr (fill) {
                const synapse s = connect::make_synapse(v, key, j, entity, q);
                keys[slot] = connect::order_key(s);
                weights[slot] = s.weight;
            }
        });
}

/// One thread per source: runs of equal keys (multapses of one delay) get their weights in ascending order;
/// a run longer than max_tie_run is left to a full sort and flagged.
__global__ void __launch_bounds__(block) order_ties_kernel(const std::uint64_t* __restrict__ offsets, std::uint64_t sources,
                                                           const std::uint64_t* __restrict__ keys, std::int64_t* __restrict__ weights,
                                                           unsigned* long_ties) {
    const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
    for (std::uint64_t g = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < sources; g += stride) {
        const std::uint64_t end = offsets[g + 1];
        for (std::uint64_t x = offsets[g]; x < end;) {
            const std::uint64_t k = keys[x];
            std::uint64_t y = x + 1;
            while (y < end && keys[y] == k) ++y;
            if (y - x > max_tie_run) {
                *long_ties = 1u;
            } else {
                for (std::uint64_t a = x + 1; a < y; ++a) {  // insertion sort
                    const std::int64_t w = weights[a];
                    std::uint64_t b = a;
                    for (; b > x && weights[b - 1] > w; --b) weights[b] = weights[b - 1];
                    weights[b] = w;
                }
            }
            x = y;
        }
    }
}

/// Order keys and weights into synapses, and the delay range: range[0] min (0: a flagged synapse), range[1] max.
__global__ void __launch_bounds__(block) pack_kernel(const std::uint64_t* __restrict__ keys, const std::int64_t* __restrict__ weights,
                                                     std::uint64_t n, synapse* __restrict__ out, unsigned* range) {
    unsigned lo = 0xFFFFu, hi = 0u;
    const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
    for (std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const synapse s = connect::synapse_of(keys[i], weights[i]);
        lo = min(lo, static_cast<unsigned>(s.delay));
        hi = max(hi, static_cast<unsigned>(s.delay));
        out[i] = s;
    }
    using reduce = cub::BlockReduce<unsigned, block>;
    __shared__ typename reduce::TempStorage tmp;
    const unsigned block_lo = reduce(tmp).Reduce(lo, ::cuda::minimum<>{});
    __syncthreads();
    const unsigned block_hi = reduce(tmp).Reduce(hi, ::cuda::maximum<>{});
    if (threadIdx.x == 0) {
        atomicMin(range, block_lo);
        atomicMax(range + 1, block_hi);
    }
}

/// Blocks for n items of grid-stride work: enough to fill the device, no more than the items need.
unsigned blocks_for(std::uint64_t n, int multiprocessors) {
    return static_cast<unsigned>(std::max<std::uint64_t>(1, std::min<std::uint64_t>((n + block - 1) / block, std::uint64_t(multiprocessors) * 8)));
}

/// Device bytes held now and at most.
struct usage {
    std::uint64_t now = 0, peak = 0;
    void hold(std::uint64_t bytes) {
        now += bytes;
        peak = std::max(peak, now);
    }
    void release(std::uint64_t bytes) { now -= bytes; }
};

/// Threads per launch and the Floyd slots they need for one projection.
struct launch_shape {
    unsigned blocks = 1, threads = block;
    std::uint32_t log2_slots = 0;
    std::uint64_t slots = 0;  ///< all threads' Floyd slots (0: the rule needs none)
};

launch_shape shape_of(const connect::projection_view& v, std::uint64_t n_entities, int multiprocessors) {
    launch_shape l;
    l.blocks = blocks_for(n_entities, multiprocessors);
    if (!connect::uses_floyd(v)) return l;
    l.log2_slots = connect::floyd_log2_slots(v.count);
    const std::uint64_t per_thread = std::uint64_t{1} << l.log2_slots;
    const std::uint64_t fit = std::max<std::uint64_t>(1, gpu_limits::floyd_scratch / (per_thread * 8));  // threads whose sets fit the budget
    if (fit < block) {
        l.blocks = 1;
        l.threads = static_cast<unsigned>(std::min<std::uint64_t>(fit, std::max<std::uint64_t>(1, n_entities)));
    } else {
        l.blocks = std::min<unsigned>(l.blocks, static_cast<unsigned>(std::min<std::uint64_t>(fit / block, 0xFFFFFFFFu)));
    }
    l.slots = std::uint64_t{l.blocks} * l.threads * per_thread;
    return l;
}

/// Makes keys and values current in the same half of the two buffers (copies the values over when the sort
/// left them in the other), so the other half is free as a whole.
void align(cub::DoubleBuffer<std::uint64_t>& keys, cub::DoubleBuffer<std::int64_t>& values, std::uint64_t n, cudaStream_t s) {
    if (keys.selector == values.selector) return;
    SYNFIRE_CUDA(cudaMemcpyAsync(values.d_buffers[keys.selector], values.Current(), n * 8, cudaMemcpyDeviceToDevice, s));
    values.selector = keys.selector;
}

}  // namespace

device_synapse_table build_synapses_on_device(const model& m, cudaStream_t s) {
    const auto t0 = std::chrono::steady_clock::now();
    device_synapse_table t;
    t.base = population_bases(m);
    t.receives.assign(m.populations.size(), false);
    for (const auto& pr : m.projections) t.receives[pr.target] = true;
    if (m.projections.empty()) return t;  // no offsets either, as build_synapses
    int device = 0, multiprocessors = 1;
    SYNFIRE_CUDA(cudaGetDevice(&device));
    SYNFIRE_CUDA(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
    const philox_key key = make_key(m.seed);
    const std::uint64_t neurons = t.base.back();
    usage mem;

    // explicit lists, the views and launch shapes of every projection, and the Floyd slots the largest needs
    std::vector<device_buffer<explicit_synapse>> lists(m.projections.size());
    std::vector<connect::projection_view> views;
    std::vector<launch_shape> shapes;
    std::uint64_t floyd_words = 0;
    for (std::size_t pi = 0; pi < m.projections.size(); ++pi) {
        const auto& list = m.projections[pi].synapses;
        if (!list.empty()) {
            lists[pi] = device_buffer<explicit_synapse>(list.size());
            mem.hold(list.size() * sizeof(explicit_synapse));
            SYNFIRE_CUDA(cudaMemcpyAsync(lists[pi].data(), list.data(), list.size() * sizeof(explicit_synapse), cudaMemcpyHostToDevice, s));
        }
        views.push_back(connect::view_of(m, pi, lists[pi].data()));
        shapes.push_back(shape_of(views.back(), connect::entities(views.back(), list.size()), multiprocessors));
        floyd_words = std::max(floyd_words, shapes.back().slots);
    }
    device_buffer<std::uint64_t> floyd(floyd_words);
    mem.hold(floyd_words * 8);
    device_buffer<std::uint64_t> rows(neurons + 1);  // counts, then cursors
    device_buffer<std::uint64_t> offsets(neurons + 1);
    mem.hold(2 * (neurons + 1) * 8);

    auto sweep = [&](bool fill, std::uint64_t* keys, std::int64_t* weights) {
        for (std::size_t pi = 0; pi < m.projections.size(); ++pi) {
            const connect::projection_view& v = views[pi];
            const launch_shape& l = shapes[pi];
            const std::uint64_t n_entities = connect::entities(v, m.projections[pi].synapses.size());
            if (n_entities == 0) continue;
            if (l.slots) SYNFIRE_CUDA(cudaMemsetAsync(floyd.data(), 0, l.slots * 8, s));
            const std::uint64_t src_base = t.base[m.projections[pi].source];
            std::uint64_t* slots = l.slots ? floyd.data() : nullptr;
            if (fill)
                generate_kernel<true><<<l.blocks, l.threads, 0, s>>>(v, key, src_base, n_entities, rows.data(), slots, l.log2_slots, keys, weights);
            else
                generate_kernel<false><<<l.blocks, l.threads, 0, s>>>(v, key, src_base, n_entities, rows.data(), slots, l.log2_slots, nullptr, nullptr);
            SYNFIRE_CUDA_LAUNCHED("generate_kernel");
        }
    };

    // pass 0: counts, scanned into offsets
    SYNFIRE_CUDA(cudaMemsetAsync(rows.data(), 0, (neurons + 1) * 8, s));
    sweep(false, nullptr, nullptr);
    {
        std::size_t bytes = 0;
        const auto items = static_cast<std::int64_t>(neurons + 1);
        SYNFIRE_CUDA(cub::DeviceScan::ExclusiveSum(nullptr, bytes, rows.data(), offsets.data(), items, s));
        device_buffer<unsigned char> tmp(bytes);
        mem.hold(bytes);
        SYNFIRE_CUDA(cub::DeviceScan::ExclusiveSum(tmp.data(), bytes, rows.data(), offsets.data(), items, s));
        t.host_offsets.resize(neurons + 1);
        SYNFIRE_CUDA(cudaMemcpyAsync(t.host_offsets.data(), offsets.data(), (neurons + 1) * 8, cudaMemcpyDeviceToHost, s));
        SYNFIRE_CUDA(cudaStreamSynchronize(s));
        mem.release(bytes);
    }
    const std::uint64_t n = t.host_offsets[neurons];
    t.size = n;
    auto since = [](std::chrono::steady_clock::time_point& mark) {
        const auto now = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(now - mark).count();
        mark = now;
        return s;
    };
    auto mark = t0;
    t.phase_seconds[0] = since(mark);

    // pass 1: order keys (first half) and weights (second half) of every synapse at its source's cursor
    device_buffer<synapse> first(n);  // 16 B per synapse: n keys, then n weights
    mem.hold(n * 16);
    auto halves = [n](device_buffer<synapse>& b) {
        auto* words = reinterpret_cast<std::uint64_t*>(b.data());
        return std::pair{words, reinterpret_cast<std::int64_t*>(words + n)};
    };
    if (n > 0) {
        SYNFIRE_CUDA(cudaMemcpyAsync(rows.data(), offsets.data(), (neurons + 1) * 8, cudaMemcpyDeviceToDevice, s));
        sweep(true, halves(first).first, halves(first).second);
    }
    SYNFIRE_CUDA(cudaStreamSynchronize(s));
    t.phase_seconds[1] = since(mark);
    rows = {};
    floyd = {};
    lists.clear();
    mem.release((neurons + 1) * 8 + floyd_words * 8);
    for (const auto& pr : m.projections) mem.release(pr.synapses.size() * sizeof(explicit_synapse));

    if (n > 0) {
        // sort each source's synapses by order key, then order the weights of equal keys
        device_buffer<synapse> second(n);
        mem.hold(n * 16);
        cub::DoubleBuffer<std::uint64_t> keys(halves(first).first, halves(second).first);
        cub::DoubleBuffer<std::int64_t> weights(halves(first).second, halves(second).second);
        const auto items = static_cast<std::int64_t>(n), segments = static_cast<std::int64_t>(neurons);
        const std::uint64_t* begin = offsets.data();
        const std::uint64_t* end = offsets.data() + 1;
        device_buffer<unsigned char> tmp;
        auto storage = [&](std::size_t bytes) {  // temporary storage of at least `bytes`
            if (bytes > tmp.size()) {
                mem.release(tmp.size());
                tmp = {};
                tmp = device_buffer<unsigned char>(bytes);
                mem.hold(bytes);
                t.sort_bytes = std::max<std::uint64_t>(t.sort_bytes, bytes);
            }
        };
        std::size_t bytes = 0;
        SYNFIRE_CUDA(cub::DeviceSegmentedSort::SortPairs(nullptr, bytes, keys, weights, items, segments, begin, end, s));
        storage(bytes);
        SYNFIRE_CUDA(cub::DeviceSegmentedSort::SortPairs(tmp.data(), bytes, keys, weights, items, segments, begin, end, s));
        align(keys, weights, n, s);

        device_buffer<unsigned> flags(3);  // long ties, delay min, delay max
        const unsigned init[3] = {0u, 0xFFFFu, 0u};
        SYNFIRE_CUDA(cudaMemcpyAsync(flags.data(), init, sizeof(init), cudaMemcpyHostToDevice, s));
        order_ties_kernel<<<blocks_for(neurons, multiprocessors), block, 0, s>>>(offsets.data(), neurons, keys.Current(), weights.Current(), flags.data());
        SYNFIRE_CUDA_LAUNCHED("order_ties_kernel");
        unsigned long_ties = 0;
        SYNFIRE_CUDA(cudaMemcpyAsync(&long_ties, flags.data(), sizeof(unsigned), cudaMemcpyDeviceToHost, s));
        SYNFIRE_CUDA(cudaStreamSynchronize(s));
        if (long_ties) {  // by weight, then stably by order key
            t.long_ties = true;
            cub::DoubleBuffer<std::int64_t> by_weight(weights.Current(), weights.Alternate());
            cub::DoubleBuffer<std::uint64_t> keys_along(keys.Current(), keys.Alternate());
            SYNFIRE_CUDA(cub::DeviceSegmentedSort::SortPairs(nullptr, bytes, by_weight, keys_along, items, segments, begin, end, s));
            storage(bytes);
            SYNFIRE_CUDA(cub::DeviceSegmentedSort::SortPairs(tmp.data(), bytes, by_weight, keys_along, items, segments, begin, end, s));
            keys = keys_along;
            weights = by_weight;
            align(keys, weights, n, s);
            SYNFIRE_CUDA(cub::DeviceSegmentedSort::StableSortPairs(nullptr, bytes, keys, weights, items, segments, begin, end, s));
            storage(bytes);
            SYNFIRE_CUDA(cub::DeviceSegmentedSort::StableSortPairs(tmp.data(), bytes, keys, weights, items, segments, begin, end, s));
            align(keys, weights, n, s);
        }

        t.phase_seconds[2] = since(mark);

        // pack into the free buffer
        device_buffer<synapse>& out = keys.Current() == halves(first).first ? second : first;
        pack_kernel<<<blocks_for(n, multiprocessors), block, 0, s>>>(keys.Current(), weights.Current(), n, out.data(), flags.data() + 1);
        SYNFIRE_CUDA_LAUNCHED("pack_kernel");
        unsigned range[2];
        SYNFIRE_CUDA(cudaMemcpyAsync(range, flags.data() + 1, sizeof(range), cudaMemcpyDeviceToHost, s));
        SYNFIRE_CUDA(cudaStreamSynchronize(s));
        t.phase_seconds[3] = since(mark);
        if (range[0] == 0) throw user_error(flagged_synapses_message(m));
        t.min_delay = static_cast<int>(range[0]);
        t.max_delay = static_cast<int>(range[1]);
        t.synapses = std::move(out);
    }
    t.offsets = std::move(offsets);
    t.peak_bytes = mem.peak;
    t.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return t;
}

synapse_table to_host(const device_synapse_table& t) {
    synapse_table h;
    h.base = t.base;
    h.receives = t.receives;
    h.offsets = t.host_offsets;
    h.synapses.resize(t.size);
    if (t.size) SYNFIRE_CUDA(cudaMemcpy(h.synapses.data(), t.synapses.data(), t.size * sizeof(synapse), cudaMemcpyDeviceToHost));
    h.min_delay = t.min_delay;
    h.max_delay = t.max_delay;
    h.build_seconds = t.build_seconds;
    return h;
}

}  // namespace synfire::cuda
