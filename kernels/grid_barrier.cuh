#pragma once
// A grid-wide barrier for cooperative launches (every block resident), used by the persistent window kernel
// and timed on its own by bench_gpu.
#include <cuda/atomic>

#include "synfire/cuda.hpp"

namespace synfire::cuda {

/// The block's arrival at a grid barrier: counter is zeroed before the launch and grows by one per block and
/// barrier. A release add at device scope; the bar.sync before it extends it to the whole block.
__device__ __forceinline__ void grid_arrive(unsigned* counter) {
    __syncthreads();
    if (threadIdx.x == 0) {
        ::cuda::atomic_ref<unsigned, ::cuda::thread_scope_device> arrived(*counter);
        arrived.fetch_add(1u, ::cuda::memory_order_release);
    }
}

/// Waits until every block of the launch has arrived at barrier number `generation` (0, 1, ...). All blocks
/// are resident (cooperative launch), so spinning is safe. An acquire load at device scope; the bar.sync
/// after it extends it to the whole block. Between grid_arrive and grid_wait a block may do work that touches
/// nothing another block writes before the barrier. sleep_ns: between polls (__nanosleep sleeps up to twice
/// that; 0: none, as cooperative_groups' grid.sync(), which bench_gpu measured 0.13-0.35 us faster per barrier
/// at 264-528 blocks on an H200).
__device__ __forceinline__ void grid_wait(unsigned* counter, unsigned generation, unsigned sleep_ns = gpu_limits::barrier_sleep_ns) {
    if (threadIdx.x == 0) {
        ::cuda::atomic_ref<unsigned, ::cuda::thread_scope_device> arrived(*counter);
        const unsigned target = (generation + 1) * gridDim.x;
        while (arrived.load(::cuda::memory_order_acquire) < target)
            if (sleep_ns) __nanosleep(sleep_ns);
    }
    __syncthreads();
}

/// Both at once. (v3 polled with atomic adds, 264 blocks on one word twice per step, and measured slower than
/// launching the kernels; loads do not serialise at L2.)
__device__ __forceinline__ void grid_barrier(unsigned* counter, unsigned generation, unsigned sleep_ns = gpu_limits::barrier_sleep_ns) {
    grid_arrive(counter);
    grid_wait(counter, generation, sleep_ns);
}

}  // namespace synfire::cuda
