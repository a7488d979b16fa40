// Ordered compaction of spike bitmaps: a window's bitmap is laid out step-major (steps x words), so the
// flat order of its set bits is the (step, id) order the output wants. Two passes over the bitmap (a few
// bits per neuron-step) and one CUB scan over per-chunk counts; no atomics, no sort.
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/device/device_scan.cuh>

#include "cuda_check.hpp"
#include "launchers.hpp"

namespace synfire::cuda {
namespace {

constexpr unsigned chunk = static_cast<unsigned>(gpu_limits::chunk_words);  // one word per thread

__global__ void __launch_bounds__(chunk) count_kernel(const std::uint32_t* bitmap, std::size_t total_words,
                                                      std::uint32_t* chunk_counts) {
    const std::size_t w = static_cast<std::size_t>(blockIdx.x) * chunk + threadIdx.x;
    const std::uint32_t c = w < total_words ? static_cast<std::uint32_t>(__popc(bitmap[w])) : 0u;
    using reduce = cub::BlockReduce<std::uint32_t, chunk>;
    __shared__ typename reduce::TempStorage tmp;
    const std::uint32_t sum = reduce(tmp).Sum(c);
    if (threadIdx.x == 0) chunk_counts[blockIdx.x] = sum;
}

__global__ void __launch_bounds__(chunk) write_kernel(const std::uint32_t* bitmap, std::size_t words, int steps,
                                                      const std::uint32_t* chunk_offsets, std::uint32_t* ids,
                                                      std::uint32_t* step_offsets) {
    const std::size_t total_words = words * static_cast<std::size_t>(steps);
    const std::size_t w = static_cast<std::size_t>(blockIdx.x) * chunk + threadIdx.x;
    std::uint32_t bits = w < total_words ? bitmap[w] : 0u;
    using scan = cub::BlockScan<std::uint32_t, chunk>;
    __shared__ typename scan::TempStorage tmp;
    std::uint32_t prefix;
    scan(tmp).ExclusiveSum(static_cast<std::uint32_t>(__popc(bits)), prefix);
    std::uint32_t pos = chunk_offsets[blockIdx.x] + prefix;
    if (w < total_words && w % words == 0) step_offsets[w / words] = pos;
    if (w == 0) step_offsets[steps] = chunk_offsets[gridDim.x];
    const std::uint32_t first_id = static_cast<std::uint32_t>(w % words) * 32u;
    while (bits) {
        ids[pos++] = first_id + static_cast<std::uint32_t>(__ffs(bits) - 1);
        bits &= bits - 1;
    }
}

}  // namespace

std::size_t compaction_chunks(std::size_t words, int steps) {
    return (words * static_cast<std::size_t>(steps) + chunk - 1) / chunk;
}

std::size_t compaction_scan_bytes(std::size_t chunks) {
    std::size_t bytes = 0;
    SYNFIRE_CUDA(cub::DeviceScan::ExclusiveSum(nullptr, bytes, static_cast<const std::uint32_t*>(nullptr),
                                               static_cast<std::uint32_t*>(nullptr), static_cast<int>(chunks + 1)));
    return bytes;
}

void count_spikes(const std::uint32_t* bitmap, std::size_t words, int steps, std::uint32_t* chunk_counts,
                  std::uint32_t* chunk_offsets, void* scan_storage, std::size_t scan_bytes, cudaStream_t s) {
    const std::size_t chunks = compaction_chunks(words, steps);
    count_kernel<<<static_cast<unsigned>(chunks), chunk, 0, s>>>(bitmap, words * static_cast<std::size_t>(steps), chunk_counts);
    SYNFIRE_CUDA_LAUNCHED("count_kernel");
    SYNFIRE_CUDA(cudaMemsetAsync(chunk_counts + chunks, 0, sizeof(std::uint32_t), s));  // the scan's last entry: the total
    SYNFIRE_CUDA(cub::DeviceScan::ExclusiveSum(scan_storage, scan_bytes, chunk_counts, chunk_offsets, static_cast<int>(chunks + 1), s));
}

void write_spikes(const std::uint32_t* bitmap, std::size_t words, int steps, const std::uint32_t* chunk_offsets,
                  std::uint32_t* ids, std::uint32_t* step_offsets, cudaStream_t s) {
    const std::size_t chunks = compaction_chunks(words, steps);
    write_kernel<<<static_cast<unsigned>(chunks), chunk, 0, s>>>(bitmap, words, steps, chunk_offsets, ids, step_offsets);
    SYNFIRE_CUDA_LAUNCHED("write_kernel");
}

}  // namespace synfire::cuda
