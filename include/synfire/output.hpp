#pragma once
// Where recorded data goes: the HDF5 writer, or memory (tests).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace synfire {

/// Recorded spikes of one population, sorted by (step, id), in runs of one step each: the spikes of step
/// run_steps[r] are ids[r ? run_ends[r - 1] : 0, run_ends[r]). A spike of step s has time (s+1)·dt.
struct spike_batch {
    std::size_t population = 0;
    std::vector<std::uint32_t> ids;
    std::vector<std::int64_t> run_steps;  ///< ascending, one per step with spikes
    std::vector<std::uint64_t> run_ends;

    /// Appends the spikes [first, last) of step s (after every step before it).
    void append(std::int64_t s, const std::uint32_t* first, const std::uint32_t* last) {
        if (first == last) return;
        ids.insert(ids.end(), first, last);
        run_steps.push_back(s);
        run_ends.push_back(ids.size());
    }
    /// Appends one spike of step s (after every step before it).
    void append(std::int64_t s, std::uint32_t id) {
        ids.push_back(id);
        if (run_steps.empty() || run_steps.back() != s) {
            run_steps.push_back(s);
            run_ends.push_back(0);
        }
        run_ends.back() = ids.size();
    }
    void clear() {
        ids.clear();
        run_steps.clear();
        run_ends.clear();
    }
};

/// State samples of one state recorder: frame f is the state after step steps[f].
struct state_batch {
    std::size_t recorder = 0;             ///< index into model::state_recorders
    std::vector<std::int64_t> steps;
    std::vector<float> values;            ///< [frame][variable][recorded neuron], the recorder's variables in the order V_m, I_syn_ex, I_syn_in
};

/// Finished bins of one rate recorder.
struct rate_batch {
    std::size_t recorder = 0;             ///< index into model::rate_recorders
    std::int64_t first_bin = 0;
    std::vector<double> rates;            ///< [Hz]
};

/// What the run measured, written at the end.
struct run_totals {
    std::int64_t steps_done = 0;
    double wall_time_s = 0.0;       ///< time in the simulation loop [s]
    double real_time_factor = 0.0;  ///< wall time / simulated time
    double writer_wait_s = 0.0;     ///< time the run waited for the writer (its queue full) [s]
    std::uint64_t synaptic_events = 0;  ///< spikes x synapses delivered
    std::vector<std::pair<std::string, double>> phases;  ///< seconds per phase of the step, as the backend measured them
    bool completed = false;
};

class output_sink {
public:
    virtual ~output_sink() = default;
    /// Takes one batch; may block to bound memory while the writer catches up.
    virtual void write(spike_batch&& batch) = 0;
    virtual void write(state_batch&& batch) = 0;
    virtual void write(rate_batch&& batch) = 0;
    /// Empties `b` for the next batch, with the storage of a batch already written where the sink keeps
    /// some (a recorder refilling it then touches no new pages). The default clears b's own vectors.
    virtual void reuse(spike_batch& b) { b.clear(); }
    virtual void reuse(state_batch& b) {
        b.steps.clear();
        b.values.clear();
    }
    /// Makes everything written so far durable (a killed run keeps it); the batches so far hold every record
    /// of the steps before steps_done, which the file then names (steps_completed).
    virtual void flush(std::int64_t steps_done) = 0;
    /// Writes the totals and closes; no write() after this.
    virtual void finish(const run_totals& totals) = 0;
};

}  // namespace synfire
