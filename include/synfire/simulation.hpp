#pragma once
// The orchestrator: time loop, stimulus schedule, recording, progress.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <vector>

#include "synfire/backend.hpp"
#include "synfire/model.hpp"
#include "synfire/output.hpp"

namespace synfire {

struct run_options {
    std::FILE* progress = nullptr;     ///< where the progress line goes (a terminal), or none
    double flush_interval_s = 5.0;     ///< wall seconds between flushes of recorded spikes
    std::size_t batch_spikes = std::size_t{1} << 20;  ///< recorded spikes handed to the writer at once
    int max_window = 0;                ///< steps per backend call at most; 0: the backend's limit
    /// When it becomes non-zero (a signal handler sets it) the run stops after the windows in flight;
    /// its totals then say completed = false.
    const std::atomic<int>* stop = nullptr;
    /// Called after each window with the windows' spikes and the first step not yet simulated.
    std::function<void(const std::vector<window_output>&, std::int64_t next_step)> on_window;
};

struct population_result {
    std::uint64_t spikes = 0;                ///< all spikes of the population, recorded or not
    std::vector<std::uint32_t> per_neuron;   ///< spike count per neuron; only for ramp-driven populations
};

struct run_result {
    run_totals totals;
    std::vector<population_result> populations;
    std::vector<std::uint64_t> recorded_spikes;  ///< per spike recorder (model order): spikes it recorded; empty without output
};

/// Runs the model on the backend; recorded spikes go to out (may be null). Memory stays bounded:
/// spikes leave in batches of opt.batch_spikes, and the sink may block.
run_result simulate(const model& m, backend& b, output_sink* out, const run_options& opt = {});

}  // namespace synfire
