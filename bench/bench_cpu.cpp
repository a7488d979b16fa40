// CPU neuron-update throughput: N uncoupled iaf_psc_exp neurons under a 0..1000 pA ramp (the F-I sweep),
// through the whole engine (stimulus schedule, update, spike collection), nothing written.
//
// Bytes per update when memory-bound: V, I_ex, I_in, r = 16 B read + 16 B written per neuron and window;
// the temporally blocked loop keeps a block in L1 for a whole window, so a window of W steps moves
// 32/W + (4 B of per-neuron current)/W bytes per update and the loop is compute-bound.
//
// Host synapse construction (build_synapses, as the CPU backend calls it): synapses per second for N neurons
// (80% E) with in-degree 1000, by the microcircuit's rule (fixed_total_number, normal-clipped weights and delays)
// and by Brunel's (fixed_indegree, constant weight and delay), against the floor of writing the table once:
// its bytes memset into memory already faulted in, timed in the same run (write_floor_ratio = floor / fastest build).
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "synfire/backend.hpp"
#include "synfire/model_file.hpp"
#include "synfire/network.hpp"
#include "synfire/simulation.hpp"

namespace {

/// Steps per run: about 1e9 updates, 100 .. 100 000 steps.
std::int64_t steps_for(std::int64_t n) { return std::clamp<std::int64_t>(1'000'000'000 / n, 100, 100'000); }

synfire::model fi_model(std::int64_t n, std::int64_t steps) {
    const std::string text = fmt::format(R"(
[simulation]
dt = 0.1
duration = {}
[populations.E]
model = "iaf_psc_exp"
n = {}
[[stimuli]]
type = "ramp"
target = "E"
from = 0.0
to = 1000.0
)",
                                         static_cast<double>(steps) / 10.0, n);
    return synfire::load_model_text(text, "bench", "bench");
}

void BM_cpu_update(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const std::int64_t steps = steps_for(n);
    const synfire::model m = fi_model(n, steps);
    auto backend = synfire::make_cpu_backend(m, 0);
    std::uint64_t spikes = 0;
    for (auto _ : state) {
        const auto r = synfire::simulate(m, *backend, nullptr);
        spikes += r.populations[0].spikes;
    }
    state.counters["neurons"] = static_cast<double>(n);
    state.counters["steps"] = static_cast<double>(steps);
    state.counters["updates_per_s"] =
        benchmark::Counter(static_cast<double>(n * steps), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["spikes_per_update"] = static_cast<double>(spikes) / static_cast<double>(n * steps * state.iterations());
    state.SetLabel(backend->device());
}
BENCHMARK(BM_cpu_update)->RangeMultiplier(10)->Range(1000, 10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

/// N neurons, 80% E, in-degree 1000 from each side's share: the microcircuit's rule and distributions
/// (microcircuit = true) or Brunel's fixed in-degrees with constant weight and delay.
synfire::model construction_model(std::int64_t n, bool microcircuit) {
    const std::int64_t ne = n * 4 / 5, ni = n - ne;
    std::string text = fmt::format("[simulation]\ndt = 0.1\nduration = 0.1\n[populations.E]\nmodel = \"iaf_psc_exp\"\nn = {}\n"
                                   "[populations.I]\nmodel = \"iaf_psc_exp\"\nn = {}\n",
                                   ne, ni);
    for (const char* source : {"E", "I"})
        for (const auto& [target, size] : {std::pair<const char*, std::int64_t>{"E", ne}, {"I", ni}}) {
            const bool e = source[0] == 'E';
            const std::int64_t k = e ? 800 : 200;  // of the in-degree 1000
            if (microcircuit)
                text += fmt::format(
                    "[[projections]]\nsource = \"{}\"\ntarget = \"{}\"\nrule = \"fixed_total_number\"\nn = {}\n"
                    "weight = {{ distribution = \"normal_clipped\", mean = {}, std = {}, {} = 0.0 }}\n"
                    "delay = {{ distribution = \"normal_clipped\", mean = {}, std = {}, low = 0.1 }}\n",
                    source, target, k * size, e ? 87.8 : -351.2, e ? 8.78 : 35.12, e ? "low" : "high", e ? 1.5 : 0.75, e ? 0.75 : 0.375);
            else
                text += fmt::format("[[projections]]\nsource = \"{}\"\ntarget = \"{}\"\nrule = \"fixed_indegree\"\nk = {}\nweight = {}\ndelay = 1.5\n",
                                    source, target, k, e ? 0.1 : -0.5);
        }
    return synfire::load_model_text(text, "bench", "bench");
}

void BM_build_synapses(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const bool microcircuit = state.range(1) != 0;
    const synfire::model m = construction_model(n, microcircuit);
    std::uint64_t synapses = 0;
    double build_s = 1e30;  // the fastest build of this run
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        const synfire::synapse_table t = synfire::build_synapses(m, 0);
        build_s = std::min(build_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        synapses = t.size();
        benchmark::DoNotOptimize(t.synapses.data());
    }
    // the floor: the table's bytes written once into memory that is already faulted in
    std::vector<char> table(synapses * sizeof(synfire::synapse), 1);
    double floor_s = 1e30;
    for (int r = 0; r < 3; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        std::memset(table.data(), r, table.size());
        benchmark::DoNotOptimize(table.data());
        floor_s = std::min(floor_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    state.counters["synapses"] = static_cast<double>(synapses);
    state.counters["synapses_per_s"] = benchmark::Counter(static_cast<double>(synapses), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["write_floor_s"] = floor_s;
    state.counters["write_floor_ratio"] = floor_s / build_s;
    state.SetLabel(microcircuit ? "microcircuit rule (fixed_total_number, normal_clipped)" : "Brunel rule (fixed_indegree, constants)");
}
BENCHMARK(BM_build_synapses)->ArgsProduct({{10'000, 50'000}, {1, 0}})->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(3)->ReportAggregatesOnly(false);

}  // namespace

BENCHMARK_MAIN();
