#pragma once
// Device layout of the neuron state: one packed record per neuron, read and written with a single
// 16-byte (iaf_psc_exp) or 8-byte (iaf_psc_delta) transaction. DESIGN.md: four separate SoA arrays ran
// at 25% of copy bandwidth on an H100, a packed 16-byte state at 90-93%.
#include <cstdint>

namespace synfire::cuda {

struct alignas(16) exp_state {
    float V;         ///< membrane potential rel. E_L [mV]
    float I_ex;      ///< excitatory synaptic current [pA]
    float I_in;      ///< inhibitory synaptic current [pA]
    std::int32_t r;  ///< refractory steps left
};
static_assert(sizeof(exp_state) == 16);

struct alignas(8) delta_state {
    float V;         ///< membrane potential rel. E_L [mV]
    std::int32_t r;  ///< refractory steps left
};
static_assert(sizeof(delta_state) == 8);

/// One ring-buffer slot of synaptic input, int64 fixed point (see fixed_point.hpp).
struct alignas(16) exp_input {
    std::int64_t ex;  ///< excitatory [pA·2^32]
    std::int64_t in;  ///< inhibitory [pA·2^32]
};
static_assert(sizeof(exp_input) == 16);

}  // namespace synfire::cuda
