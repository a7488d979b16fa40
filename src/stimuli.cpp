#include "synfire/stimuli.hpp"

#include <algorithm>

namespace synfire {

stimulus_schedule::stimulus_schedule(const model& m) : m_(m) {
    for (const auto& s : m.stimuli) {
        if (!s.per_neuron()) continue;
        changes_.push_back(s.start);
        if (s.stop != end_of_run) changes_.push_back(s.stop);
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
        for (const auto& st : m_.stimuli)
            if (st.target == p && !st.per_neuron()) I += st.uniform_current(s + k);
        out[k] = static_cast<float>(I);
    }
}

bool stimulus_schedule::per_neuron(std::size_t p, std::int64_t s, std::vector<float>& out) const {
    std::vector<const stimulus*> active;
    for (const auto& st : m_.stimuli)
        if (st.target == p && st.per_neuron() && st.active(s)) active.push_back(&st);
    if (active.empty()) return false;
    const std::uint64_t n = m_.populations[p].n;
    out.resize(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        double I = 0.0;
        for (const stimulus* st : active) I += st->ramp_current(i, n);
        out[i] = static_cast<float>(I);
    }
    return true;
}

bool stimulus_schedule::has_per_neuron(std::size_t p) const {
    return std::any_of(m_.stimuli.begin(), m_.stimuli.end(), [&](const stimulus& s) { return s.target == p && s.per_neuron(); });
}

}  // namespace synfire
