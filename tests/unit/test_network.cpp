// Projections: connection rules, synapse parameters, explicit lists, and the exact delivery of a spike.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "support.hpp"
#include "synfire/connect.hpp"
#include "synfire/errors.hpp"
#include "synfire/fixed_point.hpp"
#include "synfire/network.hpp"
#include "synfire/propagators.hpp"
#include "synfire/random.hpp"
#include "synfire/summary.hpp"

namespace synfire {
namespace {

std::string two_populations(const std::string& projection, std::uint64_t n_a = 300, std::uint64_t n_b = 200) {
    return fmt::format(R"(
[simulation]
duration = 10.0
seed = 13
[populations.A]
model = "iaf_psc_exp"
n = {}
[populations.B]
model = "iaf_psc_exp"
n = {}
[[projections]]
{}
)",
                       n_a, n_b, projection);
}

/// (source global, target local, population) of every synapse, with multiplicity.
struct edges {
    std::map<std::uint64_t, std::uint64_t> out_degree;  // by global source
    std::map<std::pair<std::size_t, std::uint32_t>, std::uint64_t> in_degree;
    std::set<std::pair<std::uint64_t, std::uint32_t>> distinct;
    std::uint64_t total = 0, autapses = 0;
};
edges edges_of(const model& m, const synapse_table& t) {
    edges e;
    for (std::uint64_t g = 0; g + 1 < t.offsets.size(); ++g)
        for (std::uint64_t x = t.offsets[g]; x < t.offsets[g + 1]; ++x) {
            const synapse& s = t.synapses[x];
            ++e.out_degree[g];
            ++e.in_degree[{s.population, s.target}];
            e.distinct.insert({g, static_cast<std::uint32_t>(t.base[s.population] + s.target)});
            ++e.total;
            e.autapses += t.base[s.population] + s.target == g;
        }
    (void)m;
    return e;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(SynapseDraws, NormalPIsTheRoundedFiftyThreeBitUniform) {
    // normal_p's exact-terms form against (double(k) + 1/2)·2^-53 with k the 53-bit integer: edges and random words
    std::vector<std::pair<std::uint32_t, std::uint32_t>> words = {{0, 0}, {0, 0x7FFu}, {0, 0x800u}, {0xFFFFFFFFu, 0xFFFFFFFFu},
                                                                  {0x80000000u, 0}, {1, 0xFFFFF800u}};
    for (std::uint32_t i = 0; i < 10000; ++i) {
        const philox_counter c = philox4x32_10({{i, 7, 0, 0}}, {{3, 4}});
        words.emplace_back(c.v[0], c.v[1]);
    }
    for (const auto& [hi, lo] : words) {
        const std::uint64_t k = (static_cast<std::uint64_t>(hi) << 21) | (lo >> 11);
        EXPECT_TRUE(same_bits(normal_p(hi, lo), (static_cast<double>(k) + 0.5) * 0x1p-53)) << hi << " " << lo;
    }
}

TEST(SynapseDraws, DelayStepsRoundHalfAwayFromZeroAsLlround) {
    // the host's inline rounding against std::llround: halves, the doubles either side of them, the binade
    // edges up to and past 2^52, and random quotients
    std::vector<double> xs = {1.0, 1.5, 2.5, 3.5, 0x1p52 - 0.5, 0x1p52, 0x1p52 + 1, 0x1p53 + 2, 0x1p62, 8.9e18};
    for (double h = 1.5; h < 0x1p53; h = h * 2 + 0.5)
        for (double x : {h, std::nextafter(h, 0.0), std::nextafter(h, 1e300)}) xs.push_back(x);
    for (int e = 1; e < 62; ++e) {
        const double p = std::ldexp(1.0, e);
        for (double x : {p, std::nextafter(p, 0.0), p - 0.5, std::nextafter(p - 0.5, 0.0), std::nextafter(p - 0.5, 1e300), p + 0.5}) xs.push_back(x);
    }
    std::uint32_t r = 99;
    for (int i = 0; i < 100000; ++i) {
        r = r * 1664525u + 1013904223u;
        xs.push_back(1.0 + (r % 1000000) / 7.0);
    }
    for (double x : xs) {
        if (x >= 1.0 && x < 9.0e18) {
            ASSERT_EQ(connect::delay_steps(x), std::llround(x)) << std::hexfloat << x;
        }
    }
    EXPECT_EQ(connect::delay_steps(0.4), 1);
    EXPECT_EQ(connect::delay_steps(std::nan("")), std::int64_t{1} << 62);
}

TEST(SynapseDraws, NormalLanesEqualTheScalarQuantileBitForBit) {
    // standard_normal_lanes (central branch for all lanes, then the gathered tails, in chunks of 64) against
    // standard_normal one draw at a time: random words, words deep in both tails (r > 5, the second rational
    // function), and lane counts that end a chunk early, exactly, and one past
    std::vector<std::uint32_t> hi, lo;
    for (std::uint32_t i = 0; i < 20000; ++i) {
        const philox_counter c = philox4x32_10({{i, 11, 0, 0}}, {{3, 4}});
        hi.push_back(c.v[0]), lo.push_back(c.v[1]);
        if (i % 7 == 0) hi.push_back(c.v[2] >> 22), lo.push_back(c.v[3]);     // p below ~2.4e-7
        if (i % 5 == 0) hi.push_back(~(c.v[2] >> 22)), lo.push_back(c.v[3]);  // above 1 - 2.4e-7
        if (i % 13 == 0) hi.push_back(0), lo.push_back(c.v[3]);               // below 2^-32: r > 5
    }
    for (std::uint32_t w : {0u, 1u, 0x7FFu, 0x800u, 0xFFFFFFFFu}) hi.push_back(0), lo.push_back(w), hi.push_back(0xFFFFFFFFu), lo.push_back(w);
    int tails = 0, far_tails = 0;
    for (std::size_t k = 0; k < hi.size(); ++k) {
        const double p = normal_p(hi[k], lo[k]);
        tails += !normal_quantile_is_central(p - 0.5);
        far_tails += sqrt(-det_log(p < 0.5 ? p : 1.0 - p)) > 5.0;
    }
    ASSERT_GT(tails, 3000);
    ASSERT_GT(far_tails, 100);
    std::vector<double> z(hi.size());
    for (int n : {1, 5, 63, 64, 65, 200, 1024}) {
        for (std::size_t at = 0; at + static_cast<std::size_t>(n) <= hi.size(); at += static_cast<std::size_t>(n)) {
            std::fill(z.begin() + static_cast<std::ptrdiff_t>(at), std::min(z.end(), z.begin() + static_cast<std::ptrdiff_t>(at) + n + 1), -1.0);
            standard_normal_lanes(hi.data() + at, lo.data() + at, n, z.data() + at);
            for (std::size_t k = at; k < at + static_cast<std::size_t>(n); ++k)
                ASSERT_TRUE(same_bits(z[k], standard_normal(hi[k], lo[k]))) << "n " << n << " lane " << k - at << ": " << z[k];
            if (at + static_cast<std::size_t>(n) < hi.size()) {
                ASSERT_EQ(z[at + static_cast<std::size_t>(n)], -1.0) << "wrote past n = " << n;
            }
        }
    }
}

TEST(SynapseDraws, BatchedParametersEqualTheScalarDrawsBitForBit) {
    // the host's batched weight and delay draws (vectorised Philox and normal quantile) against parameter_value,
    // for every distribution, clipped bounds that force redraws and the 512-draw fallback, 40-bit entities
    using kind = synapse_parameter::kind;
    const auto param = [](kind t, double a, double b, double low = -INFINITY, double high = INFINITY) {
        synapse_parameter p;
        p.type = t, p.value = a, p.a = a, p.b = b, p.low = low, p.high = high;
        return p;
    };
    const std::vector<synapse_parameter> params = {
        param(kind::constant, 87.8, 0), param(kind::uniform, -2.0, 5.0), param(kind::normal, 87.8, 8.78),
        param(kind::lognormal, -1.0, 0.5), param(kind::normal_clipped, 1.5, 0.75, 0.1),
        param(kind::normal_clipped, -351.2, 35.1, -INFINITY, 0.0), param(kind::normal_clipped, 0.0, 1.0, 0.0, 0.3),
        param(kind::normal_clipped, 0.0, 1.0, 9.0, 10.0)};
    const philox_key key = make_key(0x1234567890ull);
    constexpr int B = connect::parameter_batch;
    std::uint64_t entity[B], index[B];
    double out[B];
    int tails = 0, redraws = 0;
    for (const auto& p : params)
        for (int count : {1, 17, B})
            for (std::uint64_t base : {std::uint64_t{0}, std::uint64_t{5} << 32, (std::uint64_t{1} << 40) - 200}) {
                for (int k = 0; k < count; ++k) entity[k] = base + static_cast<std::uint64_t>(k) * 3, index[k] = base / 2 + static_cast<std::uint64_t>(k);
                for (auto purpose : {rng_purpose::weight, rng_purpose::delay}) {
                    connect::parameter_values(p, key, purpose, entity, index, 9, count, out);
                    for (int k = 0; k < count; ++k) {
                        const double expected = connect::parameter_value(p, key, purpose, entity[k], index[k], 9);
                        ASSERT_TRUE(same_bits(out[k], expected)) << "kind " << static_cast<int>(p.type) << " lane " << k << ": " << out[k]
                                                                 << " != " << expected;
                        const philox_counter w = connect::draw(key, purpose, entity[k], index[k], 9);
                        tails += !normal_quantile_is_central(normal_p(w.v[0], w.v[1]) - 0.5);
                        if (p.type == kind::normal_clipped) {
                            const double x = p.a + p.b * standard_normal(w.v[0], w.v[1]);
                            redraws += !(x >= p.low && x <= p.high);
                        }
                    }
                }
            }
    EXPECT_GT(tails, 100);    // the scalar tail path was taken
    EXPECT_GT(redraws, 100);  // and the scalar redraws
}

TEST(SynapseTable, RowSorterGivesTheOrderOfStdSort) {
    // rows short and long (up to 70 000, an all_to_all row), keys differing in every field's bytes (delays up
    // to 32767, 255 populations, targets up to 2^32 - 1, both receptors), multapses with equal and different
    // weights, all keys equal
    const auto order = [](const synapse& a, const synapse& b) {
        const std::uint64_t ka = connect::order_key(a), kb = connect::order_key(b);
        return ka < kb || (ka == kb && a.weight < b.weight);
    };
    synapse_row_sorter sorter;
    std::uint32_t rng = 12345;
    const auto next = [&] { return rng = rng * 1664525u + 1013904223u; };
    int rows = 0;
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{127}, std::size_t{128}, std::size_t{1000},
                          std::size_t{4000}, std::size_t{70000}})
        for (int variant = 0; variant < 6; ++variant) {
            std::vector<synapse> row(n);
            for (auto& x : row) {
                const std::uint32_t r = next();
                x.delay = static_cast<std::uint16_t>(variant == 0 ? 1 + r % 40 : variant == 1 ? 1 + r % 32767 : 7);
                x.population = static_cast<std::uint8_t>(variant == 2 ? next() % 255 : variant == 5 ? 3 : next() % 8);
                x.target = variant == 3 ? next() : variant == 5 ? 42 : next() % 20000;
                x.receptor = static_cast<std::uint8_t>(variant == 5 ? 0 : next() % 2);
                x.weight = variant == 4 ? static_cast<std::int64_t>(next() % 3) << 30 : static_cast<std::int64_t>(next()) - (1ll << 31);
                if (variant == 4) x.target = next() % 50;  // many multapses, many equal weights
            }
            auto expected = row;
            std::sort(expected.begin(), expected.end(), order);
            sorter.sort(row.data(), row.data() + row.size());
            for (std::size_t i = 0; i < n; ++i)
                ASSERT_TRUE(connect::order_key(row[i]) == connect::order_key(expected[i]) && row[i].weight == expected[i].weight)
                    << "n " << n << " variant " << variant << " at " << i;
            ++rows;
        }
    EXPECT_EQ(rows, 48);
}

