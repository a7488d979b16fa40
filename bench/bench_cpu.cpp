// CPU neuron-update throughput: N uncoupled iaf_psc_exp neurons under a 0..1000 pA ramp (the F-I sweep),
// through the whole engine (stimulus schedule, update, spike collection), nothing written.
//
// Bytes per update when memory-bound: V, I_ex, I_in, r = 16 B read + 16 B written per neuron and window;
// the temporally blocked loop keeps a block in L1 for a whole window, so a window of W steps moves
// 32/W + (4 B of per-neuron current)/W bytes per update and the loop is compute-bound.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include "synfire/backend.hpp"
#include "synfire/model_file.hpp"
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

}  // namespace

BENCHMARK_MAIN();
