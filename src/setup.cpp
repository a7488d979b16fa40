#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "synfire/backend.hpp"
#include "synfire/errors.hpp"
#include "synfire/philox.hpp"
#include "synfire/propagators.hpp"

namespace synfire {

int env_switch(const char* name) {
    const char* v = std::getenv(name);
    if (!v) return -1;
    if (std::strcmp(v, "0") == 0) return 0;
    if (std::strcmp(v, "1") == 0) return 1;
    throw user_error(fmt::format("{}={}: expected 0 or 1", name, v));
}

std::vector<population_setup> make_setup(const model& m) {
    std::vector<population_setup> out;
    for (const auto& p : m.populations) {
        population_setup s;
        s.model = p.model;
        s.n = static_cast<std::uint32_t>(p.n);
        if (p.model == neuron_model::iaf_psc_exp) {
            s.exp = make_iaf_psc_exp_coeffs(p.params, m.dt);
            s.ref_steps = s.exp.ref_steps;
        } else {
            s.delta = make_iaf_psc_delta_coeffs(p.params, m.dt);
            s.ref_steps = s.delta.ref_steps;
        }
        out.push_back(s);
    }
    return out;
}

namespace {
/// FNV-1a of the population name: streams stay put when populations are added or renamed elsewhere.
std::uint32_t name_hash(const std::string& s) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : s) h = (h ^ c) * 16777619u;
    return h;
}
}  // namespace

void initial_potentials(const model& m, std::size_t p, std::uint64_t begin, std::uint64_t end, float* out) {
    const population& pop = m.populations[p];
    const initial_value& v = pop.V_init;
    const philox_key key = make_key(m.seed);
    const std::uint32_t stream = name_hash(pop.name);
    for (std::uint64_t i = begin; i < end; ++i) {
        double x = v.a;
        if (v.type != initial_value::kind::constant) {
            const philox_counter r = philox4x32_10(
                make_counter(rng_purpose::initial_state, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i >> 32), stream), key);
            const double u1 = uniform_double(r.v[0], r.v[1]);
            if (v.type == initial_value::kind::uniform) {
                x = v.a + (v.b - v.a) * u1;
            } else {  // Box-Muller; host-only, so libm is fine here
                const double u2 = uniform_double(r.v[2], r.v[3]);
                x = v.a + v.b * std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * M_PI * u2);
            }
        }
        out[i - begin] = static_cast<float>(x - pop.params.E_L);
    }
}

int gathered_variables(const state_recorder& r) {
    return ((r.variables & V_m) ? 1 : 0) + ((r.variables & I_syn_ex) ? 1 : 0) + ((r.variables & I_syn_in) ? 1 : 0);
}

int max_frames(const state_recorder& r) {
    constexpr std::uint64_t budget = std::uint64_t{64} << 20;
    const std::uint64_t per_frame = static_cast<std::uint64_t>(gathered_variables(r)) * r.ids.size() * sizeof(float);
    return static_cast<int>(std::clamp<std::uint64_t>(budget / std::max<std::uint64_t>(per_frame, 1), 1, 64));
}

int recording_window_limit(const model& m) {
    std::int64_t w = std::numeric_limits<int>::max();
    for (const auto& r : m.state_recorders)
        w = std::min<std::int64_t>(w, static_cast<std::int64_t>(max_frames(r)) * r.interval);
    return static_cast<int>(w);
}

const state_recorder* state_recorder_of(const model& m, std::size_t p) {
    for (const auto& r : m.state_recorders)
        if (r.population == p) return &r;
    return nullptr;
}

int window_limit(const std::vector<population_setup>& pops, int cap) {
    std::uint64_t w = static_cast<std::uint64_t>(std::max(cap, 1));
    for (const auto& p : pops) {
        // a neuron fires at most once every ref_steps + 1 steps
        const std::uint64_t per_neuron = max_window_spikes / std::max<std::uint64_t>(p.n, 1);
        w = std::min(w, std::max<std::uint64_t>(1, per_neuron * (static_cast<std::uint64_t>(p.ref_steps) + 1)));
    }
    return static_cast<int>(w);
}

}  // namespace synfire
