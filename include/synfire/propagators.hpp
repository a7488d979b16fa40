#pragma once
// Exact-integration propagators of the LIF models, computed in double on the host.
#include <cstdint>

#include "synfire/lif.hpp"

namespace synfire {

struct neuron_params;

/// exp(-h/tau) [1]; h, tau in ms, tau > 0.
double propagator_decay(double h, double tau);

/// Constant current -> V: tau_m/C_m·(1 - exp(-h/tau_m)) [mV/pA], evaluated with expm1.
double propagator_current(double h, double tau_m, double C_m);

/// Exponential synaptic current -> V: tau_s·tau_m/(C_m·(tau_m - tau_s))·(exp(-h/tau_m) - exp(-h/tau_s))
/// [mV/pA], written as exp(-h/tau_s)·expm1(h·d)/(C_m·d) with d = 1/tau_s - 1/tau_m so that it stays exact
/// as tau_s approaches tau_m, where it tends to h/C_m·exp(-h/tau_m).
double propagator_syn(double h, double tau_m, double tau_s, double C_m);

/// Refractory period in whole steps, round(t_ref/h).
std::int32_t refractory_steps(double h, double t_ref);

/// Population constants, each rounded once from double to float.
iaf_psc_exp_coeffs make_iaf_psc_exp_coeffs(const neuron_params& p, double h);
iaf_psc_delta_coeffs make_iaf_psc_delta_coeffs(const neuron_params& p, double h);

}  // namespace synfire
