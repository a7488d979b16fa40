#include "synfire/stimuli.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "synfire/errors.hpp"

namespace synfire {

std::vector<std::uint32_t> poisson_thresholds(double lambda) {
    if (!(lambda >= 0.0) || lambda > max_poisson_mean) throw internal_error("poisson_thresholds: mean out of range");
    std::vector<std::uint32_t> cdf;
    double pmf = std::exp(-lambda), sum = pmf;
    for (int k = 0; k < poisson_table_size; ++k) {
        cdf.push_back(static_cast<std::uint32_t>(std::min(std::floor(sum * 4294967296.0), 4294967295.0)));
        if (1.0 - sum < 0x1p-34) break;
        pmf *= lambda / (k + 1);
        sum += pmf;
    }
    return cdf;
}

namespace {

std::vector<std::uint8_t> mask_of(const stimulus& s, std::uint64_t n) {
    std::vector<std::uint8_t> mask(n, 0);
    for (auto id : s.ids) mask[id] = 1;
    return mask;
}

population_inputs build_inputs(const model& m, std::size_t p) {
    population_inputs in;
    const std::uint64_t n = m.populations[p].n;
    std::vector<std::tuple<std::uint32_t, std::int64_t, std::int64_t, std::int64_t>> events;  // neuron, step, ex, in
    for (std::size_t i = 0; i < m.stimuli.size(); ++i) {
        const stimulus& s = m.stimuli[i];
        if (s.target != p) continue;
        switch (s.role_of()) {
            case stimulus::role::uniform: in.uniform.push_back(i); break;
            case stimulus::role::constant_per_neuron: in.constant.push_back(i); break;
            case stimulus::role::masked_course:
                in.courses.push_back(i);
                in.course_masks.push_back(mask_of(s, n));
                break;
            case stimulus::role::trace:
                in.trace = static_cast<std::int64_t>(i);
                in.trace_column.assign(n, -1);
                for (std::uint64_t j = 0; j < s.reach(n); ++j) in.trace_column[s.neuron(j)] = static_cast<std::int32_t>(j);
                break;
            case stimulus::role::noise:
                in.noises.push_back(i);
                in.noise_masks.push_back(s.ids.empty() ? std::vector<std::uint8_t>{} : mask_of(s, n));
                break;
            case stimulus::role::poisson:
                in.poissons.push_back(i);
                in.poisson_masks.push_back(s.ids.empty() ? std::vector<std::uint8_t>{} : mask_of(s, n));
                in.poisson_cdf.push_back(poisson_thresholds(s.rate * static_cast<double>(s.n_inputs) * m.dt * 1e-3));
                break;
            case stimulus::role::events: {
                const std::int64_t w = to_fixed(s.weight);
                for (std::uint64_t j = 0; j < s.reach(n); ++j) {
                    const auto& steps = s.arrivals.size() == 1 ? s.arrivals[0] : s.arrivals[j];
                    for (std::int64_t step : steps)
                        if (s.active(step)) events.emplace_back(s.neuron(j), step, s.inhibitory ? 0 : w, s.inhibitory ? w : 0);
                }
                break;
            }
        }
    }
    if (in.courses.size() > static_cast<std::size_t>(max_courses) || in.noises.size() > static_cast<std::size_t>(max_noise) ||
        in.poissons.size() > static_cast<std::size_t>(max_poisson) || std::count_if(m.stimuli.begin(), m.stimuli.end(), [&](const stimulus& s) {
            return s.target == p && s.role_of() == stimulus::role::trace;
        }) > 1)
        throw internal_error("build_inputs: more inputs than validation allows");
    if (!events.empty()) {
        std::sort(events.begin(), events.end());
        in.event_offsets.assign(n + 1, 0);
        for (const auto& e : events) {
            ++in.event_offsets[std::get<0>(e) + 1];
            in.event_steps.push_back(std::get<1>(e));
            in.event_ex.push_back(std::get<2>(e));
            in.event_in.push_back(std::get<3>(e));
        }
        for (std::uint64_t i = 0; i < n; ++i) in.event_offsets[i + 1] += in.event_offsets[i];
    }
    return in;
}

}  // namespace

stimulus_schedule::stimulus_schedule(const model& m) : m_(m) {
    for (std::size_t p = 0; p < m.populations.size(); ++p) inputs_.push_back(build_inputs(m, p));
    for (const auto& in : inputs_)
        for (std::size_t i : in.constant) {
            changes_.push_back(m.stimuli[i].start);
            if (m.stimuli[i].stop != end_of_run) changes_.push_back(m.stimuli[i].stop);
        }
    std::sort(changes_.begin(), changes_.end());
    changes_.erase(std::unique(changes_.begin(), changes_.end()), changes_.end());
}

std::int64_t stimulus_schedule::next_change(std::int64_t s) const {
    const auto it = std::upper_bound(changes_.begin(), changes_.end(), s);
    return it == changes_.end() ? end_of_run : *it;
}

void stimulus_schedule::uniform(std::size_t p, std::int64_t s, int steps, float* out) const {
    const double I_e = m_.populations[p].params.I_e;
    for (int k = 0; k < steps; ++k) {
        double I = I_e;
        for (std::size_t i : inputs_[p].uniform) I += m_.stimuli[i].course(s + k);
        out[k] = static_cast<float>(I);
    }
}

bool stimulus_schedule::per_neuron(std::size_t p, std::int64_t s, std::vector<float>& out) const {
    std::vector<const stimulus*> active;
    for (std::size_t i : inputs_[p].constant)
        if (m_.stimuli[i].active(s)) active.push_back(&m_.stimuli[i]);
    if (active.empty()) return false;
    const std::uint64_t n = m_.populations[p].n;
    out.resize(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        double sum = 0.0;
        for (const stimulus* st : active) {
            std::uint64_t j = i;
            if (!st->ids.empty()) {  // the rank of neuron i among the reached ones, if reached
                const auto it = std::lower_bound(st->ids.begin(), st->ids.end(), static_cast<std::uint32_t>(i));
                if (it == st->ids.end() || *it != i) continue;
                j = static_cast<std::uint64_t>(it - st->ids.begin());
            }
            sum += st->type == stimulus::kind::ramp ? st->ramp_current(j, st->reach(n)) : st->amplitude;
        }
        out[i] = static_cast<float>(sum);
    }
    return true;
}

void stimulus_schedule::courses(std::size_t p, std::int64_t s, int steps, int stride, float* out) const {
    const auto& c = inputs_[p].courses;
    for (std::size_t j = 0; j < c.size(); ++j)
        for (int k = 0; k < steps; ++k) out[static_cast<int>(j) * stride + k] = static_cast<float>(m_.stimuli[c[j]].course(s + k));
}

}  // namespace synfire
