#include "synfire/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>

#include <fmt/format.h>

#include "synfire/stimuli.hpp"

namespace synfire {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string format_duration(double s) {
    if (!std::isfinite(s)) return "?";
    if (s < 60) return fmt::format("{:.0f}s", s);
    if (s < 3600) return fmt::format("{:.0f}m{:02.0f}s", std::floor(s / 60), std::fmod(s, 60));
    return fmt::format("{:.0f}h{:02.0f}m", std::floor(s / 3600), std::floor(std::fmod(s, 3600) / 60));
}

/// One recorder's share of the run: takes each window's output, hands batches to the sink.
class recording {
public:
    explicit recording(std::size_t population) : population_(population) {}
    virtual ~recording() = default;
    std::size_t population() const { return population_; }
    /// Takes a window of the population; `done` is the first step not yet simulated.
    virtual void take(const window_output& w, std::int64_t done) = 0;
    /// Bytes waiting for the sink.
    virtual std::size_t pending() const = 0;
    virtual void hand_over(output_sink& out) = 0;

private:
    std::size_t population_;
};

/// Filters a population's spikes through its recorder.
class spike_recording final : public recording {
public:
    spike_recording(const spike_recorder& r, std::uint64_t n) : recording(r.population), rec_(r) {
        batch_.population = r.population;
        if (!r.ids.empty()) {
            wanted_.assign(n, false);
            for (auto id : r.ids) wanted_[id] = true;
        }
    }
    void take(const window_output& w, std::int64_t) override {
        for (std::size_t k = 0; k < w.steps(); ++k) {
            const std::int64_t s = w.first_step + static_cast<std::int64_t>(k);
            if (s < rec_.start || s >= rec_.stop) continue;
            const std::uint32_t* first = w.ids.data() + w.offsets[k];
            const std::uint32_t* last = w.ids.data() + w.offsets[k + 1];
            const std::size_t before = batch_.ids.size();
            if (wanted_.empty()) {
                batch_.append(s, first, last);
            } else {
                for (const std::uint32_t* id = first; id != last; ++id)
                    if (wanted_[*id]) batch_.append(s, *id);
            }
            taken_ += batch_.ids.size() - before;
        }
    }
    std::size_t pending() const override { return batch_.ids.size() * 4 + batch_.run_steps.size() * 16; }
    std::uint64_t taken() const { return taken_; }
    void hand_over(output_sink& out) override {
        if (batch_.ids.empty()) return;
        spike_batch b;
        b.population = batch_.population;
        std::swap(b.ids, batch_.ids);
        std::swap(b.run_steps, batch_.run_steps);
        std::swap(b.run_ends, batch_.run_ends);
        out.write(std::move(b));
        out.reuse(batch_);
    }

private:
    const spike_recorder& rec_;
    std::vector<bool> wanted_;
    spike_batch batch_;
    std::uint64_t taken_ = 0;
};

/// Passes the backend's state samples on.
class state_recording final : public recording {
public:
    state_recording(std::size_t index, const state_recorder& r) : recording(r.population) { batch_.recorder = index; }
    void take(const window_output& w, std::int64_t) override {
        batch_.steps.insert(batch_.steps.end(), w.frame_steps.begin(), w.frame_steps.end());
        batch_.values.insert(batch_.values.end(), w.frames.begin(), w.frames.end());
    }
    std::size_t pending() const override { return batch_.values.size() * sizeof(float); }
    void hand_over(output_sink& out) override {
        if (batch_.steps.empty()) return;
        state_batch b;
        b.recorder = batch_.recorder;
        std::swap(b.steps, batch_.steps);
        std::swap(b.values, batch_.values);
        out.write(std::move(b));
        out.reuse(batch_);
    }

private:
    state_batch batch_;
};

/// Counts a population's spikes into bins; a bin leaves once the run has passed its end.
class rate_recording final : public recording {
public:
    rate_recording(std::size_t index, const rate_recorder& r, std::uint64_t n, std::int64_t steps, double dt)
        : recording(r.population), rec_(r), end_(std::min(r.stop, steps)), seconds_per_bin_(static_cast<double>(r.bin) * dt * 1e-3) {
        batch_.recorder = index;
        if (!r.ids.empty()) {
            wanted_.assign(n, false);
            for (auto id : r.ids) wanted_[id] = true;
        }
        neurons_ = r.ids.empty() ? n : r.ids.size();
    }
    void take(const window_output& w, std::int64_t done) override {
        for (std::size_t k = 0; k < w.steps(); ++k) {
            const std::int64_t s = w.first_step + static_cast<std::int64_t>(k);
            if (s < rec_.start || s >= end_) continue;
            const auto bin = static_cast<std::size_t>((s - rec_.start) / rec_.bin - next_bin_);
            if (counts_.size() <= bin) counts_.resize(bin + 1, 0);
            if (wanted_.empty()) {
                counts_[bin] += w.offsets[k + 1] - w.offsets[k];
            } else {
                for (std::uint32_t j = w.offsets[k]; j < w.offsets[k + 1]; ++j)
                    if (wanted_[w.ids[j]]) ++counts_[bin];
            }
        }
        // whole bins the run has passed
        std::size_t full = 0;
        while (full < counts_.size() && rec_.start + (next_bin_ + static_cast<std::int64_t>(full) + 1) * rec_.bin <= std::min(done, end_)) ++full;
        if (batch_.rates.empty()) batch_.first_bin = next_bin_;
        for (std::size_t j = 0; j < full; ++j) batch_.rates.push_back(static_cast<double>(counts_[j]) / (static_cast<double>(neurons_) * seconds_per_bin_));
        counts_.erase(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(full));
        next_bin_ += static_cast<std::int64_t>(full);
    }
    std::size_t pending() const override { return batch_.rates.size() * sizeof(double); }
    void hand_over(output_sink& out) override {
        if (batch_.rates.empty()) return;
        rate_batch b;
        b.recorder = batch_.recorder;
        b.first_bin = batch_.first_bin;
        std::swap(b.rates, batch_.rates);
        out.write(std::move(b));
    }
private:
    const rate_recorder& rec_;
    std::int64_t end_;
    double seconds_per_bin_;
    std::vector<bool> wanted_;
    std::uint64_t neurons_ = 0;
    std::vector<std::uint64_t> counts_;  ///< bins from next_bin_ on
    std::int64_t next_bin_ = 0;
    rate_batch batch_;
};

}  // namespace

