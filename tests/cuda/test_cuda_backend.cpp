// CUDA backend against the CPU reference, bit for bit. Every test skips without a CUDA device.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <cuda_runtime.h>
#include <fmt/format.h>
#include <unistd.h>

#include "cuda_check.hpp"
#include "h5_read.hpp"
#include "synfire/hdf5_output.hpp"
#include "synfire/model_file.hpp"
#include "launchers.hpp"
#include "models.hpp"
#include "support.hpp"
#include "synfire/cuda.hpp"
#include "synfire/errors.hpp"
#include "synfire/fixed_point.hpp"
#include "synfire/network.hpp"
#include "synfire/propagators.hpp"

namespace synfire {
namespace {

bool have_device() {
    static const bool yes = cuda_device_count() > 0;
    return yes;
}

#define REQUIRE_DEVICE() \
    if (!have_device()) GTEST_SKIP() << "no CUDA device"

/// Sets an environment variable for the scope (the CUDA backend reads its switches when it is made).
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
    ~scoped_env() { unsetenv(name_); }

private:
    const char* name_;
};

/// One population of n neurons of the model under dc + ramp + step_current, random initial potentials.
std::string stimulated(const char* neuron_model, std::uint64_t n, double duration) {
    return fmt::format(R"(
[simulation]
dt = 0.1
duration = {}
seed = 17
[populations.P]
model = "{}"
n = {}
params = {{ t_ref = 1.5 }}
V_init = {{ distribution = "uniform", low = -70.0, high = -54.0 }}
[[stimuli]]
type = "dc"
target = "P"
amplitude = 120.0
start = 3.0
[[stimuli]]
type = "ramp"
target = "P"
from = 100.0
to = 900.0
stop = 20.0
[[stimuli]]
type = "step_current"
target = "P"
times = [0.0, 7.5, 15.0]
amplitudes = [250.0, -80.0, 400.0]
)",
                       duration, neuron_model, n);
}

::testing::AssertionResult same_run(const test::run_output& a, const test::run_output& b) {
    for (std::size_t p = 0; p < a.spikes.size(); ++p) {
        if (a.spikes[p] != b.spikes[p]) {
            std::size_t i = 0;
            while (i < a.spikes[p].size() && i < b.spikes[p].size() && a.spikes[p][i] == b.spikes[p][i]) ++i;
            return ::testing::AssertionFailure() << "population " << p << ": spike lists differ from entry " << i << " ("
                                                 << a.spikes[p].size() << " vs " << b.spikes[p].size() << " spikes)";
        }
        if (auto r = test::same_state(a.final_state[p], b.final_state[p]); !r) return r << " (population " << p << ")";
    }
    return ::testing::AssertionSuccess();
}

struct size_case {
    const char* model;
    std::uint64_t n;
};

void PrintTo(const size_case& c, std::ostream* os) { *os << c.model << " n=" << c.n; }

class CpuVsGpu : public ::testing::TestWithParam<size_case> {};

TEST_P(CpuVsGpu, SpikesAndFinalStateAreBitIdentical) {
    REQUIRE_DEVICE();
    const auto [neuron_model, n] = GetParam();
    const double duration = n > 10000 ? 30.0 : 200.0;
    const model m = test::model_from(stimulated(neuron_model, n, duration));
    const auto cpu = test::run_cpu(m, 2);
    auto gpu_backend = make_cuda_backend(m);
    const auto gpu = test::run_on(m, *gpu_backend);
    EXPECT_TRUE(same_run(cpu, gpu));
    EXPECT_GT(cpu.spikes[0].size(), n / 2) << "the case must exercise spiking";
}

INSTANTIATE_TEST_SUITE_P(Sizes, CpuVsGpu,
                         ::testing::Values(size_case{"iaf_psc_exp", 1}, size_case{"iaf_psc_exp", 31}, size_case{"iaf_psc_exp", 32},
                                           size_case{"iaf_psc_exp", 33}, size_case{"iaf_psc_exp", 255}, size_case{"iaf_psc_exp", 257},
                                           size_case{"iaf_psc_exp", 100000}, size_case{"iaf_psc_exp", 1000007},
                                           size_case{"iaf_psc_delta", 1}, size_case{"iaf_psc_delta", 31}, size_case{"iaf_psc_delta", 32},
                                           size_case{"iaf_psc_delta", 33}, size_case{"iaf_psc_delta", 255}, size_case{"iaf_psc_delta", 257},
                                           size_case{"iaf_psc_delta", 100000}, size_case{"iaf_psc_delta", 1000007}),
                         [](const auto& info) { return fmt::format("{}_{}", info.param.model, info.param.n); });

TEST(CudaBackend, EveryNeuronSpikingEveryStep) {
    REQUIRE_DEVICE();
    for (const char* neuron_model : {"iaf_psc_exp", "iaf_psc_delta"}) {
        const model m = test::model_from(fmt::format(R"(
[simulation]
duration = 10.0
[populations.P]
model = "{}"
n = 70001
params = {{ t_ref = 0.0, I_e = 1.0e6 }}
)",
                                                     neuron_model));
        const auto cpu = test::run_cpu(m, 2);
        for (const char* host : {"0", "1"}) {  // the device's compaction, and the bitmaps decoded on the host
            scoped_env env("SYNFIRE_CUDA_HOST_COMPACTION", host);
            auto b = make_cuda_backend(m);
            EXPECT_EQ(b->device().find("decoded on the host") != std::string::npos, *host == '1') << b->device();
            const auto gpu = test::run_on(m, *b);
            EXPECT_EQ(gpu.spikes[0].size(), 70001u * 100u) << neuron_model;
            EXPECT_TRUE(same_run(cpu, gpu)) << neuron_model << ", host compaction " << host;
        }
    }
}

