#pragma once
// Diagnostic build only (cmake -DSYNFIRE_PHASE_CLOCKS=ON): where a step of the persistent window kernel
// spends its time, per block. Thread 0 of each block reads the SM's cycle counter at the phase boundaries
// of every step and adds each phase's cycles to its block's row in device memory at the end of the launch;
// the backend prints the table when it is destroyed (report_phase_clocks). Thread 0 is the thread that
// arrives at and polls the grid barrier, so its "wait" phase is the block's slack behind the slowest block.
// Without the option every call here compiles to nothing.
#include <cstdint>

namespace synfire::cuda {

inline constexpr int clock_phases = 7;
inline constexpr unsigned clock_blocks = 2048;  ///< blocks with a row; the rest are not counted

#ifdef SYNFIRE_PHASE_CLOCKS
/// [block][phase] cycles and [block] steps, summed over every launch of the run.
__device__ unsigned long long phase_cycles[clock_blocks][clock_phases];
__device__ unsigned long long phase_steps[clock_blocks];

struct phase_clock {
    long long last = 0;
    unsigned long long sum[clock_phases] = {};
    unsigned long long steps = 0;
    __device__ __forceinline__ void start() {
        if (threadIdx.x == 0) last = clock64();
    }
    __device__ __forceinline__ void mark(int phase) {
        if (threadIdx.x == 0) {
            const long long now = clock64();
            sum[phase] += static_cast<unsigned long long>(now - last);
            last = now;
        }
    }
    __device__ __forceinline__ void step() { ++steps; }
    __device__ __forceinline__ void flush() {
        if (threadIdx.x == 0 && blockIdx.x < clock_blocks) {
            for (int p = 0; p < clock_phases; ++p) atomicAdd(&phase_cycles[blockIdx.x][p], sum[p]);
            atomicAdd(&phase_steps[blockIdx.x], steps);
        }
    }
};
#else
struct phase_clock {
    __device__ __forceinline__ void start() {}
    __device__ __forceinline__ void mark(int) {}
    __device__ __forceinline__ void step() {}
    __device__ __forceinline__ void flush() {}
};
#endif

}  // namespace synfire::cuda