run_result simulate(const model& m, backend& b, output_sink* out, const run_options& opt) {
    const std::size_t npop = m.populations.size();
    const stimulus_schedule schedule(m);

    run_result result;
    result.populations.resize(npop);
    for (std::size_t p = 0; p < npop; ++p)
        if (schedule.has_per_neuron(p)) result.populations[p].per_neuron.assign(m.populations[p].n, 0);

    std::vector<std::unique_ptr<recording>> recorders;
    if (out) {
        for (const auto& r : m.spike_recorders) recorders.push_back(std::make_unique<spike_recording>(r, m.populations[r.population].n));
        for (std::size_t i = 0; i < m.state_recorders.size(); ++i)
            recorders.push_back(std::make_unique<state_recording>(i, m.state_recorders[i]));
        for (std::size_t i = 0; i < m.rate_recorders.size(); ++i)
            recorders.push_back(std::make_unique<rate_recording>(i, m.rate_recorders[i], m.populations[m.rate_recorders[i].population].n,
                                                                 m.steps, m.dt));
    }
    constexpr std::size_t batch_bytes = std::size_t{16} << 20;
    double writer_wait = 0.0;  // time spent handing batches over: non-zero only when the writer falls behind
    auto timed = [&](auto&& f) {
        const auto t = clock_type::now();
        f();
        writer_wait += seconds_since(t);
    };
    // the recording phase: this thread's time in the recorders (taking each window's spikes and samples,
    // handing batches to the writer, flushes; writer waits included), beside the backend's own phases
    double recording_s = 0.0;

    std::vector<std::vector<float>> I_uniform(npop);
    std::vector<std::vector<float>> I_neuron(npop);
    std::vector<std::vector<float>> courses(npop);
    std::vector<window_input> inputs(npop);
    std::vector<window_output> spikes(npop);

    const auto t0 = clock_type::now();
    auto last_flush = t0, last_progress = t0;
    int window_max = std::min(b.max_window(), recording_window_limit(m));
    if (opt.max_window > 0) window_max = std::min(window_max, opt.max_window);
    // With an observer the state must match the collected window, so nothing runs ahead.
    const std::size_t depth = opt.on_window ? 1 : static_cast<std::size_t>(std::max(1, b.max_in_flight()));
    struct window_span {
        std::int64_t first;
        int steps;
    };
    std::deque<window_span> in_flight;
    std::int64_t next_change = 0;  // ramps are evaluated at step 0 and at every change
    std::int64_t s = 0;            // first step not yet launched
    std::int64_t done = 0;         // first step not yet collected

    auto launch_next = [&] {
        int steps = static_cast<int>(std::min<std::int64_t>(m.steps - s, window_max));
        const bool changed = s == next_change;
        if (changed) next_change = schedule.next_change(s);
        steps = static_cast<int>(std::min<std::int64_t>(steps, next_change - s));
        for (std::size_t p = 0; p < npop; ++p) {
            I_uniform[p].resize(static_cast<std::size_t>(steps));
            schedule.uniform(p, s, steps, I_uniform[p].data());
            inputs[p].I_uniform = I_uniform[p].data();
            if (!schedule.inputs(p).courses.empty()) {
                courses[p].resize(static_cast<std::size_t>(max_courses * steps));
                schedule.courses(p, s, steps, steps, courses[p].data());
                inputs[p].courses = courses[p].data();
            }
            inputs[p].I_neuron_changed = changed;
            if (changed) inputs[p].I_neuron = schedule.per_neuron(p, s, I_neuron[p]) ? I_neuron[p].data() : nullptr;
        }
        b.launch(s, steps, inputs);
        in_flight.push_back({s, steps});
        s += steps;
    };

    auto collect_oldest = [&] {
        b.collect(spikes);
        done = in_flight.front().first + in_flight.front().steps;
        in_flight.pop_front();
        for (std::size_t p = 0; p < npop; ++p) {
            result.populations[p].spikes += spikes[p].count();
            auto& counts = result.populations[p].per_neuron;
            if (!counts.empty())
                for (std::uint32_t id : spikes[p].ids) ++counts[id];
        }
        const auto taking = clock_type::now();
        for (auto& r : recorders) {
            r->take(spikes[r->population()], done);
            if (r->pending() >= std::min(batch_bytes, opt.batch_spikes * 4)) timed([&] { r->hand_over(*out); });
        }
        if (out) recording_s += seconds_since(taking);
        if (opt.on_window) opt.on_window(spikes, done);

        const auto now = clock_type::now();
        if (out && std::chrono::duration<double>(now - last_flush).count() >= opt.flush_interval_s) {
            timed([&] {
                for (auto& r : recorders) r->hand_over(*out);
                out->flush(done);
            });
            recording_s += seconds_since(now);
            last_flush = now;
        }
        if (opt.progress && std::chrono::duration<double>(now - last_progress).count() >= 0.25) {
            const double wall = seconds_since(t0);
            const double frac = static_cast<double>(done) / static_cast<double>(m.steps);
            const double sim_ms = static_cast<double>(done) * m.dt;
            std::fprintf(opt.progress, "\r  %5.1f%%  t = %.1f / %.1f ms  ETA %s  real-time factor %.3g   ", 100.0 * frac,
                         sim_ms, m.duration_ms(), format_duration(wall / frac - wall).c_str(), wall / (sim_ms * 1e-3));
            std::fflush(opt.progress);
            last_progress = now;
        }
    };

    auto stopping = [&] { return opt.stop && opt.stop->load(std::memory_order_relaxed) != 0; };
    while ((s < m.steps && !stopping()) || !in_flight.empty()) {
        if (s < m.steps && !stopping() && in_flight.size() < depth) launch_next();
        else collect_oldest();
    }
    if (opt.progress) {
        std::fprintf(opt.progress, "\r%*s\r", 78, "");
        std::fflush(opt.progress);
    }

    result.totals.steps_done = done;
    result.totals.wall_time_s = seconds_since(t0);
    result.totals.real_time_factor = m.steps > 0 ? result.totals.wall_time_s / (m.duration_ms() * 1e-3) : 0.0;
    result.totals.completed = done == m.steps;
    if (out) {
        const auto t = clock_type::now();
        timed([&] {
            for (auto& r : recorders) r->hand_over(*out);
        });
        recording_s += seconds_since(t);
    }
    result.totals.writer_wait_s = writer_wait;
    result.totals.synaptic_events = b.delivered_events();
    if (out)  // the spike recorders come first
        for (std::size_t i = 0; i < m.spike_recorders.size(); ++i)
            result.recorded_spikes.push_back(static_cast<const spike_recording&>(*recorders[i]).taken());
    result.totals.phases = b.phase_times();
    if (out) result.totals.phases.emplace_back("recording", recording_s);
    return result;
}

}  // namespace synfire
