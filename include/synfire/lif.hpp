#pragma once
// Per-neuron update of the leaky integrate-and-fire models, shared by the CPU loop and the CUDA kernels.
//
// iaf_psc_exp: LIF with exponentially decaying current synapses, integrated exactly.
//   Rotter & Diesmann (1999), "Exact digital simulation of time-invariant linear systems with
//   applications to neuronal modeling", Biol. Cybern. 81:381-402; NEST models/iaf_psc_exp.cpp.
// iaf_psc_delta: LIF with delta synapses (input jumps V by its weight in mV); NEST models/iaf_psc_delta.cpp.
//
// All potentials are relative to E_L. Constants are computed on the host in double and rounded once to
// float; the per-step code uses only + - * and comparisons, in NEST's order, and is compiled without
// floating-point contraction on both sides, so CPU and GPU give identical bits.
#include <cstdint>

#include "synfire/host_device.hpp"

namespace synfire {

/// Constants of one iaf_psc_exp population (see propagators.hpp for how they are computed).
struct iaf_psc_exp_coeffs {
    float P22;        ///< exp(-h/tau_m)
    float P11ex;      ///< exp(-h/tau_syn_ex)
    float P11in;      ///< exp(-h/tau_syn_in)
    float P21ex;      ///< I_ex -> V propagator [mV/pA]
    float P21in;      ///< I_in -> V propagator [mV/pA]
    float P20;        ///< constant current -> V propagator [mV/pA]
    float theta;      ///< V_th - E_L [mV]
    float V_reset;    ///< V_reset - E_L [mV]
    std::int32_t ref_steps;  ///< refractory period t_ref/h [steps]
};

/// Constants of one iaf_psc_delta population.
struct iaf_psc_delta_coeffs {
    float P33;        ///< exp(-h/tau_m)
    float P30;        ///< constant current -> V propagator [mV/pA]
    float theta;      ///< V_th - E_L [mV]
    float V_reset;    ///< V_reset - E_L [mV]
    float V_min;      ///< lower bound of V, V_min - E_L [mV] (-inf: none)
    std::int32_t ref_steps;  ///< refractory period t_ref/h [steps]
};

/// One step of iaf_psc_exp from t to t+h. V [mV rel. E_L], I_ex, I_in [pA], r [refractory steps left];
/// I is the constant current (I_e + stimuli) during this step [pA]; in_ex, in_in are the synaptic
/// input arriving this step [pA]. Returns true when the neuron spikes (spike time (t+1)·h).
SYNFIRE_HD bool iaf_psc_exp_step(float& V, float& I_ex, float& I_in, std::int32_t& r, float I, float in_ex,
                                 float in_in, const iaf_psc_exp_coeffs& c) {
    const bool integrating = r == 0;
    const float V_new = V * c.P22 + I_ex * c.P21ex + I_in * c.P21in + I * c.P20;
    V = integrating ? V_new : V;
    r = integrating ? r : r - 1;
    I_ex = I_ex * c.P11ex + in_ex;
    I_in = I_in * c.P11in + in_in;
    const bool spike = V >= c.theta;
    V = spike ? c.V_reset : V;
    r = spike ? c.ref_steps : r;
    return spike;
}

/// One step of iaf_psc_delta from t to t+h. V [mV rel. E_L], r [refractory steps left], I the constant
/// current during this step [pA], in the summed synaptic jump arriving this step [mV], dropped while
/// refractory (NEST's refractory_input = false). Returns true on a spike.
SYNFIRE_HD bool iaf_psc_delta_step(float& V, std::int32_t& r, float I, float in, const iaf_psc_delta_coeffs& c) {
    const bool integrating = r == 0;
    float V_new = I * c.P30 + V * c.P33 + in;
    V_new = V_new < c.V_min ? c.V_min : V_new;
    V = integrating ? V_new : V;
    r = integrating ? r : r - 1;
    const bool spike = V >= c.theta;
    V = spike ? c.V_reset : V;
    r = spike ? c.ref_steps : r;
    return spike;
}

}  // namespace synfire
