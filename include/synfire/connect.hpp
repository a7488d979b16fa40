#pragma once
// The connectivity generator, one entity at a time: which synapses a target neuron (target-driven rules), a
// source neuron (fixed_outdegree), a synapse number (fixed_total_number) or a list line (explicit) makes, and
// each synapse's weight and delay. Pure functions of (seed, projection, entity, index) built from Philox and
// correctly rounded IEEE operations only, SYNFIRE_HD: the CPU build (network.cpp) and the device build
// (kernels/synapse_build.cu) run this same code and draw the same synapses.
#include <cmath>
#include <cstdint>

#include "synfire/fixed_point.hpp"
#include "synfire/host_device.hpp"
#include "synfire/model.hpp"
#include "synfire/network.hpp"
#include "synfire/philox.hpp"
#include "synfire/random.hpp"

namespace synfire::connect {


/// One projection as the generator sees it: plain values and one pointer, so a kernel takes it by value.
struct projection_view {
    projection::rule rule = projection::rule::all_to_all;
    std::uint32_t index = 0;       ///< the projection's number (Philox counter word 2)
    std::uint64_t n_src = 0, n_tgt = 0;
    std::uint64_t count = 0;       ///< fixed_indegree / fixed_outdegree: k; fixed_total_number: n
    double p = 0.0;                ///< pairwise_bernoulli
    bool skip_self = false;        ///< source and target population are one and autapses are not allowed
    bool multapses = true;
    std::uint8_t receptor = 0;     ///< 1: inhibitory
    bool receptor_by_sign = false;  ///< each synapse's receptor by its weight's sign (negative: inhibitory) instead
    std::uint8_t population = 0;   ///< the target population
    double dt = 0.1;               ///< [ms]
    synapse_parameter weight, delay;
    const explicit_synapse* list = nullptr;  ///< explicit_list: its lines (host or device memory)
};

/// The view of projection pi of m; `list` is where the generator reads an explicit projection's lines.
inline projection_view view_of(const model& m, std::size_t pi, const explicit_synapse* list) {
    const projection& pr = m.projections[pi];
    projection_view v;
    v.rule = pr.connection;
    v.index = static_cast<std::uint32_t>(pi);
    v.n_src = m.populations[pr.source].n;
    v.n_tgt = m.populations[pr.target].n;
    v.count = pr.count;
    v.p = pr.p;
    v.skip_self = pr.source == pr.target && !pr.allow_autapses;
    v.multapses = pr.allow_multapses;
    v.receptor = pr.inhibitory ? 1 : 0;
    v.receptor_by_sign = pr.receptor_by_sign;
    v.population = static_cast<std::uint8_t>(pr.target);
    v.dt = m.dt;
    v.weight = pr.weight;
    v.delay = pr.delay;
    v.list = list;
    return v;
}

/// Entities of a projection: targets for target-driven rules, sources for fixed_outdegree, synapse numbers for
/// fixed_total_number, lines for explicit lists.
SYNFIRE_HD std::uint64_t entities(const projection_view& v, std::uint64_t list_size = 0) {
    switch (v.rule) {
        case projection::rule::fixed_outdegree: return v.n_src;
        case projection::rule::fixed_total_number: return v.count;
        case projection::rule::explicit_list: return list_size;
        default: return v.n_tgt;
    }
}

/// Whether the rule draws distinct partners with Floyd's algorithm (and so needs a floyd_set).
SYNFIRE_HD bool uses_floyd(const projection_view& v) {
    return (v.rule == projection::rule::fixed_indegree || v.rule == projection::rule::fixed_outdegree) && !v.multapses;
}

/// Philox words for (purpose, entity, index, projection, attempt); entity and index up to 2^40, attempt < 256.
SYNFIRE_HD philox_counter draw_counter(rng_purpose purpose, std::uint64_t entity, std::uint64_t index, std::uint32_t projection,
                                       std::uint32_t attempt = 0) {
    const std::uint32_t high = (attempt & 0xFFu) | static_cast<std::uint32_t>((entity >> 32) & 0xFFu) << 8 |
                               static_cast<std::uint32_t>((index >> 32) & 0xFFu) << 16;
    return make_counter(purpose, static_cast<std::uint32_t>(entity), static_cast<std::uint32_t>(index), projection, high);
}

SYNFIRE_HD philox_counter draw(const philox_key& key, rng_purpose purpose, std::uint64_t entity, std::uint64_t index, std::uint32_t projection,
                               std::uint32_t attempt = 0) {
    return philox4x32_10(draw_counter(purpose, entity, index, projection, attempt), key);
}

/// High 64 bits of the 128-bit product a·b.
SYNFIRE_HD std::uint64_t mul_high(std::uint64_t a, std::uint64_t b) {
#if defined(__CUDA_ARCH__)
    return __umul64hi(a, b);
#else
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
#endif
}

/// Uniform integer in [0, m) from 64 random bits (Lemire's multiply; bias below m / 2^64).
SYNFIRE_HD std::uint64_t uniform_below(const philox_counter& w, std::uint64_t m) {
    return mul_high((static_cast<std::uint64_t>(w.v[0]) << 32) | w.v[1], m);
}

/// Uniform double in (0, 1).
SYNFIRE_HD double open_unit(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t k = (static_cast<std::uint64_t>(hi) << 21) | (lo >> 11);
    return (static_cast<double>(k) + 0.5) * 0x1p-53;
}

/// floor(x) for finite x >= 0 (exact on both sides).
SYNFIRE_HD double floor_of(double x) {
#if defined(__CUDA_ARCH__)
    return ::floor(x);
#else
    return std::floor(x);
#endif
}

/// A weight [pA or mV] in fixed point, rounded to nearest even: to_fixed's value on the device too.
SYNFIRE_HD std::int64_t fixed_of(double w) {
#if defined(__CUDA_ARCH__)
    return __double2ll_rn(w * fixed_point_scale);
#else
    return to_fixed(w);
#endif
}

/// A delay in steps, rounded half away from zero and at least 1; beyond int64 (or NaN): 2^62, flagged as too long.
SYNFIRE_HD std::int64_t delay_steps(double x) {
    if (!(x < 9.0e18)) return std::int64_t{1} << 62;
    if (x < 1.0) return 1;
#if defined(__CUDA_ARCH__)
    return ::llround(x);
#else
    // llround inline: below 2^52, x + 1/2 is exact or rounds without crossing an integer, so its floor is x
    // rounded half away from zero; from 2^52 on, x is an integer
    return x < 0x1p52 ? static_cast<std::int64_t>(std::floor(x + 0.5)) : static_cast<std::int64_t>(x);
#endif
}

/// A synapse parameter's value for synapse `index` of `entity`.
SYNFIRE_HD double parameter_value(const synapse_parameter& sp, const philox_key& key, rng_purpose purpose, std::uint64_t entity,
                                  std::uint64_t index, std::uint32_t projection) {
    using kind = synapse_parameter::kind;
    switch (sp.type) {
        case kind::constant: return sp.value;
        case kind::uniform: {
            const philox_counter w = draw(key, purpose, entity, index, projection);
            return sp.a + (sp.b - sp.a) * uniform_double(w.v[0], w.v[1]);
        }
        case kind::normal: {
            const philox_counter w = draw(key, purpose, entity, index, projection);
            return sp.a + sp.b * standard_normal(w.v[0], w.v[1]);
        }
        case kind::lognormal: {
            const philox_counter w = draw(key, purpose, entity, index, projection);
            return det_exp(sp.a + sp.b * standard_normal(w.v[0], w.v[1]));
        }
        case kind::normal_clipped:
            for (std::uint32_t attempt = 0; attempt < clipped_attempts; ++attempt) {  // redrawn until inside (NEST's redraw)
                const philox_counter w = draw(key, purpose, entity, index, projection, attempt);
                for (int half = 0; half < 2; ++half) {
                    const double x = sp.a + sp.b * standard_normal(w.v[2 * half], w.v[2 * half + 1]);
                    if (x >= sp.low && x <= sp.high) return x;
                }
            }
            // no draw inside the bounds (the model reader asks for clipped_min_mass inside, so this is below 1e-12
            // per value): a value pack_synapse flags, as a weight and as a delay, so that the build reports it
            return 1e300;
    }
    return sp.value;
}

/// The synapse to target-local j with weight w and a delay of d steps. A weight of max_abs_weight or more (or
/// NaN) or a delay beyond max_delay_steps is flagged by delay 0 (the caller reports it: flagged_synapses_message).
SYNFIRE_HD synapse pack_synapse(const projection_view& v, std::uint64_t j, double w, std::int64_t d) {
    const bool weight_fits = (w < 0 ? -w : w) < max_abs_weight;
    synapse s;
    s.target = static_cast<std::uint32_t>(j);
    s.delay = static_cast<std::uint16_t>(d < 65535 ? d : 65535);
    s.population = v.population;
    s.receptor = v.receptor_by_sign ? (w < 0 ? 1 : 0) : v.receptor;
    s.weight = weight_fits ? fixed_of(w) : 0;
    if (!weight_fits || d > max_delay_steps) s.delay = 0;
    return s;
}

/// Synapse `index` of `entity` from source-local i to target-local j: its weight and delay drawn (or read from
/// the list), packed by pack_synapse.
SYNFIRE_HD synapse make_synapse(const projection_view& v, const philox_key& key, std::uint64_t j, std::uint64_t entity, std::uint64_t index) {
    if (v.rule == projection::rule::explicit_list) return pack_synapse(v, j, v.list[entity].weight, v.list[entity].delay);
    const double w = parameter_value(v.weight, key, rng_purpose::weight, entity, index, v.index);
    return pack_synapse(v, j, w, delay_steps(parameter_value(v.delay, key, rng_purpose::delay, entity, index, v.index) / v.dt));
}

#ifndef __CUDA_ARCH__
/// Synapses the host draws at a time (parameter_values).
inline constexpr int parameter_batch = 64;

/// parameter_value of synapses (entity[k], index[k]), k < count <= parameter_batch, bit for bit, written as
/// loops over the batch that the compiler vectorises: the Philox rounds, the 53-bit uniform and the normal
/// quantile (standard_normal_lanes). A clipped draw outside its bounds tries its block's second pair of words
/// (parameter_value's next candidate) here, and goes to the scalar redraws only when that is outside too.
/// Host only: the device draws one synapse per thread.
inline void parameter_values(const synapse_parameter& sp, const philox_key& key, rng_purpose purpose, const std::uint64_t* entity,
                             const std::uint64_t* index, std::uint32_t projection, int count, double* out) {
    using kind = synapse_parameter::kind;
    constexpr int B = parameter_batch;
    if (sp.type == kind::constant) {
        for (int k = 0; k < count; ++k) out[k] = sp.value;
        return;
    }
    alignas(32) std::uint32_t c0[B], c1[B], c2[B], c3[B];
    for (int k = 0; k < B; ++k) {  // draw()'s counters, attempt 0; lanes past count draw garbage that is never read
        const philox_counter c = draw_counter(purpose, k < count ? entity[k] : 0, k < count ? index[k] : 0, projection);
        c0[k] = c.v[0], c1[k] = c.v[1], c2[k] = c.v[2], c3[k] = c.v[3];
    }
    philox4x32_10_lanes(c0, c1, c2, c3, B, key);
    if (sp.type == kind::uniform) {
        for (int k = 0; k < count; ++k) out[k] = sp.a + (sp.b - sp.a) * uniform_double(c0[k], c1[k]);
        return;
    }
    alignas(32) double z[B];
    standard_normal_lanes(c0, c1, count, z);
    for (int k = 0; k < count; ++k) {
        switch (sp.type) {
            case kind::normal: out[k] = sp.a + sp.b * z[k]; break;
            case kind::lognormal: out[k] = det_exp(sp.a + sp.b * z[k]); break;
            default: {  // normal_clipped: the first draw inside the bounds, else the block's second, else the scalar redraws
                const double x = sp.a + sp.b * z[k];
                if (x >= sp.low && x <= sp.high) {
                    out[k] = x;
                    break;
                }
                const double y = sp.a + sp.b * standard_normal(c2[k], c3[k]);
                out[k] = y >= sp.low && y <= sp.high ? y : parameter_value(sp, key, purpose, entity[k], index[k], projection);
            }
        }
    }
}
#endif

/// The order of synapses within a source as one 64-bit key: (delay, population, target, receptor), each in
/// its own bits; ties are ordered by weight.
SYNFIRE_HD std::uint64_t order_key(const synapse& s) {
    return static_cast<std::uint64_t>(s.delay) << 48 | static_cast<std::uint64_t>(s.population) << 40 | static_cast<std::uint64_t>(s.target) << 8 |
           s.receptor;
}

/// The synapse an order_key and a weight describe.
SYNFIRE_HD synapse synapse_of(std::uint64_t key, std::int64_t weight) {
    synapse s;
    s.target = static_cast<std::uint32_t>(key >> 8);
    s.delay = static_cast<std::uint16_t>(key >> 48);
    s.population = static_cast<std::uint8_t>(key >> 40);
    s.receptor = static_cast<std::uint8_t>(key);
    s.weight = weight;
    return s;
}

/// log2 of the slots a floyd_set needs for `count` distinct draws: at most half full, at least 16 slots.
SYNFIRE_HD std::uint32_t floyd_log2_slots(std::uint64_t count) {
    std::uint32_t b = 4;
    while ((std::uint64_t{1} << b) < 2 * count) ++b;
    return b;
}

/// The set of one entity's chosen pool indices (< 2^40) in Floyd's sampling: open addressing with linear probing
/// in caller-owned slots (zeroed before first use). A slot holds stamp << 40 | index and belongs to the set only
/// under the current stamp, so moving on to the next entity costs nothing.
struct floyd_set {
    std::uint64_t* slots = nullptr;
    std::uint32_t log2_slots = 4;
    std::uint32_t stamp = 0;

