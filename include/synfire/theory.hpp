#pragma once
// Closed forms of the LIF neuron under constant current, for summaries, plots and tests.
#include "synfire/model.hpp"

namespace synfire {

/// Interspike interval under constant current I [pA] in continuous time, t_ref + tau_m·ln((R·I + E_L - V_reset)
/// / (R·I + E_L - V_th)) with R = tau_m/C_m [ms]; infinity below rheobase.
double lif_dc_period_ms(const neuron_params& p, double I);

/// 1000 / lif_dc_period_ms [Hz]; 0 below rheobase.
double lif_dc_rate_hz(const neuron_params& p, double I);

}  // namespace synfire
