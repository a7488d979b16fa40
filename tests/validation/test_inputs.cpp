// Validation of the generated inputs: Poisson counts, Gaussian noise, the Siegert rate of noise-driven
// neurons, and the exact timing of explicit inputs, currents and traces.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include <fmt/format.h>

#include "models.hpp"
#include "support.hpp"
#include "synfire/errors.hpp"
#include "synfire/inputs.hpp"
#include "synfire/propagators.hpp"
#include "synfire/stimuli.hpp"

namespace synfire {
namespace {

// ---------------------------------------------------------------- statistics helpers

/// Upper tail P(X >= x) of a chi-square variable with k degrees of freedom (regularised gamma, series and
/// continued fraction as in Numerical Recipes, in double).
double chi_square_tail(double x, int k) {
    const double a = 0.5 * k, z = 0.5 * x;
    if (z <= 0) return 1.0;
    const double log_front = a * std::log(z) - z - std::lgamma(a);
    if (z < a + 1) {  // series for the lower part
        double sum = 1.0 / a, term = sum;
        for (int n = 1; n < 1000; ++n) {
            term *= z / (a + n);
            sum += term;
            if (term < sum * 1e-15) break;
        }
        return 1.0 - std::exp(log_front) * sum;
    }
    double b = z + 1 - a, c = 1e300, d = 1 / b, h = d;  // Lentz's continued fraction for the upper part
    for (int i = 1; i < 1000; ++i) {
        const double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (std::fabs(d) < 1e-300) d = 1e-300;
        c = b + an / c;
        if (std::fabs(c) < 1e-300) c = 1e-300;
        d = 1 / d;
        const double del = d * c;
        h *= del;
        if (std::fabs(del - 1) < 1e-15) break;
    }
    return std::exp(log_front) * h;
}

/// Chi-square goodness of fit of integer samples to a pmf; bins with expected count < 5 are pooled into the
/// tails. Returns the p-value.
double chi_square_p(const std::vector<long>& counts, const std::vector<double>& pmf, long samples) {
    std::vector<double> expected, observed;
    double e_acc = 0, o_acc = 0;
    for (std::size_t k = 0; k < pmf.size(); ++k) {
        e_acc += pmf[k] * samples;
        o_acc += k < counts.size() ? counts[k] : 0;
        if (e_acc >= 5 || k + 1 == pmf.size()) {
            expected.push_back(e_acc);
            observed.push_back(o_acc);
            e_acc = o_acc = 0;
        }
    }
    for (std::size_t k = pmf.size(); k < counts.size(); ++k) observed.back() += counts[k];
    double chi2 = 0;
    for (std::size_t b = 0; b < expected.size(); ++b) chi2 += (observed[b] - expected[b]) * (observed[b] - expected[b]) / expected[b];
    return chi_square_tail(chi2, static_cast<int>(expected.size()) - 1);
}

std::vector<double> poisson_pmf(double lambda, int kmax) {
    std::vector<double> pmf;
    for (int k = 0; k <= kmax; ++k) pmf.push_back(std::exp(k * std::log(lambda) - lambda - std::lgamma(k + 1.0)));
    return pmf;
}

// Four Poisson means, each tested once: Bonferroni, family-wise alpha 0.001.
constexpr double alpha = 0.001 / 4;

TEST(PoissonInput, CountsPerStepFollowThePoissonDistribution) {
    for (double lambda : {0.05, 0.8, 5.0, 40.0}) {
        const auto cdf = poisson_thresholds(lambda);
        poisson_source src{nullptr, cdf.data(), static_cast<int>(cdf.size()), 0, 0, 0, end_of_run, 7};
        const philox_key key = make_key(42);
        std::vector<long> counts;
        long samples = 0;
        for (std::uint32_t i = 0; i < 500; ++i)
            for (std::int64_t s = 0; s < 400; ++s, ++samples) {
                const int c = poisson_events(src, key, i, s);
                if (static_cast<std::size_t>(c) >= counts.size()) counts.resize(c + 1);
                ++counts[c];
            }
        const int kmax = static_cast<int>(lambda + 10 * std::sqrt(lambda) + 10);
        const double p = chi_square_p(counts, poisson_pmf(lambda, kmax), samples);
        EXPECT_GT(p, alpha) << "lambda " << lambda;
        const double mean = std::inner_product(counts.begin(), counts.end(), std::vector<double>([&] {
                                                   std::vector<double> k(counts.size());
                                                   std::iota(k.begin(), k.end(), 0.0);
                                                   return k;
                                               }()).begin(), 0.0) / samples;
        EXPECT_NEAR(mean, lambda, 5 * std::sqrt(lambda / samples)) << "lambda " << lambda;
    }
}

TEST(PoissonInput, ChiSquareCatchesTheWrongRate) {
    // must fail: counts drawn at 0.8 tested against 0.9
    const auto cdf = poisson_thresholds(0.8);
    poisson_source src{nullptr, cdf.data(), static_cast<int>(cdf.size()), 0, 0, 0, end_of_run, 1};
    std::vector<long> counts(20);
    long samples = 0;
    for (std::uint32_t i = 0; i < 500; ++i)
        for (std::int64_t s = 0; s < 400; ++s, ++samples) ++counts[poisson_events(src, make_key(1), i, s)];
    EXPECT_LT(chi_square_p(counts, poisson_pmf(0.9, 20), samples), 1e-6);
}

TEST(PoissonInput, EngineTotalsPerNeuronFollowThePoissonDistribution) {
    // No leak (P33 rounds to 1), no threshold in reach, 1 mV per event: V counts every input exactly.
    const model m = test::model_from(test::poisson_counting_model);
    ASSERT_EQ(make_iaf_psc_delta_coeffs(m.populations[0].params, m.dt).P33, 1.0f);
    const auto out = test::run_cpu(m, 2);
    const double lambda = 8.0 * 100 * 0.1e-3 * 500;  // 40 events per neuron over the run
    std::vector<long> counts;
    for (float v : out.final_state[0].V) {
        ASSERT_EQ(v, std::floor(v)) << "V counts whole events";
        const auto c = static_cast<std::size_t>(v);
        if (c >= counts.size()) counts.resize(c + 1);
        ++counts[c];
    }
    EXPECT_GT(chi_square_p(counts, poisson_pmf(lambda, 120), 4000), alpha);
}

TEST(NoiseInput, DrawsAreStandardNormalAndHeldForDtNoise) {
    const noise_source src{nullptr, 10.0, 2.0, 5, 0, end_of_run, 3};
    const philox_key key = make_key(77);
    double sum = 0, sum2 = 0, cross = 0;
    long n = 0;
    std::vector<long> bins(8);  // quartiles of N(10, 2) split further: equal-probability octiles
    const double octile[] = {-1.1503494, -0.6744898, -0.3186394, 0.0, 0.3186394, 0.6744898, 1.1503494};
    for (std::uint32_t i = 0; i < 2000; ++i)
        for (std::int64_t draw = 0; draw < 50; ++draw) {
            const double x = noise_current(src, key, i, draw * 5);
            for (std::int64_t s = draw * 5 + 1; s < draw * 5 + 5; ++s) ASSERT_EQ(noise_current(src, key, i, s), x) << "held for dt_noise";
            const double y = noise_current(src, key, i + 1, draw * 5);  // the neighbour, same draw
            sum += x, sum2 += x * x, cross += (x - 10) * (y - 10), ++n;
            const double z = (x - 10) / 2;
            ++bins[std::upper_bound(std::begin(octile), std::end(octile), z) - std::begin(octile)];
        }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    EXPECT_NEAR(mean, 10.0, 5 * 2 / std::sqrt(n));
    EXPECT_NEAR(var, 4.0, 5 * 4 * std::sqrt(2.0 / n));
    EXPECT_NEAR(cross / n, 0.0, 5 * 4 / std::sqrt(n)) << "neighbours independent";
    EXPECT_GT(chi_square_p(bins, std::vector<double>(8, 0.125), n), 0.001);
}

TEST(NoiseInput, DeterministicLogAndQuantileMatchLibm) {
    for (double x : {1e-300, 2.2e-16, 1e-5, 0.3, 0.5, 0.999999, 1.0, 1.5, 7.0, 1e10}) EXPECT_NEAR(det_log(x), std::log(x), 2e-16 * std::fabs(std::log(x)) + 1e-300) << x;
    // the quantile against its inverse, the normal cdf
    for (double p : {1e-15, 1e-8, 0.001, 0.02, 0.07, 0.3, 0.5, 0.8, 0.93, 0.999, 1 - 1e-10}) {
        const double z = normal_quantile(p);
        EXPECT_NEAR(0.5 * std::erfc(-z / std::sqrt(2.0)), p, 1e-13 * std::max(p, 1e-3)) << p;
    }
}

/// Brunel (2000) / Siegert: rate of a LIF neuron driven by white noise with mean mu and amplitude sigma
/// (free-membrane variance sigma^2/2), all in mV rel. E_L.
double siegert_hz(double mu, double sigma, double tau, double t_ref, double theta, double V_r) {
    const double a = (V_r - mu) / sigma, b = (theta - mu) / sigma;
    const int n = 20000;
    double integral = 0;
    for (int i = 0; i <= n; ++i) {  // Simpson on e^(u^2)(1 + erf(u)) = e^(u^2) erfc(-u)
        const double u = a + (b - a) * i / n;
        const double f = std::exp(u * u) * std::erfc(-u);
        integral += f * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
    }
    integral *= (b - a) / n / 3;
    return 1000.0 / (t_ref + tau * std::sqrt(M_PI) * integral);
}

TEST(NoiseInput, DrivenIafPscDeltaFiresAtTheSiegertRate) {
    // Piecewise-constant current noise of std s every dt is white noise of sigma = R·s·sqrt(dt/tau_m) for
    // dt << tau_m; the finite grid lowers the rate by a few percent (a threshold shift ~ sigma·sqrt(dt/tau)).
    const double tau = 20.0, C = 250.0, R = tau / C, dt = 0.1;
    for (auto [mu, sigma] : {std::pair{20.0, 5.0}, {18.0, 3.0}, {25.0, 4.0}, {22.0, 2.0}}) {
        const model m = test::model_from(fmt::format(R"(
[simulation]
duration = 2000.0
seed = 5
[populations.N]
model = "iaf_psc_delta"
n = 1000
params = {{ tau_m = 20.0, C_m = 250.0, E_L = -70.0, V_th = -50.0, V_reset = -60.0, t_ref = 2.0 }}
[[stimuli]]
type = "noise"
target = "N"
mean = {}
std = {}
dt_noise = 0.1
)",
                                                     mu / R, sigma / (R * std::sqrt(dt / tau))));
        const auto out = test::run_cpu(m, 2);
        long late = 0;  // spikes after a 200 ms transient
        for (auto [step, id] : out.spikes[0]) late += step >= 2000;
        const double rate = late / (1000 * 1.8);
        const double expected = siegert_hz(mu, sigma, tau, 2.0, 20.0, 10.0);
        EXPECT_NEAR(rate / expected, 1.0, 0.10) << "mu " << mu << " mV, sigma " << sigma << " mV: " << rate << " Hz vs Siegert " << expected;
    }
}

// ---------------------------------------------------------------- timing of explicit inputs and currents

std::vector<double> trace_of(const model& m, std::size_t neuron) {
    auto b = make_cpu_backend(m, 1);
    std::vector<double> V;
    run_options opt;
    opt.max_window = 1;
    opt.on_window = [&](const std::vector<window_output>&, std::int64_t) { V.push_back(b->state(0).V[neuron]); };
    simulate(m, *b, nullptr, opt);
    return V;
}

TEST(SpikeTimes, ArriveAtTheirTimeWithTheirWeight) {
    // iaf_psc_exp: an input at t = 2.0 ms jumps I_ex in the step ending at 2.0 ms; V moves from the next step on.
    const model e = test::model_from(R"(
[simulation]
duration = 5.0
[populations.P]
model = "iaf_psc_exp"
n = 3
[[stimuli]]
type = "spike_times"
target = "P"
ids = [1]
times = [2.0]
weight = 100.0
)");
    const auto c = make_iaf_psc_exp_coeffs(e.populations[0].params, e.dt);
    const auto V = trace_of(e, 1);
    for (int k = 0; k < 20; ++k) EXPECT_EQ(V[k], 0.0f) << "step " << k;
    EXPECT_EQ(V[20], 100.0f * c.P21ex) << "the step after the arrival";
    EXPECT_EQ(trace_of(e, 0)[30], 0.0f) << "only ids receive it";

    // iaf_psc_delta: the jump is in the potential at t itself; inhibitory by sign.
    const model d = test::model_from(R"(
[simulation]
duration = 5.0
[populations.P]
model = "iaf_psc_delta"
n = 2
[[stimuli]]
type = "spike_times"
target = "P"
times = [[1.0, 1.0, 3.5], [0.1]]
weight = -2.5
)");
    const auto c2 = make_iaf_psc_delta_coeffs(d.populations[0].params, d.dt);
    const auto Vd = trace_of(d, 0);
    EXPECT_EQ(Vd[8], 0.0f);
    EXPECT_EQ(Vd[9], -5.0f) << "two inputs at 1.0 ms add up";
    EXPECT_EQ(Vd[10], -5.0f * c2.P33);
    EXPECT_EQ(trace_of(d, 1)[0], -2.5f) << "an input at 0.1 ms arrives in the first step";
}

TEST(AcCurrent, EqualsAStepCurrentWithTheSameValues) {
    const std::string head = R"(
[simulation]
duration = 20.0
[populations.P]
model = "iaf_psc_exp"
n = 1
)";
    const model ac = test::model_from(head + R"(
[[stimuli]]
type = "ac"
target = "P"
amplitude = 300.0
offset = 50.0
frequency = 100.0
phase = 30.0
start = 2.0
)");
    const stimulus& s = ac.stimuli[0];
    std::string times, amps;
    for (std::int64_t k = 20; k < 200; ++k) {
        times += fmt::format("{}{}", k > 20 ? ", " : "", k * 0.1);
        amps += fmt::format("{}{:.17g}", k > 20 ? ", " : "", static_cast<double>(static_cast<float>(s.course(k))));
    }
    EXPECT_EQ(s.course(19), 0.0) << "before start";
    EXPECT_DOUBLE_EQ(s.course(20), 50.0 + 300.0 * std::sin(2 * M_PI * 100.0 * 2.0e-3 + M_PI / 6));
    const model step = test::model_from(head + fmt::format("[[stimuli]]\ntype = \"step_current\"\ntarget = \"P\"\ntimes = [{}]\namplitudes = [{}]\n", times, amps));
    EXPECT_EQ(trace_of(ac, 0), trace_of(step, 0));
}

