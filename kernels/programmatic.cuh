#pragma once
// Programmatic dependent launch (Hopper, sm 90+): a kernel launched with the programmatic stream
// serialization attribute may start while the kernel before it in the stream is still running, and must
// wait (griddepcontrol.wait) before it touches anything that kernel, or any kernel before it, writes or
// reads. The launch of the next kernel is allowed early with griddepcontrol.launch_dependents.
//
// Both instructions are no-ops for a grid launched without the attribute, and are compiled out below sm 90,
// so kernels call them unconditionally and the launch decides.
#include <cuda_runtime.h>

#include "cuda_check.hpp"

namespace synfire::cuda {

/// Blocks until every grid this one depends on has completed and its memory is visible.
__device__ __forceinline__ void wait_for_earlier_grids() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

/// Lets the next grid in the stream launch (it still waits for this one before touching shared data).
__device__ __forceinline__ void allow_next_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

/// Launches kernel<<<grid, block, 0, s>>>(args...), allowed to overlap the previous kernel of the stream
/// when `programmatic` is set (the kernel must call wait_for_earlier_grids() first where it matters).
template <class... Params, class... Args>
void launch_kernel(void (*kernel)(Params...), unsigned grid, unsigned block, cudaStream_t s, bool programmatic, Args&&... args) {
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(grid);
    config.blockDim = dim3(block);
    config.dynamicSmemBytes = 0;
    config.stream = s;
    cudaLaunchAttribute attribute[1];
    attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attribute[0].val.programmaticStreamSerializationAllowed = 1;
    config.attrs = attribute;
    config.numAttrs = programmatic ? 1 : 0;
    SYNFIRE_CUDA(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

}  // namespace synfire::cuda