TEST(ConnectionRules, FixedIndegreeGivesEveryTargetExactlyK) {
    for (const char* multapses : {"true", "false"}) {
        const model m = test::model_from(two_populations(fmt::format(
            "source = \"A\"\ntarget = \"A\"\nrule = \"fixed_indegree\"\nk = 50\nallow_autapses = false\nallow_multapses = {}\nweight = 1.0\n", multapses)));
        const auto t = build_synapses(m, 2);
        auto e = edges_of(m, t);
        EXPECT_EQ(e.total, 300u * 50u);
        for (std::uint32_t j = 0; j < 300; ++j) ASSERT_EQ((e.in_degree[{0, j}]), 50u) << "target " << j;
        EXPECT_EQ(e.autapses, 0u);
        if (std::string(multapses) == "false") {
            EXPECT_EQ(e.distinct.size(), e.total) << "no multapses";
        }
    }
}

TEST(ConnectionRules, FixedOutdegreeGivesEverySourceExactlyK) {
    const model m = test::model_from(two_populations("source = \"A\"\ntarget = \"B\"\nrule = \"fixed_outdegree\"\nk = 30\nallow_multapses = false\nweight = 1.0\n"));
    const auto e = edges_of(m, build_synapses(m, 3));
    ASSERT_EQ(e.out_degree.size(), 300u);
    for (auto [g, k] : e.out_degree) ASSERT_EQ(k, 30u);
    EXPECT_EQ(e.distinct.size(), e.total);
}