TEST(CudaBackend, EveryInputKindMatchesTheCpu) {
    // poisson (with and without ids), noise, ac with ids, ramp, spike_times, step_current with ids
    REQUIRE_DEVICE();
    const model m = test::model_from(test::all_inputs_model);
    const auto cpu = test::run_cpu(m, 2);
    auto b = make_cuda_backend(m);
    const auto gpu = test::run_on(m, *b);
    EXPECT_TRUE(same_run(cpu, gpu));
    EXPECT_GT(cpu.spikes[0].size(), 1000u);
}

TEST(CudaBackend, PoissonCountsAreIdenticalToTheCpu) {
    // the engine-level Poisson check of test_inputs.cpp, on the GPU: every neuron's total count equal
    REQUIRE_DEVICE();
    const model m = test::model_from(test::poisson_counting_model);
    const auto cpu = test::run_cpu(m, 2);
    auto b = make_cuda_backend(m);
    EXPECT_TRUE(same_run(cpu, test::run_on(m, *b)));
}

/// data/models/brunel.toml scaled down: n_E + n_E / 4 neurons, in-degrees k_E and k_E / 4, n_E / 10 Poisson
/// inputs of `rate` Hz per neuron, `duration` ms, and `extra` overrides.
model small_brunel(int n_E, int k_E, double rate, double duration, std::vector<std::string> extra = {}) {
    std::vector<std::string> set = {fmt::format("populations.E.n={}", n_E),     fmt::format("populations.I.n={}", n_E / 4),
                                    fmt::format("projections[0].k={}", k_E),    fmt::format("projections[1].k={}", k_E),
                                    fmt::format("projections[2].k={}", k_E / 4), fmt::format("projections[3].k={}", k_E / 4),
                                    fmt::format("stimuli[0].n_inputs={}", n_E / 10), fmt::format("stimuli[1].n_inputs={}", n_E / 10),
                                    fmt::format("stimuli[0].rate={}", rate),    fmt::format("stimuli[1].rate={}", rate),
                                    fmt::format("simulation.duration={}", duration)};
    set.insert(set.end(), extra.begin(), extra.end());
    return load_model_file(SYNFIRE_SOURCE_DIR "/data/models/brunel.toml", set);
}

/// Every projection's delay [ms], as overrides.
std::vector<std::string> all_delays(double ms) {
    std::vector<std::string> out;
    for (int p = 0; p < 4; ++p) out.push_back(fmt::format("projections[{}].delay={}", p, ms));
    return out;
}

TEST(CudaBackend, BrunelNetworkMatchesTheCpu) {
    // 10 000 neurons (8000 E, 2000 I, epsilon 0.1), state C, 200 ms: every spike and the final state
    REQUIRE_DEVICE();
    const model m = small_brunel(8000, 800, 25, 200);
    const auto cpu = test::run_cpu(m, 2);
    auto b = make_cuda_backend(m);
    const auto t0 = std::chrono::steady_clock::now();
    const auto gpu = test::run_on(m, *b);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_TRUE(same_run(cpu, gpu));
    EXPECT_GT(cpu.spikes[0].size(), 10000u);
    // the GPU's time between windows, waiting for the host, and (spikes decoded on the host, the persistent
    // kernel's default) the host's decoding: phases of their own, within the run's wall time
    // (unless the environment switches host compaction or the persistent kernel off: gpu-check.sh runs this
    // test under a candidate default's switches)
    const int host_compaction = env_switch("SYNFIRE_CUDA_HOST_COMPACTION");
    const bool host = host_compaction == 1 || (host_compaction == -1 && env_switch("SYNFIRE_CUDA_PERSISTENT") != 0);
    EXPECT_EQ(b->device().find("spikes decoded on the host") != std::string::npos, host) << b->device();
    bool idle = false, decoding = false;
    for (const auto& [phase, seconds] : b->phase_times()) {
        if (phase != "idle" && phase != "decoding") continue;
        (phase == "idle" ? idle : decoding) = true;
        EXPECT_GE(seconds, 0.0) << phase;
        EXPECT_LT(seconds, wall) << phase;
    }
    EXPECT_TRUE(idle);
    EXPECT_EQ(decoding, host);
}

TEST(CudaBackend, BrunelNetworkInStepModeMatchesTheCpu) {
    // the same network with delays of 0.3 ms (3 steps): step mode with windows of up to 64 steps, far longer
    // than the shortest delay; every spike and the final state, for several window lengths
    REQUIRE_DEVICE();
    const model m = small_brunel(8000, 800, 25, 100, all_delays(0.3));
    const auto cpu = test::run_cpu(m, 2);
    auto b = make_cuda_backend(m);
    EXPECT_EQ(b->max_window(), gpu_limits::max_window);
    const auto gpu = test::run_on(m, *b);
    EXPECT_TRUE(same_run(cpu, gpu));
    EXPECT_GT(cpu.spikes[0].size(), 5000u);
    for (int window : {1, 7}) {
        auto c = make_cuda_backend(m);
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *c, window))) << "window " << window;
    }
}

