// Neuron update kernels: one thread per neuron, the shared per-neuron step of lif.hpp, spikes recorded with
// one warp ballot per step into a bitmap (no atomics; compacted in order by spike_compaction.cu).
#include "cuda_check.hpp"
#include "launchers.hpp"
#include "synfire/fixed_point.hpp"
#include "synfire/lif.hpp"

namespace synfire::cuda {
namespace {

constexpr unsigned block_size = 256;

struct exp_args {
    exp_state* state;
    const float* I_neuron;
    exp_input* input;
    std::uint32_t* bitmap;
    std::uint32_t n;
    std::uint32_t words;
    int steps;
    iaf_psc_exp_coeffs c;
    step_currents I;
};

struct delta_args {
    delta_state* state;
    const float* I_neuron;
    std::int64_t* input;
    std::uint32_t* bitmap;
    std::uint32_t n;
    std::uint32_t words;
    int steps;
    iaf_psc_delta_coeffs c;
    step_currents I;
};

/// Lane 0 of each warp stores the warp's spike bits of step k. Every lane of the warp must call this.
__device__ __forceinline__ void record_spikes(std::uint32_t* bitmap, std::uint32_t words, int k, std::uint32_t i, bool spike) {
    const std::uint32_t bits = __ballot_sync(0xFFFFFFFFu, spike);
    const std::uint32_t word = i >> 5;
    if ((threadIdx.x & 31u) == 0 && word < words) bitmap[static_cast<std::size_t>(k) * words + word] = bits;
}

__global__ void __launch_bounds__(block_size) exp_kernel(const exp_args a) {
    const std::uint32_t i = blockIdx.x * block_size + threadIdx.x;
    const bool live = i < a.n;
    exp_state s{0.0f, 0.0f, 0.0f, 0};
    if (live) s = a.state[i];
    const float I_neuron = a.I_neuron && live ? a.I_neuron[i] : 0.0f;
    float in_ex = 0.0f, in_in = 0.0f;
    if (a.input && live) {
        const exp_input slot = a.input[i];
        in_ex = fixed_to_float(slot.ex);
        in_in = fixed_to_float(slot.in);
        a.input[i] = exp_input{0, 0};
    }
    for (int k = 0; k < a.steps; ++k) {
        const float I = a.I_neuron ? a.I.I[k] + I_neuron : a.I.I[k];
        const bool spike = iaf_psc_exp_step(s.V, s.I_ex, s.I_in, s.r, I, in_ex, in_in, a.c) && live;
        record_spikes(a.bitmap, a.words, k, i, spike);
        in_ex = in_in = 0.0f;  // input reaches only the first step (a window with input has one step)
    }
    if (live) a.state[i] = s;
}

__global__ void __launch_bounds__(block_size) delta_kernel(const delta_args a) {
    const std::uint32_t i = blockIdx.x * block_size + threadIdx.x;
    const bool live = i < a.n;
    delta_state s{0.0f, 0};
    if (live) s = a.state[i];
    const float I_neuron = a.I_neuron && live ? a.I_neuron[i] : 0.0f;
    float in = 0.0f;
    if (a.input && live) {
        in = fixed_to_float(a.input[i]);
        a.input[i] = 0;
    }
    for (int k = 0; k < a.steps; ++k) {
        const float I = a.I_neuron ? a.I.I[k] + I_neuron : a.I.I[k];
        const bool spike = iaf_psc_delta_step(s.V, s.r, I, in, a.c) && live;
        record_spikes(a.bitmap, a.words, k, i, spike);
        in = 0.0f;
    }
    if (live) a.state[i] = s;
}

unsigned grid_for(std::uint32_t n) { return (n + block_size - 1) / block_size; }

void check_window(int steps, const void* input) {
    if (steps < 1 || steps > gpu_limits::max_window || (input && steps != 1))
        throw internal_error(fmt::format("cuda update: window of {} steps{}", steps, input ? " with synaptic input" : ""));
}

}  // namespace

void update_iaf_psc_exp(exp_state* state, const float* I_neuron, exp_input* input, std::uint32_t* bitmap, std::uint32_t n,
                        int steps, const step_currents& I, const iaf_psc_exp_coeffs& c, cudaStream_t s) {
    check_window(steps, input);
    if (n == 0) return;
    const exp_args a{state, I_neuron, input, bitmap, n, (n + 31) / 32, steps, c, I};
    exp_kernel<<<grid_for(n), block_size, 0, s>>>(a);
    SYNFIRE_CUDA_LAUNCHED("exp_kernel");
}

void update_iaf_psc_delta(delta_state* state, const float* I_neuron, std::int64_t* input, std::uint32_t* bitmap,
                          std::uint32_t n, int steps, const step_currents& I, const iaf_psc_delta_coeffs& c, cudaStream_t s) {
    check_window(steps, input);
    if (n == 0) return;
    const delta_args a{state, I_neuron, input, bitmap, n, (n + 31) / 32, steps, c, I};
    delta_kernel<<<grid_for(n), block_size, 0, s>>>(a);
    SYNFIRE_CUDA_LAUNCHED("delta_kernel");
}

}  // namespace synfire::cuda