TEST(ConnectionRules, FixedTotalNumberAndAllToAllAndOneToOne) {
    const model total = test::model_from(two_populations("source = \"A\"\ntarget = \"A\"\nrule = \"fixed_total_number\"\nn = 12345\nallow_autapses = false\nweight = 1.0\n"));
    const auto et = edges_of(total, build_synapses(total, 2));
    EXPECT_EQ(et.total, 12345u);
    EXPECT_EQ(et.autapses, 0u);
    const model all = test::model_from(two_populations("source = \"B\"\ntarget = \"B\"\nrule = \"all_to_all\"\nallow_autapses = false\nweight = 1.0\n"));
    const auto ea = edges_of(all, build_synapses(all, 2));
    EXPECT_EQ(ea.total, 200u * 199u);
    EXPECT_EQ(ea.distinct.size(), ea.total);
    const model one = test::model_from(two_populations("source = \"A\"\ntarget = \"B\"\nrule = \"one_to_one\"\nweight = 1.0\n", 200, 200));
    const auto t1 = build_synapses(one, 2);
    ASSERT_EQ(t1.size(), 200u);
    for (std::uint32_t i = 0; i < 200; ++i) EXPECT_EQ(t1.synapses[t1.offsets[i]].target, i);
}

TEST(ConnectionRules, PairwiseBernoulliCountIsInsideItsConfidenceInterval) {
    for (double p : {0.001, 0.05, 0.5, 0.97}) {
        const model m = test::model_from(two_populations(fmt::format("source = \"A\"\ntarget = \"B\"\nrule = \"pairwise_bernoulli\"\np = {}\nweight = 1.0\n", p), 1000, 800));
        auto e = edges_of(m, build_synapses(m, 2));
        const double pairs = 1000.0 * 800.0, mean = pairs * p, sd = std::sqrt(pairs * p * (1 - p));
        // 4 tests, family-wise 0.001: |z| < 3.48 each
        EXPECT_LT(std::fabs((static_cast<double>(e.total) - mean) / sd), 3.48) << "p " << p << ": " << e.total << " vs " << mean;
        EXPECT_EQ(e.distinct.size(), e.total) << "pairs at most once";
        // rows are independent: the in-degree spread matches the binomial variance (within 20%)
        double s = 0, s2 = 0;
        for (std::uint32_t j = 0; j < 800; ++j) {
            const double k = static_cast<double>(e.in_degree[{1, j}]);
            s += k, s2 += k * k;
        }
        const double var = s2 / 800 - (s / 800) * (s / 800);
        EXPECT_NEAR(var / (1000 * p * (1 - p)), 1.0, 0.2) << "p " << p;
    }
    const model none = test::model_from(two_populations("source = \"A\"\ntarget = \"B\"\nrule = \"pairwise_bernoulli\"\np = 0.0\nweight = 1.0\n"));
    EXPECT_EQ(build_synapses(none, 1).size(), 0u);
}

