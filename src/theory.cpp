#include "synfire/theory.hpp"

#include <cmath>
#include <limits>

namespace synfire {

double lif_dc_period_ms(const neuron_params& p, double I) {
    const double V_inf = p.tau_m / p.C_m * I;  // steady-state depolarisation [mV rel. E_L]
    const double theta = p.V_th - p.E_L, reset = p.V_reset - p.E_L;
    if (V_inf <= theta) return std::numeric_limits<double>::infinity();
    return p.t_ref + p.tau_m * std::log((V_inf - reset) / (V_inf - theta));
}

double lif_dc_rate_hz(const neuron_params& p, double I) {
    const double T = lif_dc_period_ms(p, I);
    return std::isfinite(T) ? 1000.0 / T : 0.0;
}

}  // namespace synfire
