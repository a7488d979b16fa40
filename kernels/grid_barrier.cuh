#pragma once
// A grid-wide barrier for cooperative launches (every block resident), used by the persistent window kernel
// and timed on its own by bench_gpu.
#include <cuda/atomic>

namespace synfire::cuda {

/// Waits until every block of the launch has arrived at barrier number `generation` (0, 1, ...): counter is
/// zeroed before the launch and grows by one per block and barrier. All blocks are resident (cooperative
/// launch), so spinning is safe. Arrival is a release add and the wait an acquire load, both at device scope;
/// bar.sync on either side extends them to the whole block. (v3 polled with atomic adds, 264 blocks on one
/// word twice per step, and measured slower than launching the kernels; loads do not serialise at L2.)
__device__ __forceinline__ void grid_barrier(unsigned* counter, unsigned generation) {
    __syncthreads();
    if (threadIdx.x == 0) {
        ::cuda::atomic_ref<unsigned, ::cuda::thread_scope_device> arrived(*counter);
        arrived.fetch_add(1u, ::cuda::memory_order_release);
        const unsigned target = (generation + 1) * gridDim.x;
        while (arrived.load(::cuda::memory_order_acquire) < target) __nanosleep(32);
    }
    __syncthreads();
}

}  // namespace synfire::cuda
