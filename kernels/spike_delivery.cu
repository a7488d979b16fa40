// Spike delivery: each warp reads 32 words of a window's spike bitmap; for every set bit, the whole warp walks
// that neuron's synapses (CSR by source, grouped by delay, so neighbouring lanes mostly hit one slot) and adds
// each weight to its target's ring slot with a 64-bit atomic. Integer addition is associative: the sums do not
// depend on the order the warps reach them in.
#include "cuda_check.hpp"
#include "launchers.hpp"
#include "programmatic.cuh"
#include "step_delivery.cuh"

namespace synfire::cuda {
namespace {

constexpr unsigned block_size = 256;

__global__ void __launch_bounds__(block_size) deliver_kernel(const std::uint32_t* bitmap, std::size_t words, std::size_t total_words,
                                                             int first_slot, std::uint64_t source_base, const std::uint64_t* offsets,
                                                             const synapse* synapses, const ring_view* rings, int slots) {
    const unsigned lane = threadIdx.x & 31u;
    const std::size_t first_word = (static_cast<std::size_t>(blockIdx.x) * block_size + threadIdx.x) & ~std::size_t{31};
    const std::size_t my_word = first_word + lane;
    const std::uint32_t mine = my_word < total_words ? bitmap[my_word] : 0u;
    std::uint32_t pending = __ballot_sync(0xFFFFFFFFu, mine != 0);
    while (pending) {
        const int owner = __ffs(pending) - 1;
        pending &= pending - 1;
        std::uint32_t bits = __shfl_sync(0xFFFFFFFFu, mine, owner);
        const std::size_t word = first_word + static_cast<std::size_t>(owner);
        int step_slot = first_slot + static_cast<int>(word / words);  // < 2·slots: window <= min delay
        if (step_slot >= slots) step_slot -= slots;
        const std::uint64_t first_neuron = source_base + (word % words) * 32u;
        while (bits) {
            const std::uint64_t source = first_neuron + static_cast<std::uint64_t>(__ffs(bits) - 1);
            bits &= bits - 1;
            deliver_range<32>(__ldg(offsets + source), __ldg(offsets + source + 1), lane, synapses, rings, step_slot, slots);
        }
    }
}

/// Programmatic: launched to overlap the update before it (programmatic.cuh); lets the next update launch at
/// once (it computes its inputs meanwhile), and waits for the update before reading the spike list. The ring
/// views are staged in shared memory first (they do not change during a run).
template <bool Programmatic, unsigned Worker>
__global__ void __launch_bounds__(block_size) deliver_step_kernel(const spike_range* list, const std::uint32_t* count,
                                                                  const std::int64_t* first_step, int k, const synapse* synapses,
                                                                  const ring_view* rings, int ring_count, int slots) {
    if constexpr (Programmatic) allow_next_grid();
    __shared__ ring_view staged[max_ring_views];
    stage_rings(staged, rings, ring_count);
    const std::int64_t step = *first_step + k;  // written before the window's first launch
    __syncthreads();
    if constexpr (Programmatic) wait_for_earlier_grids();
    deliver_step_body<false, block_size, Worker>(list, count, step, synapses, staged, slots);
}

/// One thread per source: a binary search of its row (sorted by delay) for the first delay of `from` steps or more.
__global__ void __launch_bounds__(block_size) split_kernel(const std::uint64_t* offsets, const synapse* synapses, std::uint64_t sources,
                                                           std::uint64_t* splits, int from) {
    const std::uint64_t g = static_cast<std::uint64_t>(blockIdx.x) * block_size + threadIdx.x;
    if (g >= sources) return;
    std::uint64_t lo = offsets[g], hi = offsets[g + 1];
    while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        if (synapses[mid].delay < from) lo = mid + 1;
        else hi = mid;
    }
    splits[g] = lo;
}

}  // namespace

namespace detail {
void set_streaming_synapse_loads_of_the_update(bool on);  // lif_update.cu: its copy of the switch
}

void set_streaming_synapse_loads(bool on) {
    const unsigned v = on ? 1u : 0u;
    SYNFIRE_CUDA(cudaMemcpyToSymbol(streaming_synapse_loads, &v, sizeof v));
    detail::set_streaming_synapse_loads_of_the_update(on);
}

void find_delay_splits(const std::uint64_t* offsets, const synapse* synapses, std::uint64_t sources, std::uint64_t* splits, cudaStream_t s,
                       int from) {
    if (sources == 0) return;
    split_kernel<<<static_cast<unsigned>((sources + block_size - 1) / block_size), block_size, 0, s>>>(offsets, synapses, sources, splits, from);
    SYNFIRE_CUDA_LAUNCHED("split_kernel");
}

void deliver_step(const spike_range* list, const std::uint32_t* count, const std::int64_t* first_step, int k, const synapse* synapses,
                  const ring_view* rings, int ring_count, int slots, unsigned blocks, cudaStream_t s, bool programmatic, bool warp_workers) {
    if (ring_count < 1 || ring_count > max_ring_views) throw internal_error(fmt::format("cuda delivery: {} ring views", ring_count));
    const auto kernel = warp_workers ? (programmatic ? deliver_step_kernel<true, 32> : deliver_step_kernel<false, 32>)
                                     : (programmatic ? deliver_step_kernel<true, block_size> : deliver_step_kernel<false, block_size>);
    launch_kernel(kernel, blocks, block_size, s, programmatic, list, count, first_step, k, synapses, rings, ring_count, slots);
    SYNFIRE_CUDA_LAUNCHED("deliver_step_kernel");
}

void deliver_spikes(const std::uint32_t* bitmap, std::size_t words, int steps, std::int64_t first_step, std::uint64_t source_base,
                    const std::uint64_t* offsets, const synapse* synapses, const ring_view* rings, int slots, cudaStream_t s) {
    const std::size_t total_words = words * static_cast<std::size_t>(steps);
    if (total_words == 0) return;
    const std::size_t threads = (total_words + 31) / 32 * 32;  // one lane per word, whole warps
    const auto grid = static_cast<unsigned>((threads + block_size - 1) / block_size);
    const int first_slot = static_cast<int>(first_step % slots);
    deliver_kernel<<<grid, block_size, 0, s>>>(bitmap, words, total_words, first_slot, source_base, offsets, synapses, rings, slots);
    SYNFIRE_CUDA_LAUNCHED("deliver_kernel");
}

}  // namespace synfire::cuda