    /// Empties the set.
    SYNFIRE_HD void next() {
        if (++stamp == (1u << 24)) {  // stamps are 24 bits: start over on zeroed slots
            for (std::uint64_t i = 0; i < (std::uint64_t{1} << log2_slots); ++i) slots[i] = 0;
            stamp = 1;
        }
    }
    /// Adds x; false when it was there already.
    SYNFIRE_HD bool insert(std::uint64_t x) {
        const std::uint64_t mask = (std::uint64_t{1} << log2_slots) - 1;
        const std::uint64_t tagged = static_cast<std::uint64_t>(stamp) << 40 | x;
        for (std::uint64_t h = (x * 0x9E3779B97F4A7C15ull) >> (64 - log2_slots);; h = (h + 1) & mask) {
            const std::uint64_t s = slots[h];
            if (s == tagged) return false;
            if (s >> 40 != stamp) {
                slots[h] = tagged;
                return true;
            }
        }
    }
};

/// Calls emit(source, target, entity, index) for every synapse of entity e of the projection, with source and
/// target population-local. `chosen` serves Floyd's sampling (uses_floyd) and must have
/// floyd_log2_slots(v.count) slots.
template <class Emit>
SYNFIRE_HD void entity_synapses(const projection_view& v, const philox_key& key, std::uint64_t e, floyd_set& chosen, Emit&& emit) {
    const bool skip_self = v.skip_self;
    using rule = projection::rule;
    switch (v.rule) {
        case rule::all_to_all: {
            std::uint64_t q = 0;
            for (std::uint64_t i = 0; i < v.n_src; ++i)
                if (!(skip_self && i == e)) emit(i, e, e, q++);
            break;
        }
        case rule::one_to_one:
            if (!skip_self) emit(e, e, e, std::uint64_t{0});
            break;
        case rule::pairwise_bernoulli: {
            if (v.p <= 0) break;
            const double log_q = v.p >= 1 ? 0.0 : det_log(1.0 - v.p);
            std::uint64_t q = 0, drawn = 0;
            for (std::uint64_t i = 0;; ++i) {
                if (log_q < 0) {  // skip a geometric number of sources
                    const philox_counter w = draw(key, rng_purpose::connect, e, drawn++, v.index);
                    const double gap = floor_of(det_log(open_unit(w.v[0], w.v[1])) / log_q);
                    if (gap >= static_cast<double>(v.n_src - i)) break;
                    i += static_cast<std::uint64_t>(gap);
                }
                if (i >= v.n_src) break;
                if (!(skip_self && i == e)) emit(i, e, e, q++);
            }
            break;
        }
        case rule::fixed_indegree:
        case rule::fixed_outdegree: {
            const bool in = v.rule == rule::fixed_indegree;
            const std::uint64_t pool = (in ? v.n_src : v.n_tgt) - (skip_self ? 1 : 0);
            auto put = [&](std::uint64_t x, std::uint64_t q) {
                const std::uint64_t partner = skip_self && x >= e ? x + 1 : x;  // pool index -> neuron
                if (in) emit(partner, e, e, q);
                else emit(e, partner, e, q);
            };
            if (v.multapses) {  // one Philox block serves two draws
                philox_counter w{};
                for (std::uint64_t q = 0; q < v.count; ++q) {
                    if (q % 2 == 0) w = draw(key, rng_purpose::connect, e, q / 2, v.index);
                    put(uniform_below(q % 2 == 0 ? w : philox_counter{{w.v[2], w.v[3], 0, 0}}, pool), q);
                }
            } else {  // Floyd's sampling of count distinct pool indices: j itself when t was chosen before
                chosen.next();
                for (std::uint64_t j = pool - v.count, q = 0; j < pool; ++j, ++q) {
                    const std::uint64_t t = uniform_below(draw(key, rng_purpose::connect, e, q, v.index), j + 1);
                    const std::uint64_t x = chosen.insert(t) ? t : j;
                    if (x != t) chosen.insert(j);
                    put(x, q);
                }
            }
            break;
        }
        case rule::fixed_total_number:
            for (std::uint32_t attempt = 0;; ++attempt) {  // redrawn when it would be a forbidden autapse
                const philox_counter w = draw(key, rng_purpose::connect, e, 0, v.index, attempt);
                const std::uint64_t i = uniform_below(w, v.n_src);
                const std::uint64_t j = uniform_below(philox_counter{{w.v[2], w.v[3], w.v[0], w.v[1]}}, v.n_tgt);
                if (!(skip_self && i == j) || attempt == 255) {
                    if (!(skip_self && i == j)) emit(i, j, e, std::uint64_t{0});
                    break;
                }
            }
            break;
        case rule::explicit_list:
            emit(static_cast<std::uint64_t>(v.list[e].source), static_cast<std::uint64_t>(v.list[e].target), e, std::uint64_t{0});
            break;
    }
}

#ifndef __CUDA_ARCH__
/// entity_synapses for the entities lo .. hi - 1 (the same calls of emit, in another order where a drawn
/// autapse is redrawn): the rules that draw one Philox block per synapse (fixed_total_number) or per two
/// (fixed_indegree and fixed_outdegree with multapses) draw parameter_batch blocks at a time, lane by lane
/// (philox4x32_10_lanes); the other rules call entity_synapses. Host code only: the device draws a thread's
/// entity as before.
template <class Emit>
void entity_range_synapses(const projection_view& v, const philox_key& key, std::uint64_t lo, std::uint64_t hi, floyd_set& chosen,
                           Emit&& emit) {
    using rule = projection::rule;
    constexpr int B = parameter_batch;
    alignas(32) std::uint32_t c0[B], c1[B], c2[B], c3[B];
    const auto counter = [&](int k, std::uint64_t entity, std::uint64_t index) {
        const philox_counter c = draw_counter(rng_purpose::connect, entity, index, v.index);
        c0[k] = c.v[0], c1[k] = c.v[1], c2[k] = c.v[2], c3[k] = c.v[3];
    };
    if (v.rule == rule::fixed_total_number) {
        for (std::uint64_t first = lo; first < hi; first += B) {
            const int n = static_cast<int>(hi - first < B ? hi - first : B);
            for (int k = 0; k < n; ++k) counter(k, first + static_cast<std::uint64_t>(k), 0);
            philox4x32_10_lanes(c0, c1, c2, c3, n, key);
            for (int k = 0; k < n; ++k) {  // entity_synapses' first attempt
                const std::uint64_t e = first + static_cast<std::uint64_t>(k);
                const std::uint64_t i = uniform_below(philox_counter{{c0[k], c1[k], c2[k], c3[k]}}, v.n_src);
                const std::uint64_t j = uniform_below(philox_counter{{c2[k], c3[k], c0[k], c1[k]}}, v.n_tgt);
                if (v.skip_self && i == j) entity_synapses(v, key, e, chosen, emit);  // the redraws
                else emit(i, j, e, std::uint64_t{0});
            }
        }
        return;
    }
    if ((v.rule == rule::fixed_indegree || v.rule == rule::fixed_outdegree) && v.multapses) {
        const bool in = v.rule == rule::fixed_indegree;
        const std::uint64_t pool = (in ? v.n_src : v.n_tgt) - (v.skip_self ? 1 : 0);
        const std::uint64_t blocks = (v.count + 1) / 2;  // one Philox block serves two draws
        for (std::uint64_t e = lo; e < hi; ++e)
            for (std::uint64_t first = 0; first < blocks; first += B) {
                const int n = static_cast<int>(blocks - first < B ? blocks - first : B);
                for (int k = 0; k < n; ++k) counter(k, e, first + static_cast<std::uint64_t>(k));
                philox4x32_10_lanes(c0, c1, c2, c3, n, key);
                for (int k = 0; k < n; ++k)
                    for (std::uint64_t half = 0; half < 2; ++half) {
                        const std::uint64_t q = 2 * (first + static_cast<std::uint64_t>(k)) + half;
                        if (q >= v.count) break;
                        const std::uint64_t x = half == 0 ? uniform_below(philox_counter{{c0[k], c1[k], 0, 0}}, pool)
                                                          : uniform_below(philox_counter{{c2[k], c3[k], 0, 0}}, pool);
                        const std::uint64_t partner = v.skip_self && x >= e ? x + 1 : x;  // pool index -> neuron
                        if (in) emit(partner, e, e, q);
                        else emit(e, partner, e, q);
                    }
            }
        return;
    }
    for (std::uint64_t e = lo; e < hi; ++e) entity_synapses(v, key, e, chosen, emit);
}
#endif

}  // namespace synfire::connect