TEST(ConnectionRules, BatchedConnectionDrawsGiveTheTableOfOneEntityAtATime) {
    // build_synapses draws fixed_total_number and multapse in/out-degrees 64 Philox blocks at a time
    // (entity_range_synapses); the reference draws one entity at a time with entity_synapses and make_synapse, as
    // the device does, and sorts each row
    const model m = test::model_from(two_populations(R"(source = "A"
target = "A"
rule = "fixed_total_number"
n = 20000
allow_autapses = false
weight = { distribution = "normal", mean = 20.0, std = 5.0 }
delay = { distribution = "uniform", low = 0.5, high = 3.0 }
[[projections]]
source = "B"
target = "A"
rule = "fixed_indegree"
k = 41
weight = -50.0
delay = { distribution = "normal_clipped", mean = 1.0, std = 0.5, low = 0.1, high = 2.0 }
[[projections]]
source = "A"
target = "A"
rule = "fixed_outdegree"
k = 33
allow_autapses = false
weight = 7.0
delay = 0.4
[[projections]]
source = "B"
target = "B"
rule = "fixed_indegree"
k = 150
allow_autapses = false
weight = 3.0
delay = 0.2
[[projections]]
source = "A"
target = "B"
rule = "fixed_total_number"
n = 777
weight = 1.0
delay = 0.3)"));
    const philox_key key = make_key(m.seed);
    const std::vector<std::uint64_t> base = population_bases(m);
    std::vector<std::vector<synapse>> rows(base.back());
    std::uint64_t redrawn = 0;
    for (std::size_t pi = 0; pi < m.projections.size(); ++pi) {
        const projection& pr = m.projections[pi];
        const connect::projection_view v = connect::view_of(m, pi, pr.synapses.data());
        std::vector<std::uint64_t> slots(connect::uses_floyd(v) ? std::size_t{1} << connect::floyd_log2_slots(v.count) : 0);
        connect::floyd_set chosen{slots.data(), connect::floyd_log2_slots(connect::uses_floyd(v) ? v.count : 0), 0};
        for (std::uint64_t e = 0; e < connect::entities(v, pr.synapses.size()); ++e) {
            if (v.rule == projection::rule::fixed_total_number) {  // count the first draws that were autapses
                const philox_counter w = connect::draw(key, rng_purpose::connect, e, 0, v.index);
                redrawn += v.skip_self && connect::uniform_below(w, v.n_src) ==
                                              connect::uniform_below(philox_counter{{w.v[2], w.v[3], w.v[0], w.v[1]}}, v.n_tgt);
            }
            connect::entity_synapses(v, key, e, chosen, [&](std::uint64_t i, std::uint64_t j, std::uint64_t ent, std::uint64_t q) {
                rows[base[pr.source] + i].push_back(connect::make_synapse(v, key, j, ent, q));
            });
        }
    }
    EXPECT_GT(redrawn, 20u) << "the test should exercise the autapse redraws";
    synapse_row_sorter sorter;
    for (auto& r : rows) sorter.sort(r.data(), r.data() + r.size());
    for (int threads : {1, 3}) {
        const synapse_table t = build_synapses(m, threads);
        ASSERT_EQ(t.offsets.size(), rows.size() + 1);
        for (std::size_t g = 0; g < rows.size(); ++g) {
            ASSERT_EQ(t.offsets[g + 1] - t.offsets[g], rows[g].size()) << "source " << g << ", " << threads << " threads";
            ASSERT_EQ(0, std::memcmp(t.synapses.data() + t.offsets[g], rows[g].data(), rows[g].size() * sizeof(synapse))) << "source " << g;
        }
    }
}

TEST(ConnectionRules, TablesDoNotDependOnThreads) {
    const model m = test::model_from(two_populations(R"(source = "A"
target = "A"
rule = "pairwise_bernoulli"
p = 0.1
weight = { distribution = "normal", mean = 20.0, std = 5.0 }
delay = { distribution = "uniform", low = 0.5, high = 3.0 }
[[projections]]
source = "B"
target = "A"
rule = "fixed_indegree"
k = 40
allow_multapses = false
weight = -50.0
delay = { distribution = "normal_clipped", mean = 1.0, std = 0.5, low = 0.1, high = 2.0 })"));
    const auto a = build_synapses(m, 1), b = build_synapses(m, 3);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(a.offsets, b.offsets);
    EXPECT_EQ(0, std::memcmp(a.synapses.data(), b.synapses.data(), a.size() * sizeof(synapse)));
    EXPECT_EQ(a.min_delay, 1);
    EXPECT_EQ(a.max_delay, 30);
    // inhibitory by the weight's sign, excitatory otherwise
    std::uint64_t inhibitory = 0;
    for (const auto& s : a.synapses) inhibitory += s.receptor;
    EXPECT_EQ(inhibitory, 300u * 40u);
}

TEST(SynapseParameters, DistributionsHaveTheirMomentsAndBounds) {
    const model m = test::model_from(two_populations(R"(source = "A"
target = "B"
rule = "all_to_all"
weight = { distribution = "normal_clipped", mean = 10.0, std = 4.0, low = 5.0, high = 12.0 }
delay = { distribution = "uniform", low = 1.0, high = 2.0 }
[[projections]]
source = "B"
target = "B"
rule = "all_to_all"
weight = { distribution = "lognormal", mean = 1.0, std = 0.5 }
delay = 0.7)", 300, 300));
    const auto t = build_synapses(m, 2);
    double sum_d = 0, n_d = 0, sum_log = 0, sum_log2 = 0, n_log = 0;
    std::map<int, long> delays;
    for (std::uint64_t g = 0; g + 1 < t.offsets.size(); ++g)
        for (std::uint64_t x = t.offsets[g]; x < t.offsets[g + 1]; ++x) {
            const synapse& s = t.synapses[x];
            const double w = static_cast<double>(s.weight) / fixed_point_scale;
            if (g < 300) {  // from A: clipped normal weights, uniform delays 1..2 ms -> 10..20 steps
                ASSERT_GE(w, 5.0);
                ASSERT_LE(w, 12.0);
                ++delays[s.delay];
                sum_d += s.delay, ++n_d;
            } else {
                ASSERT_EQ(s.delay, 7);
                sum_log += std::log(w), sum_log2 += std::log(w) * std::log(w), ++n_log;
            }
        }
    EXPECT_EQ(delays.begin()->first, 10);
    EXPECT_EQ(delays.rbegin()->first, 20);
    EXPECT_NEAR(sum_d / n_d, 15.0, 0.05);
    EXPECT_NEAR(delays[10] / n_d, 0.05, 0.01) << "the grid's end points get half a step each";
    const double mu = sum_log / n_log, sd = std::sqrt(sum_log2 / n_log - mu * mu);
    EXPECT_NEAR(mu, 1.0, 0.01);
    EXPECT_NEAR(sd, 0.5, 0.01);
}

TEST(SynapseParameters, DeterministicExpIsWithinOneUlpOfLibm) {
    // lognormal weights use det_exp (the same bits on the device); libm's exp may differ from it by 1 ulp
    philox_key key = make_key(5);
    for (std::uint32_t i = 0; i < 200000; ++i) {
        const philox_counter w = philox4x32_10(make_counter(rng_purpose::weight, i, 0, 0), key);
        const double x = -745.0 + 1454.0 * uniform_double(w.v[0], w.v[1]);
        const double a = det_exp(x), b = std::exp(x);
        ASSERT_LE(std::fabs(a - b), std::nextafter(b, HUGE_VAL) - b) << x;
    }
    EXPECT_EQ(det_exp(0.0), 1.0);
    EXPECT_EQ(det_exp(1e-300), 1.0);
    EXPECT_EQ(det_exp(710.0), HUGE_VAL);
    EXPECT_EQ(det_exp(-746.0), 0.0);
    EXPECT_GT(det_exp(-740.0), 0.0) << "subnormal results";
}

TEST(ConnectionRules, FloydSetsForgetTheLastEntityAndSurviveTheirStampWrapping) {
    std::vector<std::uint64_t> slots(16, 0);
    connect::floyd_set set{slots.data(), 4, (1u << 24) - 2};
    set.next();
    for (std::uint64_t x = 0; x < 8; ++x) EXPECT_TRUE(set.insert(x * 16 + 3));  // half full: some probing
    for (std::uint64_t x = 0; x < 8; ++x) EXPECT_FALSE(set.insert(x * 16 + 3));
    set.next();  // wraps: slots cleared, stamp 1
    EXPECT_EQ(set.stamp, 1u);
    EXPECT_TRUE(set.insert(19));
    EXPECT_FALSE(set.insert(19));
    set.next();
    EXPECT_TRUE(set.insert(19)) << "a new entity starts empty";
    for (std::uint64_t x = 100; x < 107; ++x) EXPECT_TRUE(set.insert(x));
    EXPECT_FALSE(set.insert(104));
}

TEST(ExplicitProjection, ReadsTheFileExactlyAndNamesTheBadLine) {
    const auto dir = std::filesystem::temp_directory_path() / ("synfire_conn_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream((dir / "good.csv")) << "source,target,weight,delay\n0,1,12.5,1.0\n2, 0, -3.25, 0.3\n\n2,0,-3.25,0.3\n";
    std::ofstream((dir / "bad.csv")) << "source,target,weight,delay\n0,1,12.5,1.0\n7,0,1.0,1.0\n";
    std::ofstream((dir / "offgrid.csv")) << "source,target,weight,delay\n0,1,12.5,1.05\n";
    std::ofstream((dir / "header.csv")) << "pre,post,w,d\n";
    std::ofstream((dir / "spaced.csv")) << "source,target,weight,delay\n1 0,0,1.0,1.0\n";
    std::ofstream((dir / "hex.csv")) << "source,target,weight,delay\n0x1,0,1.0,1.0\n";
    std::ofstream((dir / "heavy.csv")) << "source,target,weight,delay\n0,1,1.0,1.0\n1,0,3e9,1.0\n";
    std::ofstream((dir / "late.csv")) << "source,target,weight,delay\n0,1,1.0,10000.0\n";
    std::ofstream((dir / "twice.csv")) << "source,target,weight,delay\n0,1,1.0,1.0\n1,2,1.0,1.0\n0,1,2.0,0.5\n";
    std::ofstream((dir / "self.csv")) << "source,target,weight,delay\n0,1,1.0,1.0\n2,2,1.0,1.0\n";
    const std::string head = "[simulation]\nduration = 5.0\n[populations.A]\nmodel = \"iaf_psc_exp\"\nn = 3\n";
    auto load = [&](const char* file, const char* flags = "") {
        return load_model_text(head + fmt::format("[[projections]]\nsource = \"A\"\ntarget = \"A\"\nrule = \"explicit\"\nfile = \"{}\"\n{}", file, flags),
                               "m.toml", "m", {}, dir.string());
    };
    const model m = load("good.csv");
    const auto t = build_synapses(m, 2);
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t.synapses[t.offsets[0]].target, 1u);
    EXPECT_EQ(t.synapses[t.offsets[0]].weight, to_fixed(12.5));
    EXPECT_EQ(t.synapses[t.offsets[0]].delay, 10);
    EXPECT_EQ(t.offsets[3] - t.offsets[2], 2u) << "a repeated line is a multapse";
    EXPECT_EQ(t.synapses[t.offsets[2]].weight, to_fixed(-3.25));
    EXPECT_EQ(t.synapses[t.offsets[2]].delay, 3);
    EXPECT_EQ(build_synapses(load("twice.csv"), 1).size(), 3u) << "multapses and autapses are allowed by default";
    EXPECT_EQ(build_synapses(load("self.csv"), 1).size(), 2u);
    EXPECT_EQ(build_synapses(load("self.csv", "allow_multapses = false\n"), 1).size(), 2u);
    for (auto [file, flags, fragment] :
         {std::tuple{"bad.csv", "", "bad.csv:3: source 7 is not an id of A"}, {"offgrid.csv", "", "offgrid.csv:2: delay 1.05 ms"},
          {"header.csv", "", "header.csv:1: the header must be source,target,weight,delay"}, {"none.csv", "", "none.csv: cannot open"},
          {"spaced.csv", "", "spaced.csv:2: 1 0 is not a number"}, {"hex.csv", "", "hex.csv:2: 0x1 is not a number"},
          {"heavy.csv", "", "heavy.csv:3: weight 3e+09 is beyond the range"}, {"late.csv", "", "late.csv:2: delay 10000 ms is more than 32767 steps"},
          {"twice.csv", "allow_multapses = false\n", "twice.csv:4: 0 -> 1 repeats an earlier line (a multapse), and allow_multapses = false"},
          {"self.csv", "allow_autapses = false\n", "self.csv:3: 2 -> 2 is an autapse, and allow_autapses = false"}}) {
        try {
            load(file, flags);
            ADD_FAILURE() << file << " accepted";
        } catch (const user_error& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("projections[0].file"), std::string::npos) << e.what();
        }
    }
    std::filesystem::remove_all(dir);
}

TEST(ProjectionValidation, BadProjectionsNameTheirKey) {
    auto err = [](const std::string& pr) {
        try {
            test::model_from(two_populations(pr));
        } catch (const user_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(err("source = \"A\"\ntarget = \"C\"\nweight = 1.0\n").find("projections[0].target = \"C\": no such population"), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nrule = \"fixed_indgree\"\nk = 3\nweight = 1.0\n").find("did you mean fixed_indegree"), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nrule = \"pairwise_bernoulli\"\np = 1.5\nweight = 1.0\n").find("projections[0].p = 1.5"), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nrule = \"fixed_indegree\"\nk = 400\nallow_multapses = false\nweight = 1.0\n").find("at most 300 distinct"),
              std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nrule = \"fixed_indegree\"\np = 0.1\nweight = 1.0\n").find("projections[0].p: not a parameter of rule fixed_indegree"),
              std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nrule = \"one_to_one\"\nweight = 1.0\n").find("one_to_one needs populations of one size"), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nweight = 1.0\ndelay = 0.05\n").find("projections[0].delay = 0.05: must be at least dt"), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nweight = 1.0\ndelay = 1.25\n").find("projections[0].delay = 1.25: not a multiple of dt"), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nweight = 1.0\ndelay = { distribution = \"normal\", mean = 1.0, std = 0.1 }\n").find("bounded distribution"),
              std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nweight = 1.0\ndelay = { distribution = \"uniform\", low = 0.0, high = 1.0 }\n").find("at or above dt"),
              std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nrule = \"fixed_total_number\"\nn = 10\nallow_multapses = false\nweight = 1.0\n").find("allow_multapses"),
              std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\n").find("projections[0].weight: missing"), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nweight = 1.0\nreceptor = \"ampa\"\n").find("projections[0].receptor = \"ampa\""), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nweight = 1.0\nallow_autapses = 1\n").find("expected true or false"), std::string::npos);
    EXPECT_NE(err("source = \"A\"\ntarget = \"B\"\nrule = \"fixed_total_number\"\nn = 10\nallow_multapses = false\nweight = 1.0\n")
                  .find("projections[0].allow_multapses = false: fixed_total_number draws with multapses"),
              std::string::npos);
}

