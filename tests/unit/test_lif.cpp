#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "synfire/fixed_point.hpp"
#include "synfire/lif.hpp"
#include "synfire/model.hpp"
#include "synfire/propagators.hpp"

namespace synfire {
namespace {

iaf_psc_exp_coeffs exp_coeffs(double t_ref = 2.0) {
    neuron_params p;
    p.t_ref = t_ref;
    return make_iaf_psc_exp_coeffs(p, 0.1);
}
iaf_psc_delta_coeffs delta_coeffs(double t_ref = 2.0, double V_min = -std::numeric_limits<double>::infinity()) {
    neuron_params p;
    p.t_ref = t_ref;
    p.V_min = V_min;
    return make_iaf_psc_delta_coeffs(p, 0.1);
}

TEST(FixedPoint, LaneConversionEqualsTheScalarOne) {
    // fixed_to_float_lanes against fixed_to_float: values whose conversion rounds (odd values past 2^24, ties),
    // the edges of the fast path (|acc| just under and at 2^51), random values of every magnitude, and blocks
    // with one value outside the fast path (the scalar fallback)
    std::vector<std::int64_t> v = {0, 1, -1, (1ll << 24) + 1, (1ll << 25) + 2, (1ll << 25) + 6, -((1ll << 40) + (1ll << 16) + 1),
                                   (1ll << 51) - 1, -(1ll << 51), (1ll << 51) - (1ll << 27), 123456789012345ll};
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v.push_back(static_cast<std::int64_t>(x) >> (13 + i % 40));  // magnitudes from 2^11 to 2^50
    }
    const auto same = [](float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; };
    std::vector<float> out(v.size());
    fixed_to_float_lanes(v.data(), v.size(), out.data());
    for (std::size_t i = 0; i < v.size(); ++i) ASSERT_TRUE(same(out[i], fixed_to_float(v[i]))) << v[i];
    for (std::int64_t outside : {std::int64_t{1} << 51, -(std::int64_t{1} << 51) - 1, std::int64_t{1} << 62, std::numeric_limits<std::int64_t>::min()}) {
        std::vector<std::int64_t> block(v.begin(), v.begin() + 100);
        block[37] = outside;
        std::vector<float> o(block.size());
        fixed_to_float_lanes(block.data(), block.size(), o.data());
        for (std::size_t i = 0; i < block.size(); ++i) ASSERT_TRUE(same(o[i], fixed_to_float(block[i]))) << block[i];
    }
}

TEST(IafPscExp, SubthresholdStepIsTheLinearPropagation) {
    const auto c = exp_coeffs();
    float V = 3.0f, I_ex = 100.0f, I_in = -50.0f;
    std::int32_t r = 0;
    const float I = 200.0f;
    EXPECT_FALSE(iaf_psc_exp_step(V, I_ex, I_in, r, I, 7.0f, -2.0f, c));
    const float expect_V = 3.0f * c.P22 + 100.0f * c.P21ex + -50.0f * c.P21in + 200.0f * c.P20;
    EXPECT_EQ(V, expect_V);
    EXPECT_EQ(I_ex, 100.0f * c.P11ex + 7.0f);
    EXPECT_EQ(I_in, -50.0f * c.P11in + -2.0f);
    EXPECT_EQ(r, 0);
}

TEST(IafPscExp, InputArrivingThisStepActsOnVNextStep) {
    const auto c = exp_coeffs();
    float V = 0.0f, I_ex = 0.0f, I_in = 0.0f;
    std::int32_t r = 0;
    iaf_psc_exp_step(V, I_ex, I_in, r, 0.0f, 100.0f, 0.0f, c);
    EXPECT_EQ(V, 0.0f);
    EXPECT_EQ(I_ex, 100.0f);
    iaf_psc_exp_step(V, I_ex, I_in, r, 0.0f, 0.0f, 0.0f, c);
    EXPECT_EQ(V, 100.0f * c.P21ex);
}

TEST(IafPscExp, RefractoryLastsExactlyRefSteps) {
    for (double t_ref : {0.0, 0.1, 2.0, 3.7}) {
        const auto c = exp_coeffs(t_ref);
        const int ref = static_cast<int>(std::lround(t_ref / 0.1));
        float V = 14.99f, I_ex = 0.0f, I_in = 0.0f;
        std::int32_t r = 0;
        const float I = 1000.0f;  // fires as soon as it may
        ASSERT_TRUE(iaf_psc_exp_step(V, I_ex, I_in, r, I, 0, 0, c));
        EXPECT_EQ(V, c.V_reset);
        for (int k = 0; k < ref; ++k) {
            EXPECT_FALSE(iaf_psc_exp_step(V, I_ex, I_in, r, I, 0, 0, c));
            EXPECT_EQ(V, c.V_reset) << "t_ref " << t_ref << ", refractory step " << k;
            EXPECT_EQ(r, ref - k - 1);
        }
        iaf_psc_exp_step(V, I_ex, I_in, r, I, 0, 0, c);
        EXPECT_GT(V, c.V_reset) << "integrates again after " << ref << " steps";
    }
}

TEST(IafPscExp, SynapticCurrentsDecayDuringRefractoriness) {
    const auto c = exp_coeffs();
    float V = 20.0f, I_ex = 0.0f, I_in = 0.0f;
    std::int32_t r = 0;
    ASSERT_TRUE(iaf_psc_exp_step(V, I_ex, I_in, r, 0, 50.0f, 0, c));
    iaf_psc_exp_step(V, I_ex, I_in, r, 0, 0, 0, c);
    EXPECT_EQ(I_ex, 50.0f * c.P11ex);
    EXPECT_EQ(V, c.V_reset);
}

TEST(IafPscDelta, InputJumpsVByItsWeight) {
    const auto c = delta_coeffs();
    float V = 0.0f;
    std::int32_t r = 0;
    EXPECT_FALSE(iaf_psc_delta_step(V, r, 0.0f, 5.0f, c));
    EXPECT_EQ(V, 5.0f);
    EXPECT_TRUE(iaf_psc_delta_step(V, r, 0.0f, 11.0f, c));  // 5·P33 + 11 >= 15 fires in the same step
    EXPECT_EQ(V, c.V_reset);
}

TEST(IafPscDelta, InputWhileRefractoryIsDropped) {
    const auto c = delta_coeffs(1.0);
    float V = 0.0f;
    std::int32_t r = 0;
    ASSERT_TRUE(iaf_psc_delta_step(V, r, 0.0f, 20.0f, c));
    for (int k = 0; k < c.ref_steps; ++k) {
        EXPECT_FALSE(iaf_psc_delta_step(V, r, 0.0f, 3.0f, c));
        EXPECT_EQ(V, c.V_reset) << "input of refractory step " << k << " must be dropped";
    }
    EXPECT_EQ(r, 0);
    iaf_psc_delta_step(V, r, 0.0f, 3.0f, c);
    EXPECT_EQ(V, 3.0f) << "the first step after refractoriness takes its input, and only its own";
}

TEST(IafPscDelta, VMinBoundsThePotential) {
    const auto c = delta_coeffs(2.0, -80.0);  // V_min = -80 mV, i.e. -10 mV rel. E_L
    float V = 0.0f;
    std::int32_t r = 0;
    iaf_psc_delta_step(V, r, 0.0f, -50.0f, c);
    EXPECT_EQ(V, -10.0f);
}

}  // namespace
}  // namespace synfire
