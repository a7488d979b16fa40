#include <gtest/gtest.h>

#include <cmath>

#include "synfire/model.hpp"
#include "synfire/propagators.hpp"

namespace synfire {
namespace {

// Closed forms in long double, written the direct way.
long double decay(long double h, long double tau) { return std::exp(-h / tau); }
long double current(long double h, long double tau, long double C) { return tau / C * (1.0L - std::exp(-h / tau)); }
long double syn(long double h, long double tm, long double ts, long double C) {
    return ts * tm / (C * (tm - ts)) * (std::exp(-h / tm) - std::exp(-h / ts));
}

double rel(double a, long double b) { return static_cast<double>(std::fabs((a - b) / b)); }

TEST(Propagators, DecayAndCurrentMatchClosedForms) {
    for (double h : {0.01, 0.1, 1.0})
        for (double tau : {0.5, 2.0, 10.0, 100.0}) {
            EXPECT_LT(rel(propagator_decay(h, tau), decay(h, tau)), 1e-15);
            EXPECT_LT(rel(propagator_current(h, tau, 250.0), current(h, tau, 250.0)), 1e-14);
        }
}

TEST(Propagators, SynapticMatchesClosedFormAwayFromTheSingularity) {
    for (double h : {0.01, 0.1, 1.0})
        for (double ts : {0.5, 2.0, 5.0, 20.0}) EXPECT_LT(rel(propagator_syn(h, 10.0, ts, 250.0), syn(h, 10.0, ts, 250.0)), 1e-12);
}

TEST(Propagators, SynapticAtTauSynEqualTauMIsTheLimit) {
    for (double h : {0.01, 0.1, 1.0}) {
        const long double limit = h / 250.0L * std::exp(-h / 10.0L);
        EXPECT_LT(rel(propagator_syn(h, 10.0, 10.0, 250.0), limit), 1e-15);
    }
}

TEST(Propagators, SynapticIsContinuousThroughTheSingularity) {
    // P21 is smooth in tau_s: |P21(tau_s) - P21(tau_m)| shrinks in proportion to |tau_s - tau_m|,
    // where the naive formula loses every digit to cancellation.
    const double h = 0.1, tm = 10.0, C = 250.0;
    const double limit = propagator_syn(h, tm, tm, C);
    for (double eps : {1e-3, 1e-6, 1e-9, 1e-12, 1e-15}) {
        for (double sign : {-1.0, 1.0}) {
            const double ts = tm * (1.0 + sign * eps);
            const double p = propagator_syn(h, tm, ts, C);
            EXPECT_LE(std::fabs(p - limit) / limit, 0.01 * eps + 4e-16) << "tau_s = tau_m(1 + " << sign * eps << ")";
        }
    }
}

TEST(Propagators, CoefficientsAreRoundedOnceToFloat) {
    neuron_params p;
    p.tau_syn_ex = 0.5;
    p.tau_syn_in = 3.0;
    const double h = 0.1;
    const iaf_psc_exp_coeffs c = make_iaf_psc_exp_coeffs(p, h);
    EXPECT_EQ(c.P22, static_cast<float>(propagator_decay(h, p.tau_m)));
    EXPECT_EQ(c.P11ex, static_cast<float>(propagator_decay(h, 0.5)));
    EXPECT_EQ(c.P11in, static_cast<float>(propagator_decay(h, 3.0)));
    EXPECT_EQ(c.P21ex, static_cast<float>(propagator_syn(h, p.tau_m, 0.5, p.C_m)));
    EXPECT_EQ(c.P21in, static_cast<float>(propagator_syn(h, p.tau_m, 3.0, p.C_m)));
    EXPECT_EQ(c.P20, static_cast<float>(propagator_current(h, p.tau_m, p.C_m)));
    EXPECT_EQ(c.theta, 15.0f);
    EXPECT_EQ(c.V_reset, 0.0f);
    EXPECT_EQ(c.ref_steps, 20);
    const iaf_psc_delta_coeffs d = make_iaf_psc_delta_coeffs(p, h);
    EXPECT_EQ(d.P33, c.P22);
    EXPECT_EQ(d.P30, c.P20);
    EXPECT_TRUE(std::isinf(d.V_min) && d.V_min < 0);
}

TEST(Propagators, RefractoryStepsRound) {
    EXPECT_EQ(refractory_steps(0.1, 2.0), 20);
    EXPECT_EQ(refractory_steps(0.1, 0.3), 3);  // 0.3/0.1 = 2.9999999999999996
    EXPECT_EQ(refractory_steps(0.1, 0.0), 0);
    EXPECT_EQ(refractory_steps(0.25, 1.0), 4);
}

}  // namespace
}  // namespace synfire
