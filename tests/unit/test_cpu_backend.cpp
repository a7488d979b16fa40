#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "models.hpp"
#include "support.hpp"
#include "synfire/backend.hpp"
#include "synfire/errors.hpp"
#include "synfire/inputs.hpp"
#include "synfire/stimuli.hpp"
#include "synfire/summary.hpp"

namespace synfire {
namespace {

// Three populations of awkward sizes, random initial potentials, every kind of stimulus.
const char* mixed = R"(
[simulation]
dt = 0.1
duration = 60.0
seed = 11
[populations.A]
model = "iaf_psc_exp"
n = 2053
[populations.A.V_init]
distribution = "uniform"
low = -70.0
high = -55.0
[populations.B]
model = "iaf_psc_delta"
n = 77
params = { t_ref = 0.5, V_min = -72.0 }
V_init = { distribution = "normal", mean = -60.0, std = 4.0 }
[populations.C]
model = "iaf_psc_exp"
n = 1
params = { t_ref = 0.0, I_e = 400000.0 }
[[stimuli]]
type = "ramp"
target = "A"
from = 0.0
to = 900.0
start = 10.0
stop = 45.0
[[stimuli]]
type = "dc"
target = "A"
amplitude = 150.0
[[stimuli]]
type = "step_current"
target = "B"
times = [0.0, 20.0, 40.0]
amplitudes = [600.0, -100.0, 800.0]
)";

TEST(CpuBackend, ResultsDoNotDependOnThreadCount) {
    const model m = test::model_from(mixed);
    const auto one = test::run_cpu(m, 1);
    for (int threads : {2, 3, 5}) {
        const auto many = test::run_cpu(m, threads);
        for (std::size_t p = 0; p < m.populations.size(); ++p) {
            EXPECT_EQ(one.spikes[p], many.spikes[p]) << m.populations[p].name << ", " << threads << " threads";
            EXPECT_TRUE(test::same_state(one.final_state[p], many.final_state[p])) << m.populations[p].name;
        }
    }
    EXPECT_GT(one.spikes[0].size(), 100u);
    EXPECT_GT(one.spikes[1].size(), 10u);
    EXPECT_EQ(one.spikes[2].size(), 600u) << "t_ref = 0 and a huge current: one spike every step";
}

TEST(CpuBackend, ResultsDoNotDependOnWindowLength) {
    // The temporally blocked loop must equal stepping one step at a time.
    const model m = test::model_from(mixed);
    const auto stepwise = test::run_cpu(m, 2, 1);
    for (int window : {7, 100}) {
        const auto blocked = test::run_cpu(m, 2, window);
        for (std::size_t p = 0; p < m.populations.size(); ++p) {
            EXPECT_EQ(stepwise.spikes[p], blocked.spikes[p]) << "window " << window;
            EXPECT_TRUE(test::same_state(stepwise.final_state[p], blocked.final_state[p]));
        }
    }
}



TEST(CpuBackend, EveryInputKindIsIndependentOfThreadsAndWindows) {
    const model m = test::model_from(test::all_inputs_model);
    const auto ref = test::run_cpu(m, 1, 1);
    for (auto [threads, window] : {std::pair{2, 0}, {3, 13}}) {
        const auto other = test::run_cpu(m, threads, window);
        for (std::size_t p = 0; p < m.populations.size(); ++p) {
            EXPECT_EQ(ref.spikes[p], other.spikes[p]) << m.populations[p].name << ", " << threads << " threads, window " << window;
            EXPECT_TRUE(test::same_state(ref.final_state[p], other.final_state[p]));
        }
    }
    EXPECT_GT(ref.spikes[0].size(), 1000u);
    EXPECT_GT(ref.spikes[1].size(), 300u);
}

TEST(CpuBackend, PoissonBlocksKeptAcrossOneStepWindowsAreTheSameDraws) {
    // a network whose shortest delay is one step runs in one-step windows and keeps each neuron's Philox
    // blocks of Poisson counts from window to window (a block serves four steps); with a zero-weight
    // projection the dynamics are those of the uncoupled model, whose windows of up to 100 steps draw their
    // blocks afresh: every spike and the final state must be equal
    const model uncoupled = test::model_from(test::all_inputs_model);
    const model coupled = test::model_from(std::string(test::all_inputs_model) + R"(
[[projections]]
source = "X"
target = "Y"
rule = "fixed_indegree"
k = 3
weight = 0.0
delay = 0.1
)");
    auto one_step = make_cpu_backend(coupled, 2);
    ASSERT_EQ(one_step->max_window(), 1);
    const auto a = test::run_cpu(uncoupled, 2), b = test::run_on(coupled, *one_step);
    for (std::size_t p = 0; p < uncoupled.populations.size(); ++p) {
        EXPECT_EQ(a.spikes[p], b.spikes[p]) << uncoupled.populations[p].name;
        EXPECT_TRUE(test::same_state(a.final_state[p], b.final_state[p])) << uncoupled.populations[p].name;
    }
    EXPECT_GT(a.spikes[0].size(), 1000u);
}

// Populations whose inputs are the ring, Poisson sources and noise (the CPU backend's phased path, lean_block),
// both neuron models, a per-neuron current, sources with masks, odd start and stop steps, an inhibitory
// receptor, a Poisson source of rate 0 and one at the largest mean count, noise held for one step and for
// several; MIN_DELAY sets the shortest delay (one step: one-step
// windows with Philox blocks kept across windows; longer: each window's own).
std::string lean_network(const std::string& min_delay) {
    std::string text = R"(
[simulation]
dt = 0.1
duration = 60.0
seed = 5
[populations.E]
model = "iaf_psc_exp"
n = 1500
params = { tau_syn_ex = 0.5, tau_syn_in = 3.0 }
V_init = { distribution = "normal", mean = -62.0, std = 4.0 }
[populations.I]
model = "iaf_psc_delta"
n = 301
V_init = { distribution = "uniform", low = -70.0, high = -56.0 }
[populations.R]
model = "iaf_psc_exp"
n = 1100
[[stimuli]]
type = "poisson"
target = "E"
rate = 15.0
n_inputs = 900
weight = 30.0
[[stimuli]]
type = "poisson"
target = "E"
rate = 10.0
n_inputs = 300
weight = -45.0
ids = [0, 1, 2, 63, 64, 65, 700, 1023, 1024, 1025, 1499]
start = 1.3
stop = 37.7
[[stimuli]]
type = "poisson"
target = "E"
rate = 0.0
weight = 500.0
[[stimuli]]
type = "poisson"
target = "I"
rate = 12.0
n_inputs = 700
weight = 0.2
[[stimuli]]
type = "poisson"
target = "I"
rate = 1400.0
n_inputs = 1000
weight = 0.0012
start = 10.1
[[stimuli]]
type = "dc"
target = "I"
amplitude = 40.0
[[stimuli]]
type = "noise"
target = "E"
mean = 30.0
std = 120.0
dt_noise = 0.5
start = 2.3
[[stimuli]]
type = "noise"
target = "I"
mean = -20.0
std = 60.0
stop = 41.1
[[stimuli]]
type = "noise"
target = "R"
mean = 0.0
std = 300.0
dt_noise = 0.2
ids = [0, 3, 700, 1023, 1024, 1099]
[[stimuli]]
type = "ramp"
target = "R"
from = 0.0
to = 600.0
[[stimuli]]
type = "poisson"
target = "R"
rate = 20.0
n_inputs = 500
weight = 20.0
ids = [3, 4, 5, 1050]
[[projections]]
source = "E"
target = "E"
rule = "fixed_indegree"
k = 50
weight = 20.0
delay = { distribution = "normal_clipped", mean = 1.5, std = 0.7, low = MIN_DELAY }
[[projections]]
source = "E"
target = "I"
rule = "pairwise_bernoulli"
p = 0.05
weight = 0.3
delay = MIN_DELAY
[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
k = 20
weight = -80.0
delay = 0.8
[[projections]]
source = "I"
target = "I"
rule = "one_to_one"
weight = -0.2
delay = 0.8
)";
    for (std::size_t at; (at = text.find("MIN_DELAY")) != std::string::npos;) text.replace(at, 9, min_delay);
    return text;
}

TEST(CpuBackend, PhasedPathEqualsTheScalarStep) {
    // SYNFIRE_CPU_LEAN=0 steps every neuron through generic_block; the phased path must give the same bits
    for (const std::string delay : {"0.1", "0.6"}) {
        const model m = test::model_from(lean_network(delay));
        const stimulus_schedule schedule(m);
        for (std::size_t p = 0; p < m.populations.size(); ++p) {
            const input_program prog = schedule.inputs(p).program(m, [](const auto& v) { return v.data(); });
            EXPECT_TRUE(cpu_lean_inputs(prog, p != 2)) << m.populations[p].name << ": the phased path is what this test compares";
        }
        for (auto [threads, window] : {std::pair{1, 0}, {3, 0}, {2, 1}}) {
            setenv("SYNFIRE_CPU_LEAN", "0", 1);
            auto scalar_backend = make_cpu_backend(m, threads);
            unsetenv("SYNFIRE_CPU_LEAN");
            const auto scalar = test::run_on(m, *scalar_backend, window);
            const auto phased = test::run_cpu(m, threads, window);
            for (std::size_t p = 0; p < m.populations.size(); ++p) {
                EXPECT_EQ(scalar.spikes[p], phased.spikes[p]) << m.populations[p].name << ", delay " << delay << ", " << threads << " threads";
                EXPECT_TRUE(test::same_state(scalar.final_state[p], phased.final_state[p])) << m.populations[p].name;
                EXPECT_GT(scalar.spikes[p].size(), 50u) << m.populations[p].name;
            }
        }
    }
}

TEST(CpuBackend, PhasedPathIsNotTakenForOtherInputs) {
    const model m = test::model_from(test::all_inputs_model);
    const stimulus_schedule schedule(m);
    for (std::size_t p = 0; p < m.populations.size(); ++p) {  // X: noise and a course, Y: noise and events
        const input_program prog = schedule.inputs(p).program(m, [](const auto& v) { return v.data(); });
        EXPECT_FALSE(cpu_lean_inputs(prog, true)) << m.populations[p].name;
    }
    setenv("SYNFIRE_CPU_LEAN", "yes", 1);
    EXPECT_THROW(make_cpu_backend(m, 1), user_error);
    unsetenv("SYNFIRE_CPU_LEAN");
}

TEST(CpuBackend, SpikesComeSortedByStepThenId) {
    const model m = test::model_from(mixed);
    const auto out = test::run_cpu(m, 3);
    for (const auto& s : out.spikes) EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
}

TEST(CpuBackend, StateComparisonCatchesOneFlippedBit) {
    // must-fail check of the comparison helper the equality tests rely on
    const model m = test::model_from(mixed);
    const auto out = test::run_cpu(m, 1);
    population_state tampered = out.final_state[0];
    std::uint32_t bits;
    std::memcpy(&bits, &tampered.V[1234], 4);
    bits ^= 1u;
    std::memcpy(&tampered.V[1234], &bits, 4);
    EXPECT_FALSE(test::same_state(out.final_state[0], tampered));
    population_state sign = out.final_state[0];
    sign.I_ex[5] = -sign.I_ex[5];  // 0 -> -0: equal as numbers, different bits
    EXPECT_FALSE(test::same_state(out.final_state[0], sign));
}

TEST(CpuBackend, InitialPotentialsArePureFunctionsOfSeedAndId) {
    const model m = test::model_from(mixed);
    std::vector<float> all(2053), part(1000);
    initial_potentials(m, 0, 0, 2053, all.data());
    initial_potentials(m, 0, 1000, 2000, part.data());
    EXPECT_TRUE(std::equal(part.begin(), part.end(), all.begin() + 1000));
    for (float v : all) {
        EXPECT_GE(v, 0.0f);  // uniform(-70, -55) relative to E_L = -70
        EXPECT_LT(v, 15.0f);
    }
    const double mean = std::accumulate(all.begin(), all.end(), 0.0) / all.size();
    EXPECT_NEAR(mean, 7.5, 0.3);  // 4.3 standard errors

    const model other = test::model_from(mixed, {"simulation.seed=12"});
    std::vector<float> reseeded(2053);
    initial_potentials(other, 0, 0, 2053, reseeded.data());
    EXPECT_NE(all, reseeded);

    std::vector<float> normal(77);
    initial_potentials(m, 1, 0, 77, normal.data());
    const double nm = std::accumulate(normal.begin(), normal.end(), 0.0) / 77;
    EXPECT_NEAR(nm, 10.0, 4.0 * 4.0 / std::sqrt(77.0));
}

TEST(CpuBackend, WindowLimitBoundsWorstCaseSpikes) {
    std::vector<population_setup> pops(1);
    pops[0].n = 1u << 20;
    pops[0].ref_steps = 20;
    const int w = window_limit(pops, 1000);
    // 16 spikes per neuron fit in the buffer, and a neuron fires at most every 21 steps
    EXPECT_EQ(w, 16 * 21);
    pops[0].n = 100'000'000;  // more neurons than the buffer: one step at a time
    EXPECT_EQ(window_limit(pops, 1000), 1);
    pops[0].n = 10;
    EXPECT_EQ(window_limit(pops, 100), 100);
}

TEST(CpuBackend, AModelBeyondTheHostsMemoryIsRefusedBeforeItsSynapsesAreDrawn) {
    ASSERT_GT(host_memory_available(), 0u) << "/proc/meminfo or sysconf gives the available memory";
    const auto start = std::chrono::steady_clock::now();
    const model m = test::model_from(R"(
[simulation]
duration = 10.0
[populations.A]
model = "iaf_psc_exp"
n = 1000
[[projections]]
source = "A"
target = "A"
rule = "fixed_total_number"
n = 1000000000000
weight = 1.0
)");
    EXPECT_NE(format_network(m).find("more than the"), std::string::npos) << format_network(m);
    try {
        make_cpu_backend(m, 1);
        ADD_FAILURE() << "a table of 16 TB was accepted";
    } catch (const runtime_failure& e) {
        EXPECT_NE(std::string(e.what()).find("host memory: the model needs about 14.6 TiB (about 1000000000000 synapses"), std::string::npos)
            << e.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0) << "refused before counting";
}

}  // namespace
}  // namespace synfire