TEST(CudaBackend, VogelsAbbottCubaMatchesTheCpu) {
    // data/models/vogels_abbott_cuba.toml as shipped (delay = dt: step mode, two receptors with different
    // time constants), 300 ms
    REQUIRE_DEVICE();
    const model m = load_model_file(SYNFIRE_SOURCE_DIR "/data/models/vogels_abbott_cuba.toml", {"simulation.duration=300"});
    const auto cpu = test::run_cpu(m, 2);
    auto b = make_cuda_backend(m);
    EXPECT_TRUE(same_run(cpu, test::run_on(m, *b)));
    EXPECT_GT(cpu.spikes[0].size(), 3000u);
}

TEST(CudaBackend, EveryNetworkPathMatchesTheCpu) {
    // step mode in the persistent window kernel with deferred delivery and delivering blocks (default where
    // the update fits in one wave), with a delivery of its own per step, and without delivering blocks;
    // windows replayed as CUDA graphs and per-step launches; fused windows of min-delay steps: the same
    // spikes and state as the CPU
    REQUIRE_DEVICE();
    const model m = small_brunel(4000, 400, 50, 100, {"projections[1].delay=0.2"});
    const auto cpu = test::run_cpu(m, 2);
    EXPECT_GT(cpu.spikes[0].size(), 2000u);
    const bool hopper = cuda_devices().at(0).major >= 9;
    {  // 20 update blocks: room for one delivering block per multiprocessor
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find(fmt::format("persistent window kernel of {} blocks ({} delivering the lists)",
                                               20 + cuda_devices().at(0).multiprocessors, cuda_devices().at(0).multiprocessors)),
                  std::string::npos)
            << b->device();
        EXPECT_NE(b->device().find("deferred delivery"), std::string::npos) << b->device();
        EXPECT_NE(b->device().find("spikes decoded on the host"), std::string::npos) << b->device();
        EXPECT_NE(b->device().find(fmt::format("barrier polled {} ns apart", gpu_limits::barrier_sleep_ns)), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    {  // synapses loaded as a stream (evict first), the input rings persisting in L2 (sm 80+) and the next ring
       // slot prefetched into L2: comparisons
        scoped_env loads("SYNFIRE_CUDA_SYNAPSE_LOADS", "streaming"), l2("SYNFIRE_CUDA_L2_RING", "1"), prefetch("SYNFIRE_CUDA_RING_PREFETCH", "1");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("synapses loaded as a stream"), std::string::npos) << b->device();
        EXPECT_NE(b->device().find("ring slots prefetched"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("input rings persisting in L2") != std::string::npos, cuda_devices().at(0).major >= 8) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    {  // and back: every backend sets the process-wide load switch
        auto b = make_cuda_backend(m);
        EXPECT_EQ(b->device().find("as a stream"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("persisting"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("prefetched"), std::string::npos) << b->device();
    }
    for (const char* deliverers : {"1", "0"}) {  // each step's inputs computed at its top, with and without delivering blocks
        scoped_env top("SYNFIRE_CUDA_INPUTS_AT_TOP", "1"), env("SYNFIRE_CUDA_DELIVERERS", deliverers);
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("inputs at the top of each step"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    {  // the grid barrier polled without sleeping
        scoped_env env("SYNFIRE_CUDA_BARRIER_SLEEP", "0");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("barrier polled 0 ns apart"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("relaxed"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    for (const char* deliverers : {"1", "0"}) {  // polled with relaxed loads and one acquire, in the update and the delivering blocks;
                                                 // the Poisson tables in shared memory (the same counts)
        scoped_env env("SYNFIRE_CUDA_BARRIER_POLL", "relaxed"), d("SYNFIRE_CUDA_DELIVERERS", deliverers),
            tables("SYNFIRE_CUDA_SHARED_POISSON", *deliverers == '0' ? "1" : "0");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("ns apart with relaxed loads, then one acquire"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("Poisson tables in shared memory") != std::string::npos, *deliverers == '0') << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    {
        scoped_env env("SYNFIRE_CUDA_BARRIER_POLL", "acquire");
        EXPECT_EQ(make_cuda_backend(m)->device().find("relaxed"), std::string::npos);
    }
    // fewer neurons per update block of the persistent kernel: 96 (53 blocks) with delivering blocks, 224 (23)
    // without, 32 (157) with the lists at the barrier
    for (const char* neurons : {"96", "224", "32"}) {
        const std::string n = neurons;
        scoped_env env("SYNFIRE_CUDA_BLOCK_NEURONS", neurons), d("SYNFIRE_CUDA_DELIVERERS", n == "224" ? "0" : "1"),
            late("SYNFIRE_CUDA_LISTS_AT_BARRIER", n == "32" ? "1" : "0");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find(fmt::format(", {} neurons per update block", n)), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("delivering") != std::string::npos, n == "96") << b->device();
        EXPECT_EQ(b->device().find("at the next barrier") != std::string::npos, n == "32") << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    {  // not whole warps
        scoped_env env("SYNFIRE_CUDA_BLOCK_NEURONS", "100");
        EXPECT_THROW(make_cuda_backend(m), user_error);
    }
    {  // Poisson tables of about 200 entries (a mean of 120 inputs per step) in shared memory: every entry copied
        const model busy = small_brunel(4000, 400, 50, 60, {"projections[1].delay=0.2", "stimuli[0].rate=3000"});
        ASSERT_GT(busy.stimuli[0].rate * busy.stimuli[0].n_inputs * busy.dt * 1e-3, 100.0);
        const auto busy_cpu = test::run_cpu(busy, 2);
        scoped_env env("SYNFIRE_CUDA_SHARED_POISSON", "1");
        auto b = make_cuda_backend(busy);
        EXPECT_NE(b->device().find("Poisson tables in shared memory"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("Poisson caches"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(busy_cpu, test::run_on(busy, *b))) << b->device();
        scoped_env caches("SYNFIRE_CUDA_SHARED_CACHES", "1");  // and each thread's Poisson cache (windows 1 and 7 too)
        for (int window : {0, 1, 7}) {
            auto c = make_cuda_backend(busy);
            EXPECT_NE(c->device().find("Poisson tables in shared memory, Poisson caches in shared memory"), std::string::npos) << c->device();
            EXPECT_TRUE(same_run(busy_cpu, test::run_on(busy, *c, window))) << c->device() << ", window " << window;
        }
    }
    {  // the caches alone, on the default network; not with inputs at the top of an in-step list (no such instance)
        scoped_env caches("SYNFIRE_CUDA_SHARED_CACHES", "1");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("Poisson caches in shared memory"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("Poisson tables"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
        scoped_env top("SYNFIRE_CUDA_INPUTS_AT_TOP", "1");
        auto t = make_cuda_backend(m);
        EXPECT_EQ(t->device().find("Poisson caches"), std::string::npos) << t->device();
    }
    {  // the device's own compaction (counting and writing kernels on the slots' streams) beside the persistent kernel
        scoped_env env("SYNFIRE_CUDA_HOST_COMPACTION", "0");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("persistent"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("decoded on the host"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    for (const char* deliverers : {"0", "1"}) {  // none: every block delivers its share; one: all the list's work in one block
        scoped_env env("SYNFIRE_CUDA_DELIVERERS", deliverers);
        auto b = make_cuda_backend(m);
        EXPECT_EQ(b->device().find("delivering") != std::string::npos, *deliverers == '1') << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    {
        scoped_env deferred("SYNFIRE_CUDA_DEFERRED", "0");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("persistent"), std::string::npos) << b->device();
        EXPECT_EQ(b->device().find("deferred"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << "persistent window kernel, a delivery of its own per step";
    }
    for (const char* bad : {"SYNFIRE_CUDA_DELIVERERS", "SYNFIRE_CUDA_PERSISTENT", "SYNFIRE_CUDA_EARLY_LIST", "SYNFIRE_CUDA_EARLY_LIST_PARTS",
                            "SYNFIRE_CUDA_HOST_COMPACTION", "SYNFIRE_CUDA_BARRIER_SLEEP", "SYNFIRE_CUDA_SYNAPSE_LOADS", "SYNFIRE_CUDA_L2_RING",
                            "SYNFIRE_CUDA_LISTS_AT_BARRIER", "SYNFIRE_CUDA_CLAIMED_LISTS", "SYNFIRE_CUDA_RING_PREFETCH", "SYNFIRE_CUDA_INPUTS_AT_TOP",
                            "SYNFIRE_CUDA_BARRIER_POLL", "SYNFIRE_CUDA_SHARED_POISSON", "SYNFIRE_CUDA_BLOCK_NEURONS",
                            "SYNFIRE_CUDA_SHARED_CACHES"}) {
        scoped_env env(bad, "-3");
        EXPECT_THROW(make_cuda_backend(m), user_error) << bad;
    }
    scoped_env no_persistent("SYNFIRE_CUDA_PERSISTENT", "0");
    {
        auto b = make_cuda_backend(m);
#ifdef NDEBUG
        EXPECT_NE(b->device().find("CUDA graphs"), std::string::npos) << b->device();
#endif
        EXPECT_EQ(b->device().find("deferred"), std::string::npos) << b->device();
        // 20 update blocks, all resident at once: programmatic dependent launches by default (sm 90+)
        EXPECT_EQ(b->device().find("programmatic") != std::string::npos, hopper) << b->device();
        EXPECT_EQ(b->device().find("decoded on the host"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << "per-step launches in CUDA graphs";
    }
    {  // with the bitmaps decoded on the host, and the delivery kernels' synapses loaded as a stream
        scoped_env env("SYNFIRE_CUDA_HOST_COMPACTION", "1"), loads("SYNFIRE_CUDA_SYNAPSE_LOADS", "streaming");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("decoded on the host"), std::string::npos) << b->device();
        EXPECT_NE(b->device().find("synapses loaded as a stream"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << "CUDA graphs, spikes decoded on the host, synapses as a stream";
    }
    for (const char* pdl : {"0", "1"})  // per-step launches in graphs and without, plain and programmatic
        for (const char* graphs : {"1", "0"}) {
            scoped_env programmatic("SYNFIRE_CUDA_PDL", pdl), with_graphs("SYNFIRE_CUDA_GRAPHS", graphs);
            auto b = make_cuda_backend(m);
            if (*graphs == '0') {
                EXPECT_NE(b->device().find("launches per step"), std::string::npos) << b->device();
            }
            EXPECT_EQ(b->device().find("programmatic") != std::string::npos, hopper && *pdl == '1') << b->device();
            EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
        }
    {  // one delivery block per multiprocessor: each block walks several whole spikes more often
        scoped_env blocks("SYNFIRE_CUDA_DELIVERY_BLOCKS", "1");
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find(fmt::format(" in {} blocks", cuda_devices().at(0).multiprocessors)), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
    {
        scoped_env blocks("SYNFIRE_CUDA_DELIVERY_BLOCKS", "many");
        EXPECT_THROW(make_cuda_backend(m), user_error);
    }
    for (const char* loads : {"readonly", "streaming"}) {
        scoped_env fused("SYNFIRE_CUDA_STEP_MODE", "0"), how("SYNFIRE_CUDA_SYNAPSE_LOADS", loads);
        auto b = make_cuda_backend(m);
        EXPECT_EQ(b->max_window(), 2);  // the shortest delay, 0.2 ms
        EXPECT_NE(b->device().find("fused windows of 2 steps"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << "fused windows, synapse loads " << loads;
    }
}

/// Two populations (iaf_psc_exp and iaf_psc_delta) joined by every connection rule with random weights and
/// delays from one step (0.1 ms) to 30, both receptors.
model every_rule_model() {
    return test::model_from(R"(
[simulation]
duration = 60.0
seed = 8
[populations.A]
model = "iaf_psc_exp"
n = 700
V_init = { distribution = "uniform", low = -70.0, high = -54.0 }
[populations.B]
model = "iaf_psc_delta"
n = 333
[[stimuli]]
type = "poisson"
target = "A"
rate = 900.0
weight = 60.0
[[stimuli]]
type = "dc"
target = "A"
amplitude = 330.0
[[stimuli]]
type = "dc"
target = "B"
amplitude = 380.0
[[projections]]
source = "A"
target = "A"
rule = "pairwise_bernoulli"
p = 0.05
weight = { distribution = "normal", mean = 40.0, std = 10.0 }
delay = { distribution = "uniform", low = 0.1, high = 3.0 }
[[projections]]
source = "B"
target = "A"
rule = "fixed_outdegree"
k = 25
weight = -90.0
delay = 0.4
[[projections]]
source = "A"
target = "B"
rule = "fixed_total_number"
n = 20000
weight = { distribution = "lognormal", mean = -1.0, std = 0.5 }
delay = { distribution = "normal_clipped", mean = 1.0, std = 0.4, low = 0.2, high = 2.5 }
[[projections]]
source = "B"
target = "B"
rule = "all_to_all"
allow_autapses = false
weight = -0.05
delay = 0.2
)");
}

TEST(CudaBackend, SynapseDeliveryMatchesTheCpuForEveryRuleAndReceptor) {
    REQUIRE_DEVICE();
    const model m = every_rule_model();
    const auto cpu = test::run_cpu(m, 2);
    auto b = make_cuda_backend(m);
    EXPECT_TRUE(same_run(cpu, test::run_on(m, *b)));
    EXPECT_GT(cpu.spikes[0].size(), 500u);
    EXPECT_GT(cpu.spikes[1].size(), 100u);
    const synapse_table table = build_synapses(m, 2);
    std::uint64_t senders = 0;
    for (std::size_t g = 0; g + 1 < table.offsets.size(); ++g) senders += table.offsets[g + 1] > table.offsets[g];
    const double fan_out = static_cast<double>(table.synapses.size()) / static_cast<double>(senders);
    ASSERT_GE(fan_out, cuda::warp_worker_fan_out);  // the model is meant for block workers
    EXPECT_NE(b->device().find(fmt::format("delivery by block (mean fan-out {:.0f})", fan_out)), std::string::npos) << b->device();
    for (const char* worker : {"warp", "block"}) {  // both delivery workers, forced: in the persistent kernel and the graphs, plain and programmatic
        scoped_env by("SYNFIRE_CUDA_DELIVERY", worker);
        {
            auto p = make_cuda_backend(m);
            EXPECT_NE(p->device().find("persistent"), std::string::npos) << p->device();
            EXPECT_TRUE(same_run(cpu, test::run_on(m, *p))) << p->device();
        }
        for (const char* pdl : {"0", "1"}) {
            scoped_env programmatic("SYNFIRE_CUDA_PDL", pdl), graphs("SYNFIRE_CUDA_PERSISTENT", "0");
            auto p = make_cuda_backend(m);
            EXPECT_NE(p->device().find(std::string("delivery by ") + worker), std::string::npos) << p->device();
            EXPECT_TRUE(same_run(cpu, test::run_on(m, *p))) << p->device();
        }
    }
}

TEST(CudaBackend, SmallFanOutsAreDeliveredByWarps) {
    // Brunel with 25 synapses per neuron: warp workers chosen by the fan-out, on every step-mode path
    REQUIRE_DEVICE();
    const model m = small_brunel(4000, 20, 50, 100, {"projections[1].delay=0.2"});
    const auto cpu = test::run_cpu(m, 2);
    EXPECT_GT(cpu.spikes[0].size(), 2000u);
    for (const char* persistent : {"1", "0"})  // the persistent kernel (the default), the graphs with and without programmatic launches
        for (const char* pdl : {"0", "1"}) {
        if (*persistent == '1' && *pdl == '1') continue;
        scoped_env env("SYNFIRE_CUDA_PERSISTENT", persistent), programmatic("SYNFIRE_CUDA_PDL", pdl);
        auto b = make_cuda_backend(m);
        EXPECT_NE(b->device().find("delivery by warp (mean fan-out 25)"), std::string::npos) << b->device();
        EXPECT_TRUE(same_run(cpu, test::run_on(m, *b))) << b->device();
    }
}

/// Share of the table's synapses with a delay of one step, as the device string prints it.
std::string one_step_share(const model& m) {
    const synapse_table t = build_synapses(m, 2);
    std::uint64_t one = 0;
    for (const auto& s : t.synapses) one += s.delay == 1;
    return fmt::format("deferred delivery ({:.1f}% of synapses at one step's delay)", 100.0 * static_cast<double>(one) / static_cast<double>(t.size()));
}

TEST(CudaBackend, DeferredDeliveryMatchesTheCpu) {
    // one launch (or one grid barrier) per step: each block delivers its own spikes' synapses of one step's
    // delay, the next step's launch the rest. Models with both kinds of synapses (every rule, delays 0.1 to
    // 3 ms), with only one-step delays (Vogels-Abbott: all by the senders) and with none (Brunel at 0.3 ms: all
    // deferred); on every step path and for windows of 1 and 7 steps (the window's last list is delivered
    // after it)
    REQUIRE_DEVICE();
    const model brunel = small_brunel(4000, 400, 50, 60, all_delays(0.3));
    const model va = load_model_file(SYNFIRE_SOURCE_DIR "/data/models/vogels_abbott_cuba.toml", {"simulation.duration=100"});
    const model rules = every_rule_model();
    EXPECT_NE(one_step_share(va).find("(100.0%"), std::string::npos);
    EXPECT_NE(one_step_share(brunel).find("(0.0%"), std::string::npos);
    scoped_env deferred("SYNFIRE_CUDA_DEFERRED", "1");
    for (const model* m : {&rules, &va, &brunel}) {
        const auto cpu = test::run_cpu(*m, 2);
        EXPECT_GT(cpu.spikes[0].size(), 500u);
        const std::string share = one_step_share(*m);
        {
            auto b = make_cuda_backend(*m);
            EXPECT_NE(b->device().find(share), std::string::npos) << b->device() << " / " << share;
            EXPECT_TRUE(same_run(cpu, test::run_on(*m, *b))) << b->device();
            for (int window : {1, 7}) {
                auto c = make_cuda_backend(*m);
                EXPECT_TRUE(same_run(cpu, test::run_on(*m, *c, window))) << c->device() << ", window " << window;
            }
        }
        for (const char* pdl : {"0", "1"})
            for (const char* graphs : {"1", "0"}) {
                scoped_env programmatic("SYNFIRE_CUDA_PDL", pdl), with_graphs("SYNFIRE_CUDA_GRAPHS", graphs), no("SYNFIRE_CUDA_PERSISTENT", "0");
                auto b = make_cuda_backend(*m);
                EXPECT_EQ(b->device().find("persistent"), std::string::npos) << b->device();
                EXPECT_TRUE(same_run(cpu, test::run_on(*m, *b))) << b->device();
            }
        for (const char* worker : {"warp", "block"})
            for (const char* persistent : {"1", "0"}) {
                scoped_env by("SYNFIRE_CUDA_DELIVERY", worker), env("SYNFIRE_CUDA_PERSISTENT", persistent);
                auto b = make_cuda_backend(*m);
                EXPECT_TRUE(same_run(cpu, test::run_on(*m, *b))) << b->device();
            }
        for (const char* parts : {"", "1", "65536"}) {  // the lists read early: parts from the spikes per step, whole spikes, one spike over the grid
            scoped_env early("SYNFIRE_CUDA_EARLY_LIST", "1"), none("SYNFIRE_CUDA_DELIVERERS", "0"),
                forced("SYNFIRE_CUDA_EARLY_LIST_PARTS", *parts ? parts : "1");
            if (!*parts) unsetenv("SYNFIRE_CUDA_EARLY_LIST_PARTS");
            auto b = make_cuda_backend(*m);
            EXPECT_EQ(b->device().find("lists read early") != std::string::npos, b->device().find("delivery by block") != std::string::npos)
                << b->device();
            EXPECT_TRUE(same_run(cpu, test::run_on(*m, *b))) << b->device() << ", parts " << parts;
            for (int window : {1, 7}) {
                auto c = make_cuda_backend(*m);
                EXPECT_TRUE(same_run(cpu, test::run_on(*m, *c, window))) << c->device() << ", parts " << parts << ", window " << window;
            }
        }
        for (const char* how : {"SYNFIRE_CUDA_LISTS_AT_BARRIER", "SYNFIRE_CUDA_CLAIMED_LISTS"}) {
            // each list delivered while the grid gathers at the next barrier (three steps' delay or more; one and
            // two by the spiking block), shared as the grid's delivery or in parts the blocks claim; both workers,
            // windows 1 and 7; not on the graphs' path
            scoped_env late(how, "1");
            const bool claimed = std::string(how) == "SYNFIRE_CUDA_CLAIMED_LISTS";
            for (const char* worker : {"warp", "block"}) {  // block workers with the barrier polled relaxed,
                const bool relaxed = std::string(worker) == "block";  // warp workers with the Poisson tables and caches in shared memory
                scoped_env by("SYNFIRE_CUDA_DELIVERY", worker), poll("SYNFIRE_CUDA_BARRIER_POLL", relaxed ? "relaxed" : "acquire"),
                    tables("SYNFIRE_CUDA_SHARED_POISSON", relaxed ? "0" : "1"), caches("SYNFIRE_CUDA_SHARED_CACHES", relaxed ? "0" : "1");
                auto b = make_cuda_backend(*m);
                EXPECT_NE(b->device().find("lists delivered at the next barrier"), std::string::npos) << b->device();
                EXPECT_EQ(b->device().find("relaxed loads") != std::string::npos, relaxed) << b->device();
                EXPECT_EQ(b->device().find("Poisson caches in shared memory") != std::string::npos, !relaxed) << b->device();
                EXPECT_NE(b->device().find("inputs at the top of each step"), std::string::npos) << b->device();
                EXPECT_EQ(b->device().find("in claimed parts") != std::string::npos, claimed) << b->device();
                EXPECT_EQ(b->device().find("delivering"), std::string::npos) << b->device();
                EXPECT_TRUE(same_run(cpu, test::run_on(*m, *b))) << b->device();
                for (int window : {1, 7}) {
                    auto c = make_cuda_backend(*m);
                    EXPECT_TRUE(same_run(cpu, test::run_on(*m, *c, window))) << c->device() << ", window " << window;
                }
            }
            scoped_env graphs("SYNFIRE_CUDA_PERSISTENT", "0");
            auto g = make_cuda_backend(*m);
            EXPECT_EQ(g->device().find("at the next barrier"), std::string::npos) << g->device();
            EXPECT_NE(g->device().find(share), std::string::npos) << g->device();
            EXPECT_TRUE(same_run(cpu, test::run_on(*m, *g))) << g->device();
        }
        {  // inputs at the top of each step with the list in the step (windows 1 and 7: inputs of a window's first step)
            scoped_env top("SYNFIRE_CUDA_INPUTS_AT_TOP", "1");
            auto b = make_cuda_backend(*m);
            EXPECT_NE(b->device().find("inputs at the top of each step"), std::string::npos) << b->device();
            EXPECT_TRUE(same_run(cpu, test::run_on(*m, *b))) << b->device();
            for (int window : {1, 7}) {
                auto c = make_cuda_backend(*m);
                EXPECT_TRUE(same_run(cpu, test::run_on(*m, *c, window))) << c->device() << ", window " << window;
            }
        }
        for (const char* deliverers : {"0", "1", "3"}) {  // the persistent kernel (the default here) without and with delivering blocks
            scoped_env env("SYNFIRE_CUDA_DELIVERERS", deliverers);
            auto b = make_cuda_backend(*m);
            EXPECT_NE(b->device().find("persistent"), std::string::npos) << b->device();
            EXPECT_NE(b->device().find(share), std::string::npos) << b->device();
            EXPECT_EQ(b->device().find("delivering") != std::string::npos, *deliverers != '0') << b->device();
            EXPECT_TRUE(same_run(cpu, test::run_on(*m, *b))) << b->device();
            auto c = make_cuda_backend(*m);
            EXPECT_TRUE(same_run(cpu, test::run_on(*m, *c, 7))) << c->device() << ", window 7";
        }
    }
    {
        scoped_env bad("SYNFIRE_CUDA_DEFERRED", "yes");
        try {
            make_cuda_backend(rules);
            ADD_FAILURE() << "SYNFIRE_CUDA_DEFERRED=yes accepted";
        } catch (const user_error& e) {
            EXPECT_NE(std::string(e.what()).find("SYNFIRE_CUDA_DEFERRED=yes"), std::string::npos) << e.what();
        }
    }
}

TEST(CudaBackend, WindowLengthDoesNotChangeResults) {
    REQUIRE_DEVICE();
    const model m = test::model_from(stimulated("iaf_psc_exp", 5000, 100.0));
    auto a = make_cuda_backend(m);
    auto b = make_cuda_backend(m);
    EXPECT_TRUE(same_run(test::run_on(m, *a, 1), test::run_on(m, *b)));
}

TEST(CudaBackend, ComparisonCatchesOneFlippedBit) {
    REQUIRE_DEVICE();
    const model m = test::model_from(stimulated("iaf_psc_exp", 257, 50.0));
    auto b = make_cuda_backend(m);
    const auto gpu = test::run_on(m, *b);
    auto tampered = gpu;
    std::uint32_t bits;
    std::memcpy(&bits, &tampered.final_state[0].V[100], 4);
    bits ^= 1u;
    std::memcpy(&tampered.final_state[0].V[100], &bits, 4);
    EXPECT_FALSE(same_run(gpu, tampered));
    auto dropped = gpu;
    dropped.spikes[0].pop_back();
    EXPECT_FALSE(same_run(gpu, dropped));
}

TEST(CudaBackend, SynapticInputPathMatchesTheCpuStep) {
    // The networked kernel (one step, input slot read and cleared) against the shared step on the host.
    REQUIRE_DEVICE();
    constexpr std::uint32_t n = 1000;
    neuron_params p;
    p.tau_syn_ex = 0.5;
    p.tau_syn_in = 3.0;
    const auto c = make_iaf_psc_exp_coeffs(p, 0.1);
    std::vector<cuda::exp_state> host(n);
    std::vector<cuda::exp_input> input(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        host[i] = {0.013f * i, 1.7f * i, -0.9f * i, static_cast<std::int32_t>(i % 3)};
        input[i] = {to_fixed(0.37 * i - 50.0), to_fixed(-0.11 * i)};
    }
    cuda::device_buffer<cuda::exp_state> d_state(n);
    cuda::device_buffer<cuda::exp_input> d_input(n);
    cuda::device_buffer<std::uint32_t> d_bitmap((n + 31) / 32);
    SYNFIRE_CUDA(cudaMemcpy(d_state.data(), host.data(), n * sizeof(cuda::exp_state), cudaMemcpyHostToDevice));
    SYNFIRE_CUDA(cudaMemcpy(d_input.data(), input.data(), n * sizeof(cuda::exp_input), cudaMemcpyHostToDevice));
    cuda::update_window w;
    w.ring_slots = 1;
    w.I.I[0] = 376.5f;
    cuda::update_iaf_psc_exp(d_state.data(), d_input.data(), d_bitmap.data(), n, w, c, nullptr);
    std::vector<cuda::exp_state> gpu(n);
    std::vector<cuda::exp_input> cleared(n);
    std::vector<std::uint32_t> bitmap((n + 31) / 32);
    SYNFIRE_CUDA(cudaMemcpy(gpu.data(), d_state.data(), n * sizeof(cuda::exp_state), cudaMemcpyDeviceToHost));
    SYNFIRE_CUDA(cudaMemcpy(cleared.data(), d_input.data(), n * sizeof(cuda::exp_input), cudaMemcpyDeviceToHost));
    SYNFIRE_CUDA(cudaMemcpy(bitmap.data(), d_bitmap.data(), bitmap.size() * 4, cudaMemcpyDeviceToHost));
    for (std::uint32_t i = 0; i < n; ++i) {
        cuda::exp_state s = host[i];
        const bool spike = iaf_psc_exp_step(s.V, s.I_ex, s.I_in, s.r, w.I.I[0], fixed_to_float(input[i].ex), fixed_to_float(input[i].in), c);
        ASSERT_EQ(std::memcmp(&s, &gpu[i], sizeof s), 0) << "neuron " << i;
        ASSERT_EQ(spike, ((bitmap[i / 32] >> (i % 32)) & 1u) != 0) << "neuron " << i;
        ASSERT_EQ(cleared[i].ex, 0);
        ASSERT_EQ(cleared[i].in, 0);
    }
}

TEST(CudaBackend, OutputFilesAreIdenticalBetweenBackendsButForTiming) {
    REQUIRE_DEVICE();
    const auto dir = std::filesystem::temp_directory_path() / ("synfire_cuda_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const model m = test::model_from(stimulated("iaf_psc_exp", 20000, 100.0) + R"(
[[recorders]]
type = "spikes"
population = "P"
[[recorders]]
type = "state"
population = "P"
ids = [0, 5, 31, 32, 19999]
variables = ["V_m", "I_syn_ex", "I_syn_in"]
interval = 0.3
[[recorders]]
type = "rate"
population = "P"
bin = 2.0
)");
    for (const char* kind : {"cpu", "cuda", "cuda_host"}) {  // cuda_host: spikes decoded on the host, frames beside them
        scoped_env host("SYNFIRE_CUDA_HOST_COMPACTION", std::string(kind) == "cuda_host" ? "1" : "0");
        auto b = std::string(kind) == "cpu" ? make_cpu_backend(m, 2) : make_cuda_backend(m);
        auto out = open_hdf5_output((dir / (std::string(kind) + ".h5")).string(), true, m, {b->name(), b->device(), 1});
        const run_result r = simulate(m, *b, out.get());
        out->finish(r.totals);
    }
    const std::string cpu = (dir / "cpu.h5").string(), gpu = (dir / "cuda.h5").string();
    const std::vector<std::string> timing = {"wall_time", "real_time_factor", "writer_wait", "time_*", "backend", "device"};
    EXPECT_EQ(test::compare_files(cpu, gpu, timing), "");
    EXPECT_EQ(test::compare_files(cpu, (dir / "cuda_host.h5").string(), timing), "");
    EXPECT_GT(test::h5_file(gpu).uint64s("/spikes/P/node_ids").size(), 10000u);
    EXPECT_EQ(test::h5_file(gpu).read<float>("/report/P/I_syn_in/data", H5T_NATIVE_FLOAT).size(), 333u * 5u);
    // must fail: the comparison sees the backend attribute when it is not skipped
    EXPECT_NE(test::compare_files(cpu, gpu, {"wall_time", "real_time_factor", "writer_wait", "time_*", "device"}), "");
    std::filesystem::remove_all(dir);
}

TEST(CudaBackend, PreflightRefusesWhatDoesNotFit) {
    REQUIRE_DEVICE();
    std::string text = "[simulation]\nduration = 1.0\n";
    for (int p = 0; p < 16; ++p) text += fmt::format("[populations.P{}]\nmodel = \"iaf_psc_exp\"\nn = 4000000000\n", p);
    const model m = test::model_from(text);
    try {
        make_cuda_backend(m);
        FAIL() << "a 1 TB model was accepted";
    } catch (const runtime_failure& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("needs"), std::string::npos) << msg;
        EXPECT_NE(msg.find("GiB free"), std::string::npos) << msg;
    }
}

}  // namespace
}  // namespace synfire