/// Writes an HDF5 file with one float dataset.
void write_trace(const std::string& file, const std::vector<float>& data, std::vector<hsize_t> dims) {
    const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t d = H5Dcreate2(f, "current", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
    H5Dclose(d);
    H5Sclose(space);
    H5Fclose(f);
}

TEST(FileCurrent, TracesHoldEachSampleForItsInterval) {
    const auto dir = std::filesystem::temp_directory_path() / ("synfire_trace_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    write_trace((dir / "one.h5").string(), {100, 400, -50}, {3});
    write_trace((dir / "per.h5").string(), {100, 200, 300, 400, 500, 600}, {2, 3});  // 2 samples x 3 neurons
    const std::string head = "[simulation]\nduration = 10.0\n[populations.P]\nmodel = \"iaf_psc_exp\"\nn = 4\n";
    auto load = [&](const std::string& stim) { return load_model_text(head + stim, "t.toml", "t", {}, dir.string()); };

    // one course for all: the same as a step_current 100 (0..1 ms), 400 (1..2 ms), -50 (2..3 ms), then 0
    const model one = load("[[stimuli]]\ntype = \"file\"\ntarget = \"P\"\npath = \"one.h5\"\ninterval = 1.0\n");
    const model step = load("[[stimuli]]\ntype = \"step_current\"\ntarget = \"P\"\ntimes = [0.0, 1.0, 2.0, 3.0]\namplitudes = [100.0, 400.0, -50.0, 0.0]\n");
    EXPECT_EQ(trace_of(one, 2), trace_of(step, 2));

    // a column per neuron in ids [0, 2, 3]; neuron 1 gets nothing
    const model per = load("[[stimuli]]\ntype = \"file\"\ntarget = \"P\"\npath = \"per.h5\"\ninterval = 2.0\nids = [0, 2, 3]\nstart = 1.0\n");
    for (auto [neuron, first, second] : {std::tuple{0, 100.0, 400.0}, {2, 200.0, 500.0}, {3, 300.0, 600.0}}) {
        const model ref = load(fmt::format("[[stimuli]]\ntype = \"step_current\"\ntarget = \"P\"\ntimes = [1.0, 3.0, 5.0]\namplitudes = [{}, {}, 0.0]\nids = [{}]\n",
                                           first, second, neuron));
        EXPECT_EQ(trace_of(per, neuron), trace_of(ref, neuron)) << "neuron " << neuron;
    }
    const auto V1 = trace_of(per, 1);
    EXPECT_TRUE(std::all_of(V1.begin(), V1.end(), [](double v) { return v == 0.0; }));

    // bad files are named
    for (auto [stim, fragment] : {std::pair{std::string("path = \"none.h5\""), "none.h5: no such file"},
                                  {"path = \"one.h5\"\ndataset = \"volts\"", "no dataset volts"},
                                  {"path = \"per.h5\"", "one column per neuron reached"}}) {
        try {
            load("[[stimuli]]\ntype = \"file\"\ntarget = \"P\"\n" + stim + "\n");
            ADD_FAILURE() << "accepted " << stim;
        } catch (const user_error& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("stimuli[0].path"), std::string::npos) << e.what();
        }
    }
    std::filesystem::remove_all(dir);
}

TEST(StimulusIds, ReachOnlyTheirNeurons) {
    const model m = test::model_from(R"(
[simulation]
duration = 30.0
[populations.P]
model = "iaf_psc_exp"
n = 6
[[stimuli]]
type = "dc"
target = "P"
amplitude = 200.0
ids = [1, 4]
[[stimuli]]
type = "step_current"
target = "P"
times = [5.0]
amplitudes = [150.0]
ids = [2, 4]
[[stimuli]]
type = "noise"
target = "P"
std = 50.0
ids = [3]
)");
    const auto out = test::run_cpu(m, 1);
    const auto& V = out.final_state[0].V;
    EXPECT_EQ(V[0], 0.0f);
    EXPECT_EQ(V[5], 0.0f);
    EXPECT_GT(V[1], 0.0f);
    EXPECT_GT(V[2], 0.0f);
    EXPECT_NE(V[3], 0.0f);
    EXPECT_GT(V[4], V[1]) << "dc and step current add up";
}

}  // namespace
}  // namespace synfire