TEST(ProjectionValidation, WeightsAndDelaysBeyondTheFixedPointRangeAreRejectedBeforeTheBuild) {
    auto err = [](const std::string& pr) {
        try {
            test::model_from(two_populations("source = \"A\"\ntarget = \"B\"\n" + pr));
        } catch (const user_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(err("weight = 2e9\n").find("projections[0].weight = 2000000000.0: weights must stay below 1e+09"), std::string::npos) << err("weight = 2e9\n");
    EXPECT_NE(err("weight = { distribution = \"uniform\", low = 0.0, high = 2e9 }\n").find("weights must stay below"), std::string::npos);
    const std::string lognormal = err("weight = { distribution = \"lognormal\", mean = 30.0, std = 1.0 }\n");
    EXPECT_NE(lognormal.find("about 6e+04 of the projection's ~6e+04 synapses would draw beyond"), std::string::npos) << lognormal;
    EXPECT_EQ(err("weight = { distribution = \"normal\", mean = 0.0, std = 1e7 }\n"), "accepted") << "1e9 is 100 std away";
    const std::string far = err("weight = { distribution = \"normal_clipped\", mean = 0.0, std = 1.0, low = 100.0, high = 101.0 }\n");
    EXPECT_NE(far.find("projections[0].weight"), std::string::npos) << far;
    EXPECT_NE(far.find("only 0% of the normal distribution lies within [low, high]"), std::string::npos) << far;
    EXPECT_NE(err("weight = { distribution = \"normal_clipped\", mean = 0.0, std = 1.0, low = 1.7 }\n").find("only 4.46%"), std::string::npos);
    EXPECT_EQ(err("weight = { distribution = \"normal_clipped\", mean = 0.0, std = 1.0, low = 1.6 }\n"), "accepted") << "5.5% inside";
    const std::string delay = err("weight = 1.0\ndelay = { distribution = \"normal_clipped\", mean = 1e4, std = 1.0, low = 0.1 }\n");
    EXPECT_NE(delay.find("projections[0].delay"), std::string::npos) << delay;
    EXPECT_NE(delay.find("delays are limited to 32767 steps (3276.7 ms)"), std::string::npos) << delay;
}

TEST(ProjectionValidation, ADrawOutOfRangeIsReportedByTheBuildWithItsProjection) {
    // past the reader (which refuses both), as a rare tail draw would be
    model m = test::model_from(two_populations(R"(source = "A"
target = "B"
rule = "fixed_indegree"
k = 10
weight = 1.0
[[projections]]
source = "B"
target = "A"
rule = "fixed_indegree"
k = 10
weight = { distribution = "normal_clipped", mean = 0.0, std = 1.0, low = -1.0, high = 1.0 })"));
    model wide = m;
    wide.projections[0].weight.type = synapse_parameter::kind::normal;
    wide.projections[0].weight.a = 0.0;
    wide.projections[0].weight.b = 1e12;
    try {
        build_synapses(wide, 2);
        ADD_FAILURE() << "built";
    } catch (const user_error& e) {
        EXPECT_NE(std::string(e.what()).find("from projections[0].weight (normal, mean 0, std 1e+12): 2e+03 of ~2e+03 synapses"), std::string::npos)
            << e.what();
    }
    model clipped = m;  // no draw inside [100, 101]: flagged, not clamped to a bound
    clipped.projections[1].weight.low = 100.0;
    clipped.projections[1].weight.high = 101.0;
    try {
        build_synapses(clipped, 2);
        ADD_FAILURE() << "built";
    } catch (const user_error& e) {
        EXPECT_NE(std::string(e.what()).find("from projections[1].weight (normal_clipped"), std::string::npos) << e.what();
    }
}

TEST(ProjectionValidation, ReceptorFollowsEachSynapsesWeightSignUnlessNamed) {
    const std::string drawn = "source = \"A\"\ntarget = \"B\"\nweight = { distribution = \"uniform\", low = -10.0, high = 10.0 }\n";
    for (const char* receptor : {"", "receptor = \"excitatory\"\n", "receptor = \"inhibitory\"\n"}) {
        const model m = test::model_from(two_populations(drawn + receptor, 30, 20));
        EXPECT_NE(format_network(m).find(*receptor == '\0' ? "receptor by each weight's sign" : receptor[12] == 'e' ? "receptor excitatory" : "receptor inhibitory"),
                  std::string::npos)
            << format_network(m);
        const auto t = build_synapses(m, 2);
        std::uint64_t negative = 0, inhibitory = 0;
        for (const synapse& s : t.synapses) {
            negative += s.weight < 0;
            inhibitory += s.receptor;
            if (*receptor == '\0') {
                ASSERT_EQ(s.receptor, s.weight < 0 ? 1 : 0) << "NEST routes each spike by its weight's sign";
            }
        }
        EXPECT_GT(negative, 200u);
        EXPECT_LT(negative, 400u);
        if (*receptor == 'r') {
            EXPECT_EQ(inhibitory, std::string(receptor).find("inhibitory") != std::string::npos ? t.size() : 0u) << receptor;
        }
    }
}

/// One neuron of A fires once at 1.0 ms (a 20 mV input into an iaf_psc_delta source); B receives it.
std::string one_spike(const char* target_model, const std::string& projection) {
    return fmt::format(R"(
[simulation]
duration = 6.0
[populations.S]
model = "iaf_psc_delta"
n = 1
[populations.T]
model = "{}"
n = 2
[[stimuli]]
type = "spike_times"
target = "S"
times = [1.0]
weight = 20.0
[[projections]]
source = "S"
target = "T"
{}
)",
                       target_model, projection);
}

std::vector<population_state> trace(const model& m) {
    auto b = make_cpu_backend(m, 2);
    std::vector<population_state> out;
    run_options opt;
    opt.max_window = 1;
    opt.on_window = [&](const std::vector<window_output>&, std::int64_t) { out.push_back(b->state(1)); };
    simulate(m, *b, nullptr, opt);
    return out;
}

TEST(SpikeDelivery, OnsetStepAndAmplitudeAreExact) {
    // The source fires in step 9 (time 1.0 ms); with delay d the input is added at the end of step 9 + d/dt,
    // i.e. at 1.0 ms + d: I_ex jumps there and V moves in the next step (iaf_psc_exp); V jumps there (iaf_psc_delta).
    for (double delay : {0.1, 1.5}) {
        const int d = static_cast<int>(std::lround(delay / 0.1));
        const model e = test::model_from(one_spike("iaf_psc_exp", fmt::format("rule = \"all_to_all\"\nweight = 250.0\ndelay = {}\n", delay)));
        const auto c = make_iaf_psc_exp_coeffs(e.populations[1].params, e.dt);
        const auto t = trace(e);
        for (int k = 0; k < 9 + d; ++k) ASSERT_EQ(t[k].I_ex[0], 0.0f) << "step " << k;
        EXPECT_EQ(t[9 + d].I_ex[1], 250.0f);
        EXPECT_EQ(t[9 + d].V[1], 0.0f);
        EXPECT_EQ(t[10 + d].V[1], 250.0f * c.P21ex);
        EXPECT_EQ(t[10 + d].I_ex[1], 250.0f * c.P11ex);
        EXPECT_EQ(t[10 + d].I_in[1], 0.0f);

        const model inh = test::model_from(one_spike("iaf_psc_exp", fmt::format("weight = -80.0\ndelay = {}\n", delay)));
        const auto ti = trace(inh);
        EXPECT_EQ(ti[9 + d].I_in[0], -80.0f) << "a negative weight goes to the inhibitory receptor";
        EXPECT_EQ(ti[9 + d].I_ex[0], 0.0f);

        const model del = test::model_from(one_spike("iaf_psc_delta", fmt::format("weight = 3.5\ndelay = {}\n", delay)));
        const auto c2 = make_iaf_psc_delta_coeffs(del.populations[1].params, del.dt);
        const auto td = trace(del);
        EXPECT_EQ(td[8 + d].V[0], 0.0f);
        EXPECT_EQ(td[9 + d].V[0], 3.5f);
        EXPECT_EQ(td[10 + d].V[0], 3.5f * c2.P33);
    }
}

TEST(SpikeDelivery, InputToARefractoryDeltaNeuronIsDropped) {
    // T fires from a strong dc, then the input arrives during its refractory period
    const model m = test::model_from(one_spike("iaf_psc_delta", "weight = 3.5\ndelay = 0.5\n") +
                                     "[[stimuli]]\ntype = \"spike_times\"\ntarget = \"T\"\ntimes = [1.2]\nweight = 30.0\n");
    const auto t = trace(m);
    EXPECT_EQ(t[11].V[0], -0.0f + 0.0f) << "reset (V_reset - E_L = 0) after firing at 1.2 ms";
    EXPECT_EQ(t[14].V[0], 0.0f) << "the 3.5 mV arriving at 1.5 ms is dropped";
    EXPECT_EQ(t[14].V[1], 0.0f) << "T[1] fired too";
}

TEST(Networks, ResultsDoNotDependOnThreadsOrWindows) {
    const model m = test::model_from(R"(
[simulation]
duration = 100.0
seed = 4
[populations.E]
model = "iaf_psc_delta"
n = 800
params = { tau_m = 20.0, V_th = 20.0, V_reset = 10.0, E_L = 0.0, t_ref = 2.0 }
V_init = { distribution = "uniform", low = 0.0, high = 20.0 }
[populations.I]
model = "iaf_psc_delta"
n = 200
params = { tau_m = 20.0, V_th = 20.0, V_reset = 10.0, E_L = 0.0, t_ref = 2.0 }
[[stimuli]]
type = "poisson"
target = "E"
rate = 20.0
n_inputs = 1000
weight = 0.1
[[stimuli]]
type = "poisson"
target = "I"
rate = 20.0
n_inputs = 1000
weight = 0.1
[[projections]]
source = "E"
target = "E"
rule = "fixed_indegree"
k = 80
weight = 0.1
delay = 1.5
[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
k = 80
weight = 0.1
delay = 1.5
[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
k = 20
weight = -0.5
delay = { distribution = "uniform", low = 0.8, high = 2.0 }
[[projections]]
source = "I"
target = "I"
rule = "fixed_indegree"
k = 20
weight = -0.5
delay = 1.5
)");
    const auto ref = test::run_cpu(m, 1, 1);
    for (auto [threads, window] : {std::pair{2, 0}, {3, 5}}) {
        const auto other = test::run_cpu(m, threads, window);
        for (std::size_t p = 0; p < 2; ++p) {
            EXPECT_EQ(ref.spikes[p], other.spikes[p]) << p << ", threads " << threads;
            EXPECT_TRUE(test::same_state(ref.final_state[p], other.final_state[p]));
        }
    }
    EXPECT_GT(ref.spikes[0].size(), 500u);
}

}  // namespace
}  // namespace synfire
