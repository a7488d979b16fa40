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

double stimulus::uniform_current(std::int64_t s) const {
    if (!active(s)) return 0.0;
    switch (type) {
        case kind::dc: return amplitude;
        case kind::step_current: {
            // the last amplitude whose time has come; none yet: 0
            const auto it = std::upper_bound(times.begin(), times.end(), s);
            return it == times.begin() ? 0.0 : amplitudes[static_cast<std::size_t>(std::distance(times.begin(), it) - 1)];
        }
        case kind::ramp: return 0.0;
    }
    return 0.0;
}

double stimulus::ramp_current(std::uint64_t i, std::uint64_t n) const {
    if (n < 2) return from;
    return from + (to - from) * static_cast<double>(i) / static_cast<double>(n - 1);
}

double model::spike_time_ms(std::int64_t s) const {
    const double per_ms = 1.0 / dt;
    const double k = std::nearbyint(per_ms);
    if (k >= 1 && std::fabs(per_ms - k) <= 1e-9 * k) return static_cast<double>(s + 1) / k;
    return static_cast<double>(s + 1) * dt;
}

}  // namespace synfire
