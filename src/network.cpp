// Connectivity generation with NEST's rules and parameter distributions. Two passes over the same pure draws:
// the first counts each source's synapses, the second writes them into their CSR rows; each row is then
// sorted, so the table depends on nothing but the model and seed.
#include "synfire/network.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "synfire/errors.hpp"
#include "synfire/fixed_point.hpp"
#include "synfire/philox.hpp"
#include "synfire/random.hpp"

namespace synfire {

std::vector<std::uint64_t> population_bases(const model& m) {
    std::vector<std::uint64_t> base{0};
    for (const auto& p : m.populations) base.push_back(base.back() + p.n);
    return base;
}

int ring_slots(const synapse_table& t) { return t.empty() ? 0 : t.max_delay + t.min_delay; }

synapse_estimate estimate_synapses(const model& m) {
    synapse_estimate e;
    double total = 0;
    int lo = 1 << 30, hi = 0;
    for (const auto& pr : m.projections) {
        const double ns = static_cast<double>(m.populations[pr.source].n), nt = static_cast<double>(m.populations[pr.target].n);
        switch (pr.connection) {
            case projection::rule::all_to_all: total += ns * nt; break;
            case projection::rule::one_to_one: total += nt; break;
            case projection::rule::pairwise_bernoulli: total += ns * nt * pr.p + 6 * std::sqrt(ns * nt * pr.p * (1 - pr.p)); break;
            case projection::rule::fixed_indegree: total += nt * static_cast<double>(pr.count); break;
            case projection::rule::fixed_outdegree: total += ns * static_cast<double>(pr.count); break;
            case projection::rule::fixed_total_number: total += static_cast<double>(pr.count); break;
            case projection::rule::explicit_list: total += static_cast<double>(pr.synapses.size()); break;
        }
        double dlo = 0, dhi = 0;  // [ms]
        using kind = synapse_parameter::kind;
        if (pr.connection == projection::rule::explicit_list) {
            for (const auto& s : pr.synapses) {
                lo = std::min<int>(lo, static_cast<int>(s.delay));
                hi = std::max<int>(hi, static_cast<int>(s.delay));
            }
            continue;
        }
        if (pr.delay.type == kind::constant) dlo = dhi = pr.delay.value;
        else if (pr.delay.type == kind::uniform) dlo = pr.delay.a, dhi = pr.delay.b;
        else dlo = pr.delay.low, dhi = std::min(pr.delay.high, pr.delay.a + 10 * pr.delay.b);
        lo = std::min<int>(lo, std::max<int>(1, static_cast<int>(std::llround(dlo / m.dt))));
        hi = std::max<int>(hi, static_cast<int>(std::llround(dhi / m.dt)));
    }
    e.synapses = static_cast<std::uint64_t>(total);
    if (hi > 0) e.min_delay = lo, e.max_delay = hi;
    return e;
}

namespace {

/// Philox words for (purpose, entity, index, projection, attempt); entity and index up to 2^40, attempt < 256.
philox_counter draw(const philox_key& key, rng_purpose purpose, std::uint64_t entity, std::uint64_t index, std::uint32_t projection,
                    std::uint32_t attempt = 0) {
    const std::uint32_t high = (attempt & 0xFFu) | static_cast<std::uint32_t>((entity >> 32) & 0xFFu) << 8 |
                               static_cast<std::uint32_t>((index >> 32) & 0xFFu) << 16;
    return philox4x32_10(make_counter(purpose, static_cast<std::uint32_t>(entity), static_cast<std::uint32_t>(index), projection, high), key);
}

/// Uniform integer in [0, m) from 64 random bits (Lemire's multiply; bias below m / 2^64).
std::uint64_t uniform_below(const philox_counter& w, std::uint64_t m) {
    const std::uint64_t x = (static_cast<std::uint64_t>(w.v[0]) << 32) | w.v[1];
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(x) * m) >> 64);
}

/// Uniform double in (0, 1).
double open_unit(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t k = (static_cast<std::uint64_t>(hi) << 21) | (lo >> 11);
    return (static_cast<double>(k) + 0.5) * 0x1p-53;
}

/// A synapse parameter's value for synapse `index` of `entity`.
double parameter_value(const synapse_parameter& sp, const philox_key& key, rng_purpose purpose, std::uint64_t entity,
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
            return std::exp(sp.a + sp.b * standard_normal(w.v[0], w.v[1]));
        }
        case kind::normal_clipped:
            for (std::uint32_t attempt = 0; attempt < 256; ++attempt) {  // redrawn until inside (NEST's redraw)
                const philox_counter w = draw(key, purpose, entity, index, projection, attempt);
                for (double z : {standard_normal(w.v[0], w.v[1]), standard_normal(w.v[2], w.v[3])}) {
                    const double x = sp.a + sp.b * z;
                    if (x >= sp.low && x <= sp.high) return x;
                }
            }
            return std::clamp(sp.a, sp.low, sp.high);  // 512 draws outside: the bounds exclude nearly all mass
    }
    return sp.value;
}

