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
/// are resident (cooperative launch), so spinning is safe. An acquire at device scope; the bar.sync after it
/// extends it to the whole block. Between grid_arrive and grid_wait a block may do work that touches nothing
/// another block writes before the barrier. sleep_ns: between polls (__nanosleep sleeps up to twice that; 0:
/// none, as cooperative_groups' grid.sync(), which bench_gpu measured 0.13-0.35 us faster per barrier at
/// 264-528 blocks on an H200).
///
/// relaxed_poll: on sm 90 an acquire load at device scope is the load and an invalidation of the
/// multiprocessor's L1 (SASS: LD.E.STRONG.GPU, CCTL.IVALL), so polling with acquire loads, as cooperative_groups
/// does, invalidates the L1 of every block on the multiprocessor at each poll, among them blocks still
/// stepping. Relaxed: relaxed polls, then one acquire load. That one reads the counter's last value or a
/// later one, written by arrivals (release read-modify-writes: one release sequence), so it synchronises with
/// every arrival before it just as the polling acquire did.
__device__ __forceinline__ void grid_wait(unsigned* counter, unsigned generation, unsigned sleep_ns = gpu_limits::barrier_sleep_ns,
                                          bool relaxed_poll = false) {
    if (threadIdx.x == 0) {
        ::cuda::atomic_ref<unsigned, ::cuda::thread_scope_device> arrived(*counter);
        const unsigned target = (generation + 1) * gridDim.x;
        if (relaxed_poll) {
            while (arrived.load(::cuda::memory_order_relaxed) < target)
                if (sleep_ns) __nanosleep(sleep_ns);
            (void)arrived.load(::cuda::memory_order_acquire);
        } else {
            while (arrived.load(::cuda::memory_order_acquire) < target)
                if (sleep_ns) __nanosleep(sleep_ns);
        }
    }
    __syncthreads();
}

/// Both at once. (v3 polled with atomic adds, 264 blocks on one word twice per step, and measured slower than
/// launching the kernels; loads do not serialise at L2.)
__device__ __forceinline__ void grid_barrier(unsigned* counter, unsigned generation, unsigned sleep_ns = gpu_limits::barrier_sleep_ns,
                                             bool relaxed_poll = false) {
    grid_arrive(counter);
    grid_wait(counter, generation, sleep_ns, relaxed_poll);
}

}  // namespace synfire::cuda
