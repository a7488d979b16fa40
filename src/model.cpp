#include "synfire/model.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace synfire {

const char* to_string(neuron_model m) {
    switch (m) {
        case neuron_model::iaf_psc_exp: return "iaf_psc_exp";
        case neuron_model::iaf_psc_delta: return "iaf_psc_delta";
    }
    return "?";
}

stimulus::role stimulus::role_of() const {
    switch (type) {
        case kind::dc: return ids.empty() ? role::uniform : role::constant_per_neuron;
        case kind::ramp: return role::constant_per_neuron;
        case kind::step_current:
        case kind::ac: return ids.empty() ? role::uniform : role::masked_course;
        case kind::file:
            if (trace_columns > 1) return role::trace;
            return ids.empty() ? role::uniform : role::masked_course;
        case kind::noise: return role::noise;
        case kind::poisson: return role::poisson;
        case kind::spike_times: return role::events;
    }
    return role::uniform;
}

double stimulus::course(std::int64_t s) const {
    if (!active(s)) return 0.0;
    switch (type) {
        case kind::dc: return amplitude;
        case kind::step_current: {
            // the last amplitude whose time has come; none yet: 0
            const auto it = std::upper_bound(times.begin(), times.end(), s);
            return it == times.begin() ? 0.0 : amplitudes[static_cast<std::size_t>(std::distance(times.begin(), it) - 1)];
        }
        case kind::ac: {
            const double t = static_cast<double>(s) * dt;  // the time the step starts [ms]
            return offset + amplitude * std::sin(2.0 * M_PI * frequency * t * 1e-3 + phase * M_PI / 180.0);
        }
        case kind::file: {
            const std::int64_t row = (s - start) / trace_interval;  // each sample holds for trace_interval steps
            return row < static_cast<std::int64_t>(trace.size()) ? trace[static_cast<std::size_t>(row)] : 0.0;
        }
        default: return 0.0;
    }
}

double stimulus::ramp_current(std::uint64_t j, std::uint64_t m) const {
    if (m < 2) return from;
    return from + (to - from) * static_cast<double>(j) / static_cast<double>(m - 1);
}

double synapse_parameter::mean() const {
    switch (type) {
        case kind::constant: return value;
        case kind::uniform: return 0.5 * (a + b);
        case kind::normal:
        case kind::normal_clipped: return a;
        case kind::lognormal: return std::exp(a + 0.5 * b * b);
    }
    return value;
}

namespace {
/// Mass of the standard normal above x and below x, accurate in the tails.
double above(double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); }
double below(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
/// Mass of N(mu, sd) in [lo, hi].
double normal_mass(double mu, double sd, double lo, double hi) {
    if (!(hi > lo)) return 0.0;
    if (sd == 0) return mu >= lo && mu <= hi ? 1.0 : 0.0;
    const double a = (lo - mu) / sd, b = (hi - mu) / sd;
    if (a > 0) return std::max(0.0, above(a) - above(b));
    if (b < 0) return std::max(0.0, below(b) - below(a));
    return std::max(0.0, 1.0 - below(a) - above(b));
}
}  // namespace

double synapse_parameter::clipped_mass() const { return type == kind::normal_clipped ? normal_mass(a, b, low, high) : 1.0; }

double synapse_parameter::flagged_share(double dt) const {
    constexpr double inf = std::numeric_limits<double>::infinity();
    // the flagged values: |w| >= max_abs_weight, or a delay that rounds to more than max_delay_steps
    const bool delay = dt > 0;
    const double edge = delay ? (static_cast<double>(max_delay_steps) + 0.5) * dt : max_abs_weight;
    auto out = [&](double x) { return delay ? x >= edge : !(std::fabs(x) < edge); };
    auto uniform_out = [&](double lo, double hi) {  // share of [lo, hi] outside
        if (hi <= lo) return out(lo) ? 1.0 : 0.0;
        const double inside = delay ? std::max(0.0, std::min(hi, edge) - lo) : std::max(0.0, std::min(hi, edge) - std::max(lo, -edge));
        return std::min(1.0, std::max(0.0, 1.0 - inside / (hi - lo)));
    };
    auto normal_out = [&](double lo, double hi) {  // mass of N(a, b) in [lo, hi] and outside the range
        return delay ? normal_mass(a, b, std::max(lo, edge), hi) : normal_mass(a, b, lo, std::min(hi, -edge)) + normal_mass(a, b, std::max(lo, edge), hi);
    };
    switch (type) {
        case kind::constant: return out(value) ? 1.0 : 0.0;
        case kind::uniform: return uniform_out(a, b);
        case kind::normal: return normal_out(-inf, inf);
        case kind::lognormal: {  // exp(N(a, b)) >= edge
            if (delay) return 0.0;  // not a delay distribution
            return b == 0 ? (out(std::exp(a)) ? 1.0 : 0.0) : above((std::log(edge) - a) / b);
        }
        case kind::normal_clipped: {
            const double inside = clipped_mass();
            if (inside <= 0) return 1.0;
            const double none_inside = std::pow(1.0 - inside, 2.0 * clipped_attempts);
            return none_inside + (1.0 - none_inside) * std::min(1.0, normal_out(low, high) / inside);
        }
    }
    return 0.0;
}

std::vector<std::pair<std::string, std::string>> model::input_files() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < projections.size(); ++i)
        if (!projections[i].file.empty()) out.emplace_back("projections[" + std::to_string(i) + "].file", projections[i].file);
    for (std::size_t i = 0; i < stimuli.size(); ++i)
        if (!stimuli[i].trace_path.empty()) out.emplace_back("stimuli[" + std::to_string(i) + "].path", stimuli[i].trace_path);
    return out;
}

double expected_synapses(const projection& pr, std::uint64_t n_src, std::uint64_t n_tgt) {
    const double ns = static_cast<double>(n_src), nt = static_cast<double>(n_tgt);
    switch (pr.connection) {
        case projection::rule::all_to_all: return ns * nt;
        case projection::rule::one_to_one: return nt;
        case projection::rule::pairwise_bernoulli: return ns * nt * pr.p;
        case projection::rule::fixed_indegree: return nt * static_cast<double>(pr.count);
        case projection::rule::fixed_outdegree: return ns * static_cast<double>(pr.count);
        case projection::rule::fixed_total_number: return static_cast<double>(pr.count);
        case projection::rule::explicit_list: return static_cast<double>(pr.synapses.size());
    }
    return 0.0;
}

namespace {

/// Steps per ms when 1/dt is a whole number (then times are (s + 1) / k, exact for whole ms), else 0.
double whole_steps_per_ms(double dt) {
    const double per_ms = 1.0 / dt;
    const double k = std::nearbyint(per_ms);
    return k >= 1 && std::fabs(per_ms - k) <= 1e-9 * k ? k : 0.0;
}

}  // namespace

double model::spike_time_ms(std::int64_t s) const {
    const double k = whole_steps_per_ms(dt);
    if (k != 0.0) return static_cast<double>(s + 1) / k;
    return static_cast<double>(s + 1) * dt;
}

void model::spike_times_ms(const std::int64_t* steps, std::size_t n, double* out) const {
    const double k = whole_steps_per_ms(dt);
    if (k != 0.0)
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<double>(steps[i] + 1) / k;
    else
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<double>(steps[i] + 1) * dt;
}

}  // namespace synfire