/// Calls emit(source, target, entity, index) for every synapse of one entity of the projection: a target
/// neuron for target-driven rules, a source neuron for fixed_outdegree, a synapse number for fixed_total_number.
template <class Emit>
void entity_synapses(const projection& pr, std::uint32_t pi, const philox_key& key, std::uint64_t n_src, std::uint64_t n_tgt,
                     std::uint64_t e, Emit&& emit) {
    const bool same = pr.source == pr.target;
    const bool skip_self = same && !pr.allow_autapses;
    using rule = projection::rule;
    switch (pr.connection) {
        case rule::all_to_all: {
            std::uint64_t q = 0;
            for (std::uint64_t i = 0; i < n_src; ++i)
                if (!(skip_self && i == e)) emit(i, e, e, q++);
            break;
        }
        case rule::one_to_one:
            if (!skip_self) emit(e, e, e, 0);
            break;
        case rule::pairwise_bernoulli: {
            if (pr.p <= 0) break;
            const double log_q = pr.p >= 1 ? 0.0 : det_log(1.0 - pr.p);
            std::uint64_t q = 0, drawn = 0;
            for (std::uint64_t i = 0;; ++i) {
                if (log_q < 0) {  // skip a geometric number of sources
                    const philox_counter w = draw(key, rng_purpose::connect, e, drawn++, pi);
                    const double gap = std::floor(det_log(open_unit(w.v[0], w.v[1])) / log_q);
                    if (gap >= static_cast<double>(n_src - i)) break;
                    i += static_cast<std::uint64_t>(gap);
                }
                if (i >= n_src) break;
                if (!(skip_self && i == e)) emit(i, e, e, q++);
            }
            break;
        }
        case rule::fixed_indegree:
        case rule::fixed_outdegree: {
            const bool in = pr.connection == rule::fixed_indegree;
            const std::uint64_t n_pool = in ? n_src : n_tgt;
            const std::uint64_t pool = n_pool - (skip_self ? 1 : 0);
            auto partner = [&](std::uint64_t x) { return skip_self && x >= e ? x + 1 : x; };  // pool index -> neuron
            auto put = [&](std::uint64_t x, std::uint64_t q) {
                if (in) emit(partner(x), e, e, q);
                else emit(e, partner(x), e, q);
            };
            if (pr.allow_multapses) {  // one Philox block serves two draws
                philox_counter w{};
                for (std::uint64_t q = 0; q < pr.count; ++q) {
                    if (q % 2 == 0) w = draw(key, rng_purpose::connect, e, q / 2, pi);
                    put(uniform_below(q % 2 == 0 ? w : philox_counter{{w.v[2], w.v[3], 0, 0}}, pool), q);
                }
            } else {  // Floyd's sampling of count distinct pool indices
                std::unordered_set<std::uint64_t> chosen;
                std::vector<std::uint64_t> order;
                for (std::uint64_t j = pool - pr.count, q = 0; j < pool; ++j, ++q) {
                    const std::uint64_t t = uniform_below(draw(key, rng_purpose::connect, e, q, pi), j + 1);
                    const std::uint64_t x = chosen.count(t) ? j : t;
                    chosen.insert(x);
                    order.push_back(x);
                }
                for (std::uint64_t q = 0; q < order.size(); ++q) put(order[q], q);
            }
            break;
        }
        case rule::fixed_total_number:
            for (std::uint32_t attempt = 0;; ++attempt) {  // redrawn when it would be a forbidden autapse
                const philox_counter w = draw(key, rng_purpose::connect, e, 0, pi, attempt);
                const std::uint64_t i = uniform_below(w, n_src);
                const std::uint64_t j = uniform_below(philox_counter{{w.v[2], w.v[3], w.v[0], w.v[1]}}, n_tgt);
                if (!(skip_self && i == j) || attempt == 255) {
                    if (!(skip_self && i == j)) emit(i, j, e, 0);
                    break;
                }
            }
            break;
        case rule::explicit_list: {
            const auto& s = pr.synapses[e];
            emit(s.source, s.target, e, 0);
            break;
        }
    }
}

std::uint64_t entities(const projection& pr, std::uint64_t n_src, std::uint64_t n_tgt) {
    switch (pr.connection) {
        case projection::rule::fixed_outdegree: return n_src;
        case projection::rule::fixed_total_number: return pr.count;
        case projection::rule::explicit_list: return pr.synapses.size();
        default: return n_tgt;
    }
}

}  // namespace

