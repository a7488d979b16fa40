#include "synfire/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>

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

/// Filters a population's spikes through its recorder and batches them for the sink.
class recorder_state {
public:
    recorder_state(const spike_recorder& r, std::uint64_t n) : rec_(r) {
        batch_.population = r.population;
        if (!r.ids.empty()) {
            wanted_.assign(n, false);
            for (auto id : r.ids) wanted_[id] = true;
        }
    }

    void take(const spike_window& w) {
        for (std::size_t k = 0; k < w.steps(); ++k) {
            const std::int64_t s = w.first_step + static_cast<std::int64_t>(k);
            if (s < rec_.start || s >= rec_.stop) continue;
            for (std::uint32_t j = w.offsets[k]; j < w.offsets[k + 1]; ++j) {
                const std::uint32_t id = w.ids[j];
                if (!wanted_.empty() && !wanted_[id]) continue;
                batch_.steps.push_back(s);
                batch_.ids.push_back(id);
            }
        }
    }
    std::size_t population() const { return rec_.population; }
    std::size_t pending() const { return batch_.ids.size(); }
    void hand_over(output_sink& out) {
        if (batch_.ids.empty()) return;
        spike_batch b;
        b.population = batch_.population;
        std::swap(b.steps, batch_.steps);
        std::swap(b.ids, batch_.ids);
        out.write(std::move(b));
    }

private:
    const spike_recorder& rec_;
    std::vector<bool> wanted_;
    spike_batch batch_;
};

}  // namespace

run_result simulate(const model& m, backend& b, output_sink* out, const run_options& opt) {
    const std::size_t npop = m.populations.size();
    const stimulus_schedule schedule(m);

    run_result result;
    result.populations.resize(npop);
    for (std::size_t p = 0; p < npop; ++p)
        if (schedule.has_per_neuron(p)) result.populations[p].per_neuron.assign(m.populations[p].n, 0);

    std::vector<recorder_state> recorders;
    if (out)
        for (const auto& r : m.spike_recorders) recorders.emplace_back(r, m.populations[r.population].n);

    std::vector<std::vector<float>> I_uniform(npop);
    std::vector<std::vector<float>> I_neuron(npop);
    std::vector<std::vector<float>> courses(npop);
    std::vector<window_input> inputs(npop);
    std::vector<spike_window> spikes(npop);

    const auto t0 = clock_type::now();
    auto last_flush = t0, last_progress = t0;
    const int window_max = opt.max_window > 0 ? std::min(opt.max_window, b.max_window()) : b.max_window();
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
        for (auto& r : recorders) {
            r.take(spikes[r.population()]);
            if (r.pending() >= opt.batch_spikes) r.hand_over(*out);
        }
        if (opt.on_window) opt.on_window(spikes, done);

        const auto now = clock_type::now();
        if (out && std::chrono::duration<double>(now - last_flush).count() >= opt.flush_interval_s) {
            for (auto& r : recorders) r.hand_over(*out);
            out->flush();
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
    if (out)
        for (auto& r : recorders) r.hand_over(*out);
    return result;
}

}  // namespace synfire
