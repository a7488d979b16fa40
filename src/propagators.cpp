#include "synfire/propagators.hpp"

#include <cmath>

#include "synfire/model.hpp"

namespace synfire {

double propagator_decay(double h, double tau) { return std::exp(-h / tau); }

double propagator_current(double h, double tau_m, double C_m) { return -tau_m / C_m * std::expm1(-h / tau_m); }

double propagator_syn(double h, double tau_m, double tau_s, double C_m) {
    // tau_s·tau_m/(C·(tau_m - tau_s))·(e^(-h/tau_m) - e^(-h/tau_s)) = e^(-h/tau_s)·expm1(h·d)/(C·d),
    // d = 1/tau_s - 1/tau_m. expm1(h·d)/d -> h as d -> 0, so the form stays exact near tau_s = tau_m
    // and meets the singular case h/C·e^(-h/tau_m) continuously.
    const double d = 1.0 / tau_s - 1.0 / tau_m;
    const double x = h * d;
    const double expm1_over_d = x == 0.0 ? h : std::expm1(x) / d;
    return std::exp(-h / tau_s) * expm1_over_d / C_m;
}

std::int32_t refractory_steps(double h, double t_ref) { return static_cast<std::int32_t>(std::lround(t_ref / h)); }

iaf_psc_exp_coeffs make_iaf_psc_exp_coeffs(const neuron_params& p, double h) {
    iaf_psc_exp_coeffs c{};
    c.P22 = static_cast<float>(propagator_decay(h, p.tau_m));
    c.P11ex = static_cast<float>(propagator_decay(h, p.tau_syn_ex));
    c.P11in = static_cast<float>(propagator_decay(h, p.tau_syn_in));
    c.P21ex = static_cast<float>(propagator_syn(h, p.tau_m, p.tau_syn_ex, p.C_m));
    c.P21in = static_cast<float>(propagator_syn(h, p.tau_m, p.tau_syn_in, p.C_m));
    c.P20 = static_cast<float>(propagator_current(h, p.tau_m, p.C_m));
    c.theta = static_cast<float>(p.V_th - p.E_L);
    c.V_reset = static_cast<float>(p.V_reset - p.E_L);
    c.ref_steps = refractory_steps(h, p.t_ref);
    return c;
}

iaf_psc_delta_coeffs make_iaf_psc_delta_coeffs(const neuron_params& p, double h) {
    iaf_psc_delta_coeffs c{};
    c.P33 = static_cast<float>(propagator_decay(h, p.tau_m));
    c.P30 = static_cast<float>(propagator_current(h, p.tau_m, p.C_m));
    c.theta = static_cast<float>(p.V_th - p.E_L);
    c.V_reset = static_cast<float>(p.V_reset - p.E_L);
    c.V_min = static_cast<float>(p.V_min - p.E_L);
    c.ref_steps = refractory_steps(h, p.t_ref);
    return c;
}

}  // namespace synfire