synapse_table build_synapses(const model& m, int threads) {
    const auto t0 = std::chrono::steady_clock::now();
    synapse_table t;
    t.base = population_bases(m);
    t.receives.assign(m.populations.size(), false);
    if (m.projections.empty()) return t;  // no offsets either: 8 bytes per neuron saved
    t.offsets.assign(t.base.back() + 1, 0);
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    const philox_key key = make_key(m.seed);
    const std::uint64_t neurons = t.base.back();
    // Each thread counts, then fills, the synapses of a fixed share of each projection's entities into its own
    // part of every source's row: no atomics, and the rows are sorted afterwards, so the share does not matter.
    // Per-thread rows cost threads x neurons x 8 bytes; past 1 GiB the threads share rows through atomics.
    const bool private_rows = static_cast<std::uint64_t>(threads) * neurons <= (std::uint64_t{1} << 27);
    std::vector<std::uint64_t> rows(private_rows ? static_cast<std::size_t>(threads) * neurons : neurons, 0);  // counts, then cursors

    auto sweep = [&](int pass) {
        for (std::size_t pi = 0; pi < m.projections.size(); ++pi) {
            const projection& pr = m.projections[pi];
            t.receives[pr.target] = true;
            const std::uint64_t n_src = m.populations[pr.source].n, n_tgt = m.populations[pr.target].n;
            const std::uint64_t src_base = t.base[pr.source];
            const std::uint64_t n_entities = entities(pr, n_src, n_tgt);
            const bool explicit_list = pr.connection == projection::rule::explicit_list;
#pragma omp parallel num_threads(threads)
            {
#ifdef _OPENMP
                const auto me = static_cast<std::uint64_t>(omp_get_thread_num());
                const auto team = static_cast<std::uint64_t>(omp_get_num_threads());
#else
                const std::uint64_t me = 0, team = 1;
#endif
                std::uint64_t* row = rows.data() + (private_rows ? me * neurons : 0);
                const std::uint64_t lo = n_entities * me / team, hi = n_entities * (me + 1) / team;
                for (std::uint64_t e = lo; e < hi; ++e) {
                    entity_synapses(pr, static_cast<std::uint32_t>(pi), key, n_src, n_tgt, e,
                                    [&](std::uint64_t i, std::uint64_t j, std::uint64_t entity, std::uint64_t q) {
                                        const std::uint64_t g = src_base + i;
                                        std::uint64_t slot;
                                        if (private_rows) {
                                            slot = row[g]++;
                                        } else {
#pragma omp atomic capture
                                            slot = row[g]++;
                                        }
                                        if (pass == 0) return;
                                        synapse& s = t.synapses[slot];
                                        const double w = explicit_list ? pr.synapses[entity].weight
                                                                       : parameter_value(pr.weight, key, rng_purpose::weight, entity, q,
                                                                                         static_cast<std::uint32_t>(pi));
                                        const std::int64_t d =
                                            explicit_list ? pr.synapses[entity].delay
                                                          : std::max<std::int64_t>(1, std::llround(parameter_value(pr.delay, key, rng_purpose::delay, entity,
                                                                                                                   q, static_cast<std::uint32_t>(pi)) /
                                                                                                   m.dt));
                                        s.target = static_cast<std::uint32_t>(j);
                                        s.delay = static_cast<std::uint16_t>(std::min<std::int64_t>(d, 65535));
                                        s.population = static_cast<std::uint8_t>(pr.target);
                                        s.receptor = pr.inhibitory ? 1 : 0;
                                        s.weight = std::fabs(w) < 1e9 ? to_fixed(w) : 0;
                                        if (!(std::fabs(w) < 1e9) || d > 32767) s.delay = 0;  // flagged, reported below
                                    });
                }
            }
        }
    };

    sweep(0);
    // offsets from the counts; each (thread, source) part starts where the thread before it ends
    const std::size_t parts = private_rows ? static_cast<std::size_t>(threads) : 1;
    std::uint64_t total = 0;
    for (std::uint64_t g = 0; g < neurons; ++g) {
        t.offsets[g] = total;
        for (std::size_t p = 0; p < parts; ++p) {
            const std::uint64_t c = rows[p * neurons + g];
            rows[p * neurons + g] = total;
            total += c;
        }
    }
    t.offsets[neurons] = total;
    t.synapses.resize(total);
    sweep(1);
    rows = {};

    // canonical order within each source, and the delay range
    int lo = 1 << 30, hi = 0;
    bool bad = false;
    const auto n = static_cast<std::int64_t>(t.offsets.size() - 1);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1024) reduction(min : lo) reduction(max : hi) reduction(|| : bad)
    for (std::int64_t g = 0; g < n; ++g) {
        auto first = t.synapses.begin() + static_cast<std::ptrdiff_t>(t.offsets[static_cast<std::size_t>(g)]);
        auto last = t.synapses.begin() + static_cast<std::ptrdiff_t>(t.offsets[static_cast<std::size_t>(g) + 1]);
        const auto order = [](const synapse& a, const synapse& b) {
            return std::tie(a.delay, a.population, a.target, a.receptor, a.weight) < std::tie(b.delay, b.population, b.target, b.receptor, b.weight);
        };
        if (!std::is_sorted(first, last, order)) std::sort(first, last, order);
        for (auto it = first; it != last; ++it) {
            if (it->delay == 0) bad = true;
            lo = std::min<int>(lo, it->delay);
            hi = std::max<int>(hi, it->delay);
        }
    }
    if (bad) throw runtime_failure("a drawn weight exceeds 1e9 or a drawn delay exceeds 32767 steps: check the weight and delay distributions");
    if (!t.synapses.empty()) t.min_delay = lo, t.max_delay = hi;
    t.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return t;
}

}  // namespace synfire
