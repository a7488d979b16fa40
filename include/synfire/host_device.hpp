#pragma once
/// SYNFIRE_HD marks the per-neuron numerics that the CPU loop and the CUDA kernels share.
#if defined(__CUDACC__)
#define SYNFIRE_HD __host__ __device__ __forceinline__
#else
#define SYNFIRE_HD inline
#endif
