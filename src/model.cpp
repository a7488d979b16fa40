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
